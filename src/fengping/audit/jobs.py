"""Prove the audit chain intact once a day from `fengping tick` (the result shows on
the home page and at the top of the audit log)."""

from __future__ import annotations

from fengping.core.tick import daily, register

from .checks import run_check, start_check
from .models import CheckTrigger


@register("audit_verify", "校验审计链", daily)
def audit_verify() -> str:
    result = run_check(start_check(CheckTrigger.TICK))
    if not result.ok:
        raise RuntimeError(result.reason)
    return f"{result.checked} events intact"
