"""The resolution of a case's risk: the assessment's 防范和处置预案, 责任 and 风险化解 tabs,
a measure with its status and evidence, the case's 裁决确认 (the head's confirmation)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fengping.cases.actions import resolution
from fengping.cases.models import CaseAssessment

READ, CHANGE = False, True


def objects(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    courts = base["courts"]
    a = CaseAssessment.objects.get(pk=base["case_assessment"])
    measure = resolution.do_add_measure(
        courts.fy_handler,
        a,
        title="释法说理",
        responsible_unit=courts.fy,
        due_on=timezone.localdate() + dt.timedelta(days=7),
    )
    evidence = resolution.do_add_evidence(
        courts.fy_handler, measure, SimpleUploadedFile("回访.txt", "回访".encode())
    )
    return {"case_measure": measure.pk, "case_evidence": evidence.pk}


PAGES = {
    "case_assessment": {
        "cases:resolution_plan": CHANGE,
        "cases:resolution_measure_add": CHANGE,
        "cases:resolution_responsibility": CHANGE,
        "cases:resolution_accountability_add": CHANGE,
        "cases:resolution": CHANGE,
        "cases:resolution_decide": CHANGE,
    },
    "case_measure": {
        "cases:resolution_measure": CHANGE,
        "cases:resolution_measure_status": CHANGE,
        "cases:resolution_evidence_add": CHANGE,
    },
    "case_evidence": {"cases:resolution_evidence": READ},
    "case": {"cases:resolution_confirm": CHANGE},
}
# The 维稳办 supervisor reads the court's cases and changes nothing: not a leader or head
# of the court (responsibility, decisions, the confirmation) nor a supervisor above it
# (责任查究).
READERS = {
    "case": ("supervisor",),
    "case_assessment": ("supervisor",),
    "case_measure": ("supervisor",),
    "case_evidence": ("supervisor",),
}
API_PARAMETERS = {
    "case_id": "case",
    "case_assessment_id": "case_assessment",
    "case_measure_id": "case_measure",
    "case_evidence_id": "case_evidence",
}
API_OPERATIONS: dict[str, dict[str, Any]] = {}
