from __future__ import annotations

from typing import Any

from django import template

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
