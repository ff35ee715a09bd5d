"""Creating, checking and revoking personal API tokens.

A token has a scope (read or read-write) and an end (`FENGPING_API_TOKEN_MAX_DAYS`, 90 by
default). Its holder revokes it on the profile page; a 安全管理员 revokes any token of a
user in the departments they administer (三员分立: token revocation is theirs)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.audit.chain import record
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import Membership, Role, User
from fengping.security.models import PasswordHistory

from .models import ApiToken, TokenScope

PREFIX = "fp_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def max_days() -> int:
    return int(settings.FENGPING_API_TOKEN_MAX_DAYS)


def lifetime_choices() -> list[int]:
    """The lifetimes offered on the profile page: the usual ones up to the maximum."""
    top = max_days()
    return sorted({d for d in (7, 30, 90, 180, 365) if d < top} | {top})


@transaction.atomic
def do_create_token(
    actor: Any,
    name: str,
    *,
    scope: str = TokenScope.READ_WRITE,
    days: int | None = None,
    via_token: bool = False,
) -> tuple[ApiToken, str]:
    """A new token for the actor. Programs calling this name the scope they need; the
    profile page offers read-only first. `days` defaults to the longest life allowed.
    A request authenticated by a token (`via_token`) may not make one: a token about to
    expire could otherwise extend itself for ever, and a leaked one mint a spare."""
    if via_token:
        raise PermissionDenied(_("不能用 API 令牌创建新令牌，请登录网页在个人资料页创建"))
    name = (name or "").strip()
    if not name:
        raise ActionError(_("请为令牌起一个名称，例如“数据对接”"), field="name")
    if scope not in TokenScope.values:
        raise ActionError(_("令牌权限范围只能是“只读”或“读写”"), field="scope")
    limit = max_days()
    days = limit if days is None else days
    if not 1 <= days <= limit:
        raise ActionError(_("令牌有效期须在 1 到 %(n)d 天之间") % {"n": limit}, field="days")
    now = timezone.now()
    live = ApiToken.objects.filter(user=actor, revoked_at__isnull=True, expires_at__gt=now)
    if live.count() >= 20:
        raise ActionError(_("有效令牌最多 20 个，请先撤销不用的令牌"))
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=token[:10],
        digest=_digest(token),
        scope=scope,
        expires_at=now + timedelta(days=days),
    )
    record(
        actor,
        "api.token.create",
        row,
        after={"name": name, "prefix": row.prefix, "scope": scope, "expires_at": row.expires_at},
    )
    return row, token


@transaction.atomic
def do_revoke_token(actor: Any, token_id: int) -> ApiToken:
    """The holder revokes their own token."""
    row = ApiToken.objects.select_for_update().filter(user=actor, pk=token_id).first()
    if row is None:
        # Someone else's token, or none: the same answer, so ids reveal nothing.
        raise Http404
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        record(actor, "api.token.revoke", row, after={"prefix": row.prefix})
    return row


# ------------------------------------------------------------ the security administrator


def security_admin_paths(user: Any) -> frozenset[str] | None:
    """The department subtrees whose users' tokens `user` administers: None for every
    user (a superuser), an empty set for someone who is not a 安全管理员."""
    scope = access.scope_of(user)
    if scope.everything:
        return None
    return scope.role_paths.get(Role.SECURITY_ADMIN, frozenset())


def administered_tokens(
    user: Any, queryset: QuerySet[ApiToken] | None = None
) -> QuerySet[ApiToken]:
    """The tokens of users with a membership in a department the 安全管理员 administers.
    A user who also belongs elsewhere still counts: their token reaches this subtree."""
    qs = ApiToken.objects.all() if queryset is None else queryset
    paths = security_admin_paths(user)
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    q = Q()
    for path in paths:
        q |= Q(department__path__startswith=path)
    holders = Membership.objects.filter(q).values("user_id")
    return qs.filter(user_id__in=holders)


def get_administered_token(user: Any, token_id: int, *, lock: bool = False) -> ApiToken:
    """One token for the token pages and API, as `access.get_for_user` answers for an
    object: the token to a 安全管理员 who administers its holder; 403 to someone who sees
    the holder (a colleague, a 督查) but may not manage tokens; 404 to everyone else."""
    base = ApiToken.objects.select_for_update(of=("self",)) if lock else ApiToken.objects
    row = (
        administered_tokens(user, base)
        .select_related("user", "revoked_by")
        .filter(pk=token_id)
        .first()
    )
    if row is not None:
        return row
    holder = ApiToken.objects.filter(pk=token_id).values_list("user_id", flat=True).first()
    if (
        holder is not None
        and not access.is_security_admin(user)
        and access.visible(user, User.objects.filter(pk=holder)).exists()
    ):
        raise PermissionDenied(_("只有安全管理员可以管理他人的 API 令牌"))
    raise Http404


@transaction.atomic
def do_revoke_token_as_admin(actor: Any, token_id: int, reason: str = "") -> ApiToken:
    """A 安全管理员 revokes a user's token (a leaked key, a person who left)."""
    row = get_administered_token(actor, token_id, lock=True)
    if row.revoked_at is not None:
        raise ActionError(_("该令牌已于此前撤销"))
    row.revoked_at = timezone.now()
    row.revoked_by = actor
    row.save(update_fields=["revoked_at", "revoked_by"])
    record(
        actor,
        "api.token.revoke_by_admin",
        row,
        after={"prefix": row.prefix, "holder": row.user.username, "reason": reason.strip()[:200]},
        scope_path=row.user.audit_scope_path,
    )
    return row


def revoke_all_for_reset(user: Any) -> dict[str, int]:
    """An administrator reset the user's password: their tokens end with it (registered
    in core.registry.password_reset; the reset's audit event carries the count)."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return {"api_tokens_revoked": revoked}


class TokenRefused(Exception):
    """A known token that may not make this request (expired, revoked, read-only)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def user_for_token(token: str, method: str = "GET") -> Any:
    """The user a bearer token stands for, None for an unknown token; raises
    TokenRefused when the token is known but may not make a `method` request."""
    if not token.startswith(PREFIX):
        return None
    # The holder's last password change comes in the same query (a token stops when its
    # holder's password has expired, `api.main.TokenAuth`).
    changed = PasswordHistory.objects.filter(user_id=OuterRef("user_id")).order_by("-created_at")
    row = (
        ApiToken.objects.select_related("user")
        .annotate(password_changed_at=Subquery(changed.values("created_at")[:1]))
        .filter(digest=_digest(token), user__is_active=True)
        .first()
    )
    if row is None:
        return None
    row.user.password_changed_at = row.password_changed_at or row.user.date_joined
    now = timezone.now()
    refusal = row.refusal(method, now)
    if refusal is not None:
        raise TokenRefused(*refusal)
    # Write the usage time at most once a minute, not on every request.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
