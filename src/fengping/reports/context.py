"""Everything the assessment report shows, as plain values (strings, numbers, lists, dicts).

The same dictionary feeds the DOCX template (docxtpl, replaceable by the office) and the
HTML print view, so the two never disagree. It is built with a fixed number of queries
whatever the number of factors, members or responses.

Sections follow the frozen scheme's `report.sections`: each section lists the *parts*
(overview, work, opinions, factors, matrix, checklist, grade, recommendation, mitigation)
it prints, so a custom scheme's outline is followed and every part appears exactly once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.assessments.models import (
    Answer,
    Assessment,
    ChecklistAnswer,
    Decision,
    MemberKind,
    RiskFactor,
    answer_accepted,
    answer_failed,
)
from fengping.audit.chain import anchor_text
from fengping.core.numbers import index_text
from fengping.opinions.models import Activity
from fengping.opinions.queries import matter_opinion_summary
from fengping.schemebook.present import band_index, band_range, level_class
from fengping.schemes.model import CompositeMethod, Scheme

# Every part the report can print, in the order the parts appear when a scheme's outline
# does not say otherwise.
PARTS = (
    "overview",
    "work",
    "opinions",
    "factors",
    "matrix",
    "checklist",
    "grade",
    "recommendation",
    "mitigation",
)

# The outlines of the source: 篇3 六(六) and 篇1 六(一)5.
KNOWN_SECTIONS: dict[str, tuple[str, ...]] = {
    # 篇3
    "overview": ("overview",),
    "assessment_work": ("work", "opinions"),
    "risk_factors": ("factors", "matrix", "checklist"),
    "risk_grade": ("grade",),
    "recommendation": ("recommendation",),
    "mitigation_and_contingency": ("mitigation",),
    # 篇1
    "matter": ("overview", "work", "opinions"),
    "risk_analysis": ("factors", "matrix", "checklist"),
    "conclusion": ("grade", "recommendation"),
    "measures": ("mitigation",),
}

# For a custom outline: words in a section's label that say which parts it holds.
LABEL_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("概", ("overview",)),
    ("事项", ("overview",)),
    ("开展", ("work", "opinions")),
    ("意见", ("opinions",)),
    ("因素", ("factors", "matrix", "checklist")),
    ("分析", ("factors", "matrix", "checklist")),
    ("等级", ("grade",)),
    ("结论", ("grade",)),
    ("建议", ("recommendation",)),
    ("预案", ("mitigation",)),
    ("措施", ("mitigation",)),
    ("方案", ("mitigation",)),
)

# The sub-heading of each part, printed as （一）… when a section holds several parts.
PART_TITLES = {
    "overview": "事项基本情况",
    "work": "评估工作开展情况",
    "opinions": "征求意见情况",
    "factors": "风险因素识别与评分",
    "matrix": "风险矩阵",
    "checklist": "评估要点审查情况",
    "grade": "风险等级评定",
    "recommendation": "实施建议",
    "mitigation": "化解风险方案和应急处置预案",
}

CN_NUMERALS = "一二三四五六七八九十"

# Fill colours (hex, no '#') for risk-1 (lowest) … risk-5 (highest) in the DOCX matrix.
RISK_FILLS = {
    "risk-1": "D9EAD3",
    "risk-2": "E2F0D9",
    "risk-3": "FFF2CC",
    "risk-4": "FCE4D6",
    "risk-5": "F4CCCC",
}


def cn_date(value: dt.date | dt.datetime | None) -> str:
    """2026年11月27日 — as Chinese offices write dates (no leading zeros)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def percent(rate: float | None) -> str:
    """A fraction 0–1 as a percentage with one decimal ("62.5%"); "—" without data."""
    if rate is None:
        return "—"
    return f"{rate * 100:.1f}%"


def number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}"


def cn_numeral(n: int) -> str:
    """1 → 一 … 10 → 十, 11 → 十一 … 19 → 十九 (enough for an outline)."""
    if n <= 10:
        return CN_NUMERALS[n - 1]
    if n < 20:
        return "十" + CN_NUMERALS[n - 11]
    return str(n)


def paragraphs(text: str) -> list[str]:
    """A free text as its non-empty paragraphs (the DOCX prints one paragraph each)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def section_parts(scheme: Scheme) -> list[tuple[str, str, list[str]]]:
    """(code, label, parts) per section of the scheme's report outline. Each part is
    printed once: in the first section that claims it; parts no section claims go to
    the last section, so nothing the report must show is silently dropped."""
    placed: set[str] = set()
    result: list[tuple[str, str, list[str]]] = []
    for section in scheme.report.sections:
        wanted = KNOWN_SECTIONS.get(section.code)
        if wanted is None:
            hinted: list[str] = []
            for word, parts in LABEL_HINTS:
                if word in section.label:
                    hinted += [p for p in parts if p not in hinted]
            wanted = tuple(hinted)
        parts = [p for p in PARTS if p in wanted and p not in placed]
        placed.update(parts)
        result.append((section.code, section.label, parts))
    rest = [p for p in PARTS if p not in placed]
    if rest:
        code, label, parts = result[-1]
        result[-1] = (code, label, parts + rest)
    return result


def sections_of(outline: list[tuple[str, str, list[str]]]) -> list[dict[str, Any]]:
    """The outline as the template sees it: heading "一、…", the parts, one flag per part
    (`{%p if s.show.factors %}`) and the part sub-headings "（一）…" (empty when the
    section holds a single part, so "五、重大事项实施建议" is not followed by "（一）实施建议")."""
    result = []
    for n, (code, label, parts) in enumerate(outline, 1):
        titles = dict.fromkeys(PARTS, "")
        if len(parts) > 1:
            for k, part in enumerate(parts, 1):
                titles[part] = f"（{cn_numeral(k)}）{PART_TITLES[part]}"
        result.append(
            {
                "code": code,
                "no": cn_numeral(n),
                "label": label,
                "heading": f"{cn_numeral(n)}、{label}",
                "parts": parts,
                "show": {p: p in parts for p in PARTS},
                "titles": titles,
            }
        )
    return result


def _nearest(levels: list[Any], value: float | None) -> int | None:
    if value is None:
        return None
    return min(range(len(levels)), key=lambda i: (abs(levels[i].value - value), -i))


def _matrix(scheme: Scheme, factors: list[dict[str, Any]], raw: list[RiskFactor]) -> dict:
    """The probability × impact matrix of the scheme: each cell's P·I, its band and the
    factors (by number) whose aggregated P and I are nearest that cell's levels."""
    method = scheme.method
    if not isinstance(method, CompositeMethod):
        return {"rows": [], "columns": [], "bands": []}
    p_scale = scheme.scale(method.probability_scale)
    i_scale = scheme.scale(method.impact_scale)
    grades = {g.code: g.label for g in scheme.grades}
    n_bands = len(method.bands.levels)
    placed: dict[tuple[int, int], list[str]] = {}
    for row, f in zip(factors, raw, strict=True):
        pi, ii = _nearest(p_scale.levels, f.probability), _nearest(i_scale.levels, f.impact)
        if pi is not None and ii is not None:
            placed.setdefault((pi, ii), []).append(str(row["no"]))
    rows = []
    # Highest probability first, as risk matrices are drawn.
    for pi in reversed(range(len(p_scale.levels))):
        p = p_scale.levels[pi]
        cells = []
        for ii, i in enumerate(i_scale.levels):
            value = round(p.value * i.value, 6)
            idx = band_index(method.bands, value)
            band = method.bands.levels[idx] if idx is not None else None
            css = level_class(idx, n_bands) if idx is not None else ""
            numbers = placed.get((pi, ii), [])
            cells.append(
                {
                    "value": f"{value:g}",
                    "band": band.label if band else "",
                    "css": css,
                    "fill": RISK_FILLS.get(css, "FFFFFF"),
                    "factors": "、".join(numbers),
                    "has_factors": bool(numbers),
                }
            )
        rows.append({"label": f"{p.label}（{p.value:g}）", "cells": cells})
    bands = [
        {
            "label": b.label,
            "range": band_range(b, method.bands.domain.integer, "P·I"),
            "grade": grades.get(method.band_grades.get(b.code, ""), "—"),
            "css": level_class(i, n_bands),
        }
        for i, b in enumerate(method.bands.levels)
    ]
    return {
        "row_title": p_scale.label,
        "column_title": i_scale.label,
        "columns": [f"{i.label}（{i.value:g}）" for i in i_scale.levels],
        "rows": rows,
        "bands": bands,
    }


def _spread_text(spread: dict[str, Any]) -> str:
    score = spread.get("score") if spread else None
    if not score:
        return "—"
    low, high, _stdev = score
    return f"{low:g}–{high:g}（{spread.get('n', 0)}人）"


def _factors(a: Assessment, scheme: Scheme) -> tuple[list[dict[str, Any]], list[RiskFactor]]:
    dims = {d.code: d.label for d in scheme.dimensions}
    raw = list(a.factors.all().prefetch_related("mitigations").order_by("id"))
    rows = []
    for n, f in enumerate(raw, 1):
        mitigations = list(f.mitigations.all())
        rows.append(
            {
                "no": n,
                "dimension": dims.get(f.dimension, f.dimension),
                "title": f.title,
                "description": f.description,
                "people": str(f.people_involved) if f.people_involved is not None else "—",
                "scope": f.scope or "—",
                "manner": f.manner or "—",
                "intensity": f.intensity or "—",
                "negative_impact": f.negative_impact,
                "weight": f"{f.weight:g}",
                "p": number(f.probability),
                "i": number(f.impact),
                "score": number(f.score),
                "spread": _spread_text(f.spread),
                "mitigation": "；".join(m.measure for m in mitigations) or "—",
                "mitigation_owner": "；".join(m.owner for m in mitigations if m.owner),
                "residual_score": number(f.residual_score),
            }
        )
    return rows, raw


def _checklist(a: Assessment, scheme: Scheme) -> list[dict[str, Any]]:
    """Each question printed as its answer type reads: 符合/部分符合/不符合, 是/否 (a yes/no
    answered the bad way is marked 不符合要求), or the written assessment itself; each
    dimension summed up in the same words whatever the types."""
    answers = {(c.dimension, c.item_no): c for c in ChecklistAnswer.objects.filter(assessment=a)}
    labels = dict(Answer.choices)
    result = []
    for dim in scheme.dimensions:
        items = []
        counts: dict[str, int] = {}
        for n, text in enumerate(dim.items):
            kind = dim.answer_type(n)
            row = answers.get((dim.code, n))
            valid = row is not None and answer_accepted(kind, row.answer)
            failed = valid and answer_failed(kind, row.answer)
            written = valid and row.answer == Answer.WRITTEN
            if not valid:
                answer, tally = str(_("未作答")), str(_("未作答"))
            elif written:
                answer, tally = row.note, str(_("书面评估"))
            else:
                answer = str(labels[row.answer])
                # One vocabulary for the summary, whatever each item's type.
                if row.answer in (Answer.NA, Answer.PARTLY):
                    tally = answer
                else:
                    tally = str(_("不符合要求")) if failed else str(_("符合要求"))
                    if failed and kind != "compliance":
                        # A yes/no answer says on its face that it is the bad one
                        # (the DOCX prints this same text).
                        answer = _("%(a)s（不符合要求）") % {"a": answer}
            counts[tally] = counts.get(tally, 0) + 1
            items.append(
                {
                    "no": n + 1,
                    "text": text,
                    "answer": answer,
                    "written": written,
                    "failed": failed,
                    "note": "" if written else (row.note if row else ""),
                    "evidence": row.evidence if row else "",
                }
            )
        summary = "，".join(
            _("%(a)s %(n)s 项") % {"a": answer, "n": count} for answer, count in counts.items()
        )
        result.append(
            {"dimension": dim.label, "text": dim.text, "answers": items, "summary": summary}
        )
    return result


def _grade(a: Assessment, scheme: Scheme) -> dict[str, Any]:
    from fengping.assessments.actions import grade_floor_reason

    grades = {g.code: g for g in scheme.grades}
    final = grades.get(a.grade)
    computed = grades.get(a.computed_grade)
    initial = grades.get(a.initial_grade)
    method = scheme.method
    band_label = ""
    if isinstance(method, CompositeMethod):
        band_label = next((b.label for b in method.bands.levels if b.code == a.computed_band), "")
    final = grades.get(a.effective_grade())
    # Only an approved override changes the grade: proposer, approver, reason and the
    # computed grade are printed; a proposal not yet approved is printed as such.
    approved = a.approved_override()
    changed = bool(approved and final and a.computed_grade and final.code != a.computed_grade)
    pending = a.pending_override()
    conditions = []
    for row in a.conditions.filter(confirmed_by__isnull=False).select_related(
        "recorded_by", "confirmed_by"
    ):
        label = next((c.label for c in scheme.conditions if c.code == row.code), row.code)
        conditions.append(
            {
                "label": label,
                "note": row.note,
                "plan": row.plan,
                "recorded_by": str(row.recorded_by) if row.recorded_by_id else "—",
                "confirmed_by": str(row.confirmed_by),
                "confirmed_on": cn_date(row.confirmed_at),
            }
        )
    return {
        "override_proposed_by": str(approved.proposed_by) if changed and approved else "",
        "override_approved_by": str(approved.decided_by) if changed and approved else "",
        "override_approved_on": cn_date(approved.decided_at) if changed and approved else "",
        "pending_override": (
            {
                "label": grades[pending.proposed_grade].label
                if pending.proposed_grade in grades
                else pending.proposed_grade,
                "reason": pending.reason,
                "proposed_by": str(pending.proposed_by),
            }
            if pending
            else None
        ),
        "conditions": conditions,
        "final": final.code if final else a.grade,
        "final_label": final.label if final else _("尚未评定"),
        "definition": (final.definition or "") if final else "",
        "scheme_recommendation": (final.recommendation or "") if final else "",
        "computed": a.computed_grade,
        "computed_label": computed.label if computed else "—",
        "initial_label": initial.label if initial else "—",
        "index": index_text(a.computed_index),
        "initial_index": index_text(a.initial_index),
        "band": band_label or "—",
        "changed": changed,
        "override_reason": approved.reason if changed and approved else "",
        "floor_reason": grade_floor_reason(a),
        "graded_on": cn_date(a.graded_at),
        "major_stability_issue": a.major_stability_issue,
        "scale": [
            {"label": g.label, "definition": g.definition or ""}
            for g in sorted(scheme.grades, key=lambda g: -g.severity)
        ],
    }


def _channel_row(c: Any, label: str, group: str) -> dict[str, Any]:
    return {
        "channel": label,
        "group": group,
        "respondents": c.respondents,
        "support": c.support,
        "oppose": c.oppose,
        "neutral": c.neutral,
        "undeclared": c.undeclared,
        "oppose_rate": percent(c.oppose_rate),
    }


def _channels(s: Any) -> list[dict[str, Any]]:
    """Every channel (all groups, then each group), then every channel added up."""
    rows: list[dict[str, Any]] = []
    for c in s.channels:
        rows.append(_channel_row(c, c.label, _("全部")))
        rows += [
            _channel_row(g, "", g.group or _("未注明群体"))
            for g in s.channel_groups
            if g.channel == c.channel
        ]
    if s.channels:
        rows.append(_channel_row(s.all_channels, _("各渠道合计"), _("全部")))
        rows += [_channel_row(g, "", g.group or _("未注明群体")) for g in s.by_group]
    return rows


def _majority_text(a: Assessment, s: Any) -> str:
    from fengping.opinions.queries import combine_text, majority_check

    rule = a.scheme.majority_rule
    if rule is None or not s.channels:
        return ""
    finding = majority_check(rule, s)
    if finding is not None:
        return _(
            "征求意见中反对的比例超过评估方案规定的 %(t).0f%%（%(how)s）：%(f)s。方案规定：%(q)s。"
        ) % {
            "t": rule.threshold * 100,
            "how": combine_text(rule),
            "f": finding.figures,
            "q": rule.quote,
        }
    return _(
        "各渠道合计反对 %(o)s/%(n)s 人（%(r)s），未超过评估方案规定的 %(t).0f%%（%(how)s）。"
    ) % {
        "o": s.all_channels.oppose,
        "n": s.all_channels.with_stance,
        "r": percent(s.all_channels.oppose_rate),
        "t": rule.threshold * 100,
        "how": combine_text(rule),
    }


def _opinions(a: Assessment) -> dict[str, Any]:
    s = matter_opinion_summary(a.matter)
    answered = s.queries - s.unanswered_queries
    return {
        "channels": _channels(s),
        "majority": _majority_text(a, s),
        "respondents": s.respondents,
        "stance_respondents": s.stance_respondents,
        "support": s.support,
        "oppose": s.oppose,
        "neutral": s.neutral,
        "support_rate": percent(s.support_rate),
        "oppose_rate": percent(s.oppose_rate),
        "neutral_rate": percent(s.neutral_rate),
        "groups": [
            {
                "group": g.group or _("未分组"),
                "respondents": g.respondents,
                "support_rate": percent(g.support_rate),
                "oppose_rate": percent(g.oppose_rate),
                "neutral_rate": percent(g.neutral_rate),
            }
            for g in s.per_group
        ],
        "keywords": _keywords_text(s),
        "keyword_list": [{"word": w, "count": c} for w, c in s.top_keywords],
        "comments": s.comments,
        "queries": s.queries,
        "answered_queries": answered,
        "unanswered_queries": s.unanswered_queries,
        "revisions": s.revisions,
    }


def _activities(a: Assessment) -> list[dict[str, Any]]:
    return [
        {
            "kind": act.get_kind_display(),
            "date": cn_date(act.date),
            "place": act.place,
            "participants": act.participant_count,
            "stances": (
                _("支持%(s)s/反对%(o)s/中立%(n)s/未表态%(u)s")
                % {
                    "s": act.support_count,
                    "o": act.oppose_count,
                    "n": act.neutral_count,
                    "u": act.undeclared_count,
                }
                if act.has_stances
                else "—"
            ),
            "minutes": act.minutes,
        }
        for act in Activity.objects.filter(matter=a.matter).order_by("date", "id")
    ]


def _team(a: Assessment) -> list[dict[str, Any]]:
    return [
        {
            "kind": m.get_kind_display(),
            "kind_code": m.kind,
            "name": m.name or (m.user.real_name or m.user.username if m.user else ""),
            "organisation": m.organisation,
            "duty": m.duty,
        }
        for m in a.team.select_related("user").order_by("kind", "id")
    ]


def _reviews(a: Assessment, scheme: Scheme) -> list[dict[str, Any]]:
    stages = {
        stage.code: f"{stage.actor}{stage.action}"
        for step in scheme.procedure.steps
        for stage in step.review_chain
    }
    return [
        {
            "stage": stages.get(r.stage, r.stage),
            "reviewer": r.reviewer.real_name or r.reviewer.username,
            "result": r.get_result_display(),
            "opinion": r.opinion,
            "date": cn_date(r.at),
            "round": r.round,
        }
        for r in a.reviews.select_related("reviewer").order_by("at", "id")
    ]


def _decision(a: Assessment) -> dict[str, Any] | None:
    d = Decision.objects.filter(assessment=a).first()
    if d is None:
        return None
    return {
        "outcome": d.outcome_label,
        "doc_no": d.doc_no,
        "decided_on": cn_date(d.decided_on),
        "authority": d.authority,
        "note": d.note,
        "filing_due": cn_date(d.filing_due),
    }


def report_context(assessment: Assessment, *, edition: int | None = None) -> dict[str, Any]:
    """The report of `assessment` (access already checked by the caller).

    `edition` is the version number printed in the title; by default the current
    report's (the same number as its archived copy), or a draft when there is none."""
    a = (
        Assessment.objects.select_related(
            "matter__department", "matter__lead_department", "lead_department"
        )
        .prefetch_related("assisting_departments", "matter__assisting_departments")
        .get(pk=assessment.pk)
    )
    scheme = a.scheme
    m = a.matter
    if edition is None:
        edition = a.report_version if a.report_is_current() else 0
    factors, raw = _factors(a, scheme)
    team = _team(a)
    matter_assisting = "、".join(d.name for d in m.assisting_departments.all())
    assisting = "、".join(d.name for d in a.assisting_departments.all())
    lead = a.lead_department or m.lead_department
    schedule = ""
    if a.schedule_start or a.schedule_end:
        schedule = f"{cn_date(a.schedule_start) or '—'}至{cn_date(a.schedule_end) or '—'}"
    sections = sections_of(section_parts(scheme))
    categories = {c.code: c.label for c in scheme.categories()} if scheme.taxonomy else {}
    return {
        "title": scheme.report.title,
        "edition": edition,
        "edition_label": _("第%(n)s版") % {"n": edition} if edition else _("草稿"),
        "generated_on": cn_date(timezone.localdate()),
        # The audit chain's head when the report was made: printed and filed, it lets
        # `fengping audit verify --anchor` prove later that no event was rewritten.
        "audit_anchor": anchor_text(),
        "scheme": {"key": scheme.key, "name": scheme.name, "version": a.scheme_version},
        "sections": sections,
        "matter": {
            "title": m.title,
            "kind": m.get_kind_display(),
            "category": m.category_label or categories.get(m.category_code, m.category_code),
            "department": m.department.name,
            "lead_department": m.lead_department.name if m.lead_department else "—",
            "assisting_departments": matter_assisting or "—",
            "deciding_authority": m.deciding_authority or "—",
            "planned_decision_date": cn_date(m.planned_decision_date) or "—",
            "registered_on": cn_date(m.created_at),
            "year": m.year,
            "description": paragraphs(m.description),
            "consultation_channels": m.consultation_channels,
        },
        "work": {
            "started_on": cn_date(a.started_at),
            "lead_department": lead.name if lead else "—",
            "assisting_departments": assisting or "—",
            "plan_content": paragraphs(a.plan_content),
            "plan_methods": paragraphs(a.plan_methods),
            "schedule": schedule or "—",
            "team": team,
            "staff": [t for t in team if t["kind_code"] in (MemberKind.STAFF, MemberKind.OFFICIAL)],
            "experts": [t for t in team if t["kind_code"] == MemberKind.EXPERT],
            "public_representatives": [t for t in team if t["kind_code"] == MemberKind.PUBLIC],
            "channels": m.consultation_channels or "—",
            "activities": _activities(a),
        },
        "opinions": _opinions(a),
        "factors": factors,
        "matrix": _matrix(scheme, factors, raw),
        "checklist": _checklist(a, scheme),
        "grade": _grade(a, scheme),
        "written_opinion": paragraphs(a.written_opinion),
        "recommendation": paragraphs(a.recommendation),
        "mitigation_plan": paragraphs(a.mitigation_plan),
        "contingency_plan": paragraphs(a.contingency_plan),
        "measures": [
            {
                "kind": ms.get_kind_display(),
                "title": ms.title,
                "owner": ms.owner,
                "due": cn_date(ms.due) or "—",
                "status": ms.get_status_display(),
            }
            for ms in a.measures.all().order_by("due", "id")
        ],
        "reviews": _reviews(a, scheme),
        "decision": _decision(a),
        # Decisions after the first (终止实施 / 调整 / a postponed matter decided again),
        # each with its own 文号, and the follow-up surveys (篇1 六(二) 全程跟踪).
        "later_decisions": [
            {
                "outcome": d.outcome_label,
                "doc_no": d.doc_no,
                "decided_on": cn_date(d.decided_on),
                "authority": d.authority,
                "reason": d.reason,
            }
            for d in a.later_decisions.order_by("decided_on", "id")
        ],
        "surveys": [
            {
                "held_on": cn_date(sv.held_on),
                "method": sv.method,
                "support": sv.support,
                "oppose": sv.oppose,
                "neutral": sv.neutral,
                "no_stance": sv.no_stance,
            }
            for sv in a.surveys.order_by("held_on", "id")
        ],
        "filings": [
            {
                "office": f.office.name,
                "filed_on": cn_date(f.filed_on),
                "note": f.note,
                # 篇3 六(七) 决定的次日: a late filing stays marked, with its reason.
                "late": f.late,
                "late_reason": f.late_reason,
                # 签收 by the receiving office.
                "acknowledged_by": (
                    (f.acknowledged_by.real_name or f.acknowledged_by.username)
                    if f.acknowledged_by
                    else ""
                ),
                "acknowledged_on": cn_date(timezone.localdate(f.acknowledged_at))
                if f.acknowledged_at
                else "",
            }
            for f in a.filings.select_related("office", "acknowledged_by").order_by(
                "filed_on", "id"
            )
        ],
    }


def sample_context() -> dict[str, Any]:
    """A complete context with made-up values: an uploaded template must render against it
    before it is accepted (so a broken template is refused at upload, not at generation)."""
    factor = {
        "no": 1,
        "dimension": "合法性",
        "title": "示例风险因素",
        "description": "示例",
        "people": "120",
        "scope": "全镇范围",
        "manner": "信访投诉",
        "intensity": "较低",
        "negative_impact": "示例",
        "weight": "1",
        "p": "0.60",
        "i": "0.40",
        "score": "0.24",
        "spread": "0.16–0.36（2人）",
        "mitigation": "示例措施",
        "mitigation_owner": "示例单位",
        "residual_score": "0.16",
    }
    cell = {
        "value": "0.24",
        "band": "低",
        "css": "risk-1",
        "fill": "D9EAD3",
        "factors": "1",
        "has_factors": True,
    }
    person = {
        "kind": "特邀专家",
        "kind_code": "expert",
        "name": "张三",
        "organisation": "示例单位",
        "duty": "组长",
    }
    sections = sections_of(
        [
            ("overview", "重大决策或重大工程项目的概括", ["overview"]),
            ("assessment_work", "开展评估有关情况", ["work", "opinions"]),
            ("risk_factors", "稳定风险因素分析", ["factors", "matrix", "checklist"]),
            ("risk_grade", "稳定风险等级评价", ["grade"]),
            ("recommendation", "重大事项实施建议", ["recommendation"]),
            ("mitigation_and_contingency", "化解风险方案和应急处置预案", ["mitigation"]),
        ]
    )
    return {
        "title": "社会稳定风险评估报告",
        "edition": 1,
        "edition_label": "第1版",
        "generated_on": cn_date(dt.date(2026, 11, 27)),
        "audit_anchor": "审计链锚点 / audit anchor: #1:" + "0" * 64,
        "scheme": {"key": "sample", "name": "示例方案", "version": "000000000000"},
        "sections": sections,
        "matter": {
            "title": "示例事项",
            "kind": "重大决策",
            "category": "示例领域",
            "department": "示例局",
            "lead_department": "示例局",
            "assisting_departments": "示例科",
            "deciding_authority": "示例政府",
            "planned_decision_date": "2026年12月1日",
            "registered_on": "2026年11月1日",
            "year": 2026,
            "description": ["示例概况"],
            "consultation_channels": "电话",
        },
        "work": {
            "started_on": "2026年11月2日",
            "lead_department": "示例局",
            "assisting_departments": "示例科",
            "plan_content": ["示例"],
            "plan_methods": ["问卷调查"],
            "schedule": "2026年11月2日至2026年11月20日",
            "team": [person],
            "staff": [person],
            "experts": [person],
            "public_representatives": [person],
            "channels": "电话",
            "activities": [
                {
                    "kind": "座谈会",
                    "date": "2026年11月5日",
                    "place": "会议室",
                    "participants": 12,
                    "stances": "支持8/反对3/中立1/未表态0",
                    "minutes": "示例",
                }
            ],
        },
        "opinions": {
            "channels": [
                {
                    "channel": "问卷调查",
                    "group": "全部",
                    "respondents": 10,
                    "support": 6,
                    "oppose": 3,
                    "neutral": 1,
                    "undeclared": 0,
                    "oppose_rate": "30.0%",
                }
            ],
            "majority": "各渠道合计反对 3/10 人（30.0%），未超过评估方案规定的 50%（各渠道合计计算）。",
            "respondents": 10,
            "stance_respondents": 10,
            "support": 6,
            "oppose": 3,
            "neutral": 1,
            "support_rate": "60.0%",
            "oppose_rate": "30.0%",
            "neutral_rate": "10.0%",
            "groups": [
                {
                    "group": "群众",
                    "respondents": 10,
                    "support_rate": "60.0%",
                    "oppose_rate": "30.0%",
                    "neutral_rate": "10.0%",
                }
            ],
            "keywords": "补偿（3）",
            "keyword_list": [{"word": "补偿", "count": 3}],
            "comments": 2,
            "queries": 1,
            "answered_queries": 1,
            "unanswered_queries": 0,
            "revisions": 0,
        },
        "factors": [factor],
        "matrix": {
            "row_title": "风险发生的概率",
            "column_title": "负面影响程度",
            "columns": ["较小（0.4）"],
            "rows": [{"label": "中等（0.6）", "cells": [cell]}],
            "bands": [{"label": "低", "range": "0 ≤ P·I ≤ 0.36", "grade": "三级", "css": "risk-1"}],
        },
        "checklist": [
            {
                "dimension": "合法性",
                "text": "示例",
                "answers": [
                    {
                        "no": 1,
                        "text": "示例",
                        "answer": "符合",
                        "written": False,
                        "failed": False,
                        "note": "",
                        "evidence": "",
                    }
                ],
                "summary": "符合 1 项",
            }
        ],
        "grade": {
            "final": "level3",
            "final_label": "三级",
            "definition": "示例",
            "scheme_recommendation": "示例",
            "computed": "level4",
            "computed_label": "四级",
            "initial_label": "三级",
            "index": "0.240",
            "initial_index": "0.240",
            "band": "低",
            "changed": True,
            "override_reason": "示例理由",
            "override_proposed_by": "示例承办人",
            "override_approved_by": "示例分管领导",
            "override_approved_on": "2026年11月20日",
            "pending_override": None,
            "conditions": [],
            "floor_reason": "",
            "graded_on": "2026年11月20日",
            "major_stability_issue": False,
            "scale": [{"label": "三级", "definition": "示例"}],
        },
        "written_opinion": ["示例"],
        "recommendation": ["示例"],
        "mitigation_plan": ["示例"],
        "contingency_plan": ["示例"],
        "measures": [
            {
                "kind": "应对措施",
                "title": "示例",
                "owner": "示例单位",
                "due": "2026年12月31日",
                "status": "未开始",
            }
        ],
        "reviews": [
            {
                "stage": "审批、审议部门审查",
                "reviewer": "李四",
                "result": "审查通过",
                "opinion": "同意",
                "date": "2026年11月25日",
                "round": 1,
            }
        ],
        "later_decisions": [],
        "surveys": [],
        "decision": {
            "outcome": "实施",
            "doc_no": "示政发〔2026〕1号",
            "decided_on": "2026年11月27日",
            "authority": "示例政府",
            "note": "",
            "filing_due": "2026年11月28日",
        },
        "filings": [
            {
                "office": "维稳办",
                "filed_on": "2026年11月28日",
                "note": "",
                "late": False,
                "late_reason": "",
                "acknowledged_by": "孙丽",
                "acknowledged_on": "2026年11月28日",
            }
        ],
    }


def _keywords_text(s: Any) -> str:
    """The keywords with their counts, and the texts not yet extracted when there are any
    (the job worker extracts them as they arrive)."""
    text = "、".join(f"{word}（{count}）" for word, count in s.top_keywords) or "—"
    if s.keywords_pending:
        text += _("（另有 %(n)s 条意见尚未提取关键词）") % {"n": s.keywords_pending}
    return text
