"""The role gates of the pages: `core.policy.role_gate` with the predicates of
`fengping.org.access`. Each gated view's policy names its gate, and
tests/core/test_policies.py lists which routes carry which gate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fengping.core.policy import View, role_gate

from . import access


def org_admin(message: Any) -> Callable[[View], View]:
    """Only organisation administrators (and superusers); others get 403 with `message`."""
    return role_gate("org_admin", access.is_org_admin, message)


def _admin_or_supervisor(user: Any) -> bool:
    return access.is_org_admin(user) or access.is_supervisor(user)


def admin_or_supervisor(message: Any) -> Callable[[View], View]:
    """Administrators and supervisors (督查); others get 403 with `message`."""
    return role_gate("admin_or_supervisor", _admin_or_supervisor, message)


def _audit_reader(user: Any) -> bool:
    return access.is_audit_admin(user) or access.is_supervisor(user)


def audit_reader(message: Any) -> Callable[[View], View]:
    """审计管理员 and supervisors (督查) read the audit log; the 系统管理员 does not (三员分立)."""
    return role_gate("audit_reader", _audit_reader, message)


def audit_admin(message: Any) -> Callable[[View], View]:
    """Only the 审计管理员 (and superusers)."""
    return role_gate("audit_admin", access.is_audit_admin, message)


def security_admin(message: Any) -> Callable[[View], View]:
    """Only the 安全管理员 (and superusers): policy, lockouts, second factors, tokens."""
    return role_gate("security_admin", access.is_security_admin, message)
