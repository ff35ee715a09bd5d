"""The DOCX of a 督办通知, in the 红头 layout of an official document: the office's name in
red, the 文号 right under it above a red rule, the title, the addressee department, the
body, the deadline to reply, the office and date above the seal line. Rendering goes
through the reports app: the shipped template (`reports/templates_docx/supervision_notice.docx`,
written by `supervision/report_templates/build.py`) unless an administrator uploaded one
for the key `supervision-notice` on the 报告模板 page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.core.errors import ActionError

from .models import SupervisionNotice

REPORT_KEY = "supervision-notice"
DIGITS = "〇一二三四五六七八九"


def _cn_small(n: int) -> str:
    """1..31 as 一 … 十 … 二十 … 三十一."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return DIGITS[ones]
    head = "十" if tens == 1 else DIGITS[tens] + "十"
    return head + (DIGITS[ones] if ones else "")


def cn_upper_date(value: dt.date | dt.datetime | None) -> str:
    """二〇二六年十二月六日 (the date form of an official document)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    year = "".join(DIGITS[int(c)] for c in str(value.year))
    return f"{year}年{_cn_small(value.month)}月{_cn_small(value.day)}日"


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()] or ["—"]


def notice_context(notice: SupervisionNotice) -> dict[str, Any]:
    obligation = notice.obligation
    due = obligation.due_on
    return {
        "office": notice.office.name,
        "doc_number": notice.doc_number,
        "title": notice.title,
        "department": notice.department.name,
        "paragraphs": _paragraphs(notice.body),
        "obligation": obligation.title,
        "due_on": f"{due.year}年{due.month}月{due.day}日",
        "reply_by": cn_upper_date(notice.reply_by) if notice.reply_by else "",
        "issued_on": cn_upper_date(notice.issued_at),
        "issued_by": notice.issued_by.real_name or notice.issued_by.username,
    }


def sample_context() -> dict[str, Any]:
    """A filled context without the database: what an uploaded template must render."""
    return {
        "office": "示范镇维稳办",
        "doc_number": "维稳办督〔2026〕1号",
        "title": "关于督促办理“年度评估计划表备案”的通知",
        "department": "人社局",
        "paragraphs": [
            "你单位“年度评估计划表备案”应于2026年3月31日前完成，截至目前仍未完成。",
        ],
        "obligation": "年度评估计划表备案",
        "due_on": "2026年3月31日",
        "reply_by": "二〇二六年四月十日",
        "issued_on": "二〇二六年四月三日",
        "issued_by": "张三",
    }


def notice_docx(notice: SupervisionNotice) -> bytes:
    from fengping.reports.actions import RENDER_ERRORS
    from fengping.reports.render import render_docx, template_for

    path, _origin = template_for(REPORT_KEY)
    try:
        return render_docx(path, notice_context(notice))
    except RENDER_ERRORS as exc:
        raise ActionError(
            _("督办通知模板无法生成文件（%(e)s），请管理员检查或恢复默认模板。") % {"e": exc}
        ) from exc


def file_name(notice: SupervisionNotice) -> str:
    return f"{notice.doc_number}-{notice.title}.docx".replace("/", "-")
