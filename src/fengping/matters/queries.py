"""Reads of matters, always through org.access (the list itself is `lists.MATTERS`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from fengping.org import access

from .models import Matter


def visible_matters(user: Any) -> QuerySet[Matter]:
    return access.visible(user, Matter.objects.all()).select_related(
        "department", "lead_department"
    )


def year_options(user: Any) -> list[int]:
    """From the earliest to the latest year on record, newest first: two look-ups on the
    year index over the whole table (within the user's scope the bounds would take a scan
    of every visible matter; a year holding none of theirs just lists nothing)."""
    years = Matter.objects.order_by().values_list("year", flat=True)
    this_year = timezone.localdate().year
    first = years.order_by("year").first() or this_year
    last = max(years.order_by("-year").first() or this_year, this_year)
    return list(range(last, first - 1, -1))
