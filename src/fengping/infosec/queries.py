"""Reads of the infosec app: the system or assessment a URL or API path names, through
the one scoping function (404 outside the user's scope, 403 to a reader asked to change)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, Max, OuterRef, QuerySet

from fengping.org import access
from fengping.org.access import Need

from .models import System, SystemAssessment


def system_for(user: Any, pk: Any, need: Need = "view") -> System:
    return access.get_for_user(user, System.objects.select_related("department"), pk, need)


def assessment_for(user: Any, pk: Any, need: Need = "view") -> SystemAssessment:
    return access.get_for_user(
        user,
        SystemAssessment.objects.select_related("system__department", "started_by"),
        pk,
        need,
    )


def latest_assessment_ids() -> QuerySet[Any]:
    """The id of each system's latest assessment, as a subquery: the one an estate-wide
    view of risk reads (the 风险清单（全部系统） list and the dashboard's risk levels, so a
    slice and the list behind it count the same scenarios). Assessments are numbered as
    they start (`started_at` is always the moment of starting), so the latest is the
    highest id; an assessment started but not yet computed has no scenarios yet."""
    return (
        SystemAssessment.objects.order_by().values("system").annotate(last=Max("id")).values("last")
    )


def later_assessment() -> Exists:
    """For a query of scenarios: whether the scenario's system has an assessment started
    after the scenario's own (`~later_assessment()` keeps the latest assessments' rows,
    the same set as `latest_assessment_ids`). Written per row — NOT EXISTS on the index
    of assessments by system — so a list can read scenarios in its own index order."""
    return Exists(
        SystemAssessment.objects.filter(
            system_id=OuterRef("assessment__system_id"), id__gt=OuterRef("assessment_id")
        )
    )
