"""Reads of matters: the list with its filters, always through org.access."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone

from fengping.org import access
from fengping.org.models import Department

from .models import Matter


def visible_matters(user: Any) -> QuerySet[Matter]:
    return access.visible(user, Matter.objects.all()).select_related(
        "department", "lead_department"
    )


def filtered(user: Any, params: Any) -> tuple[QuerySet[Matter], dict[str, str]]:
    """The list filters: q (title/description), status, grade, department, category, year."""
    qs = visible_matters(user)
    f = {
        k: (params.get(k) or "").strip()
        for k in ("q", "status", "grade", "department", "category", "year", "scheme")
    }
    if f["q"]:
        qs = qs.filter(Q(title__icontains=f["q"]) | Q(description__icontains=f["q"]))
    if f["status"]:
        qs = qs.filter(status=f["status"])
    if f["grade"]:
        qs = qs.filter(grade=f["grade"])
    if f["category"]:
        qs = qs.filter(category_code=f["category"])
    if f["scheme"]:
        qs = qs.filter(scheme_key=f["scheme"])
    if f["year"].isdigit():
        qs = qs.filter(year=int(f["year"]))
    if f["department"].isdigit():
        dept = access.get_for_user(user, Department, int(f["department"]))
        qs = qs.filter(department__path__startswith=dept.path)
    return qs, f


def category_options() -> list[tuple[str, str]]:
    """(code, label) of every category of the social-stability schemes, without duplicates."""
    from fengping.schemebook import registry

    seen: dict[str, str] = {}
    for entry in registry.entries():
        if entry.scheme.kind == "ssra":
            for group in entry.scheme.taxonomy.groups:
                for cat in group.categories:
                    seen.setdefault(cat.code, cat.label)
    return list(seen.items())


def grade_options() -> list[tuple[str, str]]:
    from fengping.schemebook import registry

    seen: dict[str, str] = {}
    for entry in registry.entries():
        if entry.scheme.kind == "ssra":
            for grade in entry.scheme.grades:
                seen.setdefault(grade.code, grade.label)
    return list(seen.items())


def year_options(user: Any) -> list[int]:
    """From the earliest to the latest year on record (two index look-ups), newest first."""
    bounds = visible_matters(user).aggregate(first=Min("year"), last=Max("year"))
    this_year = timezone.localdate().year
    first = bounds["first"] or this_year
    last = max(bounds["last"] or this_year, this_year)
    return list(range(last, first - 1, -1))
