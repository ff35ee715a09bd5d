"""月度排查 (篇4 四1): the runs of the organs one may see, one run (counts, changes since
last month, how often each criterion fired, the results filterable by level / change /
criterion, XLSX), the 逐案分析研判 work list with its decision form, "run now" for one
organ (with confirmation), and the 排查记录 tab of a case."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.core import listing
from fengping.core.forms import StyledForm
from fengping.core.listing import BooleanFilter, ChoiceFilter, Column, ListSpec, SearchFilter
from fengping.core.pages import submit
from fengping.core.policy import authenticated
from fengping.org import access

from .. import screening as sc
from ..actions import screening as actions
from ..models import (
    Change,
    OrganProfile,
    ScreeningResult,
    ScreeningRun,
    TargetChoice,
    TargetDecision,
)
from ..queries import case_for, organ_for, run_for
from ..tabs import Tab, register, tabs_for

COLOUR_CSS = {
    "red": "bg-red text-red-fg",
    "orange": "bg-orange text-orange-fg",
    "yellow": "bg-yellow text-yellow-fg",
    "blue": "bg-blue text-blue-fg",
    "green": "bg-green text-green-fg",
}


def level_badge(run: ScreeningRun, code: str) -> Any:
    grade = sc.grade_of(run, code)
    return listing.badge(grade["label"], COLOUR_CSS.get(grade["colour"], "bg-secondary-lt"))


def fired_badges(run: ScreeningRun, fired: int) -> Any:
    return format_html_join(
        " ",
        '<span class="badge bg-secondary-lt">{}</span>',
        ((x,) for x in sc.fired_labels(run, fired)),
    )


# ------------------------------------------------------------------ runs


def _runs(user: Any) -> QuerySet[ScreeningRun]:
    return access.visible(user, ScreeningRun.objects.select_related("organ", "started_by"))


def _organ_options(ctx: listing.Context) -> list[tuple[Any, str]]:
    return [
        (p.department_id, p.department.name)
        for p in access.visible(ctx.user, OrganProfile.objects.select_related("department"))
    ]


RUNS = ListSpec(
    name="cases-screening-runs",
    title=gettext_lazy("月度排查"),
    queryset=_runs,
    order=("-month", "-id"),
    keyset=True,
    filters=(ChoiceFilter("organ", gettext_lazy("政法单位"), _organ_options, field="organ_id"),),
    columns=(
        Column(
            gettext_lazy("月份"),
            lambda r: f"{r.month:%Y-%m}",
            html=lambda r: listing.link(
                reverse("cases:screening_run", args=[r.pk]), f"{r.month:%Y-%m}"
            ),
        ),
        Column(gettext_lazy("政法单位"), lambda r: r.organ.name),
        Column(gettext_lazy("排查案件数"), lambda r: r.screened),
        Column(
            gettext_lazy("列入研判数"),
            lambda r: r.flagged,
            html=lambda r: listing.link(
                reverse("cases:screening_worklist", args=[r.pk]), r.flagged
            ),
        ),
        Column(gettext_lazy("新增"), lambda r: r.new),
        Column(gettext_lazy("升级"), lambda r: r.raised),
        Column(gettext_lazy("降级"), lambda r: r.lowered),
        Column(gettext_lazy("退出"), lambda r: r.cleared),
        Column(gettext_lazy("规则版本"), lambda r: r.criteria_version, css="small"),
        Column(
            gettext_lazy("发起"),
            lambda r: str(r.started_by) if r.started_by_id else _("定时任务"),
            css="small",
        ),
        Column(gettext_lazy("排查日"), lambda r: r.as_of, page=False),
        Column(gettext_lazy("用时（毫秒）"), lambda r: r.duration_ms, page=False),
    ),
    empty_title=gettext_lazy("还没有月度排查"),
    page_template="cases/screening_runs.html",
    export_url=lambda: reverse("cases:screening_runs_export"),
)


class RunForm(StyledForm):
    month = forms.CharField(
        label=gettext_lazy("月份"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text=gettext_lazy("YYYY-MM；再次排查同一月份将替换该月结果"),
    )

    def clean_month(self) -> Any:
        try:
            return sc.parse_month(self.cleaned_data["month"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


@authenticated
def runs(request: HttpRequest) -> HttpResponse:
    organs = actions.organs_to_screen(request.user)
    return listing.render_list(
        request,
        RUNS,
        context={"organs": organs, "this_month": f"{timezone.localdate():%Y-%m}"},
    )


@authenticated
def runs_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, RUNS)


@authenticated
def run_now(request: HttpRequest, pk: int) -> HttpResponse:
    """Run one organ's screening now: a confirmation page, then the POST."""
    profile = organ_for(request.user, pk)
    if not actions.may_run(request.user, profile.department):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("您没有对该单位进行月度排查的权限"))
    form = RunForm(request.POST or None, initial={"month": f"{timezone.localdate():%Y-%m}"})
    if request.method == "POST" and (
        done := submit(
            request,
            form,
            lambda d: actions.do_run_screening(request.user, profile, d["month"]),
            then=lambda run: reverse("cases:screening_run", args=[run.pk]),
            success=_("月度排查已完成"),
        )
    ):
        return done
    last = ScreeningRun.objects.filter(organ=profile.department).order_by("-month").first()
    return render(
        request,
        "cases/screening_run_now.html",
        {"profile": profile, "form": form, "last": last},
    )


# ------------------------------------------------------------------ one run's results

# The run a listed result belongs to, by id: the columns read its criteria and grades
# without a join per row (set when the list's queryset is built).
_RUN_CACHE: dict[int, ScreeningRun] = {}


def _run_of(r: ScreeningResult) -> ScreeningRun:
    run = _RUN_CACHE.get(r.run_id)
    return run if run is not None else r.run


def _results_of(user: Any, run: ScreeningRun) -> QuerySet[ScreeningResult]:
    if len(_RUN_CACHE) > 200:
        _RUN_CACHE.clear()
    _RUN_CACHE[run.pk] = run
    return ScreeningResult.objects.filter(run=run).select_related("case")


def _level_options(ctx: listing.Context) -> list[tuple[str, str]]:
    return [(g["code"], g["label"]) for g in reversed(ctx.parents[0].grades)]


def _criterion_options(ctx: listing.Context) -> list[tuple[str, str]]:
    return [(c["code"], c["label"]) for c in ctx.parents[0].criteria]


def _by_criterion(qs: QuerySet[Any], value: Any, values: Any) -> QuerySet[Any]:
    ctx = listing._current.get()
    if ctx is None or not ctx.parents:
        return qs
    return qs.filter(sc.fired_q(ctx.parents[0], value))


def _case_link(r: ScreeningResult) -> Any:
    return listing.link(reverse("cases:case_screening", args=[r.case_id]), r.case.number)


RESULT_COLUMNS = (
    Column(gettext_lazy("案号"), lambda r: r.case.number, html=_case_link),
    Column(gettext_lazy("案件名称"), lambda r: r.case.title),
    Column(gettext_lazy("得分"), lambda r: r.score),
    Column(
        gettext_lazy("等级"),
        lambda r: sc.grade_of(_run_of(r), r.level)["label"],
        html=lambda r: level_badge(_run_of(r), r.level),
    ),
    Column(
        gettext_lazy("触发规则"),
        lambda r: "；".join(sc.fired_labels(_run_of(r), r.fired)),
        html=lambda r: fired_badges(_run_of(r), r.fired),
    ),
    Column(gettext_lazy("变化"), lambda r: r.get_change_display() if r.change else ""),
    Column(gettext_lazy("列入研判"), lambda r: r.flagged),
    Column(gettext_lazy("上月等级"), lambda r: r.previous_severity, page=False),
)

RESULTS = ListSpec(
    name="cases-screening-results",
    title=gettext_lazy("排查结果"),
    queryset=_results_of,
    order=("-severity", "-score", "-case_id"),
    keyset=True,
    filters=(
        SearchFilter("q", gettext_lazy("搜索"), ("case__number", "case__title")),
        ChoiceFilter("level", gettext_lazy("等级"), _level_options, field="level"),
        ChoiceFilter(
            "change",
            gettext_lazy("变化"),
            [(c.value, c.label) for c in Change if c.value],
            field="change",
        ),
        ChoiceFilter(
            "criterion", gettext_lazy("触发规则"), _criterion_options, apply=_by_criterion
        ),
        BooleanFilter("flagged", gettext_lazy("列入研判"), field="flagged"),
    ),
    columns=RESULT_COLUMNS,
    empty_title=gettext_lazy("没有符合条件的排查结果"),
    page_template="cases/screening_run.html",
    export_url=lambda run: reverse("cases:screening_run_export", args=[run.pk]),
)


@authenticated
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = run_for(request.user, pk)
    return listing.render_list(
        request,
        RESULTS,
        run,
        context={
            "run": run,
            "criteria": sc.criterion_counts(run),
            "undecided": sc.work_list(run).count(),
            "can_run": actions.may_run(request.user, run.organ),
            "grades": list(reversed(run.grades)),
        },
    )


@authenticated
def run_export(request: HttpRequest, pk: int) -> HttpResponse:
    return listing.export(request, RESULTS, run_for(request.user, pk))


# ------------------------------------------------------------------ the work list


def _worklist_of(user: Any, run: ScreeningRun) -> QuerySet[ScreeningResult]:
    _results_of(user, run)
    return sc.work_list(run).select_related("case", "case__handler")


WORKLIST = ListSpec(
    name="cases-screening-worklist",
    title=gettext_lazy("逐案分析研判"),
    queryset=_worklist_of,
    order=("-severity", "-score", "-case_id"),
    keyset=True,
    filters=(
        SearchFilter("q", gettext_lazy("搜索"), ("case__number", "case__title")),
        ChoiceFilter("level", gettext_lazy("等级"), _level_options, field="level"),
        ChoiceFilter(
            "criterion", gettext_lazy("触发规则"), _criterion_options, apply=_by_criterion
        ),
    ),
    columns=(
        *RESULT_COLUMNS[:6],
        Column(gettext_lazy("承办人"), lambda r: str(r.case.handler or "")),
    ),
    empty_title=gettext_lazy("没有待研判的案件"),
    page_template="cases/screening_worklist.html",
    rows_template="cases/_screening_worklist_rows.html",
    export_url=lambda run: reverse("cases:screening_worklist_export", args=[run.pk]),
)


class DecideForm(StyledForm):
    choice = forms.ChoiceField(
        label=gettext_lazy("研判结论"), choices=TargetChoice.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=gettext_lazy("理由"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("不列为评估对象时必须填写"),
    )


@authenticated
def worklist(request: HttpRequest, pk: int) -> HttpResponse:
    run = run_for(request.user, pk)
    latest = actions.latest_run(run.organ_id)
    return listing.render_list(
        request,
        WORKLIST,
        run,
        context={
            "run": run,
            "is_latest": latest is not None and latest.pk == run.pk,
            "can_decide": access.can(request.user, run, "change"),
            "decided": TargetDecision.objects.filter(run=run).count(),
        },
    )


@authenticated
def worklist_export(request: HttpRequest, pk: int) -> HttpResponse:
    return listing.export(request, WORKLIST, run_for(request.user, pk))


def _result(request: HttpRequest, pk: int, need: str = "view") -> ScreeningResult:
    return access.get_for_user(
        request.user, ScreeningResult.objects.select_related("run__organ", "case"), pk, need
    )


@authenticated
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The 研判 of one flagged case (GET: the form with what fired and why)."""
    result = _result(request, pk)
    run = result.run
    access.require(request.user, run, "change")
    form = DecideForm(request.POST or None)
    if request.method == "POST" and (
        done := submit(
            request,
            form,
            lambda d: actions.do_decide_target(
                request.user, run, result.case, d["choice"], d["reason"]
            ),
            then=reverse("cases:screening_worklist", args=[run.pk]),
            success=_("已记录研判结论"),
        )
    ):
        return done
    return render(
        request,
        "cases/screening_decide.html",
        {
            "run": run,
            "result": result,
            "case": result.case,
            "form": form,
            "level": level_badge(run, result.level),
            "explained": [e for e in sc.explain(result.case, run) if e["fired"]],
            "stored": sc.fired_labels(run, result.fired),
            "refusal": actions.decide_refusal(run, result),
        },
    )


# ------------------------------------------------------------------ the case's tab


def _case_tab_count(case: Any) -> int | None:
    return None


@authenticated
def case_screening(request: HttpRequest, pk: int) -> HttpResponse:
    """排查记录: every run that scored the case, with what fired; the latest explained."""
    case = case_for(request.user, pk)
    rows = list(
        ScreeningResult.objects.filter(case=case).select_related("run").order_by("-run__month")[:24]
    )
    decisions = {
        d.run_id: d
        for d in TargetDecision.objects.filter(
            case=case, run_id__in=[r.run_id for r in rows]
        ).select_related("decided_by")
    }
    history = [
        {
            "result": r,
            "run": r.run,
            "level": level_badge(r.run, r.level),
            "fired": sc.fired_labels(r.run, r.fired),
            "decision": decisions.get(r.run_id),
        }
        for r in rows
    ]
    latest_run = actions.latest_run(case.organ_id)
    explained = sc.explain(case, latest_run) if latest_run else []
    layout = "cases/_case_layout.html"
    return render(
        request,
        "cases/screening_case.html",
        {
            "layout": layout,
            "case": case,
            "tabs": tabs_for("case", case, "screening"),
            "history": history,
            "latest_run": latest_run,
            "explained": explained,
        },
    )


register("case", Tab("screening", gettext_lazy("排查记录"), "cases:case_screening", 30))

urlpatterns = [
    path("screening/", runs, name="screening_runs"),
    path("screening/export.xlsx", runs_export, name="screening_runs_export"),
    path("screening/organs/<int:pk>/run/", run_now, name="screening_run_now"),
    path("screening/runs/<int:pk>/", run_detail, name="screening_run"),
    path("screening/runs/<int:pk>/export.xlsx", run_export, name="screening_run_export"),
    path("screening/runs/<int:pk>/worklist/", worklist, name="screening_worklist"),
    path(
        "screening/runs/<int:pk>/worklist.xlsx", worklist_export, name="screening_worklist_export"
    ),
    path("screening/results/<int:pk>/decide/", decide, name="screening_decide"),
    path("<int:pk>/screening/", case_screening, name="case_screening"),
]
