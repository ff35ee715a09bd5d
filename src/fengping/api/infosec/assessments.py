"""Assessments of a system: start one, read it with its step tracker, complete the current
step, send it back (the same actions as the pages)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Schema, Status

from fengping.infosec.actions.assessments import (
    do_complete_step,
    do_send_back,
    do_start_assessment,
)
from fengping.infosec.models import System, SystemAssessment
from fengping.infosec.queries import assessment_for
from fengping.org import access
from fengping.procedure import engine

from . import router


class InfosecStartIn(Schema):
    title: str
    scheme: str = "isra"
    calculation: str = ""


class StepIn(Schema):
    step: str
    note: str = ""


class InfosecSendBackIn(Schema):
    to_step: str
    reason: str


class InfosecStepOut(Schema):
    code: str
    label: str
    state: str
    is_current: bool
    done_by: str | None = None
    done_at: dt.datetime | None = None
    sent_back_reason: str = ""


class SystemAssessmentOut(Schema):
    id: int
    system_id: int
    title: str
    status: str
    calculation: str
    scheme_key: str
    scheme_version: str
    current_step: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    computed_at: dt.datetime | None = None
    risk_current: bool
    scenario_count: int


class AssessmentDetailOut(SystemAssessmentOut):
    steps: list[InfosecStepOut]
    missing: list[str]


def _out(a: SystemAssessment) -> dict[str, Any]:
    return {
        **{f: getattr(a, f) for f in SystemAssessmentOut.model_fields if f != "risk_current"},
        "risk_current": a.risk_current(),
    }


@router.post("/systems/{system_id}/assessments", response={201: SystemAssessmentOut})
def start_assessment(request: HttpRequest, system_id: int, payload: InfosecStartIn) -> Any:
    """开始信息安全风险评估（冻结方案；计算方法须为方案允许的方法，空 = 方案默认）。"""
    system = access.get_for_user(
        request.user, System.objects.select_related("department"), system_id, "change"
    )
    a = do_start_assessment(
        request.user,
        system,
        title=payload.title,
        scheme_key=payload.scheme,
        calculation=payload.calculation,
    )
    return Status(201, _out(a))


@router.get("/assessments/{assessment_id}", response=AssessmentDetailOut)
def get_assessment(request: HttpRequest, assessment_id: int) -> Any:
    """评估及其程序：每一步的状态、当前步骤和当前步骤尚缺的成果。"""
    a = assessment_for(request.user, assessment_id)
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


@router.post("/assessments/{assessment_id}/complete-step", response=SystemAssessmentOut)
def complete_step(request: HttpRequest, assessment_id: int, payload: StepIn) -> Any:
    """完成当前步骤（须具备本步骤要求的成果）。"""
    a = assessment_for(request.user, assessment_id, "change")
    return _out(do_complete_step(request.user, a, payload.step, payload.note))


@router.post("/assessments/{assessment_id}/send-back", response=SystemAssessmentOut)
def send_back(request: HttpRequest, assessment_id: int, payload: InfosecSendBackIn) -> Any:
    """退回到之前的步骤（须说明理由）。"""
    a = assessment_for(request.user, assessment_id, "change")
    return _out(do_send_back(request.user, a, payload.to_step, payload.reason))
