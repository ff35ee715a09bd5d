"""Reminders and escalation of open obligations (issue 12), sent by `fengping tick`.

For each open obligation the scheme's reminder policy (`deadlines.policy`) gives its
stages: ``before:N`` on the day N days before the due date, and after it the escalation
stages ``after:N:<to>`` — the owner (or, when the obligation names none, the department's
承办人 and 主要负责人), the department's 主要负责人 (``head``), the supervising office. Only
the latest stage due is sent:

- a ``before`` stage is due on its own day only (a "7 days left" reminder is not sent on the
  second day before; the ``before:1`` of the next day is what counts then);
- the escalation stages are due from their day on: the latest whose day has come is sent,
  so a tick that did not run on the third day still reaches the 主要负责人 on the fourth.

Idempotence is the ledger (`Reminder`, unique on obligation, stage, channel, recipient):
each send first inserts its ledger row; a row already there means it was sent, and the
send is skipped. Which is why running the tick twice sends nothing twice.

Ordering of the channels (the choice asked for in the issue):

- **app**: the `Notification` row and its ledger row are written in one transaction — both or
  neither;
- **email / webhook** leave the machine, so they cannot roll back. Their ledger rows are
  written as *pending* (``ok=False``, detail ``pending``) in that same transaction, and the
  message goes out only after it commits; then the row is marked sent (``ok=True``) or
  failed (``ok=False`` with the error). A crash between the commit and the send leaves the
  row pending: at most once, never twice, and never silently — each run counts the pending
  rows older than an hour in its audit event and tick detail. (Sending first and writing the
  ledger afterwards would send twice after a crash; sending inside the transaction would
  send and then roll back the ledger row on a failed commit — twice again.)

Never for done work: the obligations are brought up to date first (`obligations.sync`),
then each one is re-read with `SELECT … FOR UPDATE` inside the transaction that writes its
ledger rows, and skipped when `done_at` is set. The action that closes an obligation takes
the same row lock, so it either commits before (no reminder) or after (the reminder was
due while the work was open).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from fengping.org.models import Membership, Role, User

from . import deadlines, webhooks
from .models import (
    OFFICE_ROLES,
    Channel,
    Notification,
    NotificationKind,
    Obligation,
    Reminder,
)

log = logging.getLogger(__name__)

PENDING = "pending"
OWNER_FALLBACK_ROLES = frozenset({Role.HANDLER, Role.HEAD})


@dataclass(frozen=True)
class Stage:
    code: str  # "before:7", "after:3:head"
    day: dt.date
    to: str  # "owner", "head", "office"
    overdue: bool


def stages_of(obligation: Obligation) -> list[Stage]:
    """Every stage of the obligation's policy, by day (earliest first)."""
    dl = deadlines.deadline(obligation.deadline_code) if obligation.deadline_code else None
    pol = deadlines.policy(dl)
    due = obligation.due_on
    out = [Stage(f"before:{n}", due - dt.timedelta(days=n), "owner", False) for n in pol.before]
    out += [
        Stage(f"after:{s.after_days}:{s.to}", due + dt.timedelta(days=s.after_days), s.to, True)
        for s in pol.escalation
    ]
    return sorted(out, key=lambda s: s.day)


def stage_due(obligation: Obligation, today: dt.date) -> Stage | None:
    """The one stage to send today, if any (see the module docstring)."""
    due: Stage | None = None
    for stage in stages_of(obligation):
        if stage.overdue and stage.day <= today or not stage.overdue and stage.day == today:
            due = stage
    return due


def recipients(obligation: Obligation, to: str) -> list[User]:
    """The active users a stage goes to."""
    if to == "owner" and obligation.owner_id and obligation.owner.is_active:
        return [obligation.owner]
    if to == "office":
        if obligation.office_id is None:
            return []
        dept_id, roles = obligation.office_id, OFFICE_ROLES
    else:
        dept_id = obligation.department_id
        roles = OWNER_FALLBACK_ROLES if to == "owner" else frozenset({Role.HEAD})
    ids = Membership.objects.filter(department_id=dept_id, role__in=roles).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def message(obligation: Obligation, stage: Stage, today: dt.date) -> tuple[str, str, str]:
    """(notification kind, title, body) in Chinese."""
    due = f"{obligation.due_on.year}年{obligation.due_on.month}月{obligation.due_on.day}日"
    dept = obligation.department.name
    if not stage.overdue:
        left = (obligation.due_on - today).days
        return (
            NotificationKind.REMINDER,
            f"【到期提醒】{obligation.title}",
            f"{dept}的“{obligation.title}”将于{due}到期（还有{left}天），请按时完成。",
        )
    late = (today - obligation.due_on).days
    body = f"{dept}的“{obligation.title}”已于{due}到期，现已逾期{late}天，尚未完成。"
    if stage.to == "owner":
        return NotificationKind.OVERDUE, f"【逾期提醒】{obligation.title}", body + "请尽快办理。"
    if stage.to == "head":
        return (
            NotificationKind.ESCALATION,
            f"【逾期升级】{obligation.title}",
            body + "请主要负责人督促办理。",
        )
    return (
        NotificationKind.ESCALATION,
        f"【逾期督办】{dept}：{obligation.title}",
        body + "请督办机关督促办理。",
    )


@dataclass
class Outbox:
    """Messages to send after the ledger rows are committed: (reminder pk, channel, args)."""

    items: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)


@dataclass
class RunCounts:
    obligations: int = 0
    skipped_done: int = 0
    already_sent: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    no_recipient: int = 0
    stale_pending: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "obligations": self.obligations,
            "skipped_done": self.skipped_done,
            "already_sent": self.already_sent,
            "sent": dict(self.sent),
            "failed": dict(self.failed),
            "no_recipient": self.no_recipient,
            "stale_pending": self.stale_pending,
        }

    def text(self) -> str:
        sent = ", ".join(f"{k} {v}" for k, v in sorted(self.sent.items())) or "0"
        out = f"{self.obligations} obligations due a stage; sent {sent}"
        if self.failed:
            out += "; failed " + ", ".join(f"{k} {v}" for k, v in sorted(self.failed.items()))
        if self.stale_pending:
            out += f"; {self.stale_pending} pending sends interrupted (not retried)"
        return out


def _ledger(
    obligation: Obligation, stage: Stage, channel: str, key: str, ok: bool
) -> Reminder | None:
    """Insert the ledger row; None when it was there already (sent before)."""
    try:
        with transaction.atomic():
            return Reminder.objects.create(
                obligation=obligation,
                stage=stage.code,
                channel=channel,
                recipient_key=key,
                ok=ok,
                detail="" if ok else PENDING,
            )
    except IntegrityError:
        return None


def _open_candidates(today: dt.date) -> list[Obligation]:
    """Open obligations that may have a stage today: due within the longest `before` of
    any policy, or overdue. Those whose latest stage is already in the ledger are cheap to
    skip (one query below)."""
    scheme = deadlines.supervising_scheme()
    longest = max(
        [n for d in scheme.deadlines for n in deadlines.policy(d, scheme).before]
        + list(deadlines.policy(None, scheme).before)
        + [0]
    )
    return list(
        Obligation.objects.filter(
            done_at__isnull=True, due_on__lte=today + dt.timedelta(days=longest)
        )
        .select_related("department", "office", "owner")
        .order_by("due_on", "pk")
    )


def send(now: dt.datetime | None = None) -> RunCounts:
    """Send today's stage of every open obligation (see the module docstring)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = RunCounts()
    todo = [(o, s) for o in _open_candidates(today) if (s := stage_due(o, today)) is not None]
    sent_before = set(
        Reminder.objects.filter(
            Q(obligation_id__in=[o.pk for o, _s in todo]), Q(channel=Channel.APP)
        ).values_list("obligation_id", "stage")
    )
    for obligation, stage in todo:
        counts.obligations += 1
        if (obligation.pk, stage.code) in sent_before:
            counts.already_sent += 1
            continue
        outbox = _stage(obligation, stage, today, counts)
        _deliver(outbox, counts)
    counts.stale_pending = Reminder.objects.filter(
        # The ledger's clock, not the day the run is for.
        ok=False,
        detail=PENDING,
        sent_at__lt=timezone.now() - dt.timedelta(hours=1),
    ).count()
    return counts


def _stage(obligation: Obligation, stage: Stage, today: dt.date, counts: RunCounts) -> Outbox:
    outbox = Outbox()
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().filter(pk=obligation.pk).first()
        if locked is None or locked.done_at is not None:
            counts.skipped_done += 1
            return Outbox()
        kind, title, body = message(obligation, stage, today)
        users = recipients(obligation, stage.to)
        if not users:
            counts.no_recipient += 1
        for user in users:
            key = f"user:{user.pk}"
            if _ledger(obligation, stage, Channel.APP, key, ok=True) is None:
                counts.already_sent += 1
                continue
            Notification.objects.create(
                user=user,
                kind=kind,
                title=title[:300],
                body=body,
                url=obligation.url,
                obligation=obligation,
            )
            counts.sent[Channel.APP] += 1
            if user.email:
                row = _ledger(obligation, stage, Channel.EMAIL, key, ok=False)
                if row is not None:
                    outbox.items.append(
                        (row.pk, Channel.EMAIL, {"to": user.email, "title": title, "body": body})
                    )
        dept = obligation.office if stage.to == "office" else obligation.department
        robot = webhooks.robot_for(dept.code) if dept is not None else None
        if robot is not None:
            row = _ledger(obligation, stage, Channel.WEBHOOK, f"dept:{dept.pk}", ok=False)
            if row is not None:
                outbox.items.append(
                    (row.pk, Channel.WEBHOOK, {"robot": robot, "title": title, "body": body})
                )
    return outbox


def _deliver(outbox: Outbox, counts: RunCounts) -> None:
    """Send what left the transaction committed; mark each ledger row sent or failed."""
    for pk, channel, args in outbox.items:
        if channel == Channel.EMAIL:
            try:
                send_mail(
                    args["title"],
                    args["body"],
                    settings.DEFAULT_FROM_EMAIL,
                    [args["to"]],
                    fail_silently=False,
                )
                ok, detail = True, ""
            except (OSError, ValueError) as exc:  # smtplib errors are OSErrors
                ok, detail = False, f"{type(exc).__name__}: {exc}"[:300]
        else:
            ok, detail = webhooks.post(args["robot"], args["title"], args["body"])
        Reminder.objects.filter(pk=pk).update(ok=ok, detail=detail)
        (counts.sent if ok else counts.failed)[channel] += 1
        if not ok:
            log.warning("reminder %s via %s failed: %s", pk, channel, detail)
