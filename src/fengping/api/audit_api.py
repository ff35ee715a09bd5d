"""The audit chain's state: its last verification (the 审计管理员 and supervisors read
it, as they read the log) and verifying it now (the 审计管理员; the action checks)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from fengping.audit import checks
from fengping.audit.chain import head
from fengping.audit.models import ChainCheck
from fengping.desk.audit_actions import do_verify_chain
from fengping.org import access

router = Router(tags=["audit"])


class AuditCheckOut(Schema):
    id: int
    trigger: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    actor: str
    # None while queued for the job worker.
    ok: bool | None
    checked: int
    broken_seq: int | None
    reason: str


class AuditChainOut(Schema):
    head_seq: int
    head_hash: str
    last: AuditCheckOut | None
    pending: AuditCheckOut | None


def _check(check: ChainCheck | None) -> AuditCheckOut | None:
    if check is None:
        return None
    return AuditCheckOut(
        id=check.pk,
        trigger=check.trigger,
        started_at=check.started_at,
        finished_at=check.finished_at,
        actor=check.actor_name,
        ok=check.ok,
        checked=check.checked,
        broken_seq=check.broken_seq,
        reason=check.reason,
    )


@router.get("/audit/chain", response=AuditChainOut)
def chain_state(request: HttpRequest) -> AuditChainOut:
    user = request.user
    if not (access.is_audit_admin(user) or access.is_supervisor(user)):
        raise PermissionDenied(_("只有审计管理员和督查人员可以查看审计日志"))
    seq, digest = head()
    return AuditChainOut(
        head_seq=seq,
        head_hash=digest,
        last=_check(checks.last_check()),
        pending=_check(checks.pending_check()),
    )


@router.post("/audit/chain/verify", response=AuditCheckOut)
def chain_verify(request: HttpRequest) -> AuditCheckOut:
    check = _check(do_verify_chain(request.user))
    assert check is not None
    return check
