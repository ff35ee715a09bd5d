"""The risk of an assessment: compute it, the register (filters as on the page, paged by
key), the heat map cells, risk per asset / business / system, and the comparison with
another assessment of the same system."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Schema

from fengping.core import listing
from fengping.infosec import risk_lists
from fengping.infosec.actions.risk import do_compute_risk
from fengping.infosec.queries import assessment_for
from fengping.org import access

from . import router


class ComputeOut(Schema):
    created: int
    updated: int
    removed: int
    unchanged: int
    decisions_removed: int
    decisions_voided: int
    by_level: dict[int, int]
    total: int


class ScenarioOut(Schema):
    id: int
    asset_id: int
    asset_code: str
    asset_name: str
    business_id: int | None = None
    threat_id: int
    threat_code: str
    threat_class: str
    vulnerability_id: int
    vulnerability_key: str
    frequency: int
    severity: int
    asset_value: int
    likelihood_steps: int
    loss_steps: int
    likelihood: int
    loss: int
    risk: int
    level: int
    level_label: str
    residual_risk: int | None = None
    residual_level: int


class EstateScenarioOut(ScenarioOut):
    assessment_id: int
    assessment_title: str
    system_id: int
    system_code: str
    system_name: str
    department_id: int
    department_name: str
    threat_name: str
    vulnerability_title: str
    treatment: str | None = None
    treatment_label: str = ""


class CellOut(Schema):
    likelihood: int
    loss: int
    count: int


class RiskSummaryOut(Schema):
    id: int | None = None
    code: str = ""
    name: str = ""
    max_risk: int | None = None
    count: int
    by_level: dict[int, int]


class SummaryPage(Schema):
    items: list[RiskSummaryOut]
    count: int


class CompareRow(Schema):
    change: str
    asset: str
    threat: str
    vulnerability: str
    vulnerability_key: str
    this_risk: int | None = None
    this_level: int | None = None
    other_risk: int | None = None
    other_level: int | None = None


class CompareOut(Schema):
    other_id: int
    counts: dict[str, int]
    count: int
    items: list[CompareRow]


@router.post("/assessments/{assessment_id}/risk/compute", response=ComputeOut)
def compute_risk(request: HttpRequest, assessment_id: int) -> Any:
    """按当前数据计算并保存全部风险场景（已办结或尚无威胁时拒绝）。"""
    return do_compute_risk(request.user, assessment_for(request.user, assessment_id, "change"))


RegisterFilters = listing.api_filters(risk_lists.REGISTER, "RiskRegisterFilters")


def _scenario(s: Any) -> dict[str, Any]:
    return {
        **{f: getattr(s, f) for f in ScenarioOut.model_fields if hasattr(s, f)},
        "asset_code": s.asset.code,
        "asset_name": s.asset.name,
        "threat_code": s.threat.code,
        "threat_class": s.threat.threat_class,
        "vulnerability_key": s.vulnerability.key,
    }


@router.get(
    "/assessments/{assessment_id}/risk/scenarios",
    response=listing.api_page_schema(ScenarioOut, "RiskScenarioPage"),
)
def list_scenarios(
    request: HttpRequest,
    assessment_id: int,
    filters: Query[RegisterFilters],  # type: ignore[valid-type]
) -> Any:
    """风险清单（按风险值从高到低），可按等级、业务、威胁类别、可能性、损失、资产和关键词筛选。"""
    a = assessment_for(request.user, assessment_id)
    page = listing.api_page(risk_lists.REGISTER, request.user, filters.model_dump(), a)  # type: ignore[attr-defined]
    page["items"] = [_scenario(s) for s in page["items"]]
    return page


EstateFilters = listing.api_filters(risk_lists.ESTATE, "EstateRiskFilters")


def _estate_scenario(s: Any) -> dict[str, Any]:
    system = s.assessment.system
    decision = risk_lists.decision_of(s)
    return {
        **_scenario(s),
        "assessment_id": s.assessment_id,
        "assessment_title": s.assessment.title,
        "system_id": system.pk,
        "system_code": system.code,
        "system_name": system.name,
        "department_id": system.department_id,
        "department_name": system.department.name,
        "threat_name": s.threat.name,
        "vulnerability_title": s.vulnerability.title,
        "treatment": decision.treatment if decision is not None else None,
        "treatment_label": risk_lists.treatment_text(s),
    }


@router.get("/risks", response=listing.api_page_schema(EstateScenarioOut, "EstateRiskPage"))
def list_all_risks(
    request: HttpRequest,
    filters: Query[EstateFilters],  # type: ignore[valid-type]
) -> Any:
    """风险清单（全部系统）：可见的每个信息系统最近一次评估的风险场景，按风险等级、风险值从高到低，
    可按风险等级（1–5）、主管部门（含下级）、系统和资产或威胁名称筛选；按键翻页（next/after）。"""
    page = listing.api_page(risk_lists.ESTATE, request.user, filters.model_dump())  # type: ignore[attr-defined]
    page["items"] = [_estate_scenario(s) for s in page["items"]]
    return page


@router.get("/assessments/{assessment_id}/risk/heatmap", response=list[CellOut])
def heatmap(request: HttpRequest, assessment_id: int) -> Any:
    """风险热力图：每个（可能性, 损失）格中的风险场景数。"""
    return risk_lists.heat_cells(assessment_for(request.user, assessment_id))


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "max_risk": row["max_risk"],
        "count": row["n"],
        "by_level": {n: row[f"l{n}"] for n in risk_lists.LEVELS},
    }


@router.get("/assessments/{assessment_id}/risk/system", response=RiskSummaryOut)
def risk_of_system(request: HttpRequest, assessment_id: int) -> Any:
    """整个系统的风险：最高风险值、场景数和各等级场景数。"""
    a = assessment_for(request.user, assessment_id)
    return {"id": a.system_id, "code": a.system.code, "name": a.system.name,
            **_summary(risk_lists.system_summary(a))}  # fmt: skip


@router.get("/assessments/{assessment_id}/risk/businesses", response=list[RiskSummaryOut])
def risk_by_business(request: HttpRequest, assessment_id: int) -> Any:
    """按业务汇总的风险（未关联业务的资产 id 为空）。"""
    a = assessment_for(request.user, assessment_id)
    return [
        {"id": r["business_id"], "name": r["name"], **_summary(r)}
        for r in risk_lists.by_business(a)
    ]


@router.get("/assessments/{assessment_id}/risk/assets", response=SummaryPage)
def risk_by_asset(request: HttpRequest, assessment_id: int, page: int = 1) -> Any:
    """按资产汇总的风险，最高风险值从高到低，每页 50 个资产。"""
    a = assessment_for(request.user, assessment_id)
    size = settings.FENGPING_PAGE_SIZE
    qs = risk_lists.by_asset(a)
    page = max(1, min(page, 100_000))
    rows = risk_lists.name_assets(list(qs[(page - 1) * size : page * size]), a)
    return {
        "items": [
            {
                "id": r["asset_id"],
                "code": r["asset"].code if r["asset"] else "",
                "name": r["asset"].name if r["asset"] else "",
                **_summary(r),
            }  # fmt: skip
            for r in rows
        ],
        "count": qs.count(),
    }


@router.get("/assessments/{assessment_id}/risk/compare/{other_id}", response=CompareOut)
def compare(
    request: HttpRequest, assessment_id: int, other_id: int, change: str = "", page: int = 1
) -> Any:
    """与同一系统的另一次评估对比：按资产编号、威胁编号和脆弱性标识匹配，
    新增 new / 升高 higher / 降低 lower / 不变 unchanged / 消失 gone，每页 50 条。"""
    a = assessment_for(request.user, assessment_id)
    other = access.get_for_user(request.user, risk_lists.comparable(a), other_id)
    cmp = risk_lists.compare(a, other)
    only = change if change in risk_lists.CHANGE_ORDER else ""
    size = settings.FENGPING_PAGE_SIZE
    page = max(1, min(page, 100_000))
    return {
        "other_id": other.pk,
        "counts": cmp.counts,
        "count": risk_lists.comparison_count(cmp, only),
        "items": risk_lists.comparison_rows(cmp, (page - 1) * size, page * size, only),
    }
