"""Who holds which role over an organ — for the approvals the scheme gives to roles
(level changes, resolutions, the head's second confirmation). An administrator's reach
does not make them a leader: only the role itself counts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fengping.org import access
from fengping.org.models import Department, Membership, Role, User


def holds_role(user: Any, organ: Department, roles: Iterable[str]) -> bool:
    scope = access.scope_of(user)
    return any(
        organ.path.startswith(path)
        for role in roles
        for path in scope.role_paths.get(role, frozenset())
    )


def role_holders(organ: Department, role: str) -> list[User]:
    """Active users holding ``role`` in the organ itself."""
    return [
        m.user
        for m in Membership.objects.filter(
            department=organ, role=role, user__is_active=True
        ).select_related("user")
    ]


def first_holder(organ: Department, role: str) -> User | None:
    holders = role_holders(organ, role)
    return holders[0] if holders else None


__all__ = ["Role", "first_holder", "holds_role", "role_holders"]
