"""Threats, security incidents and checklists (2.2, 2.3, 3.1–3.4)."""

from __future__ import annotations

from typing import Any

from fengping.infosec.models import Incident, SystemAssessment, ThreatRating

READ, CHANGE = False, True

_A = {"assessment_id": "infosec_assessment"}


def objects(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    a = SystemAssessment.objects.get(pk=base["infosec_assessment"])
    threat = ThreatRating.objects.create(
        assessment=a,
        code="T99",
        threat_class="tampering",
        name="篡改",
        origin="human_malicious",
        frequency=2,
    )
    incident = Incident.objects.create(
        system_id=base["system"],
        occurred_on="2026-01-01",
        title="网页被篡改",
        threat_class="tampering",
        recorded_by=org.rsj_handler,
    )
    return {"infosec_threat": threat.pk, "infosec_incident": incident.pk}


PAGES = {
    "infosec_assessment": {
        "infosec:assessment_threats": READ,
        "infosec:threat_add": CHANGE,
        "infosec:threat_seed": CHANGE,
        "infosec:threat_survey": CHANGE,
        "infosec:threat_refresh": CHANGE,
        "infosec:assessment_vuln_checklists": READ,
        "infosec:assessment_measures": READ,
        "infosec:checklist_answer": CHANGE,
    },
    "infosec_threat": {"infosec:threat_edit": CHANGE, "infosec:threat_delete": CHANGE},
    "system": {
        "infosec:system_incidents": READ,
        "infosec:incidents_export": READ,
        "infosec:incident_add": CHANGE,
    },
    "infosec_incident": {"infosec:incident_edit": CHANGE, "infosec:incident_delete": CHANGE},
}
READERS = {"infosec_threat": ("supervisor",), "infosec_incident": ("supervisor",)}
API_PARAMETERS = {
    "system_id": "system",
    "threat_id": "infosec_threat",
    "incident_id": "infosec_incident",
}
API_OPERATIONS = {
    f"{method} /api/infosec/assessments/{{assessment_id}}/{tail}": {"params": _A}
    for method, tail in (
        ("GET", "threats"),
        ("POST", "threats"),
        ("POST", "threats/seed"),
        ("POST", "threats/refresh"),
        ("POST", "threat-survey"),
        ("GET", "checklist-answers"),
        ("POST", "checklist-answers"),
    )
}
