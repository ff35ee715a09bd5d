"""How the procedure engine knows each output of a case scheme's steps exists."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from fengping.procedure import outputs

from .models import CaseAssessment, ChangeState, ResolutionState

REPORT_FIELDS = ("persons", "summary", "handling", "problems", "response_plan")


def checklist_complete(assessment: CaseAssessment) -> bool:
    """Every item of every dimension is analysed (严禁漏项)."""
    wanted = {(d.code, i) for d in assessment.scheme.dimensions for i, _item in enumerate(d.items)}
    answered = set(assessment.answers.values_list("dimension", "item"))
    return wanted <= answered


def risk_assessed(assessment: CaseAssessment) -> bool:
    return (
        checklist_complete(assessment)
        and bool(assessment.petition_probability)
        and bool(assessment.impact)
    )


def level_held(assessment: CaseAssessment) -> bool:
    return (
        bool(assessment.level)
        and not assessment.level_changes.filter(state=ChangeState.PENDING).exists()
    )


def plan_ready(assessment: CaseAssessment) -> bool:
    return bool(assessment.contingency_plan.strip()) and assessment.measures.exists()


def report_written(assessment: CaseAssessment) -> bool:
    return all(getattr(assessment, f).strip() for f in REPORT_FIELDS)


def register_outputs() -> None:
    outputs.register(CaseAssessment, "screening_result", _("排查结果"), lambda a: True)
    outputs.register(CaseAssessment, "assessment_target", _("评估对象"), lambda a: True)
    outputs.register(
        CaseAssessment, "risk_assessment", _("风险评估（三个方面逐项分析及预测）"), risk_assessed
    )
    outputs.register(CaseAssessment, "risk_grade", _("风险等级"), level_held)
    outputs.register(CaseAssessment, "contingency_plan", _("防范和处置预案及工作措施"), plan_ready)
    outputs.register(CaseAssessment, "report", _("评估报告（六项内容齐全）"), report_written)
    from .resolution_rules import reset_resolution

    outputs.register(
        CaseAssessment,
        "risk_resolution",
        _("风险化解（经领导批准）"),
        lambda a: a.resolution_state == ResolutionState.APPROVED,
        reset=reset_resolution,
    )
