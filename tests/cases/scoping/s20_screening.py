"""The monthly screening: runs, results, the work list and its decisions, the case's tab."""

from __future__ import annotations

from typing import Any

from fengping.cases import screening as sc
from fengping.cases.models import OrganProfile, ScreeningResult

from ..builders import make_case

READ, CHANGE = False, True


def objects(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    courts = base["courts"]
    make_case(courts.fy, "（2026）示刑初20号", officer_misconduct=True, handler=courts.fy_handler)
    profile = OrganProfile.objects.select_related("department").get(department=courts.fy)
    run = sc.screen(profile, sc.month_start(sc.timezone.localdate()))
    result = ScreeningResult.objects.filter(run=run, flagged=True).order_by("id").first()
    return {"case_screening_run": run.pk, "case_screening_result": result.pk}


PAGES = {
    "case_organ": {"cases:screening_run_now": CHANGE},
    "case_screening_run": {
        "cases:screening_run": READ,
        "cases:screening_run_export": READ,
        "cases:screening_worklist": READ,
        "cases:screening_worklist_export": READ,
    },
    "case_screening_result": {"cases:screening_decide": CHANGE},
    "case": {"cases:case_screening": READ},
}
READERS = {
    kind: ("supervisor",)
    for kind in ("case_organ", "case", "case_screening_run", "case_screening_result")
}
API_PARAMETERS = {
    "run_id": "case_screening_run",
    "result_id": "case_screening_result",
    "organ_id": "case_organ",
}
API_OPERATIONS: dict[str, dict[str, Any]] = {
    "POST /api/cases/screening/results/{result_id}/decision": {
        "body": lambda o: {"choice": "not_target", "reason": "经研判无风险"}
    },
}
