"""Assessment pages and the risk tab: the rows of tests/test_url_scoping.py.

`assessment_id` means the social-stability assessment in the shared table, so every
infosec operation names its kind in `params`."""

from __future__ import annotations

from typing import Any

from fengping.infosec.models import AssessmentStatus, SystemAssessment

READ, CHANGE = False, True


def objects(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    """A finished earlier assessment of the same system, to compare with."""
    current = SystemAssessment.objects.get(pk=base["infosec_assessment"])
    earlier = SystemAssessment.objects.create(
        system=current.system,
        title="上一次评估",
        calculation=current.calculation,
        scheme_key=current.scheme_key,
        scheme_version=current.scheme_version,
        scheme_hash=current.scheme_hash,
        scheme_snapshot=current.scheme_snapshot,
        current_step="remediation",
        status=AssessmentStatus.FINISHED,
        started_by=org.rsj_handler,
    )
    return {"infosec_assessment_other": earlier.pk}


PAGES = {
    "system": {"infosec:assessment_start": CHANGE},
    "infosec_assessment": {
        "infosec:assessment": READ,
        "infosec:assessment_complete_step": CHANGE,
        "infosec:assessment_send_back": CHANGE,
        "infosec:risk": READ,
        "infosec:risk_export": READ,
        "infosec:risk_compute": CHANGE,
        "infosec:risk_heatmap": READ,
        "infosec:risk_assets": READ,
        "infosec:risk_businesses": READ,
        "infosec:risk_assets_export": READ,
        "infosec:risk_businesses_export": READ,
        "infosec:risk_compare": READ,
        "infosec:risk_compare_export": READ,
    },
}
READERS = {"infosec_assessment_other": ("supervisor",)}
API_PARAMETERS = {"system_id": "system"}

_ASSESSMENT = {"params": {"assessment_id": "infosec_assessment"}}
API_OPERATIONS = {
    f"{method} /api/infosec/assessments/{{assessment_id}}{rest}": _ASSESSMENT
    for method, rest in [
        ("GET", ""),
        ("POST", "/complete-step"),
        ("POST", "/send-back"),
        ("POST", "/risk/compute"),
        ("GET", "/risk/scenarios"),
        ("GET", "/risk/heatmap"),
        ("GET", "/risk/system"),
        ("GET", "/risk/businesses"),
        ("GET", "/risk/assets"),
    ]
}
API_OPERATIONS["GET /api/infosec/assessments/{assessment_id}/risk/compare/{other_id}"] = {
    "params": {"assessment_id": "infosec_assessment", "other_id": "infosec_assessment_other"}
}
