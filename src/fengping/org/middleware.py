"""A user whose password an administrator set (reset, or generated at creation) must
choose a new one before using fengping: the administrator knows the temporary password."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

# Pages a flagged user may still open: the password page itself, logging out, the language
# switch. Static files are served before this middleware runs (whitenoise).
ALLOWED_URL_NAMES = ("password_change", "logout", "set_language")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and request.path not in {reverse(name) for name in ALLOWED_URL_NAMES}
            and not request.path.startswith(settings.STATIC_URL)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": _("管理员为您设置了临时密码，请先登录网页修改密码"),
                        "code": "password_change_required",
                    },
                    status=403,
                )
            messages.warning(request, _("管理员为您设置了临时密码，请先设置您自己的新密码。"))
            if request.headers.get("HX-Request"):
                return HttpResponseClientRedirect(reverse("password_change"))
            return redirect("password_change")
        return self.get_response(request)
