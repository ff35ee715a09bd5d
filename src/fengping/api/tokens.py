"""Creating, checking and revoking personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.audit.chain import record
from fengping.core.errors import ActionError

from .models import ApiToken

PREFIX = "fp_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def do_create_token(actor: Any, name: str) -> tuple[ApiToken, str]:
    name = (name or "").strip()
    if not name:
        raise ActionError(_("请为令牌起一个名称，例如“数据对接”"), field="name")
    if ApiToken.objects.filter(user=actor, revoked_at__isnull=True).count() >= 20:
        raise ActionError(_("有效令牌最多 20 个，请先撤销不用的令牌"))
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=actor, name=name, prefix=token[:10], digest=_digest(token))
    record(actor, "api.token.create", row, after={"name": name, "prefix": row.prefix})
    return row, token


@transaction.atomic
def do_revoke_token(actor: Any, token_id: int) -> ApiToken:
    row = ApiToken.objects.select_for_update().filter(user=actor, pk=token_id).first()
    if row is None:
        raise ActionError(_("令牌不存在"))
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        record(actor, "api.token.revoke", row, after={"prefix": row.prefix})
    return row


def revoke_all_for_reset(user: Any) -> dict[str, int]:
    """An administrator reset the user's password: their tokens end with it (registered
    in core.registry.password_reset; the reset's audit event carries the count)."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return {"api_tokens_revoked": revoked}


def user_for_token(token: str) -> Any:
    if not token.startswith(PREFIX):
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    # Write the usage time at most once a minute, not on every request.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
