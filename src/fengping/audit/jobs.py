"""Prove the audit chain intact once a day from `fengping tick` (the result shows on
the home page and at the top of the audit log).

A short log is verified in the tick itself; a log of more than
`FENGPING_AUDIT_VERIFY_INLINE` events (default 50,000: about 5 s) is verified by the job
worker, so the tick stays short at a million events (hashing each event is the cost)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from fengping.core.tick import daily, register

from .checks import run_check, start_check, verify_in_background
from .models import ChainHead, CheckTrigger


def inline_limit() -> int:
    return int(getattr(settings, "FENGPING_AUDIT_VERIFY_INLINE", 50_000))


@register("audit_verify", "校验审计链", daily)
def audit_verify() -> str:
    head = ChainHead.objects.filter(pk=1).first()
    events = head.last_seq if head is not None else 0
    if events > inline_limit():
        with transaction.atomic():
            check = start_check(CheckTrigger.TICK)
            transaction.on_commit(lambda: verify_in_background.enqueue(check.pk))
        return f"verifying {events} events in the job worker (check #{check.pk})"
    result = run_check(start_check(CheckTrigger.TICK))
    if not result.ok:
        raise RuntimeError(result.reason)
    return f"{result.checked} events intact"
