"""The annual evaluation (篇1 七(二) 将其纳入年度考核工作内容,与评先评优直接挂钩; 篇3 七(四)
把社会稳定风险评估工作纳入年度目标考核,严格兑现奖惩): each obliged department's score under
the rubric of the supervising scheme (`supervision.evaluation`, scheme data), with the
evidence behind every point.

A `ratio` item earns `points × done on time / due` (nothing due: full points, "本年度无此项
任务"); a `deduct` item takes `points` off per event, at most `cap`. The score is the sum,
never below 0; departments are ranked by score, ties sharing a rank (1, 1, 3).

Every metric reads its source rows for the whole organisation in a constant number of
queries and gives each row to the obliged department whose subtree holds it (the deepest
one when obliged departments nest), so the computation does not grow in queries with the
number of departments. Reads only: `actions.evaluation.do_compute_evaluation` stores it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from fengping.org.models import Department
from fengping.schemes.model import EvaluationItem, Scheme

from . import deadlines
from .obliged import obliged, obliged_by

NOTHING_DUE = "本年度无此项任务"
CENT = Decimal("0.01")


def cn_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def local_day(value: dt.datetime | None) -> dt.date | None:
    return None if value is None else timezone.localtime(value).date()


def link(name: str, *args: Any) -> str:
    """The page of an object, or "" when the page does not exist (an area of the app not
    installed): evidence is stored, so a link must never break the computation."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@dataclass
class Row:
    """One point of evidence: a unit of work (on time or not) or one deduction event."""

    text: str
    url: str = ""
    ok: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "url": self.url, "ok": self.ok}


@dataclass
class Tally:
    """What a metric found for one department: units due and done on time (ratio), or
    events (deduct), each with its evidence row; `note` marks a metric not connected."""

    due: int = 0
    done: int = 0
    rows: list[Row] = field(default_factory=list)
    note: str = ""

    def unit(self, ok: bool, text: str, url: str = "") -> None:
        self.due += 1
        self.done += int(ok)
        self.rows.append(Row(text, url, ok))

    def event(self, text: str, url: str = "") -> None:
        self.due += 1
        self.rows.append(Row(text, url, False))


Tallies = dict[int, Tally]


@dataclass
class Context:
    year: int
    today: dt.date
    scheme: Scheme
    departments: list[Department]

    def __post_init__(self) -> None:
        # Deepest first: a row belongs to the innermost obliged department above it.
        self._paths = sorted(((d.path, d.pk) for d in self.departments), key=lambda x: -len(x[0]))
        self.root_paths = sorted({d.root_path for d in self.departments})

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.year, 12, 31)

    def owner(self, path: str) -> int | None:
        for prefix, pk in self._paths:
            if path.startswith(prefix):
                return pk
        return None

    def under(self, lookup: str) -> Q:
        q = Q()
        for root in self.root_paths:
            q |= Q(**{f"{lookup}__startswith": root})
        return q if self.root_paths else Q(pk__in=[])

    def due_passed(self, day: dt.date) -> bool:
        return day < self.today

    def since(self, pk: int) -> dt.date | None:
        """`Obliged.joined_on` of department `pk` (`obliged.obliged`, once per run)."""
        if not hasattr(self, "_since"):
            self._since: dict[int, dt.date] = {}
            for root in self.root_paths:
                found = obliged(self.scheme, root=root)
                self._since.update({k: o.joined_on for k, o in found.items() if o.joined_on})
        return self._since.get(pk)

    def months(self) -> list[dt.date]:
        last = 12 if self.today.year > self.year else self.today.month
        return [dt.date(self.year, m, 1) for m in range(1, last + 1)]


def obliged_departments(
    org_root: Department, year: int, scheme: Scheme | None = None
) -> list[Department]:
    """The departments evaluated for `year` in the organisation of `org_root`: those
    obliged by the end of the year (`obliged.obliged_by`)."""
    pks = obliged_by(dt.date(year, 12, 31), scheme, root=org_root.root_path)
    return list(Department.objects.filter(pk__in=pks).order_by("path"))


# -- the metrics --------------------------------------------------------------------------


def _late_days(done: dt.date | None, due: dt.date) -> int:
    return max(0, (done - due).days) if done else 0


def _yearly(
    ctx: Context, code: str, rows: Iterable[tuple[str, Any]], describe: Callable[[Any], Row]
) -> Tallies:
    """A yearly filing (plan, rules): one unit per department once due or filed."""
    try:
        deadlines.yearly_due(code, ctx.year, ctx.scheme)
    except LookupError:
        return {}
    out: Tallies = {}
    filed: set[int] = set()
    for path, obj in rows:
        pk = ctx.owner(path)
        if pk is None or pk in filed:
            continue
        filed.add(pk)
        row = describe(obj)
        out.setdefault(pk, Tally()).unit(row.ok, row.text, row.url)
    for d in ctx.departments:
        if d.pk in filed:
            continue
        _base, due = deadlines.yearly_due(code, ctx.year, ctx.scheme, since=ctx.since(d.pk))
        if ctx.due_passed(due):
            out.setdefault(d.pk, Tally()).unit(False, f"未按时报送（时限{cn_date(due)}）")
    return out


def plan_on_time(ctx: Context) -> Tallies:
    from .models import PlanFiling

    filings = (
        PlanFiling.objects.filter(
            ctx.under("plan__department__path"), plan__year=ctx.year, number=1
        )
        .select_related("plan__department")
        .order_by("plan__department__path")
    )

    def describe(f: PlanFiling) -> Row:
        text = f"{cn_date(f.filed_at)}备案（第{f.number}版）"
        if f.late:
            days = _late_days(local_day(f.filed_at), f.due_on)
            text += f"，逾期{days}天" if days else "，逾期备案"
        return Row(text, link("supervision:plan", f.plan_id), not f.late)

    return _yearly(ctx, "annual_plan", ((f.plan.department.path, f) for f in filings), describe)


def rules_on_time(ctx: Context) -> Tallies:
    from .models import RulesFiling

    filings = (
        RulesFiling.objects.filter(
            ctx.under("department__path"), year=ctx.year, filed_at__isnull=False
        )
        .select_related("department")
        .order_by("department__path", "number")
    )

    def describe(f: RulesFiling) -> Row:
        text = f"{cn_date(f.filed_at)}报送《{f.title}》（第{f.number}版）"
        if f.late:
            days = _late_days(local_day(f.filed_at), f.due_on)
            text += f"，逾期{days}天" if days else "，逾期报送"
        return Row(text, link("supervision:rules", f.pk), not f.late)

    return _yearly(ctx, "implementation_rules", ((f.department.path, f) for f in filings), describe)


def reports_on_time(ctx: Context) -> Tallies:
    """One unit per month of the year whose report was due (the 20th has passed) or has
    been submitted: submitted and not late."""
    from .models import MonthlyReport, ReportStatus

    try:
        dues = {
            m: deadlines.monthly_due("monthly_progress", m, ctx.scheme)[1] for m in ctx.months()
        }
    except LookupError:
        return {}
    reports: dict[tuple[int, dt.date], Any] = {}
    for r in (
        MonthlyReport.objects.filter(ctx.under("department__path"), month__year=ctx.year)
        .select_related("department")
        .order_by("month", "id")
    ):
        pk = ctx.owner(r.department.path)
        if pk is not None:
            reports.setdefault((pk, r.month), r)
    sent = {ReportStatus.SUBMITTED, ReportStatus.ACKNOWLEDGED}
    out: Tallies = {}
    for d in ctx.departments:
        for month, due in dues.items():
            r = reports.get((d.pk, month))
            submitted = r is not None and r.status in sent and r.submitted_at is not None
            if not submitted and not ctx.due_passed(due):
                continue
            label = f"{month.year}年{month.month}月报告"
            url = link("supervision:report", r.pk) if r is not None else ""
            if not submitted:
                out.setdefault(d.pk, Tally()).unit(
                    False, f"{label}未上报（时限{cn_date(due)}）", url
                )
                continue
            days = _late_days(local_day(r.submitted_at), r.due_on)
            if r.late:
                text = f"{label}逾期{days}天" if days else f"{label}逾期上报"
            else:
                text = f"{label}{cn_date(r.submitted_at)}按时上报"
            out.setdefault(d.pk, Tally()).unit(not r.late, text, url)
    return out


def filings_on_time(ctx: Context) -> Tallies:
    """One unit per decision of the year on an assessment whose filing was due: every
    filing made and none late (篇3 六(七) 决定的次日)."""
    from fengping.assessments.models import Decision, Filing

    decisions = list(
        Decision.objects.filter(
            ctx.under("matter__department__path"),
            decided_on__year=ctx.year,
            assessment__isnull=False,
        )
        .select_related("matter__department")
        .order_by("decided_on", "id")
    )
    filings: dict[int, list[Filing]] = {}
    for f in (
        Filing.objects.filter(assessment_id__in=[d.assessment_id for d in decisions])
        .select_related("office")
        .order_by("filed_on", "id")
    ):
        filings.setdefault(f.assessment_id, []).append(f)
    out: Tallies = {}
    for dec in decisions:
        pk = ctx.owner(dec.matter.department.path)
        if pk is None:
            continue
        made = filings.get(dec.assessment_id, [])
        due = dec.filing_due
        if not made and not ctx.due_passed(due):
            continue
        head = f"《{dec.matter.title}》{cn_date(dec.decided_on)}决定"
        url = link("assessments:detail", dec.assessment_id)
        if not made:
            out.setdefault(pk, Tally()).unit(False, f"{head}，未备案（时限{cn_date(due)}）", url)
            continue
        late = [f for f in made if f.late]
        parts = "、".join(
            f"{cn_date(f.filed_on)}报{f.office.short_name or f.office.name}"
            + ("（逾期）" if f.late else "")
            for f in made
        )
        out.setdefault(pk, Tally()).unit(not late, f"{head}，{parts}备案", url)
    return out


def measures_on_time(ctx: Context) -> Tallies:
    """One unit per 应对措施 due in the year (once due, or done): done by its due date,
    the day it was marked 已落实 (`FollowUpMeasure.done_on`, from `completed_at`)."""
    from fengping.assessments.models import FollowUpMeasure, MeasureStatus

    out: Tallies = {}
    for m in (
        FollowUpMeasure.objects.filter(
            ctx.under("assessment__matter__department__path"), due__year=ctx.year
        )
        .select_related("assessment__matter__department")
        .order_by("due", "id")
    ):
        pk = ctx.owner(m.assessment.matter.department.path)
        done = m.status == MeasureStatus.DONE
        if pk is None or (not done and not ctx.due_passed(m.due)):
            continue
        finished = m.done_on()
        ok = done and finished is not None and finished <= m.due
        head = f"措施“{m.title}”（《{m.assessment.matter.title}》，时限{cn_date(m.due)}）"
        if ok:
            text = f"{head}{cn_date(finished)}已落实"
        elif done:
            text = f"{head}逾期{_late_days(finished, m.due)}天落实"
        else:
            text = f"{head}逾期未落实"
        out.setdefault(pk, Tally()).unit(ok, text, link("assessments:detail", m.assessment_id))
    return out


def tasks_on_time(ctx: Context) -> Tallies:
    """One unit per 安全整改 task of the department's systems due in the year (once due,
    or closed), cancelled ones aside: closed by its deadline."""
    from fengping.infosec.models import RemediationTask, TaskStatus

    closed = {TaskStatus.DONE, TaskStatus.CLOSED_BY_SCAN}
    out: Tallies = {}
    for t in (
        RemediationTask.objects.filter(
            ctx.under("system__department__path"), deadline__year=ctx.year
        )
        .exclude(status=TaskStatus.CANCELLED)
        .select_related("system__department")
        .order_by("deadline", "id")
    ):
        pk = ctx.owner(t.system.department.path)
        is_closed = t.status in closed
        if pk is None or (not is_closed and not ctx.due_passed(t.deadline)):
            continue
        finished = local_day(t.closed_at) if is_closed else None
        ok = finished is not None and finished <= t.deadline
        head = f"{t.system.name}整改“{t.title}”（期限{cn_date(t.deadline)}）"
        if ok:
            text = f"{head}{cn_date(finished)}完成"
        elif is_closed:
            text = f"{head}逾期{_late_days(finished, t.deadline)}天完成"
        else:
            text = f"{head}逾期未完成"
        out.setdefault(pk, Tally()).unit(ok, text, link("infosec:task", t.pk))
    return out


def screening_on_time(ctx: Context) -> Tallies:
    """One unit per organ profile and month of the year (a month counts once it is over,
    or screened; none before the organ was set up): the month's screening completed."""
    from fengping.cases.models import OrganProfile, RunStatus, ScreeningRun

    profiles = list(
        OrganProfile.objects.filter(ctx.under("department__path"))
        .select_related("department")
        .order_by("department__path")
    )
    runs = {
        (r.organ_id, r.month): r
        for r in ScreeningRun.objects.filter(
            organ_id__in=[p.department_id for p in profiles],
            month__year=ctx.year,
            status=RunStatus.DONE,
        ).only("id", "organ_id", "month", "finished_at")
    }
    out: Tallies = {}
    for p in profiles:
        pk = ctx.owner(p.department.path)
        if pk is None:
            continue
        since = deadlines.month_start(local_day(p.created_at) or ctx.start)
        for month in ctx.months():
            if month < since:
                continue
            run = runs.get((p.department_id, month))
            last = dt.date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])
            if run is None and not ctx.due_passed(last):
                continue
            label = f"{p.department.name}{month.year}年{month.month}月排查"
            if run is None:
                out.setdefault(pk, Tally()).unit(False, f"{label}未开展")
            else:
                out.setdefault(pk, Tally()).unit(
                    True,
                    f"{label}已完成（{cn_date(run.finished_at)}）",
                    link("cases:screening_run", run.pk),
                )
    return out


def unassessed(ctx: Context) -> Tallies:
    """应评估而未评估: matters decided, cases adjudicated and systems left without a
    current assessment in the year (`supervision.unassessed.decided_in`), one event each."""
    from .unassessed import decided_in

    out: Tallies = {}
    for miss in decided_in(ctx.year):
        pk = ctx.owner(miss.department_path)
        if pk is not None:
            out.setdefault(pk, Tally()).event(miss.text, miss.url)
    return out


def incidents(ctx: Context) -> Tallies:
    """Serious incidents (给社会稳定造成严重影响) of the year linked to the department's
    matters, cases or systems: one event per incident and department."""
    from .models import IncidentLink

    out: Tallies = {}
    seen: set[tuple[int, int]] = set()
    for link_row in (
        IncidentLink.objects.filter(
            ctx.under("department__path"),
            incident__serious=True,
            incident__occurred_at__gte=_aware(ctx.start),
            incident__occurred_at__lt=_aware(ctx.end + dt.timedelta(days=1)),
        )
        .select_related("incident", "department")
        .order_by("incident__occurred_at", "id")
    ):
        pk = ctx.owner(link_row.department.path)
        if pk is None or (link_row.incident_id, pk) in seen:
            continue
        seen.add((link_row.incident_id, pk))
        i = link_row.incident
        out.setdefault(pk, Tally()).event(
            f"{cn_date(i.occurred_at)}“{i.title}”（{i.get_kind_display()}）",
            link("supervision:incident", i.pk),
        )
    return out


def accountability(ctx: Context) -> Tallies:
    from .models import AccountabilityDecision

    out: Tallies = {}
    for a in (
        AccountabilityDecision.objects.filter(
            ctx.under("department__path"), decided_on__year=ctx.year
        )
        .select_related("department")
        .order_by("decided_on", "id")
    ):
        pk = ctx.owner(a.department.path)
        if pk is None:
            continue
        who = f"（{a.person_name}）" if a.person_name else ""
        out.setdefault(pk, Tally()).event(
            f"{cn_date(a.decided_on)} {a.doc_number} {a.get_measure_display()}{who}",
            link("supervision:incident", a.incident_id),
        )
    return out


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


METRICS: dict[str, Callable[[Context], Tallies]] = {
    "plan_on_time": plan_on_time,
    "rules_on_time": rules_on_time,
    "reports_on_time": reports_on_time,
    "filings_on_time": filings_on_time,
    "measures_on_time": measures_on_time,
    "tasks_on_time": tasks_on_time,
    "screening_on_time": screening_on_time,
    "unassessed": unassessed,
    "incidents": incidents,
    "accountability": accountability,
}


# -- scoring ------------------------------------------------------------------------------


def _dec(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def score_item(item: EvaluationItem, tally: Tally) -> dict[str, Any]:
    """One rubric line for one department: its points earned (a deduction negative) and
    the evidence behind them."""
    rows = [r.as_dict() for r in tally.rows]
    if item.kind == "ratio":
        if tally.due == 0:
            earned = _dec(item.points)
            rows = rows or [Row(tally.note or NOTHING_DUE).as_dict()]
        else:
            earned = _dec(Decimal(str(item.points)) * tally.done / tally.due)
    else:
        taken = Decimal(str(item.points)) * tally.due
        if item.cap is not None:
            taken = min(taken, Decimal(str(item.cap)))
        earned = -_dec(taken)
        if not rows:
            rows = [Row(tally.note or "无", ok=True).as_dict()]
    return {
        "code": item.code,
        "label": item.label,
        "metric": item.metric,
        "kind": item.kind,
        "points": float(item.points),
        "cap": None if item.cap is None else float(item.cap),
        "quote": item.quote or "",
        "earned": float(earned),
        "due": tally.due,
        "done": tally.done,
        "note": tally.note,
        "evidence": rows,
    }


@dataclass
class Result:
    department: Department
    score: Decimal
    items: list[dict[str, Any]]
    rank: int = 0


def rank(results: list[Result]) -> list[Result]:
    """By score, highest first; equal scores share a rank and the next rank skips
    (1, 1, 3); within a rank, the tree order."""
    results.sort(key=lambda r: (-r.score, r.department.path))
    for i, r in enumerate(results):
        r.rank = results[i - 1].rank if i and results[i - 1].score == r.score else i + 1
    return results


def compute(
    org_root: Department,
    year: int,
    *,
    scheme: Scheme | None = None,
    today: dt.date | None = None,
    departments: list[Department] | None = None,
) -> list[Result]:
    """Every obliged department's score for `year` under the rubric of `scheme` (default:
    the supervising scheme), ranked."""
    scheme = scheme or deadlines.supervising_scheme()
    assert scheme.supervision is not None
    if departments is None:
        departments = obliged_departments(org_root, year, scheme)
    ctx = Context(year, today or timezone.localdate(), scheme, departments)
    found: dict[str, Tallies] = {}
    for item in scheme.supervision.evaluation:
        if item.metric not in found:
            found[item.metric] = METRICS[item.metric](ctx)
    results = []
    for d in departments:
        items = [
            score_item(it, found[it.metric].get(d.pk, Tally()))
            for it in scheme.supervision.evaluation
        ]
        total = sum((Decimal(str(x["earned"])) for x in items), Decimal(0))
        results.append(Result(d, max(Decimal(0), _dec(total)), items))
    return rank(results)


# -- exports: the ranking as XLSX, the 通报 as DOCX ----------------------------------------

REPORT_KEY = "evaluation"


def earned_text(item: dict[str, Any]) -> str:
    earned = f"{item['earned']:g}"
    if item["kind"] == "ratio":
        return f"{earned}/{item['points']:g}"
    return earned if item["earned"] else "0"


def rubric_of(rows: list[Any]) -> list[dict[str, Any]]:
    """The rubric lines as stored with the run's scores (the scheme may have changed since)."""
    return rows[0].items if rows else []


def ranking_xlsx(run: Any, rows: list[Any]) -> bytes:
    """One sheet with the ranking (a column per rubric line), one with every evidence row."""
    from fengping.core.xlsx import write_workbook

    rubric = rubric_of(rows)
    head = ["名次", "被考核单位", "得分", *(f"{x['label']}（{x['points']:g}）" for x in rubric)]
    ranking = [
        [e.rank, e.department.name, float(e.score), *(x["earned"] for x in e.items)] for e in rows
    ]
    evidence = [
        [e.department.name, x["label"], x["earned"], "是" if r["ok"] else "否", r["text"], r["url"]]
        for e in rows
        for x in e.items
        for r in x["evidence"]
    ]
    return write_workbook(
        [
            ("排名", head, ranking),
            (
                "得分依据",
                ["被考核单位", "考核项目", "得分", "按时/无扣分", "依据", "链接"],
                evidence,
            ),
        ]
    )


def report_context(run: Any, rows: list[Any]) -> dict[str, Any]:
    """The 年度社会稳定风险评估工作考核情况通报: the rubric with its sources, the ranking
    and each department's lost points with their reasons."""
    rubric = [
        {
            "label": x["label"],
            "rule": (
                f"满分{x['points']:g}分，按按时完成的比例计分"
                if x["kind"] == "ratio"
                else f"每起扣{x['points']:g}分"
                + (f"，最多扣{x['cap']:g}分" if x.get("cap") else "")
            ),
            "quote": x.get("quote") or "—",
        }
        for x in rubric_of(rows)
    ]
    ranking = [
        {
            "rank": e.rank,
            "department": e.department.name,
            "score": format(Decimal(e.score).normalize(), "f"),
            "detail": "；".join(f"{x['label']} {earned_text(x)}" for x in e.items),
        }
        for e in rows
    ]
    losses = []
    for e in rows:
        lines = []
        for x in e.items:
            lost = x["points"] - x["earned"] if x["kind"] == "ratio" else -x["earned"]
            if lost <= 0:
                continue
            reasons = "；".join(r["text"] for r in x["evidence"] if not r["ok"]) or "—"
            lines.append({"label": x["label"], "lost": f"{lost:g}", "reasons": reasons})
        if lines:
            losses.append({"department": e.department.name, "lines": lines})
    provisional = bool(getattr(run, "is_provisional", False))
    return {
        "title": f"{run.year}年度社会稳定风险评估工作考核情况通报",
        "office": run.office.name,
        "computed_on": cn_date(run.computed_at),
        "provisional": "（年中情况，截至" + cn_date(run.computed_at) + "）" if provisional else "",
        "basis": [
            "将其纳入年度考核工作内容，与评先评优直接挂钩（篇1 七(二)）",
            "把社会稳定风险评估工作纳入年度目标考核，严格兑现奖惩（篇3 七(四)）",
        ],
        "rubric": rubric,
        "ranking": ranking,
        "losses": losses,
        "count": len(rows),
    }


def sample_context() -> dict[str, Any]:
    """A filled context without the database: what an uploaded `evaluation` template must
    render."""
    return {
        "title": "2026年度社会稳定风险评估工作考核情况通报",
        "office": "示范市维稳办",
        "computed_on": "2026年12月31日",
        "provisional": "",
        "basis": ["将其纳入年度考核工作内容，与评先评优直接挂钩（篇1 七(二)）"],
        "rubric": [
            {
                "label": "年度评估计划表按时备案",
                "rule": "满分15分，按按时完成的比例计分",
                "quote": "各责任主体要在3月底前将本年度社会稳定风险评估计划表报镇维稳办备案",
            }
        ],
        "ranking": [
            {
                "rank": 1,
                "department": "人社局",
                "score": "100",
                "detail": "年度评估计划表按时备案 15/15",
            }
        ],
        "losses": [
            {
                "department": "住建局",
                "lines": [
                    {
                        "label": "月度工作进展情况报告表按时上报",
                        "lost": "1.67",
                        "reasons": "2026年5月报告逾期3天",
                    }
                ],
            }
        ],
        "count": 1,
    }


def report_docx(run: Any, rows: list[Any]) -> bytes:
    from fengping.core.errors import ActionError
    from fengping.reports.actions import RENDER_ERRORS
    from fengping.reports.render import render_docx, template_for

    path, _origin = template_for(REPORT_KEY)
    try:
        return render_docx(path, report_context(run, rows))
    except RENDER_ERRORS as exc:
        raise ActionError(f"报告模板无法生成报告（{exc}），请管理员检查或恢复默认模板。") from exc


def file_name(run: Any, ext: str) -> str:
    return f"{run.year}年度社会稳定风险评估工作考核-{timezone.localtime(run.computed_at):%Y%m%d%H%M}.{ext}"
