"""Threats of an assessment (2.2): list, add, edit, remove, seed from the catalogue, the
administrators' survey and the refresh of the frequency proposals — the actions the
assessment's 威胁评估 tab calls."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema, Status

from fengping.infosec.actions import threats as actions
from fengping.infosec.models import ThreatRating
from fengping.infosec.queries import assessment_for
from fengping.org import access

from . import router


class InfosecThreatOut(Schema):
    id: int
    code: str
    threat_class: str
    name: str
    origin: str
    actor: str = Field(..., description="威胁主体")
    motive: str
    timing: str
    frequency: int
    evidence: str
    incident_count: int = Field(..., description="近一年内本系统该类安全事件次数")
    survey_proposal: Decimal | None = Field(None, description="管理员调查的平均分")
    version: int


class InfosecThreatIn(Schema):
    threat_class: str
    frequency: int = Field(..., ge=1, le=5)
    code: str = ""
    name: str = ""
    origin: str = Field(
        "",
        description="environmental / human_malicious / human_non_malicious；省略取威胁类别的来源",
    )
    actor: str = Field("", description="威胁主体")
    motive: str = ""
    timing: str = ""
    evidence: str = ""


class InfosecThreatUpdateIn(InfosecThreatIn):
    version: int | None = Field(None, description="读取时的版本号")


class InfosecSurveyIn(Schema):
    closes_at: dt.datetime | None = Field(None, description="截止时间；省略为两周后")


class InfosecSurveyOut(Schema):
    questionnaire_id: int
    token: str
    closes_at: dt.datetime | None


class InfosecRefreshOut(Schema):
    changed: int


def _threat(request: HttpRequest, threat_id: int) -> ThreatRating:
    return access.get_for_user(
        request.user,
        ThreatRating.objects.select_related("assessment__system__department"),
        threat_id,
        "change",
    )


def _fields(payload: InfosecThreatIn) -> dict[str, Any]:
    data = payload.model_dump(exclude={"version"})
    data["threat_actor"] = data.pop("actor")
    return data


@router.get("/assessments/{assessment_id}/threats", response=list[InfosecThreatOut])
def list_threats(request: HttpRequest, assessment_id: int) -> Any:
    return list(assessment_for(request.user, assessment_id).threats.all())


@router.post("/assessments/{assessment_id}/threats", response={201: InfosecThreatOut})
def add_threat(request: HttpRequest, assessment_id: int, payload: InfosecThreatIn) -> Any:
    """添加威胁；与以往安全事件或管理员调查的建议值相差较大时须填写赋值依据。"""
    a = assessment_for(request.user, assessment_id, "change")
    return Status(201, actions.do_add_threat(request.user, a, **_fields(payload)))


@router.put("/threats/{threat_id}", response=InfosecThreatOut)
def update_threat(request: HttpRequest, threat_id: int, payload: InfosecThreatUpdateIn) -> Any:
    threat = _threat(request, threat_id)
    fields = _fields(payload)
    fields.pop("code")
    return actions.do_update_threat(request.user, threat, version=payload.version, **fields)


@router.delete("/threats/{threat_id}", response={204: None})
def remove_threat(request: HttpRequest, threat_id: int) -> Any:
    actions.do_remove_threat(request.user, _threat(request, threat_id))
    return Status(204, None)


@router.post("/assessments/{assessment_id}/threats/seed", response={201: list[InfosecThreatOut]})
def seed_threats(request: HttpRequest, assessment_id: int) -> Any:
    """按方案的威胁分类逐类添加尚未添加的威胁。"""
    a = assessment_for(request.user, assessment_id, "change")
    return Status(201, actions.do_seed_threats_from_catalogue(request.user, a))


@router.post("/assessments/{assessment_id}/threat-survey", response={201: InfosecSurveyOut})
def create_survey(request: HttpRequest, assessment_id: int, payload: InfosecSurveyIn) -> Any:
    """发起网络、系统管理员的威胁调查（发布到公开链接 /opinions/q/<token>/）。"""
    a = assessment_for(request.user, assessment_id, "change")
    qn = actions.do_create_threat_survey(request.user, a, closes_at=payload.closes_at)
    return Status(201, {"questionnaire_id": qn.pk, "token": qn.token, "closes_at": qn.closes_at})


@router.post("/assessments/{assessment_id}/threats/refresh", response=InfosecRefreshOut)
def refresh_proposals(request: HttpRequest, assessment_id: int) -> Any:
    """按安全事件和管理员调查更新各威胁的建议值。"""
    a = assessment_for(request.user, assessment_id, "change")
    return {"changed": actions.do_refresh_proposals(request.user, a)}
