"""具体实施办法和工作方案 through the API: the filings one sees, one with its documents and
receipts, registering one, uploading and removing files before filing, filing it with the
维稳办 and 联席办 (server time) and each office's 签收. The same actions as the pages
(supervision.actions.rules_filing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Schema, Status, UploadedFile

from fengping.core import listing
from fengping.core.files import file_response
from fengping.org import access
from fengping.supervision.actions import rules_filing as actions
from fengping.supervision.models import RulesFiling, RulesReceipt
from fengping.supervision.views.rules_filing import RULES

from . import router


class SvRulesDocumentOut(Schema):
    id: int
    name: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


class SvRulesReceiptOut(Schema):
    id: int
    office_id: int
    office: str
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None


class SvRulesOut(Schema):
    id: int
    department_id: int
    department: str
    year: int
    number: int = Field(..., description="版本（第N版）")
    title: str
    doc_number: str
    due_on: dt.date
    filed_at: dt.datetime | None
    filed_by: str | None
    late: bool
    version: int


class SvRulesDetailOut(SvRulesOut):
    documents: list[SvRulesDocumentOut]
    receipts: list[SvRulesReceiptOut]
    file_refusal: str


class SvRulesIn(Schema):
    department_id: int
    year: int
    title: str = Field(..., max_length=200)
    doc_number: str = Field("", max_length=60)


def _out(r: RulesFiling) -> dict[str, Any]:
    return {
        "id": r.pk,
        "department_id": r.department_id,
        "department": r.department.name,
        "year": r.year,
        "number": r.number,
        "title": r.title,
        "doc_number": r.doc_number,
        "due_on": r.due_on,
        "filed_at": r.filed_at,
        "filed_by": r.filed_by.username if r.filed_by_id else None,  # type: ignore[union-attr]
        "late": r.late,
        "version": r.version,
    }


def _receipt_out(r: RulesReceipt) -> dict[str, Any]:
    return {
        "id": r.pk,
        "office_id": r.office_id,
        "office": r.office.name,
        "acknowledged_by": r.acknowledged_by.username if r.acknowledged_by_id else None,  # type: ignore[union-attr]
        "acknowledged_at": r.acknowledged_at,
    }


def _detail(r: RulesFiling) -> dict[str, Any]:
    return {
        **_out(r),
        "documents": list(r.documents.order_by("pk")),
        "receipts": [
            _receipt_out(x) for x in r.receipts.select_related("office", "acknowledged_by")
        ],
        "file_refusal": str(actions.file_refusal(r)),
    }


RulesFilters = listing.api_filters(RULES, "SvRulesFilters")


@router.get("/rules", response=listing.api_page_schema(SvRulesOut, "SvRulesPage"))
def list_rules(request: HttpRequest, filters: Query[RulesFilters]) -> Any:  # type: ignore[valid-type]
    """可见的具体实施办法和工作方案，可按年度、责任主体、状态（draft/filed）筛选。"""
    page = listing.api_page(RULES, request.user, filters.model_dump())  # type: ignore[attr-defined]
    page["items"] = [_out(r) for r in page["items"]]
    return page


@router.post("/rules", response={201: SvRulesDetailOut})
def register_rules(request: HttpRequest, payload: SvRulesIn) -> Any:
    """登记（文件随后上传；修订后的文本另行登记为新的版本）。"""
    dept = access.organisation_departments(request.user).filter(pk=payload.department_id).first()
    if dept is None:
        raise Http404(_("对象不存在或无权访问"))
    filing = actions.do_register_rules(
        request.user, dept, year=payload.year, title=payload.title, doc_number=payload.doc_number
    )
    return Status(201, _detail(filing))


@router.get("/rules/{rules_id}", response=SvRulesDetailOut)
def get_rules(request: HttpRequest, rules_id: int) -> Any:
    return _detail(actions.rules_for(request.user, rules_id))


@router.post("/rules/{rules_id}/documents", response={201: SvRulesDocumentOut})
def add_document(request: HttpRequest, rules_id: int, file: File[UploadedFile]) -> Any:
    """上传文件（报送前）。"""
    filing = actions.rules_for(request.user, rules_id, need="change")
    return Status(201, actions.do_add_rules_document(request.user, filing, file))


@router.get("/rules/documents/{rules_document_id}/file")
def download_document(request: HttpRequest, rules_document_id: int) -> Any:
    return file_response(actions.document_for(request.user, rules_document_id))


@router.delete("/rules/documents/{rules_document_id}", response={204: None})
def remove_document(request: HttpRequest, rules_document_id: int) -> Any:
    """删除文件（报送前）。"""
    doc = actions.document_for(request.user, rules_document_id, need="change")
    actions.do_remove_rules_document(request.user, doc)
    return Status(204, None)


@router.post("/rules/{rules_id}/filing", response=SvRulesDetailOut)
def file_rules(request: HttpRequest, rules_id: int) -> Any:
    """报送维稳办、联席办（报送时间为服务器时间；各办各自签收）。"""
    filing = actions.rules_for(request.user, rules_id, need="change")
    return _detail(actions.do_file_rules(request.user, filing))


@router.post("/rules/receipts/{rules_receipt_id}/acknowledgement", response=SvRulesReceiptOut)
def acknowledge(request: HttpRequest, rules_receipt_id: int) -> Any:
    """签收：收文办公室的人员签收本办的一份（报送人不能签收）。"""
    receipt = actions.receipt_for(request.user, rules_receipt_id)
    return _receipt_out(actions.do_acknowledge_rules(request.user, receipt))
