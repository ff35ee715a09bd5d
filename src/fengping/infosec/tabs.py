"""The tabs of a system's page and of an assessment's page (`core.tabs`): each area of the
app (assets, vulnerabilities, threats, risk, …) registers its tab from its `views/` module,
so the two page layouts never name a URL an area does not have."""

from __future__ import annotations

from fengping.core.tabs import Tab, TabRegistry

_TABS = TabRegistry(("system", "assessment"))
register = _TABS.register
tabs_for = _TABS.tabs_for

__all__ = ["Tab", "register", "tabs_for"]
