"""A user's private iCalendar feed of their obligations (订阅 in Outlook, WPS or a phone
calendar): `/supervision/feed/<token>.ics`, public, the token is the access. Only the
token's SHA-256 is stored (`CalendarFeed`); the settings page creates, rotates and
revokes it and shows the URL once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from fengping.core.pages import run_action
from fengping.core.policy import authenticated, public

from .. import deadlines
from ..actions import obligations as actions
from ..models import CalendarFeed, Obligation
from .obligations import scoped

DONE_DAYS = 30  # done obligations stay in the feed this long
MAX_EVENTS = 2000
TOUCH_EVERY = dt.timedelta(hours=1)


def feed_obligations(user: Any) -> list[Obligation]:
    """The user's open obligations (我的待办) and those done in the last DONE_DAYS days."""
    since = timezone.now() - dt.timedelta(days=DONE_DAYS)
    return list(
        scoped(user, "mine")
        .filter(Q(done_at__isnull=True) | Q(done_at__gte=since))
        .order_by("due_on", "id")[:MAX_EVENTS]
    )


def _alarm_days(code: str, memo: dict[str, list[int]]) -> list[int]:
    if code not in memo:
        try:
            pol = deadlines.policy(deadlines.deadline(code) if code else None)
            memo[code] = sorted(set(pol.before), reverse=True)
        except LookupError:
            memo[code] = []
    return memo[code]


def build_ics(request: HttpRequest, user: Any, items: list[Obligation]) -> bytes:
    from icalendar import Alarm, Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//fengping//supervision obligations//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"风评待办 · {user.real_name or user.username}")
    cal.add("x-wr-timezone", timezone.get_current_timezone_name())
    host = request.get_host()
    memo: dict[str, list[int]] = {}
    for o in items:
        ev = Event()
        ev.add("uid", f"{o.key}@{host}")
        ev.add("dtstamp", o.synced_at or o.opened_at)
        ev.add("dtstart", o.due_on)
        ev.add("dtend", o.due_on + dt.timedelta(days=1))
        done = o.done_at is not None
        ev.add("summary", f"{'【已完成】' if done else ''}{o.title}")
        lines = [
            f"类别：{o.get_kind_display()}",
            f"责任单位：{o.department.name}",
            f"截止日期：{o.due_on:%Y-%m-%d}",
        ]
        if o.base_due_on != o.due_on:
            lines.append(f"规定时限：{o.base_due_on:%Y-%m-%d}（遇法定节假日顺延）")
        if o.owner_id:
            lines.append(f"责任人：{o.owner}")
        if done:
            lines.append(f"完成时间：{timezone.localtime(o.done_at):%Y-%m-%d %H:%M}")
        ev.add("description", "\n".join(lines))
        if o.url:
            ev.add("url", request.build_absolute_uri(o.url))
        ev.add("status", "CONFIRMED")
        ev.add("transp", "TRANSPARENT")
        if not done:
            for days in _alarm_days(o.deadline_code, memo):
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("description", f"{o.title}：{days}天后到期" if days else o.title)
                alarm.add("trigger", dt.timedelta(days=-days))
                ev.add_component(alarm)
        cal.add_component(ev)
    return cal.to_ical()


@public
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The feed: 404 for a wrong, rotated or revoked token (one indexed lookup by the
    token's hash, the same for every wrong token) or an inactive user."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=actions.token_hash(token))
        .first()
    )
    if feed is None or not feed.user.is_active:
        raise Http404
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > TOUCH_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    body = build_ics(request, feed.user, feed_obligations(feed.user))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="fengping.ics"'
    response["Cache-Control"] = "private, no-cache"
    return response


def _page(request: HttpRequest, token: str = "") -> HttpResponse:
    feed = CalendarFeed.objects.filter(user=request.user).first()
    url = request.build_absolute_uri(reverse("supervision:feed", args=[token])) if token else ""
    return render(
        request,
        "supervision/obligations/feed.html",
        {"feed": feed, "url": url},
    )


@authenticated
def feed_settings(request: HttpRequest) -> HttpResponse:
    return _page(request)


@authenticated
@require_POST
def feed_rotate(request: HttpRequest) -> HttpResponse:
    """Create or replace the token; the page shows the new URL this once."""
    _feed, token = actions.do_rotate_feed(request.user)
    return _page(request, token)


@authenticated
@require_POST
def feed_revoke(request: HttpRequest) -> HttpResponse:
    return run_action(
        request,
        lambda: actions.do_revoke_feed(request.user),
        then=reverse("supervision:feed_settings"),
        success="已停用日历订阅地址，原地址不再可用",
    )


urlpatterns = [
    path("feed/", feed_settings, name="feed_settings"),
    path("feed/rotate/", feed_rotate, name="feed_rotate"),
    path("feed/revoke/", feed_revoke, name="feed_revoke"),
    path("feed/<str:token>.ics", feed_ics, name="feed"),
]
