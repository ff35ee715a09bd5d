from __future__ import annotations

from typing import Any

from django import template

from fengping.core.registry import matter_lock_refusal

register = template.Library()


@register.filter
def percent(value: Any, digits: int = 1) -> str:
    """0.6 -> "60.0%"; None -> "—" (no stance data)."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.simple_tag
def consultation_lock(matter: Any) -> str:
    """Why the matter's consultation records may not change now ("" when they may): the
    same rule the actions check (core.registry.matter_locks)."""
    return matter_lock_refusal(matter) if matter is not None else ""
