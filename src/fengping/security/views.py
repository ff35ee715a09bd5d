"""Pages: the login's second step, enrolment (/me/2fa/), and the 安全管理员's pages
(policy, lockouts, second factors)."""

from __future__ import annotations

import time
from base64 import b32encode
from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengping.core.pages import run_action, submit
from fengping.core.policy import authenticated, public
from fengping.org import access
from fengping.org import policy as org_policy

from . import actions, otp, passwords
from . import policy as policies
from .forms import CodeForm, PolicyForm

PENDING_KEY = "_fp_otp_pending"
PENDING_SECONDS = 300  # the password step is good this long for the second step
CODES_KEY = "_fp_recovery_codes"

security_admin = org_policy.security_admin(gettext_lazy("只有安全管理员可以打开此页面"))
SECURITY_CRUMB = (gettext_lazy("安全策略"), "/security/policy/")


# ---------------------------------------------------------------- login


class LoginView(auth_views.LoginView):
    """The password step. A user with a second factor is not logged in yet: the password's
    success is kept in the session for a few minutes and the code is asked next
    (`otp_verify`); only then is the user logged in (so a login event, and axes' reset of
    the failure count, happen once the whole login succeeded)."""

    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not otp.has_device(user):
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            "at": int(time.time()),
            "next": self.get_success_url(),
        }
        return redirect("otp_verify")


def _pending_user(request: HttpRequest) -> tuple[Any, dict[str, Any] | None]:
    if request.user.is_authenticated:
        return request.user, None
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, None
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending if user is not None else None


def _safe_next(request: HttpRequest, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse(settings.LOGIN_REDIRECT_URL)


def _end_attempt(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)
    if request.user.is_authenticated:
        auth_logout(request)


@public
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator, or a recovery code. Wrong codes
    count as failed logins for django-axes (the same limit and lockout as passwords)."""
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, _("请重新登录"))
        return redirect("login")
    if otp.is_verified(user):
        return redirect(settings.LOGIN_REDIRECT_URL)
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        _end_attempt(request)
        request.axes_locked_out = True  # type: ignore[attr-defined]
        request.axes_credentials = credentials  # type: ignore[attr-defined]
        return redirect("login")  # replaced by the lockout page (AxesMiddleware)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, recovery = actions.do_verify_second_factor(user, form.cleaned_data["code"])
        if device is not None:
            next_url = _safe_next(request, pending["next"] if pending else request.GET.get("next"))
            request.session.pop(PENDING_KEY, None)
            if pending is not None:
                user.otp_device = device
                auth_login(request, user, backend=pending["backend"])
            otp_login(request, device)
            if recovery:
                messages.warning(
                    request,
                    _("您使用了一个恢复码登录，它已失效；剩余 %(n)d 个。")
                    % {"n": otp.recovery_count(user)},
                )
            return HttpResponseRedirect(next_url)
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            _end_attempt(request)
            return redirect("login")  # replaced by the lockout page (AxesMiddleware)
        form.add_error(
            "code",
            _("恢复码不正确或已使用")
            if recovery
            else _("验证码不正确或已使用，请等待手机上出现新的验证码"),
        )
    return render(request, "security/verify.html", {"form": form, "username": user.get_username()})


# ---------------------------------------------------------------- enrolment


def security_state(user: Any) -> dict[str, Any]:
    """What the profile page shows: the second factor and the password's age (dates are
    shown in the local time zone by the template)."""
    state: dict[str, Any] = {
        "otp_enabled": otp.has_device(user),
        "otp_required": otp.must_use(user),
        "password_changed_at": None,
        "password_expires_at": None,
    }
    if passwords.applies_to(user):
        changed = passwords.changed_at(user)
        state["password_changed_at"] = changed
        state["password_expires_at"] = passwords.expires_at(user, changed)
    return state


def _qr_svg(device: TOTPDevice) -> str:
    # Inline SVG markup (no style attributes, no script): allowed by the CSP.
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")


@authenticated
def otp_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    device = otp.totp_device(user)
    if device is not None:
        return render(
            request,
            "security/otp_status.html",
            {
                "device": device,
                "codes": request.session.pop(CODES_KEY, None),
                "recovery_left": otp.recovery_count(user),
                "required": otp.must_use(user),
            },
        )
    form = CodeForm(request.POST or None)
    form.fields["code"].help_text = _("验证器上显示的 6 位数字")
    pending = actions.start_enrolment(user)

    def enrol(data: dict[str, Any]) -> None:
        confirmed, codes = actions.do_enrol_totp(user, data["code"])
        otp_login(request, confirmed)
        request.session[CODES_KEY] = codes

    if done := submit(request, form, enrol, then="otp_setup", success=_("双因素认证已启用")):
        return done
    return render(
        request,
        "security/otp_enrol.html",
        {
            "form": form,
            "qr": _qr_svg(pending),
            "secret": b32encode(pending.bin_key).decode(),
            "required": otp.must_use(user),
        },
    )


@authenticated
@require_POST
def otp_recovery(request: HttpRequest) -> HttpResponse:
    def regenerate() -> None:
        request.session[CODES_KEY] = actions.do_regenerate_recovery_codes(request.user)

    return run_action(
        request, regenerate, then="otp_setup", success=_("已生成新的恢复码，旧恢复码已失效")
    )


# ---------------------------------------------------------------- 安全管理员


@security_admin
def policy_page(request: HttpRequest) -> HttpResponse:
    current = policies.current()
    initial = {name: getattr(current, name) for name in current.audit_fields}
    initial["version"] = current.version
    form = PolicyForm(request.POST or None, initial=initial)

    def update(data: dict[str, Any]) -> Any:
        version = data.pop("version")
        return actions.do_update_policy(request.user, version=version, **data)

    if done := submit(request, form, update, then="security:policy", success=_("安全策略已保存")):
        return done
    return render(
        request,
        "security/policy.html",
        {"form": form, "floors": policies.FLOORS, "updated_at": current.updated_at},
    )


@security_admin
def lockouts(request: HttpRequest) -> HttpResponse:
    policy = policies.current()
    since = timezone.now() - policies.axes_cooloff()
    rows = (
        actions.administered_attempts(request.user)
        .filter(attempt_time__gte=since)
        .order_by("-attempt_time")[:500]
    )
    return render(
        request,
        "security/lockouts.html",
        {"rows": rows, "limit": policy.lockout_failures, "minutes": policy.lockout_minutes},
    )


@security_admin
def unlock(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = actions.administered_attempts(request.user).filter(pk=pk).first()
    if request.method == "POST":
        return run_action(
            request,
            lambda: actions.do_unlock(request.user, pk),
            then="security:lockouts",
            success=_("已解除锁定"),
        )
    if attempt is None:
        messages.error(request, _("该锁定记录已不存在（可能已被解除或已过期）"))
        return redirect("security:lockouts")
    return render(
        request,
        "core/confirm.html",
        {
            "title": _("解除登录锁定"),
            "crumbs": [(_("登录锁定"), reverse("security:lockouts"))],
            "question": _("确定解除“%(u)s”（来自 %(ip)s）的登录锁定吗？")
            % {"u": attempt.username, "ip": attempt.ip_address},
            "consequence": _("解除后该账号可立即再次尝试登录；此操作会记入审计日志。"),
            "confirm_label": _("确认解除"),
            "cancel_url": reverse("security:lockouts"),
        },
    )


@security_admin
def second_factors(request: HttpRequest) -> HttpResponse:
    users = (
        access.visible(request.user, get_user_model().objects.filter(is_active=True))
        .filter(totpdevice__confirmed=True)
        .distinct()
        .order_by("username")
    )
    return render(request, "security/second_factors.html", {"users": users[:500]})


@security_admin
def reset_second_factor(request: HttpRequest, user_id: int) -> HttpResponse:
    target = access.get_for_user(request.user, get_user_model(), user_id, need="view")
    if request.method == "POST":
        return run_action(
            request,
            lambda: actions.do_reset_second_factor(request.user, target),
            then="security:second_factors",
            success=_("已重置“%(u)s”的双因素认证") % {"u": target.get_username()},
        )
    return render(
        request,
        "core/confirm.html",
        {
            "title": _("重置双因素认证"),
            "crumbs": [(_("双因素认证"), reverse("security:second_factors"))],
            "question": _("确定重置“%(u)s”的双因素认证吗？") % {"u": target.get_username()},
            "consequence": _(
                "该用户的验证器和恢复码将全部失效，下次登录时须重新绑定（管理员必须绑定）。"
                "请先核实本人身份；此操作会记入审计日志。"
            ),
            "confirm_label": _("确认重置"),
            "cancel_url": reverse("security:second_factors"),
        },
    )
