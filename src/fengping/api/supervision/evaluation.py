"""年度考核 through the API: the runs an office's readers see (the page's list: the same
filters, sorts and paging, `supervision.evaluation_lists.RUNS`), computing a year (the
same action as the page), one run's ranking, a department's own scores (the filters of
`SCORES`) and one score with the evidence behind every point."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Schema, Status

from fengping.core import listing
from fengping.org import access
from fengping.org.models import Department
from fengping.supervision.actions import evaluation as actions
from fengping.supervision.evaluation_lists import RUNS, SCORES, visible_rows
from fengping.supervision.models import Evaluation, EvaluationRun
from fengping.supervision.views.evaluation import run_for

from . import router


class SvEvidenceOut(Schema):
    text: str
    url: str
    ok: bool


class SvEvaluationItemOut(Schema):
    code: str
    label: str
    metric: str
    kind: str
    points: float
    cap: float | None = None
    earned: float
    due: int = Field(..., description="应完成数（ratio）或扣分事项数（deduct）")
    done: int
    note: str = ""
    evidence: list[SvEvidenceOut]


class SvEvaluationRunOut(Schema):
    id: int
    office_id: int
    office: str
    year: int
    scheme_key: str
    scheme_version: str
    computed_by: str
    computed_at: dt.datetime
    provisional: bool = Field(..., description="年中：本年度尚未结束时计算")


class SvEvaluationRunListOut(SvEvaluationRunOut):
    latest: bool = Field(..., description="该考核机关该年度最近一次计算（否则为历史结果）")
    departments: int = Field(..., description="被考核单位数")


class SvEvaluationOut(Schema):
    id: int
    run_id: int
    year: int
    department_id: int
    department: str
    score: float
    rank: int
    items: list[SvEvaluationItemOut]


class SvEvaluationRunDetailOut(SvEvaluationRunOut):
    scores: list[SvEvaluationOut]


class SvEvaluationComputeIn(Schema):
    office_id: int = Field(..., description="考核机关（维稳办、联席办等）")
    year: int = Field(..., description="年度；本年度为年中情况，未来年度不可计算")


def _run_out(run: EvaluationRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "office_id": run.office_id,
        "office": run.office.name,
        "year": run.year,
        "scheme_key": run.scheme_key,
        "scheme_version": run.scheme_version,
        "computed_by": run.computed_by.username,
        "computed_at": run.computed_at,
        "provisional": run.is_provisional,
    }


def _score_out(e: Evaluation, year: int) -> dict[str, Any]:
    return {
        "id": e.pk,
        "run_id": e.run_id,
        "year": year,
        "department_id": e.department_id,
        "department": e.department.name,
        "score": float(e.score),
        "rank": e.rank,
        "items": e.items,
    }


SvEvaluationRunFilters = listing.api_filters(RUNS, "SvEvaluationRunFilters")


@router.get(
    "/evaluation/runs",
    response=listing.api_page_schema(SvEvaluationRunListOut, "SvEvaluationRunPage"),
)
def list_evaluation_runs(request: HttpRequest, filters: Query[SvEvaluationRunFilters]) -> Any:  # type: ignore[valid-type]
    """考核机关及督查可见的年度考核计算记录（默认年度新者在前），与页面同样的筛选、排序与分页。"""
    page = listing.api_page(RUNS, request.user, filters.model_dump())  # type: ignore[attr-defined]
    items = [
        {**_run_out(r), "latest": not r.superseded, "departments": r.n_departments or 0}
        for r in page["items"]
    ]
    return {**page, "items": items}


@router.post("/evaluation/runs", response={201: SvEvaluationRunOut})
def compute_evaluation(request: HttpRequest, payload: SvEvaluationComputeIn) -> Any:
    """计算一个年度的考核得分（每次生成新的一次计算结果）。"""
    office = get_object_or_404(
        access.visible(request.user, Department.objects.all()), pk=payload.office_id
    )
    run = actions.do_compute_evaluation(request.user, office, payload.year)
    run = EvaluationRun.objects.select_related("office", "computed_by").get(pk=run.pk)
    return Status(201, _run_out(run))


@router.get("/evaluation/runs/{evaluation_run_id}", response=SvEvaluationRunDetailOut)
def get_evaluation_run(request: HttpRequest, evaluation_run_id: int) -> Any:
    run, rows = run_for(request.user, evaluation_run_id)
    return {**_run_out(run), "scores": [_score_out(e, run.year) for e in rows]}


SvEvaluationScoreFilters = listing.api_filters(SCORES, "SvEvaluationScoreFilters")
SCORES_MAX = 1000


@router.get("/evaluation/scores", response=list[SvEvaluationOut])
def list_evaluation_scores(request: HttpRequest, filters: Query[SvEvaluationScoreFilters]) -> Any:  # type: ignore[valid-type]
    """可见的考核得分：部门只见本单位，督查机关见全部。筛选与排序同“年度考核得分”页面；
    返回列表，每页 1000 条（page 取其后各页）。"""
    params = filters.model_dump()  # type: ignore[attr-defined]
    page = listing.api_page(SCORES, request.user, params, per_page=SCORES_MAX)
    return [_score_out(e, e.run.year) for e in page["items"]]


@router.get("/evaluation/scores/{evaluation_id}", response=SvEvaluationOut)
def get_evaluation_score(request: HttpRequest, evaluation_id: int) -> Any:
    e = access.get_for_user(request.user, visible_rows(request.user), evaluation_id)
    return _score_out(e, e.run.year)
