"""The notification centre through the API: one's own notifications (filters unread /
kind, keyset pages), the unread count, marking one or all read. The same actions as the
pages (supervision.actions.reminders)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Schema

from fengping.core import listing
from fengping.supervision.actions import reminders as actions
from fengping.supervision.context import CAP
from fengping.supervision.models import Notification
from fengping.supervision.views.notifications import NOTIFICATIONS, notification_for

from . import router


class SvNotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    url: str
    obligation_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class SvUnreadOut(Schema):
    unread: int = Field(..., description=f"未读通知数（最多统计到{CAP + 1}）")


class SvReadAllOut(Schema):
    marked: int = Field(..., description="本次标为已读的通知数")


def _out(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "kind_label": str(n.get_kind_display()),
        "title": n.title,
        "body": n.body,
        "url": n.url,
        "obligation_id": n.obligation_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


SvNotificationFilters = listing.api_filters(NOTIFICATIONS, "SvNotificationFilters")


@router.get(
    "/notifications", response=listing.api_page_schema(SvNotificationOut, "SvNotificationPage")
)
def list_notifications(request: HttpRequest, filters: Query[SvNotificationFilters]) -> Any:  # type: ignore[valid-type]
    """自己的通知（新的在前），可按 unread（1 未读 / 0 已读）和 kind 筛选。"""
    page = listing.api_page(NOTIFICATIONS, request.user, filters.model_dump())  # type: ignore[attr-defined]
    page["items"] = [_out(n) for n in page["items"]]
    return page


@router.get("/notifications/unread-count", response=SvUnreadOut)
def unread_count(request: HttpRequest) -> Any:
    qs = Notification.objects.filter(user=request.user, read_at__isnull=True)
    return {"unread": qs[: CAP + 1].count()}


@router.post("/notifications/{notification_id}/read", response=SvNotificationOut)
def mark_read(request: HttpRequest, notification_id: int) -> Any:
    """把自己的一条通知标为已读（再次调用不变）。"""
    note = notification_for(request.user, notification_id)
    return _out(actions.do_mark_read(request.user, note))


@router.post("/notifications/read-all", response=SvReadAllOut)
def mark_all_read(request: HttpRequest) -> Any:
    """把自己的全部未读通知标为已读。"""
    return {"marked": actions.do_mark_all_read(request.user)}
