"""安全整改 tasks: from risks decided 降低 (one per vulnerability, deadline by the worst
risk), from a vulnerability (deadline by its grade), from a recommendation; owners of the
system's department; evidence to close; closing lowers the residual risk."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from fengping.audit.models import Event
from fengping.core.errors import ActionError, ConflictError
from fengping.infosec.actions import tasks as k
from fengping.infosec.actions import treatment as t
from fengping.infosec.models import (
    Aspect,
    RemediationTask,
    Scenario,
    TaskStatus,
    VulnStatus,
)
from fengping.org.models import Role

from .treatment_builders import register, scenario_of, user_in, vulnerability

TODAY = dt.date.today


def test_tasks_from_risks_one_per_vulnerability_by_the_worst(org):
    a = register(org, {2: 1, 5: 1}, shared_vulnerability=True)
    # levels 2 and 5 on one vulnerability (shared)
    assert Scenario.objects.filter(assessment=a).count() == 2
    t.do_decide_bulk(org.rsj_handler, a, "reduce", "整改", filters={"levels": [2, 5]})
    before = Event.objects.count()
    tasks = k.do_create_tasks_from_risks(org.rsj_handler, a, owner=org.rsj_handler)
    assert len(tasks) == 1 and Event.objects.count() == before + 1
    task = RemediationTask.objects.get()
    assert task.severity == "very_high"
    assert task.deadline == timezone.localdate() + dt.timedelta(days=7)
    assert task.kind == "technical" and task.owner == org.rsj_handler
    with pytest.raises(ActionError, match="没有需要"):
        k.do_create_tasks_from_risks(org.rsj_handler, a)


def test_tasks_from_risks_deadline_per_level(org):
    a = register(org, {3: 2, 4: 1})
    t.do_decide_bulk(org.rsj_handler, a, "reduce", "整改", filters={"levels": [3, 4]})
    tasks = k.do_create_tasks_from_risks(org.rsj_handler, a)
    days = sorted((x.deadline - timezone.localdate()).days for x in tasks)
    assert days == [30, 90, 90]


def test_task_from_vulnerability_takes_its_grade_days(org):
    a = register(org, {2: 1})
    v = vulnerability(a.system, 99, grade="critical", severity=5)
    task = k.do_create_task_from_vulnerability(org.rsj_handler, v)
    assert task.deadline == timezone.localdate() + dt.timedelta(days=7)
    assert task.severity == "critical" and task.assessment_id == a.pk
    with pytest.raises(ActionError, match="已有未完成"):
        k.do_create_task_from_vulnerability(org.rsj_handler, v)
    m = vulnerability(a.system, 98, grade="", severity=3, aspect=Aspect.MANAGEMENT)
    task = k.do_create_task_from_vulnerability(org.rsj_handler, m)
    assert task.kind == "management" and (task.deadline - timezone.localdate()).days == 90


def test_owner_must_be_of_the_systems_department(org):
    a = register(org, {2: 1})
    v = vulnerability(a.system, 99)
    with pytest.raises(ActionError, match="责任人") as exc:
        k.do_create_task_from_vulnerability(org.rsj_handler, v, owner=org.zjj_handler)
    assert exc.value.field == "owner"
    # a unit under the department is fine
    task = k.do_create_task_from_vulnerability(org.rsj_handler, v, owner=org.rsj_unit_assessor)
    with pytest.raises(ActionError, match="责任人"):
        k.do_update_task(
            org.rsj_handler,
            task,
            version=task.version,
            title="x",
            kind="technical",
            owner=org.supervisor,
            deadline=TODAY(),
        )


def test_update_is_version_locked(org):
    a = register(org, {2: 1})
    task = k.do_create_task_from_vulnerability(org.rsj_handler, vulnerability(a.system, 99))
    seen = task.version
    k.do_update_task(
        org.rsj_handler,
        task,
        version=seen,
        title="修复",
        kind="technical",
        owner=None,
        deadline=TODAY(),
    )
    with pytest.raises(ConflictError):
        k.do_update_task(
            org.rsj_handler,
            task,
            version=seen,
            title="再改",
            kind="technical",
            owner=None,
            deadline=TODAY(),
        )


def test_close_needs_evidence_closes_the_vulnerability_and_lowers_residual(org):
    a = register(org, {4: 1})
    s = scenario_of(a, 4)
    t.do_decide(org.rsj_handler, s, "reduce", "修复")
    (task,) = k.do_create_tasks_from_risks(org.rsj_handler, a)
    task = k.do_start_task(org.rsj_handler, task)
    assert task.status == TaskStatus.IN_PROGRESS
    with pytest.raises(ActionError, match="证据"):
        k.do_close_task(org.rsj_handler, task, " ")
    task = k.do_close_task(org.rsj_handler, task, "已升级补丁，复测通过", version=task.version)
    assert task.status == TaskStatus.DONE and task.closed_by == org.rsj_handler
    assert (
        task.vulnerability.__class__.objects.get(pk=task.vulnerability_id).status
        == VulnStatus.CLOSED
    )
    s.refresh_from_db()
    assert s.residual_level == 0 and s.residual_risk is None
    with pytest.raises(ActionError, match="不能再修改"):
        k.do_close_task(org.rsj_handler, task, "again")


def test_recommendation_task_lowers_residual_when_done(org):
    a = register(org, {4: 3})
    rec = t.do_save_recommendation(
        org.rsj_handler, a, title="加强访问控制", kind="management", effect="preventive"
    )
    t.do_link_recommendation(org.rsj_handler, rec, filters={"levels": [4]})
    task = k.do_create_task_from_recommendation(org.rsj_handler, rec)
    assert task.severity == "high" and (task.deadline - timezone.localdate()).days == 30
    k.do_close_task(org.rsj_handler, task, "制度已发布")
    levels = set(Scenario.objects.filter(assessment=a).values_list("residual_risk", flat=True))
    assert all(r is not None and r < 16 for r in levels)


def test_cancel_needs_a_reason(org):
    a = register(org, {2: 1})
    task = k.do_create_task_from_vulnerability(org.rsj_handler, vulnerability(a.system, 99))
    with pytest.raises(ActionError, match="理由"):
        k.do_cancel_task(org.rsj_handler, task, "")
    task = k.do_cancel_task(org.rsj_handler, task, "误报")
    assert task.status == TaskStatus.CANCELLED and "误报" in task.evidence


def test_another_departments_task_and_readers_are_refused(org):
    a = register(org, {2: 1})
    task = k.do_create_task_from_vulnerability(org.rsj_handler, vulnerability(a.system, 99))
    for user in (org.zjj_handler, org.supervisor):
        with pytest.raises(PermissionDenied):
            k.do_close_task(user, task, "done")
        with pytest.raises(PermissionDenied):
            k.do_start_task(user, task)
    zjj = register(org, {2: 1}, code="ZJ", department=org.zjj)
    other = k.do_create_task_from_vulnerability(
        user_in(org, "zj_handler", org.zjj, Role.HANDLER), vulnerability(zjj.system, 5)
    )
    with pytest.raises(PermissionDenied):
        k.do_close_task(org.rsj_handler, other, "done")


def test_overdue(org):
    a = register(org, {2: 1})
    task = k.do_create_task_from_vulnerability(org.rsj_handler, vulnerability(a.system, 99))
    RemediationTask.objects.filter(pk=task.pk).update(deadline=TODAY() - dt.timedelta(days=1))
    task.refresh_from_db()
    assert task.is_overdue()
    from fengping.infosec.task_lists import overdue_tasks

    assert overdue_tasks(org.rsj_handler).count() == 1
    assert overdue_tasks(org.zjj_handler).count() == 0
