"""GET /api/supervision/dashboard: the dashboard's figures (the same `figures` as the
page), scoped to what the caller may see, with when they were computed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Schema

from fengping.supervision import dashboard as db

from . import router


class SvDashboardFilters(Schema):
    year: int | None = None
    department: int | None = None


class SvDashboardItem(Schema):
    code: Any
    label: str
    value: int
    url: str
    screened: int | None = None


class SvDashboardChart(Schema):
    key: str
    title: str
    kind: str
    empty: bool
    items: list[SvDashboardItem]


class SvDashboardOut(Schema):
    computed_at: dt.datetime
    year: int | None
    department: int | None
    charts: list[SvDashboardChart]


@router.get("/dashboard", response=SvDashboardOut)
def dashboard(request: HttpRequest, filters: Query[SvDashboardFilters]) -> dict[str, Any]:
    f = db.parse_filters(request.user, filters.year, filters.department)
    data, at = db.figures(request.user, f)
    return {
        "computed_at": at,
        "year": f.year,
        "department": f.department.pk if f.department is not None else None,
        "charts": data["charts"],
    }
