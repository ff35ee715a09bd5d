"""The monthly screening (篇4 四1) and the organ's 逐案分析研判 of the flagged cases:
running a month's screening of one organ, deciding whether a flagged case becomes a
评估对象, and the `fengping tick` job that screens every organ once a month."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record
from fengping.core.errors import ActionError
from fengping.core.tick import daily, register
from fengping.org import access

from ..models import (
    AssessmentStatus,
    Case,
    OrganProfile,
    ScreeningResult,
    ScreeningRun,
    StartReason,
    TargetChoice,
    TargetDecision,
)
from .assessments import do_start_assessment

LABELS = {
    "cases.screening.run": gettext_lazy("月度案件排查"),
    "cases.screening.decide": gettext_lazy("逐案分析研判"),
}


def may_run(actor: Any, organ: Any) -> bool:
    """The organ's 承办人/评估人员/领导 or an administrator over it."""
    return access.can_change_under(actor, organ.path, ScreeningRun.change_roles)


def organs_to_screen(actor: Any) -> list[OrganProfile]:
    """The organs ``actor`` may screen (every organ for the scheduled job, ``None``)."""
    profiles = list(OrganProfile.objects.select_related("department").order_by("department__path"))
    if actor is None:
        return profiles
    return [p for p in profiles if may_run(actor, p.department)]


def run_label(run: ScreeningRun) -> str:
    return f"{run.organ.name} {run.month:%Y-%m}"


def do_run_screening(actor: Any, profile: OrganProfile, month: dt.date) -> ScreeningRun:
    """Screen every case of the organ for ``month`` (again, if it was screened: the month's
    results are replaced; decisions already taken stay). ``actor`` None: `fengping tick`."""
    from ..screening import month_start, screen

    organ = profile.department
    if actor is not None and not may_run(actor, organ):
        raise PermissionDenied(_("您没有对该单位进行月度排查的权限"))
    month = month_start(month)
    if month > month_start(timezone.localdate()):
        raise ActionError(_("不能排查尚未到来的月份"), field="month")
    if profile.scheme().cases is None:
        raise ActionError(_("该单位的评估方案没有案件排查规则"))
    with transaction.atomic():
        again = ScreeningRun.objects.filter(organ=organ, month=month).exists()
        run = screen(profile, month, actor=actor)
        record(
            actor,
            "cases.screening.run",
            run,
            after={
                "month": f"{month:%Y-%m}",
                "as_of": run.as_of.isoformat(),
                "again": again,
                "criteria_version": run.criteria_version,
                "screened": run.screened,
                "flagged": run.flagged,
                "new": run.new,
                "raised": run.raised,
                "lowered": run.lowered,
                "cleared": run.cleared,
            },
            object_repr=run_label(run),
        )
    return run


def latest_run(organ_id: int) -> ScreeningRun | None:
    return ScreeningRun.objects.filter(organ_id=organ_id).order_by("-month").first()


def decide_refusal(run: ScreeningRun, result: ScreeningResult | None) -> str | None:
    """Why no 研判 can be recorded for this result of the run now, or None (the pages and
    the API show it; the action refuses on it)."""
    if result is None or not result.flagged:
        return _("该案件不在本次排查的研判名单中")
    latest = latest_run(run.organ_id)
    if latest is None or latest.pk != run.pk:
        return _("只能对本单位最近一次月度排查的结果进行研判")
    if TargetDecision.objects.filter(run=run, case_id=result.case_id).exists():
        return _("本次排查已对该案件作出研判结论")
    return None


@transaction.atomic
def do_decide_target(
    actor: Any, run: ScreeningRun, case: Case, choice: str, reason: str = ""
) -> TargetDecision:
    """逐案分析研判 of a flagged case: 列为评估对象 (an assessment starts, unless one is
    open already) or 不列为评估对象 (with the reason)."""
    access.require(actor, run, "change")
    run = (
        ScreeningRun.objects.select_for_update(of=("self",)).select_related("organ").get(pk=run.pk)
    )
    reason = (reason or "").strip()
    if choice not in TargetChoice.values:
        raise ActionError(_("请选择研判结论"), field="choice")
    result = ScreeningResult.objects.filter(run=run, case_id=case.pk).first()
    refusal = decide_refusal(run, result)
    if refusal:
        raise ActionError(refusal)
    if choice == TargetChoice.NOT_TARGET and not reason:
        raise ActionError(_("不列为评估对象须说明理由"), field="reason")
    assessment = None
    if choice == TargetChoice.TARGET:
        assessment = (
            case.assessments.filter(status=AssessmentStatus.OPEN).order_by("-started_at").first()
        )
        if assessment is None:
            assessment = do_start_assessment(actor, case, reason=StartReason.SCREENING, note=reason)
    decision = TargetDecision.objects.create(
        run=run,
        case=case,
        choice=choice,
        reason=reason,
        decided_by=actor,
        assessment=assessment,
    )
    record(
        actor,
        "cases.screening.decide",
        decision,
        after={
            "run": run_label(run),
            "case": case.number,
            "choice": choice,
            "reason": reason,
            "level": result.level if result else "",
            "assessment": assessment.pk if assessment else None,
        },
        object_repr=f"{case.number} {run.month:%Y-%m}",
        scope_path=run.organ.path,
    )
    return decision


@register("cases_monthly_screening", "办案风险月度排查", daily)
def monthly_screening() -> str:
    """On or after the scheme's screening day, screen every organ not screened this month."""
    today = timezone.localdate()
    month = today.replace(day=1)
    done = set(ScreeningRun.objects.filter(month=month).values_list("organ_id", flat=True))
    due, unreadable = [], []
    for profile in OrganProfile.objects.select_related("department").order_by("department__path"):
        if profile.department_id in done or not profile.department.is_active:
            continue
        try:
            section = profile.scheme().cases
        except LookupError:
            unreadable.append(f"{profile.department.code}: 评估方案“{profile.scheme_key}”不存在")
            continue
        if section is None or today.day < section.screening.day:
            continue
        due.append(profile)

    def run_one(profile: OrganProfile) -> ScreeningRun | str:
        try:
            return do_run_screening(None, profile, month)
        except Exception as exc:  # noqa: BLE001 - one organ's failure does not stop the others
            return f"{profile.department.code}: {type(exc).__name__}: {exc}"

    from ..screening import screen_organs

    outcomes = screen_organs(due, run_one)
    runs = [o for o in outcomes if isinstance(o, ScreeningRun)]
    failed = [*unreadable, *(o for o in outcomes if isinstance(o, str))]
    screened, flagged = len(runs), sum(r.flagged for r in runs)
    detail = f"screened {screened} organs, flagged {flagged} cases"
    if failed:
        detail += "; failed " + "; ".join(failed)
    return detail
