"""The desk: home page, login, profile, password and API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from fengping.api import tokens
from fengping.api.models import ApiToken
from fengping.audit import checks
from fengping.core import listing
from fengping.core.pages import form_page, run_action, submit
from fengping.core.policy import authenticated, public
from fengping.core.registry import home_cards
from fengping.org import access, actions
from fengping.org.models import Department, Membership, User
from fengping.security.views import LoginView as SecondStepLoginView
from fengping.security.views import security_state

from .forms import PasswordForm, ProfileForm, TokenForm

EVENT_COUNT_BOUND = 100_000  # the home card counts this many audit events at most

# The password step; a user with a second factor is asked for a code next
# (fengping.security.views.otp_verify) before being logged in.
login = public(SecondStepLoginView.as_view(redirect_authenticated_user=True))
logout = public(auth_views.LogoutView.as_view())
set_language = public(django_set_language)


@authenticated
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    memberships = Membership.objects.filter(user=user).select_related("department")
    context = {
        "cards": home_cards.collect(user),
        "department_count": access.visible(user, Department.objects.filter(is_active=True)).count(),
        "user_count": access.visible(user, User.objects.filter(is_active=True)).count(),
        "memberships": memberships,
        "token_count": ApiToken.objects.filter(
            user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).count(),
    }
    if access.is_audit_admin(user) or access.is_supervisor(user):
        from .audit_views import visible_events

        # Bounded: the log grows without end, the card need not count all of it.
        context["event_count"], context["event_count_capped"] = listing.bounded_count(
            visible_events(user), EVENT_COUNT_BOUND
        )
        context["recent_events"] = visible_events(user)[:8]
        # The newest finished verification, daily (tick or job worker) or by hand.
        context["last_verify"] = checks.last_check()
    return render(request, "desk/home.html", context)


@authenticated
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "version": user.version,
            "real_name": user.real_name,
            "phone": user.phone,
            "email": user.email,
        },
    )
    if done := submit(
        request,
        form,
        lambda d: actions.do_update_own_profile(user, **d),
        then="profile",
        success=_("个人资料已保存"),
    ):
        return done
    return render(
        request,
        "desk/profile.html",
        {
            "form": form,
            "token_form": TokenForm(),
            "token_max_days": tokens.max_days(),
            "tokens": ApiToken.objects.filter(user=user),
            "now": timezone.now(),
            "memberships": Membership.objects.filter(user=user).select_related("department"),
            "new_token": request.session.pop("new_token", None),
            **security_state(user),
        },
    )


@authenticated
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordForm(request.POST or None)

    def change(data: dict[str, Any]) -> None:
        actions.do_change_own_password(request.user, data["old_password"], data["new_password1"])
        update_session_auth_hash(request, request.user)

    if done := submit(request, form, change, then="profile", success=_("密码已修改")):
        return done
    return form_page(request, form, _("修改密码"), [(_("个人资料"), "/me/")], "/me/")


@authenticated
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        problems = "；".join(str(e) for errors in form.errors.values() for e in errors)
        messages.error(request, _("令牌未创建：%(p)s") % {"p": problems})
        return redirect("profile")

    def create() -> None:
        data = form.cleaned_data
        _row, token = tokens.do_create_token(
            request.user, data["name"], scope=data["scope"], days=data["days"]
        )
        # Shown once on the next page, then gone: only its hash is stored.
        request.session["new_token"] = token

    return run_action(request, create, then="profile")


@authenticated
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    return run_action(
        request,
        lambda: tokens.do_revoke_token(request.user, token_id),
        then="profile",
        success=_("令牌已撤销"),
    )
