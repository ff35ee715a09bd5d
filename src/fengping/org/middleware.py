"""A user must choose a new password before using fengping when an administrator set the
current one (reset, or generated at creation: the administrator knows it), or for a reason
another app registers in `core.registry.password_change_reasons` (the security app: the
password is older than the policy allows)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from fengping.core.registry import password_change_reasons

# Pages a flagged user may still open: the password page itself, logging out, the language
# switch, the second factor's page (its recovery codes are shown once, there). Static
# files are served before this middleware runs (whitenoise).
ALLOWED_URL_NAMES = ("password_change", "logout", "set_language", "otp_setup")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or request.path in {reverse(name) for name in ALLOWED_URL_NAMES}
            or request.path.startswith(settings.STATIC_URL)
        ):
            return self.get_response(request)
        if getattr(user, "must_change_password", False):
            reason = {
                "code": "password_change_required",
                "detail": _("管理员为您设置了临时密码，请先登录网页修改密码"),
                "message": _("管理员为您设置了临时密码，请先设置您自己的新密码。"),
            }
        else:
            reasons = password_change_reasons.collect(request)
            if not reasons:
                return self.get_response(request)
            reason = reasons[0]
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": reason["detail"], "code": reason["code"]}, status=403)
        messages.warning(request, reason["message"])
        if request.headers.get("HX-Request"):
            return HttpResponseClientRedirect(reverse("password_change"))
        return redirect("password_change")
