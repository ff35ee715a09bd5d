"""The case assessment area: overview and steps, checklist, prediction and level changes,
report, the case's 风险评估 tab and the 本阶段待评估 list."""

from __future__ import annotations

from typing import Any

from fengping.cases.actions.assessments import do_save_prediction, do_start_assessment
from fengping.cases.models import LevelChange

from ..builders import make_case

READ, CHANGE = False, True


def objects(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    courts = base["courts"]
    case = make_case(courts.fy, "（2026）示民初30号", major_complex=True, handler=courts.fy_handler)
    a = do_start_assessment(courts.fy_handler, case)
    a = do_save_prediction(
        courts.fy_handler,
        a,
        factors=["many_parties"],
        petition_probability="high",
        impact="major",
        prediction="可能引发集体上访",
        majority_unsupportive=False,
    )
    change = LevelChange.objects.create(
        assessment=a,
        from_level=a.level,
        to_level="red",
        reason="当事人扬言集体上访",
        proposed_by=courts.fy_handler,
    )
    return {"case_level_change": change.pk}


PAGES = {
    "case_assessment": {
        "cases:assessment": READ,
        "cases:assessment_complete_step": CHANGE,
        "cases:assessment_send_back": CHANGE,
        "cases:assessment_checklist": READ,
        "cases:assessment_answer": CHANGE,
        "cases:assessment_prediction": CHANGE,
        "cases:level_change_propose": CHANGE,
        "cases:assessment_report": CHANGE,
        "cases:assessment_report_docx": READ,
    },
    "case_level_change": {"cases:level_change_decide": CHANGE},
    "case": {"cases:case_assessments": READ, "cases:case_assessment_start": CHANGE},
}
READERS = {
    "case": ("supervisor",),
    "case_assessment": ("supervisor",),
    "case_level_change": ("supervisor",),
}
API_PARAMETERS = {
    "case_id": "case",
    "case_assessment_id": "case_assessment",
    "level_change_id": "case_level_change",
}
API_OPERATIONS = {
    "POST /api/cases/level-changes/{level_change_id}/decide": {
        "body": lambda o: {"approve": False}
    },
}
