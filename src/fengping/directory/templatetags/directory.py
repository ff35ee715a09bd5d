"""What the login page shows about directory login (the page belongs to `desk`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse

from fengping.directory.backends import REFUSAL, UNREACHABLE

register = template.Library()


@register.simple_tag(takes_context=True)
def directory_login(context: Any) -> dict[str, Any]:
    request = context.get("request")
    cfg = getattr(settings, "FENGPING_DIRECTORY", None)
    oidc = cfg.oidc if cfg is not None else None
    return {
        "unreachable": bool(getattr(request, UNREACHABLE, False)),
        "refusal": getattr(request, REFUSAL, ""),
        "oidc_label": oidc.button_label if oidc else "",
        "oidc_url": reverse("oidc_authentication_init") if oidc else "",
    }
