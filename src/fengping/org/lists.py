"""The lists of departments and users, declared once (see core.listing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from fengping.core import listing
from fengping.core.listing import (
    BooleanFilter,
    ChoiceFilter,
    Column,
    DepartmentFilter,
    ListSpec,
    SearchFilter,
)

from . import access
from .models import (
    Department,
    DepartmentKind,
    LeadershipGroup,
    LeadershipMember,
    Membership,
    Role,
    User,
)


def visible_departments(user: Any) -> QuerySet[Department]:
    return access.visible(user, Department.objects.all())


def _active(obj: Any) -> SafeString:
    if obj.is_active:
        return listing.badge(_("启用"), "bg-green-lt")
    return listing.badge(_("停用"), "bg-secondary-lt")


def _department_name(d: Department) -> SafeString:
    indent = SafeString('<span class="tree-indent"></span>' * d.depth)
    return indent + listing.link(reverse("org:department", args=[d.pk]), d.name)


DEPARTMENTS = ListSpec(
    name="departments",
    title=_("部门"),
    queryset=lambda user: (
        visible_departments(user)
        .select_related("parent")
        .annotate(member_count=Count("memberships"))
    ),
    order=("path",),
    filters=(
        SearchFilter("q", _("搜索"), ("name", "code"), placeholder=_("按名称或编码搜索")),
        ChoiceFilter("kind", _("类型"), DepartmentKind.choices, all_label=_("全部类型")),
    ),
    columns=(
        Column(_("名称"), lambda d: d.name, html=_department_name),
        Column(_("编码"), lambda d: d.code, html=lambda d: format_html("<code>{}</code>", d.code)),
        Column(_("类型"), lambda d: d.get_kind_display()),
        Column(_("上级部门"), lambda d: d.parent.name if d.parent else "", page=False),
        Column(_("任职人数"), lambda d: d.member_count, css="text-end"),
        Column(_("状态"), lambda d: _("启用") if d.is_active else _("停用"), html=_active),
    ),
    empty_title=_("没有符合条件的部门"),
    page_template="org/departments.html",
    export_url=lambda: reverse("org:departments_export"),
)


def visible_users(user: Any) -> QuerySet[User]:
    return access.visible(user, User.objects.all()).prefetch_related(
        Prefetch("memberships", Membership.objects.select_related("department"))
    )


def _holding(qs: QuerySet[User], values: Mapping[str, Any]) -> QuerySet[User]:
    """Users with one membership matching both the department (subtree) and the role when
    both are given — the same membership, as the page always meant."""
    q = Q()
    if "department" in values:
        q &= Q(department__path__startswith=values["department"])
    if "role" in values:
        q &= Q(role=values["role"])
    return qs.filter(pk__in=Membership.objects.filter(q).values("user_id"))


def _memberships(u: User) -> str:
    return "；".join(f"{m.department.name}·{m.get_role_display()}" for m in u.memberships.all())


USERS = ListSpec(
    name="users",
    title=_("人员与角色"),
    queryset=visible_users,
    order=("username",),
    keyset=True,
    filters=(
        SearchFilter(
            "q",
            _("搜索"),
            ("username", "real_name", "phone"),
            placeholder=_("姓名、用户名或手机"),
        ),
        DepartmentFilter(
            "department",
            _("部门"),
            visible_departments,
            apply=lambda qs, value, values: _holding(qs, values),
        ),
        ChoiceFilter(
            "role",
            _("角色"),
            Role.choices,
            all_label=_("全部角色"),
            # With a department the department filter matches both on one membership.
            apply=lambda qs, value, values: qs if "department" in values else _holding(qs, values),
        ),
        BooleanFilter("active", _("状态"), "is_active", yes=_("启用"), no=_("停用")),
    ),
    columns=(
        Column(_("用户名"), lambda u: u.username, css="text-secondary"),
        Column(
            _("姓名"),
            lambda u: u.real_name,
            html=lambda u: listing.link(
                reverse("org:user", args=[u.pk]), u.real_name or u.username
            ),
        ),
        Column(_("职务"), lambda u: u.position),
        Column(_("手机"), lambda u: u.phone, page=False),
        Column(_("邮箱"), lambda u: u.email, page=False),
        Column(
            _("任职"),
            _memberships,
            html=lambda u: format_html_join(
                "",
                '<span class="badge bg-blue-lt me-1">{} · {}</span>',
                ((m.department.name, m.get_role_display()) for m in u.memberships.all()),
            ),
        ),
        Column(_("启用"), lambda u: u.is_active, html=_active),
    ),
    empty_title=_("没有符合条件的人员"),
    page_template="org/users.html",
    export_url=lambda: reverse("org:users_export"),
)


def _leaders(g: LeadershipGroup) -> str:
    return "；".join(
        f"{m.get_position_display()} {m.user.display_name}{f'（{m.title}）' if m.title else ''}"
        for m in g.members.all()
    )


LEADERSHIP_GROUPS = ListSpec(
    name="leadership-groups",
    title=_("领导小组"),
    queryset=lambda user: (
        access.visible(user, LeadershipGroup.objects.all())
        .select_related("department", "office")
        .prefetch_related(Prefetch("members", LeadershipMember.objects.select_related("user")))
    ),
    order=("department__path", "id"),
    filters=(
        SearchFilter("q", _("搜索"), ("name", "department__name"), placeholder=_("领导小组或单位")),
        DepartmentFilter("department", _("部门"), visible_departments),
    ),
    columns=(
        Column(_("领导小组"), lambda g: g.name),
        Column(_("单位"), lambda g: g.department.name),
        Column(_("办公室"), lambda g: g.office.name if g.office else ""),
        Column(_("成员"), _leaders),
    ),
    empty_title=_("尚未成立领导小组"),
    empty_hint=_("系统管理员可在部门页面上成立领导小组（篇1 七(一)）。"),
    page_template="org/leadership_groups.html",
    rows_template="org/_leadership_rows.html",
    export_url=lambda: reverse("org:leadership_export"),
)
