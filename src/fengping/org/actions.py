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
    THREE_ADMIN_ROLES,
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


def _refuse_separated_subtree(actor: Any, dept: Department, what: str) -> None:
    """A 系统管理员 may not deactivate or move a department where a 安全管理员 or 审计管理员
    holds their role: an inactive department grants nothing, so that would take the
    role away (and reopen the transition) without the 安全管理员's grant."""
    if actor is not None and actor.is_superuser:
        return
    held = Membership.objects.filter(
        department__path__startswith=dept.path, role__in=access.SEPARATED_ROLES
    ).exists()
    if held:
        raise ActionError(
            _("“%(dept)s”或其下级部门有安全管理员或审计管理员任职，不能%(what)s（三员分立）")
            % {"dept": dept, "what": what}
        )


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
        _refuse_separated_subtree(actor, dept, _("移动"))
    if dept.is_active and not is_active:
        _refuse_separated_subtree(actor, dept, _("停用"))
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


def _require_account(actor: Any, target: User) -> None:
    """Refuse unless `actor` manages `target`'s account (`access.account_refusal`)."""
    refusal = access.account_refusal(actor, target)
    if refusal is None:
        return
    if not access.can(actor, target, "view"):
        raise PermissionDenied(_("您没有修改此对象的权限"))
    raise PermissionDenied(refusal)


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
    if role in THREE_ADMIN_ROLES:
        # The three administrator roles are granted, like every later role, by whoever
        # grants roles here (the 安全管理员; the 系统管理员 only during the transition).
        refusal = access.membership_refusal(actor, None, department.path)
        if refusal:
            raise ActionError(refusal, field="role")
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
    # The administrator knows the password, chosen or generated (shown to them): it is
    # good for the first login only (GB/T 22239-2019 8.1.4.1).
    user.must_change_password = True
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
    _require_account(actor, target)  # every membership inside the actor's subtree
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
    _require_account(actor, target)
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


def _require_grant(actor: Any, target: User, path: str) -> None:
    refusal = access.membership_refusal(actor, target, path)
    if refusal is None:
        return
    if target.pk == getattr(actor, "pk", None):
        raise ActionError(refusal)
    raise PermissionDenied(refusal)


def refuse_second_admin_role(user: User, role: str, adding: set[str] | None = None) -> None:
    """No one holds two of the three administrator roles (三员分立), anywhere. The caller
    holds the user's row lock (`select_for_update`), so two grants at once cannot both
    see the other missing. `adding`: roles given in the same operation (an import)."""
    if role not in THREE_ADMIN_ROLES:
        return
    held = set(
        Membership.objects.filter(user=user, role__in=THREE_ADMIN_ROLES).values_list(
            "role", flat=True
        )
    )
    held |= adding or set()
    held.discard(role)
    if held:
        raise ActionError(
            _(
                "%(user)s 已担任%(held)s，不能再担任%(role)s：系统管理员、安全管理员和审计管理员不得兼任"
            )
            % {
                "user": user,
                "held": "、".join(str(Role(r).label) for r in sorted(held)),
                "role": Role(role).label,
            },
            field="role",
        )


@transaction.atomic
def do_add_membership(actor: Any, user: User, department: Department, role: str) -> Membership:
    """Give `user` a role in `department`: the 安全管理员 of a subtree holding all the
    person's memberships (the 系统管理员 while the organisation has no 安全管理员)."""
    access.require(actor, department, "view")
    _require_grant(actor, user, department.path)
    if role not in Role.values:
        raise ActionError(_("未知的角色：%(role)s") % {"role": role}, field="role")
    # The row lock serialises grants to one person: the two-roles check below cannot be
    # passed by two grants at once.
    refuse_second_admin_role(User.objects.select_for_update().get(pk=user.pk), role)
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


def _refuse_last_holder(actor: Any, membership: Membership) -> None:
    """An organisation that has a holder of one of the three roles keeps one: the roles
    keep each other in check, so none of them can be left empty by another (grant the
    successor first). A superuser may (the console is the way out of any corner)."""
    if membership.role not in THREE_ADMIN_ROLES or (actor is not None and actor.is_superuser):
        return
    root = membership.department.root_path
    others = access.active_holders(membership.role, root).exclude(pk=membership.pk)
    if membership.user.is_active and membership.department.is_active and not others.exists():
        raise ActionError(
            _("%(user)s 是本组织唯一的%(role)s，请先为继任者分配该角色再移除")
            % {"user": membership.user, "role": Role(membership.role).label}
        )


@transaction.atomic
def do_remove_membership(actor: Any, membership: Membership) -> None:
    user = membership.user
    _require_grant(actor, user, membership.department.path)
    User.objects.select_for_update().filter(pk=user.pk).first()
    _refuse_last_holder(actor, membership)
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


THREE_ADMIN_DEFAULTS = {
    Role.ADMIN: ("sysadmin", "系统管理员"),
    Role.SECURITY_ADMIN: ("secadmin", "安全管理员"),
    Role.AUDIT_ADMIN: ("auditadmin", "审计管理员"),
}


@transaction.atomic
def do_create_three_admins(
    *,
    usernames: dict[str, str] | None = None,
    org_name: str = "",
    org_code: str = "ORG",
) -> list[tuple[User, str, str]]:
    """`fengping createadmin`: the 系统管理员, the 安全管理员 and the 审计管理员 (三员分立),
    three ordinary accounts (no superuser), each with a generated password to be shown
    once and changed at the first login, each holding its one role in the top-level
    organisation (the one named, created when missing; else the first). Returns
    (user, role, password) for each. Recorded as done by the system (there is no actor)."""
    names = {role: (usernames or {}).get(role) or d[0] for role, d in THREE_ADMIN_DEFAULTS.items()}
    if len({n.lower() for n in names.values()}) < len(names):
        raise ActionError(_("三个管理员的用户名必须各不相同"), field="username")
    for name in names.values():
        if not name.strip():
            raise ActionError(_("用户名不能为空"), field="username")
        if User.objects.filter(username__iexact=name.strip()).exists():
            raise ActionError(_("用户名“%(u)s”已存在") % {"u": name}, field="username")
    if org_name:
        root = Department.objects.filter(parent=None, name=org_name).first()
    else:
        root = Department.objects.filter(parent=None).order_by("path").first()
    if root is None:
        if not org_name:
            raise ActionError(_("尚无组织：请用 --org 指定顶级组织名称"), field="org")
        if Department.objects.filter(code=org_code).exists():
            raise ActionError(
                _("部门编码“%(code)s”已被使用") % {"code": org_code}, field="org_code"
            )
        root = Department.objects.create(name=org_name, code=org_code, kind=DepartmentKind.DECIDING)
        root.path, root.depth = f"{root.pk:07d}/", 0
        root.save(update_fields=["path", "depth"])
        record(None, "org.department.create", root, after=snapshot(root, Department.audit_fields))
    created = []
    for role, (_default, real_name) in THREE_ADMIN_DEFAULTS.items():
        password = temporary_password()
        user = User(username=names[role].strip(), real_name=real_name, must_change_password=True)
        _check_password(password, user)
        user.set_password(password)
        user.save()
        Membership.objects.create(user=user, department=root, role=role)
        after = snapshot(user, User.audit_fields)
        after["membership"] = {"department": root.pk, "role": role}
        record(None, "org.user.create_admin", user, after=after, scope_path=root.path)
        created.append((user, str(role), password))
    return created
