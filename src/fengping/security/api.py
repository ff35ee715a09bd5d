"""The security policy over the API: read and change it (安全管理员 only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from fengping.org import access

from . import actions
from . import policy as policies

router = Router(tags=["security"])


class PolicyOut(Schema):
    min_length: int
    required_classes: int
    expiry_days: int
    history_count: int
    lockout_failures: int
    lockout_minutes: int
    idle_minutes: int
    otp_for_everyone: bool
    version: int


class PolicyIn(Schema):
    version: int = Field(..., description="读取时的版本号，用于防止覆盖他人的修改")
    min_length: int | None = None
    required_classes: int | None = None
    expiry_days: int | None = None
    history_count: int | None = None
    lockout_failures: int | None = None
    lockout_minutes: int | None = None
    idle_minutes: int | None = None
    otp_for_everyone: bool | None = None


def _gate(request: HttpRequest) -> None:
    if not access.is_security_admin(request.user):
        raise PermissionDenied(_("只有安全管理员可以查看或修改安全策略"))


@router.get("/policy", response=PolicyOut)
def get_policy(request: HttpRequest) -> Any:
    _gate(request)
    return policies.current()


@router.put("/policy", response=PolicyOut)
def update_policy(request: HttpRequest, payload: PolicyIn) -> Any:
    _gate(request)
    values = {k: v for k, v in payload.dict(exclude={"version"}).items() if v is not None}
    return actions.do_update_policy(request.user, version=payload.version, **values)


class LockoutOut(Schema):
    id: int
    username: str
    ip_address: str | None
    failures: int = Field(..., description="本轮连续失败次数")
    attempt_time: dt.datetime


@router.get("/lockouts", response=list[LockoutOut])
def list_lockouts(request: HttpRequest) -> Any:
    """安全管理员：所管理部门中账号的登录失败与锁定记录（冷却期内，最新在前，至多 500 条）。"""
    _gate(request)
    since = timezone.now() - policies.axes_cooloff()
    rows = (
        actions.administered_attempts(request.user)
        .filter(attempt_time__gte=since)
        .order_by("-attempt_time")[:500]
    )
    return [
        {
            "id": r.pk,
            "username": r.username,
            "ip_address": r.ip_address,
            "failures": r.failures_since_start,
            "attempt_time": r.attempt_time,
        }
        for r in rows
    ]


class Done(Schema):
    detail: str


@router.post("/lockouts/{attempt_id}/unlock", response=Done)
def unlock(request: HttpRequest, attempt_id: int) -> Any:
    """安全管理员解除一条登录锁定（写入审计日志）。"""
    actions.do_unlock(request.user, attempt_id)
    return {"detail": _("已解除锁定")}


@router.post("/second-factor/{user_id}/reset", response=Done)
def reset_second_factor(request: HttpRequest, user_id: int) -> Any:
    """安全管理员重置某用户的双因素认证（遗失手机等；不能重置自己的；写入审计日志）。"""
    target = access.get_for_user(request.user, get_user_model(), user_id, need="view")
    actions.do_reset_second_factor(request.user, target)
    return {"detail": _("已重置双因素认证")}
