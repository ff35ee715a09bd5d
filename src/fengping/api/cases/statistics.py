"""The statistics of the cases app as JSON: the same figures as the statistics page
(`cases.statistics.report`), for the organs the caller sees."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Schema

from fengping.cases import statistics as st

from . import router


class FigureOut(Schema):
    code: str
    label: str


class MonthCell(Schema):
    month: str
    screened: int
    flagged: int
    assessed: int
    resolved: int
    adjudicated: int
    petitions: int
    petitions_followed: int


class Totals(Schema):
    screened: int
    flagged: int
    assessed: int
    resolved: int
    adjudicated: int
    petitions: int
    petitions_followed: int


class StatsOrganOut(Schema):
    id: int
    name: str
    months: list[MonthCell]
    total: Totals


class MonthlyOut(Schema):
    first: str
    last: str
    months: list[str]
    figures: list[FigureOut]
    organs: list[StatsOrganOut]
    by_month: list[MonthCell]
    total: Totals


class StatsCriterionOut(Schema):
    code: str
    label: str
    flagged: int
    petitioned: int
    share: float | None = None


class RunRef(Schema):
    id: int
    organ: int
    month: str
    as_of: str


class CriteriaOut(Schema):
    run: int | None = None
    runs: list[RunRef]
    window_days: int
    open_runs: int
    criteria: list[StatsCriterionOut]
    overall: StatsCriterionOut


class StatisticsOut(Schema):
    organ: int | None = None
    monthly: MonthlyOut
    criteria: CriteriaOut


@router.get("/statistics/", response=StatisticsOut)
def statistics(
    request: HttpRequest,
    first: str = "",
    last: str = "",
    organ: int | None = None,
    run: int | None = None,
    window: int = st.DEFAULT_WINDOW,
) -> Any:
    """办案风险评估统计：按政法单位和月份（first/last 为 YYYY-MM，默认最近 12 个月）的排查、
    列入研判、启动评估、风险化解、裁决和信访数；按排查规则（run 为某次排查，缺省为所选
    月份的全部排查）列入研判的案件数及排查日后 window 日内有信访的案件数和比例。只统计
    调用者有权查看的单位；organ 或 run 不在其范围内时为 404。"""
    return st.report(
        request.user, first=first, last=last, organ=organ, run=run, window=window
    ).as_dict()
