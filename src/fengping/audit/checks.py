"""Verifying the chain and keeping the result (`ChainCheck`): the daily `fengping tick`
job and the audit log's "verify now" both go through `run_check`."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tasks import task

from .chain import verify
from .models import ChainCheck, CheckTrigger


def run_check(check: ChainCheck) -> ChainCheck:
    """Verify the whole chain and write the result onto `check`."""
    result = verify()
    check.ok = result.ok
    check.checked = result.checked
    check.broken_seq = result.broken_seq
    check.reason = result.reason[:500]
    check.finished_at = timezone.now()
    check.save(update_fields=["ok", "checked", "broken_seq", "reason", "finished_at"])
    return check


def start_check(trigger: str, actor: Any = None) -> ChainCheck:
    return ChainCheck.objects.create(
        started_at=timezone.now(),
        trigger=trigger,
        actor_id=getattr(actor, "pk", None),
        actor_name=getattr(actor, "username", "") if actor is not None else "system",
    )


@task()
def verify_in_background(check_id: int) -> bool:
    """The job the audit log queues when the log is too long to verify in a request."""
    check = ChainCheck.objects.filter(pk=check_id, ok__isnull=True).first()
    if check is None:
        return False
    return bool(run_check(check).ok)


def last_check() -> ChainCheck | None:
    """The newest finished verification, whoever ran it."""
    return ChainCheck.objects.filter(ok__isnull=False).first()


def pending_check() -> ChainCheck | None:
    """A queued verification not finished yet (shown as such on the audit log)."""
    return ChainCheck.objects.filter(ok__isnull=True, trigger=CheckTrigger.MANUAL).first()
