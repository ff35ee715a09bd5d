"""The tabs of a case's page and of a case assessment's page.

Each area of the app (the case, screening, assessments, resolution, …) registers its tab
from its `views/` module, so the two page layouts never name a URL an area does not have."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.urls import reverse

Host = Literal["case", "assessment"]


@dataclass(frozen=True)
class Tab:
    code: str
    label: Any  # lazy translation
    url_name: str  # reversed with the host's pk
    order: int
    count: Callable[[Any], int | None] | None = None  # shown beside the label


_TABS: dict[Host, list[Tab]] = {"case": [], "assessment": []}


def register(host: Host, tab: Tab) -> None:
    tabs = [t for t in _TABS[host] if t.code != tab.code]
    tabs.append(tab)
    tabs.sort(key=lambda t: (t.order, t.code))
    _TABS[host] = tabs


def tabs_for(host: Host, obj: Any, active: str) -> list[dict[str, Any]]:
    return [
        {
            "code": t.code,
            "label": t.label,
            "url": reverse(t.url_name, args=[obj.pk]),
            "active": t.code == active,
            "count": t.count(obj) if t.count is not None else None,
        }
        for t in _TABS[host]
    ]
