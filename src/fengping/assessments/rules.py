"""What the frozen scheme requires: which decisions the grade, the conditions, the
majority rule and the gates allow. (Which outputs exist and which step is open is the
procedure engine's, `fengping.procedure`; the outputs are registered in `outputs.py`.)

Pure reads over an assessment; the actions call them inside their transactions, and the
pages call them to show why a button is disabled — one rule, every door.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from fengping.procedure.engine import find_step_producing
from fengping.schemes.model import Grade

from .models import Assessment, RiskFactor, answer_accepted, answer_failed


def opinion_summary(assessment: Assessment) -> Any:
    from fengping.opinions.queries import matter_opinion_summary

    return matter_opinion_summary(assessment.matter)


# ------------------------------------------------------------------ the analysis step


def estimate_label(field: str) -> str:
    return str(RiskFactor._meta.get_field(field).verbose_name)


def missing_estimates(a: Assessment, factor: RiskFactor) -> list[str]:
    """The estimates the scheme requires (篇1 六(一)3, 篇3 六(四)) that `factor` lacks."""
    out = []
    for field in a.scheme.factor_estimates.required:
        value = getattr(factor, field)
        if value is None or (isinstance(value, str) and not value.strip()):
            out.append(field)
    return out


def estimates_refusal(a: Assessment, factor: RiskFactor) -> str:
    """Why `factor` may not stand as it is ("" when its estimates are complete)."""
    missing = missing_estimates(a, factor)
    if not missing:
        return ""
    return _("风险因素“%(t)s”须填写：%(m)s。方案规定：%(q)s") % {
        "t": factor.title,
        "m": "、".join(estimate_label(f) for f in missing),
        "q": a.scheme.factor_estimates.quote or "",
    }


@dataclass(frozen=True)
class ChecklistItem:
    dimension: Any  # schemes.model.Dimension
    no: int  # 0-based
    text: str
    answer_type: str
    row: Any  # ChecklistAnswer or None

    @property
    def answered(self) -> bool:
        """Answered in the way the scheme asks (an answer of another type does not count)."""
        return self.row is not None and answer_accepted(self.answer_type, self.row.answer)

    @property
    def failed(self) -> bool:
        return self.answered and answer_failed(self.answer_type, self.row.answer)

    @property
    def problem(self) -> str:
        """What is wrong with this item for the analysis step ("" when nothing)."""
        if not self.answered:
            return str(_("未作答")) if self.row is None else str(_("未按规定方式作答"))
        if self.answer_type == "written" and self.row.answer == "written" and not self.row.note:
            return str(_("未填写评估意见"))
        if self.failed and not self.row.note.strip():
            return str(_("未说明情况"))
        return ""


def checklist_items(a: Assessment) -> list[ChecklistItem]:
    """Every checklist item of the frozen scheme with its answer type and stored answer."""
    rows = {(c.dimension, c.item_no): c for c in a.checklist.select_related("answered_by")}
    return [
        ChecklistItem(d, i, text, d.answer_type(i), rows.get((d.code, i)))
        for d in a.scheme.dimensions
        for i, text in enumerate(d.items)
    ]


def checklist_refusal(a: Assessment, items: list[ChecklistItem] | None = None) -> str:
    """Why the checklist does not yet support the analysis ("" when it does): every item
    answered the way the scheme asks, a failed item (不符合, or a yes/no answered the bad
    way) explained, and each dimension with a failed item has a risk factor of its own."""
    items = checklist_items(a) if items is None else items
    problems = [it for it in items if it.problem]
    if problems:
        listed = "；".join(
            _("%(d)s第%(n)s项“%(t)s”%(p)s")
            % {"d": it.dimension.label, "n": it.no + 1, "t": it.text, "p": it.problem}
            for it in problems[:5]
        )
        more = _("等 %(n)s 项") % {"n": len(problems)} if len(problems) > 5 else ""
        return _("评估清单须逐项按方案规定的方式作答：%(l)s%(m)s") % {"l": listed, "m": more}
    with_factors = set(a.factors.values_list("dimension", flat=True))
    for it in items:
        if it.failed and it.dimension.code not in with_factors:
            return _(
                "评估清单%(d)s第%(n)s项“%(t)s”的结论为“%(r)s”，"
                "须在“%(d)s”维度登记相应的风险因素并逐项分析预测"
            ) % {
                "d": it.dimension.label,
                "n": it.no + 1,
                "t": it.text,
                "r": it.row.get_answer_display(),
            }
    return ""


def analysis_refusal(a: Assessment) -> str:
    """Why the analysis step may not be completed yet ("" when it may): the checklist,
    and every factor carrying the estimates the scheme requires."""
    for factor in a.factors.all():
        if why := estimates_refusal(a, factor):
            return why
    return checklist_refusal(a)


# ------------------------------------------------------------------ decisions


@dataclass(frozen=True)
class Refusal:
    rule: str  # which rule refused
    message: str  # the message quoting the rule (and the figures)


def grade_of(a: Assessment) -> Grade | None:
    return next((g for g in a.scheme.grades if g.code == a.grade), None)


def decision_label(a: Assessment, code: str) -> str:
    return next((d.label for d in a.scheme.decisions if d.code == code), code)


def condition_met(a: Assessment, code: str) -> bool:
    if code == "assessment_completed":
        # Completed = the report exists and the step that produces it has been completed.
        report = find_step_producing(a.scheme, "report")
        return (
            report is not None
            and a.report_generated_at is not None
            and a.steps.filter(step_code=report.code, state="done").exists()
        )
    if code == "plan_filed":
        return a.matter.plan_filed_on is not None
    return a.conditions.filter(code=code).exists()


def condition_label(a: Assessment, code: str) -> tuple[str, str]:
    for c in a.scheme.conditions:
        if c.code == code:
            return c.label, c.quote or ""
    return code, ""


def refusals(a: Assessment, outcome: str) -> list[Refusal]:
    """Every rule of the frozen scheme that forbids `outcome` now, with its quote."""
    out: list[Refusal] = []
    label = decision_label(a, outcome)
    grade = grade_of(a)
    if grade is None:
        out.append(Refusal("grade", _("尚未确定风险等级，不能作出决定")))
        return out
    if outcome in grade.decisions.forbidden or outcome not in grade.decisions.allowed:
        quote = grade.recommendation or grade.definition or ""
        out.append(
            Refusal(
                "grade",
                _("风险等级为%(g)s，不能作出“%(d)s”的决定。方案规定：%(q)s")
                % {"g": grade.label, "d": label, "q": quote},
            )
        )
    for cond in grade.decisions.conditions:
        if cond.decision != outcome:
            continue
        for code in cond.requires:
            if not condition_met(a, code):
                clabel, quote = condition_label(a, code)
                out.append(
                    Refusal(
                        "condition",
                        _("“%(d)s”须先满足：%(c)s。%(q)s") % {"d": label, "c": clabel, "q": quote},
                    )
                )
    rule = a.scheme.majority_rule
    if rule is not None and outcome in rule.forbids:
        summary = opinion_summary(a)
        if rule.breached(summary.oppose_rate):
            out.append(
                Refusal(
                    "majority",
                    _(
                        "征求意见中反对的占 %(rate).1f%%（%(o)s/%(n)s 人），超过 %(t).0f%%，"
                        "不能作出“%(d)s”的决定。方案规定：%(q)s"
                    )
                    % {
                        "rate": summary.oppose_rate * 100,
                        "o": summary.oppose,
                        "n": summary.stance_respondents,
                        "t": rule.threshold * 100,
                        "d": label,
                        "q": rule.quote,
                    },
                )
            )
    for gate in a.scheme.gates:
        if outcome not in gate.blocks:
            continue
        if gate.applies_to and a.matter.category_code not in gate.applies_to:
            continue
        unmet = [code for code in gate.unless if not condition_met(a, code)]
        if unmet:
            out.append(Refusal("gate", _("%(g)s：%(q)s") % {"g": gate.label, "q": gate.quote}))
    return out
