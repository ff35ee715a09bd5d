"""Incidents, the investigation per linked matter, case or system, and accountability
decisions through the API (篇1 七(二), 篇3 七(四)): the same actions as the pages
(`supervision.actions.incidents`) and the same history and proposal
(`supervision.investigation`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status

from fengping.core import listing
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import Department, User
from fengping.supervision import investigation
from fengping.supervision.actions import incidents as actions
from fengping.supervision.incident_lists import ACCOUNTABILITY, INCIDENTS
from fengping.supervision.models import (
    AccountabilityDecision,
    Finding,
    Incident,
    IncidentLink,
)

from . import router

# ------------------------------------------------------------------ schemas


class SvIncidentIn(Schema):
    kind: Literal["unstable", "mass", "petition", "infosec"] = Field(
        ...,
        description="unstable 不稳定事件 / mass 群体性事件 / petition 大规模集体上访 / infosec 信息安全事件",
    )
    title: str
    occurred_at: dt.datetime
    place: str = ""
    people: int = 0
    description: str
    cause: str = ""
    losses: str = ""
    serious: bool = False


class SvIncidentCreateIn(SvIncidentIn):
    office_id: int = Field(..., description="登记机关（维稳办、联席办或监察室）")


class SvIncidentUpdateIn(SvIncidentIn):
    version: int


class SvIncidentOut(Schema):
    id: int
    office_id: int
    office: str
    kind: str
    kind_label: str
    title: str
    occurred_at: dt.datetime
    place: str
    people: int
    description: str
    cause: str
    losses: str
    serious: bool
    closed_at: dt.datetime | None
    version: int


class SvLinkIn(Schema):
    kind: Literal["matter", "case", "system"]
    ref: str = Field(..., description="事项编号、案号或系统编号")


class SvLinkOut(Schema):
    id: int
    incident_id: int
    kind: str
    target_id: int
    target: str
    department_id: int
    department: str
    history: dict[str, Any] = Field(..., description="调查材料：认定后为存档记录，之前实时汇总")
    proposed: str = Field(..., description="建议认定")
    signs: list[str] = Field(..., description="建议认定的依据")
    finding: str
    finding_note: str
    found_by: str | None
    found_at: dt.datetime | None
    version: int


class SvFindingIn(Schema):
    finding: Literal["not_assessed", "formality", "not_implemented", "mitigated", "not_required"]
    note: str = ""
    version: int | None = None


class SvDecisionIn(Schema):
    department_id: int = Field(..., description="被追究单位：登记机关可以查看的部门")
    person_role: Literal["unit", "main", "direct", "leader"]
    measure: Literal[
        "criticism", "admonition", "self_criticism", "organisational", "discipline", "evaluation"
    ]
    doc_number: str
    decided_on: dt.date
    reason: str
    link_id: int | None = None
    user_id: int | None = Field(
        None, description="被追究人（本系统用户）：须在被追究单位任职；对单位的追究不填"
    )
    person_username: str | None = Field(None, description="被追究人的用户名（同 user_id，二选一）")
    person_name: str = Field(
        "", description="被追究人姓名：只在被追究人不是本系统用户时填写（填 user_id 时不填）"
    )
    discipline: Literal[
        "", "warning", "demerit", "major_demerit", "demotion", "dismissal_from_post", "expulsion"
    ] = ""
    mitigated: bool = False


class SvDecisionOut(Schema):
    id: int
    incident_id: int
    link_id: int | None
    department_id: int
    department: str
    user_id: int | None = Field(..., description="被追究人为本系统用户时的用户 id")
    person_name: str
    person_role: str
    measure: str
    measure_label: str
    discipline: str
    mitigated: bool
    doc_number: str
    decided_on: dt.date
    reason: str


# ------------------------------------------------------------------ helpers


def _incident_out(i: Incident) -> dict[str, Any]:
    return {
        "id": i.pk,
        "office_id": i.office_id,
        "office": i.office.name,
        "kind": i.kind,
        "kind_label": str(i.get_kind_display()),
        "title": i.title,
        "occurred_at": i.occurred_at,
        "place": i.place,
        "people": i.people,
        "description": i.description,
        "cause": i.cause,
        "losses": i.losses,
        "serious": i.serious,
        "closed_at": i.closed_at,
        "version": i.version,
    }


def _link_out(link: IncidentLink) -> dict[str, Any]:
    history = investigation.history_of(link)
    stored = history.get("proposal") if link.finding else None
    proposed, signs = (
        (stored["finding"], stored["signs"]) if stored else investigation.propose(history)
    )
    kind = "matter" if link.matter_id else "case" if link.case_id else "system"
    return {
        "id": link.pk,
        "incident_id": link.incident_id,
        "kind": kind,
        "target_id": link.matter_id or link.case_id or link.system_id,
        "target": str(link.target),
        "department_id": link.department_id,
        "department": link.department.name,
        "history": history,
        "proposed": proposed,
        "signs": signs,
        "finding": link.finding,
        "finding_note": link.finding_note,
        "found_by": link.found_by.username if link.found_by_id else None,
        "found_at": link.found_at,
        "version": link.version,
    }


def _decision_out(d: AccountabilityDecision) -> dict[str, Any]:
    return {
        "id": d.pk,
        "incident_id": d.incident_id,
        "link_id": d.link_id,
        "department_id": d.department_id,
        "department": d.department.name,
        "user_id": d.person_id,
        "person_name": d.person_name,
        "person_role": d.person_role,
        "measure": d.measure,
        "measure_label": str(d.get_measure_display()),
        "discipline": d.discipline,
        "mitigated": d.mitigated,
        "doc_number": d.doc_number,
        "decided_on": d.decided_on,
        "reason": d.reason,
    }


def _incident(request: HttpRequest, pk: int, need: Any = "view") -> Incident:
    return access.get_for_user(request.user, Incident.objects.select_related("office"), pk, need)


def _link(request: HttpRequest, pk: int, need: Any = "view") -> IncidentLink:
    return access.get_for_user(
        request.user,
        IncidentLink.objects.select_related(
            "incident__office", "matter", "case", "system", "department", "found_by"
        ),
        pk,
        need,
    )


# ------------------------------------------------------------------ endpoints

SvIncidentFilters = listing.api_filters(INCIDENTS, "SvIncidentFilters")


@router.get("/incidents", response=listing.api_page_schema(SvIncidentOut, "SvIncidentPage"))
def list_incidents(request: HttpRequest, filters: Query[SvIncidentFilters]) -> Any:  # type: ignore[valid-type]
    page = listing.api_page(INCIDENTS, request.user, filters.model_dump())  # type: ignore[attr-defined]
    return {**page, "items": [_incident_out(i) for i in page["items"]]}


@router.post("/incidents", response={201: SvIncidentOut})
def record_incident(request: HttpRequest, payload: SvIncidentCreateIn) -> Any:
    """登记事件（登记机关的人员）。"""
    office = access.get_for_user(request.user, Department, payload.office_id)
    data = payload.model_dump(exclude={"office_id"})
    return Status(
        201, _incident_out(actions.do_record_incident(request.user, office=office, **data))
    )


@router.get("/incidents/{incident_id}", response=SvIncidentOut)
def get_incident(request: HttpRequest, incident_id: int) -> Any:
    return _incident_out(_incident(request, incident_id))


@router.put("/incidents/{incident_id}", response=SvIncidentOut)
def update_incident(request: HttpRequest, incident_id: int, payload: SvIncidentUpdateIn) -> Any:
    """修改事件（送回读到的 version）；调查终结后不能修改。"""
    incident = _incident(request, incident_id, "change")
    data = payload.model_dump()
    return _incident_out(actions.do_update_incident(request.user, incident, **data))


@router.post("/incidents/{incident_id}/close", response=SvIncidentOut)
def close_incident(request: HttpRequest, incident_id: int) -> Any:
    """调查终结：每项关联都已作出认定。"""
    incident = _incident(request, incident_id, "change")
    return _incident_out(actions.do_close_incident(request.user, incident))


@router.get("/incidents/{incident_id}/links", response=list[SvLinkOut])
def list_links(request: HttpRequest, incident_id: int) -> Any:
    incident = _incident(request, incident_id)
    links = incident.links.select_related("matter", "case", "system", "department", "found_by")
    return [_link_out(link) for link in links]


@router.post("/incidents/{incident_id}/links", response={201: SvLinkOut})
def link_object(request: HttpRequest, incident_id: int, payload: SvLinkIn) -> Any:
    """关联一项事项（编号）、案件（案号）或信息系统（系统编号）。"""
    incident = _incident(request, incident_id, "change")
    target = actions.resolve_target(request.user, payload.kind, payload.ref)
    link = actions.do_link(request.user, incident, **{payload.kind: target})
    return Status(201, _link_out(link))


@router.get("/incident-links/{incident_link_id}", response=SvLinkOut)
def get_link(request: HttpRequest, incident_link_id: int) -> Any:
    """调查材料与建议认定（认定前实时汇总，认定后为存档记录）。"""
    return _link_out(_link(request, incident_link_id))


@router.delete("/incident-links/{incident_link_id}", response={204: None})
def unlink_object(request: HttpRequest, incident_link_id: int) -> Any:
    link = _link(request, incident_link_id, "change")
    actions.do_unlink(request.user, link)
    return Status(204, None)


@router.post("/incident-links/{incident_link_id}/finding", response=SvLinkOut)
def adopt_finding(request: HttpRequest, incident_link_id: int, payload: SvFindingIn) -> Any:
    """作出认定；与建议认定不同或改变已作出的认定须写明认定意见。"""
    link = _link(request, incident_link_id, "change")
    link = actions.do_adopt_finding(
        request.user, link, finding=payload.finding, note=payload.note, version=payload.version
    )
    return _link_out(link)


@router.get("/incidents/{incident_id}/accountability", response=list[SvDecisionOut])
def incident_decisions(request: HttpRequest, incident_id: int) -> Any:
    incident = _incident(request, incident_id)
    qs = access.visible(
        request.user,
        AccountabilityDecision.objects.filter(incident=incident).select_related("department"),
    )
    return [_decision_out(d) for d in qs]


@router.post("/incidents/{incident_id}/accountability", response={201: SvDecisionOut})
def record_decision(request: HttpRequest, incident_id: int, payload: SvDecisionIn) -> Any:
    """登记责任追究决定：须有决定文号；纪律处分只在追究方式为 discipline 时填写；
    酌情减轻只用于认定为 mitigated 的关联。被追究单位须是登记机关可以查看的部门；
    被追究人为本系统用户的填 user_id（须在被追究单位任职），不是的只填 person_name。"""
    incident = _incident(request, incident_id, "change")
    department = access.get_for_user(request.user, Department, payload.department_id)
    link = None
    if payload.link_id is not None:
        link = _link(request, payload.link_id)
    person = None
    if payload.user_id is not None:
        person = access.get_for_user(request.user, User, payload.user_id)
    if payload.person_username:
        named = access.get_for_user(
            request.user,
            User,
            User.objects.filter(username=payload.person_username)
            .values_list("pk", flat=True)
            .first(),
        )
        if person is not None and named.pk != person.pk:
            raise ActionError(_("user_id 与 person_username 不是同一人"), field="person")
        person = named
    data = payload.model_dump(exclude={"department_id", "link_id", "user_id", "person_username"})
    decision = actions.do_record_decision(
        request.user, incident, department=department, link=link, person=person, **data
    )
    return Status(201, _decision_out(decision))


SvAccountabilityFilters = listing.api_filters(ACCOUNTABILITY, "SvAccountabilityFilters")


@router.get(
    "/accountability", response=listing.api_page_schema(SvDecisionOut, "SvAccountabilityPage")
)
def list_accountability(request: HttpRequest, filters: Query[SvAccountabilityFilters]) -> Any:  # type: ignore[valid-type]
    page = listing.api_page(ACCOUNTABILITY, request.user, filters.model_dump())  # type: ignore[attr-defined]
    return {**page, "items": [_decision_out(d) for d in page["items"]]}


FINDINGS = {code: str(label) for code, label in Finding.choices}
