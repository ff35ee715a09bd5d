"""The assessment report and the 专项工作档案 through the API, and the send-back that voids
a report: the same actions as the pages (`reports.actions`, `assessments.actions`),
scoped by org.access the same way. A refusal answers 400 with the rule in `detail`."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from fengping.assessments import actions as assessment_actions
from fengping.assessments.models import ArchiveDocument, Assessment
from fengping.core.files import file_response
from fengping.org import access
from fengping.reports import actions
from fengping.reports.archive import build_archive_zip
from fengping.reports.render import DOCX_MIME, docx_to_pdf

from .assessments_api import AssessmentOut
from .assessments_api import _out as assessment_out

router = Router(tags=["reports"])


class ReportOut(Schema):
    assessment_id: int
    report_version: int = Field(..., description="最近生成的报告版本号（0：尚未生成）")
    current: bool = Field(..., description="该版本现行有效（未因退回作废）")
    generated_at: dt.datetime | None
    sha256: str
    archive_document_id: int | None = Field(None, description="归档的报告文件")
    title: str = ""
    can_generate: bool = Field(..., description="现在可否生成报告")
    generate_refusal: str = Field("", description="不能生成的原因")
    locked: bool = Field(..., description="报告所依据的内容已锁定（须退回并说明理由才能修改）")
    lock_refusal: str = ""


class ArchiveDocumentOut(Schema):
    id: int
    title: str
    name: str
    step_code: str
    generated: bool
    report_version: int | None
    report_void: bool = Field(False, description="已因退回作废的报告版本")
    sha256: str
    size: int
    content_type: str
    uploaded_by: str
    uploaded_at: dt.datetime


class SendBackIn(Schema):
    to_step: str = Field(..., description="退回到的（之前的）步骤代码")
    reason: str = Field(..., min_length=1, max_length=2000, description="退回理由（必填）")


class FileQuery(Schema):
    format: Literal["docx", "pdf"] = Field("docx", description="docx 或 pdf（须安装 LibreOffice）")


def _get(request: HttpRequest, pk: int) -> Assessment:
    return access.get_for_user(
        request.user, Assessment.objects.select_related("matter__department"), pk
    )


def _report_out(a: Assessment) -> dict[str, Any]:
    doc = actions.latest_report(a)
    refusal = a.report_refusal()
    lock = a.lock_refusal() if a.is_content_open() else ""
    return {
        "assessment_id": a.pk,
        "report_version": a.report_version,
        "current": a.report_is_current(),
        "generated_at": a.report_generated_at,
        "sha256": a.report_sha256 if a.report_is_current() else "",
        "archive_document_id": doc.pk if doc and a.report_is_current() else None,
        "title": doc.title if doc and a.report_is_current() else "",
        "can_generate": not refusal,
        "generate_refusal": refusal,
        "locked": bool(lock),
        "lock_refusal": lock,
    }


def _doc_out(doc: ArchiveDocument, a: Assessment) -> dict[str, Any]:
    void = bool(doc.generated and doc.report_version) and not (
        a.report_is_current() and doc.report_version == a.report_version
    )
    return {
        "id": doc.pk,
        "title": doc.title,
        "name": doc.name,
        "step_code": doc.step_code,
        "generated": doc.generated,
        "report_version": doc.report_version,
        "report_void": void,
        "sha256": doc.sha256,
        "size": doc.size,
        "content_type": doc.content_type,
        "uploaded_by": str(doc.uploaded_by),
        "uploaded_at": doc.uploaded_at,
    }


def _attachment(response: HttpResponse, name: str) -> HttpResponse:
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    return response


@router.get("/assessments/{assessment_id}/report", response=ReportOut)
def report_state(request: HttpRequest, assessment_id: int) -> Any:
    """评估报告的现行版本、可否生成（不能时说明原因）以及内容是否已锁定。"""
    return _report_out(_get(request, assessment_id))


@router.post("/assessments/{assessment_id}/report", response={201: ReportOut})
def generate_report(request: HttpRequest, assessment_id: int) -> Any:
    """生成评估报告（新版本号）并归入专项工作档案。仅在“形成评估报告”步骤、定级步骤完成后；
    生成后报告所依据的内容即锁定。"""
    a = _get(request, assessment_id)
    actions.do_generate_report(request.user, a)
    a.refresh_from_db()
    return Status(201, _report_out(a))


@router.get("/assessments/{assessment_id}/report/file")
def download_report(request: HttpRequest, assessment_id: int, q: Query[FileQuery]) -> Any:
    """下载现行报告（docx，或 format=pdf；未安装 LibreOffice 时返回 409 并说明）。
    没有现行报告时为标明“草稿”的当前内容。"""
    a = _get(request, assessment_id)
    data, name = actions.report_bytes(a)
    if q.format == "pdf":
        body = docx_to_pdf(data)
        pdf_name = name.rsplit(".", 1)[0] + ".pdf"
        return _attachment(HttpResponse(body, content_type="application/pdf"), pdf_name)
    return _attachment(HttpResponse(data, content_type=DOCX_MIME), name)


@router.get("/assessments/{assessment_id}/archive", response=list[ArchiveDocumentOut])
def list_archive(request: HttpRequest, assessment_id: int) -> Any:
    """专项工作档案中的材料（含各版报告，已作废的版本标明）。"""
    a = _get(request, assessment_id)
    docs = a.archive.select_related("uploaded_by").order_by("uploaded_at", "id")
    return [_doc_out(d, a) for d in docs]


@router.post("/assessments/{assessment_id}/archive", response={201: ArchiveDocumentOut})
def upload_archive(
    request: HttpRequest,
    assessment_id: int,
    file: File[UploadedFile],
    title: Form[str] = "",
) -> Any:
    """向专项工作档案归档一份材料（multipart：file，可选 title）。"""
    a = _get(request, assessment_id)
    doc = assessment_actions.do_archive_document(request.user, a, file, title=title)
    return Status(201, _doc_out(doc, a))


@router.get("/archive-documents/{document_id}/file")
def download_archive_document(request: HttpRequest, document_id: int) -> Any:
    """下载档案中的一份材料。"""
    return file_response(access.get_for_user(request.user, ArchiveDocument, document_id))


@router.get("/assessments/{assessment_id}/archive.zip")
def download_archive_zip(request: HttpRequest, assessment_id: int) -> Any:
    """专项工作档案 ZIP：全部材料、征求意见纪要与附件、问卷结果（XLSX）、审查、决定和备案，附目录与 SHA-256。"""
    a = _get(request, assessment_id)
    name = actions.safe_name(f"{a.matter.title}-专项工作档案.zip")
    return FileResponse(
        build_archive_zip(a, request.user),
        as_attachment=True,
        filename=name,
        content_type="application/zip",
    )


@router.post("/assessments/{assessment_id}/send-back", response=AssessmentOut)
def send_back(request: HttpRequest, assessment_id: int, payload: SendBackIn) -> Any:
    """退回到之前的步骤（须说明理由）：作废现行报告版本和本轮全部审查意见，重新生成、重新审查。"""
    a = _get(request, assessment_id)
    a = assessment_actions.do_send_back(request.user, a, payload.to_step, payload.reason)
    return assessment_out(a)
