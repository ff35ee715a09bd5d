"""Matters (重大事项), scoped by org.access; changes through matters.actions."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from fengping.core import listing
from fengping.core.files import file_response
from fengping.matters import actions
from fengping.matters.lists import MATTERS
from fengping.matters.models import DesignationBody, Matter, MatterDocument, MatterKind
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
    approving_department_id: int | None
    deciding_organ_id: int | None
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
    complex_difficult: bool
    contested: bool
    consultation_open: bool
    consultation_closed_at: dt.datetime | None
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
    approving_department_id: int | None = None
    deciding_organ_id: int | None = None
    planned_decision_date: dt.date | None = None
    confidential: bool = False
    complex_difficult: bool = Field(False, description="重大复杂疑难事项（篇3 六(四)）")
    contested: bool = Field(False, description="争议较大、专业性较强或影响面较广（篇3 二(三)）")


class FlagsIn(Schema):
    version: int | None = None
    complex_difficult: bool = Field(..., description="重大复杂疑难事项（篇3 六(四)）")
    contested: bool = Field(..., description="争议较大、专业性较强或影响面较广（篇3 二(三)）")


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
        complex_difficult=payload.complex_difficult,
        contested=payload.contested,
        approving_department=_dept(request, payload.approving_department_id),
        deciding_organ=_dept(request, payload.deciding_organ_id),
    )
    return Status(201, matter)


@router.put("/matters/{matter_id}/flags", response=MatterOut)
def set_matter_flags(request: HttpRequest, matter_id: int, payload: FlagsIn) -> Any:
    """标记重大复杂疑难事项、争议较大/专业性较强/影响面较广的事项（决定前）。"""
    matter = access.get_for_user(request.user, Matter, matter_id)
    return actions.do_set_flags(
        request.user,
        matter,
        version=payload.version,
        complex_difficult=payload.complex_difficult,
        contested=payload.contested,
    )


@router.post("/matters/{matter_id}/designate", response=MatterOut)
def designate_matter(request: HttpRequest, matter_id: int, payload: DesignateIn) -> Any:
    """登记党组/党委/政府指定评估。"""
    matter = access.get_for_user(request.user, Matter, matter_id)
    return actions.do_designate(request.user, matter, body=payload.body, note=payload.note)


class MatterUpdate(Schema):
    version: int = Field(..., description="读取时的版本号，用于防止覆盖他人的修改")
    title: str | None = Field(None, min_length=1, max_length=200)
    kind: MatterKind | None = None
    description: str | None = None
    category_code: str | None = None
    lead_department_id: int | None = None
    assisting_department_ids: list[int] | None = None
    deciding_authority: str | None = None
    approving_department_id: int | None = Field(None, description="审批、审议部门（签署审查）")
    deciding_organ_id: int | None = Field(None, description="决策机关（签署审定）")
    planned_decision_date: dt.date | None = None
    confidential: bool | None = None
    complex_difficult: bool | None = None
    contested: bool | None = None


@router.patch("/matters/{matter_id}", response=MatterOut)
def update_matter(request: HttpRequest, matter_id: int, payload: MatterUpdate) -> Any:
    """修改登记信息（作出决定后不能再改）；只改请求中给出的字段。"""
    matter = access.get_for_user(request.user, Matter, matter_id, need="change")
    given = payload.dict(exclude_unset=True)

    def pick(name: str) -> Any:
        return given[name] if given.get(name) is not None else getattr(matter, name)

    lead = matter.lead_department
    if "lead_department_id" in given:
        lead = _dept(request, given["lead_department_id"])
    assisting = list(matter.assisting_departments.all())
    if given.get("assisting_department_ids") is not None:
        assisting = [d for d in (_dept(request, i) for i in given["assisting_department_ids"]) if d]
    signing = {}
    for field in ("approving_department", "deciding_organ"):
        signing[field] = getattr(matter, field)
        if f"{field}_id" in given:
            signing[field] = _dept(request, given[f"{field}_id"])
    actions.do_update_matter(
        request.user,
        matter,
        version=payload.version,
        title=pick("title"),
        kind=pick("kind"),
        description=pick("description"),
        category_code=pick("category_code"),
        lead_department=lead,
        assisting_departments=assisting,
        deciding_authority=pick("deciding_authority"),
        planned_decision_date=given.get("planned_decision_date", matter.planned_decision_date),
        confidential=pick("confidential"),
        complex_difficult=given.get("complex_difficult"),
        contested=given.get("contested"),
        **signing,
    )
    return access.get_for_user(request.user, Matter, matter_id)


class ConsultationIn(Schema):
    version: int | None = Field(None, description="读取时的版本号，用于防止覆盖他人的修改")
    open: bool
    summary: str = ""
    channels: str = ""
    until: dt.date | None = None


class ConsultationOut(Schema):
    consultation_open: bool
    consultation_summary: str
    consultation_channels: str
    consultation_until: dt.date | None
    version: int


@router.put("/matters/{matter_id}/consultation", response=ConsultationOut)
def set_consultation(request: HttpRequest, matter_id: int, payload: ConsultationIn) -> Any:
    """公开或停止公开征求意见（涉密事项不得公开，篇3 二(四)）。"""
    matter = access.get_for_user(request.user, Matter, matter_id)
    return actions.do_set_consultation(
        request.user,
        matter,
        open=payload.open,
        summary=payload.summary,
        channels=payload.channels,
        until=payload.until,
        version=payload.version,
    )


class DocumentOut(Schema):
    id: int
    name: str
    size: int
    sha256: str
    note: str
    uploaded_at: dt.datetime
    download_url: str

    @staticmethod
    def resolve_download_url(obj: MatterDocument) -> str:
        return f"/api/matter-documents/{obj.pk}/file"


@router.get("/matters/{matter_id}/documents", response=list[DocumentOut])
def list_documents(request: HttpRequest, matter_id: int) -> Any:
    """事项的材料。"""
    matter = access.get_for_user(request.user, Matter, matter_id)
    return list(matter.documents.order_by("pk"))


@router.post("/matters/{matter_id}/documents", response={201: DocumentOut})
def add_document(
    request: HttpRequest, matter_id: int, file: File[UploadedFile], note: Form[str] = ""
) -> Any:
    """上传事项材料（类型、大小与网页上传同样检查）。"""
    matter = access.get_for_user(request.user, Matter, matter_id)
    return Status(201, actions.do_add_document(request.user, matter, file, note=note))


@router.get("/matter-documents/{matter_document_id}/file")
def download_document(request: HttpRequest, matter_document_id: int) -> Any:
    """下载材料原件（以附件形式返回，文件名为上传时的名称）。"""
    return file_response(access.get_for_user(request.user, MatterDocument, matter_document_id))


@router.delete("/matter-documents/{matter_document_id}", response={204: None})
def remove_document(request: HttpRequest, matter_document_id: int) -> Any:
    """移除事项材料（文件本身留存供审计）。"""
    doc = access.get_for_user(
        request.user,
        MatterDocument.objects.select_related("matter"),
        matter_document_id,
        need="change",
    )
    actions.do_remove_document(request.user, doc)
    return Status(204, None)


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
