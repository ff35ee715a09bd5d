"""Display helpers for the assessment pages: numbers with two decimals, rates as
percentages with one decimal, dates as 2026年3月5日."""

from __future__ import annotations

from typing import Any

from django import template

from fengping.core.numbers import index_text

register = template.Library()


@register.filter
def num2(value: Any) -> str:
    """0.64 -> "0.64"; None -> "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.2f}"


@register.filter
def risk_index(value: Any) -> str:
    """The composite risk index as printed everywhere (core.numbers.index_text)."""
    return index_text(value)


@register.filter
def pct1(value: Any) -> str:
    """A fraction 0–1 as a percentage with one decimal: 0.6 -> "60.0%"; None -> "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.1f}%"


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key
