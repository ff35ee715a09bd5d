"""Every obligation with a due date in one table (`Obligation`), kept in step with the
work it stands for.

One provider per `ObligationKind` yields what is OPEN now, read from the apps' data in a
few set-based queries (`values()` over the whole table, never a query per row); `sync`
compares that with the rows of the table by `key` and writes only the difference: new
rows in bulk, changed ones in bulk, `done_at` on the rows that are no longer open, and a
row opened again when its work is owed again. Running it twice changes nothing.

`fengping tick` runs it every hour (`supervision.actions.obligations`); an action that
wants its list current at once calls `sync_for(kinds)`. The reminders read the rows.

Re-assessments (`reassessment`, `reassessments`) come from two sources: an information
system in service whose last assessment stops being current (`unassessed.lapsed_on`),
and a matter decided 暂缓实施 (the supervising scheme's `supervision.reassess_postponed`,
[D]). An assessment reopened after an incident (assessments `IncidentAction.REOPEN`) owes
none: the matter goes back to 已登记 and no scheme gives the new assessment a deadline.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from fengping.org.models import Department, DepartmentKind
from fengping.schemes.model import Deadline, ReminderPolicy, Scheme

from . import deadlines, obliged
from .models import Obligation, ObligationKind

CHUNK = 1000


@dataclass(frozen=True)
class Due:
    """One open obligation as a provider computes it (the fields `sync` writes)."""

    kind: str
    key: str
    department_id: int
    title: str
    base_due_on: dt.date
    due_on: dt.date
    owner_id: int | None = None
    office_id: int | None = None
    url: str = ""
    scheme_key: str = ""
    deadline_code: str = ""
    object_type: str = ""
    object_id: str = ""


COMPARED = tuple(f.name for f in fields(Due) if f.name not in ("kind", "key"))


@dataclass
class Context:
    """What every provider reads once per sync: today, the supervising scheme, and the
    supervising offices of each organisation (root path -> kind -> department id)."""

    today: dt.date
    scheme: Scheme
    offices: dict[str, dict[str, int]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    _obliged: dict[int, obliged.Obliged] | None = None

    @property
    def policy(self) -> ReminderPolicy:
        return deadlines.policy(None, self.scheme)

    def office(self, path: str, kind: str = DepartmentKind.STABILITY_OFFICE) -> int | None:
        return self.offices.get(_root(path), {}).get(kind)


def _root(path: str) -> str:
    return path.split("/", 1)[0] + "/" if path else ""


def _url(name: str, *args: Any, fallback: str = "") -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


def _context(today: dt.date) -> Context:
    ctx = Context(today=today, scheme=deadlines.supervising_scheme())
    supervising = (
        DepartmentKind.STABILITY_OFFICE,
        DepartmentKind.JOINT_OFFICE,
        DepartmentKind.SUPERVISION,
    )
    rows = (
        Department.objects.filter(is_active=True, kind__in=supervising)
        .order_by("path")
        .values_list("pk", "path", "kind", "name")
    )
    for pk, path, kind, name in rows:
        ctx.offices.setdefault(_root(path), {}).setdefault(kind, pk)
        ctx.names[pk] = name
    return ctx


def _shift(day: dt.date, dl: Deadline | None, ctx: Context) -> dt.date:
    pol = dl.reminders if dl is not None and dl.reminders is not None else ctx.policy
    return deadlines.shifted(day, pol)


def _local_day(value: dt.datetime | None, default: dt.date) -> dt.date:
    if value is None:
        return default
    return timezone.localdate(value) if timezone.is_aware(value) else value.date()


# ------------------------------------------------------------------ who owes what


def obliged_departments(ctx: Context) -> dict[int, obliged.Obliged]:
    """Department id -> who it is and since when it owes: `obliged.obliged`."""
    if ctx._obliged is None:
        ctx._obliged = obliged.obliged(ctx.scheme)
    return ctx._obliged


def _years(since: dt.date, today: dt.date) -> range:
    """The plan years owed: from the year the department became obliged to this year,
    and next year's from 1 October (the plan for a year is owed from 1 October before)."""
    last = today.year + 1 if today >= dt.date(today.year, 10, 1) else today.year
    return range(since.year, last + 1)


def _months(since: dt.date, today: dt.date) -> Iterator[dt.date]:
    month = since.replace(day=1)
    end = today.replace(day=1)
    while month <= end:
        yield month
        month = (month + dt.timedelta(days=32)).replace(day=1)


# ------------------------------------------------------------------ providers


def _yearly(
    ctx: Context,
    kind: str,
    code: str,
    filed: set[tuple[int, int]],
    url: str,
    title: str,
) -> Iterator[Due]:
    """A yearly filing owed by each obliged department for each year from the one it
    became obliged in, until (department, year) is in `filed`; `title` takes the
    department's name and the year."""
    dl = deadlines.deadline(code, ctx.scheme)
    if dl is None or dl.rule.kind != "yearly":
        return
    for dept, o in obliged_departments(ctx).items():
        path, name = o.path, o.name
        for year in _years(o.since, ctx.today):
            if (dept, year) in filed:
                continue
            base = deadlines.joined_late(
                dt.date(year, dl.rule.month, dl.rule.day), o.joined_on, ctx.scheme
            )
            yield Due(
                kind=kind,
                key=f"{kind}:{dept}:{year}",
                department_id=dept,
                office_id=ctx.office(path),
                title=title % {"name": name, "year": year},
                url=url,
                scheme_key=ctx.scheme.key,
                deadline_code=dl.code,
                object_type="org.department",
                object_id=str(dept),
                base_due_on=base,
                due_on=_shift(base, dl, ctx),
            )


def annual_plans(ctx: Context) -> Iterator[Due]:
    """年度评估计划表: owed by each obliged department for each year until a version of the
    plan is filed (`PlanFiling`)."""
    from .models import PlanFiling

    filed = set(PlanFiling.objects.values_list("plan__department_id", "plan__year").distinct())
    yield from _yearly(
        ctx,
        ObligationKind.ANNUAL_PLAN,
        "annual_plan",
        filed,
        _url("supervision:plans", fallback="/supervision/plans/"),
        "%(name)s%(year)s年度社会稳定风险评估计划表备案",
    )


def implementation_rules(ctx: Context) -> Iterator[Due]:
    """具体实施办法和工作方案: owed by each obliged department for each year until a
    `RulesFiling` of the year is filed."""
    from .models import RulesFiling

    filed = set(
        RulesFiling.objects.filter(filed_at__isnull=False)
        .values_list("department_id", "year")
        .distinct()
    )
    yield from _yearly(
        ctx,
        ObligationKind.IMPLEMENTATION_RULES,
        "implementation_rules",
        filed,
        _url("supervision:rules_list", fallback="/supervision/rules/"),
        "%(name)s%(year)s年度具体实施办法和工作方案报送",
    )


def monthly_reports(ctx: Context) -> Iterator[Due]:
    """工作进展情况报告表: each month from the month the department became obliged, until
    its report for the month is submitted (上报 or 签收)."""
    from .models import MonthlyReport, ReportStatus

    dl = deadlines.deadline("monthly_progress", ctx.scheme)
    if dl is None or dl.rule.kind != "monthly":
        return
    done = set(
        MonthlyReport.objects.filter(
            status__in=(ReportStatus.SUBMITTED, ReportStatus.ACKNOWLEDGED)
        ).values_list("department_id", "month")
    )
    url = _url("supervision:reports", fallback="/supervision/reports/")
    for dept, o in obliged_departments(ctx).items():
        path, name = o.path, o.name
        for month in _months(o.since, ctx.today):
            if (dept, month) in done:
                continue
            last = calendar.monthrange(month.year, month.month)[1]
            base = month.replace(day=min(dl.rule.day, last))
            yield Due(
                kind=ObligationKind.MONTHLY_REPORT,
                key=f"monthly_report:{dept}:{month:%Y-%m}",
                department_id=dept,
                office_id=ctx.office(path),
                title=f"{name}{month.year}年{month.month}月工作进展情况报告表",
                url=url,
                scheme_key=ctx.scheme.key,
                deadline_code=dl.code,
                object_type="org.department",
                object_id=str(dept),
                base_due_on=base,
                due_on=_shift(base, dl, ctx),
            )


def _filing_rules(
    hashes: Iterable[str],
) -> dict[str, tuple[Deadline | None, list[tuple[str, str]]]]:
    """scheme hash -> (its filing deadline, its recipients (kind, name)), read from one
    assessment's frozen scheme per version (one small query per scheme version)."""
    from fengping.assessments.models import Assessment

    out: dict[str, tuple[Deadline | None, list[tuple[str, str]]]] = {}
    for h in hashes:
        a = Assessment.objects.filter(scheme_hash=h).only("pk", "scheme_snapshot").first()
        if a is None:
            continue
        out[h] = (a.filing_deadline(), a.filing_recipients())
    return out


ANY_OFFICE = "any"


def filings(ctx: Context) -> Iterator[Due]:
    """评估报告及审定意见备案: a decided assessment owes a filing with each office its
    scheme names (篇3 六(七) 分别报镇维稳办、镇联席办备案), due the day after the
    decision; a scheme naming none needs one filing with a supervising office."""
    from fengping.assessments.models import Decision, Filing

    decided = Decision.objects.filter(assessment__isnull=False)
    rules = _filing_rules(
        decided.values_list("assessment__scheme_hash", flat=True).distinct().order_by()
    )
    if not rules:
        return
    # Only the decisions with fewer filings than their scheme asks for are read.
    wanted = Q(pk__in=[])
    for h, (_dl, recipients) in rules.items():
        wanted |= Q(assessment__scheme_hash=h, n__lt=max(1, len(recipients)))
    rows = list(
        decided.annotate(n=Count("assessment__filings"))
        .filter(wanted)
        .values(
            "assessment_id",
            "assessment__scheme_hash",
            "assessment__scheme_key",
            "decided_on",
            "matter__title",
            "matter__department_id",
            "matter__department__path",
        )
        .order_by()
    )
    filed: dict[int, set[str]] = {}
    ids = [r["assessment_id"] for r in rows]
    for i in range(0, len(ids), CHUNK):
        for aid, kind in Filing.objects.filter(assessment_id__in=ids[i : i + CHUNK]).values_list(
            "assessment_id", "office__kind"
        ):
            filed.setdefault(aid, set()).add(kind)
    for r in rows:
        aid = r["assessment_id"]
        dl, recipients = rules[r["assessment__scheme_hash"]]
        have = filed.get(aid, set())
        owed = [(k, n) for k, n in recipients if k not in have]
        if not recipients and not have:
            owed = [(ANY_OFFICE, "维稳办或联席会议办公室")]
        days = getattr(dl.rule, "days", 1) if dl is not None else 1
        base = r["decided_on"] + dt.timedelta(days=days)
        path = r["matter__department__path"]
        for kind, name in owed:
            office = ctx.office(
                path, DepartmentKind.STABILITY_OFFICE if kind == ANY_OFFICE else kind
            )
            yield Due(
                kind=ObligationKind.FILING,
                key=f"filing:{aid}:{kind}",
                department_id=r["matter__department_id"],
                office_id=office,
                title=f"{r['matter__title']}：评估报告及审定意见报{ctx.names.get(office or 0, name)}备案",
                url=_url("assessments:detail", aid),
                scheme_key=r["assessment__scheme_key"],
                deadline_code=dl.code if dl is not None else "filing",
                object_type="assessments.assessment",
                object_id=str(aid),
                base_due_on=base,
                due_on=_shift(base, dl, ctx),
            )


def measures(ctx: Context) -> Iterator[Due]:
    """应对措施 (and 应急预案, 对策) of an assessment with a 完成时限, until 已落实; an
    assessment 办结 or ended by a re-assessment owes none."""
    from fengping.assessments.models import AssessmentStatus, FollowUpMeasure, MeasureStatus

    rows = (
        FollowUpMeasure.objects.filter(due__isnull=False)
        .exclude(status=MeasureStatus.DONE)
        .exclude(assessment__status=AssessmentStatus.CLOSED)
        .values(
            "pk",
            "title",
            "due",
            "assessment__scheme_key",
            "assessment__matter__title",
            "assessment__matter__department_id",
            "assessment__matter__department__path",
        )
        .order_by()
    )
    for r in rows.iterator(chunk_size=2000):
        yield Due(
            kind=ObligationKind.MEASURE,
            key=f"measure:{r['pk']}",
            department_id=r["assessment__matter__department_id"],
            office_id=ctx.office(r["assessment__matter__department__path"]),
            title=f"{r['assessment__matter__title']}：{r['title']}",
            url=_url("assessments:measure_update", r["pk"]),
            scheme_key=r["assessment__scheme_key"],
            object_type="assessments.followupmeasure",
            object_id=str(r["pk"]),
            base_due_on=r["due"],
            due_on=_shift(r["due"], None, ctx),
        )
    yield from case_measures(ctx)


def case_measures(ctx: Context) -> Iterator[Due]:
    """The measures of a case's 防范和处置预案 (篇4 四4) until 已落实: owed by the measure's
    责任单位, its 责任人 owning it."""
    from fengping.cases.models import Measure, MeasureStatus

    rows = (
        Measure.objects.exclude(status=MeasureStatus.DONE)
        .values(
            "pk",
            "title",
            "due_on",
            "responsible_unit_id",
            "responsible_unit__path",
            "responsible_person_id",
            "assessment__case__number",
        )
        .order_by()
    )
    for r in rows.iterator(chunk_size=2000):
        yield Due(
            kind=ObligationKind.MEASURE,
            key=f"case-measure:{r['pk']}",
            department_id=r["responsible_unit_id"],
            owner_id=r["responsible_person_id"],
            office_id=ctx.office(r["responsible_unit__path"]),
            title=f"{r['assessment__case__number']}：{r['title']}",
            url=_url("cases:resolution_measure", r["pk"]),
            scheme_key="case-risk",
            object_type="cases.measure",
            object_id=str(r["pk"]),
            base_due_on=r["due_on"],
            due_on=_shift(r["due_on"], None, ctx),
        )


def remediation(ctx: Context) -> Iterator[Due]:
    """安全整改 tasks (篇2 3.5) open or in progress, due on their 整改期限; the task's 责任人
    owns it."""
    from fengping.infosec.models import OPEN_TASK_STATUSES, RemediationTask

    rows = (
        RemediationTask.objects.filter(status__in=OPEN_TASK_STATUSES)
        .values(
            "pk",
            "title",
            "deadline",
            "owner_id",
            "system__name",
            "system__department_id",
            "system__department__path",
        )
        .order_by()
    )
    for r in rows.iterator(chunk_size=2000):
        yield Due(
            kind=ObligationKind.REMEDIATION,
            key=f"remediation:{r['pk']}",
            department_id=r["system__department_id"],
            owner_id=r["owner_id"],
            office_id=ctx.office(r["system__department__path"]),
            title=f"{r['system__name']}：{r['title']}",
            url=_url("infosec:task", r["pk"]),
            object_type="infosec.remediationtask",
            object_id=str(r["pk"]),
            base_due_on=r["deadline"],
            due_on=_shift(r["deadline"], None, ctx),
        )


def _screening_day(scheme_key: str) -> int | None:
    from fengping.schemebook import registry

    try:
        scheme = registry.get(scheme_key)
    except LookupError:
        return None
    section = scheme.cases
    return section.screening.day if section is not None else None


def case_screenings(ctx: Context) -> Iterator[Due]:
    """办案风险月度排查 (篇4 四1): each organ with a profile owes the month's screening by
    its scheme's screening day, from the month the profile was set up, until a screening
    run of the month has finished."""
    from fengping.cases.models import OrganProfile, RunStatus, ScreeningRun

    done = set(ScreeningRun.objects.filter(status=RunStatus.DONE).values_list("organ_id", "month"))
    days: dict[str, int | None] = {}
    url = _url("cases:screening_runs")
    profiles = OrganProfile.objects.filter(department__is_active=True).values_list(
        "department_id", "department__path", "department__name", "scheme_key", "created_at"
    )
    for dept, path, name, scheme_key, created in profiles:
        if scheme_key not in days:
            days[scheme_key] = _screening_day(scheme_key)
        day = days[scheme_key]
        if day is None:
            continue
        for month in _months(_local_day(created, ctx.today), ctx.today):
            if (dept, month) in done:
                continue
            base = month.replace(day=min(day, calendar.monthrange(month.year, month.month)[1]))
            yield Due(
                kind=ObligationKind.CASE_SCREENING,
                key=f"case_screening:{dept}:{month:%Y-%m}",
                department_id=dept,
                office_id=ctx.office(path),
                title=f"{name}{month.year}年{month.month}月办案风险排查",
                url=url,
                scheme_key=scheme_key,
                deadline_code="screening",
                object_type="org.department",
                object_id=str(dept),
                base_due_on=base,
                due_on=_shift(base, None, ctx),
            )


def risk_reviews(ctx: Context) -> Iterator[Due]:
    """An accepted information-security risk holds for the scheme's term (isra
    `acceptance.valid_days`, 365 days): its review falls due when it expires. The key
    carries the expiry, so a renewed acceptance is a new obligation and the old one
    closes."""
    from fengping.infosec.models import ApprovalState, RiskDecision, Treatment

    rows = (
        RiskDecision.objects.filter(
            treatment=Treatment.ACCEPT,
            approval__in=(ApprovalState.APPROVED, ApprovalState.NOT_NEEDED),
            expires_on__isnull=False,
        )
        .values(
            "pk",
            "expires_on",
            "scenario_id",
            "assessment__scheme_key",
            "assessment__system__name",
            "assessment__system__department_id",
            "assessment__system__department__path",
        )
        .order_by()
    )
    for r in rows.iterator(chunk_size=2000):
        yield Due(
            kind=ObligationKind.RISK_REVIEW,
            key=f"risk_review:{r['pk']}:{r['expires_on']:%Y%m%d}",
            department_id=r["assessment__system__department_id"],
            office_id=ctx.office(r["assessment__system__department__path"]),
            title=f"{r['assessment__system__name']}：接受的风险到期复核",
            url=_url("infosec:decide", r["scenario_id"]),
            scheme_key=r["assessment__scheme_key"],
            object_type="infosec.riskdecision",
            object_id=str(r["pk"]),
            base_due_on=r["expires_on"],
            due_on=_shift(r["expires_on"], None, ctx),
        )


def reassessments(ctx: Context) -> Iterator[Due]:
    """重新评估: of an information system whose assessment lapses, and of a matter
    decided 暂缓实施."""
    yield from system_reassessments(ctx)
    yield from postponed_reassessments(ctx)


def system_reassessments(ctx: Context) -> Iterator[Due]:
    """A system in service owes a new assessment on the day its last finished one stops
    being current (`unassessed.lapsed_on`: the isra scheme's valid days after it
    finished, [D]); its registrant owns it, as the 应评未评 list names them. The key
    carries that assessment: finishing a new one closes this obligation and opens the
    next. A system never assessed owes a first assessment, not a re-assessment (应评未评
    lists it)."""
    from . import unassessed

    rows = (
        unassessed.in_service()
        .filter(last_finished__isnull=False)
        .select_related("department")
        .only("name", "created_at", "created_by", "department", "department__path")
        .order_by()
    )
    for system in rows.iterator(chunk_size=2000):
        base = unassessed.lapsed_on(system)
        yield Due(
            kind=ObligationKind.REASSESSMENT,
            key=f"reassessment:system:{system.pk}:{system.last_assessment_id}",
            department_id=system.department_id,
            owner_id=system.created_by_id,
            office_id=ctx.office(system.department.path),
            title=f"{system.name}：信息安全风险评估有效期届满，重新评估",
            url=_url("infosec:system", system.pk),
            object_type="infosec.system",
            object_id=str(system.pk),
            base_due_on=base,
            due_on=_shift(base, None, ctx),
        )


def postponed_reassessments(ctx: Context) -> Iterator[Due]:
    """篇1 六(二) 对经评估决定暂缓实施的事项 … 待化解矛盾、时机成熟后再行实施: an assessed
    matter whose decision in force has one of the outcomes of the supervising scheme's
    `reassess_postponed` owes a re-assessment within its days of the decision ([D]: the
    source sets none), owed by the matter's department. Done when that decision is
    superseded (a later decision on the assessment, `do_redecide`) or a later assessment
    of the matter has reached a decision. Two queries."""
    from fengping.assessments.models import Decision, LaterDecision

    section = ctx.scheme.supervision
    rule = section.reassess_postponed if section is not None else None
    if rule is None:
        return
    outcomes = list(rule.outcomes)

    def columns(matter: str) -> dict[str, F]:
        return {
            "matter_pk": F(f"{matter}_id"),
            "matter_title": F(f"{matter}__title"),
            "department": F(f"{matter}__department_id"),
            "path": F(f"{matter}__department__path"),
            "scheme": F("assessment__scheme_key"),
        }

    def later_assessment_decided(matter: str) -> Exists:
        return Exists(
            Decision.objects.filter(
                matter=OuterRef(matter),
                assessment__started_at__gt=OuterRef("assessment__started_at"),
            )
        )

    first = (
        Decision.objects.filter(assessment__isnull=False, outcome__in=outcomes)
        .exclude(Exists(LaterDecision.objects.filter(assessment=OuterRef("assessment_id"))))
        .exclude(later_assessment_decided("matter_id"))
        .values("pk", "outcome_label", "decided_on", **columns("matter"))
        .order_by()
    )
    newer = LaterDecision.objects.filter(assessment=OuterRef("assessment_id")).filter(
        Q(recorded_at__gt=OuterRef("recorded_at"))
        | Q(recorded_at=OuterRef("recorded_at"), pk__gt=OuterRef("pk"))
    )
    later = (
        LaterDecision.objects.filter(outcome__in=outcomes)
        .exclude(Exists(newer))
        .exclude(later_assessment_decided("assessment__matter_id"))
        .values("pk", "outcome_label", "decided_on", **columns("assessment__matter"))
        .order_by()
    )
    for prefix, rows in (("decision", first), ("later", later)):
        for r in rows.iterator(chunk_size=2000):
            base = r["decided_on"] + dt.timedelta(days=rule.within_days)
            yield Due(
                kind=ObligationKind.REASSESSMENT,
                key=f"reassessment:{prefix}:{r['pk']}",
                department_id=r["department"],
                office_id=ctx.office(r["path"]),
                title=f"{r['matter_title']}：{r['outcome_label']}事项重新评估",
                url=_url("matters:detail", r["matter_pk"]),
                scheme_key=r["scheme"],
                object_type="matters.matter",
                object_id=str(r["matter_pk"]),
                base_due_on=base,
                due_on=_shift(base, None, ctx),
            )


PROVIDERS: dict[str, Callable[[Context], Iterable[Due]]] = {
    ObligationKind.ANNUAL_PLAN: annual_plans,
    ObligationKind.IMPLEMENTATION_RULES: implementation_rules,
    ObligationKind.MONTHLY_REPORT: monthly_reports,
    ObligationKind.FILING: filings,
    ObligationKind.MEASURE: measures,
    ObligationKind.REMEDIATION: remediation,
    ObligationKind.CASE_SCREENING: case_screenings,
    ObligationKind.RISK_REVIEW: risk_reviews,
    ObligationKind.REASSESSMENT: reassessments,
}


def open_now(kinds: Iterable[str] | None = None, today: dt.date | None = None) -> dict[str, Due]:
    """key -> Due: every obligation of `kinds` (default all) open on `today`."""
    ctx = _context(today or timezone.localdate())
    out: dict[str, Due] = {}
    for kind in kinds if kinds is not None else PROVIDERS:
        provider = PROVIDERS.get(kind)
        if provider is None:
            continue
        for due in provider(ctx):
            out[due.key] = due
    return out


# ------------------------------------------------------------------ sync

_READ = ("pk", "kind", "key", "done_at", *COMPARED)


def _changed(row: dict[str, Any], due: Due) -> bool:
    return any(row[name] != getattr(due, name) for name in COMPARED)


def _apply(obj: Obligation, due: Due) -> None:
    for name in COMPARED:
        setattr(obj, name, getattr(due, name))


def sync(now: dt.datetime | None = None, kinds: Iterable[str] | None = None) -> dict[str, int]:
    """Bring the table in step with what is open now for `kinds` (default all): create
    the new obligations, update the changed ones (title, due date, owner, office…), close
    (`done_at`) those no longer open and reopen those owed again. Idempotent: a second
    run writes nothing. Returns the counts."""
    now = now or timezone.now()
    kinds = list(kinds) if kinds is not None else list(PROVIDERS)
    due = open_now(kinds, timezone.localdate(now))
    counts = {"open": len(due), "created": 0, "updated": 0, "closed": 0, "reopened": 0}
    with transaction.atomic():
        existing: dict[str, dict[str, Any]] = {
            row["key"]: row
            for row in Obligation.objects.filter(kind__in=kinds, done_at__isnull=True)
            .values(*_READ)
            .order_by()
            .iterator(chunk_size=5000)
        }
        # Rows closed earlier (or of another kind) for keys owed now: reopen them.
        missing = [k for k in due if k not in existing]
        for i in range(0, len(missing), CHUNK):
            for row in Obligation.objects.filter(key__in=missing[i : i + CHUNK]).values(*_READ):
                existing[row["key"]] = row
        create: list[Obligation] = []
        update: list[Obligation] = []
        for key, d in due.items():
            row = existing.get(key)
            if row is None:
                obj = Obligation(kind=d.kind, key=key, synced_at=now)
                _apply(obj, d)
                create.append(obj)
            elif row["done_at"] is not None or row["kind"] != d.kind or _changed(row, d):
                obj = Obligation(pk=row["pk"], kind=d.kind, key=key, done_at=None, synced_at=now)
                _apply(obj, d)
                update.append(obj)
                counts["reopened" if row["done_at"] is not None else "updated"] += 1
        closing = [
            row["pk"]
            for key, row in existing.items()
            if key not in due and row["done_at"] is None and row["kind"] in kinds
        ]
        Obligation.objects.bulk_create(create, batch_size=CHUNK, ignore_conflicts=True)
        counts["created"] = len(create)
        if update:
            Obligation.objects.bulk_update(
                update, ["kind", "done_at", "synced_at", *COMPARED], batch_size=CHUNK
            )
        for i in range(0, len(closing), CHUNK):
            counts["closed"] += Obligation.objects.filter(
                pk__in=closing[i : i + CHUNK], done_at__isnull=True
            ).update(done_at=now, synced_at=now)
    return counts


def sync_for(*kinds: str) -> dict[str, int]:
    """Refresh only `kinds` at once (an action that just changed their source)."""
    flat: list[str] = []
    for k in kinds:
        flat.extend([k] if isinstance(k, str) else list(k))
    return sync(kinds=flat)
