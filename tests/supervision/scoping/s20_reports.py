"""The monthly progress report (工作进展情况报告表): the report's pages and API, and the
维稳办's steps (return, 签收), which 人社局's own members meet as 403."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from fengping.supervision.actions import reports as actions

READ, CHANGE = False, True


def last_month():
    return (timezone.localdate().replace(day=1) - timezone.timedelta(days=1)).replace(day=1)


def objects(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    report = actions.do_create_report(org.rsj_handler, org.rsj, last_month())
    report = actions.do_update_report(
        org.rsj_handler, report, version=report.version, work_done="按计划开展评估"
    )
    report = actions.do_submit_report(org.rsj_handler, report, version=report.version)
    return {"sv_report": report.pk, "sv_report_office": report.pk}


PAGES = {
    "sv_report": {
        "supervision:report": READ,
        "supervision:report_docx": READ,
        "supervision:report_xlsx": READ,
        "supervision:report_edit": CHANGE,
        "supervision:report_refresh": CHANGE,
        "supervision:report_submit": CHANGE,
    },
    # The office's steps: 人社局's head reads the report but may not sign for the office.
    "sv_report_office": {
        "supervision:report_return": CHANGE,
        "supervision:report_acknowledge": CHANGE,
    },
}
READERS = {"sv_report": ("supervisor",), "sv_report_office": ("rsj_head",)}
API_PARAMETERS = {"report_id": "sv_report"}
_OFFICE = {"params": {"report_id": "sv_report_office"}, "readers": ("rsj_head",)}
API_OPERATIONS: dict[str, dict[str, Any]] = {
    "POST /api/supervision/reports": {
        "kind": "sv_report",
        "body": lambda o: {"department_id": o["department"], "month": f"{last_month():%Y-%m}"},
    },
    "POST /api/supervision/reports/{report_id}/return": {
        **_OFFICE,
        "body": lambda o: {"reason": "数据不全"},
    },
    "POST /api/supervision/reports/{report_id}/acknowledge": dict(_OFFICE),
}
