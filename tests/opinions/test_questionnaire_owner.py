"""A questionnaire belongs to a matter or to an information system, never both nor neither;
it is scoped through the department it keeps, and a matter's participating departments
still see the matter's questionnaires."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from fengping.core.errors import ActionError
from fengping.infosec.models import System
from fengping.opinions import actions
from fengping.opinions.models import Questionnaire
from fengping.org import access

from .conftest import build_questionnaire, register_matter


def _system(org, department=None):
    return System.objects.create(
        department=department or org.rsj,
        code="OA",
        name="协同办公系统",
        protection_level=3,
        created_by=org.rsj_handler,
    )


def test_matter_questionnaire_keeps_its_department(org):
    qn = build_questionnaire(org, register_matter(org))
    assert qn.department_id == org.rsj.pk and qn.owner == qn.matter and not qn.for_system
    assert access.visible(org.rsj_head, Questionnaire.objects.all()).filter(pk=qn.pk).exists()
    assert (
        not access.visible(org.zjj_handler, Questionnaire.objects.all()).filter(pk=qn.pk).exists()
    )


def test_system_questionnaire_is_scoped_by_the_systems_department(org):
    qn = actions.do_create_questionnaire(
        org.rsj_handler, None, system=_system(org), title="威胁调查", with_stance_question=False
    )
    assert qn.for_system and qn.department_id == org.rsj.pk
    assert access.can(org.rsj_handler, qn, "change")
    assert not access.visible(org.zjj_handler, Questionnaire.objects.all()).exists()
    assert access.visible(org.supervisor, Questionnaire.objects.all()).filter(pk=qn.pk).exists()
    with pytest.raises(Exception) as exc:
        actions.do_create_questionnaire(org.zjj_handler, None, system=_system_of(qn), title="x")
    assert exc.type.__name__ == "PermissionDenied"


def _system_of(qn):
    return System.objects.get(pk=qn.system_id)


def test_exactly_one_owner(org):
    matter = register_matter(org)
    system = _system(org)
    with pytest.raises(ActionError):
        actions.do_create_questionnaire(org.rsj_handler, matter, system=system, title="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Questionnaire.objects.create(
            matter=matter, system=system, title="x", created_by=org.rsj_handler
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Questionnaire.objects.create(department=org.rsj, title="x", created_by=org.rsj_handler)


def test_scale_labels(org):
    qn = actions.do_create_questionnaire(
        org.rsj_handler, None, system=_system(org), title="t", with_stance_question=False
    )
    with pytest.raises(ActionError, match="分值说明"):
        actions.do_add_question(org.rsj_handler, qn, kind="scale", text="q", choices=["低", "高"])
    q = actions.do_add_question(
        org.rsj_handler, qn, kind="scale", text="q", choices=["很低", "低", "中等", "高", "很高"]
    )
    assert q.scale_rows()[0] == ("1", "很低") and q.scale_rows()[4] == ("5", "很高")
    plain = actions.do_add_question(org.rsj_handler, qn, kind="scale", text="p")
    assert plain.choices == [] and plain.scale_rows()[0] == ("1", "")


def test_questionnaires_follow_a_moved_system(org):
    system = _system(org)
    qn = actions.do_create_questionnaire(
        org.rsj_handler, None, system=system, title="t", with_stance_question=False
    )
    System.objects.filter(pk=system.pk).update(department=org.zjj)
    system.refresh_from_db()
    assert actions.follow_owner_department(system=system) == 1
    assert Questionnaire.objects.get(pk=qn.pk).department_id == org.zjj.pk
    assert access.visible(org.zjj_handler, Questionnaire.objects.all()).filter(pk=qn.pk).exists()
