"""The audit log pages: administrators and supervisors read the events of their
organisation; nobody can change them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from fengping.audit.models import Event
from fengping.core.paging import paginate, query_without_page
from fengping.core.policy import authenticated
from fengping.org import access
from fengping.org.models import Role


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


def _require_reader(user: Any) -> None:
    if not (access.is_org_admin(user) or access.is_supervisor(user)):
        raise PermissionDenied(_("只有系统管理员和督查人员可以查看审计日志"))


@authenticated
def events(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    qs = visible_events(request.user)
    action = request.GET.get("action", "").strip()
    actor = request.GET.get("actor", "").strip()
    obj = request.GET.get("object", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    if actor:
        qs = qs.filter(actor_name=actor)
    if obj:
        qs = qs.filter(object_repr__icontains=obj)
    page = paginate(request, qs.order_by("-seq"))
    return render(
        request,
        "audit/events.html",
        {
            "page": page,
            "qs": query_without_page(request),
            "action": action,
            "actor": actor,
            "object": obj,
        },
    )


@authenticated
def event(request: HttpRequest, seq: int) -> HttpResponse:
    _require_reader(request.user)
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
