"""The 信息安全风险评估报告 (DOCX) of one assessment and the estate's summary report.

The context is built from the database in aggregates: counts by level, grade, status and
treatment, a 5×5 heatmap of likelihood × loss, and the register's rows of level ≥ 中等 in
full only up to REGISTER_CAP (the rest counted) — a register of 500,000 rows never goes
into Word. Rendering goes through the reports app (`reports.render`): the template is the
shipped default (`reports/templates_docx/isra_report.docx`, written by
`infosec/report_templates/build.py`) unless an administrator uploaded one for the key
`isra` (or `isra-estate`) on the 报告模板 page."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.core.errors import ActionError
from fengping.org import access
from fengping.reports.render import render_docx, template_for

from .actions.treatment import level_labels, recommendation_summary
from .models import (
    OPEN_TASK_STATUSES,
    ApprovalState,
    AssessmentStatus,
    Asset,
    Catalogue,
    CheckResult,
    RemediationTask,
    RiskDecision,
    Scenario,
    System,
    SystemAssessment,
    TaskStatus,
    Treatment,
    Vulnerability,
)
from .task_lists import overdue_q

REGISTER_CAP = 300
ASSET_CAP = 300
TASK_CAP = 300
REPORT_KEY = "isra"
ESTATE_KEY = "isra-estate"
MEDIUM = 3  # the register section lists levels ≥ 中等 (level 3 of the scheme's five)


def cn_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def _labels(choices: Any) -> dict[str, str]:
    return {str(v): str(label) for v, label in choices}


# ------------------------------------------------------------------ sections


def _method_text(a: SystemAssessment, scheme: Any) -> str:
    """The calculation, in words, from the frozen scheme (its own note is for developers)."""
    bands = "、".join(f"{b.label} {b.min:g}–{b.max:g}" for b in scheme.method.bands.levels)
    if a.calculation == "matrix":
        text = _(
            "按 GB/T 20984 矩阵法计算：由威胁出现频率和脆弱性严重程度查表得安全事件可能性，"
            "由资产价值和脆弱性严重程度查表得安全事件损失，再由可能性和损失查表得风险值"
        )
    else:
        text = _(
            "按 GB/T 20984 相乘法计算：可能性 L = √(T·V)，损失 F = √(Ia·Va)，风险值 R = L·F，"
            "最后四舍五入取整"
        )
    return _(
        "%(text)s；风险值分为五级：%(bands)s。有效的预防性措施降低可能性，保护性措施降低损失。"
    ) % {
        "text": text,
        "bands": bands,
    }


def _system(system: System) -> dict[str, Any]:
    return {
        "code": system.code,
        "name": system.name,
        "department": system.department.name,
        "protection_level": system.get_protection_level_display(),
        "filing_number": system.filing_number or "—",
        "business": system.business or "—",
    }


def _assets(system: System, scheme: Any) -> dict[str, Any]:
    parts = {p.code: p.label for p in scheme.infosec.asset_model.parts} if scheme.infosec else {}
    qs = Asset.objects.filter(system=system).select_related("business").order_by("layer", "code")
    rows = [
        {
            "code": a.code,
            "name": a.name,
            "layer": a.get_layer_display(),
            "part": parts.get(a.part, a.part) or "—",
            "business": a.business.name if a.business else "—",
            "cia": f"{a.confidentiality}/{a.integrity}/{a.availability}",
            "value": a.value,
        }
        for a in qs[:ASSET_CAP]
    ]
    total = qs.count()
    businesses = [
        {
            "code": b.code,
            "name": b.name,
            "importance": b.importance,
            "assets": b.n,
        }
        for b in system.businesses.annotate(n=Count("assets")).order_by("code")
    ]
    return {
        "rows": rows,
        "total": total,
        "more": max(0, total - len(rows)),
        "businesses": businesses,
    }


def _threats(a: SystemAssessment, scheme: Any) -> list[dict[str, Any]]:
    classes = {c.code: c.label for c in scheme.infosec.threats.classes} if scheme.infosec else {}
    return [
        {
            "code": t.code,
            "name": t.name,
            "threat_class": classes.get(t.threat_class, t.threat_class),
            "origin": t.get_origin_display(),
            "actor": t.actor or "—",
            "frequency": t.frequency,
        }
        for t in a.threats.order_by("code")
    ]


def _vulnerabilities(system: System, scheme: Any) -> dict[str, Any]:
    grades = scheme.infosec.vulnerability_grading.grades if scheme.infosec else []
    labels = {g.code: g.label for g in grades}
    status_labels = _labels(Vulnerability._meta.get_field("status").choices)
    aspect_labels = _labels(Vulnerability._meta.get_field("aspect").choices)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    by_aspect: dict[str, int] = defaultdict(int)
    for grade, status, aspect, n in (
        Vulnerability.objects.filter(system=system)
        .values_list("grade", "status", "aspect")
        .annotate(n=Count("id"))
    ):
        counts[(grade, status)] += n
        by_aspect[aspect] += n
    order = [g.code for g in grades] + sorted({g for g, _s in counts} - set(labels))
    statuses = list(status_labels)
    rows = [
        {
            "grade": labels.get(g, g or _("未分级")),
            "counts": [counts.get((g, s), 0) for s in statuses],
            "total": sum(counts.get((g, s), 0) for s in statuses),
        }
        for g in order
        if any(counts.get((g, s)) for s in statuses)
    ]
    return {
        "statuses": [status_labels[s] for s in statuses],
        "rows": rows,
        "total": sum(by_aspect.values()),
        "aspects": [{"label": aspect_labels.get(k, k), "count": n} for k, n in by_aspect.items()],
    }


def _measures(a: SystemAssessment, scheme: Any) -> list[dict[str, Any]]:
    if scheme.infosec is None:
        return []
    results = [
        CheckResult.EFFECTIVE,
        CheckResult.PARTIAL,
        CheckResult.INEFFECTIVE,
        CheckResult.NOT_APPLICABLE,
    ]
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for checklist, result, n in (
        a.checklist_answers.filter(catalogue=Catalogue.MEASURE)
        .values_list("checklist", "result")
        .annotate(n=Count("id"))
    ):
        counts[(checklist, result)] = n
    return [
        {
            "label": c.label,
            "items": len(c.items),
            "counts": [counts.get((c.code, r), 0) for r in results],
            "unanswered": len(c.items) - sum(counts.get((c.code, r), 0) for r in results),
        }
        for c in scheme.infosec.measures.checklists
    ]


def _risk(a: SystemAssessment, scheme: Any) -> dict[str, Any]:
    labels = level_labels(scheme)
    qs = Scenario.objects.filter(assessment=a)
    by_level: dict[int, int] = dict(qs.values_list("level").annotate(n=Count("id")))
    by_residual: dict[int, int] = dict(qs.values_list("residual_level").annotate(n=Count("id")))
    heat: dict[tuple[int, int], int] = {
        (li, lo): n for li, lo, n in qs.values_list("likelihood", "loss").annotate(n=Count("id"))
    }
    heatmap = [
        {"likelihood": li, "cells": [heat.get((li, lo), 0) for lo in range(1, 6)]}
        for li in range(5, 0, -1)
    ]
    treatments = _labels(Treatment.choices)
    approvals = _labels(ApprovalState.choices)
    listed = (
        qs.filter(level__gte=MEDIUM)
        .select_related("asset", "threat", "vulnerability", "decision")
        .order_by("-risk", "id")
    )
    register = []
    for n, s in enumerate(listed[:REGISTER_CAP], start=1):
        d = getattr(s, "decision", None)
        register.append(
            {
                "no": n,
                "asset": s.asset.code,
                "threat": s.threat.name,
                "vulnerability": s.vulnerability.title,
                "likelihood": s.likelihood,
                "loss": s.loss,
                "risk": s.risk,
                "level": labels.get(s.level, s.level),
                "treatment": (treatments.get(d.treatment, "") if d else "")
                + (f"（{approvals[d.approval]}）" if d and d.approval != "not_needed" else ""),
                "residual": "—" if s.residual_risk is None else s.residual_risk,
            }
        )
    high_total = sum(n for lv, n in by_level.items() if lv >= MEDIUM)
    total = sum(by_level.values())
    return {
        "total": total,
        "levels": [
            {
                "label": labels[lv],
                "count": by_level.get(lv, 0),
                "residual": by_residual.get(lv, 0),
            }
            for lv in sorted(labels, reverse=True)
        ],
        "eliminated": by_residual.get(0, 0),
        "heatmap": heatmap,
        "register": register,
        "register_total": high_total,
        "register_more": max(0, high_total - len(register)),
        "below_medium": total - high_total,
        "current": a.risk_current(),
        "calculation": a.get_calculation_display(),
    }


def _decisions(a: SystemAssessment, scheme: Any) -> dict[str, Any]:
    labels = level_labels(scheme)
    treatments = list(Treatment.choices)
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for level, treatment, n in (
        Scenario.objects.filter(assessment=a)
        .values_list("level", "decision__treatment")
        .annotate(n=Count("id"))
    ):
        counts[(level, treatment or "")] = n
    rows = [
        {
            "label": labels[lv],
            "counts": [counts.get((lv, code), 0) for code, _l in treatments],
            "undecided": counts.get((lv, ""), 0),
        }
        for lv in sorted(labels, reverse=True)
    ]
    accepted = (
        RiskDecision.objects.filter(assessment=a, treatment=Treatment.ACCEPT)
        .exclude(approval=ApprovalState.NOT_NEEDED)
        .select_related("scenario__asset", "scenario__vulnerability", "proposed_by", "approved_by")
        .order_by("-scenario__risk", "id")
    )
    return {
        "treatments": [str(label) for _c, label in treatments],
        "rows": rows,
        "pending": a.decisions.filter(approval=ApprovalState.PENDING).count(),
        "acceptances": [
            {
                "risk": f"{d.scenario.asset.code} × {d.scenario.vulnerability.title}",
                "level": labels.get(d.scenario.level, ""),
                "reason": d.reason,
                "proposed_by": str(d.proposed_by),
                "approval": d.get_approval_display(),
                "approved_by": str(d.approved_by or "—"),
                "expires_on": cn_date(d.expires_on) or "—",
            }
            for d in accepted[:REGISTER_CAP]
        ],
        "recommendations": [
            {
                "title": r["rec"].title,
                "text": r["rec"].text,
                "kind": r["rec"].kind,
                "count": r["count"],
                "levels": "、".join(f"{x['label']} {x['count']}" for x in r["levels"]) or "—",
            }
            for r in recommendation_summary(a)
        ],
    }


def _tasks(system: System, scheme: Any) -> dict[str, Any]:
    kinds = {k.code: k.label for k in scheme.infosec.remediation.kinds} if scheme.infosec else {}
    grades = {g.code: g.label for g in scheme.grades}
    if scheme.infosec:
        grades.update({g.code: g.label for g in scheme.infosec.vulnerability_grading.grades})
    status_labels = _labels(TaskStatus.choices)
    qs = RemediationTask.objects.filter(system=system)
    by_status = dict(qs.values_list("status").annotate(n=Count("id")))
    today = timezone.localdate()
    rows = [
        {
            "title": t.title,
            "kind": kinds.get(t.kind, t.kind),
            "severity": grades.get(t.severity, t.severity) or "—",
            "owner": str(t.owner or "—"),
            "deadline": cn_date(t.deadline),
            "status": status_labels.get(t.status, t.status)
            + (_("（已逾期）") if t.is_overdue(today) else ""),
        }
        for t in qs.select_related("owner").order_by("deadline", "id")[:TASK_CAP]
    ]
    total = sum(by_status.values())
    return {
        "rows": rows,
        "total": total,
        "more": max(0, total - len(rows)),
        "statuses": [
            {"label": status_labels[s], "count": by_status.get(s, 0)} for s in TaskStatus.values
        ],
        "open": sum(by_status.get(s, 0) for s in OPEN_TASK_STATUSES),
        "overdue": qs.filter(overdue_q(today)).count(),
    }


def report_context(a: SystemAssessment) -> dict[str, Any]:
    scheme = a.scheme
    system = a.system
    passages = {p.code: p.text for p in scheme.passages}
    return {
        "title": scheme.report.title,
        "generated_on": cn_date(timezone.localdate()),
        "system": _system(system),
        "assessment": {
            "title": a.title,
            "status": a.get_status_display(),
            "started_on": cn_date(a.started_at),
            "finished_on": cn_date(a.finished_at) or "—",
            "scheme": f"{scheme.name}（{scheme.key}，版本 {a.scheme_version}）",
            "calculation": a.get_calculation_display(),
        },
        "sections": {s.code: s.label for s in scheme.report.sections},
        "scope_text": passages.get("scope", ""),
        "procedure_text": scheme.procedure.text or "",
        "method_note": _method_text(a, scheme),
        "assets": _assets(system, scheme),
        "threats": _threats(a, scheme),
        "vulnerabilities": _vulnerabilities(system, scheme),
        "measures": _measures(a, scheme),
        "risk": _risk(a, scheme),
        "decisions": _decisions(a, scheme),
        "tasks": _tasks(system, scheme),
        "remediation_text": next(
            (s.text or "" for s in scheme.procedure.steps if s.code == "remediation"), ""
        ),
        "caps": {"register": REGISTER_CAP, "assets": ASSET_CAP, "tasks": TASK_CAP},
    }


def render(key: str, context: dict[str, Any]) -> bytes:
    from fengping.reports.actions import RENDER_ERRORS

    path, _origin = template_for(key)
    try:
        return render_docx(path, context)
    except RENDER_ERRORS as exc:
        raise ActionError(
            _("报告模板无法生成报告（%(e)s），请管理员检查或恢复默认模板。") % {"e": exc}
        ) from exc


def report_docx(a: SystemAssessment) -> bytes:
    return render(REPORT_KEY, report_context(a))


# ------------------------------------------------------------------ the estate


def estate_context(user: Any) -> dict[str, Any]:
    """One summary row per system the user can see (its latest assessment's register by
    level, decisions, tasks) and the totals: a fixed number of grouped queries."""
    systems = list(
        access.visible(user, System.objects.select_related("department")).order_by("code")
    )
    ids = [s.pk for s in systems]
    latest: dict[int, SystemAssessment] = {}
    for a in SystemAssessment.objects.filter(system_id__in=ids).order_by(
        "system_id", "-started_at", "-id"
    ):
        latest.setdefault(a.system_id, a)
    run_ids = [a.pk for a in latest.values()]
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    for run, level, n in (
        Scenario.objects.filter(assessment_id__in=run_ids)
        .values_list("assessment_id", "level")
        .annotate(n=Count("id"))
    ):
        levels[run][level] = n
    undecided = dict(
        Scenario.objects.filter(assessment_id__in=run_ids, decision__isnull=True)
        .values_list("assessment_id")
        .annotate(n=Count("id"))
    )
    today = timezone.localdate()
    tasks = {
        row["system_id"]: row
        for row in RemediationTask.objects.filter(system_id__in=ids)
        .values("system_id")
        .annotate(
            open=Count("id", filter=Q(status__in=list(OPEN_TASK_STATUSES))),
            overdue=Count("id", filter=overdue_q(today)),
            done=Count("id", filter=Q(status__in=[TaskStatus.DONE, TaskStatus.CLOSED_BY_SCAN])),
        )
    }
    open_vulns = dict(
        Vulnerability.objects.filter(system_id__in=ids, status="open")
        .values_list("system_id")
        .annotate(n=Count("id"))
    )
    from fengping.schemebook import registry

    labels = level_labels(registry.get("isra"))
    order = sorted(labels, reverse=True)
    rows = []
    totals = {
        "levels": [0] * len(order),
        "risks": 0,
        "undecided": 0,
        "open": 0,
        "overdue": 0,
        "done": 0,
        "vulns": 0,
    }
    for s in systems:
        a = latest.get(s.pk)
        by = levels.get(a.pk, {}) if a else {}
        t = tasks.get(s.pk, {})
        row = {
            "code": s.code,
            "name": s.name,
            "department": s.department.name,
            "protection_level": s.get_protection_level_display(),
            "assessment": a.title if a else _("尚未评估"),
            "status": a.get_status_display() if a else "—",
            "levels": [by.get(lv, 0) for lv in order],
            "risks": sum(by.values()),
            "undecided": undecided.get(a.pk, 0) if a else 0,
            "vulns": open_vulns.get(s.pk, 0),
            "open": t.get("open", 0),
            "overdue": t.get("overdue", 0),
            "done": t.get("done", 0),
        }
        rows.append(row)
        for i, n in enumerate(row["levels"]):
            totals["levels"][i] += n
        for key in ("risks", "undecided", "open", "overdue", "done", "vulns"):
            totals[key] += row[key]
    return {
        "title": _("信息安全风险评估汇总报告"),
        "generated_on": cn_date(today),
        "level_labels": [labels[lv] for lv in order],
        "systems": rows,
        "totals": totals,
        "count": len(rows),
        "assessed": sum(1 for s in systems if s.pk in latest),
        "finished": sum(1 for a in latest.values() if a.status == AssessmentStatus.FINISHED),
    }


def estate_docx(user: Any) -> bytes:
    return render(ESTATE_KEY, estate_context(user))


# ------------------------------------------------------------------ samples (template check)


def sample_context() -> dict[str, Any]:
    """A filled context without the database: what an uploaded `isra` template must render."""
    level = [
        {"label": lbl, "count": n, "residual": n}
        for lbl, n in (("很高", 1), ("高", 2), ("中等", 3), ("低", 4), ("很低", 5))
    ]
    return {
        "title": "信息安全风险评估报告",
        "generated_on": "2026年1月1日",
        "system": {
            "code": "OA",
            "name": "协同办公系统",
            "department": "信息中心",
            "protection_level": "第三级",
            "filing_number": "—",
            "business": "公文流转",
        },
        "assessment": {
            "title": "2026年度风险评估",
            "status": "进行中",
            "started_on": "2026年1月1日",
            "finished_on": "—",
            "scheme": "信息安全风险评估（isra）",
            "calculation": "相乘法",
        },
        "sections": {
            "overview": "评估概述",
            "assets": "资产识别与赋值",
            "threats": "威胁识别",
            "vulnerabilities": "脆弱性识别",
            "measures": "现有安全措施评估",
            "risks": "风险计算和分析",
            "treatment": "风险决策和安全建议",
            "remediation": "安全整改",
        },
        "scope_text": "评估范围",
        "procedure_text": "评估流程",
        "method_note": "计算方法",
        "assets": {
            "rows": [
                {
                    "code": "OA-001",
                    "name": "服务器",
                    "layer": "系统组件和单元资产",
                    "part": "业务处理",
                    "business": "—",
                    "cia": "4/3/3",
                    "value": 4,
                }
            ],
            "total": 1,
            "more": 0,
            "businesses": [{"code": "B1", "name": "公文", "importance": 4, "assets": 1}],
        },
        "threats": [
            {
                "code": "T1",
                "name": "恶意代码",
                "threat_class": "恶意代码",
                "origin": "人为因素（有意）",
                "actor": "—",
                "frequency": 4,
            }
        ],
        "vulnerabilities": {
            "statuses": ["待处理", "已关闭", "误报", "接受风险"],
            "rows": [{"grade": "高危", "counts": [1, 0, 0, 0], "total": 1}],
            "total": 1,
            "aspects": [{"label": "技术", "count": 1}],
        },
        "measures": [
            {"label": "安全技术措施评估", "items": 3, "counts": [1, 1, 1, 0], "unanswered": 0}
        ],
        "risk": {
            "total": 15,
            "levels": level,
            "eliminated": 0,
            "heatmap": [{"likelihood": li, "cells": [1, 0, 0, 0, 0]} for li in range(5, 0, -1)],
            "register": [
                {
                    "no": 1,
                    "asset": "OA-001",
                    "threat": "恶意代码",
                    "vulnerability": "弱口令",
                    "likelihood": 4,
                    "loss": 4,
                    "risk": 16,
                    "level": "高",
                    "treatment": "降低",
                    "residual": 16,
                }
            ],
            "register_total": 6,
            "register_more": 5,
            "below_medium": 9,
            "current": True,
            "calculation": "相乘法",
        },
        "decisions": {
            "treatments": ["接受", "降低", "转移", "规避"],
            "rows": [{"label": "高", "counts": [0, 2, 0, 0], "undecided": 0}],
            "pending": 0,
            "acceptances": [
                {
                    "risk": "OA-001 × 弱口令",
                    "level": "高",
                    "reason": "理由",
                    "proposed_by": "张三",
                    "approval": "已批准",
                    "approved_by": "李四",
                    "expires_on": "2027年1月1日",
                }
            ],
            "recommendations": [
                {
                    "title": "加固",
                    "text": "按基线加固",
                    "kind": "technical",
                    "count": 2,
                    "levels": "高 2",
                }
            ],
        },
        "tasks": {
            "rows": [
                {
                    "title": "修复弱口令",
                    "kind": "安全技术",
                    "severity": "高",
                    "owner": "张三",
                    "deadline": "2026年2月1日",
                    "status": "待整改",
                }
            ],
            "total": 1,
            "more": 0,
            "statuses": [{"label": "待整改", "count": 1}],
            "open": 1,
            "overdue": 0,
        },
        "remediation_text": "安全整改",
        "caps": {"register": REGISTER_CAP, "assets": ASSET_CAP, "tasks": TASK_CAP},
    }


def sample_estate_context() -> dict[str, Any]:
    row = {
        "code": "OA",
        "name": "协同办公系统",
        "department": "信息中心",
        "protection_level": "第三级",
        "assessment": "2026年度风险评估",
        "status": "进行中",
        "levels": [1, 2, 3, 4, 5],
        "risks": 15,
        "undecided": 0,
        "vulns": 3,
        "open": 1,
        "overdue": 0,
        "done": 2,
    }
    return {
        "title": "信息安全风险评估汇总报告",
        "generated_on": "2026年1月1日",
        "level_labels": ["很高", "高", "中等", "低", "很低"],
        "systems": [row],
        "totals": {
            "levels": [1, 2, 3, 4, 5],
            "risks": 15,
            "undecided": 0,
            "open": 1,
            "overdue": 0,
            "done": 2,
            "vulns": 3,
        },
        "count": 1,
        "assessed": 1,
        "finished": 0,
    }
