"""The month calendar of the user's obligations: the grid is drawn on the server, each
obligation on its due day, statutory holidays and 调休 working days marked from the
Chinese statutory calendar (`deadlines.is_working_day`)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from fengping.core.policy import authenticated

from .. import deadlines
from .obligations import SCOPE_LABELS, SCOPES, scoped

MAX_PER_MONTH = 500


def parse_month(raw: str, today: dt.date) -> dt.date:
    """`YYYY-MM` (ASCII digits, years 1900–2999), else this month."""
    raw = (raw or "").strip()
    if len(raw) == 7 and raw[4] == "-" and raw[:4].isascii() and raw[5:].isascii():
        y, m = raw[:4], raw[5:]
        if y.isdigit() and m.isdigit() and 1900 <= int(y) <= 2999 and 1 <= int(m) <= 12:
            return dt.date(int(y), int(m), 1)
    return today.replace(day=1)


def shift_month(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_grid(
    month: dt.date, today: dt.date, by_day: dict[dt.date, list[Any]]
) -> list[list[dict]]:
    """Weeks (Monday first) of day cells: date, in this month, today, a working day, a
    day off that is a weekday (法定节假日), a weekend working day (调休上班), obligations."""
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        cells = []
        for day in week:
            working = deadlines.is_working_day(day)
            cells.append(
                {
                    "date": day,
                    "in_month": day.month == month.month,
                    "today": day == today,
                    "working": working,
                    "holiday": not working and day.weekday() < 5,
                    "weekend": not working and day.weekday() >= 5,
                    "workday": working and day.weekday() >= 5,
                    "items": by_day.get(day, []),
                }
            )
        weeks.append(cells)
    return weeks


@authenticated
def month_calendar(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    month = parse_month(request.GET.get("month", ""), today)
    scope = request.GET.get("scope", "mine")
    if scope not in SCOPES:
        scope = "mine"
    first, last = calendar.monthrange(month.year, month.month)
    weeks_start = month - dt.timedelta(days=month.weekday())
    end = dt.date(month.year, month.month, last)
    weeks_end = end + dt.timedelta(days=6 - end.weekday())
    items = list(
        scoped(request.user, scope)
        .filter(due_on__gte=weeks_start, due_on__lte=weeks_end)
        .order_by("due_on", "id")[:MAX_PER_MONTH]
    )
    by_day: dict[dt.date, list[Any]] = {}
    for o in items:
        by_day.setdefault(o.due_on, []).append(o)
    return render(
        request,
        "supervision/obligations/calendar.html",
        {
            "month": month,
            "prev": f"{shift_month(month, -1):%Y-%m}",
            "next": f"{shift_month(month, 1):%Y-%m}",
            "this_month": f"{today:%Y-%m}",
            "weeks": month_grid(month, today, by_day),
            "weekdays": ["一", "二", "三", "四", "五", "六", "日"],
            "scope": scope,
            "scopes": [(s, SCOPE_LABELS[s]) for s in SCOPES],
            "calendar_known": deadlines.calendar_known(month.year),
            "truncated": len(items) >= MAX_PER_MONTH,
        },
    )


urlpatterns = [path("calendar/", month_calendar, name="calendar")]
