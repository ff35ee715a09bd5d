"""Pages of the organisation: departments, users and roles, leadership groups, import."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core import listing
from fengping.core.import_views import import_page, template_download
from fengping.core.pages import form_page, run_action, submit
from fengping.core.policy import authenticated

from . import access, actions, imports
from .forms import (
    DepartmentForm,
    LeaderForm,
    LeadershipGroupForm,
    MembershipForm,
    UserCreateForm,
    UserEditForm,
)
from .lists import DEPARTMENTS, LEADERSHIP_GROUPS, USERS, visible_users
from .models import ADMIN_ROLES, Department, LeadershipGroup, LeadershipMember, Membership, User
from .policy import org_admin


def _admin_departments(user: Any) -> Any:
    return access.visible(user, Department.objects.filter(is_active=True), "change")


DEPT_CRUMB = (gettext_lazy("部门"), "/org/departments/")
USER_CRUMB = (gettext_lazy("人员与角色"), "/org/users/")


# ---------------------------------------------------------------- departments


@authenticated
def departments(request: HttpRequest) -> HttpResponse:
    context = {"can_create": access.is_org_admin(request.user)}
    return listing.render_list(request, DEPARTMENTS, context=context)


@authenticated
def departments_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, DEPARTMENTS)


@authenticated
def department(request: HttpRequest, pk: int) -> HttpResponse:
    dept = access.get_for_user(request.user, Department.objects.select_related("parent"), pk)
    members = (
        Membership.objects.filter(department=dept)
        .select_related("user")
        .order_by("role", "user__username")
    )
    children = access.visible(request.user, dept.children.all())
    # A unit without its own 领导小组 works under the nearest one above it (a 科室 under
    # its bureau's): the group of the longest path prefix, the unit's own first.
    segment = len(dept.path) // (dept.depth + 1)
    prefixes = [dept.path[: segment * n] for n in range(1, dept.depth + 2)]
    group = (
        LeadershipGroup.objects.filter(department__path__in=prefixes)
        .select_related("office", "department")
        .prefetch_related(Prefetch("members", LeadershipMember.objects.select_related("user")))
        .order_by("-department__depth")
        .first()
    )
    return render(
        request,
        "org/department.html",
        {
            "dept": dept,
            "members": members,
            "children": children,
            "group": group,
            "can_change": access.can(request.user, dept, "change"),
        },
    )


@org_admin(gettext_lazy("只有系统管理员可以新建部门"))
def department_create(request: HttpRequest) -> HttpResponse:
    parents = _admin_departments(request.user)
    initial = {"parent": request.GET.get("parent"), "kind": "unit", "is_active": True}
    form = DepartmentForm(request.POST or None, parents=parents, initial=initial)
    form.fields.pop("is_active")
    if done := submit(
        request,
        form,
        lambda data: actions.do_create_department(
            request.user,
            name=data["name"],
            short_name=data["short_name"],
            code=data["code"],
            kind=data["kind"],
            parent=data["parent"],
            note=data["note"],
        ),
        then=lambda dept: reverse("org:department", args=[dept.pk]),
        success=lambda dept: _("已新建部门“%(d)s”") % {"d": dept},
    ):
        return done
    return form_page(request, form, _("新建部门"), [DEPT_CRUMB], reverse("org:departments"))


@authenticated
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    dept = access.get_for_user(request.user, Department, pk, need="change")
    parents = _admin_departments(request.user).exclude(path__startswith=dept.path)
    form = DepartmentForm(
        request.POST or None,
        parents=parents,
        initial={
            "name": dept.name,
            "short_name": dept.short_name,
            "code": dept.code,
            "kind": dept.kind,
            "parent": dept.parent_id,
            "is_active": dept.is_active,
            "note": dept.note,
            "version": dept.version,
        },
    )
    if done := submit(
        request,
        form,
        lambda data: actions.do_update_department(
            request.user,
            dept,
            version=data["version"],
            name=data["name"],
            short_name=data["short_name"],
            code=data["code"],
            kind=data["kind"],
            parent=data["parent"],
            is_active=data["is_active"],
            note=data["note"],
        ),
        then=reverse("org:department", args=[dept.pk]),
        success=_("已保存"),
    ):
        return done
    return form_page(
        request,
        form,
        _("编辑部门"),
        [DEPT_CRUMB, (dept.name, reverse("org:department", args=[dept.pk]))],
        reverse("org:department", args=[dept.pk]),
    )


@authenticated
def department_delete(request: HttpRequest, pk: int) -> HttpResponse:
    dept = access.get_for_user(request.user, Department, pk, need="change")
    if request.method == "POST":
        return run_action(
            request,
            lambda: actions.do_delete_department(request.user, dept),
            then="org:departments",
            success=_("已删除部门“%(d)s”") % {"d": dept.name},
            back=reverse("org:department", args=[dept.pk]),
        )
    return render(
        request,
        "core/confirm.html",
        {
            "title": _("删除部门"),
            "crumbs": [DEPT_CRUMB, (dept.name, reverse("org:department", args=[dept.pk]))],
            "question": _("确定删除部门“%(d)s”吗？") % {"d": dept.name},
            "consequence": _(
                "删除后不可恢复；删除操作会记入审计日志。有下级部门或任职人员的部门不能删除，只能停用。"
            ),
            "cancel_url": reverse("org:department", args=[dept.pk]),
        },
    )


# ---------------------------------------------------------------- users


def _visible_users(user: Any) -> Any:
    return visible_users(user)


@authenticated
def users(request: HttpRequest) -> HttpResponse:
    context = {"can_create": access.is_org_admin(request.user)}
    return listing.render_list(request, USERS, context=context)


@authenticated
def users_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, USERS)


@authenticated
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    target = access.get_for_user(request.user, _visible_users(request.user), pk)
    user = request.user
    # The buttons of the administrators, off with the reason the action would give.
    manages = access.is_org_admin(user) or access.may_grant_roles(user)
    return render(
        request,
        "org/user.html",
        {
            "target": target,
            "manages": manages,
            "account_refusal": access.account_refusal(user, target) if manages else None,
            "grant_refusal": access.membership_refusal(user, target) if manages else None,
            "new_password": request.session.pop("new_password", None),
        },
    )


@org_admin(gettext_lazy("只有系统管理员可以新建用户"))
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(
        request.POST or None,
        departments=_admin_departments(request.user),
        initial={"department": request.GET.get("department")},
    )

    def create(data: dict[str, Any]) -> User:
        new_user, generated = actions.do_create_user(request.user, **data)
        if generated:
            request.session["new_password"] = generated
        return new_user

    if done := submit(
        request,
        form,
        create,
        then=lambda new_user: reverse("org:user", args=[new_user.pk]),
        success=lambda new_user: _("已新建用户“%(u)s”") % {"u": new_user.display_name},
    ):
        return done
    return form_page(request, form, _("新建用户"), [USER_CRUMB], reverse("org:users"))


def _account(request: HttpRequest, pk: int) -> User:
    """A user whose account the requester manages: 404 out of sight, else 403 with the
    reason (`access.account_refusal`, e.g. 三员分立)."""
    target = access.get_for_user(request.user, _visible_users(request.user), pk)
    if refusal := access.account_refusal(request.user, target):
        raise PermissionDenied(refusal)
    return target


@authenticated
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = _account(request, pk)
    form = UserEditForm(
        request.POST or None,
        initial={
            "real_name": target.real_name,
            "position": target.position,
            "phone": target.phone,
            "email": target.email,
            "is_active": target.is_active,
            "version": target.version,
        },
    )
    if done := submit(
        request,
        form,
        lambda data: actions.do_update_user(request.user, target, **data),
        then=reverse("org:user", args=[target.pk]),
        success=_("已保存"),
    ):
        return done
    return form_page(
        request,
        form,
        _("编辑用户"),
        [USER_CRUMB, (target.display_name, reverse("org:user", args=[target.pk]))],
        reverse("org:user", args=[target.pk]),
    )


@authenticated
def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    target = _account(request, pk)
    if request.method == "POST":

        def reset() -> None:
            request.session["new_password"] = actions.do_reset_password(request.user, target)

        return run_action(request, reset, then=reverse("org:user", args=[target.pk]))
    return render(
        request,
        "core/confirm.html",
        {
            "title": _("重置密码"),
            "crumbs": [USER_CRUMB, (target.display_name, reverse("org:user", args=[target.pk]))],
            "question": _("为 %(u)s 生成临时密码吗？") % {"u": target.display_name},
            "consequence": _(
                "原密码立即失效；临时密码只显示一次，请当面告知本人。"
                "本人用它登录后必须先设置自己的新密码，才能继续使用。"
            ),
            "cancel_url": reverse("org:user", args=[target.pk]),
            "confirm_label": _("生成临时密码"),
        },
    )


@authenticated
def membership_add(request: HttpRequest, pk: int) -> HttpResponse:
    target = access.get_for_user(request.user, _visible_users(request.user), pk)
    if refusal := access.membership_refusal(request.user, target):
        raise PermissionDenied(refusal)
    form = MembershipForm(request.POST or None, departments=access.grant_departments(request.user))
    if done := submit(
        request,
        form,
        lambda data: actions.do_add_membership(
            request.user, target, data["department"], data["role"]
        ),
        then=reverse("org:user", args=[target.pk]),
        success=_("已分配角色"),
    ):
        return done
    return form_page(
        request,
        form,
        _("分配部门角色"),
        [USER_CRUMB, (target.display_name, reverse("org:user", args=[target.pk]))],
        reverse("org:user", args=[target.pk]),
    )


@authenticated
def membership_remove(request: HttpRequest, pk: int) -> HttpResponse:
    membership = access.get_for_user(
        request.user, Membership.objects.select_related("user", "department"), pk, need="change"
    )
    user_url = reverse("org:user", args=[membership.user_id])
    if request.method == "POST":
        return run_action(
            request,
            lambda: actions.do_remove_membership(request.user, membership),
            then=user_url,
            success=_("已移除角色"),
        )
    return render(
        request,
        "core/confirm.html",
        {
            "title": _("移除角色"),
            "crumbs": [USER_CRUMB, (membership.user.display_name, user_url)],
            "question": _("移除“%(m)s”吗？") % {"m": membership},
            "consequence": _("移除后该人员将失去在此部门的相应权限。"),
            "cancel_url": user_url,
            "confirm_label": _("确认移除"),
        },
    )


# ---------------------------------------------------------------- leadership groups


@authenticated
def leadership_groups(request: HttpRequest) -> HttpResponse:
    context = {"can_create": access.is_org_admin(request.user)}
    return listing.render_list(request, LEADERSHIP_GROUPS, context=context)


@authenticated
def leadership_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, LEADERSHIP_GROUPS)


@authenticated
def leadership_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Create or edit the leadership group of department `pk`."""
    dept = access.get_for_user(request.user, Department, pk)
    if not access.can_change_under(request.user, dept.path, ADMIN_ROLES):
        raise PermissionDenied(_("您不是该部门的系统管理员"))
    group = LeadershipGroup.objects.filter(department=dept).first()
    initial = (
        {
            "name": group.name,
            "office": group.office_id,
            "duties": group.duties,
            "version": group.version,
        }
        if group
        else {"name": _("%(d)s社会稳定风险评估工作领导小组") % {"d": dept.name}}
    )
    form = LeadershipGroupForm(
        request.POST or None,
        departments=access.visible(
            request.user, Department.objects.filter(path__startswith=dept.path)
        ),
        initial=initial,
    )
    if done := submit(
        request,
        form,
        lambda data: actions.do_save_leadership_group(request.user, dept, **data),
        then=reverse("org:department", args=[dept.pk]),
        success=_("领导小组已保存"),
    ):
        return done
    return form_page(
        request,
        form,
        _("领导小组"),
        [DEPT_CRUMB, (dept.name, reverse("org:department", args=[dept.pk]))],
        reverse("org:department", args=[dept.pk]),
        intro=_(
            "篇1 七(一)：成立社会稳定风险评估工作领导小组，设组长、副组长和成员，领导小组办公室设在指定科室。"
        ),
    )


@authenticated
def leader_add(request: HttpRequest, pk: int) -> HttpResponse:
    group = access.get_for_user(
        request.user, LeadershipGroup.objects.select_related("department"), pk, need="change"
    )
    dept_url = reverse("org:department", args=[group.department_id])
    users_in_org = access.visible(request.user, User.objects.filter(is_active=True)).order_by(
        "username"
    )
    form = LeaderForm(request.POST or None, users=users_in_org)
    if done := submit(
        request,
        form,
        lambda data: actions.do_add_leader(request.user, group, **data),
        then=dept_url,
        success=_("已添加领导小组成员"),
    ):
        return done
    return form_page(
        request,
        form,
        _("添加领导小组成员"),
        [DEPT_CRUMB, (group.department.name, dept_url)],
        dept_url,
    )


@authenticated
@require_POST
def leader_remove(request: HttpRequest, pk: int) -> HttpResponse:
    member = access.get_for_user(
        request.user, LeadershipMember.objects.select_related("group"), pk, need="change"
    )
    dept_id = member.group.department_id
    actions.do_remove_leader(request.user, member)
    messages.success(request, _("已移出领导小组"))
    return redirect("org:department", dept_id)


# ---------------------------------------------------------------- import


# The importer re-checks in authorize(): the same rule holds for the API and the CLI.
@org_admin(gettext_lazy("只有系统管理员可以批量导入"))
def import_workbook(request: HttpRequest) -> HttpResponse:
    return import_page(
        request,
        imports.OrgImporter(),
        crumbs=[],
        template_url=reverse("org:import_template"),
        heading=_("批量导入部门和人员"),
        note=_("上级部门须已存在或在本表中排在前面；同一用户名出现多行表示兼任多个角色。"),
    )


@authenticated
def import_template(request: HttpRequest) -> HttpResponse:
    return template_download(imports.OrgImporter())
