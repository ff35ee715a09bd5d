"""Checklists of an assessment: the vulnerability checklists of 2.3 and the existing-measure
checklists of 3.1–3.4, answered item by item (the same action as the tabs)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema

from fengping.infosec.actions import checklists as actions
from fengping.infosec.models import ChecklistAnswer
from fengping.infosec.queries import assessment_for

from . import router


class InfosecAnswerOut(Schema):
    id: int
    catalogue: str
    checklist: str
    item: str
    result: str
    method: str
    value: str
    evidence: str
    measure_kind: str
    covers_threats: list[str]
    covers_assets: list[int]
    version: int

    @staticmethod
    def resolve_covers_assets(obj: ChecklistAnswer) -> list[int]:
        return [a.pk for a in obj.covers_assets.all()]


class InfosecAnswerIn(Schema):
    catalogue: str = Field(..., description="vulnerability（2.3）或 measure（3.1–3.4）")
    item: str = Field(..., description="检查项代码，如 management.3")
    result: str = Field(
        ..., description="not_found / found / effective / partial / ineffective / na"
    )
    method: str = ""
    value: str = Field("", description="检查值（如最近更新日期、管理员个数）")
    evidence: str = ""
    measure_kind: str = Field("", description="preventive / protective（有效或部分有效的措施）")
    covers_threats: list[str] = []
    covers_assets: list[int] = []
    severity: int | None = Field(None, description="存在脆弱性时的严重程度 1–5")
    asset_id: int | None = Field(None, description="存在脆弱性的资产；省略为系统资产")
    version: int | None = Field(None, description="已作答条目读取时的版本号")


class InfosecProgressOut(Schema):
    answered: int
    total: int
    answers: list[InfosecAnswerOut]


@router.get("/assessments/{assessment_id}/checklist-answers", response=InfosecProgressOut)
def list_answers(request: HttpRequest, assessment_id: int, catalogue: str = "vulnerability") -> Any:
    """一个检查表目录（vulnerability 或 measure）的作答和进度。"""
    a = assessment_for(request.user, assessment_id)
    info = a.scheme.infosec
    sets = info.vulnerabilities if catalogue == "vulnerability" else info.measures  # type: ignore[union-attr]
    wanted = {code for c in sets.checklists for code in c.item_codes()}
    answers = list(
        ChecklistAnswer.objects.filter(assessment=a, catalogue=catalogue).prefetch_related(
            "covers_assets"
        )
    )
    return {
        "answered": len(wanted & {x.item for x in answers}),
        "total": len(wanted),
        "answers": answers,
    }


@router.post("/assessments/{assessment_id}/checklist-answers", response=InfosecAnswerOut)
def answer_item(request: HttpRequest, assessment_id: int, payload: InfosecAnswerIn) -> Any:
    """逐项作答（严禁漏项）；存在脆弱性的条目记入本系统的脆弱性，复核未发现的随之关闭。"""
    a = assessment_for(request.user, assessment_id, "change")
    return actions.do_answer_item(request.user, a, **payload.model_dump())
