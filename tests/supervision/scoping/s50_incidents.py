"""Incidents owned by the 维稳办 and their links (to the module's matter of 人社局): the
维稳办's 督查 records and changes them, the 联席办's 督查 reads them and is refused every
change, 人社局 and 住建局 see none of them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from fengping.matters.models import Matter
from fengping.supervision.actions import incidents as actions

READ, CHANGE = False, True


def objects(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    incident = actions.do_record_incident(
        org.supervisor,
        office=org.wwb,
        kind="mass",
        title="养老金调整引发集体上访",
        occurred_at=timezone.now() - dt.timedelta(days=1),
        description="退休职工聚集",
    )
    matter = Matter.objects.get(pk=base["base"]["matter"])
    link = actions.do_link(org.supervisor, incident, matter=matter)
    return {"incident": incident.pk, "incident_link": link.pk}


PAGES = {
    "incident": {
        "supervision:incident": READ,
        "supervision:incident_edit": CHANGE,
        "supervision:incident_link": CHANGE,
        "supervision:incident_close": CHANGE,
        "supervision:incident_accountability_new": CHANGE,
        # The people picker of the decision form: only for whoever may record a decision.
        "supervision:incident_accountability_people": CHANGE,
    },
    "incident_link": {
        "supervision:incident_link_detail": READ,
        "supervision:incident_link_find": CHANGE,
        "supervision:incident_link_remove": CHANGE,
    },
}
READERS = {"incident": ("lxb_supervisor",), "incident_link": ("lxb_supervisor",)}
MEMBER_READERS = {
    "incident": ("supervisor", "lxb_supervisor"),
    "incident_link": ("supervisor", "lxb_supervisor"),
}
API_PARAMETERS = {"incident_id": "incident", "incident_link_id": "incident_link"}
API_OPERATIONS: dict[str, dict[str, Any]] = {
    # The office is looked up (any department the caller sees) before the action refuses
    # a caller who is not a member of it.
    "POST /api/supervision/incidents": {
        "kind": "incident",
        "body": lambda o: {"office_id": o["supervising_office"]},
    },
}
