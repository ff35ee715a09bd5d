"""The monthly progress report (工作进展情况报告表, 篇3 六(一)) as DOCX and XLSX.

The DOCX goes through the reports app: the template is the shipped default
(`reports/templates_docx/sv_monthly_report.docx`, written by `build.py` here) unless an
administrator uploaded one for the key `sv-monthly` on the 报告模板 page. The context
holds only strings and lists, so an uploaded template is tried against `sample_context`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.core.errors import ActionError
from fengping.core.xlsx import write_workbook

from .. import figures as figs
from ..models import MonthlyReport

REPORT_KEY = "sv-monthly"
TITLE = "工作进展情况报告表"


def cn_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{cn_date(local)} {local:%H:%M}"


def cn_month(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def _as_of(text: str) -> str:
    """A month's count is as of the next month's first moment: shown as the month's last
    day; a state's count as the moment it was pulled."""
    try:
        moment = timezone.localtime(dt.datetime.fromisoformat(text))
    except (TypeError, ValueError):
        return ""
    if moment.time() == dt.time():
        return cn_date(moment.date() - dt.timedelta(days=1))
    return cn_datetime(moment)


def _person(user: Any) -> str:
    if user is None:
        return ""
    return getattr(user, "real_name", "") or getattr(user, "username", "") or str(user)


def _lines(text: str) -> list[str]:
    out = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return out or ["—"]


def figure_rows(report: MonthlyReport) -> list[dict[str, Any]]:
    """The figures in table order: label, group, reported value, pulled value, whether
    the department corrected it, and the as-of time (Chinese)."""
    rows = []
    current = report.figures or {}
    for key, row in figs.ordered(report.figures_pulled or {}):
        pulled = row.get("value", 0)
        value = current.get(key, pulled)
        rows.append(
            {
                "key": key,
                "label": row.get("label", key),
                "group": row.get("group", ""),
                "value": value,
                "pulled": pulled,
                "corrected": value != pulled,
                "as_of": _as_of(row.get("as_of", "")),
                "sub": key.startswith(("grade:", "decision:")),
            }
        )
    return rows


def report_context(report: MonthlyReport) -> dict[str, Any]:
    rows = figure_rows(report)
    return {
        "title": TITLE,
        "department": report.department.name,
        "office": report.office.name if report.office else "维稳办",
        "month": cn_month(report.month),
        "due_on": cn_date(report.due_on),
        "status": report.get_status_display(),
        "figures_at": cn_datetime(report.figures_at),
        "submitted_at": cn_date(report.submitted_at) or "未上报",
        "signed_on": cn_date(report.submitted_at) or "    年  月  日",
        "submitted_by": _person(report.submitted_by),
        "late": "是" if report.late else "否",
        "acknowledged_at": cn_date(report.acknowledged_at) or "—",
        "acknowledged_by": _person(report.acknowledged_by) or "—",
        "generated_on": cn_date(timezone.localdate()),
        "figures": [
            {
                "group": r["group"],
                "label": r["label"],
                "value": str(r["value"]),
                "note": (f"系统取数{r['pulled']}，本单位更正" if r["corrected"] else ""),
                "as_of": r["as_of"],
            }
            for r in rows
        ],
        "work_done": _lines(report.work_done),
        "problems": _lines(report.problems),
        "next_steps": _lines(report.next_steps),
    }


def sample_context() -> dict[str, Any]:
    """A filled context without the database: what an uploaded template must render."""
    return {
        "title": TITLE,
        "department": "示范市人力资源和社会保障局",
        "office": "示范市维稳办",
        "month": "2026年11月",
        "due_on": "2026年11月20日",
        "status": "已上报",
        "figures_at": "2026年11月18日 09:30",
        "submitted_at": "2026年11月18日",
        "signed_on": "2026年11月18日",
        "submitted_by": "承办人",
        "late": "否",
        "acknowledged_at": "—",
        "acknowledged_by": "—",
        "generated_on": "2026年11月18日",
        "figures": [
            {
                "group": "评估事项",
                "label": "本月登记评估事项",
                "value": "2",
                "note": "",
                "as_of": "2026年11月18日 09:30",
            },
            {
                "group": "风险评估",
                "label": "正在评估",
                "value": "3",
                "note": "系统取数4，本单位更正",
                "as_of": "2026年11月18日 09:30",
            },
        ],
        "work_done": ["完成养老保险政策调整事项的风险评估"],
        "problems": ["—"],
        "next_steps": ["跟踪落实应对措施"],
    }


def report_docx(report: MonthlyReport) -> bytes:
    from fengping.reports.actions import RENDER_ERRORS
    from fengping.reports.render import render_docx, template_for

    path, _origin = template_for(REPORT_KEY)
    try:
        return render_docx(path, report_context(report))
    except RENDER_ERRORS as exc:
        raise ActionError(
            _("报告模板无法生成报告（%(e)s），请管理员检查或恢复默认模板。") % {"e": exc}
        ) from exc


def file_name(report: MonthlyReport, ext: str = "docx") -> str:
    return f"{report.department.name}-{report.month:%Y-%m}-{TITLE}.{ext}"


def report_xlsx(report: MonthlyReport) -> bytes:
    """One report: the figures (报告数, 系统取数, 更正, 截至) and a sheet of the header and
    the narrative."""
    ctx = report_context(report)
    rows = figure_rows(report)
    header = [_("类别"), _("数据项"), _("报告数"), _("系统取数"), _("本单位更正"), _("截至")]
    figures = [
        [
            r["group"],
            r["label"],
            r["value"],
            r["pulled"],
            _("是") if r["corrected"] else "",
            r["as_of"],
        ]
        for r in rows
    ]
    info = [
        [_("责任主体"), ctx["department"]],
        [_("报送机关"), ctx["office"]],
        [_("月份"), ctx["month"]],
        [_("上报时限"), ctx["due_on"]],
        [_("状态"), ctx["status"]],
        [_("上报时间"), cn_datetime(report.submitted_at)],
        [_("上报人"), ctx["submitted_by"]],
        [_("逾期上报"), ctx["late"]],
        [_("签收时间"), cn_datetime(report.acknowledged_at)],
        [_("签收人"), _person(report.acknowledged_by)],
        [_("退回原因"), report.return_reason],
        [_("工作开展情况"), report.work_done],
        [_("存在的问题"), report.problems],
        [_("下一步工作"), report.next_steps],
    ]
    return write_workbook(
        [
            (_("数据"), header, figures),
            (_("报告"), [_("项目"), _("内容")], info),
        ]
    )
