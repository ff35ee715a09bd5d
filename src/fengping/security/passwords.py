"""Password age: when a user's password was last set and whether it has expired."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from . import policy as policies
from .models import PasswordHistory

SESSION_KEY = "_fp_pw_changed"


def changed_at(user: Any) -> datetime:
    """The newest history row; an account without one (imported in bulk, which hashes
    without saving through `set_password`) counts from its creation."""
    latest = (
        PasswordHistory.objects.filter(user_id=user.pk).values_list("created_at", flat=True).first()
    )
    return latest or user.date_joined


def expires_at(user: Any, when: datetime | None = None) -> datetime:
    return (when or changed_at(user)) + timedelta(days=policies.current().expiry_days)


def applies_to(user: Any) -> bool:
    """Directory accounts (no usable local password) are never asked to change it."""
    return bool(user.is_authenticated and user.has_usable_password())


def expired(user: Any, when: datetime | None = None) -> bool:
    return applies_to(user) and timezone.now() >= expires_at(user, when)


def _fingerprint(user: Any) -> str:
    return hashlib.sha256(user.password.encode()).hexdigest()[:16]


def expired_for_request(request: HttpRequest) -> bool:
    """`expired(request.user)` without a query per request: the change time is kept in the
    session with a fingerprint of the password hash, so a new password (which changes the
    hash) is read anew."""
    user = request.user
    if not applies_to(user):
        return False
    session = request.session
    fingerprint = _fingerprint(user)
    kept = session.get(SESSION_KEY)
    when = None
    if isinstance(kept, list) and len(kept) == 2 and kept[0] == fingerprint:
        when = parse_datetime(kept[1])
    if when is None:
        when = remember(session, user)
    return expired(user, when)


def remember(session: Any, user: Any) -> datetime:
    """Keep the password's change time in the session (with the hash's fingerprint)."""
    when = changed_at(user)
    if applies_to(user):
        session[SESSION_KEY] = [_fingerprint(user), when.isoformat()]
    return when


def expiry_reason(request: HttpRequest) -> dict[str, str] | None:
    """For org.middleware (core.registry.password_change_reasons): an expired password
    must be changed before anything else."""
    if not expired_for_request(request):
        return None
    return {
        "code": "password_expired",
        "detail": _("您的密码已过期，请先登录网页修改密码"),
        "message": _("您的密码已超过安全策略规定的有效期，请先设置新密码。"),
    }
