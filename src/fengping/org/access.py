"""The one place that decides what a user may see and change.

A membership (user, department, role) gives its holder the department and every department
below it. Supervisors (督查: 维稳办, 联席办, 监察室) see the whole organisation their
department belongs to, but their supervisor membership lets them change nothing. Which roles
may change a row is declared by the model (`change_roles`). Superusers see and change all.

A matter is also open to the members of its lead and assisting departments (篇3 五 牵头部门;
篇3 六(二) 明确评估牵头和协助部门责任 — on the matter or in an assessment's plan): they see
the matter and every row linked to it, and with a work role do the work given to them
(need="work": documents, activities, the project file; scoring once on the team), never
what is the responsible department's alone (need="change": plan, grade, decisions, reviews).

Every list goes through `visible()`, every object through `get_for_user()`, and every
action re-checks with `require()` inside its transaction. A *user* is changed only by an
administrator whose subtrees hold every membership of that user (`_manageable_users`).

三员分立 (GB/T 22239-2019 8.1.4.2, 8.1.5.1–8.1.5.3): a 安全管理员 or 审计管理员 membership
opens no business data — it adds no view path. The 安全管理员 sees the departments, users
and memberships of their subtree (the organisation models, `org_model`) and grants and
removes memberships there (`grant_paths`); the 审计管理员 reads the audit log only (the
desk's `visible_events`). While an organisation has no active 安全管理员 its 系统管理员
still grants memberships (the transition from the single administrator role); the
accounts of the 安全管理员 and 审计管理员 are never managed by a 系统管理员, so deactivating
them cannot reopen that transition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import THREE_ADMIN_ROLES, WORK_ROLES, Membership, Role, User

# Roles whose membership opens no business data (三员分立): no view path at all.
SEPARATED_ROLES = frozenset({Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

Need = Literal["view", "work", "change"]
M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    view_paths: frozenset[str] = frozenset()
    # role -> department paths where the user holds that role
    role_paths: dict[str, frozenset[str]] = field(default_factory=dict)

    def change_paths(self, roles: frozenset[str]) -> frozenset[str]:
        paths: set[str] = set()
        for role in roles:
            paths |= self.role_paths.get(role, frozenset())
        # Administrators may change anything in their subtree, whatever the model.
        paths |= self.role_paths.get(Role.ADMIN, frozenset())
        return frozenset(paths)

    @property
    def org_view_paths(self) -> frozenset[str]:
        """Where the user sees the organisation models (departments, users, memberships):
        their view paths and, for a 安全管理员, the subtrees they grant roles in."""
        return self.view_paths | self.role_paths.get(Role.SECURITY_ADMIN, frozenset())

    def covers(self, path: str, need: Need, roles: frozenset[str]) -> bool:
        if self.everything:
            return True
        paths = self.view_paths if need == "view" else self.change_paths(roles)
        return any(path.startswith(p) for p in paths)


def scope_of(user: Any) -> Scope:
    """The user's scope, computed once per request (cached on the user object)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    cached = getattr(user, "_fengping_scope", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if user.is_superuser:
        scope = Scope(everything=True)
    else:
        view: set[str] = set()
        roles: dict[str, set[str]] = {}
        rows = Membership.objects.filter(user=user, department__is_active=True).values_list(
            "department__path", "role"
        )
        for path, role in rows:
            roles.setdefault(role, set()).add(path)
            if role in SEPARATED_ROLES:
                continue
            # A supervisor reads across the whole organisation (the root of the tree).
            view.add(path.split("/", 1)[0] + "/" if role == Role.SUPERVISOR else path)
        scope = Scope(
            view_paths=frozenset(view),
            role_paths={role: frozenset(paths) for role, paths in roles.items()},
        )
    user._fengping_scope = scope
    return scope


def forget_scope(user: Any) -> None:
    """Drop the cached scope after the user's memberships changed."""
    if hasattr(user, "_fengping_scope"):
        del user._fengping_scope


def _matter_lookup(model: type[models.Model]) -> str | None:
    """The lookup from `model` to the matter it belongs to ("pk" for the matter itself),
    declared as `matter_lookup` or read off a `…matter__department__path` scope lookup."""
    declared = getattr(model, "matter_lookup", None)
    if declared is not None:
        return str(declared)
    lookup = getattr(model, "scope_path_lookup", "")
    if lookup.endswith("matter__department__path"):
        return lookup[: -len("__department__path")]
    return None


def _participating(matter_lookup: str, paths: frozenset[str]) -> Q:
    """Rows of matters whose lead or assisting department (on the matter, or in an
    assessment's plan) lies in `paths`: four small subqueries, one per way of taking part,
    so a list's query count does not grow. (One subquery joining all four took PostgreSQL
    2.3 ms to plan for every scoped query, against 0.1 ms to run.)"""
    from django.apps import apps

    matter = apps.get_model("matters", "Matter")
    assessment = apps.get_model("assessments", "Assessment")
    sources = (
        (matter._default_manager, "lead_department__path", "pk"),
        (matter.assisting_departments.through.objects, "department__path", "matter_id"),
        (assessment._default_manager, "lead_department__path", "matter_id"),
        (
            assessment.assisting_departments.through.objects,
            "department__path",
            "assessment__matter_id",
        ),
    )
    q = Q()
    for manager, lookup, column in sources:
        ids = manager.filter(_prefix_q(lookup, paths)).values(column)
        q |= Q(**{f"{matter_lookup}__in": ids})
    return q


def _prefix_q(lookup: str, paths: frozenset[str]) -> Q:
    q = Q()
    # Nested paths are redundant: "1/" already covers "1/5/".
    for path in sorted(paths):
        if not any(path != other and path.startswith(other) for other in paths):
            q |= Q(**{f"{lookup}__startswith": path})
    return q


def visible(user: Any, queryset: QuerySet[M], need: Need = "view") -> QuerySet[M]:
    """The rows of `queryset` that `user` may see (need="view"), do the shared work on
    (need="work": the responsible department's workers and the lead and assisting
    departments' members) or change (need="change": the responsible department only)."""
    model = queryset.model
    scope = scope_of(user)
    if scope.everything:
        return queryset
    roles: frozenset[str] = getattr(model, "change_roles", frozenset())
    paths = scope.view_paths if need == "view" else scope.change_paths(roles)
    if need == "view" and (model is User or getattr(model, "org_model", False)):
        paths = scope.org_view_paths
    if model is Membership and need != "view":
        # Memberships are changed by whoever grants roles there (安全管理员; 系统管理员
        # during the transition), never by the work roles.
        return queryset.filter(_prefix_q("department__path", grant_paths(user)))
    # Members of a matter's lead and assisting departments: every work role sees the rows
    # and may do the work given to them; supervisors already read the whole organisation.
    shared: frozenset[str] = frozenset()
    if need == "view":
        shared = scope.view_paths
    elif need == "work":
        shared = scope.change_paths(WORK_ROLES)
    if model is User:
        if need == "change":
            return _manageable_users(queryset, paths)
        # A user belongs to every department they hold a role in; anyone may see themselves.
        members = Membership.objects.filter(_prefix_q("department__path", paths)).values("user_id")
        mine = Q(pk=user.pk) if user.is_authenticated else Q(pk__in=[])
        if not paths:
            return queryset.filter(mine)
        return queryset.filter(Q(pk__in=members) | mine)
    lookup = getattr(model, "scope_path_lookup", None)
    if lookup is None:
        raise TypeError(f"{model.__name__} declares no scope_path_lookup; it cannot be scoped")
    matter_lookup = _matter_lookup(model)
    # A matter's lead and assisting departments belong to its own organisation, so a path
    # under an organisation root the user already sees every row of adds nobody: a
    # supervisor (who reads from the root) is spared the four subqueries.
    roots = {p for p in paths if p.count("/") == 1}
    shared = frozenset(s for s in shared if not any(s.startswith(r) for r in roots))
    if matter_lookup is None or not shared:
        if not paths:
            return queryset.none()
        return queryset.filter(_prefix_q(lookup, paths))
    participating = _participating(matter_lookup, shared)
    if not paths:
        return queryset.filter(participating)
    return queryset.filter(_prefix_q(lookup, paths) | participating)


def _manageable_users(queryset: QuerySet[M], admin_paths: frozenset[str]) -> QuerySet[M]:
    """The users an administrator of `admin_paths` may manage (edit, deactivate, reset the
    password of, give or take roles): every one of their memberships lies inside those
    subtrees. One role in the administrator's department is not enough — the person may
    also head another bureau, or be the superuser — and a user without any membership
    belongs to nobody's subtree, so only a superuser manages them. Superusers are managed
    by no administrator."""
    if not admin_paths:
        return queryset.none()
    # 三员分立: the accounts of the 安全管理员 and the 审计管理员 are out of the 系统管理员's
    # reach (deactivating the 安全管理员 would hand role granting back to them).
    separated = Membership.objects.filter(role__in=SEPARATED_ROLES).values("user_id")
    return _members_only_inside(queryset, admin_paths).exclude(pk__in=separated)


def _members_only_inside(queryset: QuerySet[M], paths: frozenset[str]) -> QuerySet[M]:
    """Users all of whose memberships lie inside `paths` (and who have one), superusers
    excepted."""
    if not paths:
        return queryset.none()
    inside = _prefix_q("department__path", paths)
    members = Membership.objects.filter(inside).values("user_id")
    outsiders = Membership.objects.exclude(inside).values("user_id")
    return queryset.filter(pk__in=members).exclude(pk__in=outsiders).exclude(is_superuser=True)


def _root(path: str) -> str:
    return path.split("/", 1)[0] + "/" if path else ""


def active_holders(role: str, root: str) -> QuerySet[Membership]:
    """The memberships through which active people hold `role` in the organisation whose
    root path is `root` (departments active too: an inactive department grants nothing)."""
    return Membership.objects.filter(
        role=role,
        department__path__startswith=root,
        department__is_active=True,
        user__is_active=True,
    )


def in_transition(root: str) -> bool:
    """The organisation has no active 安全管理员 yet: its 系统管理员 still grants roles."""
    return not active_holders(Role.SECURITY_ADMIN, root).exists()


def grant_paths(user: Any) -> frozenset[str]:
    """The subtrees where the user grants and removes memberships: where they are
    安全管理员, and where they are 系统管理员 of an organisation still in transition.
    Not cached: the first 安全管理员 granted ends the transition at once."""
    scope = scope_of(user)
    if scope.everything:
        return frozenset({""})
    paths = set(scope.role_paths.get(Role.SECURITY_ADMIN, frozenset()))
    admin = scope.role_paths.get(Role.ADMIN, frozenset())
    open_roots = {r for r in {_root(p) for p in admin} if in_transition(r)}
    paths |= {p for p in admin if _root(p) in open_roots}
    return frozenset(paths)


def grant_departments(user: Any) -> QuerySet[Any]:
    """The active departments where the user may grant roles (the form's choices)."""
    from .models import Department

    qs = Department.objects.filter(is_active=True)
    if scope_of(user).everything:
        return qs
    paths = grant_paths(user)
    return qs.filter(_prefix_q("path", paths)) if paths else qs.none()


def may_grant_under(user: Any, path: str) -> bool:
    return any(path.startswith(p) for p in grant_paths(user))


def grantable_users(user: Any, queryset: QuerySet[M] | None = None) -> QuerySet[M]:
    """The users whose memberships `user` may change: all of them lie inside the user's
    grant paths (one role in the subtree is not enough when the person also holds roles
    elsewhere, or is a superuser). A superuser grants to anyone."""
    qs: QuerySet[Any] = User.objects.all() if queryset is None else queryset
    if scope_of(user).everything:
        return qs
    return _members_only_inside(qs, grant_paths(user))


def separated_role_of(target: Any) -> str | None:
    """The 安全管理员 or 审计管理员 role `target` holds (anywhere), or None."""
    return (
        Membership.objects.filter(user=target, role__in=SEPARATED_ROLES)
        .values_list("role", flat=True)
        .first()
    )


def account_refusal(actor: Any, target: Any) -> str | None:
    """Why `actor` may not edit, deactivate or reset the password of `target`'s account, or
    None. The 系统管理员 manages accounts, except those of the 安全管理员 and 审计管理员 (the
    roles keep each other in check); those are managed by a superuser or on the command
    line (`fengping manage changepassword`)."""
    if scope_of(actor).everything:
        return None
    role = separated_role_of(target)
    if role is not None:
        return _("%(user)s 是%(role)s，其账号不由系统管理员管理（三员分立）") % {
            "user": target,
            "role": Role(role).label,
        }
    if not can(actor, target, "change"):
        return _("您没有修改此对象的权限")
    return None


def membership_refusal(actor: Any, target: Any, path: str | None = None) -> str | None:
    """Why `actor` may not change `target`'s memberships (at `path`, when one is named),
    or None: nobody changes their own; roles are granted by the 安全管理员, or by the
    系统管理员 while the organisation has none yet."""
    if target is not None and target.pk == getattr(actor, "pk", None):
        return _("不能修改自己的任职和角色")
    if scope_of(actor).everything:
        return None
    paths = grant_paths(actor)
    if not paths:
        if is_org_admin(actor):
            return _("本组织已有安全管理员：角色和任职由安全管理员分配（三员分立）")
        return _("只有安全管理员可以分配角色")
    if path is not None and not any(path.startswith(p) for p in paths):
        return _("该部门不在您分配角色的范围内")
    if target is not None and not grantable_users(actor).filter(pk=target.pk).exists():
        return _("该人员在您的范围之外还有任职，您不能修改其角色")
    return None


def _queryset(model_or_qs: type[M] | QuerySet[M]) -> QuerySet[M]:
    if isinstance(model_or_qs, QuerySet):
        return model_or_qs
    return model_or_qs._default_manager.all()


def get_for_user(user: Any, model_or_qs: type[M] | QuerySet[M], pk: Any, need: Need = "view") -> M:
    """The object, or 404 when it is missing or outside the user's scope (the same answer,
    so outsiders learn nothing), or 403 when it is visible but the user may not change it."""
    qs = _queryset(model_or_qs)
    try:
        obj = visible(user, qs, "view").get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404(_("对象不存在或无权访问")) from None
    if need != "view" and not can(user, obj, need):
        raise PermissionDenied(_("您没有修改此对象的权限"))
    return obj


def can(user: Any, obj: models.Model, need: Need = "change") -> bool:
    model = type(obj)
    return visible(user, model._default_manager.filter(pk=obj.pk), need).exists()


def require(user: Any, obj: models.Model, need: Need = "change") -> None:
    """Inside an action: refuse with 403 unless the user may `need` the object."""
    if not can(user, obj, need):
        raise PermissionDenied(_("您没有修改此对象的权限"))


def can_change_under(user: Any, path: str, roles: frozenset[str]) -> bool:
    """May the user create something owned by the department at `path`?"""
    return scope_of(user).covers(path, "change", roles)


def is_org_admin(user: Any) -> bool:
    scope = scope_of(user)
    return scope.everything or bool(scope.role_paths.get(Role.ADMIN))


def may_grant_roles(user: Any) -> bool:
    """Grants roles somewhere (the gate of the role pages; the action checks the rest)."""
    return bool(grant_paths(user))


def is_security_admin(user: Any) -> bool:
    """安全管理员: roles and memberships, password and lockout policy, token revocation."""
    scope = scope_of(user)
    return scope.everything or bool(scope.role_paths.get(Role.SECURITY_ADMIN))


def is_audit_admin(user: Any) -> bool:
    """审计管理员: reads and exports the audit log and its verification status."""
    scope = scope_of(user)
    return scope.everything or bool(scope.role_paths.get(Role.AUDIT_ADMIN))


def is_administrator(user: Any) -> bool:
    """Holds one of the three administrator roles (or is a superuser): the accounts that
    must use a second factor."""
    scope = scope_of(user)
    return scope.everything or any(scope.role_paths.get(role) for role in THREE_ADMIN_ROLES)


def is_supervisor(user: Any) -> bool:
    scope = scope_of(user)
    return scope.everything or bool(scope.role_paths.get(Role.SUPERVISOR))


def organisation_departments(user: Any) -> QuerySet[Any]:
    """Every active department of the organisations the user belongs to: reference data
    for choosing a lead or assisting department, or the office a matter is filed with.
    (Seeing a department's name in a list does not open its matters.)"""
    from .models import Department

    scope = scope_of(user)
    qs = Department.objects.filter(is_active=True)
    if scope.everything:
        return qs
    roots = frozenset(path.split("/", 1)[0] + "/" for path in scope.view_paths)
    if not roots:
        return qs.none()
    return qs.filter(_prefix_q("path", roots))
