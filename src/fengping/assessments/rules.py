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
from fengping.schemes.model import Grade, ReactionFloor

from .models import Assessment


def opinion_summary(assessment: Assessment) -> Any:
    from fengping.opinions.queries import matter_opinion_summary

    return matter_opinion_summary(assessment.matter)


# ------------------------------------------------------------------ grade floor


@dataclass(frozen=True)
class GradeFloor:
    """The public's reaction keeps the grade at least ``floor.at_least`` (scheme
    ``grading.public_reaction_floor``); ``reason`` quotes the rule with the figures."""

    floor: ReactionFloor
    computed: str  # the grade the factor scores gave
    grade: str  # the grade after the floor
    reason: str


def reaction_floor(a: Assessment, computed: str, summary: Any = None) -> GradeFloor | None:
    """The most severe floor of the frozen scheme that the pooled oppose rate (every
    channel) exceeds, when it lifts ``computed``; else None."""
    grading = a.scheme.grading
    if grading is None or not grading.public_reaction_floor:
        return None
    severity = {g.code: g.severity for g in a.scheme.grades}
    labels = {g.code: g.label for g in a.scheme.grades}
    summary = summary if summary is not None else opinion_summary(a)
    pooled = summary.all_channels
    rate = pooled.oppose_rate
    if rate is None:
        return None
    hits = [f for f in grading.public_reaction_floor if rate > f.oppose_rate_over]
    if not hits:
        return None
    floor = max(hits, key=lambda f: severity.get(f.at_least, 0))
    if severity.get(computed, 0) >= severity.get(floor.at_least, 0):
        return None
    reason = _(
        "各渠道合计反对 %(o)s/%(n)s 人（%(r).1f%%），超过 %(t).0f%%，风险等级至少为%(g)s"
        "（按风险因素计算为%(c)s）。方案规定：%(q)s"
    ) % {
        "o": pooled.oppose,
        "n": pooled.with_stance,
        "r": rate * 100,
        "t": floor.oppose_rate_over * 100,
        "g": labels.get(floor.at_least, floor.at_least),
        "c": labels.get(computed, computed),
        "q": floor.quote,
    }
    return GradeFloor(floor, computed, floor.at_least, reason)


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
        from fengping.opinions.queries import combine_text, majority_check

        finding = majority_check(rule, opinion_summary(a))
        if finding is not None:
            out.append(
                Refusal(
                    "majority",
                    _(
                        "征求意见中反对的比例超过 %(t).0f%%（%(how)s）：%(f)s，"
                        "不能作出“%(d)s”的决定。方案规定：%(q)s"
                    )
                    % {
                        "t": rule.threshold * 100,
                        "how": combine_text(rule),
                        "f": finding.figures,
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
