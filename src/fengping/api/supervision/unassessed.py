"""应评未评 through the API: the three lists of the page (`supervision.unassessed`), each
row with the department, the responsible people and the date decided (adjudicated, lapsed)."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Schema

from fengping.core import listing
from fengping.supervision import unassessed
from fengping.supervision.incident_lists import UNASSESSED

from . import router


class SvUnassessedOut(Schema):
    kind: str
    id: int
    title: str
    department_id: int
    department: str
    handler: str
    head: str
    date: dt.date | None


def _row(kind: str, obj: Any) -> dict[str, Any]:
    if kind == "matters":
        title, dept, handler, date = obj.title, obj.department, obj.created_by, obj.decided_on
    elif kind == "cases":
        title, dept, handler, date = (
            f"{obj.number} {obj.title}",
            obj.organ,
            obj.handler,
            obj.adjudicated_on,
        )
    else:
        title, dept, handler, date = (
            obj.name,
            obj.department,
            obj.created_by,
            unassessed.lapsed_on(obj),
        )
    return {
        "kind": kind,
        "id": obj.pk,
        "title": title,
        "department_id": dept.pk,
        "department": dept.name,
        "handler": unassessed.person(handler),
        "head": obj.head_name or "",
        "date": date,
    }


def _endpoint(kind: str) -> None:
    spec = UNASSESSED[kind]
    filters_model = listing.api_filters(spec, f"SvUnassessed{kind.title()}Filters")

    def handler(request: HttpRequest, filters: Query[filters_model]) -> Any:  # type: ignore[valid-type]
        if not unassessed.may_see(request.user):
            raise PermissionDenied(_("只有维稳办、联席办、监察室的人员和督查可以查看应评未评"))
        page = listing.api_page(spec, request.user, filters.model_dump())  # type: ignore[attr-defined]
        return {**page, "items": [_row(kind, o) for o in page["items"]]}

    handler.__name__ = f"unassessed_{kind}"
    handler.__doc__ = {
        "matters": "应评未评的重大事项：必须评估而未完成评估即作出决定。",
        "cases": "应评未评的案件：须评估而未经评估即裁决。",
        "systems": "缺少有效风险评估的在用信息系统。",
    }[kind]
    router.get(
        f"/unassessed/{kind}",
        response=listing.api_page_schema(SvUnassessedOut, f"SvUnassessed{kind.title()}Page"),
    )(handler)


for _kind in ("matters", "cases", "systems"):
    _endpoint(_kind)
