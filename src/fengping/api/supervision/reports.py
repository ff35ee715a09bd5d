"""工作进展情况报告表 through the API (`/api/supervision/reports…`): the list (filters month,
department, status), one report with its figures, creating one, correcting figures and
writing the narrative, re-pulling the figures, submitting, and for the 维稳办 returning
and 签收; the DOCX and XLSX of one report; the month's overview of the obliged
departments. The same actions as the pages (supervision.actions.reports)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status

from fengping.core import listing
from fengping.core.errors import ActionError
from fengping.core.xlsx import XLSX_MIME
from fengping.org import access
from fengping.org.models import Department
from fengping.supervision.actions import reports as actions
from fengping.supervision.models import MonthlyReport
from fengping.supervision.report_templates import monthly
from fengping.supervision.views.reports import DOCX_MIME, REPORTS, overview, report_for

from . import router


class SvReportFigureOut(Schema):
    key: str
    label: str
    group: str
    value: int = Field(..., description="报告数（本单位更正后的值）")
    pulled: int = Field(..., description="系统取数")
    corrected: bool
    as_of: str = Field(..., description="截至时间（中文）")


class SvReportOut(Schema):
    id: int
    department_id: int
    department: str
    office_id: int | None
    office: str | None
    month: str = Field(..., description="YYYY-MM")
    status: str
    status_label: str
    due_on: dt.date
    figures_at: dt.datetime | None
    submitted_by: str | None
    submitted_at: dt.datetime | None
    late: bool
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None
    return_reason: str
    work_done: str
    problems: str
    next_steps: str
    version: int


class SvReportDetailOut(SvReportOut):
    figures: list[SvReportFigureOut]


class SvReportCreateIn(Schema):
    department_id: int
    month: str = Field(..., description="YYYY-MM")


class SvReportUpdateIn(Schema):
    version: int
    figures: dict[str, int] | None = Field(None, description="数据项 key -> 更正后的数")
    work_done: str | None = Field(None, max_length=20000)
    problems: str | None = Field(None, max_length=20000)
    next_steps: str | None = Field(None, max_length=20000)


class SvReportVersionIn(Schema):
    version: int


class SvReportReturnIn(Schema):
    version: int
    reason: str = Field(..., max_length=300)


class SvReportOverviewRow(Schema):
    department_id: int
    department: str
    state: str = Field(
        ..., description="submitted 按时上报 / late 逾期上报 / overdue 逾期未报 / pending 未上报"
    )
    report_id: int | None
    status: str | None


class SvReportOverviewOut(Schema):
    month: str
    due_on: dt.date
    obliged: int
    submitted: int
    late: int
    acknowledged: int
    missing: int
    rows: list[SvReportOverviewRow]


def _name(user: Any) -> str | None:
    return user.username if user is not None else None


def _out(r: MonthlyReport) -> dict[str, Any]:
    return {
        "id": r.pk,
        "department_id": r.department_id,
        "department": r.department.name,
        "office_id": r.office_id,
        "office": r.office.name if r.office else None,
        "month": f"{r.month:%Y-%m}",
        "status": r.status,
        "status_label": r.get_status_display(),
        "due_on": r.due_on,
        "figures_at": r.figures_at,
        "submitted_by": _name(r.submitted_by),
        "submitted_at": r.submitted_at,
        "late": r.late,
        "acknowledged_by": _name(r.acknowledged_by),
        "acknowledged_at": r.acknowledged_at,
        "return_reason": r.return_reason,
        "work_done": r.work_done,
        "problems": r.problems,
        "next_steps": r.next_steps,
        "version": r.version,
    }


def _detail(r: MonthlyReport) -> dict[str, Any]:
    return {
        **_out(r),
        "figures": [
            {k: row[k] for k in ("key", "label", "group", "value", "pulled", "corrected", "as_of")}
            for row in monthly.figure_rows(r)
        ],
    }


SvReportFilters = listing.api_filters(REPORTS, "SvReportFilters")


@router.get("/reports", response=listing.api_page_schema(SvReportOut, "SvReportPage"))
def list_reports(request: HttpRequest, filters: Query[SvReportFilters]) -> Any:  # type: ignore[valid-type]
    """可见的月度工作进展情况报告表（督查看全部，各单位看本单位），可按月份（YYYY-MM-01）、
    责任主体（部门 id）、状态筛选。"""
    page = listing.api_page(REPORTS, request.user, filters.model_dump())  # type: ignore[attr-defined]
    page["items"] = [_out(r) for r in page["items"]]
    return page


@router.get("/reports/overview", response=SvReportOverviewOut)
def report_overview(request: HttpRequest, month: str = "") -> Any:
    """一个月份各应报单位的上报情况（按时、逾期、未报）。"""
    m = actions.parse_month(month) if month else timezone.localdate().replace(day=1)
    data = overview(request.user, m)
    return {
        "month": f"{m:%Y-%m}",
        "due_on": data["due_on"],
        "obliged": data["obliged"],
        **data["counts"],
        "rows": [
            {
                "department_id": row["department"].pk,
                "department": row["department"].name,
                "state": row["state"],
                "report_id": row["report"].pk if row["report"] else None,
                "status": row["report"].status if row["report"] else None,
            }
            for row in data["rows"]
        ],
    }


@router.post("/reports", response={201: SvReportDetailOut})
def create_report(request: HttpRequest, payload: SvReportCreateIn) -> Any:
    """编制一个责任主体某月的报告（从数据中提取本月数据）。"""
    department = get_object_or_404(
        access.visible(request.user, Department.objects.filter(is_active=True)),
        pk=payload.department_id,
    )
    if not actions.may_create_for(request.user, department):
        raise PermissionDenied(_("只有本单位的工作人员可以编制月度报告。"))
    report = actions.do_create_report(request.user, department, payload.month)
    return Status(201, _detail(report_for(request.user, report.pk)))


@router.get("/reports/{report_id}", response=SvReportDetailOut)
def get_report(request: HttpRequest, report_id: int) -> Any:
    return _detail(report_for(request.user, report_id))


@router.put("/reports/{report_id}", response=SvReportDetailOut)
def update_report(request: HttpRequest, report_id: int, payload: SvReportUpdateIn) -> Any:
    """更正数据（保留系统取数）、填写工作开展情况、存在的问题、下一步工作。"""
    report = report_for(request.user, report_id, "change")
    actions.do_update_report(
        request.user,
        report,
        version=payload.version,
        figures=payload.figures,
        work_done=payload.work_done,
        problems=payload.problems,
        next_steps=payload.next_steps,
    )
    return _detail(report_for(request.user, report_id))


@router.post("/reports/{report_id}/refresh", response=SvReportDetailOut)
def refresh_report(request: HttpRequest, report_id: int, payload: SvReportVersionIn) -> Any:
    """重新提取数据（本单位更正过的数据保留更正值）。"""
    report = report_for(request.user, report_id, "change")
    actions.do_refresh_figures(request.user, report, version=payload.version)
    return _detail(report_for(request.user, report_id))


@router.post("/reports/{report_id}/submit", response=SvReportDetailOut)
def submit_report(request: HttpRequest, report_id: int, payload: SvReportVersionIn) -> Any:
    """上报（退回后重新上报）；超过上报时限的首次上报记为逾期。"""
    report = report_for(request.user, report_id, "change")
    actions.do_submit_report(request.user, report, version=payload.version)
    return _detail(report_for(request.user, report_id))


@router.post("/reports/{report_id}/return", response=SvReportDetailOut)
def return_report(request: HttpRequest, report_id: int, payload: SvReportReturnIn) -> Any:
    """维稳办退回报告（须写明原因）。"""
    report = report_for(request.user, report_id)
    actions.require_office(request.user, report)
    actions.do_return_report(request.user, report, version=payload.version, reason=payload.reason)
    return _detail(report_for(request.user, report_id))


@router.post("/reports/{report_id}/acknowledge", response=SvReportDetailOut)
def acknowledge_report(request: HttpRequest, report_id: int, payload: SvReportVersionIn) -> Any:
    """维稳办签收报告；签收后报告锁定。"""
    report = report_for(request.user, report_id)
    actions.require_office(request.user, report)
    actions.do_acknowledge_report(request.user, report, version=payload.version)
    return _detail(report_for(request.user, report_id))


def _download(data: bytes, mime: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=mime)
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    return response


@router.get("/reports/{report_id}/report.docx", response={200: None})
def report_docx(request: HttpRequest, report_id: int) -> Any:
    """工作进展情况报告表（Word）。"""
    report = report_for(request.user, report_id)
    try:
        data = monthly.report_docx(report)
    except ActionError as exc:
        raise Http404(exc.message) from exc
    return _download(data, DOCX_MIME, monthly.file_name(report))


@router.get("/reports/{report_id}/report.xlsx", response={200: None})
def report_xlsx(request: HttpRequest, report_id: int) -> Any:
    """工作进展情况报告表（Excel：数据与报告两张表）。"""
    report = report_for(request.user, report_id)
    return _download(monthly.report_xlsx(report), XLSX_MIME, monthly.file_name(report, "xlsx"))
