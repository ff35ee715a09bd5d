"""The 征求意见 card on the matter page (core.registry.matter_panels)."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from fengping.core.registry import matter_panels

from .models import ResponseTally, Stance


def opinions_panel(request: Any, matter: Any) -> dict[str, Any] | None:
    # Two small aggregates (the responses' from their counters), not the full summary
    # (which also extracts keywords).
    counts = dict(
        ResponseTally.objects.filter(questionnaire__matter=matter)
        .order_by()
        .values("stance")
        .annotate(n=Sum("count"))
        .values_list("stance", "n")
    )
    total = sum(counts.values())
    with_stance = sum(n for stance, n in counts.items() if stance)
    unanswered = matter.opinion_comments.filter(is_query=True, replied_at__isnull=True).count()
    if with_stance:
        value = _("答卷 %(n)s 份 · 支持率 %(r).1f%%") % {
            "n": total,
            "r": counts.get(Stance.SUPPORT, 0) * 100 / with_stance,
        }
    else:
        value = _("答卷 %(n)s 份") % {"n": total}
    return {
        "label": _("征求意见"),
        "value": value,
        "note": _("待回复质疑 %(n)s 条") % {"n": unanswered}
        if unanswered
        else _("问卷、座谈、听证、意见与回复"),
        "url": reverse("opinions:matter", args=[matter.pk]),
    }


matter_panels.add(opinions_panel)
