"""Assessments (社会稳定风险评估), scoped by org.access; every change calls the same
action of `assessments.actions` as the pages. A refused decision answers 400 with the
scheme's rule quoted in `detail`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from fengping.assessments import actions, rules
from fengping.assessments.lists import ASSESSMENTS
from fengping.assessments.models import (
    ANSWERS_BY_TYPE,
    Answer,
    Assessment,
    FactorScore,
    FollowUpMeasure,
    IncidentAction,
    LaterDecision,
    MeasureKind,
    MeasureStatus,
    MemberKind,
    ReviewResult,
    RiskFactor,
    TeamMember,
)
from fengping.core import listing
from fengping.core.errors import ActionError
from fengping.matters.actions import supervising_offices
from fengping.matters.models import Matter
from fengping.org import access
from fengping.org.models import User
from fengping.procedure import engine

router = Router(tags=["assessments"])


class StepOut(Schema):
    code: str
    label: str
    state: str = Field("", description="open / done / sent_back；未开始时为空")
    done_by: str | None = None
    done_at: dt.datetime | None = None
    sent_back_reason: str = ""


class ScoreOut(Schema):
    assessor: str
    probability_level: str
    impact_level: str
    probability: float
    impact: float
    note: str


class FactorOut(Schema):
    id: int
    dimension: str
    title: str
    description: str
    people_involved: int | None
    scope: str
    manner: str
    intensity: str
    negative_impact: str
    weight: float
    probability: float | None = Field(None, description="各评估人员评分的汇总")
    impact: float | None
    score: float | None = Field(None, description="P·I")
    spread: dict[str, Any] = Field(
        default_factory=dict,
        description="method, n, 以及 probability/impact/score 的 [最小, 最大, 标准差]",
    )
    residual_probability: float | None
    residual_impact: float | None
    residual_score: float | None
    scores: list[ScoreOut] = []
    version: int


class AssessmentOut(Schema):
    id: int
    matter_id: int
    matter_title: str
    scheme_key: str
    scheme_name: str
    scheme_version: str
    status: str
    status_label: str
    current_step: str
    missing_outputs: list[str] = Field(..., description="当前步骤完成前尚缺的成果")
    step_refusals: list[str] = Field(
        ..., description="方案的评估方案与征求意见规则尚未满足之处（引用规定原文）"
    )
    steps: list[StepOut]
    computed_index: float | None
    computed_grade: str
    initial_index: float | None
    initial_grade: str
    grade: str
    grade_label: str
    grade_override_reason: str
    grade_floor_reason: str = Field(
        "", description="群众反映限定风险等级的理由（方案 grading.public_reaction_floor），无则为空"
    )
    written_opinion: str
    recommendation: str
    major_stability_issue: bool
    major_stability_reasons: list[str] = Field(
        ..., description="系统认定存在涉稳重大问题的理由（部门不能取消）"
    )
    pending_review: str = Field("", description="待审查的环节及方案规定的签署人")
    report_generated_at: dt.datetime | None
    content_open: bool = Field(
        ..., description="评估内容（方案、人员、因素、评分、清单、等级、意见）现在可否修改"
    )
    lock_refusal: str = Field(
        "", description="不能修改的原因（报告已生成：须退回并说明理由；或已作出决定）"
    )
    report_version: int = Field(0, description="最近生成的报告版本号（0：尚未生成）")
    can_finish: bool = Field(..., description="可否办结")
    finish_refusal: str = Field("", description="不能办结的原因（引用方案规定）")
    analysis_refusal: str = Field(
        "",
        description="风险分析尚不能完成的原因：风险因素缺少方案要求的预测（引用方案规定），"
        "或评估清单未按规定方式逐项作答",
    )
    factors: list[FactorOut]
    version: int


class AssessmentRow(Schema):
    id: int
    matter_id: int
    scheme_key: str
    scheme_version: str
    status: str
    current_step: str
    grade: str


class StartIn(Schema):
    matter_id: int


class CompleteIn(Schema):
    note: str = Field("", max_length=500)


class FactorIn(Schema):
    """people_involved, scope, manner, intensity and negative_impact: those the frozen
    scheme lists in factor_estimates.required must be given (篇1 六(一)3, 篇3 六(四));
    without one the answer is 400 with its field and the rule quoted."""

    dimension: str
    title: str = Field(..., min_length=1, max_length=200)
    description: str = ""
    people_involved: int | None = Field(None, ge=0)
    scope: str = Field("", max_length=200)
    manner: str = Field("", max_length=200)
    intensity: str = Field("", max_length=64)
    negative_impact: str = ""
    weight: float = Field(1.0, ge=0, le=100)
    version: int | None = Field(
        None, description="读取时的版本号；他人已修改时返回 409（不填则不检查）"
    )


class ScoreIn(Schema):
    probability_level: str
    impact_level: str
    note: str = Field("", max_length=300)


class ChecklistIn(Schema):
    dimension: str
    item_no: int = Field(..., ge=0)
    answer: Answer
    note: str = ""
    evidence: str = Field("", max_length=300)
    version: int | None = Field(
        None, ge=0, description="读取时该条作答的版本号，未作答为 0；他人已作答或修改时返回 409"
    )


class ChecklistOut(Schema):
    dimension: str
    item_no: int
    item_text: str
    answer: str
    note: str
    evidence: str
    version: int


class ChecklistItemOut(Schema):
    dimension: str
    dimension_label: str
    item_no: int = Field(..., description="从 0 起的条目序号（作答时使用）")
    text: str
    answer_type: str = Field(
        ...,
        description="compliance（符合/部分符合/不符合）、yes_good（“是”为符合要求）、"
        "no_good（“否”为符合要求）或 written（书面评估，写在 note 中）",
    )
    accepted: list[str] = Field(..., description="该条可用的 answer 取值")
    answer: str = Field("", description="已作答的结论；未作答为空")
    note: str = ""
    evidence: str = ""
    answered: bool = Field(..., description="已按方案规定的方式作答")
    failed: bool = Field(..., description="不符合要求（不符合、部分符合，或“是/否”答在不利一方）")
    problem: str = Field("", description="完成风险分析前该条尚须处理的问题")
    version: int = Field(0, description="作答的版本号，未作答为 0；作答时原样传回")


class GradeIn(Schema):
    grade: str = Field("", description="留空则采用计算等级；与计算等级不同时必须填写 reason")
    reason: str = ""
    written_opinion: str
    recommendation: str = ""
    major_stability_issue: bool = False
    mitigation_plan: str = ""
    contingency_plan: str = ""
    version: int | None = Field(
        None, description="读取时的版本号；他人已修改时返回 409（不填则不检查）"
    )


class ReviewIn(Schema):
    stage: str
    result: ReviewResult
    opinion: str


class ReviewOut(Schema):
    id: int
    stage: str
    result: str
    opinion: str
    round: int


class DecisionIn(Schema):
    outcome: str
    doc_no: str = Field(..., description="例如 株政发〔2026〕12号")
    decided_on: dt.date
    authority: str = ""
    note: str = ""


class DecisionOut(Schema):
    id: int
    outcome: str
    outcome_label: str
    doc_no: str
    decided_on: dt.date
    authority: str
    filing_due: dt.date


class FilingIn(Schema):
    office_id: int
    filed_on: dt.date
    note: str = Field("", max_length=300)
    late_reason: str = Field("", max_length=300, description="决定次日之后备案时必填")


class FilingOut(Schema):
    id: int
    assessment_id: int
    office_id: int
    office_name: str = Field(..., alias="office.name")
    filed_on: dt.date
    note: str
    late: bool
    late_reason: str
    acknowledged_by_id: int | None
    acknowledged_at: dt.datetime | None


class AcknowledgeIn(Schema):
    note: str = Field("", max_length=300)


class MeasureIn(Schema):
    kind: MeasureKind
    title: str = Field(..., min_length=1, max_length=200)
    owner: str = Field(..., min_length=1, max_length=120)
    due: dt.date | None = None
    detail: str = ""


class MeasureOut(Schema):
    id: int
    kind: str
    title: str
    owner: str
    due: dt.date | None
    status: str
    evidence: str
    completed_at: dt.datetime | None = Field(
        None, description="标记“已落实”的时间（只读；重新打开时清空）"
    )
    version: int


class MeasureUpdateIn(Schema):
    status: MeasureStatus
    evidence: str = ""
    version: int | None = Field(
        None, description="读取时的版本号；他人已修改时返回 409（不填则不检查）"
    )


class IncidentIn(Schema):
    occurred_on: dt.date
    description: str = Field(..., min_length=1)
    action: IncidentAction
    people_involved: int | None = Field(None, ge=0)
    handling: str = ""


class IncidentOut(Schema):
    id: int
    occurred_on: dt.date
    description: str
    action: str
    people_involved: int | None


def _get(request: HttpRequest, pk: int) -> Assessment:
    return access.get_for_user(
        request.user, Assessment.objects.select_related("matter__department"), pk
    )


def _out(a: Assessment) -> dict[str, Any]:
    tracker = engine.tracker(a)
    steps = [
        {
            "code": t.step.code,
            "label": t.step.label,
            "state": t.state,
            "done_by": str(t.record.done_by) if t.record and t.record.done_by else None,
            "done_at": t.record.done_at if t.record else None,
            "sent_back_reason": t.record.sent_back_reason if t.record else "",
        }
        for t in tracker
    ]
    factors = a.factors.prefetch_related(
        Prefetch("scores", queryset=FactorScore.objects.select_related("assessor"))
    )
    return {
        "id": a.pk,
        "matter_id": a.matter_id,
        "matter_title": a.matter.title,
        "scheme_key": a.scheme_key,
        "scheme_name": a.scheme.name,
        "scheme_version": a.scheme_version,
        "status": a.status,
        "status_label": a.get_status_display(),
        "current_step": a.current_step,
        "missing_outputs": tracker.missing,
        "step_refusals": [r.message for r in rules.step_refusals(a, tracker.current.step)]
        if tracker.current is not None and not tracker.current.is_done and a.is_open()
        else [],
        "steps": steps,
        "computed_index": a.computed_index,
        "computed_grade": a.computed_grade,
        "initial_index": a.initial_index,
        "initial_grade": a.initial_grade,
        "grade": a.grade,
        "grade_label": a.grade_label,
        "grade_override_reason": a.grade_override_reason,
        "grade_floor_reason": actions.grade_floor_reason(a),
        "written_opinion": a.written_opinion,
        "recommendation": a.recommendation,
        "major_stability_issue": a.major_stability_issue,
        "major_stability_reasons": actions.major_stability_reasons(a) if a.grade else [],
        "pending_review": (
            f"{stage.actor}{stage.action}：{actions.stage_signer_text(a, stage)}"
            if a.at_decide_step() and (stage := actions.pending_review(a)) is not None
            else ""
        ),
        "report_generated_at": a.report_generated_at,
        "content_open": not (locked := a.lock_refusal()),
        "lock_refusal": locked,
        "report_version": a.report_version,
        "can_finish": not (refusal := a.finish_refusal()),
        "finish_refusal": refusal,
        "analysis_refusal": rules.analysis_refusal(a),
        "factors": [_factor_out(f) for f in factors],
        "version": a.version,
    }


def _factor_out(f: RiskFactor) -> dict[str, Any]:
    data = {
        k: getattr(f, k) for k in FactorOut.model_fields if k not in ("id", "scores", "version")
    }
    data["id"] = f.pk
    data["version"] = f.version
    data["scores"] = [
        {
            "assessor": str(s.assessor),
            "probability_level": s.probability_level,
            "impact_level": s.impact_level,
            "probability": s.probability,
            "impact": s.impact,
            "note": s.note,
        }
        for s in f.scores.all()
    ]
    return data


AssessmentFilters = listing.api_filters(ASSESSMENTS, "AssessmentFilters")


@router.get("/assessments", response=listing.api_page_schema(AssessmentRow, "AssessmentPage"))
def list_assessments(request: HttpRequest, filters: Query[AssessmentFilters]) -> Any:  # type: ignore[valid-type]
    """可见的风险评估，可按状态、当前步骤、风险等级、部门（含下级）筛选；按键翻页
    （把 `next` 作为 `after` 传回）。"""
    return listing.api_page(ASSESSMENTS, request.user, filters.model_dump())  # type: ignore[attr-defined]


@router.get("/assessments/{assessment_id}", response=AssessmentOut)
def get_assessment(request: HttpRequest, assessment_id: int) -> Any:
    """评估的步骤、等级和风险因素（含各评估人员评分的汇总与离散程度）。"""
    return _out(_get(request, assessment_id))


@router.post("/assessments", response={201: AssessmentOut})
def start_assessment(request: HttpRequest, payload: StartIn) -> Any:
    """对评估事项开始评估，冻结评估方案的当前版本。"""
    matter = access.get_for_user(request.user, Matter, payload.matter_id)
    return Status(201, _out(actions.do_start_assessment(request.user, matter)))


@router.post("/assessments/{assessment_id}/steps/{step_code}/complete", response=AssessmentOut)
def complete_step(
    request: HttpRequest, assessment_id: int, step_code: str, payload: CompleteIn
) -> Any:
    """完成当前步骤（该步骤须产出的成果均已具备；他人已完成时返回 409）。"""
    a = _get(request, assessment_id)
    return _out(actions.do_complete_step(request.user, a, step_code, payload.note))


@router.post("/assessments/{assessment_id}/factors", response={201: FactorOut})
def add_factor(request: HttpRequest, assessment_id: int, payload: FactorIn) -> Any:
    """登记风险因素。"""
    a = _get(request, assessment_id)
    factor = actions.do_save_factor(request.user, a, **payload.dict())
    return Status(201, _factor_out(factor))


@router.put("/factors/{factor_id}", response=FactorOut)
def update_factor(request: HttpRequest, factor_id: int, payload: FactorIn) -> Any:
    """修改风险因素。"""
    factor = access.get_for_user(
        request.user, RiskFactor.objects.select_related("assessment"), factor_id
    )
    factor = actions.do_save_factor(
        request.user, factor.assessment, factor=factor, **payload.dict()
    )
    return _factor_out(factor)


@router.post("/factors/{factor_id}/scores", response=FactorOut)
def score_factor(request: HttpRequest, factor_id: int, payload: ScoreIn) -> Any:
    """评估组成员对风险因素评分（可能性、影响程度取方案量表的等级代码）。"""
    factor = access.get_for_user(
        request.user, RiskFactor.objects.select_related("assessment"), factor_id
    )
    actions.do_score_factor(request.user, factor, **payload.dict())
    factor.refresh_from_db()
    return _factor_out(factor)


class MitigationIn(Schema):
    measure: str = Field(..., min_length=1)
    owner: str = ""
    due: dt.date | None = None
    residual_probability_level: str = Field(..., description="措施落实后的可能性等级代码")
    residual_impact_level: str = Field(..., description="措施落实后的影响程度等级代码")


@router.post("/factors/{factor_id}/mitigations", response={201: FactorOut})
def add_mitigation(request: HttpRequest, factor_id: int, payload: MitigationIn) -> Any:
    """为风险因素登记化解措施及落实后的剩余风险；返回重新汇总后的因素。"""
    factor = access.get_for_user(
        request.user, RiskFactor.objects.select_related("assessment"), factor_id
    )
    actions.do_add_mitigation(request.user, factor, **payload.dict())
    factor.refresh_from_db()
    return Status(201, _factor_out(factor))


@router.delete("/factors/{factor_id}", response={204: None})
def remove_factor(request: HttpRequest, factor_id: int) -> Any:
    """删除风险因素（连同其评分和化解措施）。"""
    factor = access.get_for_user(
        request.user, RiskFactor.objects.select_related("assessment__matter"), factor_id
    )
    actions.do_remove_factor(request.user, factor)
    return Status(204, None)


@router.get("/assessments/{assessment_id}/checklist", response=list[ChecklistItemOut])
def get_checklist(request: HttpRequest, assessment_id: int) -> Any:
    """Every checklist question with its answer type (from the frozen scheme) and answer."""
    a = _get(request, assessment_id)
    return [
        {
            "dimension": it.dimension.code,
            "dimension_label": it.dimension.label,
            "item_no": it.no,
            "text": it.text,
            "answer_type": it.answer_type,
            "accepted": list(ANSWERS_BY_TYPE[it.answer_type]),
            "answer": it.row.answer if it.row else "",
            "note": it.row.note if it.row else "",
            "evidence": it.row.evidence if it.row else "",
            "answered": it.answered,
            "failed": it.failed,
            "problem": it.problem,
            "version": it.row.version if it.row else 0,
        }
        for it in rules.checklist_items(a)
    ]


@router.post("/assessments/{assessment_id}/checklist", response=ChecklistOut)
def answer_checklist(request: HttpRequest, assessment_id: int, payload: ChecklistIn) -> Any:
    """对评估清单的一条作答（符合 meets / 部分符合 partly / 不符合 fails / 不适用 na）。"""
    a = _get(request, assessment_id)
    return actions.do_answer_checklist(request.user, a, **payload.dict())


@router.post("/assessments/{assessment_id}/grade", response=AssessmentOut)
def grade(request: HttpRequest, assessment_id: int, payload: GradeIn) -> Any:
    """确定风险等级（默认采用计算等级；调整须说明理由）。"""
    a = _get(request, assessment_id)
    return _out(actions.do_grade(request.user, a, **payload.dict()))


@router.post("/assessments/{assessment_id}/reviews", response={201: ReviewOut})
def review(request: HttpRequest, assessment_id: int, payload: ReviewIn) -> Any:
    """登记审查意见：每个环节由方案规定的单位和职务签署（审批、审议部门的领导审查，
    决策机关的分管领导审定，涉稳重大问题由其主要负责人审定）；同一人不能签署同一轮的两个
    环节；督查机关不签署审查。"""
    a = _get(request, assessment_id)
    return Status(
        201,
        actions.do_review(
            request.user, a, stage=payload.stage, result=payload.result, opinion=payload.opinion
        ),
    )


@router.post("/assessments/{assessment_id}/decision", response={201: DecisionOut})
def decide(request: HttpRequest, assessment_id: int, payload: DecisionIn) -> Any:
    """登记决定。方案不允许时返回 400，detail 中引用方案原文。"""
    a = _get(request, assessment_id)
    return Status(201, actions.do_decide(request.user, a, **payload.dict()))


@router.post("/assessments/{assessment_id}/filings", response={201: FilingOut})
def file(request: HttpRequest, assessment_id: int, payload: FilingIn) -> Any:
    """向方案所列的备案机关分别备案（期限为决定的次日；逾期须说明原因并保留逾期标记）。"""
    a = _get(request, assessment_id)
    access.require(request.user, a, "change")  # a reader learns nothing about offices
    office = supervising_offices(request.user).filter(pk=payload.office_id).first()
    if office is None:
        raise Http404
    return Status(
        201,
        actions.do_file(
            request.user,
            a,
            office=office,
            filed_on=payload.filed_on,
            note=payload.note,
            late_reason=payload.late_reason,
        ),
    )


@router.get("/filings", response=list[FilingOut])
def received_filings(request: HttpRequest, pending: bool = False) -> Any:
    """向本人所在机关的备案（维稳办、联席办的签收视图）；pending=true 只列待签收的。"""
    qs = actions.filings_received(request.user)
    if pending:
        qs = qs.filter(acknowledged_at__isnull=True)
    return list(qs[:500])


@router.get("/assessments/{assessment_id}/filings", response=list[FilingOut])
def list_filings(request: HttpRequest, assessment_id: int) -> Any:
    """评估的备案及签收情况（逾期备案保留标记）。"""
    a = _get(request, assessment_id)
    return list(a.filings.select_related("office"))


@router.post("/filings/{filing_id}/acknowledge", response=FilingOut)
def acknowledge_filing(request: HttpRequest, filing_id: int, payload: AcknowledgeIn) -> Any:
    """签收备案：只能由备案机关的人员签收，且只签收一次。"""
    filing = actions.filing_for_user(request.user, filing_id)
    return actions.do_acknowledge_filing(request.user, filing, note=payload.note)


@router.post("/assessments/{assessment_id}/measures", response={201: MeasureOut})
def add_measure(request: HttpRequest, assessment_id: int, payload: MeasureIn) -> Any:
    """登记应对措施或应急预案。"""
    a = _get(request, assessment_id)
    return Status(201, actions.do_add_measure(request.user, a, **payload.dict()))


@router.put("/measures/{measure_id}", response=MeasureOut)
def update_measure(request: HttpRequest, measure_id: int, payload: MeasureUpdateIn) -> Any:
    """更新措施的落实情况（标记“已落实”须填写佐证；他人已修改时返回 409）。"""
    measure = access.get_for_user(
        request.user,
        FollowUpMeasure.objects.select_related("assessment__matter__department"),
        measure_id,
    )
    return actions.do_update_measure(request.user, measure, **payload.dict())


@router.post("/assessments/{assessment_id}/incidents", response={201: IncidentOut})
def record_incident(request: HttpRequest, assessment_id: int, payload: IncidentIn) -> Any:
    """登记实施中出现的不稳定情况（handle 按预案处置 / reopen 重新评估 / adjust 调整事项）。"""
    a = _get(request, assessment_id)
    return Status(201, actions.do_record_incident(request.user, a, **payload.dict()))


@router.post("/assessments/{assessment_id}/finish", response=AssessmentOut)
def finish(request: HttpRequest, assessment_id: int) -> Any:
    """办结：须已作出决定并备案、跟踪落实步骤已完成、应对措施均已落实；否则返回 400 并说明原因。"""
    a = _get(request, assessment_id)
    return _out(actions.do_finish_follow_up(request.user, a))


@router.post("/matters/{matter_id}/decision", response={201: DecisionOut})
def decide_matter(request: HttpRequest, matter_id: int, payload: DecisionIn) -> Any:
    """不经评估登记决定：只适用于不属于必须评估范围、也未被指定评估的事项；否则返回 400 并引用规定。"""
    matter = access.get_for_user(request.user, Matter, matter_id)
    return Status(201, actions.do_decide_without_assessment(request.user, matter, **payload.dict()))


# ------------------------------------------------------------------ follow-up decisions


class SurveyIn(Schema):
    held_on: dt.date
    method: str = Field(..., min_length=1, max_length=60, description="例如：抽样调查、走访群众")
    support: int = Field(0, ge=0)
    oppose: int = Field(0, ge=0)
    neutral: int = Field(0, ge=0)
    no_stance: int = Field(0, ge=0)
    note: str = ""


class SurveyOut(Schema):
    id: int
    held_on: dt.date
    method: str
    support: int
    oppose: int
    neutral: int
    no_stance: int
    oppose_rate: float | None = Field(None, description="反对人数 / 表态人数（未表态不计）")
    breaches_majority: bool = Field(..., description="是否超过方案多数规则的阈值")


class RedecisionIn(Schema):
    outcome: str = Field(
        ..., description="terminate 终止实施 / adjust 调整实施；暂缓实施的事项为方案中的决定"
    )
    doc_no: str = Field(..., description="新的文号，例如 株政发〔2026〕12号")
    decided_on: dt.date
    reason: str
    authority: str = ""


class HistoryEntryOut(Schema):
    outcome: str
    outcome_label: str
    doc_no: str
    decided_on: dt.date
    authority: str
    reason: str = ""


class FollowUpStateOut(Schema):
    history: list[HistoryEntryOut] = Field(..., description="决定记录，最后一条为现行决定")
    current_outcome: str
    redecision_pending: str = Field("", description="须作出新决定的原因（引用方案规定）")
    redecision_options: list[str] = Field(..., description="现在可以作出的新决定")
    follow_up_missing: str = Field("", description="现行决定尚须登记的措施、对策或应急预案")
    can_finish: bool
    finish_refusal: str


def _survey_out(s: Any) -> dict[str, Any]:
    return {
        **{f: getattr(s, f) for f in ("id", "held_on", "method", "support", "oppose")},
        **{f: getattr(s, f) for f in ("neutral", "no_stance", "oppose_rate")},
        "breaches_majority": s.breaches_majority(),
    }


def _history_entry(d: Any) -> dict[str, Any]:
    fields = ("outcome", "outcome_label", "doc_no", "decided_on", "authority")
    return {
        **{f: getattr(d, f) for f in fields},
        "reason": d.reason if isinstance(d, LaterDecision) else d.note,
    }


@router.get("/assessments/{assessment_id}/follow-up", response=FollowUpStateOut)
def follow_up_state(request: HttpRequest, assessment_id: int) -> Any:
    """决定记录（现行决定为最后一条）、现行决定尚须登记的内容、是否须作出新的决定。"""
    a = _get(request, assessment_id)
    return {
        "history": [_history_entry(d) for d in a.decision_history()],
        "current_outcome": a.current_outcome(),
        "redecision_pending": a.redecision_pending(),
        "redecision_options": [code for code, _label in a.redecision_options()],
        "follow_up_missing": a.follow_up_missing_text() if a.follow_up_rules_apply() else "",
        "can_finish": not (refusal := a.finish_refusal()),
        "finish_refusal": refusal,
    }


@router.post("/assessments/{assessment_id}/surveys", response={201: SurveyOut})
def record_survey(request: HttpRequest, assessment_id: int, payload: SurveyIn) -> Any:
    """登记实施中的跟踪调查；反对超过方案阈值时，须作出终止实施的新决定。"""
    a = _get(request, assessment_id)
    return Status(201, _survey_out(actions.do_record_survey(request.user, a, **payload.dict())))


@router.post("/assessments/{assessment_id}/redecisions", response={201: HistoryEntryOut})
def redecide(request: HttpRequest, assessment_id: int, payload: RedecisionIn) -> Any:
    """作出新的决定（另行发文）：实施中出现反对时终止实施或调整，暂缓实施的事项登记对策后再行决定；
    不允许时返回 400 并引用方案规定。"""
    a = _get(request, assessment_id)
    return Status(201, _history_entry(actions.do_redecide(request.user, a, **payload.dict())))


# ------------------------------------------------------------------ plan and team
# The twins of the plan page and the team card (篇3 六(二) 评估方案; 篇1 七(三) 评估组).


class PlanIn(Schema):
    version: int | None = Field(None, description="读取时的版本号；他人已修改时返回 409")
    lead_department_id: int | None = None
    assisting_department_ids: list[int] = []
    plan_content: str = ""
    plan_methods: str = ""
    schedule_start: dt.date | None = None
    schedule_end: dt.date | None = None


class PlanOut(Schema):
    assessment_id: int
    lead_department_id: int | None
    lead_department: str
    assisting_department_ids: list[int]
    plan_content: str
    plan_methods: str
    schedule_start: dt.date | None
    schedule_end: dt.date | None
    version: int


class MemberIn(Schema):
    kind: MemberKind
    user_id: int | None = Field(
        None, description="系统用户（评分须为系统用户）；可取 team/candidates"
    )
    name: str = ""
    organisation: str = ""
    duty: str = ""


class MemberOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    user_id: int | None
    organisation: str
    duty: str


class CandidateOut(Schema):
    id: int
    username: str
    real_name: str


def _plan_out(a: Assessment) -> dict[str, Any]:
    return {
        "assessment_id": a.pk,
        "lead_department_id": a.lead_department_id,
        "lead_department": a.lead_department.name if a.lead_department else "",
        "assisting_department_ids": [d.pk for d in a.assisting_departments.all()],
        "plan_content": a.plan_content,
        "plan_methods": a.plan_methods,
        "schedule_start": a.schedule_start,
        "schedule_end": a.schedule_end,
        "version": a.version,
    }


def _member_out(m: TeamMember) -> dict[str, Any]:
    return {
        "id": m.pk,
        "kind": m.kind,
        "kind_label": m.get_kind_display(),
        "name": m.name,
        "user_id": m.user_id,
        "organisation": m.organisation,
        "duty": m.duty,
    }


@router.get("/assessments/{assessment_id}/plan", response=PlanOut)
def get_plan(request: HttpRequest, assessment_id: int) -> Any:
    """评估方案：牵头和协助部门、评估内容与责任、评估方法、时间安排。"""
    return _plan_out(_get(request, assessment_id))


@router.put("/assessments/{assessment_id}/plan", response=PlanOut)
def save_plan(request: HttpRequest, assessment_id: int, payload: PlanIn) -> Any:
    """保存评估方案（与页面同一操作；跨部门事项须先登记党委、政府指定的责任主体）。"""
    from fengping.api.matters_api import _dept

    a = _get(request, assessment_id)
    assisting = [d for d in (_dept(request, i) for i in payload.assisting_department_ids) if d]
    a = actions.do_save_plan(
        request.user,
        a,
        version=payload.version,
        lead_department=_dept(request, payload.lead_department_id),
        assisting_departments=assisting,
        plan_content=payload.plan_content,
        plan_methods=payload.plan_methods,
        schedule_start=payload.schedule_start,
        schedule_end=payload.schedule_end,
    )
    return _plan_out(a)


@router.get("/assessments/{assessment_id}/team", response=list[MemberOut])
def list_team(request: HttpRequest, assessment_id: int) -> Any:
    """评估组成员。"""
    a = _get(request, assessment_id)
    return [_member_out(m) for m in a.team.all()]


@router.get("/assessments/{assessment_id}/team/candidates", response=list[CandidateOut])
def team_candidates(request: HttpRequest, assessment_id: int) -> Any:
    """可加入评估组的系统用户：责任主体及评估牵头、协助部门的人员。"""
    a = _get(request, assessment_id)
    return [
        {"id": u.pk, "username": u.username, "real_name": u.real_name}
        for u in actions.team_candidates(a)
    ]


@router.post("/assessments/{assessment_id}/team", response={201: MemberOut})
def add_member(request: HttpRequest, assessment_id: int, payload: MemberIn) -> Any:
    """加入评估组（系统用户须来自责任主体或评估牵头、协助部门）。"""
    a = _get(request, assessment_id)
    user = None
    if payload.user_id is not None:
        user = User.objects.filter(pk=payload.user_id).first()
        if user is None:
            raise ActionError(_("评估组的系统用户须来自责任主体或评估牵头、协助部门"), field="user")
    member = actions.do_add_member(
        request.user,
        a,
        kind=payload.kind,
        user=user,
        name=payload.name,
        organisation=payload.organisation,
        duty=payload.duty,
    )
    return Status(201, _member_out(member))


@router.delete("/team-members/{member_id}", response={204: None})
def remove_member(request: HttpRequest, member_id: int) -> Any:
    """移出评估组（已提交的评分保留）。"""
    member = access.get_for_user(
        request.user, TeamMember.objects.select_related("assessment__matter__department"), member_id
    )
    actions.do_remove_member(request.user, member)
    return Status(204, None)
