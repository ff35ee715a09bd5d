"""The monthly progress report (工作进展情况报告表, 篇3 六(一): 每月20日前上报工作进展情况
报告表) of each responsible department, filed with the 维稳办.

A work role of the department creates the month's report (one per department and month,
never for a month to come), whose figures are pulled from the data of the department and
its sub-departments (`supervision.figures`); it corrects figures (the pulled value is
kept beside the correction), writes the narrative and submits it — late when after the
due day (the 20th, moved off a holiday: deadline `monthly_progress`). A member of the
维稳办 acting for it (OFFICE_ROLES), who is neither the submitter nor a member of the
department, returns it with a reason (editable and re-submittable again) or
acknowledges it (签收), which locks it.

The source does not name the report's recipient; the annual plan goes to the 镇维稳办, so
the report does too ([D]): the stability office of the department's organisation nearest
to it (`stability_office`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import save_and_record, snapshot
from fengping.core.concurrency import lock
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import WORK_ROLES, Department, DepartmentKind

from .. import deadlines
from .. import figures as figs
from ..models import OFFICE_ROLES, MonthlyReport, ReportStatus

DEADLINE = "monthly_progress"
MAX_FIGURE = 10**9

LABELS = {
    "supervision.report.create": gettext_lazy("编制月度工作进展情况报告表"),
    "supervision.report.refresh": gettext_lazy("重新提取月度报告数据"),
    "supervision.report.update": gettext_lazy("修改月度工作进展情况报告表"),
    "supervision.report.submit": gettext_lazy("上报月度工作进展情况报告表"),
    "supervision.report.return": gettext_lazy("退回月度工作进展情况报告表"),
    "supervision.report.acknowledge": gettext_lazy("签收月度工作进展情况报告表"),
}

RELATED = ("department", "office", "submitted_by", "acknowledged_by")


def parse_month(text: str) -> dt.date:
    """'YYYY-MM' (or a date in the month) -> the month's first day."""
    try:
        year, month = str(text).strip()[:7].split("-")
        return dt.date(int(year), int(month), 1)
    except ValueError:
        raise ActionError(_("月份应为 YYYY-MM，例如 2026-11"), field="month") from None


def stability_office(department: Department) -> Department | None:
    """The 维稳办 the department reports to: of the stability offices in its organisation,
    the one whose parent is the department's nearest ancestor (a town's own office before
    the county's); None when the organisation has none."""
    root = department.path.split("/", 1)[0] + "/"
    offices = list(
        Department.objects.filter(
            kind=DepartmentKind.STABILITY_OFFICE, is_active=True, path__startswith=root
        ).order_by("-depth", "path")
    )

    def reach(office: Department) -> int:
        parent = office.path.rstrip("/").rsplit("/", 1)[0] + "/"
        return len(parent) if department.path.startswith(parent) else -1

    best = max(offices, key=reach, default=None)
    return best if best is not None and reach(best) >= 0 else None


def due_on(month: dt.date) -> dt.date:
    """The day the month's report is due (the 20th, moved off a holiday)."""
    return deadlines.monthly_due(DEADLINE, month)[1]


# -- who may act --------------------------------------------------------------------------


def may_create_for(user: Any, department: Department) -> bool:
    return access.can_change_under(user, department.path, WORK_ROLES)


def office_refusal(user: Any, report: MonthlyReport) -> str:
    """Why `user` may not return or acknowledge the report for the office ('' if they may):
    only a member of the 维稳办 acting for it, never the submitter nor a member of the
    reporting department (or a department under it)."""
    if report.office_id is None:
        return _("该单位所在组织未设维稳办，无法签收。")
    if user.pk is not None and user.pk == report.submitted_by_id:
        return _("上报人不能签收或退回自己上报的报告。")
    scope = access.scope_of(user)
    if not scope.everything:
        own = report.department.path
        if any(p.startswith(own) for paths in scope.role_paths.values() for p in paths):
            return _("本单位人员不能签收或退回本单位的报告。")
    if not scope.covers(report.office.path, "change", OFFICE_ROLES):
        return _("只有%(office)s的人员可以签收或退回月度报告。") % {"office": report.office}
    return ""


def require_office(user: Any, report: MonthlyReport) -> None:
    if message := office_refusal(user, report):
        raise PermissionDenied(message)


def edit_refusal(report: MonthlyReport) -> str:
    if report.status == ReportStatus.ACKNOWLEDGED:
        return _("报告已签收，不能再修改。")
    if report.status == ReportStatus.SUBMITTED:
        return _("报告已上报，等待签收；退回后才能修改。")
    return ""


def _refuse_if(message: str, field: str | None = None) -> None:
    if message:
        raise ActionError(message, field=field)


def _lock(report: MonthlyReport, version: int | None) -> MonthlyReport:
    return lock(report, version, related=RELATED)


def _apply_pull(report: MonthlyReport, pulled: dict[str, Any], now: dt.datetime) -> None:
    """Take a new pull: figures the department corrected keep their correction, the rest
    take the new values."""
    old = report.figures_pulled or {}
    current = report.figures or {}
    values: dict[str, int] = {}
    for key, row in pulled.items():
        before = old.get(key, {}).get("value")
        if key in current and before is not None and current[key] != before:
            values[key] = current[key]
        else:
            values[key] = row["value"]
    report.figures_pulled = pulled
    report.figures = values
    report.figures_at = now


# -- the actions --------------------------------------------------------------------------


def do_create_report(actor: Any, department: Department, month: dt.date | str) -> MonthlyReport:
    if not may_create_for(actor, department):
        raise PermissionDenied(_("只有本单位的工作人员可以编制月度报告。"))
    if isinstance(month, str):
        month = parse_month(month)
    month = month.replace(day=1)
    today = timezone.localdate()
    if month > today.replace(day=1):
        raise ActionError(_("不能为尚未到来的月份编制报告。"), field="month")
    with transaction.atomic():
        if MonthlyReport.objects.filter(department=department, month=month).exists():
            raise ActionError(
                _("%(dept)s%(y)s年%(m)s月的报告已经存在。")
                % {"dept": department.name, "y": month.year, "m": month.month},
                field="month",
            )
        now = timezone.now()
        report = MonthlyReport(
            department=department,
            month=month,
            office=stability_office(department),
            due_on=due_on(month),
            created_by=actor,
        )
        _apply_pull(report, figs.pull(department, month, now), now)
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:
            raise ActionError(
                _("%(dept)s%(y)s年%(m)s月的报告已经存在。")
                % {"dept": department.name, "y": month.year, "m": month.month},
                field="month",
            ) from None
        save_and_record(actor, "supervision.report.create", report)
    return report


def do_refresh_figures(actor: Any, report: MonthlyReport, *, version: int) -> MonthlyReport:
    with transaction.atomic():
        report = _lock(report, version)
        access.require(actor, report, "change")
        _refuse_if(edit_refusal(report))
        before = snapshot(report, MonthlyReport.audit_fields)
        now = timezone.now()
        _apply_pull(report, figs.pull(report.department, report.month, now), now)
        save_and_record(actor, "supervision.report.refresh", report, before=before)
    return report


def do_update_report(
    actor: Any,
    report: MonthlyReport,
    *,
    version: int,
    figures: dict[str, int] | None = None,
    work_done: str | None = None,
    problems: str | None = None,
    next_steps: str | None = None,
) -> MonthlyReport:
    """Correct figures (keys of the pull; the pulled value stays beside the correction)
    and write the narrative. Fields left None are kept."""
    with transaction.atomic():
        report = _lock(report, version)
        access.require(actor, report, "change")
        _refuse_if(edit_refusal(report))
        before = snapshot(report, MonthlyReport.audit_fields)
        if figures:
            known = report.figures_pulled or {}
            values = dict(report.figures or {})
            for key, value in figures.items():
                if key not in known:
                    raise ActionError(
                        _("报告中没有数据项“%(key)s”。") % {"key": key}, field="figures"
                    )
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ActionError(
                        _("“%(label)s”应为整数。") % {"label": known[key]["label"]},
                        field="figures",
                    )
                if not 0 <= value <= MAX_FIGURE:
                    raise ActionError(
                        _("“%(label)s”应为不小于0的整数。") % {"label": known[key]["label"]},
                        field="figures",
                    )
                values[key] = value
            report.figures = values
        for name, value in (
            ("work_done", work_done),
            ("problems", problems),
            ("next_steps", next_steps),
        ):
            if value is not None:
                setattr(report, name, value.strip())
        save_and_record(actor, "supervision.report.update", report, before=before)
    return report


def do_submit_report(actor: Any, report: MonthlyReport, *, version: int) -> MonthlyReport:
    """Submit (again, after a return). Late when the first submission came after the due
    day; a resubmission after a return keeps the first one's flag."""
    with transaction.atomic():
        report = _lock(report, version)
        access.require(actor, report, "change")
        _refuse_if(edit_refusal(report))
        _refuse_if(
            "" if report.work_done.strip() else _("请填写工作开展情况后再上报。"), "work_done"
        )
        before = snapshot(report, MonthlyReport.audit_fields)
        now = timezone.now()
        if report.submitted_at is None:
            report.late = timezone.localtime(now).date() > report.due_on
        report.status = ReportStatus.SUBMITTED
        report.submitted_by, report.submitted_at = actor, now
        save_and_record(actor, "supervision.report.submit", report, before=before)
    return report


def _office_step(report: MonthlyReport, actor: Any, version: int) -> MonthlyReport:
    report = _lock(report, version)
    # Acting for the office it was sent to is the right to sign it (an office clerk sees
    # no department's reports by role, only those sent to the office).
    require_office(actor, report)
    if report.status != ReportStatus.SUBMITTED:
        raise ActionError(
            _("只有已上报、待签收的报告可以签收或退回（当前：%(s)s）。")
            % {"s": report.get_status_display()}
        )
    return report


def do_return_report(
    actor: Any, report: MonthlyReport, *, version: int, reason: str
) -> MonthlyReport:
    reason = (reason or "").strip()
    with transaction.atomic():
        report = _office_step(report, actor, version)
        _refuse_if("" if reason else _("请填写退回原因。"), "reason")
        before = snapshot(report, MonthlyReport.audit_fields)
        report.status = ReportStatus.RETURNED
        report.return_reason = reason[:300]
        save_and_record(actor, "supervision.report.return", report, before=before)
    return report


def do_acknowledge_report(actor: Any, report: MonthlyReport, *, version: int) -> MonthlyReport:
    with transaction.atomic():
        report = _office_step(report, actor, version)
        before = snapshot(report, MonthlyReport.audit_fields)
        report.status = ReportStatus.ACKNOWLEDGED
        report.acknowledged_by, report.acknowledged_at = actor, timezone.now()
        save_and_record(actor, "supervision.report.acknowledge", report, before=before)
    return report
