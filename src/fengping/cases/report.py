"""The 办案风险评估报告 (DOCX) of one case assessment (篇4 四3).

The report has exactly the source's fields — 案件名称、涉案人员情况、简要案情、案件办理情况、
存在问题隐患、预防处置工作方案 — then, as annexes read from the models, the level, the three
dimensions' findings, the responsibility chain and the measures. Rendering goes through the
reports app: the template is the shipped default (`reports/templates_docx/case_report.docx`,
written by `cases/report_templates/build.py`) unless an administrator uploaded one for the
key `case` on the 报告模板 page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.core.errors import ActionError

from .models import CaseAssessment

REPORT_KEY = "case"
MEASURE_CAP = 300
SECTION_LABELS = {
    "case_name": "案件名称",
    "persons": "涉案人员情况",
    "summary": "简要案情",
    "handling": "案件办理情况",
    "problems": "存在问题隐患",
    "response_plan": "预防处置工作方案",
}


def cn_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def _lines(text: str) -> list[str]:
    out = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return out or ["—"]


def _person(user: Any) -> str:
    if user is None:
        return "—"
    return getattr(user, "real_name", "") or getattr(user, "username", "") or str(user)


def report_context(a: CaseAssessment) -> dict[str, Any]:
    scheme = a.scheme
    case = a.case
    grades = {g.code: g.label for g in scheme.grades}
    scales = {s.code: {lv.code: lv.label for lv in s.levels} for s in scheme.scales}
    factor_labels = {f.code: f.label for f in scheme.method.factors}  # type: ignore[union-attr]
    labels = dict(SECTION_LABELS)
    if scheme.report is not None:
        labels.update({s.code: s.label for s in scheme.report.sections if s.code in labels})
    answers = {
        (x.dimension, x.item): x
        for x in a.answers.all().only("dimension", "item", "has_issue", "finding")
    }
    findings = []
    for d in scheme.dimensions:
        for i, text in enumerate(d.items):
            x = answers.get((d.code, i))
            findings.append(
                {
                    "dimension": d.label,
                    "item": text,
                    "has_issue": ("是" if x.has_issue else "否") if x else "未分析",
                    "finding": x.finding if x else "—",
                }
            )
    changes = [
        {
            "from_level": grades.get(c.from_level, c.from_level) or "—",
            "to_level": grades.get(c.to_level, c.to_level),
            "reason": c.reason,
            "proposed_by": _person(c.proposed_by),
            "state": c.get_state_display(),
            "decided_by": _person(c.decided_by),
        }
        for c in a.level_changes.select_related("proposed_by", "decided_by").order_by(
            "proposed_at", "id"
        )
    ]
    measures = [
        {
            "title": m.title,
            "unit": m.responsible_unit.name,
            "cooperating": "、".join(u.name for u in m.cooperating_units.all()) or "—",
            "person": _person(m.responsible_person),
            "due_on": cn_date(m.due_on),
            "status": m.get_status_display(),
        }
        for m in a.measures.select_related("responsible_unit", "responsible_person")
        .prefetch_related("cooperating_units")
        .order_by("due_on", "id")[:MEASURE_CAP]
    ]
    return {
        "title": scheme.report.title if scheme.report else "办案风险评估报告",
        "generated_on": cn_date(timezone.localdate()),
        "organ": case.organ.name,
        "stage": a.stage_label,
        "labels": labels,
        "case_name": case.title,
        "case_number": case.number,
        "fields": {
            "persons": _lines(a.persons),
            "summary": _lines(a.summary),
            "handling": _lines(a.handling),
            "problems": _lines(a.problems),
            "response_plan": _lines(a.response_plan),
        },
        "level": {
            "label": grades.get(a.level, a.level) or "未定级",
            "computed": grades.get(a.computed_level, a.computed_level) or "—",
            "score": "—" if a.computed_score is None else f"{a.computed_score:g}",
            "factors": "、".join(factor_labels.get(c, c) for c in a.factors or []) or "无",
        },
        "prediction": {
            "probability": scales.get("probability", {}).get(a.petition_probability, "—"),
            "impact": scales.get("impact", {}).get(a.impact, "—"),
            "majority": "绝大多数群众可能不理解、不支持" if a.majority_unsupportive else "—",
            "text": _lines(a.prediction),
        },
        "reason": a.get_reason_display(),
        "status": a.get_status_display(),
        "level_changes": changes,
        "findings": findings,
        "responsibility": {
            "first": _person(a.first_responsible),
            "main": _person(a.main_responsible),
            "direct": _person(a.direct_responsible),
        },
        "contingency_plan": _lines(a.contingency_plan),
        "measures": measures,
    }


def sample_context() -> dict[str, Any]:
    """A filled context without the database: what an uploaded `case` template must render."""
    return {
        "title": "办案风险评估报告",
        "generated_on": "2026年1月1日",
        "organ": "示范市人民法院",
        "stage": "受理",
        "labels": dict(SECTION_LABELS),
        "case_name": "某建设工程合同纠纷案",
        "case_number": "（2026）示民初1号",
        "fields": {
            "persons": ["原告张某等十二名农民工"],
            "summary": ["讨要工程款"],
            "handling": ["已受理"],
            "problems": ["可能集体上访"],
            "response_plan": ["领导包案，释法明理"],
        },
        "level": {"label": "橙色", "computed": "橙色", "score": "7", "factors": "当事人众多"},
        "prediction": {
            "probability": "较高",
            "impact": "较大",
            "majority": "—",
            "text": ["可能引发集体上访"],
        },
        "reason": "重大、疑难、复杂案件受理先期评估",
        "status": "风险未化解",
        "level_changes": [
            {
                "from_level": "黄色",
                "to_level": "橙色",
                "reason": "当事人情绪激动",
                "proposed_by": "承办人",
                "state": "已批准",
                "decided_by": "分管领导",
            }
        ],
        "findings": [
            {
                "dimension": "执法办案的合法性",
                "item": "政策法律依据",
                "has_issue": "否",
                "finding": "依据充分",
            }
        ],
        "responsibility": {"first": "院长", "main": "分管副院长", "direct": "承办法官"},
        "contingency_plan": ["成立工作专班"],
        "measures": [
            {
                "title": "释法明理",
                "unit": "民事审判庭",
                "cooperating": "信访办",
                "person": "承办法官",
                "due_on": "2026年1月10日",
                "status": "未开始",
            }
        ],
    }


def render(key: str, context: dict[str, Any]) -> bytes:
    from fengping.reports.actions import RENDER_ERRORS
    from fengping.reports.render import render_docx, template_for

    path, _origin = template_for(key)
    try:
        return render_docx(path, context)
    except RENDER_ERRORS as exc:
        raise ActionError(
            _("报告模板无法生成报告（%(e)s），请管理员检查或恢复默认模板。") % {"e": exc}
        ) from exc


def report_docx(a: CaseAssessment) -> bytes:
    return render(REPORT_KEY, report_context(a))


def file_name(a: CaseAssessment) -> str:
    return f"{a.case.number}-{a.stage_label}-办案风险评估报告.docx"
