"""风险决策和安全建议 through the API: decisions (one, or many by filter), the approval of
accepted risks, recommendations and their links, and the DOCX reports. The same actions
as the pages (infosec.actions.treatment), scoped by org.access the same way."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from ninja import Field, Query, Schema, Status

from fengping.core import listing
from fengping.core.errors import ActionError
from fengping.infosec import report
from fengping.infosec.actions import treatment as actions
from fengping.infosec.models import (
    Recommendation,
    RiskDecision,
    Scenario,
    SystemAssessment,
    Treatment,
)
from fengping.infosec.queries import assessment_for
from fengping.infosec.task_lists import DECISIONS
from fengping.org import access
from fengping.reports.render import DOCX_MIME

from . import router


class RiskDecisionOut(Schema):
    id: int
    scenario_id: int
    level: int
    risk: int
    treatment: str
    reason: str
    approval: str = Field(..., description="not_needed / pending / approved / rejected")
    approval_note: str = Field("", description="批准意见，或方案要求的书面确认记录")
    proposed_by: str
    proposed_at: dt.datetime
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    expires_on: dt.date | None = None
    version: int


class DecideIn(Schema):
    treatment: Treatment
    reason: str = Field(..., max_length=4000)
    confirmation: str = Field("", max_length=4000, description="方案要求书面确认时必填")
    version: int | None = Field(None, description="修改已有决策时：读到的版本")


class BulkIn(Schema):
    treatment: Treatment
    reason: str = Field(..., max_length=4000)
    confirmation: str = Field("", max_length=4000)
    scenario_ids: list[int] | None = Field(None, description="指定风险；为空时按筛选条件")
    levels: list[int] = Field(default_factory=list, description="风险等级（1 最低 … 5 最高）")
    asset: int | None = None
    threat: int | None = None
    vulnerability: int | None = None
    undecided: bool = Field(True, description="只处理尚未决策的风险")


class CountOut(Schema):
    count: int


class ApprovalIn(Schema):
    note: str = Field("", max_length=4000, description="批准意见（不批准时必填）")
    version: int | None = Field(None, description="审阅时读到的决策版本")


class LevelCount(Schema):
    level: int
    label: str
    count: int


class RecommendationOut(Schema):
    id: int
    title: str
    text: str
    kind: str
    effect: str
    risks: int = Field(..., description="关联的风险数")
    levels: list[LevelCount]
    version: int


class RecommendationIn(Schema):
    title: str = Field(..., max_length=200)
    text: str = Field("", max_length=8000)
    kind: str = Field(..., description="方案 infosec.remediation.kinds 的代码")
    effect: str = Field("", description="preventive / protective / 空")
    version: int | None = None


class LinkIn(Schema):
    scenario_ids: list[int] | None = None
    levels: list[int] = Field(default_factory=list)
    asset: int | None = None
    threat: int | None = None
    vulnerability: int | None = None
    unlink: bool = False


def _decision_out(d: RiskDecision) -> dict[str, Any]:
    return {
        "id": d.pk,
        "scenario_id": d.scenario_id,
        "level": d.scenario.level,
        "risk": d.scenario.risk,
        "treatment": d.treatment,
        "reason": d.reason,
        "approval": d.approval,
        "approval_note": d.approval_note,
        "proposed_by": d.proposed_by.username,
        "proposed_at": d.proposed_at,
        "approved_by": d.approved_by.username if d.approved_by else None,
        "approved_at": d.approved_at,
        "expires_on": d.expires_on,
        "version": d.version,
    }


def _filters(payload: Any) -> dict[str, Any]:
    return {
        "levels": payload.levels,
        "asset": payload.asset,
        "threat": payload.threat,
        "vulnerability": payload.vulnerability,
        "undecided": getattr(payload, "undecided", False),
    }


DecisionFilters = listing.api_filters(DECISIONS, "InfosecDecisionFilters")


@router.get(
    "/assessments/{assessment_id}/decisions",
    response=listing.api_page_schema(RiskDecisionOut, "InfosecDecisionPage"),
)
def list_decisions(
    request: HttpRequest,
    assessment_id: int,
    filters: Query[DecisionFilters],  # type: ignore[valid-type]
) -> Any:
    """评估的风险处置决策，可按处置方式、批准状态、风险等级筛选。"""
    a = assessment_for(request.user, assessment_id)
    page = listing.api_page(DECISIONS, request.user, filters.model_dump(), a)  # type: ignore[attr-defined]
    page["items"] = [_decision_out(d) for d in page["items"]]
    return page


@router.put(
    "/assessments/{assessment_id}/scenarios/{scenario_id}/decision", response=RiskDecisionOut
)
def decide(request: HttpRequest, assessment_id: int, scenario_id: int, payload: DecideIn) -> Any:
    """记录或修改一项风险的处置决策；修改已批准的决策使其重新待批准。"""
    a = assessment_for(request.user, assessment_id)
    scenario = access.get_for_user(request.user, Scenario.objects.filter(assessment=a), scenario_id)
    d = actions.do_decide(
        request.user,
        scenario,
        payload.treatment,
        payload.reason,
        confirmation=payload.confirmation,
        version=payload.version,
    )
    return _decision_out(
        RiskDecision.objects.select_related("scenario", "proposed_by", "approved_by").get(pk=d.pk)
    )


@router.post("/assessments/{assessment_id}/decisions/bulk", response=CountOut)
def decide_bulk(request: HttpRequest, assessment_id: int, payload: BulkIn) -> Any:
    """按筛选条件（或指定的风险）一次记录多项风险的同一处置决策；一条审计记录。"""
    a = assessment_for(request.user, assessment_id)
    ids = payload.scenario_ids or None
    count = actions.do_decide_bulk(
        request.user,
        a,
        payload.treatment,
        payload.reason,
        ids=ids,
        filters=None if ids else _filters(payload),
        confirmation=payload.confirmation,
    )
    return {"count": count}


def _decision(request: HttpRequest, a: SystemAssessment, decision_id: int) -> RiskDecision:
    return access.get_for_user(
        request.user,
        RiskDecision.objects.filter(assessment=a).select_related(
            "assessment__system__department", "scenario"
        ),
        decision_id,
    )


@router.post(
    "/assessments/{assessment_id}/decisions/{decision_id}/approve", response=RiskDecisionOut
)
def approve(request: HttpRequest, assessment_id: int, decision_id: int, payload: ApprovalIn) -> Any:
    """系统主管部门（或上级）的分管领导、主要负责人批准接受风险；提出人不能批准。"""
    d = _decision(request, assessment_for(request.user, assessment_id), decision_id)
    d = actions.do_approve_acceptance(request.user, d, payload.note, version=payload.version)
    return _decision_out(
        RiskDecision.objects.select_related("scenario", "proposed_by", "approved_by").get(pk=d.pk)
    )


@router.post(
    "/assessments/{assessment_id}/decisions/{decision_id}/reject", response=RiskDecisionOut
)
def reject(request: HttpRequest, assessment_id: int, decision_id: int, payload: ApprovalIn) -> Any:
    """不批准接受风险（须说明理由）。"""
    d = _decision(request, assessment_for(request.user, assessment_id), decision_id)
    d = actions.do_reject_acceptance(request.user, d, payload.note, version=payload.version)
    return _decision_out(
        RiskDecision.objects.select_related("scenario", "proposed_by", "approved_by").get(pk=d.pk)
    )


@router.get("/approvals", response=list[RiskDecisionOut])
def awaiting(request: HttpRequest) -> Any:
    """等待我批准的风险接受（最多 500 项）。"""
    rows = actions.awaiting(request.user).select_related("scenario", "proposed_by", "approved_by")
    return [_decision_out(d) for d in rows.order_by("-scenario__risk", "id")[:500]]


@router.get("/acceptances/due", response=list[RiskDecisionOut])
def due_for_review(request: HttpRequest) -> Any:
    """已批准接受、但有效期已过、待复核的风险（最多 500 项）。"""
    rows = actions.due_for_review(request.user).select_related(
        "scenario", "proposed_by", "approved_by"
    )
    return [_decision_out(d) for d in rows.order_by("expires_on", "id")[:500]]


# ------------------------------------------------------------------ recommendations


def _rec_out(summary: dict[str, Any]) -> dict[str, Any]:
    rec = summary["rec"]
    return {
        "id": rec.pk,
        "title": rec.title,
        "text": rec.text,
        "kind": rec.kind,
        "effect": rec.effect,
        "risks": summary["count"],
        "levels": summary["levels"],
        "version": rec.version,
    }


def _summary_of(rec: Recommendation) -> dict[str, Any]:
    found = next(
        (s for s in actions.recommendation_summary(rec.assessment) if s["rec"].pk == rec.pk),
        None,
    )
    return found or {"rec": rec, "count": 0, "levels": []}


@router.get("/assessments/{assessment_id}/recommendations", response=list[RecommendationOut])
def list_recommendations(request: HttpRequest, assessment_id: int) -> Any:
    """安全建议，每项一次，附针对的风险数和各等级的数目。"""
    return [
        _rec_out(s)
        for s in actions.recommendation_summary(assessment_for(request.user, assessment_id))
    ]


@router.post("/assessments/{assessment_id}/recommendations", response={201: RecommendationOut})
def create_recommendation(
    request: HttpRequest, assessment_id: int, payload: RecommendationIn
) -> Any:
    a = assessment_for(request.user, assessment_id)
    rec = actions.do_save_recommendation(
        request.user,
        a,
        title=payload.title,
        text=payload.text,
        kind=payload.kind,
        effect=payload.effect,
    )
    return Status(201, _rec_out(_summary_of(rec)))


def _rec(request: HttpRequest, a: SystemAssessment, recommendation_id: int) -> Recommendation:
    return access.get_for_user(
        request.user,
        Recommendation.objects.filter(assessment=a).select_related(
            "assessment__system__department"
        ),
        recommendation_id,
    )


@router.put(
    "/assessments/{assessment_id}/recommendations/{recommendation_id}", response=RecommendationOut
)
def update_recommendation(
    request: HttpRequest, assessment_id: int, recommendation_id: int, payload: RecommendationIn
) -> Any:
    a = assessment_for(request.user, assessment_id)
    rec = actions.do_save_recommendation(
        request.user,
        a,
        recommendation=_rec(request, a, recommendation_id),
        version=payload.version,
        title=payload.title,
        text=payload.text,
        kind=payload.kind,
        effect=payload.effect,
    )
    return _rec_out(_summary_of(rec))


@router.delete(
    "/assessments/{assessment_id}/recommendations/{recommendation_id}", response={204: None}
)
def delete_recommendation(request: HttpRequest, assessment_id: int, recommendation_id: int) -> Any:
    a = assessment_for(request.user, assessment_id)
    actions.do_delete_recommendation(request.user, _rec(request, a, recommendation_id))
    return Status(204, None)


@router.post(
    "/assessments/{assessment_id}/recommendations/{recommendation_id}/links", response=CountOut
)
def link_recommendation(
    request: HttpRequest, assessment_id: int, recommendation_id: int, payload: LinkIn
) -> Any:
    """把建议关联到指定的风险或符合筛选条件的全部风险（unlink=true 取消关联）；一条审计记录。"""
    a = assessment_for(request.user, assessment_id)
    rec = _rec(request, a, recommendation_id)
    ids = payload.scenario_ids or None
    count = actions.do_link_recommendation(
        request.user,
        rec,
        ids=ids,
        filters=None if ids else {k: v for k, v in _filters(payload).items() if v},
        unlink=payload.unlink,
    )
    return {"count": count}


# ------------------------------------------------------------------ reports


def _docx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=DOCX_MIME)
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    return response


@router.get("/assessments/{assessment_id}/report.docx", response={200: None})
def report_docx(request: HttpRequest, assessment_id: int) -> Any:
    """评估的信息安全风险评估报告（Word，按当前数据生成）。"""
    a = assessment_for(request.user, assessment_id)
    try:
        return _docx(report.report_docx(a), f"{a.system.code}-report.docx")
    except ActionError as exc:
        raise Http404(exc.message) from exc


@router.get("/report/estate.docx", response={200: None})
def estate_docx(request: HttpRequest) -> Any:
    """可见的全部信息系统的汇总报告（Word）。"""
    try:
        data = report.estate_docx(request.user)
    except ActionError as exc:
        raise Http404(exc.message) from exc
    return _docx(data, f"estate-{timezone.localdate():%Y%m%d}.docx")
