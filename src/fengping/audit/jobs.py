"""Prove the audit chain intact once a day from `fengping tick` (the result shows on
the home page)."""

from __future__ import annotations

from fengping.core.tick import daily, register

from .chain import verify


@register("audit_verify", "校验审计链", daily)
def audit_verify() -> str:
    result = verify()
    if not result.ok:
        raise RuntimeError(result.reason)
    return f"{result.checked} events intact"
