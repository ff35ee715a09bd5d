"""The OIDC doors: start the login at the identity provider, come back, log out.

The library's views, behind `public` (they are how an anonymous person logs in) and a 404
while OIDC is not configured; a failed callback goes back to the login page with the reason.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc import views as oidc_views

from fengping.core.policy import public

from .backends import REFUSAL, oidc_setting


def oidc_configured() -> bool:
    cfg = getattr(settings, "FENGPING_DIRECTORY", None)
    return cfg is not None and cfg.oidc is not None


class _Start(oidc_views.OIDCAuthenticationRequestView):
    get_settings = staticmethod(oidc_setting)


class _Callback(oidc_views.OIDCAuthenticationCallbackView):
    get_settings = staticmethod(oidc_setting)

    def login_failure(self) -> HttpResponse:
        reason = getattr(self.request, REFUSAL, None) or _(
            "统一身份认证登录失败，请重试或联系管理员"
        )
        messages.error(self.request, reason)
        return HttpResponseRedirect(reverse("login"))


class _Logout(oidc_views.OIDCLogoutView):
    get_settings = staticmethod(oidc_setting)


def provider_logout_url(request: HttpRequest) -> str:
    """OIDC_OP_LOGOUT_URL_METHOD: end the session at the identity provider too when it
    publishes an end-session endpoint, and come back to the login page."""
    back = request.build_absolute_uri(reverse("login"))
    endpoint = oidc_setting("FENGPING_OIDC_END_SESSION_ENDPOINT", "")
    if not endpoint:
        return back
    query = {"post_logout_redirect_uri": back, "client_id": settings.OIDC_RP_CLIENT_ID}
    if id_token := request.session.get("oidc_id_token"):
        query["id_token_hint"] = id_token
    return f"{endpoint}?{urlencode(query)}"


def _only_when_configured(view: Any) -> Any:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not oidc_configured():
            raise Http404
        return view(request, *args, **kwargs)

    return public(wrapper)


oidc_start = _only_when_configured(_Start.as_view())
oidc_callback = _only_when_configured(_Callback.as_view())
oidc_logout = _only_when_configured(_Logout.as_view())
