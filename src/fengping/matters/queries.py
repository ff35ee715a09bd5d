"""Reads of matters: the list with its filters, always through org.access."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

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
