"""The report (assessment tab 报告): the DOCX of one assessment, and the estate's summary
report of every system the user can see (a button on the systems list)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy

from fengping.core.errors import ActionError
from fengping.core.policy import authenticated
from fengping.reports.actions import safe_name
from fengping.reports.render import DOCX_MIME, template_for

from .. import report
from ..queries import assessment_for
from ..tabs import Tab, register, tabs_for


def _docx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=DOCX_MIME)
    response["Content-Disposition"] = (
        content_disposition_header(True, safe_name(name)) or "attachment"
    )
    return response


@authenticated
def report_tab(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    _path, origin = template_for(report.REPORT_KEY)
    return render(
        request,
        "infosec/report/tab.html",
        {
            "assessment": a,
            "system": a.system,
            "tabs": tabs_for("assessment", a, "report"),
            "origin": origin,
            "caps": {"register": report.REGISTER_CAP},
        },
    )


@authenticated
def report_docx(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    try:
        data = report.report_docx(a)
    except ActionError as exc:  # a broken uploaded template: said plainly, never a 500
        raise Http404(exc.message) from exc
    return _docx(data, f"{a.system.name}-{a.title}-信息安全风险评估报告.docx")


@authenticated
def estate_docx(request: HttpRequest) -> HttpResponse:
    try:
        data = report.estate_docx(request.user)
    except ActionError as exc:
        raise Http404(exc.message) from exc
    return _docx(data, f"信息安全风险评估汇总报告-{timezone.localdate():%Y%m%d}.docx")


register("assessment", Tab("report", gettext_lazy("报告"), "infosec:report", 80))

urlpatterns = [
    path("assessments/<int:pk>/report/", report_tab, name="report"),
    path("assessments/<int:pk>/report.docx", report_docx, name="report_docx"),
    path("report/estate.docx", estate_docx, name="estate_docx"),
]
