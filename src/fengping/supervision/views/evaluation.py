"""年度考核 pages: the list of runs (and, for a supervising office, the form that computes
a year), the list of scores, the ranking of a run with each item's points, a department's
evidence page, the ranking as XLSX and the 考核情况通报 as DOCX. A supervising office sees
every department; a department sees only its own rows and evidence. The two lists are
declared once in `supervision.evaluation_lists` (page, htmx partial, export, API)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core import listing
from fengping.core.errors import ActionError
from fengping.core.forms import StyledForm
from fengping.core.pages import submit
from fengping.core.policy import authenticated
from fengping.org import access
from fengping.org.models import Department
from fengping.reports.render import DOCX_MIME

from .. import evaluation as ev
from ..actions import evaluation as actions
from ..evaluation_lists import RUNS, SCORES, visible_rows, visible_runs
from ..models import Evaluation, EvaluationRun

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

__all__ = ["run_for", "visible_rows", "visible_runs"]


def run_for(user: Any, pk: int) -> tuple[EvaluationRun, list[Evaluation]]:
    """A run of an office the user reads (its members and the supervisors), with every
    score. A department reads its own rows on the evidence page, never the ranking."""
    run = access.get_for_user(user, visible_runs(user), pk)
    rows = list(
        Evaluation.objects.filter(run=run)
        .select_related("department")
        .order_by("rank", "department__path")
    )
    return run, rows


class ComputeForm(StyledForm):
    office = forms.ModelChoiceField(
        label=gettext_lazy("考核机关"), queryset=Department.objects.none()
    )
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=1)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offices = actions.offices_for(user)
        # Offered: the offices the user may compute for; on a POST by anyone else the
        # office is still read, so that the action answers the refusal (403), not the form.
        self.fields["office"].queryset = (
            Department.objects.filter(pk__in=[d.pk for d in offices])
            if offices and not self.is_bound
            else Department.objects.filter(kind__in=actions.EVALUATING_KINDS)
        )
        if offices:
            self.fields["office"].initial = offices[0].pk
        self.fields["year"].initial = timezone.localdate().year


def _runs_page(request: HttpRequest, form: ComputeForm | None) -> HttpResponse:
    """The runs for the office's readers; for anyone who reads none, their own scores (a
    department's people see their scores, never the ranking) — with the form that
    computes a year for whoever may."""
    spec = RUNS if visible_runs(request.user).exists() else SCORES
    return listing.render_list(request, spec, context={"form": form, "own": spec is SCORES})


@authenticated
def runs(request: HttpRequest) -> HttpResponse:
    offices = actions.offices_for(request.user)
    return _runs_page(request, ComputeForm(user=request.user) if offices else None)


@authenticated
def runs_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, RUNS)


@authenticated
def scores(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, SCORES)


@authenticated
def scores_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, SCORES)


@authenticated
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    form = ComputeForm(request.POST, user=request.user)
    done = submit(
        request,
        form,
        lambda d: actions.do_compute_evaluation(request.user, d["office"], d["year"]),
        then=lambda run: reverse("supervision:evaluation_run", args=[run.pk]),
        success=_("已计算年度考核得分"),
    )
    if done:
        return done
    response = _runs_page(request, form)
    response.status_code = 400
    return response


@authenticated
def run_page(request: HttpRequest, pk: int) -> HttpResponse:
    run, rows = run_for(request.user, pk)
    latest = (
        EvaluationRun.objects.filter(office=run.office_id, year=run.year)
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    )
    return render(
        request,
        "supervision/evaluation/run.html",
        {
            "run": run,
            "rows": rows,
            "rubric": ev.rubric_of(rows),
            "is_latest": latest == run.pk,
            "latest": latest,
        },
    )


@authenticated
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    row = access.get_for_user(request.user, visible_rows(request.user), pk)
    return render(
        request,
        "supervision/evaluation/detail.html",
        {"row": row, "run": row.run, "total": len(row.items)},
    )


@authenticated
def run_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    run, rows = run_for(request.user, pk)
    response = HttpResponse(ev.ranking_xlsx(run, rows), content_type=XLSX_MIME)
    response["Content-Disposition"] = (
        content_disposition_header(True, ev.file_name(run, "xlsx")) or "attachment"
    )
    return response


@authenticated
def run_docx(request: HttpRequest, pk: int) -> HttpResponse:
    run, rows = run_for(request.user, pk)
    try:
        data = ev.report_docx(run, rows)
    except ActionError as exc:  # a broken uploaded template: said plainly, never a 500
        raise Http404(exc.message) from exc
    response = HttpResponse(data, content_type=DOCX_MIME)
    response["Content-Disposition"] = (
        content_disposition_header(True, ev.file_name(run, "docx")) or "attachment"
    )
    return response


urlpatterns = [
    path("evaluation/", runs, name="evaluation_runs"),
    path("evaluation/export.xlsx", runs_export, name="evaluation_export"),
    path("evaluation/scores/", scores, name="evaluation_scores"),
    path("evaluation/scores/export.xlsx", scores_export, name="evaluation_scores_export"),
    path("evaluation/compute/", compute, name="evaluation_compute"),
    path("evaluation/runs/<int:pk>/", run_page, name="evaluation_run"),
    path("evaluation/runs/<int:pk>/ranking.xlsx", run_xlsx, name="evaluation_run_xlsx"),
    path("evaluation/runs/<int:pk>/report.docx", run_docx, name="evaluation_run_docx"),
    path("evaluation/<int:pk>/", detail, name="evaluation"),
]
