"""What the frozen scheme requires: which outputs exist, which step is open, which
decisions the grade, the conditions, the majority rule and the gates allow.

Pure reads over an assessment; the actions call them inside their transactions, and the
pages call them to show why a button is disabled — one rule, every door.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.schemes.model import Grade, Step

from .models import Assessment, FollowUpMeasure, MeasureKind


def opinion_summary(assessment: Assessment) -> Any:
    from fengping.opinions.queries import matter_opinion_summary

    return matter_opinion_summary(assessment.matter)


def _checklist_complete(a: Assessment) -> bool:
    needed = sum(len(d.items) for d in a.scheme.dimensions)
    return a.checklist.count() >= needed


def _factors_scored(a: Assessment) -> bool:
    factors = list(a.factors.all())
    return bool(factors) and all(f.score is not None for f in factors)


def _opinions(a: Assessment) -> bool:
    summary = opinion_summary(a)
    return bool(summary.respondents or summary.comments or summary.activities)


# Output codes the built-in schemes use, and how fengping knows each one exists. An output
# a custom scheme invents is satisfied when the step that produces it is completed (the
# person completing it attests to it; the completion is audited).
OUTPUTS: dict[str, Callable[[Assessment], bool]] = {
    "matter": lambda a: True,
    "assessment_plan": lambda a: bool(
        a.plan_content.strip() and a.lead_department_id and a.team.exists()
    ),
    "project_file": lambda a: a.archive.exists(),
    "opinions": _opinions,
    "risk_analysis": lambda a: _factors_scored(a) and _checklist_complete(a),
    "risk_grade": lambda a: bool(a.grade),
    "recommendation": lambda a: bool(a.recommendation.strip()),
    "written_opinion": lambda a: bool(a.written_opinion.strip()),
    "report": lambda a: a.report_generated_at is not None,
    "filing": lambda a: a.filings.exists(),
    "response_measures": lambda a: FollowUpMeasure.objects.filter(
        assessment=a, kind=MeasureKind.RESPONSE
    ).exists(),
    "contingency_plan": lambda a: (
        bool(a.contingency_plan.strip())
        or FollowUpMeasure.objects.filter(assessment=a, kind=MeasureKind.CONTINGENCY).exists()
    ),
}

OUTPUT_LABELS = {
    "matter": gettext_lazy("评估事项"),
    "assessment_plan": gettext_lazy("评估方案（牵头部门、评估内容与责任、评估组成员）"),
    "project_file": gettext_lazy("专项工作档案（至少一份材料）"),
    "opinions": gettext_lazy("征求意见记录（问卷答卷、意见或征求意见活动）"),
    "risk_analysis": gettext_lazy("风险因素分析（每个因素已评分，各维度清单逐项作答）"),
    "risk_grade": gettext_lazy("风险等级"),
    "recommendation": gettext_lazy("实施建议"),
    "written_opinion": gettext_lazy("责任主体书面意见"),
    "report": gettext_lazy("评估报告"),
    "decision": gettext_lazy("决定"),
    "filing": gettext_lazy("备案"),
    "response_measures": gettext_lazy("应对措施"),
    "contingency_plan": gettext_lazy("应急处置预案"),
}


def _has_decision(a: Assessment) -> bool:
    from .models import Decision

    return Decision.objects.filter(assessment=a).exists()


OUTPUTS["decision"] = _has_decision


def output_exists(a: Assessment, code: str) -> bool:
    check = OUTPUTS.get(code)
    if check is not None:
        return check(a)
    # A scheme-specific output: done when a completed step produces it.
    producers = [s.code for s in a.scheme.procedure.steps if code in s.produces]
    return a.steps.filter(step_code__in=producers, state="done").exists()


def step(a: Assessment, code: str) -> Step:
    for s in a.scheme.procedure.steps:
        if s.code == code:
            return s
    raise KeyError(code)


def next_step(a: Assessment, code: str) -> Step | None:
    steps = a.scheme.procedure.steps
    for i, s in enumerate(steps):
        if s.code == code:
            return steps[i + 1] if i + 1 < len(steps) else None
    return None


def missing_outputs(a: Assessment, s: Step) -> list[str]:
    """What the step must produce before it can be completed (known outputs only; the
    decision step's own outputs are made by do_decide / do_file)."""
    return [code for code in s.produces if code in OUTPUTS and not output_exists(a, code)]


def missing_requirements(a: Assessment, s: Step) -> list[str]:
    step_codes = {x.code for x in a.scheme.procedure.steps}
    missing = []
    for code in s.requires:
        if code in step_codes:
            if not a.steps.filter(step_code=code, state="done").exists():
                missing.append(code)
        elif not output_exists(a, code):
            missing.append(code)
    return missing


def label_of(code: str) -> str:
    return str(OUTPUT_LABELS.get(code, code))


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
        producers = [s.code for s in a.scheme.procedure.steps if "report" in s.produces]
        return (
            a.report_generated_at is not None
            and a.steps.filter(step_code__in=producers, state="done").exists()
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
