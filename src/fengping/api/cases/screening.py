"""月度排查 through the API: the runs one may see, one run with its per-criterion counts,
running an organ's month now, a run's results (filters level / change / criterion /
flagged, keyset pages), the 逐案分析研判 work list and the decision on a flagged case. The
same actions as the pages (cases.actions.screening)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status

from fengping.cases import screening as sc
from fengping.cases.actions import screening as actions
from fengping.cases.models import ScreeningResult, ScreeningRun
from fengping.cases.queries import organ_for, run_for
from fengping.cases.views.screening import RESULTS, RUNS, WORKLIST
from fengping.core import listing
from fengping.core.errors import ActionError
from fengping.org import access

from . import router


class ScreeningCriterionOut(Schema):
    code: str
    label: str
    weight: float
    category: str | None = None
    hard_trigger: bool = False
    fired: int | None = Field(None, description="触发案件数")
    flagged: int | None = Field(None, description="其中列入研判数")


class GradeOut(Schema):
    code: str
    label: str
    severity: int
    colour: str = ""


class RunOut(Schema):
    id: int
    organ_id: int
    organ: str
    month: str = Field(..., description="YYYY-MM")
    as_of: dt.date
    status: str
    criteria_version: str
    scheme_key: str
    scheme_version: str
    flag_at: str
    screened: int
    flagged: int
    new: int
    raised: int
    lowered: int
    cleared: int
    previous_id: int | None
    started_by: str | None = Field(None, description="发起人用户名；空为定时任务")
    started_at: dt.datetime
    duration_ms: int


class RunDetailOut(RunOut):
    criteria: list[ScreeningCriterionOut]
    grades: list[GradeOut]
    undecided: int = Field(..., description="待研判案件数")


class ResultOut(Schema):
    id: int
    case_id: int
    case_number: str
    case_title: str
    score: float
    level: str
    level_label: str
    severity: int
    flagged: bool
    fired: list[str] = Field(..., description="触发的规则代码")
    fired_labels: list[str]
    previous_severity: int | None
    change: str


class RunIn(Schema):
    month: str = Field("", description="YYYY-MM，默认本月")


class TargetDecideIn(Schema):
    choice: str = Field(..., description="target 列为评估对象 / not_target 不列为评估对象")
    reason: str = Field("", max_length=4000, description="理由（不列为评估对象时必填）")


class TargetDecisionOut(Schema):
    id: int
    run_id: int
    case_id: int
    choice: str
    reason: str
    decided_by: str
    decided_at: dt.datetime
    assessment_id: int | None


def _run_out(run: ScreeningRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "organ_id": run.organ_id,
        "organ": run.organ.name,
        "month": f"{run.month:%Y-%m}",
        "as_of": run.as_of,
        "status": run.status,
        "criteria_version": run.criteria_version,
        "scheme_key": run.scheme_key,
        "scheme_version": run.scheme_version,
        "flag_at": run.flag_at,
        "screened": run.screened,
        "flagged": run.flagged,
        "new": run.new,
        "raised": run.raised,
        "lowered": run.lowered,
        "cleared": run.cleared,
        "previous_id": run.previous_id,
        "started_by": run.started_by.username if run.started_by_id else None,
        "started_at": run.started_at,
        "duration_ms": run.duration_ms,
    }


def _result_out(run: ScreeningRun, r: ScreeningResult) -> dict[str, Any]:
    return {
        "id": r.pk,
        "case_id": r.case_id,
        "case_number": r.case.number,
        "case_title": r.case.title,
        "score": r.score,
        "level": r.level,
        "level_label": sc.grade_of(run, r.level)["label"],
        "severity": r.severity,
        "flagged": r.flagged,
        "fired": [c["code"] for i, c in enumerate(run.criteria) if r.fired >> i & 1],
        "fired_labels": sc.fired_labels(run, r.fired),
        "previous_severity": r.previous_severity,
        "change": r.change,
    }


RunFilters = listing.api_filters(RUNS, "CaseScreeningRunFilters")


@router.get("/screening/runs", response=listing.api_page_schema(RunOut, "CaseScreeningRunPage"))
def list_runs(request: HttpRequest, filters: Query[RunFilters]) -> Any:  # type: ignore[valid-type]
    """可见的月度排查（按月份倒序），可按政法单位（organ=部门 id）筛选。"""
    page = listing.api_page(RUNS, request.user, filters.model_dump())  # type: ignore[attr-defined]
    page["items"] = [_run_out(r) for r in page["items"]]
    return page


@router.get("/screening/runs/{run_id}", response=RunDetailOut)
def get_run(request: HttpRequest, run_id: int) -> Any:
    run = run_for(request.user, run_id)
    return {
        **_run_out(run),
        "criteria": sc.criterion_counts(run),
        "grades": run.grades,
        "undecided": sc.work_list(run).count(),
    }


@router.post("/screening/organs/{organ_id}/runs", response={201: RunOut})
def start_run(request: HttpRequest, organ_id: int, payload: RunIn) -> Any:
    """立即排查一个政法单位的全部案件（再次排查同一月份将替换该月结果）。"""
    profile = organ_for(request.user, organ_id)
    if not actions.may_run(request.user, profile.department):
        raise PermissionDenied(_("您没有对该单位进行月度排查的权限"))
    try:
        month = sc.parse_month(payload.month) if payload.month else timezone.localdate()
    except ValueError as exc:
        raise ActionError(str(exc), field="month") from None
    run = actions.do_run_screening(request.user, profile, month)
    return Status(201, _run_out(run))


ResultFilters = listing.api_filters(RESULTS, "CaseScreeningResultFilters")


@router.get(
    "/screening/runs/{run_id}/results",
    response=listing.api_page_schema(ResultOut, "CaseScreeningResultPage"),
)
def list_results(request: HttpRequest, run_id: int, filters: Query[ResultFilters]) -> Any:  # type: ignore[valid-type]
    """一次排查的结果（触发了至少一条规则的案件），可按等级、变化、触发规则、是否列入研判筛选。"""
    run = run_for(request.user, run_id)
    page = listing.api_page(RESULTS, request.user, filters.model_dump(), run)  # type: ignore[attr-defined]
    page["items"] = [_result_out(run, r) for r in page["items"]]
    return page


WorklistFilters = listing.api_filters(WORKLIST, "CaseScreeningWorklistFilters")


@router.get(
    "/screening/runs/{run_id}/worklist",
    response=listing.api_page_schema(ResultOut, "CaseScreeningWorklistPage"),
)
def list_worklist(request: HttpRequest, run_id: int, filters: Query[WorklistFilters]) -> Any:  # type: ignore[valid-type]
    """逐案分析研判：本次排查列入研判、尚未作出研判结论的案件。"""
    run = run_for(request.user, run_id)
    page = listing.api_page(WORKLIST, request.user, filters.model_dump(), run)  # type: ignore[attr-defined]
    page["items"] = [_result_out(run, r) for r in page["items"]]
    return page


@router.post("/screening/results/{result_id}/decision", response={201: TargetDecisionOut})
def decide(request: HttpRequest, result_id: int, payload: TargetDecideIn) -> Any:
    """研判结论：target 列为评估对象（开始办案风险评估，已有未化解的评估则沿用），
    not_target 不列为评估对象（须说明理由）。同一次排查对同一案件只能研判一次。"""
    result = access.get_for_user(
        request.user, ScreeningResult.objects.select_related("run__organ", "case"), result_id
    )
    decision = actions.do_decide_target(
        request.user, result.run, result.case, payload.choice, payload.reason
    )
    return Status(
        201,
        {
            "id": decision.pk,
            "run_id": decision.run_id,
            "case_id": decision.case_id,
            "choice": decision.choice,
            "reason": decision.reason,
            "decided_by": request.user.username,
            "decided_at": decision.decided_at,
            "assessment_id": decision.assessment_id,
        },
    )
