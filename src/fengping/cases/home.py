"""Home-page cards of the cases app (`core.registry.home_cards`): for the organs the user
sees, the flagged cases of each organ's latest monthly screening still awaiting the
逐案分析研判, and the cases whose assessed risk is not resolved (二2: they may not be
adjudicated). Two counting queries whatever the number of organs or cases; a user who
sees no organ gets no cards."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from fengping.core.registry import home_cards
from fengping.org import access

from .models import Case, OrganProfile, RunStatus, ScreeningResult, ScreeningRun, TargetDecision


def _url(name: str, fallback: str, query: str = "") -> str:
    """The page of another area of the app if it is there, else `fallback`."""
    try:
        return reverse(name) + query
    except NoReverseMatch:
        return fallback


def awaiting_decision(user: Any) -> int:
    """Flagged results of each visible organ's latest completed run without a decision."""
    latest = (
        ScreeningRun.objects.filter(organ_id=OuterRef("run__organ_id"), status=RunStatus.DONE)
        .order_by("-month")
        .values("pk")[:1]
    )
    decided = TargetDecision.objects.filter(run_id=OuterRef("run_id"), case_id=OuterRef("case_id"))
    return (
        access.visible(user, ScreeningResult.objects.all())
        .filter(flagged=True, run_id=Subquery(latest))
        .exclude(Exists(decided))
        .count()
    )


def case_cards(user: Any) -> list[dict[str, Any]]:
    if not access.visible(user, OrganProfile.objects.all()).exists():
        return []
    waiting = awaiting_decision(user)
    risk_open = access.visible(user, Case.objects.filter(risk_open=True)).count()
    return [
        {
            "label": _("待研判案件"),
            "value": waiting,
            "url": _url("cases:screening", "/cases/"),
            "note": _("最近一次月度排查列入研判、尚未逐案研判"),
            "alert": waiting > 0,
        },
        {
            "label": _("风险未化解案件"),
            "value": risk_open,
            "url": _url("cases:list", "/cases/", "?risk_open=1"),
            "note": _("风险未化解的不得裁决"),
            "alert": risk_open > 0,
        },
    ]


home_cards.add(case_cards)
