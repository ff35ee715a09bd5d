"""年度评估计划表 through the API: the plans one sees (filters year / department / status),
one plan with its entries and filed versions, creating it, adding / editing / removing
entries, filing it with the 维稳办 (the filing time is the server's) and the office's
签收. The same actions as the pages (supervision.actions.plans)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status

from fengping.core import listing
from fengping.core.errors import ActionError
from fengping.core.xlsx import XLSX_MIME
from fengping.matters.models import Matter
from fengping.org import access
from fengping.org.models import Department
from fengping.supervision.actions import plans as actions
from fengping.supervision.models import AnnualPlan, PlanEntry, PlanFiling
from fengping.supervision.views.plans import PLANS, plan_xlsx_bytes

from . import router


class SvPlanEntryOut(Schema):
    id: int
    matter_id: int | None = Field(None, description="已登记事项的 id；空为尚未登记的计划事项")
    title: str
    category_code: str
    planned_month: int | None
    note: str


class SvPlanFilingOut(Schema):
    id: int
    number: int = Field(..., description="版本（第N版）")
    office_id: int
    office: str
    filed_at: dt.datetime
    filed_by: str | None
    due_on: dt.date
    late: bool
    reason: str
    entries: list[dict[str, Any]] = Field(..., description="备案时的事项快照")
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None
    changes: dict[str, list[str]] | None = Field(
        None, description="与上一版相比：added 新增 / removed 移除 / changed 修改（事项名称）"
    )


class SvPlanOut(Schema):
    id: int
    department_id: int
    department: str
    year: int
    status: str
    status_label: str
    note: str
    version: int


class SvPlanDetailOut(SvPlanOut):
    entries: list[SvPlanEntryOut]
    filings: list[SvPlanFilingOut]
    file_refusal: str = Field(..., description="现在不能备案的原因；空为可以备案")


class SvPlanIn(Schema):
    department_id: int
    year: int
    note: str = ""


class SvPlanEntryIn(Schema):
    matter_id: int | None = Field(None, description="已登记的事项（本部门或下属单位）")
    title: str = Field("", max_length=200, description="尚未登记的计划事项的名称")
    category_code: str = Field("", max_length=64)
    planned_month: int | None = Field(None, ge=1, le=12)
    note: str = Field("", max_length=300)
    version: int | None = Field(None, description="计划表的 version（乐观锁）")


class SvPlanEntryEditIn(Schema):
    title: str = Field("", max_length=200)
    planned_month: int | None = Field(None, ge=1, le=12)
    note: str = Field("", max_length=300)
    matter_id: int | None = Field(None, description="关联此计划事项已登记的事项")


class SvPlanFileIn(Schema):
    office_id: int | None = Field(None, description="本组织的维稳办；空为本组织唯一的维稳办")
    reason: str = Field("", max_length=300, description="修改原因（重新备案时必填）")
    version: int | None = None


def _plan_out(plan: AnnualPlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "department_id": plan.department_id,
        "department": plan.department.name,
        "year": plan.year,
        "status": plan.status,
        "status_label": plan.get_status_display(),
        "note": plan.note,
        "version": plan.version,
    }


def _who(user: Any) -> str | None:
    return user.username if user is not None else None


def _filing_out(f: PlanFiling, changes: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {
        "id": f.pk,
        "number": f.number,
        "office_id": f.office_id,
        "office": f.office.name,
        "filed_at": f.filed_at,
        "filed_by": _who(f.filed_by),
        "due_on": f.due_on,
        "late": f.late,
        "reason": f.reason,
        "entries": f.entries,
        "acknowledged_by": _who(f.acknowledged_by),
        "acknowledged_at": f.acknowledged_at,
        "changes": changes,
    }


def _detail(plan: AnnualPlan) -> dict[str, Any]:
    filings = []
    previous = None
    for f in plan.filings.select_related("office", "filed_by", "acknowledged_by").order_by(
        "number"
    ):
        filings.append(
            _filing_out(f, actions.changes(previous, f.entries) if previous is not None else None)
        )
        previous = f.entries
    return {
        **_plan_out(plan),
        "entries": list(plan.entries.order_by("id")),
        "filings": filings,
        "file_refusal": str(actions.file_refusal(plan)),
    }


def _matter(user: Any, matter_id: int | None) -> Matter | None:
    if matter_id is None:
        return None
    return access.get_for_user(user, Matter.objects.select_related("department"), matter_id)


PlanFilters = listing.api_filters(PLANS, "SvPlanFilters")


@router.get("/plans", response=listing.api_page_schema(SvPlanOut, "SvPlanPage"))
def list_plans(request: HttpRequest, filters: Query[PlanFilters]) -> Any:  # type: ignore[valid-type]
    """可见的年度评估计划表（督查看全组织，部门看本部门及报本办备案的），可按年度、责任主体、状态筛选。"""
    page = listing.api_page(PLANS, request.user, filters.model_dump())  # type: ignore[attr-defined]
    page["items"] = [_plan_out(p) for p in page["items"]]
    return page


@router.post("/plans", response={201: SvPlanDetailOut})
def create_plan(request: HttpRequest, payload: SvPlanIn) -> Any:
    """编制一个部门某年度的计划表（每个部门每年一份；Y年度的计划表自Y-1年10月1日起可编制）。"""
    department = access.organisation_departments(request.user).filter(pk=payload.department_id)
    dept = department.first()
    if dept is None:
        raise Http404(_("对象不存在或无权访问"))
    plan = actions.do_create_plan(request.user, dept, payload.year, note=payload.note)
    return Status(201, _detail(plan))


@router.get("/plans/{plan_id}", response=SvPlanDetailOut)
def get_plan(request: HttpRequest, plan_id: int) -> Any:
    """计划表及其事项、各备案版本（含与上一版相比的变化）。"""
    return _detail(actions.plan_for(request.user, plan_id))


@router.get("/plans/{plan_id}/xlsx")
def plan_xlsx(request: HttpRequest, plan_id: int) -> Any:
    """计划表（XLSX，计划表格式）。"""
    plan = actions.plan_for(request.user, plan_id)
    response = HttpResponse(plan_xlsx_bytes(plan), content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="fengping-plan-{plan.pk}.xlsx"'
    return response


@router.post("/plans/{plan_id}/entries", response={201: SvPlanEntryOut})
def add_entry(request: HttpRequest, plan_id: int, payload: SvPlanEntryIn) -> Any:
    """列入事项：已登记的事项（matter_id，取其名称和领域）或尚未登记的计划事项（title）。
    已备案的计划表添加事项后须重新备案。"""
    plan = actions.plan_for(request.user, plan_id, need="change")
    entry = actions.do_add_entry(
        request.user,
        plan,
        matter=_matter(request.user, payload.matter_id),
        title=payload.title,
        category_code=payload.category_code,
        planned_month=payload.planned_month,
        note=payload.note,
        version=payload.version,
    )
    return Status(201, entry)


def _entry(user: Any, entry_id: int) -> PlanEntry:
    qs = PlanEntry.objects.filter(plan__in=actions.plans_visible(user)).select_related(
        "plan__department", "matter"
    )
    return access.get_for_user(user, qs, entry_id, "change")


@router.put("/plans/entries/{plan_entry_id}", response=SvPlanEntryOut)
def edit_entry(request: HttpRequest, plan_entry_id: int, payload: SvPlanEntryEditIn) -> Any:
    """修改计划事项（名称、月份、备注），或关联其已登记的事项。修改后须重新备案。"""
    entry = _entry(request.user, plan_entry_id)
    return actions.do_edit_entry(
        request.user,
        entry,
        title=payload.title or entry.title,
        planned_month=payload.planned_month,
        note=payload.note,
        matter=_matter(request.user, payload.matter_id),
    )


@router.delete("/plans/entries/{plan_entry_id}", response={204: None})
def remove_entry(request: HttpRequest, plan_entry_id: int) -> Any:
    """从计划表移除事项（已作出决定的事项不能移除）。移除后须重新备案。"""
    actions.do_remove_entry(request.user, _entry(request.user, plan_entry_id))
    return Status(204, None)


@router.post("/plans/{plan_id}/filings", response={201: SvPlanFilingOut})
def file_plan(request: HttpRequest, plan_id: int, payload: SvPlanFileIn) -> Any:
    """报维稳办备案（第N版；备案时间为服务器时间；重新备案须说明修改原因）。"""
    plan = actions.plan_for(request.user, plan_id, need="change")
    office = None
    if payload.office_id is not None:
        office = Department.objects.filter(pk=payload.office_id).first()
        if office is None:
            raise ActionError(_("计划表应报本组织的维稳办备案"), field="office_id")
    filing = actions.do_file_plan(
        request.user, plan, office=office, reason=payload.reason, version=payload.version
    )
    return Status(201, _filing_out(filing))


@router.post("/plans/filings/{plan_filing_id}/acknowledgement", response=SvPlanFilingOut)
def acknowledge(request: HttpRequest, plan_filing_id: int) -> Any:
    """签收：维稳办的人员签收一个备案版本（报送人不能签收）。"""
    filing = actions.filing_for(request.user, plan_filing_id)
    return _filing_out(actions.do_acknowledge_plan(request.user, filing))
