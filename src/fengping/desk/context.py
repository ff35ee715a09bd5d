"""Context for the page shell: the sidebar shows only what works for this user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fengping.org import access


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_is_admin": access.is_org_admin(user),
        "nav_is_supervisor": access.is_supervisor(user),
    }
