"""Periodic work of the opinions app, run by `fengping tick`."""

from __future__ import annotations

from fengping.core.tick import daily, register

from .actions import close_expired


@register("close_expired_questionnaires", "结束已过截止时间的问卷", daily)
def close_expired_questionnaires() -> str:
    return f"closed {close_expired()} questionnaires"
