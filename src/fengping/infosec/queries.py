"""Reads of the infosec app: the system or assessment a URL or API path names, through
the one scoping function (404 outside the user's scope, 403 to a reader asked to change)."""

from __future__ import annotations

from typing import Any

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
