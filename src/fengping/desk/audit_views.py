"""The audit log pages: administrators and supervisors read the events of their
organisation; nobody can change them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.models import Event
from fengping.core import listing
from fengping.core.listing import Column, DateRangeFilter, ListSpec, SearchFilter
from fengping.org import access
from fengping.org.models import Role
from fengping.org.policy import admin_or_supervisor


def visible_events(user: Any) -> QuerySet[Event]:
    """Events whose object lies in a department the user administers or supervises."""
    scope = access.scope_of(user)
    if scope.everything:
        return Event.objects.all()
    paths = set(scope.role_paths.get(Role.ADMIN, frozenset()))
    paths |= {p.split("/", 1)[0] + "/" for p in scope.role_paths.get(Role.SUPERVISOR, frozenset())}
    if not paths:
        return Event.objects.none()
    q = Q()
    for path in paths:
        q |= Q(scope_path__startswith=path)
    return Event.objects.filter(q)


reader = admin_or_supervisor(gettext_lazy("只有系统管理员和督查人员可以查看审计日志"))


EVENTS = ListSpec(
    name="audit",
    title=gettext_lazy("审计日志"),
    queryset=visible_events,
    order=("-seq",),
    keyset=True,
    filters=(
        SearchFilter(
            "action",
            gettext_lazy("操作"),
            ("action",),
            lookup="startswith",
            placeholder=gettext_lazy("操作（前缀，例如 org.user）"),
        ),
        SearchFilter(
            "actor",
            gettext_lazy("操作人"),
            ("actor_name",),
            lookup="exact",
            placeholder=gettext_lazy("操作人用户名"),
        ),
        SearchFilter("object", gettext_lazy("对象"), ("object_repr",)),
        DateRangeFilter("at", gettext_lazy("时间"), field="at__date"),
    ),
    columns=(
        Column(
            gettext_lazy("序号"),
            lambda e: e.seq,
            html=lambda e: listing.link(reverse("audit:event", args=[e.seq]), f"#{e.seq}"),
        ),
        Column(
            gettext_lazy("时间"),
            lambda e: e.at,
            html=lambda e: date_format(localtime(e.at), "Y年n月j日 H:i:s"),
            css="text-nowrap text-secondary",
        ),
        Column(gettext_lazy("操作人"), lambda e: e.actor_name),
        Column(
            gettext_lazy("操作"),
            lambda e: e.action_label,
            html=lambda e: format_html(
                '{} <code class="small text-secondary">{}</code>', e.action_label, e.action
            ),
        ),
        Column(gettext_lazy("操作代码"), lambda e: e.action, page=False),
        Column(gettext_lazy("对象类型"), lambda e: e.object_type, page=False),
        Column(gettext_lazy("对象编号"), lambda e: e.object_id, page=False),
        Column(
            gettext_lazy("对象"),
            lambda e: e.object_repr,
            html=lambda e: Truncator(e.object_repr).chars(50),
        ),
        Column(
            gettext_lazy("哈希"),
            lambda e: e.hash,
            html=lambda e: format_html('<code class="small">{}</code>', e.hash[:12]),
        ),
    ),
    empty_title=gettext_lazy("没有符合条件的审计事件"),
    export_url=lambda: reverse("audit:export"),
)


@reader
def events(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, EVENTS)


@reader
def events_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, EVENTS)


@reader
def event(request: HttpRequest, seq: int) -> HttpResponse:
    found = visible_events(request.user).filter(seq=seq).first()
    if found is None:
        raise Http404(_("对象不存在或无权访问"))
    before, after = found.before or {}, found.after or {}
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    rows = [
        (key, before.get(key, "—"), after.get(key, "—"), before.get(key) != after.get(key))
        for key in keys
    ]
    return render(request, "audit/event.html", {"event": found, "rows": rows})
