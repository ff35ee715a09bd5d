"""A matter of 人社局 with a published questionnaire: the 态度 question (default choices),
a multiple-choice question, a 1–5 scale and a free-text question."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from fengping.matters.actions import do_register_matter
from fengping.opinions import actions
from fengping.opinions.models import QuestionKind


def register_matter(org, title="企业退休人员养老金调整", department=None, **extra):
    return do_register_matter(
        org.rsj_handler,
        title=title,
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=department or org.rsj,
        **extra,
    )


def build_questionnaire(org, matter, *, publish=True):
    qn = actions.do_create_questionnaire(
        org.rsj_handler,
        matter,
        title="养老金调整意见征询",
        closes_at=timezone.now() + dt.timedelta(days=7),
    )
    actions.do_add_question(
        org.rsj_handler,
        qn,
        kind=QuestionKind.MULTIPLE,
        text="您最关心哪些方面",
        choices=["缴费基数", "待遇水平", "办理流程"],
        required=False,
    )
    actions.do_add_question(org.rsj_handler, qn, kind=QuestionKind.SCALE, text="对现行政策的满意度")
    actions.do_add_question(
        org.rsj_handler, qn, kind=QuestionKind.TEXT, text="其他意见和建议", required=False
    )
    if publish:
        qn = actions.do_publish(org.rsj_handler, qn)
    return qn


@pytest.fixture(autouse=True)
def _clear_throttle(db):
    # The submission throttle counts in the cache (a database table shared by processes;
    # transactional tests do not roll it back).
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def matter(org):
    return register_matter(org)


@pytest.fixture
def qn(org, matter):
    return build_questionnaire(org, matter)


def answers_for(qn, stance_index, *, scale=3, text="", picks=()):
    """Raw answers in the shape submit_public_response takes."""
    qs = list(qn.questions.all())
    return {
        qs[0].pk: stance_index,
        qs[1].pk: list(picks),
        qs[2].pk: scale,
        qs[3].pk: text,
    }
