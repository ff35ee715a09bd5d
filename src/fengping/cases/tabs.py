"""The tabs of a case's page and of a case assessment's page (`core.tabs`): each area of
the app (the case, screening, assessments, resolution, …) registers its tab from its
`views/` module."""

from __future__ import annotations

from fengping.core.tabs import Tab, TabRegistry

_TABS = TabRegistry(("case", "assessment"))
register = _TABS.register
tabs_for = _TABS.tabs_for

__all__ = ["Tab", "register", "tabs_for"]
