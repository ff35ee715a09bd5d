"""Matters (重大事项), scoped by org.access; changes through matters.actions."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fengping.core import listing
from fengping.matters import actions
from fengping.matters.lists import MATTERS
from fengping.matters.models import DesignationBody, Matter, MatterKind
from fengping.org import access
from fengping.org.models import Department

router = Router(tags=["matters"])


class MatterOut(Schema):
    id: int
    title: str
    kind: str
    description: str
    scheme_key: str
    category_code: str
    category_label: str
    must_assess: bool
    department_id: int
    lead_department_id: int | None
    assisting_department_ids: list[int]
    deciding_authority: str
    planned_decision_date: dt.date | None
    year: int
    status: str
    status_label: str = Field(..., alias="get_status_display")
    grade: str
    grade_label: str
    designated_by_body: str
    responsibility_body: str
    responsibility_note: str
    confidential: bool
    consultation_open: bool
    plan_filed_on: dt.date | None
    version: int

    @staticmethod
    def resolve_assisting_department_ids(obj: Matter) -> list[int]:
        return [d.pk for d in obj.assisting_departments.all()]


class MatterIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    scheme_key: str
    category_code: str
    department_id: int
    kind: MatterKind = MatterKind.DECISION
    description: str = ""
    lead_department_id: int | None = None
    assisting_department_ids: list[int] = []
    deciding_authority: str = ""
    planned_decision_date: dt.date | None = None
    confidential: bool = False


class DesignateIn(Schema):
    body: DesignationBody
    note: str = Field(..., min_length=1, max_length=300)


def _dept(request: HttpRequest, pk: int | None) -> Department | None:
    """A lead or assisting department: any active department of the user's organisation
    (naming one opens none of its matters), else 404."""
    if pk is None:
        return None
    dept = access.organisation_departments(request.user).filter(pk=pk).first()
    if dept is None:
        raise Http404
    return dept


MatterFilters = listing.api_filters(MATTERS, "MatterFilters")


@router.get("/matters", response=listing.api_page_schema(MatterOut, "MatterPage"))
def list_matters(request: HttpRequest, filters: Query[MatterFilters]) -> Any:  # type: ignore[valid-type]
    """可见的评估事项，可按关键词、状态、等级、部门（含下级）、领域、方案、年度筛选。
    按键翻页：把上一页的 `next` 作为 `after` 传回；`count` 超过上限时 `count_capped` 为真。
    无法识别的筛选值被忽略并在 `messages` 中说明。"""
    page = listing.api_page(MATTERS, request.user, filters.model_dump())  # type: ignore[attr-defined]
    page["items"] = _with_assisting(page["items"])
    return page


def _with_assisting(matters: list[Matter]) -> list[Matter]:
    """One query for the assisting departments of a whole page."""
    prefetch_related_objects(matters, "assisting_departments")
    return matters


@router.get("/matters/{matter_id}", response=MatterOut)
def get_matter(request: HttpRequest, matter_id: int) -> Any:
    return access.get_for_user(request.user, Matter, matter_id)


@router.post("/matters", response={201: MatterOut})
def register_matter(request: HttpRequest, payload: MatterIn) -> Any:
    """登记评估事项（须在责任主体部门担任承办人、评估人员、分管领导或主要负责人）。"""
    department = access.get_for_user(request.user, Department, payload.department_id)
    matter = actions.do_register_matter(
        request.user,
        title=payload.title,
        scheme_key=payload.scheme_key,
        category_code=payload.category_code,
        department=department,
        kind=payload.kind,
        description=payload.description,
        lead_department=_dept(request, payload.lead_department_id),
        assisting_departments=[
            d for d in (_dept(request, i) for i in payload.assisting_department_ids) if d
        ],
        deciding_authority=payload.deciding_authority,
        planned_decision_date=payload.planned_decision_date,
        confidential=payload.confidential,
    )
    return Status(201, matter)


@router.post("/matters/{matter_id}/designate", response=MatterOut)
def designate_matter(request: HttpRequest, matter_id: int, payload: DesignateIn) -> Any:
    """登记党组/党委/政府指定评估。"""
    matter = access.get_for_user(request.user, Matter, matter_id)
    return actions.do_designate(request.user, matter, body=payload.body, note=payload.note)


class ResponsibilityIn(Schema):
    body: Literal["party_committee", "government"] = Field(
        ..., description="指定机关：党委 party_committee / 政府 government"
    )
    note: str = Field(..., min_length=1, max_length=300)


@router.post("/matters/{matter_id}/responsibility", response=MatterOut)
def designate_responsibility(
    request: HttpRequest, matter_id: int, payload: ResponsibilityIn
) -> Any:
    """登记党委、政府指定的责任主体（篇3 五：涉及多部门、职能交叉难以界定责任主体的事项；
    协助部门分属多个部门的事项须先登记，才能制定评估方案）。"""
    matter = access.get_for_user(request.user, Matter, matter_id)
    return actions.do_designate_responsibility(
        request.user, matter, body=payload.body, note=payload.note
    )
