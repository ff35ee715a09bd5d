"""The obligations' actions: the hourly sync (`fengping tick`), the sync a supervisor or
an administrator asks for, and a user's calendar-feed token (create, rotate, revoke)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fengping.audit.chain import record
from fengping.core.tick import hourly, register
from fengping.org import access

from .. import obligations
from ..models import CalendarFeed

LABELS = {
    "supervision.obligations.sync": _("同步待办事项"),
    "supervision.feed.create": _("创建日历订阅地址"),
    "supervision.feed.rotate": _("更换日历订阅地址"),
    "supervision.feed.revoke": _("停用日历订阅地址"),
}


@register("supervision.obligations", "同步待办事项（督促检查）", hourly)
def sync_job() -> str:
    counts = obligations.sync()
    return " ".join(f"{k}={v}" for k, v in counts.items())


def may_sync(user: Any) -> bool:
    return access.is_org_admin(user) or access.is_supervisor(user)


def do_sync_obligations(actor: Any) -> dict[str, int]:
    """同步: what `fengping tick` does every hour, now (督查 and administrators)."""
    if not may_sync(actor):
        raise PermissionDenied(_("只有督查人员和系统管理员可以立即同步待办事项"))
    with transaction.atomic():
        counts = obligations.sync()
        record(
            actor,
            "supervision.obligations.sync",
            object_type="supervision.obligation",
            object_repr="待办事项",
            after=counts,
        )
    return counts


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def do_rotate_feed(actor: Any) -> tuple[CalendarFeed, str]:
    """A new private token for the user's calendar feed (the first, or one replacing the
    old: every subscription made with the old URL ends). Only its SHA-256 is kept; the
    token is returned once, to be shown once."""
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.select_for_update().filter(user=actor).first()
    action = "supervision.feed.rotate" if feed is not None else "supervision.feed.create"
    if feed is None:
        feed = CalendarFeed(user=actor)
    feed.token_hash = token_hash(token)
    feed.last_used_at = None
    feed.save()
    record(actor, action, feed, after={"user": actor.pk})
    return feed, token


@transaction.atomic
def do_revoke_feed(actor: Any) -> bool:
    """Stop the user's feed: the URL answers 404 from now on. False when there was none."""
    feed = CalendarFeed.objects.select_for_update().filter(user=actor).first()
    if feed is None:
        return False
    record(actor, "supervision.feed.revoke", feed, after={"user": actor.pk})
    feed.delete()
    return True
