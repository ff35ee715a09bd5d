"""Systems, business assets and assets (篇2 2.1), scoped by org.access; every change goes
through infosec.actions.systems, the import through the same importer as the page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Query, Schema, Status
from ninja.files import UploadedFile

from fengping.core import listing
from fengping.infosec.actions import systems as actions
from fengping.infosec.asset_import import AssetImporter, import_assets
from fengping.infosec.lists import ASSETS, BUSINESSES, SYSTEMS
from fengping.infosec.models import Asset, AssetLayer, BusinessAsset, ProtectionLevel, System
from fengping.infosec.queries import system_for
from fengping.org import access
from fengping.org.models import Department

from . import router


class SystemOut(Schema):
    id: int
    code: str
    name: str
    department_id: int
    business: str
    protection_level: int
    protection_level_label: str = Field(..., alias="get_protection_level_display")
    filing_number: str
    description: str
    is_active: bool
    version: int


class SystemIn(Schema):
    department_id: int
    code: str = Field(..., min_length=1, max_length=40, description="字母、数字、“-”或“_”")
    name: str = Field(..., min_length=1, max_length=120)
    protection_level: ProtectionLevel
    filing_number: str = ""
    business: str = ""
    description: str = ""


class SystemUpdateIn(Schema):
    version: int | None = None
    name: str = Field(..., min_length=1, max_length=120)
    protection_level: ProtectionLevel
    filing_number: str = ""
    business: str = ""
    description: str = ""
    is_active: bool | None = None


class BusinessOut(Schema):
    id: int
    system_id: int
    code: str
    name: str
    importance: int
    description: str
    linked_ids: list[int]
    version: int

    @staticmethod
    def resolve_linked_ids(obj: BusinessAsset) -> list[int]:
        return [b.pk for b in obj.linked.all()]


class BusinessIn(Schema):
    version: int | None = None
    code: str = Field(..., min_length=1, max_length=60)
    name: str = Field(..., min_length=1, max_length=120)
    importance: int = Field(..., ge=1, le=5)
    description: str = ""
    linked_ids: list[int] = []


class AssetOut(Schema):
    id: int
    system_id: int
    code: str
    name: str
    layer: str
    part: str
    asset_type: str
    business_id: int | None
    hostnames: list[str]
    ips: list[str]
    location: str
    confidentiality: int
    integrity: int
    availability: int
    factors: dict[str, int]
    value: int
    value_reason: str
    value_basis: str = Field(..., description="资产价值的计算过程")
    version: int

    @staticmethod
    def resolve_hostnames(obj: Asset) -> list[str]:
        return obj.hostnames.split()

    @staticmethod
    def resolve_ips(obj: Asset) -> list[str]:
        return obj.ips.split()

    @staticmethod
    def resolve_value_basis(obj: Asset) -> str:
        return str((obj.value_basis or {}).get("text", ""))


class AssetIn(Schema):
    version: int | None = None
    code: str = Field(..., min_length=1, max_length=60)
    name: str = Field(..., min_length=1, max_length=120)
    layer: AssetLayer = AssetLayer.COMPONENT
    part: str = Field(
        "",
        description="功能部分代码：data_storage、business_processing、service_provision、client；系统资产留空",
    )
    asset_type: str = ""
    business_id: int | None = None
    hostnames: list[str] = []
    ips: list[str] = []
    location: str = ""
    confidentiality: int = Field(..., ge=1, le=5)
    integrity: int = Field(..., ge=1, le=5)
    availability: int = Field(..., ge=1, le=5)
    factors: dict[str, int] = Field({}, description="赋值因素代码 → 1–5（未评定的不填）")
    value_reason: str = ""


class ImportErrorOut(Schema):
    sheet: str
    row: int
    column: str
    message: str


class ImportOut(Schema):
    id: int
    status: str
    counts: dict[str, int]
    summary: str
    errors: list[ImportErrorOut]
    error_count: int


def _business(request: HttpRequest, business_id: int, need: str = "view") -> BusinessAsset:
    return access.get_for_user(
        request.user,
        BusinessAsset.objects.select_related("system__department"),
        business_id,
        need,  # type: ignore[arg-type]
    )


def _asset(request: HttpRequest, asset_id: int, need: str = "view") -> Asset:
    return access.get_for_user(
        request.user,
        Asset.objects.select_related("system__department", "business"),
        asset_id,
        need,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------- systems

SystemFilters = listing.api_filters(SYSTEMS, "SystemFilters")


@router.get("/systems", response=listing.api_page_schema(SystemOut, "SystemPage"))
def list_systems(request: HttpRequest, filters: Query[SystemFilters]) -> Any:  # type: ignore[valid-type]
    """可见的信息系统，可按关键词、等级保护级别、主管部门筛选。"""
    return listing.api_page(SYSTEMS, request.user, filters.model_dump())  # type: ignore[attr-defined]


@router.post("/systems", response={201: SystemOut})
def create_system(request: HttpRequest, payload: SystemIn) -> Any:
    """登记信息系统（须在主管部门担任承办人、评估人员、分管领导或主要负责人）。"""
    department = access.get_for_user(request.user, Department, payload.department_id)
    data = payload.model_dump(exclude={"department_id"})
    return Status(201, actions.do_create_system(request.user, department=department, **data))


@router.get("/systems/{system_id}", response=SystemOut)
def get_system(request: HttpRequest, system_id: int) -> Any:
    return system_for(request.user, system_id)


@router.put("/systems/{system_id}", response=SystemOut)
def update_system(request: HttpRequest, system_id: int, payload: SystemUpdateIn) -> Any:
    """修改信息系统；`version` 为读取时的版本，他人已修改时返回 409。"""
    system = system_for(request.user, system_id, "change")
    return actions.do_update_system(request.user, system, **payload.model_dump())


# ---------------------------------------------------------------- business assets

BusinessFilters = listing.api_filters(BUSINESSES, "BusinessFilters")


@router.get(
    "/systems/{system_id}/businesses", response=listing.api_page_schema(BusinessOut, "BusinessPage")
)
def list_businesses(request: HttpRequest, system_id: int, filters: Query[BusinessFilters]) -> Any:  # type: ignore[valid-type]
    system = system_for(request.user, system_id)
    return listing.api_page(BUSINESSES, request.user, filters.model_dump(), system)  # type: ignore[attr-defined]


def _business_values(payload: BusinessIn) -> dict[str, Any]:
    data = payload.model_dump()
    data["linked"] = data.pop("linked_ids")
    return data


@router.post("/systems/{system_id}/businesses", response={201: BusinessOut})
def create_business(request: HttpRequest, system_id: int, payload: BusinessIn) -> Any:
    """登记业务资产；关联业务只能是本系统的业务。"""
    system = system_for(request.user, system_id, "change")
    values = _business_values(payload)
    values.pop("version")
    return Status(201, actions.do_save_business(request.user, system, **values))


@router.put("/businesses/{business_id}", response=BusinessOut)
def update_business(request: HttpRequest, business_id: int, payload: BusinessIn) -> Any:
    """修改业务资产；重要性变化时其承载资产的价值随之重新计算。"""
    business = _business(request, business_id, "change")
    return actions.do_save_business(
        request.user, business.system, business, **_business_values(payload)
    )


@router.delete("/businesses/{business_id}", response={204: None})
def delete_business(request: HttpRequest, business_id: int) -> Any:
    """删除业务资产；承载它的资产不再关联业务并重新赋值。"""
    business = _business(request, business_id, "change")
    actions.do_remove_business(request.user, business)
    return Status(204, None)


# ---------------------------------------------------------------- assets

AssetFilters = listing.api_filters(ASSETS, "AssetFilters")


@router.get("/systems/{system_id}/assets", response=listing.api_page_schema(AssetOut, "AssetPage"))
def list_assets(request: HttpRequest, system_id: int, filters: Query[AssetFilters]) -> Any:  # type: ignore[valid-type]
    """系统的资产，可按层次、功能部分、承载业务和编号/名称/IP/主机名筛选。"""
    system = system_for(request.user, system_id)
    return listing.api_page(ASSETS, request.user, filters.model_dump(), system)  # type: ignore[attr-defined]


def _asset_values(system: System, payload: AssetIn) -> dict[str, Any]:
    data = payload.model_dump()
    data["ips"] = "\n".join(data["ips"])
    data["hostnames"] = "\n".join(data["hostnames"])
    data["business"] = data.pop("business_id")
    return data


@router.post("/systems/{system_id}/assets", response={201: AssetOut})
def create_asset(request: HttpRequest, system_id: int, payload: AssetIn) -> Any:
    """登记资产；资产价值按评估方案计算（见 value_basis）；IP/主机名在系统内不能重复。"""
    system = system_for(request.user, system_id, "change")
    values = _asset_values(system, payload)
    values.pop("version")
    return Status(201, actions.do_save_asset(request.user, system, **values))


@router.get("/assets/{asset_id}", response=AssetOut)
def get_asset(request: HttpRequest, asset_id: int) -> Any:
    return _asset(request, asset_id)


@router.put("/assets/{asset_id}", response=AssetOut)
def update_asset(request: HttpRequest, asset_id: int, payload: AssetIn) -> Any:
    asset = _asset(request, asset_id, "change")
    return actions.do_save_asset(
        request.user, asset.system, asset, **_asset_values(asset.system, payload)
    )


@router.delete("/assets/{asset_id}", response={204: None})
def delete_asset(request: HttpRequest, asset_id: int) -> Any:
    """删除资产；已在已办结评估中使用的资产不能删除，进行中评估中的风险场景一并删除。"""
    asset = _asset(request, asset_id, "change")
    actions.do_remove_asset(request.user, asset)
    return Status(204, None)


@router.post("/systems/{system_id}/assets/import", response={200: ImportOut, 422: ImportOut})
def import_asset_list(
    request: HttpRequest,
    system_id: int,
    upload: File[UploadedFile],  # type: ignore[type-arg]
) -> Any:
    """导入资产清单（XLSX 或 CSV，格式同页面模板）：全部成功或全部不导入；
    有错误时返回 422 和逐行错误。大文件转为后台任务（status 为 queued）。"""
    system = system_for(request.user, system_id, "change")
    record = import_assets(request.user, system, upload)
    body = {
        "id": record.pk,
        "status": record.status,
        "counts": record.counts or {},
        "summary": AssetImporter.summary(record.counts) if record.counts else "",
        "errors": record.errors or [],
        "error_count": record.error_count,
    }
    return Status(422 if record.status == "failed" else 200, body)
