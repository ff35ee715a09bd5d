"""Reminders and the notification centre: the `fengping tick` job that brings the
obligations up to date and sends the day's reminders and escalations (one audit event per
run, with its counts), and marking one's own notifications read.

Marking read changes only the reader's own inbox, no record of the organisation, so it
writes no audit event (the chain would grow by one event per click)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record
from fengping.core.errors import ActionError
from fengping.core.tick import daily, register

from .. import reminders
from ..models import Notification

LABELS = {
    "supervision.reminders.run": gettext_lazy("发送到期提醒和逾期升级"),
}


def run_reminders(now: dt.datetime | None = None) -> reminders.RunCounts:
    """Sync the obligations with the work, then send today's stages; one audit event."""
    now = now or timezone.now()
    from fengping.supervision import obligations

    # What was done since the last sync must not be reminded of: sync first.
    obligations.sync(now)
    counts = reminders.send(now)
    with transaction.atomic():
        record(
            None,
            "supervision.reminders.run",
            object_type="supervision.reminder",
            object_repr=f"{timezone.localdate(now):%Y-%m-%d}",
            after={"day": f"{timezone.localdate(now):%Y-%m-%d}", **counts.as_dict()},
        )
    return counts


@register("supervision.reminders", "到期提醒和逾期升级", daily)
def reminders_job() -> str:
    return run_reminders().text()


def do_mark_read(actor: Any, notification: Notification) -> Notification:
    """Mark one of one's own notifications read (again: nothing changes)."""
    if notification.user_id != actor.pk:
        raise ActionError(_("只能处理自己的通知"))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def do_mark_all_read(actor: Any) -> int:
    """Mark every unread notification of the actor read; how many were."""
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )
