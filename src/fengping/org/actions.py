"""Every change to the organisation: one function each, checked, atomic and audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fengping.audit.chain import record, save_and_record, snapshot
from fengping.core.concurrency import lock
from fengping.core.errors import ActionError
from fengping.core.registry import password_reset

from . import access
from .models import (
    ADMIN_ROLES,
    Department,
    DepartmentKind,
    LeaderPosition,
    LeadershipGroup,
    LeadershipMember,
    Membership,
    Role,
    User,
)
from .passwords import temporary_password


def _require_admin_under(actor: Any, department: Department | None) -> None:
    if department is None:
        if not (actor and actor.is_superuser):
            raise PermissionDenied(_("只有超级管理员可以创建新的顶级组织"))
        return
    if not access.can_change_under(actor, department.path, ADMIN_ROLES):
        raise PermissionDenied(_("您不是“%(dept)s”的系统管理员") % {"dept": department})


def _clean_code(code: str) -> str:
    code = (code or "").strip()
    if not code:
        raise ActionError(_("部门编码不能为空"), field="code")
    return code


# ---------------------------------------------------------------- departments


@transaction.atomic
def do_create_department(
    actor: Any,
    *,
    name: str,
    code: str,
    kind: str = DepartmentKind.UNIT,
    parent: Department | None = None,
    note: str = "",
    short_name: str = "",
) -> Department:
    _require_admin_under(actor, parent)
    name = (name or "").strip()
    if not name:
        raise ActionError(_("部门名称不能为空"), field="name")
    code = _clean_code(code)
    if kind not in DepartmentKind.values:
        raise ActionError(_("未知的部门类型：%(kind)s") % {"kind": kind}, field="kind")
    if Department.objects.filter(code=code).exists():
        raise ActionError(_("部门编码“%(code)s”已被使用") % {"code": code}, field="code")
    dept = Department.objects.create(
        name=name,
        short_name=(short_name or "").strip(),
        code=code,
        kind=kind,
        parent=parent,
        note=note,
    )
    dept.path = f"{parent.path if parent else ''}{dept.pk:07d}/"
    dept.depth = parent.depth + 1 if parent else 0
    dept.save(update_fields=["path", "depth"])
    record(actor, "org.department.create", dept, after=snapshot(dept, Department.audit_fields))
    return dept


@transaction.atomic
def do_update_department(
    actor: Any,
    dept: Department,
    *,
    version: int | None,
    name: str,
    code: str,
    kind: str,
    parent: Department | None,
    is_active: bool,
    note: str = "",
    short_name: str | None = None,
) -> Department:
    access.require(actor, dept, "change")
    dept = lock(dept, version)
    before = snapshot(dept, Department.audit_fields)
    code = _clean_code(code)
    if Department.objects.filter(code=code).exclude(pk=dept.pk).exists():
        raise ActionError(_("部门编码“%(code)s”已被使用") % {"code": code}, field="code")
    if not (name or "").strip():
        raise ActionError(_("部门名称不能为空"), field="name")
    moved = (parent.pk if parent else None) != dept.parent_id
    if moved:
        if parent is not None and parent.path.startswith(dept.path):
            raise ActionError(_("不能把部门移到它自己或它的下级部门之下"), field="parent")
        _require_admin_under(actor, parent)
    if short_name is not None:
        dept.short_name = short_name.strip()
    dept.name, dept.code, dept.kind, dept.is_active, dept.note = (
        name.strip(),
        code,
        kind,
        is_active,
        note,
    )
    if moved:
        old_path = dept.path
        dept.parent = parent
        dept.path = f"{parent.path if parent else ''}{dept.pk:07d}/"
        dept.depth = parent.depth + 1 if parent else 0
        shift = dept.depth - (old_path.count("/") - 1)
        for child in Department.objects.filter(path__startswith=old_path).exclude(pk=dept.pk):
            child.path = dept.path + child.path[len(old_path) :]
            child.depth += shift
            child.save(update_fields=["path", "depth"])
    save_and_record(actor, "org.department.update", dept, before=before)
    return dept


@transaction.atomic
def do_delete_department(actor: Any, dept: Department) -> None:
    access.require(actor, dept, "change")
    dept = lock(dept)
    if dept.children.exists():
        raise ActionError(_("“%(dept)s”还有下级部门，不能删除；可以改为停用。") % {"dept": dept})
    if dept.memberships.exists():
        raise ActionError(_("“%(dept)s”还有任职人员，不能删除；可以改为停用。") % {"dept": dept})
    if (
        LeadershipGroup.objects.filter(department=dept).exists()
        or LeadershipGroup.objects.filter(office=dept).exists()
    ):
        raise ActionError(_("“%(dept)s”关联了领导小组，不能删除。") % {"dept": dept})
    before = snapshot(dept, Department.audit_fields)
    scope_path = dept.path
    pk = dept.pk
    name = str(dept)
    dept.delete()
    record(
        actor,
        "org.department.delete",
        None,
        object_type="org.department",
        object_id=str(pk),
        object_repr=name,
        scope_path=scope_path,
        before=before,
    )


# ---------------------------------------------------------------- users


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ActionError("；".join(exc.messages), field="password") from None


@transaction.atomic
def do_create_user(
    actor: Any,
    *,
    username: str,
    real_name: str,
    department: Department,
    role: str,
    phone: str = "",
    position: str = "",
    email: str = "",
    password: str | None = None,
) -> tuple[User, str | None]:
    """Create a user with a first membership. Returns the user and, when no password was
    given, the generated one (shown once to the administrator, never stored in clear)."""
    _require_admin_under(actor, department)
    username = (username or "").strip()
    if not username:
        raise ActionError(_("用户名不能为空"), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise ActionError(_("用户名“%(u)s”已存在") % {"u": username}, field="username")
    if role not in Role.values:
        raise ActionError(_("未知的角色：%(role)s") % {"role": role}, field="role")
    generated = None
    if not password:
        generated = password = temporary_password()
    user = User(
        username=username,
        real_name=(real_name or "").strip(),
        phone=(phone or "").strip(),
        position=(position or "").strip(),
        email=(email or "").strip(),
    )
    _check_password(password, user)
    user.set_password(password)
    # A generated password was shown to the administrator: it is good for the first login only.
    user.must_change_password = generated is not None
    user.save()
    Membership.objects.create(user=user, department=department, role=role)
    after = snapshot(user, User.audit_fields)
    after["membership"] = {"department": department.pk, "role": role}
    record(actor, "org.user.create", user, after=after, scope_path=department.path)
    return user, generated


@transaction.atomic
def do_update_user(
    actor: Any,
    target: User,
    *,
    version: int | None,
    real_name: str,
    phone: str,
    position: str,
    email: str,
    is_active: bool,
) -> User:
    access.require(actor, target, "change")  # every membership inside the actor's subtree
    target = lock(target, version)
    if target.pk == getattr(actor, "pk", None) and not is_active:
        raise ActionError(_("不能停用自己的账号"), field="is_active")
    before = snapshot(target, User.audit_fields)
    target.real_name, target.phone, target.position, target.email, target.is_active = (
        real_name.strip(),
        phone.strip(),
        position.strip(),
        email.strip(),
        is_active,
    )
    save_and_record(actor, "org.user.update", target, before=before)
    return target


@transaction.atomic
def do_update_own_profile(
    actor: User, *, real_name: str, phone: str, email: str, version: int | None = None
) -> User:
    me = lock(actor, version)
    before = snapshot(me, User.audit_fields)
    me.real_name, me.phone, me.email = real_name.strip(), phone.strip(), email.strip()
    save_and_record(actor, "org.user.profile", me, before=before)
    return me


@transaction.atomic
def do_reset_password(actor: Any, target: User) -> str:
    """An administrator gives a user a temporary password and returns it, to be shown once
    and handed over in person. The administrator knows it, so it is good for one login
    only: the user must choose a new one before anything else (`must_change_password`).
    The audit event records that a reset happened, never the password."""
    access.require(actor, target, "change")
    target = User.objects.select_for_update().get(pk=target.pk)
    password = temporary_password()
    _check_password(password, target)
    target.set_password(password)
    target.must_change_password = True
    target.save(update_fields=["password", "must_change_password"])
    # A reset ends every other way in too (API tokens), so whoever held the old
    # credentials holds nothing once the user has chosen a new password.
    ended: dict[str, Any] = {}
    for facts in password_reset.collect(target):
        ended.update(facts)
    record(
        actor,
        "org.user.reset_password",
        target,
        after={"must_change_password": True, **ended},
    )
    return password


@transaction.atomic
def do_change_own_password(actor: User, old_password: str, new_password: str) -> None:
    me = User.objects.select_for_update().get(pk=actor.pk)
    if not me.check_password(old_password):
        raise ActionError(_("原密码不正确"), field="old_password")
    _check_password(new_password, me)
    if new_password == old_password:
        raise ActionError(_("新密码不能与原密码相同"), field="new_password1")
    me.set_password(new_password)
    me.must_change_password = False
    me.save(update_fields=["password", "must_change_password"])
    actor.password, actor.must_change_password = me.password, False
    record(actor, "org.user.change_password", me)


# ---------------------------------------------------------------- memberships


@transaction.atomic
def do_add_membership(actor: Any, user: User, department: Department, role: str) -> Membership:
    _require_admin_under(actor, department)
    access.require(actor, department, "view")
    # Giving a role is managing the person: one role in the actor's department is not
    # enough when the person also holds roles elsewhere (or is the superuser).
    access.require(actor, user, "change")
    if role not in Role.values:
        raise ActionError(_("未知的角色：%(role)s") % {"role": role}, field="role")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, department=department, role=role)
    except IntegrityError:
        raise ActionError(
            _("%(user)s 已在“%(dept)s”担任%(role)s")
            % {"user": user, "dept": department, "role": Role(role).label}
        ) from None
    record(
        actor,
        "org.membership.add",
        membership,
        after=snapshot(membership, Membership.audit_fields),
    )
    access.forget_scope(user)
    return membership


@transaction.atomic
def do_remove_membership(actor: Any, membership: Membership) -> None:
    access.require(actor, membership, "change")
    user = membership.user
    access.require(actor, user, "change")
    if user.pk == getattr(actor, "pk", None) and membership.role == Role.ADMIN:
        raise ActionError(_("不能移除自己的系统管理员角色，以免无人管理"))
    before = snapshot(membership, Membership.audit_fields)
    path = membership.department.path
    pk, name = membership.pk, str(membership)
    membership.delete()
    record(
        actor,
        "org.membership.remove",
        None,
        object_type="org.membership",
        object_id=str(pk),
        object_repr=name,
        scope_path=path,
        before=before,
    )
    access.forget_scope(user)


# ---------------------------------------------------------------- leadership groups


@transaction.atomic
def do_save_leadership_group(
    actor: Any,
    department: Department,
    *,
    name: str,
    office: Department | None,
    duties: str = "",
    version: int | None = None,
) -> LeadershipGroup:
    _require_admin_under(actor, department)
    if not (name or "").strip():
        raise ActionError(_("领导小组名称不能为空"), field="name")
    if office is not None and not access.can(actor, office, "view"):
        raise ActionError(_("办公室所在部门不在您的管理范围内"), field="office")
    group = LeadershipGroup.objects.filter(department=department).first()
    if group is None:
        group = LeadershipGroup.objects.create(
            department=department, name=name.strip(), office=office, duties=duties
        )
        record(
            actor,
            "org.leadership.create",
            group,
            after=snapshot(group, LeadershipGroup.audit_fields),
        )
        return group
    group = lock(group, version)
    before = snapshot(group, LeadershipGroup.audit_fields)
    group.name, group.office, group.duties = name.strip(), office, duties
    save_and_record(actor, "org.leadership.update", group, before=before)
    return group


@transaction.atomic
def do_add_leader(
    actor: Any,
    group: LeadershipGroup,
    user: User,
    position: str,
    *,
    title: str = "",
    order: int = 0,
) -> LeadershipMember:
    access.require(actor, group, "change")
    if position not in LeaderPosition.values:
        raise ActionError(_("未知的领导小组职务：%(p)s") % {"p": position}, field="position")
    if not access.can(actor, user, "view"):
        raise ActionError(_("该人员不在您的管理范围内"), field="user")
    if position == LeaderPosition.HEAD and group.members.filter(position=position).exists():
        raise ActionError(_("领导小组已有组长"), field="position")
    try:
        with transaction.atomic():
            member = LeadershipMember.objects.create(
                group=group, user=user, position=position, title=title.strip(), order=order
            )
    except IntegrityError:
        raise ActionError(_("%(user)s 已是该领导小组的该职务") % {"user": user}) from None
    record(
        actor,
        "org.leadership.add_member",
        member,
        after=snapshot(member, LeadershipMember.audit_fields),
    )
    return member


@transaction.atomic
def do_remove_leader(actor: Any, member: LeadershipMember) -> None:
    access.require(actor, member, "change")
    before = snapshot(member, LeadershipMember.audit_fields)
    path = member.group.department.path
    pk, name = member.pk, str(member)
    member.delete()
    record(
        actor,
        "org.leadership.remove_member",
        None,
        object_type="org.leadershipmember",
        object_id=str(pk),
        object_repr=name,
        scope_path=path,
        before=before,
    )


# ---------------------------------------------------------------- bootstrap


@transaction.atomic
def do_create_superuser(
    *,
    username: str,
    password: str,
    real_name: str = "",
    email: str = "",
    org_name: str = "",
    org_code: str = "ORG",
) -> User:
    """`fengping createadmin`: the first administrator (there is no actor yet, so the
    event is recorded as done by the system). The user becomes 系统管理员 of the named
    top-level organisation, created when it does not exist."""
    username = (username or "").strip()
    if not username:
        raise ActionError(_("用户名不能为空"), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise ActionError(_("用户名“%(u)s”已存在") % {"u": username}, field="username")
    user = User(
        username=username, real_name=real_name, email=email, is_staff=True, is_superuser=True
    )
    _check_password(password, user)
    user.set_password(password)
    user.save()
    root = None
    if org_name:
        root = Department.objects.filter(parent=None, name=org_name).first()
        if root is None:
            root = do_create_department(
                user, name=org_name, code=org_code, kind=DepartmentKind.DECIDING
            )
    else:
        root = Department.objects.filter(parent=None).order_by("path").first()
    if root is not None:
        Membership.objects.create(user=user, department=root, role=Role.ADMIN)
    record(
        None,
        "org.user.create_superuser",
        user,
        after=snapshot(user, User.audit_fields),
        scope_path=root.path if root else "",
    )
    return user
