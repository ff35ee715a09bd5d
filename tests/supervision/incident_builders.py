"""Builders of the incidents tests: matters, cases and systems in the states the 应评未评
lists and the investigation read, written directly where the test is not about how they
are made (the actions are tested in their own apps)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from fengping.assessments import actions as assessment_actions
from fengping.assessments.models import (
    Assessment,
    AssessmentStatus,
    Decision,
    FollowUpMeasure,
    MeasureStatus,
)
from fengping.matters.actions import do_register_matter
from fengping.matters.models import Matter, MatterStatus
from fengping.opinions import actions as opinion_actions
from fengping.opinions.models import Response
from fengping.supervision.actions import incidents as actions


def matter(org: Any, title: str = "企业退休人员养老金调整", **values: Any) -> Matter:
    m = do_register_matter(
        org.rsj_handler,
        title=title,
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=org.rsj,
    )
    if values:
        Matter.objects.filter(pk=m.pk).update(**values)
        m.refresh_from_db()
    return m


def decide_without(org: Any, m: Matter, on: dt.date | None = None) -> Decision:
    """A decision recorded on a must-assess matter without an assessment (as an import or
    a later change of the category leaves it)."""
    on = on or timezone.localdate()
    d = Decision.objects.create(
        matter=m,
        outcome="implement",
        outcome_label="实施",
        doc_no=f"示政发〔{on.year}〕9号",
        decided_on=on,
        authority="市政府",
        recorded_by=org.rsj_handler,
    )
    Matter.objects.filter(pk=m.pk).update(status=MatterStatus.DECIDED)
    return d


def assessed(
    org: Any,
    m: Matter,
    *,
    days: int = 20,
    respondents: int = 30,
    channels: tuple[str, ...] = ("online", "paper"),
    queries: int = 0,
    answered: int = 0,
    measures: tuple[tuple[int, bool], ...] = (),
) -> Assessment:
    """A decided assessment of `m` that took `days`, with `respondents` questionnaire
    answers over `channels`, `queries` 质疑 of which `answered` were answered, and
    measures (days from today to the due date, done?)."""
    if respondents:
        qn = opinion_actions.do_create_questionnaire(org.rsj_handler, m, title="意见征询")
        for n in range(respondents):
            Response.objects.create(
                questionnaire=qn,
                group="直接利益群体",
                channel=channels[n % len(channels)],
                browser_key=f"b{n}",
            )
    for n in range(queries):
        c = opinion_actions.do_add_comment(
            org.rsj_handler, m, channel="letter", content=f"质疑{n}", is_query=True
        )
        if n < answered:
            type(c).objects.filter(pk=c.pk).update(reply="已答复", replied_at=timezone.now())
    a = assessment_actions.do_start_assessment(org.rsj_handler, m)
    today = timezone.localdate()
    started = timezone.now() - dt.timedelta(days=days + 1)
    Assessment.objects.filter(pk=a.pk).update(status=AssessmentStatus.DECIDED, started_at=started)
    a.steps.filter(step_code=a.current_step).update(
        state="done", done_at=started + dt.timedelta(days=days)
    )
    Decision.objects.create(
        matter=m,
        assessment=a,
        outcome="implement",
        outcome_label="实施",
        doc_no=f"示政发〔{today.year}〕1号",
        decided_on=today,
        authority="市政府",
        recorded_by=org.rsj_handler,
    )
    Matter.objects.filter(pk=m.pk).update(status=MatterStatus.DECIDED)
    for n, (due_in, done) in enumerate(measures):
        FollowUpMeasure.objects.create(
            assessment=a,
            kind="response",
            title=f"措施{n}",
            owner="养老保险科",
            due=today + dt.timedelta(days=due_in),
            status=MeasureStatus.DONE if done else MeasureStatus.PLANNED,
            created_by=org.rsj_handler,
        )
    return Assessment.objects.get(pk=a.pk)


def incident(org: Any, **values: Any):
    data = {
        "kind": "mass",
        "title": "养老金调整引发集体上访",
        "occurred_at": timezone.now() - dt.timedelta(days=1),
        "place": "市政府门前",
        "people": 120,
        "description": "退休职工聚集反映养老金调整问题",
        **values,
    }
    return actions.do_record_incident(org.supervisor, office=org.wwb, **data)
