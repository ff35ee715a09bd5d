"""Reads of the cases app: the object a URL or API path names, through the one scoping
function (404 outside the user's scope, 403 to a reader asked to change)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.access import Need

from .models import Case, CaseAssessment, LevelChange, OrganProfile, ScreeningRun


def case_for(user: Any, pk: Any, need: Need = "view") -> Case:
    return access.get_for_user(user, Case.objects.select_related("organ", "handler"), pk, need)


def assessment_for(user: Any, pk: Any, need: Need = "view") -> CaseAssessment:
    return access.get_for_user(
        user,
        CaseAssessment.objects.select_related("case__organ", "case__handler", "started_by"),
        pk,
        need,
    )


def run_for(user: Any, pk: Any, need: Need = "view") -> ScreeningRun:
    return access.get_for_user(user, ScreeningRun.objects.select_related("organ"), pk, need)


def organ_for(user: Any, pk: Any, need: Need = "view") -> OrganProfile:
    """An organ's profile by its department's pk (404 when the department has none or lies
    outside the user's scope)."""
    qs = OrganProfile.objects.select_related("department")
    try:
        profile_pk = qs.filter(department_id=int(pk)).values_list("pk", flat=True).first()
    except (TypeError, ValueError):
        profile_pk = None
    return access.get_for_user(user, qs, profile_pk or 0, need)


def profile_of(case: Case) -> OrganProfile:
    """The organ profile of a case's organ (every organ with cases has one; a refusal
    otherwise)."""
    profile = (
        OrganProfile.objects.select_related("department")
        .filter(department_id=case.organ_id)
        .first()
    )
    if profile is None:
        raise ActionError(_("该政法单位尚未设置办案风险评估"))
    return profile


def level_change_for(user: Any, pk: Any, need: Need = "view") -> LevelChange:
    return access.get_for_user(
        user,
        LevelChange.objects.select_related("assessment__case__organ", "proposed_by", "decided_by"),
        pk,
        need,
    )
