"""The supervision dashboard's figures (督促检查 · 数据看板), computed here and only here:
the page (`views/dashboard.py`) and the API (`api/supervision/dashboard.py`) both call
`figures(user, year, department)`.

Every figure is a GROUP BY over rows the user may see (`org.access.visible`), narrowed
by the year and the department chosen, on indexed columns; the result is kept per scope
and filters for five minutes (`core.memo.Memo`: per worker, nothing written on a read)
and the page says when it was computed. A supervisor's 刷新 bumps a generation number
kept in Django's cache, so every worker recomputes on its next read.

Each item carries the URL of the list behind it with the same filter applied; a chart
without data has no items (the page says 暂无数据 — never sample data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fengping.core.memo import Memo
from fengping.infosec.risk_lists import LEVEL_NAMES
from fengping.org import access
from fengping.org.models import Department

from .models import Obligation, ObligationKind

SECONDS = 300  # how long a figure may lag
TOP_DEPARTMENTS = 10
GENERATION_KEY = "fengping:supervision:dashboard:generation"

_memo: Memo[dict[str, Any]] = Memo()


@dataclass(frozen=True)
class Filters:
    year: int | None = None
    department: Department | None = None  # one the user may see

    @property
    def path(self) -> str | None:
        return self.department.path if self.department is not None else None

    def query(self, **extra: Any) -> dict[str, Any]:
        """The list filters of the matters list that match these filters."""
        q: dict[str, Any] = {}
        if self.year:
            q["year"] = self.year
        if self.department is not None:
            q["department"] = self.department.pk
        q.update({k: v for k, v in extra.items() if v not in (None, "")})
        return q


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # "bar", "pie" or "line"
    items: list[dict[str, Any]] = field(default_factory=list)  # {label, value, url, code}
    note: str = ""
    series: list[dict[str, Any]] = field(default_factory=list)  # line charts: extra series

    @property
    def empty(self) -> bool:
        return not any(item["value"] for item in self.items)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "kind": self.kind,
            "items": self.items,
            "series": self.series,
            "note": self.note,
            "empty": self.empty,
        }


def _url(name: str, params: dict[str, Any]) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(params)}" if params else url


def visible_departments(user: Any) -> QuerySet[Department]:
    return access.visible(user, Department.objects.filter(is_active=True)).order_by("path")


def parse_filters(user: Any, year: Any, department: Any) -> Filters:
    """The filters from query parameters; a department the user may not see is ignored."""
    try:
        y = int(year) if year not in (None, "") else None
    except (TypeError, ValueError):
        y = None
    if y is not None and not 1900 <= y <= 2999:
        y = None
    dept = None
    try:
        pk = int(department) if department not in (None, "") else None
    except (TypeError, ValueError):
        pk = None
    if pk is not None:
        dept = visible_departments(user).filter(pk=pk).first()
    return Filters(y, dept)


# ----------------------------------------------------------------------------- matters


def _matters(user: Any, f: Filters, *, year: bool = True) -> QuerySet[Any]:
    from fengping.matters.models import Matter

    qs = access.visible(user, Matter.objects.all())
    if year and f.year:
        qs = qs.filter(year=f.year)
    if f.path:
        qs = qs.filter(department__path__startswith=f.path)
    return qs.order_by()


def _counts(qs: QuerySet[Any], column: str) -> dict[Any, int]:
    """GROUP BY one indexed column (grade, status, year, department): a covering index
    scan when the user sees everything."""
    return dict(qs.values_list(column).annotate(n=Count("id")).order_by())


def _sum(rows: list[dict[str, Any]], key: str) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for r in rows:
        out[r[key]] = out.get(r[key], 0) + r["n"]
    return out


def _top(counts: dict[Any, int]) -> list[tuple[Any, str, int]]:
    """The TOP_DEPARTMENTS largest (department pk, name, count), largest first."""
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:TOP_DEPARTMENTS]
    names = dict(Department.objects.filter(pk__in=[pk for pk, _n in top]).values_list("pk", "name"))
    rows = [(pk, names.get(pk, str(pk)), n) for pk, n in top]
    return sorted(rows, key=lambda r: (-r[2], r[1]))


def matters_by_grade(user: Any, f: Filters) -> Chart:
    from fengping.schemebook.options import ssra_options

    counts = _counts(_matters(user, f).exclude(grade=""), "grade")
    known = dict(ssra_options().grades)
    order = [code for code in known if code in counts] + sorted(set(counts) - set(known))
    items = [
        {
            "code": grade,
            "label": str(known.get(grade, grade)),
            "value": counts[grade],
            "url": _url("matters:list", f.query(grade=grade)),
        }
        for grade in order
    ]
    return Chart("grade", _("评估事项 · 按风险等级"), "pie", items)


def matters_by_status(user: Any, f: Filters) -> Chart:
    from fengping.matters.models import MatterStatus

    counts = _counts(_matters(user, f), "status")
    items = [
        {
            "code": code,
            "label": str(label),
            "value": counts.get(code, 0),
            "url": _url("matters:list", f.query(status=code)),
        }
        for code, label in MatterStatus.choices
    ]
    return Chart("status", _("评估事项 · 按状态"), "bar", items)


def matters_by_department(user: Any, f: Filters) -> Chart:
    items = [
        {
            "code": pk,
            "label": name,
            "value": n,
            "url": _url("matters:list", {**f.query(), "department": pk}),
        }
        for pk, name, n in _top(_counts(_matters(user, f), "department_id"))
    ]
    return Chart(
        "department",
        _("评估事项 · 按责任主体（前 %(n)s）") % {"n": TOP_DEPARTMENTS},
        "bar",
        items,
    )


def matters_by_year(user: Any, f: Filters) -> Chart:
    """Every year (the year filter does not apply; the department does)."""
    counts = _counts(_matters(user, f, year=False), "year")
    items = [
        {
            "code": year,
            "label": str(year),
            "value": counts[year],
            "url": _url("matters:list", {**f.query(), "year": year}),
        }
        for year in sorted(counts)
    ]
    return Chart("year", _("评估事项 · 按年度"), "bar", items)


def decisions_by_kind(user: Any, f: Filters) -> Chart:
    """Decided matters by the outcome of their decision: each slice opens the matters list
    filtered by that outcome (its 决定 filter), so the slice counts matters — a matter
    decided twice alike is one — and the list behind it shows that many."""
    from fengping.assessments.models import Decision
    from fengping.schemebook.options import ssra_options

    qs = access.visible(user, Decision.objects.all())
    if f.year:
        qs = qs.filter(matter__year=f.year)
    if f.path:
        qs = qs.filter(matter__department__path__startswith=f.path)
    rows = (
        qs.order_by()
        .values("outcome")
        .annotate(n=Count("matter", distinct=True), label=Max("outcome_label"))
        .order_by("-n", "outcome")
    )
    known = dict(ssra_options().decisions)
    items = [
        {
            "code": r["outcome"],
            "label": r["label"] or str(known.get(r["outcome"], r["outcome"])),
            "value": r["n"],
            # An outcome no scheme offers any more is not a choice of the filter: its
            # slice opens the decided matters.
            "url": _url(
                "matters:list",
                f.query(decision=r["outcome"])
                if r["outcome"] in known
                else f.query(status="decided"),
            ),
        }
        for r in rows
    ]
    return Chart("decisions", _("评估决定 · 按决定类型"), "pie", items)


# ------------------------------------------------------------------------- obligations


def _overdue(user: Any, f: Filters, today: dt.date) -> QuerySet[Obligation]:
    qs = access.visible(user, Obligation.objects.filter(done_at__isnull=True, due_on__lt=today))
    if f.year:
        qs = qs.filter(due_on__year=f.year)
    if f.path:
        qs = qs.filter(department__path__startswith=f.path)
    return qs.order_by()


def _todo(**params: Any) -> str:
    # The obligations list (supervision:todo) is drawn by its own module; linked by path.
    return "/supervision/todo/?" + urlencode({"status": "overdue", **params})


def overdue_cube(user: Any, f: Filters, today: dt.date) -> list[dict[str, Any]]:
    """Overdue obligations counted by kind and department in one query."""
    return list(_overdue(user, f, today).values("kind", "department_id").annotate(n=Count("id")))


def overdue_by_kind(
    user: Any, f: Filters, today: dt.date, cube: list[dict[str, Any]] | None = None
) -> Chart:
    counts = _sum(cube if cube is not None else overdue_cube(user, f, today), "kind")
    extra = {"department": f.department.pk} if f.department is not None else {}
    items = [
        {"code": code, "label": str(label), "value": counts[code], "url": _todo(kind=code, **extra)}
        for code, label in ObligationKind.choices
        if counts.get(code)
    ]
    return Chart("overdue_kind", _("逾期未完成事项 · 按类别"), "bar", items)


def overdue_by_department(
    user: Any, f: Filters, today: dt.date, cube: list[dict[str, Any]] | None = None
) -> Chart:
    counts = _sum(cube if cube is not None else overdue_cube(user, f, today), "department_id")
    items = [
        {"code": pk, "label": name, "value": n, "url": _todo(department=pk)}
        for pk, name, n in _top(counts)
    ]
    return Chart("overdue_department", _("逾期未完成事项 · 按责任单位"), "bar", items)


# ------------------------------------------------------------------------------- cases


def screening_trend(user: Any, f: Filters, today: dt.date) -> Chart:
    """Cases flagged (列入研判) per month by the finished monthly screenings: the run rows
    carry their counts, so this reads one row per organ and month."""
    from fengping.cases.models import RunStatus, ScreeningRun

    qs = access.visible(user, ScreeningRun.objects.filter(status=RunStatus.DONE))
    if f.year:
        qs = qs.filter(month__year=f.year)
    else:
        first = (today.replace(day=1) - dt.timedelta(days=366)).replace(day=1)
        qs = qs.filter(month__gte=first)
    if f.path:
        qs = qs.filter(organ__path__startswith=f.path)
    rows = (
        qs.order_by()
        .values("month")
        .annotate(flagged=Sum("flagged"), screened=Sum("screened"))
        .order_by("month")
    )
    params = {"organ": f.department.pk} if f.department is not None else {}
    url = _url("cases:screening_runs", params)
    items = [
        {
            "code": f"{r['month']:%Y-%m}",
            "label": f"{r['month']:%Y-%m}",
            "value": r["flagged"] or 0,
            "screened": r["screened"] or 0,
            "url": url,
        }
        for r in rows
    ]
    chart = Chart("screening", _("办案风险排查 · 各月列入研判案件数"), "line", items)
    chart.series = [
        {"name": _("列入研判"), "field": "value"},
        {"name": _("排查案件"), "field": "screened"},
    ]
    return chart


# ----------------------------------------------------------------------------- infosec

# The five bands of GB/T 20984, level 1 first: the names the estate-wide risk list gives
# them (one definition, so a slice is named as the list it opens names its level).
LEVEL_LABELS = tuple(LEVEL_NAMES[n] for n in sorted(LEVEL_NAMES))


def risk_by_level(user: Any, f: Filters) -> Chart:
    """Risk scenarios of each system's latest assessment, by level: each slice opens the
    风险清单（全部系统） (the same scenarios: `infosec.queries.latest_assessment_ids`)
    filtered by that level and the department."""
    from fengping.infosec.models import Scenario
    from fengping.infosec.queries import latest_assessment_ids

    qs = access.visible(user, Scenario.objects.filter(assessment_id__in=latest_assessment_ids()))
    if f.path:
        qs = qs.filter(assessment__system__department__path__startswith=f.path)
    counts = dict(qs.order_by().values_list("level").annotate(n=Count("id")))
    params = {"department": f.department.pk} if f.department is not None else {}
    items = [
        {
            "code": level,
            "label": str(LEVEL_LABELS[level - 1]),
            "value": counts.get(level, 0),
            "url": _url("infosec:all_risks", {"level": level, **params}),
        }
        for level in range(5, 0, -1)
    ]
    return Chart("risk", _("信息安全风险 · 按风险等级"), "pie", items)


def remediation_progress(user: Any, f: Filters, today: dt.date) -> Chart:
    from fengping.infosec.models import OPEN_TASK_STATUSES, RemediationTask, TaskStatus

    qs = access.visible(user, RemediationTask.objects.exclude(status=TaskStatus.CANCELLED))
    if f.year:
        qs = qs.filter(deadline__year=f.year)
    if f.path:
        qs = qs.filter(system__department__path__startswith=f.path)
    open_ = Q(status__in=list(OPEN_TASK_STATUSES))
    got = qs.order_by().aggregate(
        done=Count("id", filter=~open_),
        overdue=Count("id", filter=open_ & Q(deadline__lt=today)),
        open=Count("id", filter=open_ & Q(deadline__gte=today)),
    )
    items = [
        {
            "code": "done",
            "label": _("已完成"),
            "value": got["done"] or 0,
            "url": _url("infosec:all_tasks", {"status": "done"}),
        },
        {
            "code": "open",
            "label": _("整改中（未逾期）"),
            "value": got["open"] or 0,
            "url": _url("infosec:all_tasks", {"status": "unfinished", "overdue": "0"}),
        },
        {
            "code": "overdue",
            "label": _("已逾期"),
            "value": got["overdue"] or 0,
            "url": _url("infosec:all_tasks", {"status": "unfinished", "overdue": "1"}),
        },
    ]
    return Chart("remediation", _("安全整改进度"), "pie", items)


# ------------------------------------------------------------------------------- all


def _compute(user: Any, f: Filters) -> dict[str, Any]:
    today = timezone.localdate()
    overdue = overdue_cube(user, f, today)
    charts: list[Callable[[], Chart]] = [
        lambda: matters_by_grade(user, f),
        lambda: matters_by_status(user, f),
        lambda: matters_by_department(user, f),
        lambda: matters_by_year(user, f),
        lambda: decisions_by_kind(user, f),
        lambda: overdue_by_kind(user, f, today, overdue),
        lambda: overdue_by_department(user, f, today, overdue),
        lambda: screening_trend(user, f, today),
        lambda: risk_by_level(user, f),
        lambda: remediation_progress(user, f, today),
    ]
    return {"charts": [c().as_dict() for c in charts]}


def scope_key(user: Any) -> tuple[Any, ...]:
    """Users who see the same rows share the figures."""
    scope = access.scope_of(user)
    if scope.everything:
        return ("*",)
    return tuple(sorted(scope.view_paths))


def generation() -> int:
    return int(cache.get(GENERATION_KEY, 0))


def figures(user: Any, f: Filters) -> tuple[dict[str, Any], dt.datetime]:
    """(the charts, when they were computed)."""
    key = (
        scope_key(user),
        f.year,
        f.path,
        translation.get_language(),
        generation(),
    )
    return _memo.get(key, SECONDS, lambda: _compute(user, f))


def refresh() -> None:
    """Forget every worker's figures (a supervisor's 刷新; written on a POST)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, None)
    _memo.clear()


def year_options(user: Any) -> list[int]:
    from fengping.matters.queries import year_options as matter_years

    return matter_years(user)


def can_refresh(user: Any) -> bool:
    return access.is_supervisor(user) or access.is_org_admin(user)
