"""Risk decisions, recommendations, 整改 tasks and reports."""

from __future__ import annotations

from typing import Any

from fengping.infosec.actions import tasks as task_actions
from fengping.infosec.actions import treatment
from fengping.infosec.models import (
    Aspect,
    Scenario,
    SystemAssessment,
    ThreatOrigin,
    ThreatRating,
    Vulnerability,
    VulnSource,
)

READ, CHANGE = False, True


def objects(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    a = SystemAssessment.objects.get(pk=base["infosec_assessment"])
    system = a.system
    threat = ThreatRating.objects.create(
        assessment=a,
        code="T-S50",
        threat_class="malicious_code",
        name="恶意代码",
        origin=ThreatOrigin.HUMAN_MALICIOUS,
        frequency=4,
    )
    asset = system.assets.order_by("id").last()
    vulns = [
        Vulnerability.objects.create(
            system=system,
            source=VulnSource.SCAN,
            aspect=Aspect.TECHNICAL,
            key=f"s50:{n}",
            title=f"漏洞{n}",
            grade="high",
            severity=4,
        )
        for n in range(3)
    ]
    scenarios = [
        Scenario.objects.create(
            assessment=a,
            asset=asset,
            threat=threat,
            vulnerability=v,
            asset_value=4,
            frequency=4,
            severity=4,
            likelihood=4,
            loss=4,
            risk=16,
            level=4,
            residual_risk=16,
            residual_level=4,
        )
        for v in vulns[:2]
    ]
    decision = treatment.do_decide(org.rsj_handler, scenarios[0], "accept", "可接受")
    rec = treatment.do_save_recommendation(org.rsj_handler, a, title="加固", kind="technical")
    treatment.do_link_recommendation(org.rsj_handler, rec, ids=[s.pk for s in scenarios])
    task = task_actions.do_create_task_from_vulnerability(org.rsj_handler, vulns[0])
    return {
        "infosec_scenario": scenarios[1].pk,
        "infosec_decision": decision.pk,
        "infosec_recommendation": rec.pk,
        "infosec_task": task.pk,
        "infosec_free_vulnerability": vulns[2].pk,
    }


PAGES = {
    "system": {
        "infosec:tasks": CHANGE,
        "infosec:tasks_export": READ,
    },
    "infosec_assessment": {
        "infosec:treatment": CHANGE,
        "infosec:decisions": READ,
        "infosec:decisions_export": READ,
        "infosec:recommendation_new": CHANGE,
        "infosec:tasks_from_risks": CHANGE,
        "infosec:report": READ,
        "infosec:report_docx": READ,
    },
    "infosec_scenario": {"infosec:decide": CHANGE},
    "infosec_decision": {
        "infosec:decision_approve": CHANGE,
        "infosec:decision_reject": CHANGE,
    },
    "infosec_recommendation": {
        "infosec:recommendation": CHANGE,
        "infosec:recommendation_link": CHANGE,
        "infosec:recommendation_delete": CHANGE,
        "infosec:recommendation_task": CHANGE,
    },
    "infosec_task": {
        "infosec:task": CHANGE,
        "infosec:task_start": CHANGE,
        "infosec:task_close": CHANGE,
        "infosec:task_cancel": CHANGE,
    },
}
READERS = {
    kind: ("supervisor",)
    for kind in ("infosec_scenario", "infosec_decision", "infosec_recommendation", "infosec_task")
}
API_PARAMETERS = {
    "system_id": "system",
    "scenario_id": "infosec_scenario",
    "decision_id": "infosec_decision",
    "recommendation_id": "infosec_recommendation",
    "task_id": "infosec_task",
}
# `assessment_id` names the ssra assessment elsewhere: these operations take the infosec one.
_ON_ASSESSMENT = [
    "GET /api/infosec/assessments/{assessment_id}/decisions",
    "PUT /api/infosec/assessments/{assessment_id}/scenarios/{scenario_id}/decision",
    "POST /api/infosec/assessments/{assessment_id}/decisions/bulk",
    "POST /api/infosec/assessments/{assessment_id}/decisions/{decision_id}/approve",
    "POST /api/infosec/assessments/{assessment_id}/decisions/{decision_id}/reject",
    "GET /api/infosec/assessments/{assessment_id}/recommendations",
    "POST /api/infosec/assessments/{assessment_id}/recommendations",
    "PUT /api/infosec/assessments/{assessment_id}/recommendations/{recommendation_id}",
    "DELETE /api/infosec/assessments/{assessment_id}/recommendations/{recommendation_id}",
    "POST /api/infosec/assessments/{assessment_id}/recommendations/{recommendation_id}/links",
    "GET /api/infosec/assessments/{assessment_id}/report.docx",
    "POST /api/infosec/assessments/{assessment_id}/tasks/from-risks",
]
API_OPERATIONS: dict[str, dict[str, Any]] = {
    key: {"params": {"assessment_id": "infosec_assessment"}} for key in _ON_ASSESSMENT
}
API_OPERATIONS["POST /api/infosec/systems/{system_id}/tasks"] = {
    "body": lambda o: {"vulnerability_id": o["infosec_free_vulnerability"]}
}
API_OPERATIONS["POST /api/infosec/systems/{system_id}/recommendation-tasks"] = {
    "body": lambda o: {"recommendation_id": o["infosec_recommendation"]}
}
