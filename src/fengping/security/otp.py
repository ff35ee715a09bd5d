"""Who must pass a second factor, and the devices behind it (django-otp).

Each user has at most one confirmed TOTP device (the authenticator app) and one static
device holding the recovery codes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengping.org import access

from . import policy as policies

SESSION_NO_DEVICE = "_fp_otp_none"


def totp_device(user: Any, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=confirmed).first()


def has_device(user: Any) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def recovery_count(user: Any) -> int:
    device = StaticDevice.objects.filter(user_id=user.pk, confirmed=True).first()
    return device.token_set.count() if device else 0


def must_use(user: Any) -> bool:
    """Administrators always; everyone when the policy says so (without a device, they
    are sent to enrol). Others only once they have enrolled (`has_device`)."""
    return access.is_administrator(user) or policies.current().otp_for_everyone


def is_verified(user: Any) -> bool:
    return getattr(user, "otp_device", None) is not None


def needs_step(request: HttpRequest) -> str | None:
    """ "verify" (has a device, session not verified), "enrol" (must use one, has none)
    or None. A user without a device who need not use one is remembered in the session
    so that the devices are not counted on every page."""
    user = request.user
    if not user.is_authenticated or is_verified(user):
        return None
    required = must_use(user)
    session = request.session
    if not required and session.get(SESSION_NO_DEVICE):
        return None
    if has_device(user):
        session.pop(SESSION_NO_DEVICE, None)
        return "verify"
    if required:
        return "enrol"
    session[SESSION_NO_DEVICE] = True
    return None


def remember_at_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """At login, put in the session what the pages would otherwise read on the first
    request after it: the password's age and whether the user has no device (and need
    not use one). The login does its queries once; every page after costs none."""
    if request is None or not hasattr(request, "session"):
        return
    from . import passwords

    passwords.remember(request.session, user)
    if not must_use(user) and not has_device(user):
        request.session[SESSION_NO_DEVICE] = True
