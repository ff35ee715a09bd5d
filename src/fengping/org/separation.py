"""三员分立 (GB/T 22239-2019 8.1.4.2, 8.1.5.1–8.1.5.3) as `fengping check` reports it: the
system, security and audit administrators are three people. A superuser holds all three
powers at once, so any active one breaks the separation; so does a top-level
organisation without an active holder of each role (while it has no 安全管理员, its
系统管理员 still grants roles: the transition from the single administrator role)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from . import access
from .models import THREE_ADMIN_ROLES, Department, Role, User


def problems() -> list[str]:
    """What keeps the installation from 三员分立, each with what to do; empty when none."""
    found: list[str] = []
    superusers = list(
        User.objects.filter(is_superuser=True, is_active=True).values_list("username", flat=True)
    )
    if superusers:
        found.append(
            _(
                "超级管理员 %(names)s 同时拥有三员的全部权限：用 fengping createadmin 创建三员后停用超级管理员"
            )
            % {"names": "、".join(superusers)}
        )
    order = [Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN]
    assert set(order) == THREE_ADMIN_ROLES
    for root in Department.objects.filter(parent=None, is_active=True).order_by("path"):
        missing = [
            str(role.label) for role in order if not access.active_holders(role, root.path).exists()
        ]
        if missing:
            found.append(
                _("“%(org)s”没有启用的%(roles)s：由安全管理员（尚无时由系统管理员）分配该角色")
                % {"org": root.name, "roles": "、".join(missing)}
            )
    return found
