"""Case assessments (篇4 四2–3, 五3): start one (受理先期评估, 阶段再评估), read it with its
step tracker, complete / send back a step, the checklist of the three dimensions, the
prediction and its computed level, level changes (propose, decide), the report fields and
the DOCX, and the 本阶段待评估 list — the same actions as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Query, Schema, Status

from fengping.cases import report
from fengping.cases.actions import assessments as actions
from fengping.cases.assessment_lists import DUE, scheme_data, stage_label
from fengping.cases.models import CaseAssessment, ChecklistAnswer, LevelChange, StartReason
from fengping.cases.queries import assessment_for, case_for, level_change_for
from fengping.core import listing
from fengping.core.errors import ActionError
from fengping.procedure import engine
from fengping.reports.render import DOCX_MIME

from . import router


class CaseStartIn(Schema):
    reason: str = ""  # "" = as the case page suggests (stage → 阶段再评估)
    note: str = ""


class CaseStepIn(Schema):
    step: str
    note: str = ""


class CaseSendBackIn(Schema):
    to_step: str
    reason: str


class CaseStepOut(Schema):
    code: str
    label: str
    state: str
    is_current: bool
    done_by: str | None = None
    done_at: dt.datetime | None = None
    sent_back_reason: str = ""


class CaseAssessmentOut(Schema):
    id: int
    case_id: int
    stage: str
    reason: str
    status: str
    scheme_key: str
    scheme_version: str
    current_step: str
    version: int
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    factors: list[str]
    computed_score: float | None = None
    computed_level: str
    level: str
    petition_probability: str
    impact: str
    prediction: str
    majority_unsupportive: bool
    persons: str
    summary: str
    handling: str
    problems: str
    response_plan: str


class CaseAssessmentDetailOut(CaseAssessmentOut):
    steps: list[CaseStepOut]
    missing: list[str]


class AnswerIn(Schema):
    dimension: str
    item: int
    has_issue: bool = False
    finding: str
    version: int | None = None


class AnswerOut(Schema):
    id: int
    dimension: str
    item: int
    has_issue: bool
    finding: str
    version: int
    answered_at: dt.datetime


class PredictionIn(Schema):
    factors: list[str] = []
    petition_probability: str
    impact: str
    prediction: str
    majority_unsupportive: bool = False
    version: int | None = None


class LevelChangeIn(Schema):
    to_level: str
    reason: str


class LevelDecideIn(Schema):
    approve: bool
    note: str = ""


class LevelChangeOut(Schema):
    id: int
    assessment_id: int
    from_level: str
    to_level: str
    reason: str
    state: str
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    decision_note: str


class ReportIn(Schema):
    persons: str | None = None
    summary: str | None = None
    handling: str | None = None
    problems: str | None = None
    response_plan: str | None = None
    version: int | None = None


class DueOut(Schema):
    id: int
    number: str
    title: str
    organ: str
    category: str
    stage: str
    stage_label: str
    major_complex: bool
    risk_level: str


def _out(a: CaseAssessment) -> dict[str, Any]:
    return {f: getattr(a, f) for f in CaseAssessmentOut.model_fields}


def _change(c: LevelChange) -> dict[str, Any]:
    return {
        "id": c.pk,
        "assessment_id": c.assessment_id,
        "from_level": c.from_level,
        "to_level": c.to_level,
        "reason": c.reason,
        "state": c.state,
        "proposed_by": str(c.proposed_by),
        "proposed_at": c.proposed_at,
        "decided_by": str(c.decided_by) if c.decided_by else None,
        "decided_at": c.decided_at,
        "decision_note": c.decision_note,
    }


@router.post("/cases/{case_id}/assessments", response={201: CaseAssessmentOut})
def start_assessment(request: HttpRequest, case_id: int, payload: CaseStartIn) -> Any:
    """开始本案当前阶段的风险评估（缘由为空时：已评估过的案件为办案阶段再评估，重大、疑难、
    复杂案件为受理先期评估）。"""
    case = case_for(request.user, case_id, "change")
    reason = payload.reason or actions.suggested_reason(case)
    if reason == StartReason.STAGE:
        a = actions.do_start_stage_assessment(request.user, case, note=payload.note)
    else:
        a = actions.do_start_assessment(request.user, case, reason=reason, note=payload.note)
    return Status(201, _out(a))


@router.get("/cases/{case_id}/assessments", response=list[CaseAssessmentOut])
def case_assessments(request: HttpRequest, case_id: int) -> Any:
    """本案各阶段的风险评估（新的在前）。"""
    case = case_for(request.user, case_id)
    return [_out(a) for a in case.assessments.order_by("-started_at", "-id")]


DueFilters = listing.api_filters(DUE, "CaseDueFilters")


@router.get("/assessments/due", response=listing.api_page_schema(DueOut, "CaseDuePage"))
def due(request: HttpRequest, filters: Query[DueFilters]) -> Any:  # type: ignore[valid-type]
    """本阶段待评估：重大、疑难、复杂案件及评估已化解的案件，当前阶段尚无评估的。"""
    page = listing.api_page(DUE, request.user, filters.model_dump())  # type: ignore[attr-defined]
    data = scheme_data()
    page["items"] = [
        {
            "id": c.pk,
            "number": c.number,
            "title": c.title,
            "organ": c.organ.name,
            "category": c.category,
            "stage": c.stage,
            "stage_label": stage_label(c, data),
            "major_complex": c.major_complex,
            "risk_level": c.risk_level,
        }
        for c in page["items"]
    ]
    return page


@router.get("/assessments/{case_assessment_id}", response=CaseAssessmentDetailOut)
def get_assessment(request: HttpRequest, case_assessment_id: int) -> Any:
    """评估及其程序：每一步的状态、当前步骤和当前步骤尚缺的成果。"""
    a = assessment_for(request.user, case_assessment_id)
    tracker = engine.tracker(a)
    current = tracker.current
    missing = tracker.missing if a.is_open() and current and not current.is_done else []
    return {
        **_out(a),
        "steps": [
            {
                "code": t.step.code,
                "label": t.step.label,
                "state": t.state,
                "is_current": t.is_current,
                "done_by": str(t.record.done_by) if t.record and t.record.done_by else None,
                "done_at": t.record.done_at if t.record else None,
                "sent_back_reason": (t.record.sent_back_reason or "") if t.record else "",
            }
            for t in tracker
        ],
        "missing": missing,
    }


@router.post("/assessments/{case_assessment_id}/complete-step", response=CaseAssessmentOut)
def complete_step(request: HttpRequest, case_assessment_id: int, payload: CaseStepIn) -> Any:
    """完成当前步骤（须具备本步骤要求的成果）。"""
    a = assessment_for(request.user, case_assessment_id, "change")
    return _out(actions.do_complete_step(request.user, a, payload.step, payload.note))


@router.post("/assessments/{case_assessment_id}/send-back", response=CaseAssessmentOut)
def send_back(request: HttpRequest, case_assessment_id: int, payload: CaseSendBackIn) -> Any:
    """退回到之前的步骤（须说明理由）；退回后该步骤的内容才能修改。"""
    a = assessment_for(request.user, case_assessment_id, "change")
    return _out(actions.do_send_back(request.user, a, payload.to_step, payload.reason))


@router.get("/assessments/{case_assessment_id}/answers", response=list[AnswerOut])
def answers(request: HttpRequest, case_assessment_id: int) -> Any:
    """三个方面逐项分析的结果。"""
    a = assessment_for(request.user, case_assessment_id)
    return list(ChecklistAnswer.objects.filter(assessment=a))


@router.post("/assessments/{case_assessment_id}/answers", response=AnswerOut)
def answer(request: HttpRequest, case_assessment_id: int, payload: AnswerIn) -> Any:
    """分析一项（item 为该方面分析事项的序号，从 0 起；再次分析须带 version）。"""
    a = assessment_for(request.user, case_assessment_id, "change")
    return actions.do_answer_item(
        request.user,
        a,
        dimension=payload.dimension,
        item=payload.item,
        has_issue=payload.has_issue,
        finding=payload.finding,
        version=payload.version,
    )


@router.put("/assessments/{case_assessment_id}/prediction", response=CaseAssessmentOut)
def prediction(request: HttpRequest, case_assessment_id: int, payload: PredictionIn) -> Any:
    """预测评估：存在的风险因素（方案 method.factors）得出计算等级；引发上访的可能性、影响
    程度、预测意见，以及绝大多数群众是否可能不理解、不支持裁决。"""
    a = assessment_for(request.user, case_assessment_id, "change")
    return _out(
        actions.do_save_prediction(
            request.user,
            a,
            factors=payload.factors,
            petition_probability=payload.petition_probability,
            impact=payload.impact,
            prediction=payload.prediction,
            majority_unsupportive=payload.majority_unsupportive,
            version=payload.version,
        )
    )


@router.get("/assessments/{case_assessment_id}/level-changes", response=list[LevelChangeOut])
def level_changes(request: HttpRequest, case_assessment_id: int) -> Any:
    """评估等级的变更记录。"""
    a = assessment_for(request.user, case_assessment_id)
    return [_change(c) for c in a.level_changes.select_related("proposed_by", "decided_by")]


@router.post("/assessments/{case_assessment_id}/level-changes", response={201: LevelChangeOut})
def propose_level_change(
    request: HttpRequest, case_assessment_id: int, payload: LevelChangeIn
) -> Any:
    """提出变更评估等级（须说明理由；由未提出变更的分管领导或主要负责人批准）。"""
    a = assessment_for(request.user, case_assessment_id, "change")
    change = actions.do_propose_level_change(request.user, a, payload.to_level, payload.reason)
    return Status(201, _change(level_change_for(request.user, change.pk)))


@router.post("/level-changes/{level_change_id}/decide", response=LevelChangeOut)
def decide_level_change(request: HttpRequest, level_change_id: int, payload: LevelDecideIn) -> Any:
    """批准或不批准等级变更（提出人不能审批；不批准须说明理由）。"""
    change = level_change_for(request.user, level_change_id, "change")
    actions.do_decide_level_change(request.user, change, payload.approve, payload.note)
    return _change(level_change_for(request.user, level_change_id))


@router.put("/assessments/{case_assessment_id}/report", response=CaseAssessmentOut)
def save_report(request: HttpRequest, case_assessment_id: int, payload: ReportIn) -> Any:
    """评估报告各项（案件名称取自案件；未给出的项不变）。"""
    a = assessment_for(request.user, case_assessment_id, "change")
    values = {k: v for k, v in payload.model_dump(exclude={"version"}).items() if v is not None}
    return _out(actions.do_save_report(request.user, a, version=payload.version, **values))


@router.get("/assessments/{case_assessment_id}/report.docx", response={200: None})
def report_docx(request: HttpRequest, case_assessment_id: int) -> Any:
    """办案风险评估报告（Word，按当前数据生成）。"""
    a = assessment_for(request.user, case_assessment_id)
    try:
        data = report.report_docx(a)
    except ActionError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(data, content_type=DOCX_MIME)
    response["Content-Disposition"] = (
        content_disposition_header(True, report.file_name(a)) or "attachment"
    )
    return response
