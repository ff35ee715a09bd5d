"""The output codes an assessment's steps produce, and how fengping knows each exists.

Registered with the procedure engine from `AssessmentsConfig.ready()`. An output a custom
scheme invents is satisfied when the step that produces it is completed (the person
completing it attests to it; the completion is audited).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from fengping.procedure import outputs

from . import rules
from .models import Assessment, Decision, FollowUpMeasure, MeasureKind


def _factors_scored(a: Assessment) -> bool:
    factors = list(a.factors.all())
    return bool(factors) and all(f.score is not None for f in factors)


def _opinions(a: Assessment) -> bool:
    summary = rules.opinion_summary(a)
    recorded = summary.respondents or summary.comments or any(summary.activities.values())
    # The scheme's consultation rules (answers, 质疑 replied, interest group, …).
    return bool(recorded) and not rules.consultation_refusals(a)


def _reset_report(a: Assessment) -> Sequence[str]:
    # The report must be made again after what it says has changed.
    a.report_generated_at = None
    return ("report_generated_at",)


def _contingency_plan(a: Assessment) -> bool:
    if a.follow_up_rules_apply():
        return "contingency_plan" not in dict(a.follow_up_missing())
    return (
        bool(a.contingency_plan.strip())
        or FollowUpMeasure.objects.filter(assessment=a, kind=MeasureKind.CONTINGENCY).exists()
    )


def _response_measures(a: Assessment) -> bool:
    """篇1 六(二): the scheme's follow-up rules say which decisions need measures (an
    implemented matter does, a postponed one needs 对策 instead); without such rules
    (篇3 六(八)) every decided matter needs them."""
    if a.follow_up_rules_apply():
        return "response_measures" not in dict(a.follow_up_missing())
    return FollowUpMeasure.objects.filter(assessment=a, kind=MeasureKind.RESPONSE).exists()


def register() -> None:
    add = outputs.register
    add(Assessment, "matter", _("评估事项"), lambda a: True)
    add(
        Assessment,
        "assessment_plan",
        _("评估方案（牵头部门、评估内容与责任、评估组成员）"),
        lambda a: (
            bool(a.plan_content.strip() and a.lead_department_id and a.team.exists())
            and not rules.plan_refusals(a)
        ),
    )
    add(
        Assessment,
        "project_file",
        _("专项工作档案（至少一份材料）"),
        lambda a: a.archive.exists(),
    )
    add(Assessment, "opinions", _("征求意见记录（问卷答卷、意见或征求意见活动）"), _opinions)
    add(
        Assessment,
        "risk_analysis",
        _("风险因素分析（每个因素已评分并填写方案要求的预测，各维度清单逐项作答）"),
        lambda a: _factors_scored(a) and not rules.analysis_refusal(a),
    )
    add(Assessment, "risk_grade", _("风险等级"), lambda a: bool(a.grade))
    add(Assessment, "recommendation", _("实施建议"), lambda a: bool(a.recommendation.strip()))
    add(
        Assessment,
        "written_opinion",
        _("责任主体书面意见"),
        lambda a: bool(a.written_opinion.strip()),
    )
    add(
        Assessment,
        "report",
        _("评估报告"),
        lambda a: a.report_generated_at is not None,
        reset=_reset_report,
    )
    add(
        Assessment,
        "decision",
        _("决定"),
        lambda a: Decision.objects.filter(assessment=a).exists(),
    )
    add(
        Assessment,
        "filing",
        _("备案（方案所列的每个备案机关）"),
        lambda a: a.filing_complete(),
    )
    add(Assessment, "response_measures", _("应对措施"), _response_measures)
    add(Assessment, "contingency_plan", _("应急处置预案"), _contingency_plan)
