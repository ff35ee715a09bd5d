"""Periodic work of the opinions app, run by `fengping tick`."""

from __future__ import annotations

from fengping.core.tick import daily, register

from . import tallies
from .actions import close_expired


@register("close_expired_questionnaires", "结束已过截止时间的问卷", daily)
def close_expired_questionnaires() -> str:
    return f"closed {close_expired()} questionnaires"


@register("repair_opinion_tallies", "核对问卷统计计数", daily)
def repair_opinion_tallies() -> str:
    checked, repaired = tallies.repair()
    return f"checked {checked} questionnaires, repaired {repaired}"
