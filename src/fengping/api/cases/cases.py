"""The case registry (篇4): organs' settings, cases, stage moves through the gate,
petitions and the import — the same actions and importer as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Query, Schema, Status
from ninja.files import UploadedFile

from fengping.cases.actions import cases as actions
from fengping.cases.case_import import CaseImporter, import_cases
from fengping.cases.lists import CASES, PETITIONS
from fengping.cases.models import Case, OrganProfile, Petition, PetitionKind, StageSource
from fengping.cases.queries import case_for, organ_for, profile_of
from fengping.core import listing
from fengping.org import access
from fengping.org.models import Department

from . import router


class CaseOrganOut(Schema):
    department_id: int
    name: str
    organ_kind: str
    scheme_key: str
    column_mapping: dict[str, str]
    stages: list[dict[str, Any]]
    version: int

    @staticmethod
    def resolve_name(obj: OrganProfile) -> str:
        return obj.department.name

    @staticmethod
    def resolve_stages(obj: OrganProfile) -> list[dict[str, Any]]:
        try:
            kind = obj.kind()
        except LookupError:
            return []
        return [{"code": s.code, "label": s.label, "gate": s.gate or ""} for s in kind.stages]


class OrganIn(Schema):
    organ_kind: str = Field(
        ..., description="单位类别代码：court、procuratorate、public_security、justice"
    )
    scheme_key: str = "case-risk"
    version: int | None = None


class MappingIn(Schema):
    column_mapping: dict[str, str] = Field(
        ..., description="本单位导出文件的列名 → 字段代码（number、title、category、stage…）"
    )
    version: int | None = None


class CaseOut(Schema):
    id: int
    organ_id: int
    number: str
    title: str
    category: str
    stage: str
    stage_since: dt.date | None
    handler_id: int | None
    accepted_on: dt.date | None
    amount: Decimal | None
    parties: str
    party_count: int
    involved_count: int
    vulnerable_groups: list[str]
    coercive_measures: list[str]
    public_attention: bool
    socially_sensitive: bool
    officer_misconduct: bool
    major_complex: bool
    brief_facts: str
    risk_open: bool
    assessed: bool
    confirmation_needed: bool
    risk_level: str
    version: int

    @staticmethod
    def resolve_vulnerable_groups(obj: Case) -> list[str]:
        return obj.codes("vulnerable_groups")

    @staticmethod
    def resolve_coercive_measures(obj: Case) -> list[str]:
        return obj.codes("coercive_measures")


class CaseFields(Schema):
    number: str = Field(..., min_length=1, max_length=80)
    title: str = Field(..., min_length=1, max_length=200)
    category: str = Field(
        ..., description="案件类别代码：criminal、civil、administrative、public_order、enforcement"
    )
    handler_id: int | None = None
    accepted_on: dt.date | None = None
    amount: Decimal | None = None
    parties: str = ""
    party_count: int = Field(0, ge=0)
    involved_count: int = Field(0, ge=0)
    vulnerable_groups: list[str] = []
    coercive_measures: list[str] = []
    public_attention: bool = False
    socially_sensitive: bool = False
    officer_misconduct: bool = False
    major_complex: bool = False
    brief_facts: str = ""


class CaseIn(CaseFields):
    organ_id: int
    stage: str = Field("", description="办理阶段代码；留空为受理")


class CaseUpdateIn(CaseFields):
    version: int | None = None


class StageIn(Schema):
    to_stage: str = Field(..., min_length=1, max_length=64)
    note: str = Field("", max_length=300)
    version: int | None = None


class StageOptionOut(Schema):
    code: str
    label: str
    gate: str
    current: bool
    refusal: str = Field(..., description="关口拒绝的理由；为空表示可以进入")


class PetitionOut(Schema):
    id: int
    case_id: int
    date: dt.date
    kind: str
    persons: int
    content: str


class PetitionIn(Schema):
    date: dt.date
    kind: PetitionKind = PetitionKind.INDIVIDUAL
    persons: int = Field(1, ge=1)
    content: str = ""


class CaseImportErrorOut(Schema):
    sheet: str
    row: int
    column: str
    message: str


class CaseImportOut(Schema):
    id: int
    status: str
    counts: dict[str, int]
    summary: str
    errors: list[CaseImportErrorOut]
    error_count: int


def _case_values(payload: CaseFields) -> dict[str, Any]:
    data = payload.model_dump()
    data["handler"] = data.pop("handler_id")
    return data


# ---------------------------------------------------------------- organs


@router.get("/organs/{organ_id}", response=CaseOrganOut)
def get_organ(request: HttpRequest, organ_id: int) -> Any:
    """政法单位的办案风险评估设置（organ_id 为部门 id）。"""
    return organ_for(request.user, organ_id)


@router.put("/organs/{organ_id}", response=CaseOrganOut)
def save_organ(request: HttpRequest, organ_id: int, payload: OrganIn) -> Any:
    """设置政法单位的类别与评估方案；未启用的单位在此启用（须为该单位的系统管理员、分管领导或主要负责人）。"""
    department = access.get_for_user(request.user, Department, organ_id)
    return actions.do_save_organ(request.user, department, **payload.model_dump())


@router.put("/organs/{organ_id}/mapping", response=CaseOrganOut)
def save_mapping(request: HttpRequest, organ_id: int, payload: MappingIn) -> Any:
    """保存导入列对应：本单位办案系统导出文件的列名 → 本系统字段代码。"""
    profile = organ_for(request.user, organ_id, "change")
    return actions.do_save_mapping(
        request.user, profile, mapping=payload.column_mapping, version=payload.version
    )


@router.post("/organs/{organ_id}/import", response={200: CaseImportOut, 422: CaseImportOut})
def import_case_list(
    request: HttpRequest,
    organ_id: int,
    upload: File[UploadedFile],  # type: ignore[type-arg]
) -> Any:
    """导入案件清单（XLSX 或 CSV，格式同页面模板，经本单位的列对应）：全部成功或全部不导入；
    有错误（含风险评估关口拒绝的阶段变更）时返回 422 和逐行错误。"""
    profile = organ_for(request.user, organ_id)
    record = import_cases(request.user, profile, upload)
    body = {
        "id": record.pk,
        "status": record.status,
        "counts": record.counts or {},
        "summary": CaseImporter.summary(record.counts) if record.counts else "",
        "errors": record.errors or [],
        "error_count": record.error_count,
    }
    return Status(422 if record.status == "failed" else 200, body)


# ---------------------------------------------------------------- cases

CaseFilters = listing.api_filters(CASES, "CaseFilters")


@router.get("/cases", response=listing.api_page_schema(CaseOut, "CasePage"))
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> Any:  # type: ignore[valid-type]
    """可见的案件，可按政法单位、类别、阶段、标记、风险未化解和案号/名称筛选。"""
    return listing.api_page(CASES, request.user, filters.model_dump())  # type: ignore[attr-defined]


@router.post("/cases", response={201: CaseOut})
def create_case(request: HttpRequest, payload: CaseIn) -> Any:
    """登记案件（须在该政法单位担任承办人、评估人员、分管领导、主要负责人或系统管理员）。"""
    organ = access.get_for_user(request.user, Department, payload.organ_id)
    data = _case_values(payload)
    data.pop("organ_id")
    case = actions.do_create_case(request.user, organ, source=StageSource.API, **data)
    return Status(201, case)


@router.get("/cases/{case_id}", response=CaseOut)
def get_case(request: HttpRequest, case_id: int) -> Any:
    return case_for(request.user, case_id)


@router.put("/cases/{case_id}", response=CaseOut)
def update_case(request: HttpRequest, case_id: int, payload: CaseUpdateIn) -> Any:
    """修改案件（不含办理阶段）；`version` 为读取时的版本，他人已修改时返回 409。"""
    case = case_for(request.user, case_id, "change")
    return actions.do_update_case(
        request.user, case, source=StageSource.API, **_case_values(payload)
    )


@router.get("/cases/{case_id}/stages", response=list[StageOptionOut])
def case_stages(request: HttpRequest, case_id: int) -> Any:
    """本单位的办理阶段，以及风险评估关口对每个阶段的判断（refusal 非空即不能进入）。"""
    case = case_for(request.user, case_id)
    return actions.stage_options(profile_of(case), case)


@router.post("/cases/{case_id}/stage", response=CaseOut)
def move_stage(request: HttpRequest, case_id: int, payload: StageIn) -> Any:
    """变更办理阶段。进入裁决/决定、结案须通过关口：风险未化解的、重大疑难复杂案件未经评估的，
    返回 400 并引用“凡经风险评估的案件，风险未化解的不得裁决”。"""
    case = case_for(request.user, case_id, "change")
    return actions.do_move_stage(request.user, case, source=StageSource.API, **payload.model_dump())


# ---------------------------------------------------------------- petitions


@router.get(
    "/cases/{case_id}/petitions", response=listing.api_page_schema(PetitionOut, "PetitionPage")
)
def list_petitions(request: HttpRequest, case_id: int) -> Any:
    case = case_for(request.user, case_id)
    return listing.api_page(PETITIONS, request.user, {}, case)


@router.post("/cases/{case_id}/petitions", response={201: PetitionOut})
def create_petition(request: HttpRequest, case_id: int, payload: PetitionIn) -> Any:
    case = case_for(request.user, case_id, "change")
    return Status(201, actions.do_record_petition(request.user, case, **payload.model_dump()))


@router.delete("/petitions/{petition_id}", response={204: None})
def delete_petition(request: HttpRequest, petition_id: int) -> Any:
    petition = access.get_for_user(
        request.user, Petition.objects.select_related("case__organ"), petition_id, "change"
    )
    actions.do_delete_petition(request.user, petition)
    return Status(204, None)
