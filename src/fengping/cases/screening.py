"""The monthly screening of every case of an organ (篇4 四1 各政法部门要坚持每月对所有案件
进行全面排查), set-based.

Each criterion of the scheme (`scheme.cases.screening.criteria`, plain data checked by
`schemes.case_rules`) is compiled to a SQL condition through the ORM; one query per organ
then scores every case at once:

    INSERT INTO result (…)
    SELECT run, id, Σ weight·bit, Σ 2^i·bit, level, severity, flagged, previous, change
    FROM (SELECT id, CASE WHEN cond_0 THEN 1 ELSE 0 END AS b0, … FROM case WHERE organ = …)
    LEFT JOIN the previous run's results …

— no Python loop over the cases. The level is the scheme's band of the score (its grade by
`method.band_grades`), raised to `method.hard_trigger_grade` when a hard-trigger criterion
fired; a case at `screening.flag_at` or above is flagged for 逐案分析研判. Only cases a
criterion fired on get a result row. The run keeps the criteria in bit order and the grades,
so a stored result can be explained whatever the scheme becomes.

The same criteria evaluated row by row (`schemes.case_rules.evaluate`) are `explain` (one
case, for its page) and `screen_naive` (the reference the compiled form is tested against,
and the benchmark's baseline).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from math import ceil, floor
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models import Case as CaseWhen
from django.db.models.functions import Coalesce, StrIndex
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.schemes.case_rules import (
    CASE_FIELDS,
    MAX_TERMS,
    criteria_version,
    evaluate,
    keyword_vocabulary,
    vocabulary_key,
)

from .models import (
    Case,
    Change,
    OrganProfile,
    Petition,
    RunStatus,
    ScreeningResult,
    ScreeningRun,
    TargetDecision,
    decode_codes,
)

if TYPE_CHECKING:  # pragma: no cover
    from fengping.schemes.model import Scheme

# Every character Python's str.strip() removes: "blank" means the same in SQL as in
# `case_rules.evaluate` (only whitespace, of any kind).
WHITESPACE = "".join(c for c in map(chr, range(0x3100)) if c.isspace())


T = TypeVar("T")


class ScreeningError(Exception):
    """A scheme the screening cannot use (no cases block)."""


# ---------------------------------------------------------------------------------------
# The grading of a score: bands → grades, hard triggers, the flag level
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grading:
    # (lower bound, inclusive, severity), from the highest band down; the lowest band's
    # severity is `floor`: a score under every bound (or under the domain) is the lowest.
    steps: tuple[tuple[float, bool, int], ...]
    floor: int
    hard: int  # severity of the hard-trigger grade
    flag_at: int  # severity from which a case is flagged
    grades: tuple[dict[str, Any], ...]  # low → high: {code, label, severity, colour}

    def severity(self, score: float, hard: bool) -> int:
        sev = self.floor
        for low, inclusive, s in self.steps:
            if score > low or (inclusive and score == low):
                sev = s
                break
        return max(sev, self.hard) if hard else sev

    def code(self, severity: int) -> str:
        return next((g["code"] for g in self.grades if g["severity"] == severity), "")


def grading_of(scheme: Scheme) -> Grading:
    section = scheme.cases
    if section is None:
        raise ScreeningError(scheme.key)
    method = scheme.method
    sev = {g.code: g.severity for g in scheme.grades}
    levels = list(method.bands.levels)  # type: ignore[union-attr]
    band_grades = method.band_grades  # type: ignore[union-attr]
    steps = tuple(
        (float(b.min), b.min_inclusive, sev[band_grades[b.code]]) for b in reversed(levels[1:])
    )
    return Grading(
        steps=steps,
        floor=sev[band_grades[levels[0].code]],
        hard=sev[method.hard_trigger_grade],  # type: ignore[union-attr]
        flag_at=sev[section.screening.flag_at],
        grades=tuple(
            {"code": g.code, "label": g.label, "severity": g.severity, "colour": g.colour or ""}
            for g in sorted(scheme.grades, key=lambda g: g.severity)
        ),
    )


def criteria_snapshot(scheme: Scheme) -> list[dict[str, Any]]:
    assert scheme.cases is not None
    return [
        {
            "code": c.code,
            "label": c.label,
            "weight": c.weight,
            "category": c.category,
            "hard_trigger": c.hard_trigger,
            "when": c.when,
            "description": c.description,
        }
        for c in scheme.cases.screening.criteria
    ]


# ---------------------------------------------------------------------------------------
# Compiling a condition to SQL (through the ORM)
# ---------------------------------------------------------------------------------------


class _StripWhitespace(Func):
    """TRIM of every whitespace character (SQLite trim(x, chars), PostgreSQL btrim)."""

    output_field = TextField()

    def as_sqlite(self, compiler: Any, conn: Any, **kw: Any) -> Any:
        return self.as_sql(compiler, conn, function="TRIM", **kw)

    def as_postgresql(self, compiler: Any, conn: Any, **kw: Any) -> Any:
        return self.as_sql(compiler, conn, function="BTRIM", **kw)


def _has(field: str, text: str) -> Q:
    """`text` occurs in the field (case-sensitive, as Python's `in`)."""
    return Q(GreaterThan(StrIndex(F(field), Value(text)), 0))


def _is_blank(field: str) -> Q:
    from django.db.models.lookups import Exact

    return Q(Exact(_StripWhitespace(F(field), Value(WHITESPACE)), Value("")))


def _int_compare(field: str, op: str, value: Any) -> Q:
    """Integer field against any number, exactly (9 > 8.5 without a float cast)."""
    if op == "between":
        low, high = ceil(Decimal(str(value[0]))), floor(Decimal(str(value[1])))
        return Q(**{f"{field}__gte": low, f"{field}__lte": high})
    x = Decimal(str(value))
    whole = x == x.to_integral_value()
    if op == "eq":
        return Q(**{field: int(x)}) if whole else Q(pk__in=[])
    if op == "ne":
        return ~Q(**{field: int(x)}) if whole else ~Q(pk__in=[])
    if op == "gt":
        return Q(**{f"{field}__gt": floor(x)})
    if op == "gte":
        return Q(**{f"{field}__gte": ceil(x)})
    if op == "lt":
        return Q(**{f"{field}__lt": ceil(x)})
    return Q(**{f"{field}__lte": floor(x)})  # lte


def _any(parts: Sequence[Q]) -> Q:
    q = parts[0]
    for p in parts[1:]:
        q |= p
    return q


def compile_condition(
    cond: Mapping[str, Any],
    as_of: dt.date,
    organ_id: int | None = None,
    terms: tuple[str, Sequence[str]] | None = None,
) -> Q:
    """The condition as a Q on `Case` (same truth as `case_rules.evaluate`, NULLs included).

    ``terms`` is (key, vocabulary) of the criteria being run: a case whose brief-facts
    keywords were kept under that key (`Case.terms_mask`) is tested on them, one AND; any
    other case has its text searched."""
    if "all" in cond:
        q = Q()
        for sub in cond["all"]:
            q &= compile_condition(sub, as_of, organ_id, terms)
        return q
    if "any" in cond:
        return _any([compile_condition(sub, as_of, organ_id, terms) for sub in cond["any"]])
    if "not" in cond:
        return ~compile_condition(cond["not"], as_of, organ_id, terms)
    if "keywords" in cond:
        fld = cond.get("field", "brief_facts")
        searched = _any([_has(fld, w) for w in cond["keywords"]])
        if fld != "brief_facts" or terms is None:
            return searched
        key, vocabulary = terms
        mask = sum(1 << vocabulary.index(w) for w in cond["keywords"])
        kept = Q(GreaterThan(F("terms_mask").bitand(mask), 0))
        return (Q(terms_key=key) & kept) | (~Q(terms_key=key) & searched)
    if "petitions" in cond:
        # Correlated on the case (index cases_petition_case_date): the cost follows the
        # organ's cases, not every petition of every organ in the period.
        spec = cond["petitions"]
        pets = Petition.objects.filter(
            case_id=OuterRef("pk"),
            date__gte=as_of - dt.timedelta(days=spec["within_days"]),
            date__lte=as_of,
        )
        if spec.get("min_persons"):
            pets = pets.filter(persons__gte=spec["min_persons"])
        if spec["at_least"] <= 1:
            return Q(Exists(pets))
        counted = Subquery(
            pets.order_by().values("case_id").annotate(n=Count("id")).values("n")[:1],
            output_field=IntegerField(),
        )
        return Q(GreaterThanOrEqual(Coalesce(counted, 0), spec["at_least"]))
    field, op, value = cond["field"], cond["op"], cond.get("value")
    ftype = CASE_FIELDS[field][0]
    if ftype == "bool":
        return Q(**{field: op == "is_true"})
    if ftype == "int":
        return _int_compare(field, op, value)
    if ftype == "number":
        if op == "between":
            low, high = (Decimal(str(v)) for v in value)
            return Q(**{f"{field}__gte": low, f"{field}__lte": high})
        y = Decimal(str(value))
        if op == "eq":
            return Q(**{field: y})
        if op == "ne":
            return ~Q(**{field: y})  # NULL ≠ any number, as in evaluate
        return Q(**{f"{field}__{op}": y})
    if ftype == "choice":
        return {
            "eq": lambda: Q(**{field: value}),
            "ne": lambda: ~Q(**{field: value}),
            "in": lambda: Q(**{f"{field}__in": list(value)}),
            "not_in": lambda: ~Q(**{f"{field}__in": list(value)}),
        }[op]()
    if ftype == "set":
        if op in ("empty", "not_empty"):
            q = Q(**{field: ""})
            return q if op == "empty" else ~q
        parts = [_has(field, f",{code},") for code in value]
        if op == "all_of":
            q = Q()
            for p in parts:
                q &= p
            return q
        q = parts[0]
        for p in parts[1:]:
            q |= p
        return q if op == "any_of" else ~q
    if ftype == "date":
        if op == "older_than_days":
            return Q(**{f"{field}__lt": as_of - dt.timedelta(days=value)})
        return Q(**{f"{field}__gte": as_of - dt.timedelta(days=value), f"{field}__lte": as_of})
    # text
    q = _is_blank(field)
    return q if op == "blank" else ~q


def bits_query(
    criteria: Sequence[Mapping[str, Any]], as_of: dt.date, organ_id: int
) -> QuerySet[Any]:
    """SELECT id, fired of the organ's cases: bit i of `fired` is set when criterion i
    holds (each criterion evaluated once per case)."""
    vocabulary = keyword_vocabulary(criteria)
    terms = (vocabulary_key(vocabulary), vocabulary) if len(vocabulary) <= MAX_TERMS else None
    bits = [
        CaseWhen(
            When(
                compile_condition(c["when"], as_of, organ_id, terms),
                then=Value(1 << i, output_field=BigIntegerField()),
            ),
            default=Value(0, output_field=BigIntegerField()),
            output_field=BigIntegerField(),
        )
        for i, c in enumerate(criteria)
    ]
    fired = bits[0]
    for bit in bits[1:]:
        fired = fired + bit
    return (
        Case.objects.filter(organ_id=organ_id)
        .order_by()
        .annotate(fired=ExpressionWrapper(fired, output_field=BigIntegerField()))
        .values("id", "fired")
    )


# ---------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def parse_month(text: str) -> dt.date:
    try:
        year, month = text.strip().split("-")
        return dt.date(int(year), int(month), 1)
    except ValueError:
        raise ValueError(_("月份应为 YYYY-MM，例如 2026-12")) from None


def as_of_for(month: dt.date, today: dt.date | None = None) -> dt.date:
    """The screening day of a month: today for the current month, the month's last day
    for a past one."""
    today = today or timezone.localdate()
    if month_start(today) == month:
        return today
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _insert_results(
    run: ScreeningRun,
    criteria: Sequence[Mapping[str, Any]],
    grading: Grading,
    as_of: dt.date,
    previous: ScreeningRun | None,
) -> None:
    """The one INSERT … SELECT of the run's results.

    Each step is a MATERIALIZED common table expression: the criteria are evaluated once
    per case into its bitmask (`bits`), the score once per case a criterion fired on
    (`scored`), the severity once per result (`graded`). Left to themselves both
    databases inline the derived tables and repeat every expression wherever its column is
    read (the level, the flag and the change each read the severity, which reads the score
    once per band) — half the statement's time."""
    inner_sql, inner_params = bits_query(criteria, as_of, run.organ_id).query.sql_with_params()
    q = connection.ops.quote_name
    n = len(criteria)
    # The score only for the cases a criterion fired on, from the bits of `fired`.
    score_sql = " + ".join(f"((t.fired >> {i}) & 1) * %s" for i in range(n))
    score_params: list[Any] = [float(c["weight"]) for c in criteria]
    hard_mask = sum(1 << i for i, c in enumerate(criteria) if c.get("hard_trigger"))

    band_sql = "CASE"
    band_params: list[Any] = []
    for low, inclusive, sev in grading.steps:
        band_sql += f" WHEN u.score {'>=' if inclusive else '>'} %s THEN %s"
        band_params += [low, sev]
    band_sql += " ELSE %s END"
    band_params.append(grading.floor)

    level_sql = "CASE w.sev"
    level_params: list[Any] = []
    for g in grading.grades:
        level_sql += " WHEN %s THEN %s"
        level_params += [g["severity"], g["code"]]
    level_sql += " ELSE '' END"

    # Only computed text (bit numbers, quoted names, the ORM's SQL) is formatted in; every
    # value is a bound parameter.
    ctes = (
        f"WITH bits AS MATERIALIZED ({inner_sql}), "  # noqa: S608
        f"scored AS MATERIALIZED (SELECT t.id AS id, ({score_sql}) AS score, t.fired AS fired "
        f"FROM bits t WHERE t.fired <> 0), "
        f"graded AS MATERIALIZED (SELECT v.id, v.score, v.fired, "
        f"CASE WHEN (v.fired & {hard_mask}) <> 0 AND %s > v.bsev THEN %s ELSE v.bsev END AS sev "
        f"FROM (SELECT u.id, u.score, u.fired, {band_sql} AS bsev FROM scored u) v) "
    )
    cte_params = [*inner_params, *score_params, grading.hard, grading.hard, *band_params]
    table = q(ScreeningResult._meta.db_table)
    cols = ", ".join(
        q(c)
        for c in (
            "run_id",
            "case_id",
            "score",
            "fired",
            "level",
            "severity",
            "flagged",
            "previous_severity",
            "change",
        )
    )
    if previous is None:
        sql = (
            f"{ctes}INSERT INTO {table} ({cols}) "  # noqa: S608
            f"SELECT %s, w.id, w.score, w.fired, {level_sql}, w.sev, (w.sev >= %s), NULL, '' "
            f"FROM graded w"
        )
        params = [*cte_params, run.pk, *level_params, grading.flag_at]
    else:
        flag = grading.flag_at
        change_sql = (
            "CASE WHEN w.sev >= %s THEN ("
            " CASE WHEN p.id IS NULL OR p.flagged = %s THEN %s"
            " WHEN w.sev > p.severity THEN %s WHEN w.sev < p.severity THEN %s ELSE %s END)"
            " WHEN p.flagged = %s THEN %s ELSE '' END"
        )
        change_params = [
            flag,
            False,
            Change.NEW.value,
            Change.RAISED.value,
            Change.LOWERED.value,
            Change.SAME.value,
            True,
            Change.LOWERED.value,
        ]
        sql = (
            f"{ctes}INSERT INTO {table} ({cols}) "  # noqa: S608
            f"SELECT %s, w.id, w.score, w.fired, {level_sql}, w.sev, (w.sev >= %s), "
            f"p.severity, {change_sql} "
            f"FROM graded w LEFT JOIN {table} p ON p.{q('run_id')} = %s "
            f"AND p.{q('case_id')} = w.id"
        )
        params = [
            *cte_params,
            run.pk,
            *level_params,
            flag,
            *change_params,
            previous.pk,
        ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _count(run: ScreeningRun) -> None:
    """The run's figures, by SQL."""
    run.screened = Case.objects.filter(organ_id=run.organ_id).count()
    figures = ScreeningResult.objects.filter(run=run).aggregate(
        n_flagged=Count("id", filter=Q(flagged=True)),
        n_new=Count("id", filter=Q(flagged=True, change=Change.NEW)),
        n_raised=Count("id", filter=Q(flagged=True, change=Change.RAISED)),
        n_lowered=Count("id", filter=Q(flagged=True, change=Change.LOWERED)),
    )
    for key, value in figures.items():
        setattr(run, key[2:], value or 0)
    run.cleared = (
        ScreeningResult.objects.filter(run_id=run.previous_id, flagged=True)
        .exclude(
            case_id__in=ScreeningResult.objects.filter(run=run, flagged=True).values("case_id")
        )
        .count()
        if run.previous_id
        else 0
    )


def screen(
    profile: OrganProfile,
    month: dt.date,
    *,
    actor: Any = None,
    scheme: Scheme | None = None,
    as_of: dt.date | None = None,
) -> ScreeningRun:
    """Screen every case of the organ for the month (replacing that month's results if it
    was screened before). No access check: `actions.screening.do_run_screening` is the
    door; this is the work."""
    started = time.perf_counter()
    scheme = scheme or profile.scheme()
    if scheme.cases is None:
        raise ScreeningError(scheme.key)
    month = month_start(month)
    as_of = as_of or as_of_for(month)
    criteria = criteria_snapshot(scheme)
    grading = grading_of(scheme)
    organ = profile.department
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The plan is one scan with a CASE per criterion; compiling it (JIT) took
            # longer than running it (0.8 s of 1.6 s per 50,000 cases).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        run = ScreeningRun.objects.select_for_update().filter(organ=organ, month=month).first()
        previous = (
            ScreeningRun.objects.filter(organ=organ, month__lt=month, status=RunStatus.DONE)
            .order_by("-month")
            .first()
        )
        values = {
            "as_of": as_of,
            "scheme_key": scheme.key,
            "scheme_version": scheme.version,
            "criteria_version": criteria_version(scheme),
            "criteria": criteria,
            "grades": list(grading.grades),
            "flag_at": scheme.cases.screening.flag_at,
            "status": RunStatus.RUNNING,
            "previous": previous,
            "started_by": actor,
            "started_at": timezone.now(),
        }
        if run is None:
            run = ScreeningRun.objects.create(organ=organ, month=month, **values)
        else:
            for key, value in values.items():
                setattr(run, key, value)
            # One DELETE (no per-row collection: nothing hangs off a result).
            ScreeningResult.objects.filter(run=run)._raw_delete(ScreeningResult.objects.db)
        _insert_results(run, criteria, grading, as_of, previous)
        _count(run)
        run.status = RunStatus.DONE
        run.finished_at = timezone.now()
        run.duration_ms = int((time.perf_counter() - started) * 1000)
        run.save()
    run.organ = organ
    return run


def screen_organs(
    profiles: Sequence[OrganProfile], run_one: Callable[[OrganProfile], T]
) -> list[T]:
    """``run_one`` for every organ, in order of ``profiles``. On PostgreSQL up to
    `FENGPING_SCREEN_WORKERS` organs at once, each in its own connection (each organ's run
    is its own transaction; the audit chain serialises only their last write). SQLite has a
    single writer, and nothing runs in parallel inside an open transaction: one after
    another."""
    workers = min(getattr(settings, "FENGPING_SCREEN_WORKERS", 1), len(profiles))
    if connection.vendor != "postgresql" or workers <= 1 or connection.in_atomic_block:
        return [run_one(p) for p in profiles]

    def task(profile: OrganProfile) -> T:
        try:
            return run_one(profile)
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(task, profiles))


def work_list(run: ScreeningRun) -> QuerySet[ScreeningResult]:
    """逐案分析研判: the run's flagged results without a decision, most severe first (the
    index `cases_result_worklist` serves the order)."""
    return (
        ScreeningResult.objects.filter(run=run, flagged=True)
        .exclude(Exists(TargetDecision.objects.filter(run_id=run.pk, case_id=OuterRef("case_id"))))
        .order_by("-severity", "-score", "-case_id")
    )


def criterion_counts(run: ScreeningRun) -> list[dict[str, Any]]:
    """How many results (and flagged results) each criterion fired on: one query."""
    aggregates: dict[str, Any] = {}
    for i, _c in enumerate(run.criteria):
        bit = Q(GreaterThan(F("fired").bitand(1 << i), 0))
        aggregates[f"n{i}"] = Count("id", filter=bit)
        aggregates[f"f{i}"] = Count("id", filter=bit & Q(flagged=True))
    figures = ScreeningResult.objects.filter(run=run).aggregate(**aggregates) if aggregates else {}
    return [
        {
            **c,
            "bit": i,
            "fired": figures.get(f"n{i}") or 0,
            "flagged": figures.get(f"f{i}") or 0,
        }
        for i, c in enumerate(run.criteria)
    ]


def fired_q(run: ScreeningRun, code: str) -> Q:
    """Results the criterion ``code`` fired on (nothing for an unknown code)."""
    for i, c in enumerate(run.criteria):
        if c["code"] == code:
            return Q(GreaterThan(F("fired").bitand(1 << i), 0))
    return Q(pk__in=[])


def fired_labels(run: ScreeningRun, fired: int) -> list[str]:
    return [c["label"] for i, c in enumerate(run.criteria) if fired >> i & 1]


def grade_of(run: ScreeningRun, code: str) -> dict[str, Any]:
    return next(
        (g for g in run.grades if g["code"] == code),
        {"code": code, "label": code, "severity": 0, "colour": ""},
    )


# ---------------------------------------------------------------------------------------
# Row by row: explaining one case, and the reference
# ---------------------------------------------------------------------------------------

_CASE_VALUES = ("id", *CASE_FIELDS)


def case_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """A case row (values()) as `evaluate` reads it: set fields as lists of codes."""
    out = dict(row)
    for name, (ftype, _label) in CASE_FIELDS.items():
        if ftype == "set":
            out[name] = decode_codes(out.get(name) or "")
    return out


def petition_counter(petitions: Iterable[tuple[dt.date, int]], as_of: dt.date) -> Any:
    rows = list(petitions)

    def count(within_days: int, min_persons: int | None) -> int:
        since = as_of - dt.timedelta(days=within_days)
        return sum(
            1 for day, persons in rows if since <= day <= as_of and persons >= (min_persons or 0)
        )

    return count


def _value_text(field: str, value: Any) -> str:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(value) if value else _("无")
    if value is None or value == "":
        return _("未填")
    return str(value)


def reasons(
    cond: Mapping[str, Any], case: Mapping[str, Any], as_of: dt.date, petitions: Any
) -> list[str]:
    """What of the case the condition looked at, in words (the case page's 触发依据)."""
    if "all" in cond or "any" in cond:
        out: list[str] = []
        for sub in cond.get("all") or cond.get("any"):
            if "any" in cond and not evaluate(sub, case, as_of, petitions):
                continue
            out += reasons(sub, case, as_of, petitions)
        return out
    if "not" in cond:
        return [_("不满足：%(r)s") % {"r": "；".join(reasons(cond["not"], case, as_of, petitions))}]
    if "keywords" in cond:
        fld = cond.get("field", "brief_facts")
        text = case.get(fld) or ""
        found = [w for w in cond["keywords"] if w in text]
        label = CASE_FIELDS[fld][1]
        if found:
            return [_("%(f)s含“%(w)s”") % {"f": label, "w": "”“".join(found)}]
        return [_("%(f)s不含所列关键词") % {"f": label}]
    if "petitions" in cond:
        spec = cond["petitions"]
        n = petitions(spec["within_days"], spec.get("min_persons"))
        if spec.get("min_persons"):
            return [
                _("%(d)s 天内%(p)s人以上的信访 %(n)s 次（须 %(k)s 次以上）")
                % {
                    "d": spec["within_days"],
                    "p": spec["min_persons"],
                    "n": n,
                    "k": spec["at_least"],
                }
            ]
        return [
            _("%(d)s 天内信访 %(n)s 次（须 %(k)s 次以上）")
            % {"d": spec["within_days"], "n": n, "k": spec["at_least"]}
        ]
    field = cond["field"]
    label = CASE_FIELDS[field][1]
    return [_("%(f)s：%(v)s") % {"f": label, "v": _value_text(field, case.get(field))}]


def explain_values(
    criteria: Sequence[Mapping[str, Any]],
    case: Mapping[str, Any],
    as_of: dt.date,
    petitions: Any,
) -> list[dict[str, Any]]:
    out = []
    for c in criteria:
        fired = evaluate(c["when"], case, as_of, petitions)
        out.append(
            {
                "code": c["code"],
                "label": c["label"],
                "weight": c["weight"],
                "hard_trigger": c.get("hard_trigger", False),
                "fired": fired,
                "reasons": reasons(c["when"], case, as_of, petitions) if fired else [],
            }
        )
    return out


def explain(case: Case, run: ScreeningRun) -> list[dict[str, Any]]:
    """Which of the run's criteria fire on the case as it is now, and why (row by row).
    The stored result says what fired on the screening day; this re-reads the case."""
    row = case_values({name: getattr(case, name) for name in CASE_FIELDS})
    counter = petition_counter(
        Petition.objects.filter(case=case, date__lte=run.as_of).values_list("date", "persons"),
        run.as_of,
    )
    return explain_values(run.criteria, row, run.as_of, counter)


def screen_naive(
    criteria: Sequence[Mapping[str, Any]],
    grading: Grading,
    as_of: dt.date,
    cases: QuerySet[Case],
) -> dict[int, tuple[float, int, int]]:
    """The per-row path: every case through `evaluate`, in Python. case id → (score,
    fired bits, severity), for cases a criterion fired on. For the tests and the bench."""
    rows = list(cases.order_by().values(*_CASE_VALUES))
    ids = [r["id"] for r in rows]
    pets: dict[int, list[tuple[dt.date, int]]] = {}
    for start in range(0, len(ids), 900):
        for case_id, day, persons in Petition.objects.filter(
            case_id__in=ids[start : start + 900], date__lte=as_of
        ).values_list("case_id", "date", "persons"):
            pets.setdefault(case_id, []).append((day, persons))
    hard_mask = sum(1 << i for i, c in enumerate(criteria) if c.get("hard_trigger"))
    out: dict[int, tuple[float, int, int]] = {}
    for r in rows:
        case = case_values(r)
        counter = petition_counter(pets.get(r["id"], ()), as_of)
        fired = 0
        score = 0.0
        for i, c in enumerate(criteria):
            if evaluate(c["when"], case, as_of, counter):
                fired |= 1 << i
                score += float(c["weight"])
        if fired:
            out[r["id"]] = (score, fired, grading.severity(score, bool(fired & hard_mask)))
    return out


# ---------------------------------------------------------------------------------------
# `fengping cases screen`
# ---------------------------------------------------------------------------------------

CSV_HEADER = ("案号", "案件名称", "单位", "得分", "等级", "触发规则")


def write_flagged_csv(runs: Sequence[ScreeningRun], path: str) -> int:
    from fengping.core.xlsx import safe_cell

    count = 0
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        for run in runs:
            labels = {g["code"]: g["label"] for g in run.grades}
            results = (
                ScreeningResult.objects.filter(run=run, flagged=True)
                .select_related("case")
                .order_by("-severity", "-score", "-case_id")
            )
            for r in results.iterator(chunk_size=2000):
                writer.writerow(
                    [
                        safe_cell(v)
                        for v in (
                            r.case.number,
                            r.case.title,
                            run.organ.name,
                            f"{r.score:g}",
                            labels.get(r.level, r.level),
                            "；".join(fired_labels(run, r.fired)),
                        )
                    ]
                )
                count += 1
    return count


def command(args: Any) -> int:
    from .actions.screening import do_run_screening, organs_to_screen
    from .commands import CommandRefused, organ_coded, user_named

    user = user_named(getattr(args, "user", ""), required=False)
    try:
        month = parse_month(args.month) if args.month else month_start(timezone.localdate())
    except ValueError as exc:
        raise CommandRefused(str(exc)) from None
    if args.organ:
        profiles = [organ_coded(user, args.organ)]
    else:
        profiles = organs_to_screen(user)
        if not profiles:
            raise CommandRefused(_("没有可排查的政法单位"))
    runs = screen_organs(profiles, lambda p: do_run_screening(user, p, month))
    for profile, run in zip(profiles, runs, strict=True):
        changes = (
            _("新增 %(n)s，升级 %(r)s，降级 %(l)s，退出 %(c)s")
            % {"n": run.new, "r": run.raised, "l": run.lowered, "c": run.cleared}
            if run.previous_id
            else _("无上月排查可比")
        )
        print(
            _("%(organ)s %(month)s：排查 %(s)s 件，列入研判 %(f)s 件；%(changes)s（%(ms)s ms）")
            % {
                "organ": profile.department.name,
                "month": month.strftime("%Y-%m"),
                "s": run.screened,
                "f": run.flagged,
                "changes": changes,
                "ms": run.duration_ms,
            }
        )
    if args.flagged_csv:
        n = write_flagged_csv(runs, args.flagged_csv)
        print(_("已写入 %(n)s 件列入研判的案件：%(p)s") % {"n": n, "p": args.flagged_csv})
    sys.stdout.flush()
    return 0
