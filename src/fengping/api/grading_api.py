"""Grade overrides and decision conditions (issue 8, loophole 2), scoped by org.access;
every change calls the same action of `assessments.actions` as the pages. A proposal
changes nothing until a 分管领导 or 主要负责人 of the responsible department other than the
proposer approves it; a condition recorded by the worker is met once such a leader
confirms it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from fengping.assessments import actions, rules
from fengping.assessments.models import Assessment, ConditionRecord, GradeOverride
from fengping.org import access

router = Router(tags=["assessments"])


class OverrideIn(Schema):
    grade: str = Field(..., min_length=1, max_length=32, description="拟调整为的等级代码")
    reason: str = Field(..., max_length=2000, description="调整理由")


class OverrideDecisionIn(Schema):
    note: str = Field("", max_length=1000, description="批准意见（不批准时必填）")


class OverrideOut(Schema):
    id: int
    assessment_id: int
    computed_grade: str
    proposed_grade: str
    reason: str
    state: str
    state_label: str
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str
    effective_grade: str = Field(..., description="各项决定规则现按此等级执行")


class ConditionRecordIn(Schema):
    note: str = Field(..., max_length=1000, description="落实情况")
    plan: str = Field("", max_length=5000, description="所依据的方案或预案（不填则用定级时填写的）")


class ConditionConfirmIn(Schema):
    note: str = Field("", max_length=1000, description="确认意见")


class ConditionOut(Schema):
    code: str
    label: str
    quote: str
    automatic: bool
    met: bool
    note: str = ""
    plan: str = ""
    recorded_by: str | None = None
    recorded_at: dt.datetime | None = None
    confirmed_by: str | None = None
    confirmed_at: dt.datetime | None = None
    confirm_note: str = ""


def _assessment(request: HttpRequest, pk: int) -> Assessment:
    return access.get_for_user(
        request.user, Assessment.objects.select_related("matter__department"), pk
    )


def _override(request: HttpRequest, pk: int) -> GradeOverride:
    return access.get_for_user(
        request.user,
        GradeOverride.objects.select_related("assessment__matter__department", "proposed_by"),
        pk,
    )


def _override_out(o: GradeOverride) -> dict[str, Any]:
    a = Assessment.objects.get(pk=o.assessment_id)
    return {
        "id": o.pk,
        "assessment_id": o.assessment_id,
        "computed_grade": o.computed_grade,
        "proposed_grade": o.proposed_grade,
        "reason": o.reason,
        "state": o.state,
        "state_label": o.get_state_display(),
        "proposed_by": str(o.proposed_by),
        "proposed_at": o.proposed_at,
        "decided_by": str(o.decided_by) if o.decided_by_id else None,
        "decided_at": o.decided_at,
        "decision_note": o.decision_note,
        "effective_grade": a.effective_grade(),
    }


def _condition_out(a: Assessment, code: str, row: ConditionRecord | None) -> dict[str, Any]:
    label, quote = rules.condition_label(a, code)
    out: dict[str, Any] = {
        "code": code,
        "label": label,
        "quote": quote,
        "automatic": code in actions.AUTOMATIC_CONDITIONS,
        "met": rules.condition_met(a, code),
    }
    if row is not None:
        out.update(
            note=row.note,
            plan=row.plan,
            recorded_by=str(row.recorded_by) if row.recorded_by_id else None,
            recorded_at=row.recorded_at,
            confirmed_by=str(row.confirmed_by) if row.confirmed_by_id else None,
            confirmed_at=row.confirmed_at,
            confirm_note=row.confirm_note,
        )
    return out


@router.get("/assessments/{assessment_id}/overrides", response=list[OverrideOut])
def list_overrides(request: HttpRequest, assessment_id: int) -> Any:
    """调整风险等级的提议及其批准情况（最新在前）。"""
    a = _assessment(request, assessment_id)
    return [_override_out(o) for o in a.overrides.select_related("proposed_by", "decided_by").all()]


@router.post("/assessments/{assessment_id}/overrides", response={201: OverrideOut})
def propose_override(request: HttpRequest, assessment_id: int, payload: OverrideIn) -> Any:
    """提出调整计算得出的风险等级（须说明理由）；批准前按计算等级执行。"""
    a = _assessment(request, assessment_id)
    override = actions.do_propose_override(
        request.user, a, grade=payload.grade, reason=payload.reason
    )
    return Status(201, _override_out(override))


@router.post("/overrides/{override_id}/approve", response=OverrideOut)
def approve_override(request: HttpRequest, override_id: int, payload: OverrideDecisionIn) -> Any:
    """批准调整：须为责任主体的分管领导或主要负责人，且不是提出人。"""
    override = _override(request, override_id)
    return _override_out(actions.do_approve_override(request.user, override, payload.note))


@router.post("/overrides/{override_id}/reject", response=OverrideOut)
def reject_override(request: HttpRequest, override_id: int, payload: OverrideDecisionIn) -> Any:
    """不批准调整（须说明理由）：继续按计算等级执行。"""
    override = _override(request, override_id)
    return _override_out(actions.do_reject_override(request.user, override, payload.note))


@router.get("/assessments/{assessment_id}/conditions", response=list[ConditionOut])
def list_conditions(request: HttpRequest, assessment_id: int) -> Any:
    """方案规定的实施条件：是否满足、谁登记、谁确认。"""
    a = _assessment(request, assessment_id)
    rows = {r.code: r for r in a.conditions.select_related("recorded_by", "confirmed_by").all()}
    return [_condition_out(a, c.code, rows.get(c.code)) for c in a.scheme.conditions]


@router.post("/assessments/{assessment_id}/conditions/{code}/record", response=ConditionOut)
def record_condition(
    request: HttpRequest, assessment_id: int, code: str, payload: ConditionRecordIn
) -> Any:
    """承办人登记实施条件的落实情况及所依据的方案或预案（C级须先有预案）。"""
    a = _assessment(request, assessment_id)
    row = actions.do_record_condition(request.user, a, code, note=payload.note, plan=payload.plan)
    return _condition_out(a, code, row)


@router.post("/assessments/{assessment_id}/conditions/{code}/confirm", response=ConditionOut)
def confirm_condition(
    request: HttpRequest, assessment_id: int, code: str, payload: ConditionConfirmIn
) -> Any:
    """分管领导或主要负责人（非登记人）确认实施条件。"""
    a = _assessment(request, assessment_id)
    row = actions.do_confirm_condition(request.user, a, code, payload.note)
    return _condition_out(a, code, row)
