"""我的待办: the obligations of the user (owned by them, or owed by their departments with
no one named), of their departments, and of everything they may see (a 督查: the whole
organisation) — one list spec, three scopes; the XLSX export of each; "sync now"."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fengping.core import listing
from fengping.core.listing import (
    ChoiceFilter,
    Column,
    DateRangeFilter,
    DepartmentFilter,
    ListSpec,
    SearchFilter,
)
from fengping.core.pages import run_action
from fengping.core.policy import authenticated
from fengping.org import access
from fengping.org.models import WORK_ROLES, Department

from ..actions import obligations as actions
from ..models import Obligation, ObligationKind

SCOPES = ("mine", "department", "all")
SCOPE_LABELS = {
    "mine": _("我的待办"),
    "department": _("本部门待办"),
    "all": _("全部待办"),
}
STATUSES = (
    ("open", _("未完成")),
    ("overdue", _("已逾期")),
    ("done", _("已完成")),
    ("all", _("全部")),
)


def _work_paths(user: Any) -> frozenset[str]:
    roles = access.scope_of(user).role_paths
    paths: set[str] = set()
    for role in WORK_ROLES:
        paths |= roles.get(role, frozenset())
    return frozenset(paths)


def scoped(user: Any, scope: str) -> QuerySet[Obligation]:
    """The obligations of a scope, within what the user may see:
    - mine: owned by the user, or owed by a department they work in with no owner named
      (what they own they see, whatever department owes it);
    - department: everything owed in the departments they work in and below them;
    - all: everything they may see (a 督查: the organisation; a superuser: everything)."""
    base = Obligation.objects.select_related("department", "owner")
    qs = access.visible(user, base)
    if scope == "all":
        return qs
    paths = _work_paths(user)
    if scope == "department":
        q = Q(pk__in=[])
        for p in paths:
            q |= Q(department__path__startswith=p)
        return qs.filter(q)
    # The owner sees what is theirs even when it is owed by a department above theirs
    # (a task of the bureau's system given to a person of one of its units).
    mine = base.filter(owner_id=user.pk) if user.is_authenticated else base.none()
    return qs.filter(owner__isnull=True, department__path__in=sorted(paths)) | mine


def _status(qs: QuerySet[Obligation], value: str, values: Any) -> QuerySet[Obligation]:
    today = timezone.localdate()
    if value == "open":
        return qs.filter(done_at__isnull=True)
    if value == "overdue":
        return qs.filter(done_at__isnull=True, due_on__lt=today)
    if value == "done":
        return qs.filter(done_at__isnull=False)
    return qs


def status_label(o: Obligation) -> str:
    if o.done_at is not None:
        return str(_("已完成"))
    late = o.days_overdue()
    if late > 0:
        return str(_("逾期%(n)s天") % {"n": late})
    return str(_("未完成"))


def _status_html(o: Obligation) -> Any:
    css = "bg-green-lt" if o.done_at else "bg-red-lt" if o.days_overdue() > 0 else "bg-blue-lt"
    return listing.badge(status_label(o), css)


def _due_html(o: Obligation) -> Any:
    if o.due_on == o.base_due_on:
        return listing.display(o.due_on)
    return format_html(
        '{}<div class="small text-secondary">{}</div>',
        listing.display(o.due_on),
        _("规定时限 %(d)s，遇法定节假日顺延") % {"d": f"{o.base_due_on:%Y-%m-%d}"},
    )


def _departments(user: Any) -> QuerySet[Department]:
    return access.visible(user, Department.objects.filter(is_active=True))


OBLIGATIONS = ListSpec(
    name="obligations",
    title=_("我的待办"),
    queryset=scoped,
    order=("due_on", "id"),
    keyset=True,
    filters=(
        SearchFilter("q", _("搜索"), ("title",)),
        ChoiceFilter("status", _("状态"), STATUSES, apply=_status),
        ChoiceFilter("kind", _("类别"), ObligationKind.choices),
        DateRangeFilter("due", _("截止日期"), field="due_on"),
        DepartmentFilter("department", _("责任单位"), _departments),
    ),
    columns=(
        Column(_("类别"), lambda o: o.get_kind_display(), css="text-nowrap"),
        Column(
            _("事项"),
            lambda o: o.title,
            html=lambda o: listing.link(o.url, o.title) if o.url else o.title,
        ),
        Column(_("责任单位"), lambda o: o.department.name),
        Column(_("责任人"), lambda o: str(o.owner or "")),
        Column(_("截止日期"), lambda o: o.due_on, html=_due_html, css="text-nowrap"),
        Column(_("状态"), status_label, html=_status_html),
        Column(_("规定时限"), lambda o: o.base_due_on, page=False),
        Column(_("完成时间"), lambda o: o.done_at, page=False),
        Column(_("链接"), lambda o: o.url, page=False),
    ),
    empty_title=_("没有符合条件的待办事项"),
    page_template="supervision/obligations/list.html",
    rows_template="supervision/obligations/_rows.html",
    export_url=lambda scope: reverse(
        {"mine": "supervision:todo_export"}.get(scope, f"supervision:todo_{scope}_export")
    ),
)


def with_default_status(params: Any) -> Any:
    """待办 lists show what is open unless another status is asked for."""
    if params.get("status"):
        return params
    copy = params.copy() if isinstance(params, QueryDict) else dict(params)
    copy["status"] = "open"
    return copy


def _list(request: HttpRequest, scope: str) -> HttpResponse:
    request.GET = with_default_status(request.GET)
    return listing.render_list(
        request,
        OBLIGATIONS,
        scope,
        context={
            "scope": scope,
            "scope_title": SCOPE_LABELS[scope],
            "scopes": [(s, SCOPE_LABELS[s]) for s in SCOPES],
            "may_sync": actions.may_sync(request.user),
        },
    )


def _export(request: HttpRequest, scope: str) -> HttpResponse:
    request.GET = with_default_status(request.GET)
    return listing.export(request, OBLIGATIONS, scope)


@authenticated
def todo(request: HttpRequest) -> HttpResponse:
    return _list(request, "mine")


@authenticated
def todo_department(request: HttpRequest) -> HttpResponse:
    return _list(request, "department")


@authenticated
def todo_all(request: HttpRequest) -> HttpResponse:
    return _list(request, "all")


@authenticated
def todo_export(request: HttpRequest) -> HttpResponse:
    return _export(request, "mine")


@authenticated
def todo_department_export(request: HttpRequest) -> HttpResponse:
    return _export(request, "department")


@authenticated
def todo_all_export(request: HttpRequest) -> HttpResponse:
    return _export(request, "all")


@authenticated
@require_POST
def obligations_sync(request: HttpRequest) -> HttpResponse:
    """立即同步 (POST): 督查 and administrators; the action refuses everyone else (403)."""
    back = reverse("supervision:todo_all")
    return run_action(
        request,
        lambda: actions.do_sync_obligations(request.user),
        then=lambda counts: back,
        success=_synced,
    )


def _synced(counts: dict[str, int]) -> str:
    return str(
        _("已同步：新增 %(c)s 项，更新 %(u)s 项，完成 %(d)s 项，重新打开 %(r)s 项")
        % {
            "c": counts["created"],
            "u": counts["updated"],
            "d": counts["closed"],
            "r": counts["reopened"],
        }
    )


urlpatterns = [
    path("todo/", todo, name="todo"),
    path("todo/export.xlsx", todo_export, name="todo_export"),
    path("todo/department/", todo_department, name="todo_department"),
    path("todo/department/export.xlsx", todo_department_export, name="todo_department_export"),
    path("todo/all/", todo_all, name="todo_all"),
    path("todo/all/export.xlsx", todo_all_export, name="todo_all_export"),
    path("todo/sync/", obligations_sync, name="obligations_sync"),
]
