"""The lists of the annual evaluation (年度考核), declared once (core.listing): page, htmx
partial, XLSX export and API.

- `RUNS`: the computations a supervising office's readers see (its members and the 督查),
  one row per run, the latest run of an office's year marked 最新 and the earlier ones 历史;
- `SCORES`: the scores a user sees, one row per department and run — a department sees its
  own (and its units'), the 督查 every department's.

Both lists are small per organisation (a run per office, year and computation; a score per
obliged department and run), so they page by number with an exact count."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import ExtractYear
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.core import listing
from fengping.core.listing import (
    BooleanFilter,
    ChoiceFilter,
    Column,
    DepartmentFilter,
    ListSpec,
    Sort,
    YearFilter,
)
from fengping.org import access
from fengping.org.models import Department

from .actions.evaluation import EVALUATING_KINDS
from .models import Evaluation, EvaluationRun


def visible_runs(user: Any) -> QuerySet[EvaluationRun]:
    """The runs of the offices the user reads (the office's members and the 督查)."""
    return access.visible(user, EvaluationRun.objects.select_related("office", "computed_by"))


def visible_rows(user: Any) -> QuerySet[Evaluation]:
    """The scores of the departments the user sees (a department its own)."""
    return access.visible(user, Evaluation.objects.select_related("department", "run__office"))


def _superseded(run: str) -> Exists:
    """A later computation of the same office and year exists (`run` is the lookup of the
    run from the row): the row's run is 历史, not 最新."""
    return Exists(
        EvaluationRun.objects.filter(
            office=OuterRef(f"{run}office"),
            year=OuterRef(f"{run}year"),
            pk__gt=OuterRef(f"{run}pk"),
        )
    )


def runs_queryset(user: Any) -> QuerySet[EvaluationRun]:
    scores = (
        Evaluation.objects.filter(run=OuterRef("pk"))
        .order_by()
        .values("run")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return visible_runs(user).annotate(
        superseded=_superseded(""),
        # The year the run was computed in, in local time (the database's time zone
        # conversion): 年中 when it is not after the year evaluated (is_provisional).
        computed_year=ExtractYear("computed_at"),
        n_departments=Subquery(scores, output_field=IntegerField()),
    )


def scores_queryset(user: Any) -> QuerySet[Evaluation]:
    return visible_rows(user).annotate(
        superseded=_superseded("run__"),
        computed_year=ExtractYear("run__computed_at"),
    )


def _offices(user: Any) -> QuerySet[Department]:
    return access.visible(
        user, Department.objects.filter(kind__in=EVALUATING_KINDS, is_active=True)
    )


def _departments(user: Any) -> QuerySet[Department]:
    return access.visible(user, Department.objects.filter(is_active=True))


def _run_years(ctx: listing.Context) -> list[int]:
    return list(visible_runs(ctx.user).order_by("-year").values_list("year", flat=True).distinct())


def _score_years(ctx: listing.Context) -> list[int]:
    return list(
        visible_rows(ctx.user).order_by("-run__year").values_list("run__year", flat=True).distinct()
    )


STATUS_CHOICES = (("latest", gettext_lazy("最新")), ("superseded", gettext_lazy("历史")))


def _status_filter(superseded: str = "superseded") -> ChoiceFilter:
    return ChoiceFilter(
        "status",
        gettext_lazy("状态"),
        STATUS_CHOICES,
        conditions={"latest": Q(**{superseded: False}), "superseded": Q(**{superseded: True})},
    )


def _provisional(year: str) -> BooleanFilter:
    """年中: computed in the year evaluated or earlier (the model's `is_provisional`)."""

    def apply(qs: QuerySet[Any], value: bool, _values: Any) -> QuerySet[Any]:
        q = Q(computed_year__lte=F(year))
        return qs.filter(q) if value else qs.exclude(q)

    return BooleanFilter(
        "provisional",
        gettext_lazy("年中结果"),
        yes=gettext_lazy("年中"),
        no=gettext_lazy("全年"),
        apply=apply,
    )


def _status(row: Any) -> str:
    return str(_("历史") if row.superseded else _("最新"))


def _status_badge(row: Any) -> Any:
    if row.superseded:
        return listing.badge(_("历史"), "bg-secondary-lt")
    return listing.badge(_("最新"), "bg-green-lt")


def _provisional_badge(run: EvaluationRun) -> Any:
    return listing.badge(_("年中"), "bg-yellow-lt") if run.is_provisional else _("全年")


def _who(user: Any) -> str:
    return str(user.real_name or user.username)


def _downloads(run: EvaluationRun) -> Any:
    return format_html(
        '<a href="{}">XLSX</a> · <a href="{}">DOCX</a>',
        reverse("supervision:evaluation_run_xlsx", args=[run.pk]),
        reverse("supervision:evaluation_run_docx", args=[run.pk]),
    )


RUNS = ListSpec(
    name="evaluation-runs",
    title=gettext_lazy("年度考核"),
    queryset=runs_queryset,
    order=("-year", "-id"),
    order_label=gettext_lazy("按年度（新→旧）"),
    sorts=(
        Sort("year", gettext_lazy("按年度（旧→新）"), ("year", "id")),
        Sort("computed", gettext_lazy("按计算时间（新→旧）"), ("-computed_at", "-id")),
        Sort("office", gettext_lazy("按考核机关"), ("office__path", "-year", "-id")),
    ),
    filters=(
        YearFilter("year", gettext_lazy("年度"), "year", years=_run_years),
        DepartmentFilter(
            "office",
            gettext_lazy("考核机关"),
            _offices,
            path_field="office__path",
            all_label=gettext_lazy("全部考核机关"),
        ),
        _status_filter(),
        _provisional("year"),
    ),
    columns=(
        Column(gettext_lazy("年度"), lambda r: r.year),
        Column(
            gettext_lazy("考核机关"),
            lambda r: r.office.name,
            html=lambda r: listing.link(
                reverse("supervision:evaluation_run", args=[r.pk]), r.office.name
            ),
        ),
        Column(gettext_lazy("状态"), _status, html=_status_badge),
        Column(gettext_lazy("年中"), lambda r: r.is_provisional, html=_provisional_badge),
        Column(gettext_lazy("被考核单位"), lambda r: r.n_departments or 0),
        Column(gettext_lazy("计算时间"), lambda r: r.computed_at),
        Column(gettext_lazy("计算人"), lambda r: _who(r.computed_by)),
        Column(gettext_lazy("评估方案"), lambda r: f"{r.scheme_key} {r.scheme_version}"),
        Column(gettext_lazy("下载"), lambda r: "", html=_downloads, export=False),
    ),
    empty_title=gettext_lazy("暂无考核结果"),
    page_template="supervision/evaluation/runs.html",
    export_url=lambda: reverse("supervision:evaluation_export"),
)


SCORES = ListSpec(
    name="evaluation-scores",
    title=gettext_lazy("年度考核得分"),
    queryset=scores_queryset,
    order=("-run__year", "-run_id", "rank", "department__path", "id"),
    order_label=gettext_lazy("按年度（新→旧）、名次"),
    sorts=(
        Sort("score", gettext_lazy("按得分（高→低）"), ("-score", "-run__year", "-run_id", "id")),
        Sort(
            "department",
            gettext_lazy("按被考核单位"),
            ("department__path", "-run__year", "-run_id", "id"),
        ),
        Sort("year", gettext_lazy("按年度（旧→新）"), ("run__year", "run_id", "rank", "id")),
    ),
    filters=(
        YearFilter("year", gettext_lazy("年度"), "run__year", years=_score_years),
        DepartmentFilter(
            "department",
            gettext_lazy("被考核单位"),
            _departments,
            all_label=gettext_lazy("全部被考核单位"),
        ),
        DepartmentFilter(
            "office",
            gettext_lazy("考核机关"),
            _offices,
            path_field="run__office__path",
            all_label=gettext_lazy("全部考核机关"),
        ),
        _status_filter(),
        _provisional("run__year"),
    ),
    columns=(
        Column(gettext_lazy("年度"), lambda e: e.run.year),
        Column(
            gettext_lazy("被考核单位"),
            lambda e: e.department.name,
            html=lambda e: listing.link(
                reverse("supervision:evaluation", args=[e.pk]), e.department.name
            ),
        ),
        Column(gettext_lazy("得分"), lambda e: e.score),
        Column(gettext_lazy("名次"), lambda e: e.rank),
        Column(gettext_lazy("考核机关"), lambda e: e.run.office.name),
        Column(gettext_lazy("状态"), _status, html=_status_badge),
        Column(
            gettext_lazy("年中"),
            lambda e: e.run.is_provisional,
            html=lambda e: _provisional_badge(e.run),
        ),
        Column(gettext_lazy("计算时间"), lambda e: e.run.computed_at),
    ),
    empty_title=gettext_lazy("暂无考核结果"),
    page_template="supervision/evaluation/scores.html",
    export_url=lambda: reverse("supervision:evaluation_scores_export"),
)
