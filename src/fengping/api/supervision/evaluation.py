"""年度考核 through the API: the runs an office's readers see, computing a year (the same
action as the page), one run's ranking, a department's own scores and one score with
the evidence behind every point."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Schema, Status

from fengping.org import access
from fengping.org.models import Department
from fengping.supervision.actions import evaluation as actions
from fengping.supervision.models import Evaluation, EvaluationRun
from fengping.supervision.views.evaluation import run_for, visible_rows, visible_runs

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


@router.get("/evaluation/runs", response=list[SvEvaluationRunOut])
def list_evaluation_runs(request: HttpRequest, year: int | None = None) -> Any:
    """考核机关及督查可见的年度考核计算记录（最新在前）。"""
    runs = visible_runs(request.user).order_by("-year", "-id")
    if year is not None:
        runs = runs.filter(year=year)
    return [_run_out(r) for r in runs[:500]]


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


@router.get("/evaluation/scores", response=list[SvEvaluationOut])
def list_evaluation_scores(request: HttpRequest, year: int | None = None) -> Any:
    """可见的考核得分：部门只见本单位，督查机关见全部。"""
    rows = visible_rows(request.user).order_by("-run__year", "-run_id", "rank")
    if year is not None:
        rows = rows.filter(run__year=year)
    return [_score_out(e, e.run.year) for e in rows[:1000]]


@router.get("/evaluation/scores/{evaluation_id}", response=SvEvaluationOut)
def get_evaluation_score(request: HttpRequest, evaluation_id: int) -> Any:
    e = access.get_for_user(request.user, visible_rows(request.user), evaluation_id)
    return _score_out(e, e.run.year)
