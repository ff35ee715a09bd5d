"""The second step before any page: a signed-in user who must pass a second factor and
has not in this session is sent to it (to enrol first when they have no device). API
calls made with the session are refused with 403 `otp_required`; token calls are not
concerned (a token is made from a page, after the second step)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from . import otp

# Reachable before the second step: the step itself, logging out, the language switch.
STEP_URL_NAMES = {"verify": "otp_verify", "enrol": "otp_setup"}
ALWAYS_ALLOWED = ("logout", "set_language")


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or request.path.startswith(settings.STATIC_URL)
        ):
            return self.get_response(request)
        step = otp.needs_step(request)
        if step is None:
            return self.get_response(request)
        target = reverse(STEP_URL_NAMES[step])
        if request.path == target or request.path in {reverse(n) for n in ALWAYS_ALLOWED}:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": _("请先在网页上完成双因素认证"),
                    "code": "otp_required",
                },
                status=403,
            )
        if request.headers.get("HX-Request"):
            return HttpResponseClientRedirect(target)
        return redirect(target)
