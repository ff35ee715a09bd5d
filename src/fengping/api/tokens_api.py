"""API tokens through the API: one's own (list, create, revoke) and, for the 安全管理员,
every token of the users they administer (list, revoke).

A token cannot make another token: creating one needs the browser session, so a token
that is about to expire cannot extend itself, and a leaked token cannot mint a spare."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from fengping.core import listing
from fengping.desk.token_admin import TOKENS
from fengping.org import access

from . import tokens
from .models import ApiToken

router = Router(tags=["tokens"])


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scope: str = Field(..., description="read 只读 | read_write 读写")
    state: str = Field(..., description="active 有效 | expired 已过期 | revoked 已撤销")
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class AdminTokenOut(TokenOut):
    user_id: int
    username: str
    revoked_by: str | None


class TokenCreate(Schema):
    name: str = Field(..., max_length=80)
    scope: str = Field("read", description="read 只读 | read_write 读写")
    days: int | None = Field(None, description="有效天数，默认为允许的最长期限")


class TokenCreated(TokenOut):
    token: str = Field(..., description="令牌全文，只在此时返回一次")


class RevokeIn(Schema):
    reason: str = Field("", max_length=200)


def _out(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.pk,
        "name": row.name,
        "prefix": row.prefix,
        "scope": row.scope,
        "state": row.state(),
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "last_used_at": row.last_used_at,
        "revoked_at": row.revoked_at,
    }


def _admin_out(row: ApiToken) -> dict[str, Any]:
    return {
        **_out(row),
        "user_id": row.user_id,
        "username": row.user.username,
        "revoked_by": row.revoked_by.username if row.revoked_by else None,
    }


@router.get("/me/tokens", response=list[TokenOut])
def my_tokens(request: HttpRequest) -> Any:
    """本人的 API 令牌（不含令牌全文）。"""
    return [_out(t) for t in ApiToken.objects.filter(user=request.user)]


@router.post("/me/tokens", response={201: TokenCreated})
def create_token(request: HttpRequest, data: TokenCreate) -> Any:
    """创建本人的 API 令牌；只能在浏览器会话中创建，不能用令牌创建令牌。"""
    row, token = tokens.do_create_token(
        request.user,
        data.name,
        scope=data.scope,
        days=data.days,
        via_token=getattr(request, "fengping_api_token", None) is not None,
    )
    return Status(201, {**_out(row), "token": token})


@router.post("/me/tokens/{token_id}/revoke", response=TokenOut)
def revoke_my_token(request: HttpRequest, token_id: int) -> Any:
    """撤销本人的一个令牌。"""
    return _out(tokens.do_revoke_token(request.user, token_id))


AdminTokenFilters = listing.api_filters(TOKENS, "AdminTokenFilters")


@router.get("/security/tokens", response=listing.api_page_schema(AdminTokenOut, "AdminTokenPage"))
def admin_tokens(request: HttpRequest, filters: Query[AdminTokenFilters]) -> Any:  # type: ignore[valid-type]
    """安全管理员：所管理部门中各用户的 API 令牌，可按 q、state、scope 筛选。"""
    if not access.is_security_admin(request.user):
        raise PermissionDenied(_("只有安全管理员可以管理他人的 API 令牌"))
    page = listing.api_page(TOKENS, request.user, filters.model_dump())  # type: ignore[attr-defined]
    page["items"] = [_admin_out(t) for t in page["items"]]
    return page


@router.post("/security/tokens/{token_id}/revoke", response=AdminTokenOut)
def admin_revoke(request: HttpRequest, token_id: int, data: RevokeIn) -> Any:
    """安全管理员撤销所管理部门中某用户的令牌（写入审计日志）。"""
    row = tokens.do_revoke_token_as_admin(request.user, token_id, data.reason)
    return _admin_out(tokens.get_administered_token(request.user, row.pk))
