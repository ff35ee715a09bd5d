"""Tabs of a page that several areas of an app contribute to (a system's page, a case's
page): each area registers its tab from its own views module, so the page layout never
names a URL an area does not have. An app keeps one `TabRegistry` per set of hosts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse


@dataclass(frozen=True)
class Tab:
    code: str
    label: Any  # lazy translation
    url_name: str  # reversed with the host's pk
    order: int
    count: Callable[[Any], int | None] | None = None  # shown beside the label


class TabRegistry:
    def __init__(self, hosts: Iterable[str]) -> None:
        self._tabs: dict[str, list[Tab]] = {host: [] for host in hosts}

    def register(self, host: str, tab: Tab) -> None:
        tabs = [t for t in self._tabs[host] if t.code != tab.code]
        tabs.append(tab)
        tabs.sort(key=lambda t: (t.order, t.code))
        self._tabs[host] = tabs

    def tabs_for(self, host: str, obj: Any, active: str) -> list[dict[str, Any]]:
        return [
            {
                "code": t.code,
                "label": t.label,
                "url": reverse(t.url_name, args=[obj.pk]),
                "active": t.code == active,
                "count": t.count(obj) if t.count is not None else None,
            }
            for t in self._tabs[host]
        ]
