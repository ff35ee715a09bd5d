"""The security policy over the API: read and change it (安全管理员 only)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
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
