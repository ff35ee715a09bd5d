"""待办事项 through the API: the user's obligations (scope mine / department / all, the
same filters and pages as the page), the sync a 督查 or an administrator asks for, and
the user's calendar-feed token (create or rotate: the URL is returned once; revoke)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Schema

from fengping.core import listing
from fengping.supervision.actions import obligations as actions
from fengping.supervision.views.obligations import (
    OBLIGATIONS,
    SCOPES,
    status_label,
    with_default_status,
)

from . import router


class SvObligationOut(Schema):
    id: int
    kind: str
    kind_label: str
    key: str
    title: str
    url: str
    department_id: int
    department: str
    owner_id: int | None = None
    owner: str | None = None
    office_id: int | None = None
    object_type: str
    object_id: str
    base_due_on: dt.date
    due_on: dt.date
    done_at: dt.datetime | None = None
    overdue_days: int = Field(0, description="逾期天数（未完成且已过截止日期）")
    status: str

    @staticmethod
    def resolve_kind_label(o) -> str:  # type: ignore[no-untyped-def]
        return str(o.get_kind_display())

    @staticmethod
    def resolve_department(o) -> str:  # type: ignore[no-untyped-def]
        return o.department.name

    @staticmethod
    def resolve_owner(o) -> str | None:  # type: ignore[no-untyped-def]
        return str(o.owner) if o.owner_id else None

    @staticmethod
    def resolve_overdue_days(o) -> int:  # type: ignore[no-untyped-def]
        return int(o.days_overdue())

    @staticmethod
    def resolve_status(o) -> str:  # type: ignore[no-untyped-def]
        return status_label(o)


SvObligationFilters = listing.api_filters(OBLIGATIONS, "SvObligationFilters")
SvObligationPage = listing.api_page_schema(SvObligationOut, "SvObligationPage")


@router.get("/obligations", response=SvObligationPage, summary="待办事项")
def obligation_list(
    request: HttpRequest,
    filters: Query[SvObligationFilters],  # type: ignore[valid-type]
    scope: str = "mine",
):  # type: ignore[no-untyped-def]
    """scope: mine（我的待办，默认）、department（本部门及下属单位）、all（有权查看的全部）；
    status 缺省为 open（未完成），可为 overdue、done、all。"""
    if scope not in SCOPES:
        scope = "mine"
    params = with_default_status(filters.model_dump())
    return listing.api_page(OBLIGATIONS, request.user, params, scope)


class SvSyncOut(Schema):
    open: int
    created: int
    updated: int
    closed: int
    reopened: int


@router.post("/obligations/sync", response=SvSyncOut, summary="立即同步待办事项")
def obligation_sync(request: HttpRequest):  # type: ignore[no-untyped-def]
    """督查人员和系统管理员：立即做一次每小时的同步。"""
    return actions.do_sync_obligations(request.user)


class SvFeedOut(Schema):
    url: str = Field(..., description="订阅地址（只返回这一次；系统只保存摘要）")
    created_at: dt.datetime


@router.post("/calendar-feed", response=SvFeedOut, summary="生成或更换日历订阅地址")
def feed_rotate(request: HttpRequest):  # type: ignore[no-untyped-def]
    feed, token = actions.do_rotate_feed(request.user)
    url = request.build_absolute_uri(reverse("supervision:feed", args=[token]))
    return {"url": url, "created_at": feed.created_at}


class SvFeedRevokedOut(Schema):
    revoked: bool


@router.delete("/calendar-feed", response=SvFeedRevokedOut, summary="停用日历订阅地址")
def feed_revoke(request: HttpRequest):  # type: ignore[no-untyped-def]
    return {"revoked": actions.do_revoke_feed(request.user)}
