"""The audit log's one state change: the 审计管理员 verifies the chain now. (It lives
in `desk` because the audit app lies below `org` and cannot check roles itself.)"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from fengping.audit import checks
from fengping.audit.chain import head, record
from fengping.audit.jobs import inline_limit
from fengping.audit.models import ChainCheck, CheckTrigger
from fengping.core.errors import ActionError
from fengping.org import access


def do_verify_chain(actor: Any) -> ChainCheck:
    """Verify the chain now (the 审计管理员): in the request for a small log, else queued for
    the job worker; the result is kept as a `ChainCheck`. Refused while an earlier queued
    verification has not finished."""
    if not access.is_audit_admin(actor):
        raise PermissionDenied(_("只有审计管理员可以校验审计链"))
    if checks.pending_check() is not None:
        raise ActionError(_("已有一次校验在排队或进行中，请稍后刷新查看结果"))
    seq, _digest = head()
    inline = seq <= inline_limit()
    with transaction.atomic():
        check = checks.start_check(CheckTrigger.MANUAL, actor)
        record(
            actor,
            "audit.chain.verify",
            check,
            after={"events": seq, "inline": inline},
            object_repr=_("审计链校验"),
        )
        if not inline:
            transaction.on_commit(lambda: checks.verify_in_background.enqueue(check.pk))
            return check
    # Verified once the event has committed, so the check covers the event that asked.
    return checks.run_check(check)
