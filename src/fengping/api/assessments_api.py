"""Assessments (社会稳定风险评估), scoped by org.access; every change calls the same
action of `assessments.actions` as the pages. A refused decision answers 400 with the
scheme's rule quoted in `detail`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fengping.assessments import actions
from fengping.assessments.lists import ASSESSMENTS
from fengping.assessments.models import (
    Answer,
    Assessment,
    FactorScore,
    FollowUpMeasure,
    IncidentAction,
    MeasureKind,
    MeasureStatus,
    ReviewResult,
    RiskFactor,
)
from fengping.core import listing
from fengping.matters.actions import supervising_offices
from fengping.matters.models import Matter
from fengping.org import access
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
    report_generated_at: dt.datetime | None
    content_open: bool = Field(..., description="评估内容（方案、因素、清单、等级）可否修改")
    can_finish: bool = Field(..., description="可否办结")
    finish_refusal: str = Field("", description="不能办结的原因（引用方案规定）")
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


class FilingOut(Schema):
    id: int
    office_id: int
    filed_on: dt.date
    note: str


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
        "report_generated_at": a.report_generated_at,
        "content_open": a.is_content_open(),
        "can_finish": not (refusal := a.finish_refusal()),
        "finish_refusal": refusal,
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
    """登记审查意见（分管领导、主要负责人或督查人员）。"""
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
    """向维稳办或联席办备案（期限为决定的次日）。"""
    a = _get(request, assessment_id)
    access.require(request.user, a, "change")  # a reader learns nothing about offices
    office = supervising_offices(request.user).filter(pk=payload.office_id).first()
    if office is None:
        raise Http404
    return Status(
        201,
        actions.do_file(
            request.user, a, office=office, filed_on=payload.filed_on, note=payload.note
        ),
    )


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
