"""The statistics of the cases app (issue 11): per organ and month how many cases were
screened, flagged, assessed, resolved and adjudicated and how many petitions followed;
and per screening criterion how many cases it flagged and how many of those later had a
petition — so an organ sees which criteria predict and can tune them.

Everything is counted in the database, a constant number of GROUP BY queries whatever
the number of organs, months or cases, on SQLite and PostgreSQL alike; Python only adds
up the few aggregated cells. Every queryset goes through `org.access.visible`, so a user
counts only the organs they may see.

What each figure counts (month = the local calendar month):

* 排查案件数 / 列入研判数 — `screened` / `flagged` of the organ's completed monthly run
  (`ScreeningRun.month`);
* 启动评估 — case assessments started in the month (void ones left out);
* 风险化解 — resolutions approved in the month (`resolution_decided_at`);
* 裁决 — cases that entered an adjudication stage (`StageChange.gate == "adjudicate"`)
  in the month, each case once per month;
* 信访 — petitions dated in the month; 其中排查、评估后发生 — those on a case flagged by
  a screening whose 排查日 lies before the petition's date, or assessed (an assessment
  started) before that date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengping.org import access

from .models import (
    AssessmentStatus,
    CaseAssessment,
    OrganProfile,
    Petition,
    ResolutionState,
    RunStatus,
    ScreeningResult,
    ScreeningRun,
    StageChange,
)

DEFAULT_MONTHS = 12
MAX_MONTHS = 60
DEFAULT_WINDOW = 90  # days after the screening day a petition counts as predicted
MAX_WINDOW = 730

# The figures of a month, in the order the tables, charts and exports show them.
FIGURES: list[tuple[str, Any]] = [
    ("screened", _("排查案件数")),
    ("flagged", _("列入研判数")),
    ("assessed", _("启动评估")),
    ("resolved", _("风险化解")),
    ("adjudicated", _("裁决")),
    ("petitions", _("信访")),
    ("petitions_followed", _("其中排查、评估后发生")),
]
FIGURE_CODES = [code for code, _label in FIGURES]


# ---------------------------------------------------------------------------------------
# Months
# ---------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    out = []
    month = month_start(first)
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out


def parse_month(raw: Any) -> dt.date | None:
    """ "2026-03" (or a full ISO date) as the first day of that month; None if unreadable."""
    text = str(raw or "").strip()
    try:
        if len(text) == 7:
            return dt.date(int(text[:4]), int(text[5:7]), 1)
        return month_start(dt.date.fromisoformat(text))
    except (ValueError, TypeError):
        return None


@dataclass(frozen=True)
class Period:
    first: dt.date  # first day of the first month
    last: dt.date  # first day of the last month

    @property
    def months(self) -> list[dt.date]:
        return months_between(self.first, self.last)

    @property
    def end(self) -> dt.date:
        """The first day after the period."""
        return add_months(self.last, 1)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as aware datetimes in the local time zone: [start, end)."""
        tz = timezone.get_current_timezone()
        return (
            dt.datetime.combine(self.first, dt.time.min, tzinfo=tz),
            dt.datetime.combine(self.end, dt.time.min, tzinfo=tz),
        )


def period_from(raw_from: Any = None, raw_to: Any = None, today: dt.date | None = None) -> Period:
    """The months asked for; by default the last 12 up to the current one. A range given
    backwards is turned round; one longer than MAX_MONTHS keeps its last MAX_MONTHS."""
    today = today or timezone.localdate()
    last = parse_month(raw_to) or month_start(today)
    first = parse_month(raw_from) or add_months(last, -(DEFAULT_MONTHS - 1))
    if first > last:
        first, last = last, first
    if len(months_between(first, last)) > MAX_MONTHS:
        first = add_months(last, -(MAX_MONTHS - 1))
    return Period(first, last)


def parse_window(raw: Any) -> int:
    try:
        value = int(str(raw).strip())
    except (ValueError, TypeError):
        return DEFAULT_WINDOW
    return min(max(value, 1), MAX_WINDOW)


# ---------------------------------------------------------------------------------------
# Per organ and month
# ---------------------------------------------------------------------------------------


def organs_of(user: Any) -> QuerySet[OrganProfile]:
    """The organs (their profiles) the user may see, in tree order."""
    return access.visible(user, OrganProfile.objects.select_related("department")).order_by(
        "department__path"
    )


def _empty() -> dict[str, int]:
    return dict.fromkeys(FIGURE_CODES, 0)


@dataclass
class OrganStats:
    organ_id: int
    name: str
    months: dict[dt.date, dict[str, int]]
    total: dict[str, int]


@dataclass
class MonthlyStats:
    period: Period
    organs: list[OrganStats]
    by_month: dict[dt.date, dict[str, int]]  # all organs added up
    total: dict[str, int]

    @property
    def empty(self) -> bool:
        return not any(self.total.values())

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the API and the charts (months as "YYYY-MM")."""

        def key(m: dt.date) -> str:
            return m.strftime("%Y-%m")

        return {
            "first": key(self.period.first),
            "last": key(self.period.last),
            "months": [key(m) for m in self.period.months],
            "figures": [{"code": c, "label": str(label)} for c, label in FIGURES],
            "organs": [
                {
                    "id": o.organ_id,
                    "name": o.name,
                    "months": [{"month": key(m), **o.months[m]} for m in self.period.months],
                    "total": o.total,
                }
                for o in self.organs
            ],
            "by_month": [{"month": key(m), **self.by_month[m]} for m in self.period.months],
            "total": self.total,
        }


def _local_month(name: str) -> TruncMonth:
    """The local calendar month of a datetime column, as a date."""
    return TruncMonth(name, output_field=DateField(), tzinfo=timezone.get_current_timezone())


def _as_date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def monthly(user: Any, period: Period, organ_ids: Iterable[int] | None = None) -> MonthlyStats:
    """The figures of every organ the user sees (or of `organ_ids` among them) per month:
    six queries in all."""
    profiles = organs_of(user)
    if organ_ids is not None:
        profiles = profiles.filter(department_id__in=list(organ_ids))
    organs = [(p.department_id, p.department.name) for p in profiles]
    ids = [pk for pk, _name in organs]
    start, end = period.bounds()
    cells: dict[tuple[int, dt.date], dict[str, int]] = {}

    def put(rows: Iterable[dict[str, Any]], **figures: str) -> None:
        for row in rows:
            cell = cells.setdefault((row["o"], _as_date(row["m"])), _empty())
            for figure, column in figures.items():
                cell[figure] += row[column] or 0

    if ids:
        put(
            access.visible(user, ScreeningRun.objects.all())
            .filter(
                organ_id__in=ids,
                status=RunStatus.DONE,
                month__gte=period.first,
                month__lt=period.end,
            )
            .values(o=F("organ_id"), m=F("month"))
            .annotate(s=Sum("screened"), f=Sum("flagged"))
            .order_by(),
            screened="s",
            flagged="f",
        )
        put(
            access.visible(user, CaseAssessment.objects.all())
            .filter(case__organ_id__in=ids, started_at__gte=start, started_at__lt=end)
            .exclude(status=AssessmentStatus.VOID)
            .values(o=F("case__organ_id"), m=_local_month("started_at"))
            .annotate(n=Count("id"))
            .order_by(),
            assessed="n",
        )
        put(
            access.visible(user, CaseAssessment.objects.all())
            .filter(
                case__organ_id__in=ids,
                resolution_state=ResolutionState.APPROVED,
                resolution_decided_at__gte=start,
                resolution_decided_at__lt=end,
            )
            .values(o=F("case__organ_id"), m=_local_month("resolution_decided_at"))
            .annotate(n=Count("id"))
            .order_by(),
            resolved="n",
        )
        put(
            access.visible(user, StageChange.objects.all())
            .filter(
                case__organ_id__in=ids,
                gate="adjudicate",
                changed_at__gte=start,
                changed_at__lt=end,
            )
            .values(o=F("case__organ_id"), m=_local_month("changed_at"))
            .annotate(n=Count("case_id", distinct=True))
            .order_by(),
            adjudicated="n",
        )
        flagged_before = ScreeningResult.objects.filter(
            case_id=OuterRef("case_id"),
            flagged=True,
            run__status=RunStatus.DONE,
            run__as_of__lt=OuterRef("date"),
        )
        assessed_before = (
            CaseAssessment.objects.filter(
                case_id=OuterRef("case_id"), started_at__date__lt=OuterRef("date")
            )
            .exclude(status=AssessmentStatus.VOID)
            .order_by()
        )
        put(
            access.visible(user, Petition.objects.all())
            .filter(case__organ_id__in=ids, date__gte=period.first, date__lt=period.end)
            .values(o=F("case__organ_id"), m=TruncMonth("date"))
            .annotate(
                n=Count("id"),
                followed=Count("id", filter=Q(Exists(flagged_before)) | Q(Exists(assessed_before))),
            )
            .order_by(),
            petitions="n",
            petitions_followed="followed",
        )

    out: list[OrganStats] = []
    by_month = {m: _empty() for m in period.months}
    total = _empty()
    for pk, name in organs:
        months = {m: dict(cells.get((pk, m), _empty())) for m in period.months}
        organ_total = _empty()
        for m, cell in months.items():
            for code in FIGURE_CODES:
                organ_total[code] += cell[code]
                by_month[m][code] += cell[code]
                total[code] += cell[code]
        out.append(OrganStats(pk, name, months, organ_total))
    return MonthlyStats(period, out, by_month, total)


# ---------------------------------------------------------------------------------------
# Per criterion: which criteria predict
# ---------------------------------------------------------------------------------------


@dataclass
class CriterionStats:
    code: str
    label: str
    flagged: int  # distinct cases flagged with the criterion fired
    petitioned: int  # of which had a petition within the window after the 排查日

    @property
    def share(self) -> float | None:
        return self.petitioned / self.flagged if self.flagged else None


@dataclass
class CriteriaStats:
    runs: list[ScreeningRun]
    window: int
    rows: list[CriterionStats]
    overall: CriterionStats  # every flagged case, whatever fired
    # Runs whose window has not ended yet: their petitions may still come.
    open_runs: int = 0
    run: ScreeningRun | None = None  # the chosen run, if one was
    choices: list[ScreeningRun] = field(default_factory=list)  # the period's runs

    @property
    def empty(self) -> bool:
        return not self.runs or not self.overall.flagged

    def as_dict(self) -> dict[str, Any]:
        def row(r: CriterionStats) -> dict[str, Any]:
            return {
                "code": r.code,
                "label": r.label,
                "flagged": r.flagged,
                "petitioned": r.petitioned,
                "share": r.share,
            }

        return {
            "run": self.run.pk if self.run else None,
            "runs": [
                {
                    "id": r.pk,
                    "organ": r.organ_id,
                    "month": r.month.strftime("%Y-%m"),
                    "as_of": r.as_of.isoformat(),
                }
                for r in self.runs
            ],
            "window_days": self.window,
            "open_runs": self.open_runs,
            "criteria": [row(r) for r in self.rows],
            "overall": row(self.overall),
        }


def criteria_runs(
    user: Any, period: Period, organ_ids: Iterable[int] | None = None
) -> list[ScreeningRun]:
    """The completed runs of the period the user sees (of `organ_ids` among them): what
    the per-criterion table counts, and the choices of its run filter."""
    qs = access.visible(user, ScreeningRun.objects.all()).filter(
        status=RunStatus.DONE, month__gte=period.first, month__lt=period.end
    )
    if organ_ids is not None:
        qs = qs.filter(organ_id__in=list(organ_ids))
    # Only what the table needs: never the grades or anything else of a run.
    return list(
        qs.only("id", "organ_id", "month", "as_of", "criteria").order_by("-month", "organ_id")
    )


def by_criterion(
    user: Any,
    period: Period,
    organ_ids: Iterable[int] | None = None,
    *,
    run: ScreeningRun | None = None,
    window: int = DEFAULT_WINDOW,
    today: dt.date | None = None,
) -> CriteriaStats:
    """For each criterion of the chosen run (or of the runs of the period): the cases it
    flagged and how many of those had a petition dated within `window` days after the
    run's 排查日. Two queries: the runs, then one aggregate over their results (the bit
    test of `fired` is done in SQL)."""
    today = today or timezone.localdate()
    choices = criteria_runs(user, period, organ_ids)
    runs = [run] if run is not None else choices
    # code -> label, in first-seen order; code -> {bit: [run ids]}
    labels: dict[str, str] = {}
    bits: dict[str, dict[int, list[int]]] = {}
    for r in runs:
        for i, c in enumerate(r.criteria or []):
            code = str(c.get("code", i))
            labels.setdefault(code, str(c.get("label") or code))
            bits.setdefault(code, {}).setdefault(i, []).append(r.pk)
    open_runs = sum(1 for r in runs if r.as_of + dt.timedelta(days=window) > today)
    empty = CriteriaStats(
        runs, window, [], CriterionStats("", str(_("全部列入研判案件")), 0, 0), 0, run, choices
    )
    if not runs:
        return empty
    followed = Exists(
        Petition.objects.filter(
            case_id=OuterRef("case_id"),
            date__gt=OuterRef("run__as_of"),
            date__lte=OuterRef("run__as_of") + dt.timedelta(days=window),
        )
    )
    aggregates: dict[str, Any] = {
        "all_n": Count("case_id", distinct=True),
        "all_p": Count("case_id", distinct=True, filter=Q(followed=True)),
    }
    codes = list(labels)
    for n, code in enumerate(codes):
        fired = Q()
        for bit, run_ids in bits[code].items():
            fired |= _bit_q(bit, run_ids)
        aggregates[f"c{n}_n"] = Count("case_id", distinct=True, filter=fired)
        aggregates[f"c{n}_p"] = Count("case_id", distinct=True, filter=fired & Q(followed=True))
    # The petition test is an annotation, so the database evaluates it once per result
    # (Django then aggregates over a subquery), not once per criterion.
    results = (
        access.visible(user, ScreeningResult.objects.all())
        .filter(run_id__in=[r.pk for r in runs], flagged=True)
        .annotate(followed=followed)
    )
    figures = results.aggregate(**aggregates)
    rows = [
        CriterionStats(code, labels[code], figures[f"c{n}_n"] or 0, figures[f"c{n}_p"] or 0)
        for n, code in enumerate(codes)
    ]
    overall = CriterionStats("", empty.overall.label, figures["all_n"] or 0, figures["all_p"] or 0)
    return CriteriaStats(runs, window, rows, overall, open_runs, run, choices)


class _BitSet(Func):
    """``(fired & mask) <> 0``: a boolean usable in ``filter=`` on both backends."""

    template = "(%(expressions)s) <> 0"
    output_field = BooleanField()


def _bit_q(bit: int, run_ids: list[int]) -> Q:
    """Results of `run_ids` whose `fired` has `bit` set — a bitwise AND in SQL, never a
    loop over the rows."""
    test = ExpressionWrapper(F("fired").bitand(1 << bit), output_field=BigIntegerField())
    return Q(run_id__in=run_ids) & Q(_BitSet(test))


# ---------------------------------------------------------------------------------------
# The page's and the API's one entry
# ---------------------------------------------------------------------------------------


@dataclass
class Report:
    period: Period
    organ: OrganProfile | None  # the organ chosen, or None for every visible one
    organ_choices: list[tuple[int, str]]
    monthly: MonthlyStats
    criteria: CriteriaStats

    @property
    def no_organs(self) -> bool:
        return not self.organ_choices

    def as_dict(self) -> dict[str, Any]:
        return {
            "organ": self.organ.department_id if self.organ else None,
            "monthly": self.monthly.as_dict(),
            "criteria": self.criteria.as_dict(),
        }


def report(
    user: Any,
    *,
    first: Any = None,
    last: Any = None,
    organ: Any = None,
    run: Any = None,
    window: Any = None,
    today: dt.date | None = None,
) -> Report:
    """Everything the statistics page and the API show, from their raw parameters. The
    organ and the run a user names are fetched through the scoping queries: another
    organ's id is a 404, as if it did not exist."""
    from .queries import organ_for, run_for

    period = period_from(first, last, today)
    profile = organ_for(user, organ) if organ not in (None, "") else None
    chosen = run_for(user, run) if run not in (None, "") else None
    ids = [profile.department_id] if profile is not None else None
    figures = monthly(user, period, ids)
    if profile is None:
        choices = [(o.organ_id, o.name) for o in figures.organs]
    else:
        choices = [(p.department_id, p.department.name) for p in organs_of(user)]
    criteria = by_criterion(user, period, ids, run=chosen, window=parse_window(window), today=today)
    return Report(period, profile, choices, figures, criteria)
