"""Context for the page shell: the sidebar shows only what works for this user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fengping.org import access

from .nav import Sidebar, flags


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    is_admin, is_supervisor = access.is_org_admin(user), access.is_supervisor(user)
    return {
        "nav_is_admin": is_admin,
        "nav_is_supervisor": is_supervisor,
        "nav_sidebar": Sidebar(request.path, flags(user)),
    }
