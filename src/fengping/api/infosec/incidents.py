"""The system's past security incidents (2.2): list, record, edit, remove."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema, Status

from fengping.infosec.actions import incidents as actions
from fengping.infosec.models import Incident
from fengping.infosec.queries import system_for
from fengping.org import access

from . import router


class InfosecIncidentOut(Schema):
    id: int
    occurred_on: dt.date
    title: str
    threat_class: str
    description: str
    version: int


class InfosecIncidentIn(Schema):
    occurred_on: dt.date
    title: str = Field(..., min_length=1, max_length=200)
    threat_class: str = Field(..., description="方案威胁分类的代码")
    description: str = ""


class InfosecIncidentUpdateIn(InfosecIncidentIn):
    version: int | None = Field(None, description="读取时的版本号")


def _incident(request: HttpRequest, incident_id: int) -> Incident:
    return access.get_for_user(
        request.user, Incident.objects.select_related("system__department"), incident_id, "change"
    )


@router.get("/systems/{system_id}/incidents", response=list[InfosecIncidentOut])
def list_incidents(request: HttpRequest, system_id: int) -> Any:
    return list(system_for(request.user, system_id).incidents.all()[:1000])


@router.post("/systems/{system_id}/incidents", response={201: InfosecIncidentOut})
def record_incident(request: HttpRequest, system_id: int, payload: InfosecIncidentIn) -> Any:
    system = system_for(request.user, system_id, "change")
    return Status(201, actions.do_record_incident(request.user, system, **payload.model_dump()))


@router.put("/incidents/{incident_id}", response=InfosecIncidentOut)
def update_incident(
    request: HttpRequest, incident_id: int, payload: InfosecIncidentUpdateIn
) -> Any:
    inc = _incident(request, incident_id)
    return actions.do_update_incident(request.user, inc, **payload.model_dump())


@router.delete("/incidents/{incident_id}", response={204: None})
def remove_incident(request: HttpRequest, incident_id: int) -> Any:
    actions.do_remove_incident(request.user, _incident(request, incident_id))
    return Status(204, None)
