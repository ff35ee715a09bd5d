"""Vulnerabilities of a system (篇2 2.3) and its scan imports: list (the page's filters),
get, set status, add a manual audit finding, upload a scanner report (multipart), list
and get scans, map an unmatched host to an asset — through infosec.actions.vulnerabilities,
the functions the pages and the CLI call."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Query, Schema, Status
from ninja.files import UploadedFile

from fengping.core import listing
from fengping.infosec.actions.vulnerabilities import (
    do_add_audit_finding,
    do_import_scan,
    do_map_unmatched_host,
    do_set_vulnerability_status,
)
from fengping.infosec.models import Aspect, ScanImport, Vulnerability, VulnStatus
from fengping.infosec.queries import system_for
from fengping.infosec.vuln_lists import SCANS, VULNERABILITIES
from fengping.org import access
from fengping.org.access import Need

from . import router


class VulnerabilityOut(Schema):
    id: int
    system_id: int
    asset_id: int | None
    source: str
    aspect: str
    scanner: str
    key: str
    plugin_id: str
    cves: str
    title: str
    description: str
    solution: str
    host: str
    port: int | None
    protocol: str
    service: str
    cvss: Decimal | None
    grade: str = Field(..., description="GB/T 30279 等级代码（critical/high/medium/low）")
    severity: int = Field(..., description="严重程度 1–5")
    status: VulnStatus
    status_note: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    last_scan_id: int | None
    closed_at: dt.datetime | None
    closed_by_scan_id: int | None
    reopened_count: int
    version: int


class ScanOut(Schema):
    id: int
    system_id: int
    import_record_id: int | None
    scanner: str
    file_name: str
    sha256: str
    size: int
    scope: list[str]
    counts: dict[str, int]
    unmatched: list[dict[str, Any]]
    run_by_id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None


class StatusIn(Schema):
    status: VulnStatus = Field(
        ..., description="open（重新打开）、closed、false_positive、accepted"
    )
    note: str = Field("", description="理由；误报、接受风险、关闭时必填")
    version: int | None = Field(None, description="读取时的版本号")


class AuditFindingIn(Schema):
    title: str = Field(..., min_length=1, max_length=255)
    aspect: Aspect
    severity: int = Field(..., ge=1, le=5)
    asset_id: int | None = None
    description: str = ""
    evidence: str = ""


class MapHostIn(Schema):
    host: str = Field(..., description="扫描记录中未匹配的主机（unmatched[].host）")
    asset_id: int = Field(..., description="本系统的资产")


class MapHostOut(Schema):
    assigned: int = Field(..., description="归属该资产的脆弱性条数")
    scan: ScanOut


def _vulnerability(
    request: HttpRequest, vulnerability_id: int, need: Need = "view"
) -> Vulnerability:
    return access.get_for_user(  # type: ignore[return-value]
        request.user,
        Vulnerability.objects.select_related("system__department"),
        vulnerability_id,
        need,
    )


def _scan(request: HttpRequest, scan_id: int, need: Need = "view") -> ScanImport:
    return access.get_for_user(  # type: ignore[return-value]
        request.user, ScanImport.objects.select_related("system__department"), scan_id, need
    )


VulnerabilityFilters = listing.api_filters(VULNERABILITIES, "VulnerabilityFilters")
ScanFilters = listing.api_filters(SCANS, "ScanFilters")


@router.get(
    "/systems/{system_id}/vulnerabilities",
    response=listing.api_page_schema(VulnerabilityOut, "VulnerabilityPage"),
)
def list_vulnerabilities(
    request: HttpRequest,
    system_id: int,
    filters: Query[VulnerabilityFilters],  # type: ignore[valid-type]
) -> Any:
    """系统的脆弱性，可按状态、等级、来源、方面、资产筛选，按名称、CVE、主机搜索。"""
    return listing.api_page(
        VULNERABILITIES,
        request.user,
        filters.model_dump(),  # type: ignore[attr-defined]
        system_for(request.user, system_id),
    )


@router.post("/systems/{system_id}/vulnerabilities", response={201: VulnerabilityOut})
def add_audit_finding(request: HttpRequest, system_id: int, payload: AuditFindingIn) -> Any:
    """登记人工审计发现的脆弱性（须有该系统的修改权限）。"""
    system = system_for(request.user, system_id, "change")
    data = payload.model_dump()
    v = do_add_audit_finding(request.user, system, asset=data.pop("asset_id"), **data)
    return Status(201, v)


@router.get("/vulnerabilities/{vulnerability_id}", response=VulnerabilityOut)
def get_vulnerability(request: HttpRequest, vulnerability_id: int) -> Any:
    return _vulnerability(request, vulnerability_id)


@router.post("/vulnerabilities/{vulnerability_id}/status", response=VulnerabilityOut)
def set_vulnerability_status(request: HttpRequest, vulnerability_id: int, payload: StatusIn) -> Any:
    """标记误报、接受风险（须填理由）、关闭或重新打开。"""
    v = _vulnerability(request, vulnerability_id, "change")
    return do_set_vulnerability_status(
        request.user, v, payload.status, payload.note, payload.version
    )


@router.get("/systems/{system_id}/scans", response=listing.api_page_schema(ScanOut, "ScanPage"))
def list_scans(
    request: HttpRequest,
    system_id: int,
    filters: Query[ScanFilters],  # type: ignore[valid-type]
) -> Any:
    """系统的扫描导入记录。"""
    return listing.api_page(
        SCANS,
        request.user,
        filters.model_dump(),  # type: ignore[attr-defined]
        system_for(request.user, system_id),
    )


@router.post("/systems/{system_id}/scans", response={201: ScanOut})
def upload_scan(
    request: HttpRequest,
    system_id: int,
    upload: File[UploadedFile],  # type: ignore[type-arg]
) -> Any:
    """导入扫描报告（Nessus .nessus、OpenVAS/GVM .xml、CSV），全部导入或全部不导入；
    返回各项计数（created/unchanged/updated/closed/reopened/kept/skipped_info…）。"""
    system = system_for(request.user, system_id, "change")
    return Status(201, do_import_scan(request.user, system, upload))


@router.get("/scans/{scan_id}", response=ScanOut)
def get_scan(request: HttpRequest, scan_id: int) -> Any:
    return _scan(request, scan_id)


@router.post("/scans/{scan_id}/map", response=MapHostOut)
def map_unmatched_host(request: HttpRequest, scan_id: int, payload: MapHostIn) -> Any:
    """把扫描中未匹配的主机对应到本系统的资产：登记该地址，并把该主机的脆弱性归属该资产。"""
    scan = _scan(request, scan_id, "change")
    assigned = do_map_unmatched_host(request.user, scan, payload.host, payload.asset_id)
    scan.refresh_from_db()
    return {"assigned": assigned, "scan": scan}
