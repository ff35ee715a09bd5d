"""Periodic work of the opinions app, run by `fengping tick`."""

from __future__ import annotations

from fengping.core.tick import daily, hourly, register

from . import keyword_index, tallies
from .actions import close_expired


@register("close_expired_questionnaires", "结束已过截止时间的问卷", daily)
def close_expired_questionnaires() -> str:
    return f"closed {close_expired()} questionnaires"


@register("extract_pending_keywords", "提取积压意见的关键词", hourly)
def extract_pending_keywords() -> str:
    """Catch up texts whose job was lost (no worker running, a worker killed): the tick
    runs in its own process, never in a web worker."""
    return f"extracted keywords of {keyword_index.extract_pending_all()} texts"


@register("repair_opinion_tallies", "核对问卷统计计数", daily)
def repair_opinion_tallies() -> str:
    checked, repaired = tallies.repair()
    return f"checked {checked} questionnaires, repaired {repaired}"
