"""Home-page cards of matters: real counts over what the user may see."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from fengping.core.memo import Memo
from fengping.core.registry import home_cards
from fengping.org import access

from .models import MatterStatus
from .queries import visible_matters

COUNTS: Memo[dict[str, int]] = Memo()


def _counts(user: Any) -> dict[str, int]:
    return visible_matters(user).aggregate(
        total=Count("id"),
        assessing=Count("id", filter=Q(status=MatterStatus.ASSESSING)),
        reviewing=Count("id", filter=Q(status=MatterStatus.REVIEWING)),
        unassessed=Count("id", filter=Q(status=MatterStatus.REGISTERED, must_assess=True)),
    )


def matter_cards(user: Any) -> list[dict[str, Any]]:
    # Counting a city's matters by state grows with them: each worker counts a scope at
    # most once per FENGPING_HOME_COUNTS_SECONDS and the cards say when.
    scope = access.scope_of(user)
    counts, at = COUNTS.get(
        (scope.everything, scope.view_paths),
        settings.FENGPING_HOME_COUNTS_SECONDS,
        lambda: _counts(user),
    )
    as_of = _("统计于 %(t)s") % {"t": formats.time_format(timezone.localtime(at), "H:i")}
    return [
        {
            "label": _("评估事项"),
            "value": counts["total"],
            "url": "/matters/",
            "note": _("查看全部事项"),
            "as_of": as_of,
        },
        {
            "label": _("评估中"),
            "value": counts["assessing"],
            "url": f"/matters/?status={MatterStatus.ASSESSING}",
            "note": _("查看评估中的事项"),
        },
        {
            "label": _("报告审查中"),
            "value": counts["reviewing"],
            "url": f"/matters/?status={MatterStatus.REVIEWING}",
            "note": _("查看待审查、待决定的事项"),
        },
        {
            "label": _("必须评估但尚未开始"),
            "value": counts["unassessed"],
            "url": f"/matters/?status={MatterStatus.REGISTERED}",
            "note": _("严禁漏项"),
            "alert": counts["unassessed"] > 0,
        },
    ]


home_cards.add(matter_cards)
