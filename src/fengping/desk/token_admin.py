"""API tokens as the 安全管理员 sees them: every token of the users in the departments
they administer, filtered by state and holder, exported to XLSX, and revoked one at a
time after a confirmation (三员分立: token revocation is the security administrator's)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.api import tokens
from fengping.api.models import ApiToken, TokenScope
from fengping.core import listing
from fengping.core.listing import ChoiceFilter, Column, ListSpec, SearchFilter
from fengping.core.pages import run_action
from fengping.core.policy import authenticated
from fengping.org import policy

security_admin = policy.security_admin(gettext_lazy("只有安全管理员可以管理他人的 API 令牌"))

STATES = (
    ("active", gettext_lazy("有效")),
    ("expired", gettext_lazy("已过期")),
    ("revoked", gettext_lazy("已撤销")),
)
STATE_BADGES = {"active": "bg-green-lt", "expired": "bg-yellow-lt", "revoked": "bg-secondary-lt"}


class StateFilter(ChoiceFilter):
    """有效 / 已过期 / 已撤销, computed from the two dates at the moment of the query."""

    def narrow(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        now = timezone.now()
        if value == "revoked":
            return qs.filter(revoked_at__isnull=False)
        if value == "expired":
            return qs.filter(revoked_at__isnull=True, expires_at__lte=now)
        return qs.filter(revoked_at__isnull=True, expires_at__gt=now)


def _states(ctx: listing.Context) -> list[tuple[str, Any]]:
    return list(STATES)


def _scopes(ctx: listing.Context) -> list[tuple[str, Any]]:
    return list(TokenScope.choices)


def _queryset(user: Any) -> QuerySet[ApiToken]:
    return tokens.administered_tokens(user).select_related("user", "revoked_by")


def _state_cell(t: ApiToken) -> Any:
    state = t.state()
    return listing.badge(dict(STATES)[state], STATE_BADGES[state])


def _action_cell(t: ApiToken) -> Any:
    if t.revoked_at is not None:
        return ""
    return listing.link(reverse("security_token_revoke", args=[t.pk]), _("撤销"))


TOKENS = ListSpec(
    name="security-tokens",
    title=gettext_lazy("API 令牌管理"),
    queryset=_queryset,
    order=("-created_at", "-id"),
    filters=(
        SearchFilter(
            "q",
            gettext_lazy("持有人、名称或前缀"),
            ("user__username", "user__real_name", "name", "prefix"),
        ),
        StateFilter("state", gettext_lazy("状态"), _states, field="state"),
        ChoiceFilter("scope", gettext_lazy("权限范围"), _scopes, field="scope"),
    ),
    columns=(
        Column(gettext_lazy("持有人"), lambda t: t.user.display_name),
        Column(gettext_lazy("名称"), lambda t: t.name),
        Column(gettext_lazy("前缀"), lambda t: f"{t.prefix}…", css="font-monospace"),
        Column(gettext_lazy("权限范围"), lambda t: t.get_scope_display()),
        Column(gettext_lazy("创建时间"), lambda t: t.created_at, css="small text-nowrap"),
        Column(gettext_lazy("到期时间"), lambda t: t.expires_at, css="small text-nowrap"),
        Column(gettext_lazy("最近使用"), lambda t: t.last_used_at, css="small text-nowrap"),
        Column(
            gettext_lazy("状态"),
            lambda t: dict(STATES)[t.state()],
            html=_state_cell,
        ),
        Column(
            gettext_lazy("撤销人"),
            lambda t: t.revoked_by.display_name if t.revoked_by else "",
            css="small",
        ),
        Column("", lambda t: "", html=_action_cell, export=False, css="text-end"),
    ),
    empty_title=gettext_lazy("没有符合条件的 API 令牌"),
    empty_hint=gettext_lazy("用户在个人资料页创建令牌；这里列出您管理的部门中各用户的令牌"),
    export_url=lambda: reverse("security_tokens_export"),
)


@security_admin
def token_list(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, TOKENS)


@security_admin
def token_list_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, TOKENS)


@authenticated
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    # Not role-gated: the lookup answers 404 to whoever cannot see the holder and 403 to
    # a colleague who can (tests/api/test_tokens.py).
    row = tokens.get_administered_token(request.user, token_id)
    back = reverse("security_tokens")
    if request.method == "POST":
        return run_action(
            request,
            lambda: tokens.do_revoke_token_as_admin(
                request.user, row.pk, request.POST.get("reason", "")
            ),
            then=back,
            success=_("已撤销 %(u)s 的令牌“%(n)s”") % {"u": row.user.display_name, "n": row.name},
        )
    return render(
        request,
        "desk/token_revoke.html",
        {
            "title": _("撤销 API 令牌"),
            "crumbs": [(_("API 令牌管理"), back)],
            "token": row,
            "question": _("确定撤销 %(u)s 的令牌“%(n)s”（%(p)s…）吗？")
            % {"u": row.user.display_name, "n": row.name, "p": row.prefix},
            "consequence": _(
                "撤销后使用该令牌的程序立即无法访问接口，不可恢复；持有人需另建令牌。撤销会记入审计日志。"
            ),
            "cancel_url": back,
            "confirm_label": _("确认撤销"),
        },
    )
