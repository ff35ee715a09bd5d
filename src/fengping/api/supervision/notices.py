"""督办通知 through the API: the notices one may see, one notice (and its DOCX), issuing a
notice for an overdue obligation, an office's register (发文字 and the numbers given).
The same actions as the pages (supervision.actions.notices)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from ninja import Field, Query, Schema, Status

from fengping.core import listing
from fengping.org import access
from fengping.org.models import Department
from fengping.reports.render import DOCX_MIME
from fengping.supervision import notice_docx
from fengping.supervision.actions import notices as actions
from fengping.supervision.models import DocumentRegister, SupervisionNotice
from fengping.supervision.views.notices import (
    NOTICES,
    notice_for,
    obligation_for_issue,
    office_for_register,
)

from . import router


class SvNoticeOut(Schema):
    id: int
    doc_number: str = Field(..., description="文号，如 维稳办督〔2026〕1号")
    year: int
    number: int
    title: str
    body: str
    reply_by: dt.date | None
    office_id: int
    office: str
    department_id: int
    department: str
    obligation_id: int
    issued_by: str
    issued_at: dt.datetime


class SvNoticeIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1, max_length=10000)
    reply_by: dt.date | None = Field(None, description="限期办结日期")


class SvRegisterOut(Schema):
    office_id: int
    office: str
    year: int
    prefix: str = Field(..., description="发文字")
    last_number: int = Field(..., description="本年度已用到的编号")
    next_doc_number: str


class SvRegisterIn(Schema):
    prefix: str = Field(..., min_length=1, max_length=actions.PREFIX_MAX)


def _out(n: SupervisionNotice) -> dict[str, Any]:
    return {
        "id": n.pk,
        "doc_number": n.doc_number,
        "year": n.year,
        "number": n.number,
        "title": n.title,
        "body": n.body,
        "reply_by": n.reply_by,
        "office_id": n.office_id,
        "office": n.office.name,
        "department_id": n.department_id,
        "department": n.department.name,
        "obligation_id": n.obligation_id,
        "issued_by": n.issued_by.username,
        "issued_at": n.issued_at,
    }


def _register_out(office: Any) -> dict[str, Any]:
    year = timezone.localdate().year
    reg = DocumentRegister.objects.filter(office=office, year=year).first()
    prefix = reg.prefix if reg else actions.default_prefix(office)
    last = reg.last_number if reg else 0
    return {
        "office_id": office.pk,
        "office": office.name,
        "year": year,
        "prefix": prefix,
        "last_number": last,
        "next_doc_number": actions.doc_number(prefix, year, last + 1),
    }


SvNoticeFilters = listing.api_filters(NOTICES, "SvNoticeFilters")


@router.get("/notices", response=listing.api_page_schema(SvNoticeOut, "SvNoticePage"))
def list_notices(request: HttpRequest, filters: Query[SvNoticeFilters]) -> Any:  # type: ignore[valid-type]
    """可见的督办通知：本单位收到的，以及本人所在督办机关签发的；可按 q、year、office 筛选。"""
    page = listing.api_page(NOTICES, request.user, filters.model_dump())  # type: ignore[attr-defined]
    page["items"] = [_out(n) for n in page["items"]]
    return page


@router.get("/notices/{notice_id}", response=SvNoticeOut)
def get_notice(request: HttpRequest, notice_id: int) -> Any:
    return _out(notice_for(request.user, notice_id))


@router.get("/notices/{notice_id}/notice.docx", response={200: None})
def get_notice_docx(request: HttpRequest, notice_id: int) -> Any:
    """督办通知（Word，红头格式）。"""
    n = notice_for(request.user, notice_id)
    response = HttpResponse(notice_docx.notice_docx(n), content_type=DOCX_MIME)
    response["Content-Disposition"] = (
        content_disposition_header(True, notice_docx.file_name(n)) or "attachment"
    )
    return response


@router.post("/obligations/{notice_obligation_id}/notices", response={201: SvNoticeOut})
def issue_notice(request: HttpRequest, notice_obligation_id: int, payload: SvNoticeIn) -> Any:
    """督办机关的工作人员为逾期未完成的事项签发督办通知（文号按本机关本年度发文登记顺序编号）。"""
    ob = obligation_for_issue(request.user, notice_obligation_id)
    notice = actions.do_issue_notice(request.user, ob, **payload.model_dump())
    return Status(201, _out(notice))


@router.get("/notice-registers/{notice_office_id}", response=SvRegisterOut)
def get_register(request: HttpRequest, notice_office_id: int) -> Any:
    """督办机关本年度的督办通知发文登记（发文字、已用编号、下一个文号）。"""
    return _register_out(access.get_for_user(request.user, Department, notice_office_id))


@router.put("/notice-registers/{notice_office_id}", response=SvRegisterOut)
def set_register_prefix(request: HttpRequest, notice_office_id: int, payload: SvRegisterIn) -> Any:
    """修改督办机关本年度的发文字（已签发的文号不变）。"""
    office = office_for_register(request.user, notice_office_id)
    actions.do_set_register_prefix(request.user, office, prefix=payload.prefix)
    return _register_out(office)
