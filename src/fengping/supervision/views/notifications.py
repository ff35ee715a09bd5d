"""The notification centre: one's own notifications (unread first to catch the eye, filter
by unread and kind, keyset pages, XLSX), marking one read (and following its link) or all
read. Notifications are personal: another user's answers 404, whoever asks."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core import listing
from fengping.core.listing import BooleanFilter, ChoiceFilter, Column, ListSpec
from fengping.core.pages import run_action
from fengping.core.policy import authenticated

from ..actions import reminders as actions
from ..models import Notification, NotificationKind

KIND_CSS = {
    NotificationKind.REMINDER: "bg-blue-lt",
    NotificationKind.OVERDUE: "bg-orange-lt",
    NotificationKind.ESCALATION: "bg-red-lt",
    NotificationKind.NOTICE: "bg-red text-red-fg",
    NotificationKind.INFO: "bg-secondary-lt",
}


def own(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def notification_for(user: Any, pk: Any) -> Notification:
    try:
        return own(user).get(pk=pk)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404(_("对象不存在或无权访问")) from None


def _title_html(n: Notification) -> Any:
    text = listing.display(n.title)
    if n.read_at is None:
        from django.utils.html import format_html

        return format_html("<strong>{}</strong>", text)
    return text


NOTIFICATIONS = ListSpec(
    name="supervision-notifications",
    title=gettext_lazy("通知中心"),
    queryset=own,
    order=("-id",),
    keyset=True,
    filters=(
        BooleanFilter(
            "unread",
            gettext_lazy("阅读状态"),
            field="read_at__isnull",
            yes=gettext_lazy("未读"),
            no=gettext_lazy("已读"),
        ),
        ChoiceFilter("kind", gettext_lazy("类别"), NotificationKind.choices),
    ),
    columns=(
        Column(
            gettext_lazy("类别"),
            lambda n: n.get_kind_display(),
            html=lambda n: listing.badge(n.get_kind_display(), KIND_CSS.get(n.kind, "")),
        ),
        Column(gettext_lazy("标题"), lambda n: n.title, html=_title_html),
        Column(gettext_lazy("内容"), lambda n: n.body, css="small text-secondary"),
        Column(gettext_lazy("时间"), lambda n: n.created_at, css="small text-nowrap"),
        Column(gettext_lazy("阅读时间"), lambda n: n.read_at, page=False),
    ),
    empty_title=gettext_lazy("没有通知"),
    page_template="supervision/notifications/list.html",
    rows_template="supervision/notifications/_rows.html",
    export_url=lambda: reverse("supervision:notifications_export"),
)


@authenticated
def notifications(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, NOTIFICATIONS)


@authenticated
def notifications_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, NOTIFICATIONS)


def _safe_next(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("supervision:notifications")


@authenticated
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read; with `open=1`, go on to what it is about."""
    note = notification_for(request.user, pk)
    if request.POST.get("open"):
        actions.do_mark_read(request.user, note)
        return redirect(_safe_next(request, note.url))
    return run_action(
        request,
        lambda: actions.do_mark_read(request.user, note),
        then=reverse("supervision:notifications"),
    )


@authenticated
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    return run_action(
        request,
        lambda: actions.do_mark_all_read(request.user),
        then=reverse("supervision:notifications"),
        success=_("已全部标为已读"),
    )


urlpatterns = [
    path("notifications/", notifications, name="notifications"),
    path("notifications/export.xlsx", notifications_export, name="notifications_export"),
    path("notifications/read-all/", notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/read/", notification_read, name="notification_read"),
]
