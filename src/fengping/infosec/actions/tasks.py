"""安全整改 (篇2 3.5): tasks from the risks decided 降低, from a vulnerability or from a
recommendation — 从安全技术及安全管理两方面 (the scheme's `infosec.remediation.kinds`) — with
an owner of the system's department, a deadline by severity from the scheme, a status and
the evidence of what was done. Closing a task recomputes the residual risk it lowers.

Deadlines: a task from risks takes `infosec.remediation.days_by_risk[grade]` of the worst
risk it covers; a task from a vulnerability its grade's `remediation_days`
(`infosec.vulnerability_grading`). A re-scan that no longer shows a finding closes its
task itself (status closed_by_scan, the scanner's helper); that is not done here."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, save_and_record, snapshot
from fengping.core.concurrency import bump, lock
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import WORK_ROLES, Membership
from fengping.schemebook import registry
from fengping.schemes.model import Scheme

from .. import residual
from ..models import (
    OPEN_TASK_STATUSES,
    Aspect,
    AssessmentStatus,
    Recommendation,
    RemediationTask,
    Scenario,
    System,
    SystemAssessment,
    TaskStatus,
    Treatment,
    Vulnerability,
    VulnStatus,
)
from .assessments import require_open
from .treatment import level_grades

LABELS = {
    "infosec.task.create": gettext_lazy("创建整改任务"),
    "infosec.task.create_from_risks": gettext_lazy("按风险决策生成整改任务"),
    "infosec.task.update": gettext_lazy("修改整改任务"),
    "infosec.task.start": gettext_lazy("开始整改"),
    "infosec.task.close": gettext_lazy("整改完成"),
    "infosec.task.cancel": gettext_lazy("撤销整改任务"),
}

LIVE = (*OPEN_TASK_STATUSES, TaskStatus.DONE, TaskStatus.CLOSED_BY_SCAN)  # not cancelled


def system_scheme(system: System) -> Scheme:
    """The scheme a system's tasks follow: its open assessment's frozen one, else isra."""
    open_run = system.assessments.filter(status=AssessmentStatus.OPEN).first()
    return open_run.scheme if open_run is not None else registry.get("isra")


def kind_codes(scheme: Scheme) -> list[str]:
    info = scheme.infosec
    return [k.code for k in info.remediation.kinds] if info is not None else []


def _kind_for(scheme: Scheme, aspect: str) -> str:
    """技术 for a technical vulnerability, 管理 for a management or operations one."""
    codes = kind_codes(scheme)
    wanted = "technical" if aspect == Aspect.TECHNICAL else "management"
    return wanted if wanted in codes else (codes[0] if codes else wanted)


def _check_kind(scheme: Scheme, kind: str) -> None:
    if kind not in kind_codes(scheme):
        raise ActionError(_("整改类别“%(k)s”不在方案中") % {"k": kind}, field="kind")


def risk_days(scheme: Scheme, grade_code: str) -> int:
    info = scheme.infosec
    days = info.remediation.days_by_risk if info is not None else {}
    if grade_code not in days:
        raise ActionError(_("方案未规定“%(g)s”风险的整改期限") % {"g": grade_code})
    return days[grade_code]


def vulnerability_days(scheme: Scheme, vulnerability: Vulnerability) -> tuple[str, int]:
    """(grade code, days) of a vulnerability: its GB/T 30279 grade's remediation_days; a
    vulnerability without a grade (a checklist finding) takes the grade of its severity."""
    grading = scheme.infosec.vulnerability_grading  # type: ignore[union-attr]
    grade = None
    if vulnerability.grade:
        try:
            grade = grading.grade(vulnerability.grade)
        except KeyError:
            grade = None
    if grade is None:
        matching = [g for g in grading.grades if g.severity <= vulnerability.severity]
        grade = matching[0] if matching else grading.grades[-1]
    if grade.remediation_days is None:
        raise ActionError(_("方案未规定“%(g)s”漏洞的整改期限") % {"g": grade.label})
    return grade.code, grade.remediation_days


def check_owner(system: System, owner: Any) -> None:
    """The owner works in the system's department (or a unit under it)."""
    if owner is None:
        return
    path = system.department.path
    ok = Membership.objects.filter(
        user=owner, role__in=WORK_ROLES, department__path__startswith=path, user__is_active=True
    ).exists()
    if not ok:
        raise ActionError(_("责任人须是系统主管部门的人员"), field="owner")


def _open_assessment(system: System) -> SystemAssessment | None:
    return system.assessments.filter(status=AssessmentStatus.OPEN).first()


def _created(actor: Any, task: RemediationTask, source: dict[str, Any]) -> None:
    record(
        actor,
        "infosec.task.create",
        task,
        after={**snapshot(task, RemediationTask.audit_fields), **source},
    )


# ------------------------------------------------------------------ creating


@transaction.atomic
def do_create_tasks_from_risks(
    actor: Any, assessment: SystemAssessment, *, owner: Any = None
) -> list[RemediationTask]:
    """A task for every risk decided 降低 that has none yet — one per vulnerability when
    several risks rest on it (deadline by the worst of them). One audit event."""
    access.require(actor, assessment, "change")
    assessment = lock(assessment, related=("system__department",))
    require_open(assessment)
    system = assessment.system
    check_owner(system, owner)
    scheme = assessment.scheme
    grades = level_grades(scheme)
    covered_vulns = set(
        RemediationTask.objects.filter(system=system, status__in=LIVE)
        .exclude(vulnerability=None)
        .values_list("vulnerability_id", flat=True)
    )
    rows = (
        Scenario.objects.filter(assessment=assessment, decision__treatment=Treatment.REDUCE)
        .exclude(vulnerability_id__in=covered_vulns)
        .values_list("pk", "vulnerability_id", "level", "risk")
    )
    worst: dict[int, tuple[int, int, int]] = {}  # vulnerability -> (level, risk, scenario)
    counts: dict[int, int] = defaultdict(int)
    for pk, vuln_id, level, risk in rows.iterator(chunk_size=5000):
        counts[vuln_id] += 1
        if vuln_id not in worst or (level, risk) > worst[vuln_id][:2]:
            worst[vuln_id] = (level, risk, pk)
    if not worst:
        raise ActionError(_("没有需要生成整改任务的风险（决策为“降低”且尚无任务）"))
    vulns = Vulnerability.objects.in_bulk(list(worst))
    today = timezone.localdate()
    tasks = []
    for vuln_id, (level, _risk, scenario_id) in worst.items():
        v = vulns[vuln_id]
        grade = grades[level]
        tasks.append(
            RemediationTask(
                system=system,
                assessment=assessment,
                vulnerability=v,
                scenario_id=scenario_id,
                title=v.title[:200],
                kind=_kind_for(scheme, v.aspect),
                owner=owner,
                severity=grade,
                deadline=today + dt.timedelta(days=risk_days(scheme, grade)),
                created_by=actor,
            )
        )
    RemediationTask.objects.bulk_create(tasks, batch_size=1000)
    record(
        actor,
        "infosec.task.create_from_risks",
        assessment,
        after={
            "tasks": len(tasks),
            "risks": sum(counts.values()),
            "owner": getattr(owner, "username", None),
        },
    )
    return tasks


@transaction.atomic
def do_create_task_from_vulnerability(
    actor: Any,
    vulnerability: Vulnerability,
    *,
    owner: Any = None,
    title: str = "",
    kind: str = "",
) -> RemediationTask:
    """A task to fix one vulnerability, due by its grade's remediation_days."""
    access.require(actor, vulnerability, "change")
    v = lock(vulnerability, related=("system__department",))
    if v.status != VulnStatus.OPEN:
        raise ActionError(_("该脆弱性不是待处理状态，无需整改"))
    if v.tasks.filter(status__in=OPEN_TASK_STATUSES).exists():
        raise ActionError(_("该脆弱性已有未完成的整改任务"))
    system = v.system
    check_owner(system, owner)
    scheme = system_scheme(system)
    kind = kind or _kind_for(scheme, v.aspect)
    _check_kind(scheme, kind)
    grade, days = vulnerability_days(scheme, v)
    task = RemediationTask.objects.create(
        system=system,
        assessment=_open_assessment(system),
        vulnerability=v,
        title=((title or "").strip() or v.title)[:200],
        kind=kind,
        owner=owner,
        severity=grade,
        deadline=timezone.localdate() + dt.timedelta(days=days),
        created_by=actor,
    )
    _created(actor, task, {"vulnerability": v.pk})
    return task


@transaction.atomic
def do_create_task_from_recommendation(
    actor: Any,
    recommendation: Recommendation,
    *,
    owner: Any = None,
    title: str = "",
    kind: str = "",
) -> RemediationTask:
    """A task carrying out a recommendation, due by the worst risk it addresses."""
    access.require(actor, recommendation, "change")
    rec = lock(recommendation, related=("assessment__system__department",))
    assessment = rec.assessment
    require_open(assessment)
    system = assessment.system
    check_owner(system, owner)
    scheme = assessment.scheme
    kind = kind or rec.kind
    _check_kind(scheme, kind)
    worst = rec.scenarios.order_by("-level", "-risk").values_list("pk", "level").first()
    if worst is None:
        raise ActionError(_("该建议尚未关联任何风险，无法确定整改期限"))
    grade = level_grades(scheme)[worst[1]]
    task = RemediationTask.objects.create(
        system=system,
        assessment=assessment,
        recommendation=rec,
        scenario_id=worst[0],
        title=((title or "").strip() or rec.title)[:200],
        kind=kind,
        owner=owner,
        severity=grade,
        deadline=timezone.localdate() + dt.timedelta(days=risk_days(scheme, grade)),
        created_by=actor,
    )
    _created(actor, task, {"recommendation": rec.pk})
    return task


# ------------------------------------------------------------------ changing


def _locked(task: RemediationTask, version: int | None) -> RemediationTask:
    return lock(task, version, related=("system__department",))


def _require_open_task(task: RemediationTask) -> None:
    if not task.is_open():
        raise ActionError(_("该整改任务已是“%(s)s”，不能再修改") % {"s": task.get_status_display()})


@transaction.atomic
def do_update_task(
    actor: Any,
    task: RemediationTask,
    *,
    version: int | None,
    title: str,
    kind: str,
    owner: Any,
    deadline: dt.date,
) -> RemediationTask:
    access.require(actor, task, "change")
    t = _locked(task, version)
    _require_open_task(t)
    title = (title or "").strip()
    if not title:
        raise ActionError(_("请填写整改事项"), field="title")
    _check_kind(system_scheme(t.system) if t.assessment is None else t.assessment.scheme, kind)
    check_owner(t.system, owner)
    if deadline is None:
        raise ActionError(_("请填写整改期限"), field="deadline")
    before = snapshot(t, RemediationTask.audit_fields)
    t.title, t.kind, t.owner, t.deadline = title[:200], kind, owner, deadline
    save_and_record(actor, "infosec.task.update", t, before=before)
    return t


@transaction.atomic
def do_start_task(
    actor: Any, task: RemediationTask, *, version: int | None = None
) -> RemediationTask:
    access.require(actor, task, "change")
    t = _locked(task, version)
    if t.status != TaskStatus.OPEN:
        raise ActionError(_("只有待整改的任务可以开始整改"))
    before = snapshot(t, RemediationTask.audit_fields)
    t.status = TaskStatus.IN_PROGRESS
    save_and_record(actor, "infosec.task.start", t, before=before)
    return t


def _refresh_residual(task: RemediationTask, vulnerability_ids: list[int]) -> int:
    changed = residual.refresh_for_vulnerabilities(vulnerability_ids)
    if task.recommendation_id is not None:
        rec = Recommendation.objects.select_related("assessment").get(pk=task.recommendation_id)
        changed += residual.refresh(rec.assessment, rec.scenarios.values_list("pk", flat=True))
    return changed


@transaction.atomic
def do_close_task(
    actor: Any, task: RemediationTask, evidence: str, *, version: int | None = None
) -> RemediationTask:
    """整改完成 with its evidence. A technical task on a vulnerability closes that
    vulnerability too (its risks are eliminated from the residual register); the
    residual risk of what the task lowers is recomputed."""
    access.require(actor, task, "change")
    t = _locked(task, version)
    _require_open_task(t)
    evidence = (evidence or "").strip()
    if not evidence:
        raise ActionError(_("请填写整改证据（做了什么、如何验证）"), field="evidence")
    before = snapshot(t, RemediationTask.audit_fields)
    now = timezone.now()
    t.status = TaskStatus.DONE
    t.evidence = evidence
    t.closed_at = now
    t.closed_by = actor
    bumped: list[int] = []
    if t.vulnerability_id is not None and t.kind == "technical":
        v = Vulnerability.objects.select_for_update().get(pk=t.vulnerability_id)
        if v.status == VulnStatus.OPEN:
            v.status = VulnStatus.CLOSED
            v.status_note = _("整改任务“%(t)s”已完成") % {"t": t.title}
            v.status_by = actor
            v.status_at = now
            v.closed_at = now
            v.version += 1
            v.save(
                update_fields=[
                    "status",
                    "status_note",
                    "status_by",
                    "status_at",
                    "closed_at",
                    "version",
                ]
            )
            bumped.append(v.pk)
    bump(t)
    changed = _refresh_residual(t, bumped or ([t.vulnerability_id] if t.vulnerability_id else []))
    record(
        actor,
        "infosec.task.close",
        t,
        before=before,
        after={
            **snapshot(t, RemediationTask.audit_fields),
            "vulnerability_closed": bumped,
            "residual_changed": changed,
        },
    )
    return t


@transaction.atomic
def do_cancel_task(
    actor: Any, task: RemediationTask, reason: str, *, version: int | None = None
) -> RemediationTask:
    access.require(actor, task, "change")
    t = _locked(task, version)
    _require_open_task(t)
    reason = (reason or "").strip()
    if not reason:
        raise ActionError(_("请填写撤销理由"), field="reason")
    before = snapshot(t, RemediationTask.audit_fields)
    t.status = TaskStatus.CANCELLED
    t.evidence = _("撤销理由：%(r)s") % {"r": reason}
    t.closed_at = timezone.now()
    t.closed_by = actor
    save_and_record(actor, "infosec.task.cancel", t, before=before)
    if t.recommendation_id is not None:
        _refresh_residual(t, [])
    return t
