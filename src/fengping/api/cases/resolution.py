"""A case's risk resolution through the API (篇4 四3–4, 五2, 二3): the 防范和处置预案, its
measures (责任单位, 协同单位, 责任人, 完成时限, 落实情况 with evidence), the
responsibility chain, the 责任查究 records, proposing and deciding the resolution, and the
head's second confirmation of a ruling. The same actions as the pages
(`cases.actions.resolution`); `refusals` says, as the pages do, why each step is off for
the caller."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Schema, Status, UploadedFile

from fengping.cases import resolution_rules as rules
from fengping.cases.actions import resolution as actions
from fengping.cases.models import Case, CaseAssessment, Measure, MeasureEvidence
from fengping.cases.queries import assessment_for, case_for
from fengping.core.errors import ActionError
from fengping.core.files import file_response
from fengping.org import access
from fengping.org.models import Department, User

from . import router

# ------------------------------------------------------------------ schemas


class CaseMeasureOut(Schema):
    id: int
    assessment_id: int
    title: str
    description: str
    responsible_unit_id: int
    responsible_unit: str
    cooperating_unit_ids: list[int]
    responsible_person: str | None = Field(None, description="责任人用户名")
    due_on: dt.date
    status: str = Field(..., description="planned 未开始 / in_progress 落实中 / done 已落实")
    evidence_note: str
    evidence_files: int
    done_at: dt.datetime | None
    version: int


class EvidenceOut(Schema):
    id: int
    measure_id: int
    name: str
    note: str
    sha256: str
    size: int
    uploaded_by: str
    uploaded_at: dt.datetime
    url: str


class AccountabilityOut(Schema):
    id: int
    unit_id: int
    unit: str
    kind: str
    kind_label: str
    description: str
    recorded_by: str
    recorded_at: dt.datetime


class RefusalsOut(Schema):
    plan: str = Field("", description="为何不能修改预案（空 = 可以）")
    measures: str
    responsibility: str
    accountability: str
    propose: str
    decide: str


class ResolutionOut(Schema):
    assessment_id: int
    status: str
    current_step: str
    contingency_plan: str
    first_responsible: str | None
    main_responsible: str | None
    direct_responsible: str | None
    resolution_state: str = Field(..., description="'' / proposed / approved / refused")
    resolution_note: str
    resolution_proposed_by: str | None
    resolution_proposed_at: dt.datetime | None
    resolution_decided_by: str | None
    resolution_decided_at: dt.datetime | None
    resolution_decision_note: str
    measures: list[CaseMeasureOut]
    refusals: RefusalsOut
    version: int


class ConfirmationOut(Schema):
    case_id: int
    assessment_id: int | None
    majority_unsupportive: bool
    confirmation_needed: bool
    confirmed_by: str | None
    confirmed_at: dt.datetime | None
    confirmation_reason: str
    refusal: str = Field("", description="为何调用者现在不能确认（空 = 可以）")
    version: int | None = Field(None, description="评估的版本，确认时送回")


class CasePlanIn(Schema):
    text: str = Field(..., min_length=1, max_length=20000)
    version: int | None = None


class CaseMeasureIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=8000)
    responsible_unit_id: int
    cooperating_unit_ids: list[int] = []
    responsible_person: str | None = Field(None, description="责任人用户名（责任单位的人员）")
    due_on: dt.date


class CaseMeasureUpdateIn(CaseMeasureIn):
    version: int | None = None


class MeasureStatusIn(Schema):
    status: Literal["planned", "in_progress", "done"]
    evidence_note: str | None = Field(None, max_length=8000, description="落实情况说明")
    version: int | None = None


class CaseResponsibilityIn(Schema):
    first: str = Field(..., description="第一责任人用户名（本单位主要负责人）")
    main: str = Field(..., description="主要责任人用户名（分管领导）")
    direct: str = Field(..., description="直接责任人用户名（承办人）")
    version: int | None = None


class AccountabilityIn(Schema):
    unit_id: int
    kind: str = Field(..., description="方案 cases.accountability_kinds 的代码")
    description: str = Field(..., min_length=1, max_length=8000)


class NoteIn(Schema):
    note: str = Field(..., min_length=1, max_length=8000, description="风险化解情况")
    version: int | None = None


class ResolutionDecideIn(Schema):
    decision: Literal["approve", "refuse"]
    note: str = Field("", max_length=8000, description="审批意见（不批准时必填）")
    version: int | None = None


class ConfirmIn(Schema):
    reason: str = Field(..., min_length=1, max_length=8000)
    version: int | None = None


# ------------------------------------------------------------------ helpers


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


def _measure_out(m: Measure, files: int | None = None) -> dict[str, Any]:
    return {
        "id": m.pk,
        "assessment_id": m.assessment_id,
        "title": m.title,
        "description": m.description,
        "responsible_unit_id": m.responsible_unit_id,
        "responsible_unit": m.responsible_unit.name,
        "cooperating_unit_ids": sorted(d.pk for d in m.cooperating_units.all()),
        "responsible_person": _username(m.responsible_person),
        "due_on": m.due_on,
        "status": m.status,
        "evidence_note": m.evidence_note,
        "evidence_files": files if files is not None else m.evidence.count(),
        "done_at": m.done_at,
        "version": m.version,
    }


def _evidence_out(e: MeasureEvidence) -> dict[str, Any]:
    return {
        "id": e.pk,
        "measure_id": e.measure_id,
        "name": e.name,
        "note": e.note,
        "sha256": e.sha256,
        "size": e.size,
        "uploaded_by": e.uploaded_by.username,
        "uploaded_at": e.uploaded_at,
        "url": f"/api/cases/evidence/{e.pk}/file",
    }


def _resolution_out(user: Any, a: CaseAssessment) -> dict[str, Any]:
    measures = rules.measures_with_evidence(a)
    may_change = access.can(user, a, "change")
    return {
        "assessment_id": a.pk,
        "status": a.status,
        "current_step": a.current_step,
        "contingency_plan": a.contingency_plan,
        "first_responsible": _username(a.first_responsible),
        "main_responsible": _username(a.main_responsible),
        "direct_responsible": _username(a.direct_responsible),
        "resolution_state": a.resolution_state,
        "resolution_note": a.resolution_note,
        "resolution_proposed_by": _username(a.resolution_proposed_by),
        "resolution_proposed_at": a.resolution_proposed_at,
        "resolution_decided_by": _username(a.resolution_decided_by),
        "resolution_decided_at": a.resolution_decided_at,
        "resolution_decision_note": a.resolution_decision_note,
        "measures": [_measure_out(m, m.evidence_count) for m in measures],  # type: ignore[attr-defined]
        "refusals": {
            "plan": rules.plan_refusal(a) or ("" if may_change else _forbidden()),
            "measures": rules.measure_refusal(a) or ("" if may_change else _forbidden()),
            "responsibility": rules.may_set_responsibility(user, a)
            or rules.responsibility_refusal(a),
            "accountability": rules.may_record_accountability(user, a)
            or rules.accountability_refusal(a),
            "propose": rules.may_propose(user, a) or rules.propose_refusal(a, measures),
            "decide": rules.may_decide(user, a) or rules.decide_refusal(a),
        },
        "version": a.version,
    }


def _forbidden() -> str:
    return _("您没有修改此对象的权限")


def _fresh(a: CaseAssessment) -> CaseAssessment:
    return CaseAssessment.objects.select_related("case__organ", "case__handler").get(pk=a.pk)


def _measure(request: HttpRequest, pk: int, need: Any = "view") -> Measure:
    return access.get_for_user(
        request.user,
        Measure.objects.select_related(
            "assessment__case__organ",
            "assessment__case__handler",
            "responsible_unit",
            "responsible_person",
        ),
        pk,
        need,
    )


def _user(username: str | None, field: str) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ActionError(f"用户“{username}”不存在", field=field)
    return user


def _unit(pk: int, field: str) -> Department:
    unit = Department.objects.filter(pk=pk, is_active=True).first()
    if unit is None:
        raise ActionError("部门不存在", field=field)
    return unit


def _measure_values(payload: CaseMeasureIn) -> dict[str, Any]:
    return {
        "title": payload.title,
        "description": payload.description,
        "responsible_unit": _unit(payload.responsible_unit_id, "responsible_unit_id"),
        "cooperating_units": [
            _unit(pk, "cooperating_unit_ids") for pk in dict.fromkeys(payload.cooperating_unit_ids)
        ],
        "responsible_person": _user(payload.responsible_person, "responsible_person"),
        "due_on": payload.due_on,
    }


def _forbid_if(refusal: str) -> None:
    if refusal:
        raise PermissionDenied(refusal)


# ------------------------------------------------------------------ the assessment's resolution


@router.get("/assessments/{case_assessment_id}/resolution", response=ResolutionOut)
def get_resolution(request: HttpRequest, case_assessment_id: int) -> Any:
    """预案、措施、责任人、化解审批的状态，以及调用者当前不能做各项操作的原因。"""
    return _resolution_out(request.user, assessment_for(request.user, case_assessment_id))


@router.put("/assessments/{case_assessment_id}/plan", response=ResolutionOut)
def save_plan(request: HttpRequest, case_assessment_id: int, payload: CasePlanIn) -> Any:
    """保存防范和处置预案（“制订工作措施”步骤完成后锁定）。"""
    a = assessment_for(request.user, case_assessment_id, "change")
    a = actions.do_save_plan(request.user, a, text=payload.text, version=payload.version)
    return _resolution_out(request.user, _fresh(a))


@router.get("/assessments/{case_assessment_id}/measures", response=list[CaseMeasureOut])
def list_measures(request: HttpRequest, case_assessment_id: int) -> Any:
    a = assessment_for(request.user, case_assessment_id)
    return [_measure_out(m, m.evidence_count) for m in rules.measures_with_evidence(a)]  # type: ignore[attr-defined]


@router.post("/assessments/{case_assessment_id}/measures", response={201: CaseMeasureOut})
def add_measure(request: HttpRequest, case_assessment_id: int, payload: CaseMeasureIn) -> Any:
    """添加工作措施：责任单位、协同单位（本组织的部门）、责任人、完成时限（不早于今天）。"""
    a = assessment_for(request.user, case_assessment_id, "change")
    m = actions.do_add_measure(request.user, a, **_measure_values(payload))
    return Status(201, _measure_out(m))


@router.get("/measures/{case_measure_id}", response=CaseMeasureOut)
def get_measure(request: HttpRequest, case_measure_id: int) -> Any:
    return _measure_out(_measure(request, case_measure_id))


@router.put("/measures/{case_measure_id}", response=CaseMeasureOut)
def update_measure(request: HttpRequest, case_measure_id: int, payload: CaseMeasureUpdateIn) -> Any:
    """修改工作措施（送回读到的 version）；化解申请待审批时将其撤回。"""
    m = _measure(request, case_measure_id, "change")
    m = actions.do_update_measure(
        request.user, m, version=payload.version, **_measure_values(payload)
    )
    return _measure_out(m)


@router.post("/measures/{case_measure_id}/status", response=CaseMeasureOut)
def set_measure_status(request: HttpRequest, case_measure_id: int, payload: MeasureStatusIn) -> Any:
    """落实情况；标为 done（已落实）须有落实情况说明或已上传的证明材料。"""
    m = _measure(request, case_measure_id, "change")
    m = actions.do_set_measure_status(
        request.user,
        m,
        version=payload.version,
        status=payload.status,
        evidence_note=payload.evidence_note,
    )
    return _measure_out(m)


@router.get("/measures/{case_measure_id}/evidence", response=list[EvidenceOut])
def list_evidence(request: HttpRequest, case_measure_id: int) -> Any:
    m = _measure(request, case_measure_id)
    return [_evidence_out(e) for e in m.evidence.select_related("uploaded_by")]


@router.post("/measures/{case_measure_id}/evidence", response={201: EvidenceOut})
def add_evidence(
    request: HttpRequest,
    case_measure_id: int,
    file: File[UploadedFile],  # type: ignore[type-arg]
    note: Form[str] = "",  # type: ignore[type-arg]
) -> Any:
    """上传落实证明材料（类型、大小与网页上传同样检查）。"""
    m = _measure(request, case_measure_id, "change")
    return Status(201, _evidence_out(actions.do_add_evidence(request.user, m, file, note=note)))


@router.get("/evidence/{case_evidence_id}/file")
def download_evidence(request: HttpRequest, case_evidence_id: int) -> Any:
    """下载证明材料原件（以附件形式返回）。"""
    return file_response(access.get_for_user(request.user, MeasureEvidence, case_evidence_id))


# ------------------------------------------------------------------ responsibility, 责任查究


@router.put("/assessments/{case_assessment_id}/responsibility", response=ResolutionOut)
def set_responsibility(
    request: HttpRequest, case_assessment_id: int, payload: CaseResponsibilityIn
) -> Any:
    """第一责任人、主要责任人、直接责任人（本单位分管领导或主要负责人设定）。"""
    a = assessment_for(request.user, case_assessment_id)
    _forbid_if(rules.may_set_responsibility(request.user, a))
    a = actions.do_set_responsibility(
        request.user,
        a,
        first=_user(payload.first, "first"),
        main=_user(payload.main, "main"),
        direct=_user(payload.direct, "direct"),
        version=payload.version,
    )
    return _resolution_out(request.user, _fresh(a))


@router.get("/assessments/{case_assessment_id}/accountability", response=list[AccountabilityOut])
def list_accountability(request: HttpRequest, case_assessment_id: int) -> Any:
    a = assessment_for(request.user, case_assessment_id)
    return [
        {
            "id": r.pk,
            "unit_id": r.unit_id,
            "unit": r.unit.name,
            "kind": r.kind,
            "kind_label": rules.kind_label(a, r.kind),
            "description": r.description,
            "recorded_by": r.recorded_by.username,
            "recorded_at": r.recorded_at,
        }
        for r in rules.accountability_of(a)
    ]


@router.post("/assessments/{case_assessment_id}/accountability", response={201: AccountabilityOut})
def record_accountability(
    request: HttpRequest, case_assessment_id: int, payload: AccountabilityIn
) -> Any:
    """记录责任查究：重视不够、配合不力、措施落不实（方案规定的类别），针对有关单位。"""
    a = assessment_for(request.user, case_assessment_id)
    _forbid_if(rules.may_record_accountability(request.user, a))
    r = actions.do_record_accountability(
        request.user,
        a,
        unit=_unit(payload.unit_id, "unit_id"),
        kind=payload.kind,
        description=payload.description,
    )
    return Status(
        201,
        {
            "id": r.pk,
            "unit_id": r.unit_id,
            "unit": r.unit.name,
            "kind": r.kind,
            "kind_label": rules.kind_label(a, r.kind),
            "description": r.description,
            "recorded_by": r.recorded_by.username,
            "recorded_at": r.recorded_at,
        },
    )


# ------------------------------------------------------------------ the resolution


@router.post("/assessments/{case_assessment_id}/resolution/propose", response=ResolutionOut)
def propose_resolution(request: HttpRequest, case_assessment_id: int, payload: NoteIn) -> Any:
    """申请确认风险已化解（每项措施已落实并有证明；承办人或评估人员提出）。"""
    a = assessment_for(request.user, case_assessment_id, "change")
    a = actions.do_propose_resolution(request.user, a, note=payload.note, version=payload.version)
    return _resolution_out(request.user, _fresh(a))


@router.post("/assessments/{case_assessment_id}/resolution/decide", response=ResolutionOut)
def decide_resolution(
    request: HttpRequest, case_assessment_id: int, payload: ResolutionDecideIn
) -> Any:
    """领导审批化解申请：approve 批准（风险已化解，案件可进入裁决）或 refuse 不批准（须说明理由）。
    申请人不能审批自己的申请。"""
    a = assessment_for(request.user, case_assessment_id)
    a = actions.do_decide_resolution(
        request.user,
        a,
        approve=payload.decision == "approve",
        note=payload.note,
        version=payload.version,
    )
    return _resolution_out(request.user, _fresh(a))


# ------------------------------------------------------------------ 二3


def _confirmation_out(user: Any, case: Case) -> dict[str, Any]:
    target = rules.confirmation_target(case)
    return {
        "case_id": case.pk,
        "assessment_id": target.pk if target else None,
        "majority_unsupportive": bool(target and target.majority_unsupportive),
        "confirmation_needed": case.confirmation_needed,
        "confirmed_by": _username(target.confirmed_by) if target else None,
        "confirmed_at": target.confirmed_at if target else None,
        "confirmation_reason": target.confirmation_reason if target else "",
        "refusal": rules.may_confirm(user, case, target) or rules.confirm_refusal(case, target),
        "version": target.version if target else None,
    }


@router.get("/cases/{case_id}/confirmation", response=ConfirmationOut)
def get_confirmation(request: HttpRequest, case_id: int) -> Any:
    """主要负责人对多数群众可能不理解、不支持的裁决的再次确认。"""
    return _confirmation_out(request.user, case_for(request.user, case_id))


@router.post("/cases/{case_id}/confirmation", response=ConfirmationOut)
def confirm_adjudication(request: HttpRequest, case_id: int, payload: ConfirmIn) -> Any:
    """主要负责人再次确认裁决并说明理由（慎之又慎）；确认后案件方可裁决。"""
    case = case_for(request.user, case_id)
    actions.do_confirm_adjudication(
        request.user, case, reason=payload.reason, version=payload.version
    )
    return _confirmation_out(request.user, case_for(request.user, case_id))
