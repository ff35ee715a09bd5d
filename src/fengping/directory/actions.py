"""The one state change of a directory login: claim the account, copy the profile, and
sync the memberships the directory's groups map to (and only those)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.audit.chain import record, snapshot
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import THREE_ADMIN_ROLES, Department, Membership, User

from .models import DirectoryAccount, DirectoryGrant, Source

logger = logging.getLogger("fengping.directory")

PROFILE_FIELDS = ("real_name", "email", "phone", "position")
FIELD_LIMITS = {"real_name": 60, "email": 254, "phone": 30, "position": 60}


@dataclass
class DirectoryIdentity:
    """What the directory says about the person who just proved who they are."""

    source: str  # Source.LDAP or Source.OIDC
    username: str
    external_id: str  # the LDAP DN, or the OIDC subject
    profile: dict[str, str] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)


def _is_local_administrator(user: User) -> bool:
    return user.is_superuser or user.memberships.filter(role__in=THREE_ADMIN_ROLES).exists()


def _roles(user: User) -> list[str]:
    return sorted(
        f"{code}:{role}" for code, role in user.memberships.values_list("department__code", "role")
    )


def _claim(identity: DirectoryIdentity, adopt_local: bool) -> tuple[User, bool, bool]:
    """The user the identity logs in as: (user, created, adopted). Refuses a local account
    of the same name unless adoption is on and it is no administrator's: a directory entry
    named like a local administrator must never become that administrator."""
    linked = (
        DirectoryAccount.objects.filter(source=identity.source, external_id=identity.external_id)
        .exclude(user__username__iexact=identity.username)
        .select_related("user")
        .first()
    )
    if linked is not None:
        # The same directory identity under a new user name: never a second account.
        logger.warning(
            "directory login refused: %s is already linked to %s",
            identity.external_id,
            linked.user.username,
        )
        raise ActionError(
            _("该目录账户已关联到用户“%(u)s”，用户名不一致，请联系安全管理员")
            % {"u": linked.user.username}
        )
    user = User.objects.select_for_update().filter(username__iexact=identity.username).first()
    if user is None:
        try:
            with transaction.atomic():  # two first logins at once: one creates, one waits
                user = User(username=identity.username)
                user.set_unusable_password()
                user.save()
                return user, True, False
        except IntegrityError:
            user = User.objects.select_for_update().get(username__iexact=identity.username)
    account = DirectoryAccount.objects.filter(user=user).first()
    if account is None:
        if _is_local_administrator(user):
            logger.warning(
                "directory login refused: %s is a local administrator", identity.username
            )
            raise ActionError(
                _("用户名“%(u)s”是本地管理员账户，不能通过目录登录；管理员请使用本地账户密码登录")
                % {"u": user.username}
            )
        if not adopt_local:
            logger.warning("directory login refused: %s is a local account", identity.username)
            raise ActionError(
                _("用户名“%(u)s”已是本地账户，不能通过目录登录；请联系安全管理员")
                % {"u": user.username}
            )
        if not user.is_active:
            raise ActionError(_("该账户已停用，请联系管理员"))
        # Adopted: from now on the directory holds the password; the local one is void.
        user.set_unusable_password()
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        return user, False, True
    if account.source != identity.source:
        raise ActionError(
            _("用户名“%(u)s”属于另一个目录来源（%(s)s），不能以此方式登录")
            % {"u": user.username, "s": account.get_source_display()}
        )
    return user, False, False


@transaction.atomic
def do_directory_login(identity: DirectoryIdentity, *, adopt_local: bool = False) -> User:
    """Create or update the user from the directory and sync the memberships its groups
    map to. A membership the directory gave before and no longer gives is removed; one
    granted locally is never touched. One `directory.sync` event when anything changed.
    A user deactivated locally is refused whatever the directory says."""
    cfg = settings.FENGPING_DIRECTORY
    user, created, adopted = _claim(identity, adopt_local)
    if not user.is_active:
        logger.warning("directory login refused: %s is deactivated", user.username)
        raise ActionError(_("该账户已停用，请联系管理员"))
    profile_before = snapshot(user, ("username", *PROFILE_FIELDS))
    roles_before = _roles(user)

    for name in PROFILE_FIELDS:
        value = (identity.profile.get(name) or "").strip()[: FIELD_LIMITS[name]]
        if value:
            setattr(user, name, value)
    if user.must_change_password:  # the directory holds the password, not this form
        user.must_change_password = False
    user.save()
    DirectoryAccount.objects.update_or_create(
        user=user,
        defaults={
            "source": identity.source,
            "external_id": identity.external_id[:500],
            "last_sync": timezone.now(),
        },
    )

    grants = cfg.grants_for(identity.groups, case_insensitive=identity.source == Source.LDAP)
    codes = {g.department for g in grants}
    departments = {d.code: d for d in Department.objects.filter(code__in=codes, is_active=True)}
    wanted: dict[tuple[int, str], str] = {}
    for grant in grants:
        dept = departments.get(grant.department)
        if dept is None:
            logger.warning(
                "directory group %s maps to unknown department %s: skipped",
                grant.group,
                grant.department,
            )
            continue
        if grant.role in THREE_ADMIN_ROLES:  # refused at start-up; never granted here
            continue
        wanted.setdefault((dept.pk, grant.role), grant.group)

    held = {
        (m.department_id, m.role): m
        for m in user.memberships.select_related("directory_grant", "department")
    }
    added, removed = [], []
    for (dept_id, role), group in wanted.items():
        if (dept_id, role) in held:
            continue  # held already: from an earlier sync, or granted locally (left local)
        membership = Membership.objects.create(user=user, department_id=dept_id, role=role)
        DirectoryGrant.objects.create(membership=membership, source=identity.source, group=group)
        added.append(membership)
    for key, membership in held.items():
        grant = getattr(membership, "directory_grant", None)
        if grant is not None and key not in wanted:
            removed.append(f"{membership.department.code}:{membership.role}")
            membership.delete()

    profile_after = snapshot(user, ("username", *PROFILE_FIELDS))
    roles_after = _roles(user)
    if created or adopted or added or removed or profile_after != profile_before:
        access.forget_scope(user)
        first = user.memberships.select_related("department").first()
        record(
            user,
            "directory.sync",
            user,
            before=None if created else {**profile_before, "roles": roles_before},
            after={
                **profile_after,
                "roles": roles_after,
                "source": identity.source,
                "external_id": identity.external_id,
                "created": created,
                "adopted": adopted,
                "added": sorted(f"{m.department.code}:{m.role}" for m in added),
                "removed": sorted(removed),
            },
            scope_path=first.department.path if first else "",
        )
    return user
