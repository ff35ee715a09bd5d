"""Reads of matters, always through org.access (the list itself is `lists.MATTERS`)."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from fengping.org import access

from .models import Matter


def visible_matters(user: Any) -> QuerySet[Matter]:
    return access.visible(user, Matter.objects.all()).select_related(
        "department", "lead_department"
    )


def year_options(user: Any) -> list[int]:
    """From the earliest to the latest year on record (two index look-ups), newest first."""
    bounds = visible_matters(user).aggregate(first=Min("year"), last=Max("year"))
    this_year = timezone.localdate().year
    first = bounds["first"] or this_year
    last = max(bounds["last"] or this_year, this_year)
    return list(range(last, first - 1, -1))
