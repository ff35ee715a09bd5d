"""The risk scenarios of an assessment, computed in bulk and stored set-based.

A scenario is an asset × a threat rating × a vulnerability (GB/T 20984: R = R(A, T, V)):

* every asset of the system, component and system layer alike;
* every threat rating of the assessment;
* every vulnerability of that asset (`Vulnerability.asset`; a vulnerability with no asset
  belongs to the system as a whole and counts for each system-layer asset) that is still
  open or accepted (closed and false positives are no risk), and whose aspect
  (管理/运维/技术) the threat's class exploits (scheme `infosec.threats.classes[].exploits`;
  a threat of a class the catalogue does not know is paired with every aspect).

Existing measures (the assessment's measure checklist answers) lower the scenario:
a measure answered 有效 lowers by its kind's `effective_steps`, 部分有效 by `partial_steps`
(scheme `method.measure_effects`); preventive measures lower the vulnerability rating used
for the likelihood, protective ones the rating used for the loss; only for the threat
classes (`covers_threats`, empty = all) and the assets (`covers_assets`, empty = all) the
measure covers. Where several measures cover one scenario the LARGEST reduction counts:
measures are not stacked, since two controls against one threat rarely halve what one
leaves, and stacking would let a list of weak measures erase any risk.

The arithmetic is `scoring.bulk` (same results as the per-item functions, tested); the
likelihood and loss *levels* stored are the matrix tables' levels, or for the
multiplication method round_half_up(√(T·V_L)) and round_half_up(√(Ia·Va)) — shown in the
register and the heat map only; the risk itself is √(T·V_L·Ia·Va) rounded once.

Storing: scenarios keep their row (and so their decision and recommendation links) from
one computation to the next, matched on (asset, threat, vulnerability). The new set is
compared with the stored one in memory (numpy), then new rows are inserted, changed rows
updated and rows whose combination is gone deleted, each set-based: COPY / a temporary
table and UPDATE … FROM on PostgreSQL, executemany on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import F, Q, QuerySet

from fengping.schemes.methods import isra_bands, isra_tables
from fengping.scoring._exact import round_half_up_sqrt
from fengping.scoring.bulk import bulk_matrix, bulk_multiplication
from fengping.scoring.gbt20984 import LEVEL_MAX, LEVEL_MIN, MatrixTables

from .models import (
    Aspect,
    Asset,
    AssetLayer,
    Calculation,
    Catalogue,
    ChecklistAnswer,
    CheckResult,
    Recommendation,
    RemediationTask,
    RiskDecision,
    Scenario,
    SystemAssessment,
    ThreatRating,
    Vulnerability,
    VulnStatus,
)

#: Vulnerability statuses that still make a risk.
LIVE_STATUSES = (VulnStatus.OPEN, VulnStatus.ACCEPTED)
ASPECTS: tuple[str, ...] = tuple(Aspect.values)

I64 = npt.NDArray[np.int64]

# round_half_up(√p) for p = T·V_L or Ia·Va (at most 25), from the exact integer function.
_SQRT_LEVEL = np.array(
    [max(LEVEL_MIN, round_half_up_sqrt(p)) for p in range(LEVEL_MAX * LEVEL_MAX + 1)],
    dtype=np.int16,
)


def _padded(cells: Sequence[Sequence[Any]]) -> npt.NDArray[np.int16]:
    table = np.zeros((LEVEL_MAX + 1, LEVEL_MAX + 1), dtype=np.int16)
    table[LEVEL_MIN:, LEVEL_MIN:] = np.array(cells, dtype=np.int16)
    return table


# ------------------------------------------------------------------ the scheme's data


def exploits_of(assessment: SystemAssessment) -> dict[str, tuple[str, ...]]:
    """Threat class code -> the vulnerability aspects it exploits (frozen scheme)."""
    info = assessment.scheme.infosec
    if info is None:
        return {}
    return {c.code: tuple(c.exploits) for c in info.threats.classes}


def measure_steps(assessment: SystemAssessment) -> dict[str, dict[str, int]]:
    """kind -> {result -> steps}: how far an effective / partial measure lowers."""
    effects = getattr(assessment.scheme.method, "measure_effects", []) or []
    return {
        m.kind: {CheckResult.EFFECTIVE: m.effective_steps, CheckResult.PARTIAL: m.partial_steps}
        for m in effects
    }


# ------------------------------------------------------------------ the candidate set


@dataclass
class Computed:
    """Every scenario of the current inputs, one entry per array position, sorted by
    (asset, threat, vulnerability) index; `key` encodes that triple."""

    key: I64
    asset_id: I64
    business_id: I64  # 0 = none
    threat_id: I64
    vulnerability_id: I64
    asset_value: I64
    frequency: I64
    severity: I64
    likelihood_steps: I64
    loss_steps: I64
    likelihood: I64
    loss: I64
    risk: I64
    level: I64
    # what the keys are made of, to place stored rows in the same key space
    asset_ids: I64 = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    threat_ids: I64 = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    vuln_ids: I64 = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))

    def __len__(self) -> int:
        return int(self.key.shape[0])


def _empty() -> I64:
    return np.zeros(0, dtype=np.int64)


def compute(assessment: SystemAssessment) -> Computed:
    """The scenarios the assessment's inputs give now, scored (nothing is written)."""
    system_id = assessment.system_id
    assets = np.array(
        [
            (pk, value, business or 0, layer == AssetLayer.SYSTEM)
            for pk, value, business, layer in Asset.objects.filter(system_id=system_id)
            .order_by("pk")
            .values_list("pk", "value", "business_id", "layer")
        ],
        dtype=np.int64,
    ).reshape(-1, 4)
    threats = list(
        ThreatRating.objects.filter(assessment=assessment)
        .order_by("pk")
        .values_list("pk", "threat_class", "frequency")
    )
    vulns = np.array(
        [
            (pk, asset or 0, ASPECTS.index(aspect), severity)
            for pk, asset, aspect, severity in Vulnerability.objects.filter(
                system_id=system_id, status__in=LIVE_STATUSES, aspect__in=ASPECTS
            )
            .order_by("pk")
            .values_list("pk", "asset_id", "aspect", "severity")
        ],
        dtype=np.int64,
    ).reshape(-1, 4)
    asset_ids, threat_ids, vuln_ids = (
        assets[:, 0],
        np.array([t[0] for t in threats], dtype=np.int64),
        vulns[:, 0],
    )
    n_threats, n_vulns = len(threats), len(vuln_ids)

    # (asset index, vulnerability index) pairs: a vulnerability on an asset of this system,
    # or one without an asset paired with every system-layer asset.
    on_asset = vulns[:, 1] != 0
    position = np.searchsorted(asset_ids, vulns[:, 1])
    position = np.minimum(position, max(len(asset_ids) - 1, 0))
    known = on_asset & (len(asset_ids) > 0)
    if len(asset_ids):
        known &= asset_ids[position] == vulns[:, 1]
    pair_asset = position[known]
    pair_vuln = np.flatnonzero(known)
    system_assets = np.flatnonzero(assets[:, 3] == 1) if len(asset_ids) else _empty()
    loose = np.flatnonzero(~on_asset)
    if len(system_assets) and len(loose):
        pair_asset = np.concatenate([pair_asset, np.repeat(system_assets, len(loose))])
        pair_vuln = np.concatenate([pair_vuln, np.tile(loose, len(system_assets))])

    # × every threat whose class exploits the vulnerability's aspect.
    exploits = exploits_of(assessment)
    threat_class = [t[1] for t in threats]
    parts_a, parts_t, parts_v = [], [], []
    pair_aspect = vulns[pair_vuln, 2] if len(pair_vuln) else _empty()
    for k, aspect in enumerate(ASPECTS):
        wanted = np.array(
            [i for i, c in enumerate(threat_class) if aspect in exploits.get(c, ASPECTS)],
            dtype=np.int64,
        )
        chosen = np.flatnonzero(pair_aspect == k)
        if not len(wanted) or not len(chosen):
            continue
        parts_a.append(np.repeat(pair_asset[chosen], len(wanted)))
        parts_v.append(np.repeat(pair_vuln[chosen], len(wanted)))
        parts_t.append(np.tile(wanted, len(chosen)))
    sa = np.concatenate(parts_a) if parts_a else _empty()
    st = np.concatenate(parts_t) if parts_t else _empty()
    sv = np.concatenate(parts_v) if parts_v else _empty()
    key = (sa * max(n_threats, 1) + st) * max(n_vulns, 1) + sv
    order = np.argsort(key, kind="stable")
    sa, st, sv, key = sa[order], st[order], sv[order], key[order]

    frequencies = np.array([t[2] for t in threats], dtype=np.int64)
    ia = assets[sa, 1] if len(sa) else _empty()
    t = frequencies[st] if len(st) else _empty()
    v = vulns[sv, 3] if len(sv) else _empty()
    likelihood_steps, loss_steps = _measure_effects(
        assessment, asset_ids, threat_class, sa, st, len(key)
    )
    likelihood, loss, risk, level = score(assessment, ia, t, v, likelihood_steps, loss_steps)
    return Computed(
        key=key,
        asset_id=asset_ids[sa] if len(sa) else _empty(),
        business_id=assets[sa, 2] if len(sa) else _empty(),
        threat_id=threat_ids[st] if len(st) else _empty(),
        vulnerability_id=vuln_ids[sv] if len(sv) else _empty(),
        asset_value=ia,
        frequency=t,
        severity=v,
        likelihood_steps=likelihood_steps,
        loss_steps=loss_steps,
        likelihood=likelihood,
        loss=loss,
        risk=risk,
        level=level,
        asset_ids=asset_ids,
        threat_ids=threat_ids,
        vuln_ids=vuln_ids,
    )


def _measure_effects(
    assessment: SystemAssessment,
    asset_ids: I64,
    threat_class: list[str],
    sa: I64,
    st: I64,
    n: int,
) -> tuple[I64, I64]:
    """Steps each scenario's vulnerability rating is lowered by for the likelihood
    (preventive measures) and for the loss (protective): the largest covering measure."""
    likelihood_steps = np.zeros(n, dtype=np.int64)
    loss_steps = np.zeros(n, dtype=np.int64)
    steps = measure_steps(assessment)
    measures = list(
        ChecklistAnswer.objects.filter(
            assessment=assessment,
            catalogue=Catalogue.MEASURE,
            result__in=[CheckResult.EFFECTIVE, CheckResult.PARTIAL],
            measure_kind__in=list(steps),
        ).values_list("pk", "measure_kind", "result", "covers_threats")
    )
    if not measures or not n:
        return likelihood_steps, loss_steps
    covered: dict[int, list[int]] = {}
    links = ChecklistAnswer.covers_assets.through.objects.filter(
        checklistanswer_id__in=[m[0] for m in measures]
    ).values_list("checklistanswer_id", "asset_id")
    for answer_id, asset_id in links:
        covered.setdefault(answer_id, []).append(asset_id)
    for pk, kind, result, covers_threats in measures:
        size = steps.get(kind, {}).get(result, 0)
        if not size:
            continue
        mask = np.ones(n, dtype=bool)
        if covers_threats:
            threats = np.array([c in covers_threats for c in threat_class], dtype=bool)
            mask &= threats[st]
        if pk in covered:
            assets = np.isin(asset_ids, np.array(covered[pk], dtype=np.int64))
            mask &= assets[sa]
        target = likelihood_steps if kind == "preventive" else loss_steps
        np.maximum(target, np.where(mask, size, 0), out=target)
    # More steps than the scale has change nothing (a rating never drops below 1).
    cap = LEVEL_MAX - LEVEL_MIN
    return np.minimum(likelihood_steps, cap), np.minimum(loss_steps, cap)


def score(
    assessment: SystemAssessment,
    ia: I64,
    t: I64,
    v: I64,
    likelihood_steps: I64,
    loss_steps: I64,
) -> tuple[I64, I64, I64, I64]:
    """(likelihood level, loss level, risk, level 1–5) of every scenario."""
    scheme = assessment.scheme
    bands = isra_bands(scheme)
    if not len(ia):
        return _empty(), _empty(), _empty(), _empty()
    cap = LEVEL_MAX - LEVEL_MIN
    v_l = np.maximum(v - np.minimum(likelihood_steps, cap), LEVEL_MIN)
    v_a = np.maximum(v - np.minimum(loss_steps, cap), LEVEL_MIN)
    if assessment.calculation == Calculation.MATRIX:
        tables: MatrixTables = isra_tables(scheme)
        result = bulk_matrix(ia, t, v, likelihood_steps, loss_steps, tables=tables, bands=bands)
        likelihood = _padded(tables.likelihood.cells)[t, v_l]
        loss = _padded(tables.loss.cells)[ia, v_a]
    else:
        result = bulk_multiplication(ia, t, v, likelihood_steps, loss_steps, bands=bands)
        likelihood = _SQRT_LEVEL[t * v_l]
        loss = _SQRT_LEVEL[ia * v_a]
    return (
        likelihood.astype(np.int64),
        loss.astype(np.int64),
        result.risk.astype(np.int64),
        result.band_index.astype(np.int64) + 1,
    )


# ------------------------------------------------------------------ what is stored


# The value columns of a stored row packed into one integer (bit offsets; steps are stored
# capped at four, ratings are 1–5, risk < 2¹⁵), so loading 500,000 rows moves six numbers
# a row instead of fourteen.
_PACK = (
    ("asset_value", 0),
    ("frequency", 3),
    ("severity", 6),
    ("likelihood_steps", 9),
    ("loss_steps", 12),
    ("likelihood", 15),
    ("loss", 18),
    ("risk", 21),
    ("level", 36),
)
_STORED = (
    "id",
    "asset_id",
    "threat_id",
    "vulnerability_id",
    "COALESCE(business_id, 0)",
    " + ".join(f"CAST({c} AS BIGINT) * {1 << shift}" for c, shift in _PACK),
)


def packed(new: Computed) -> I64:
    out = np.zeros(len(new), dtype=np.int64)
    for name, shift in _PACK:
        out += getattr(new, name).astype(np.int64) << shift
    return out


def stored(assessment: SystemAssessment) -> I64:
    """The assessment's scenario rows as an (n, 6) array: id, asset, threat,
    vulnerability, business (0 = none), the packed values."""
    table = Scenario._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(_STORED)} FROM {table} WHERE assessment_id = %s",  # noqa: S608
            [assessment.pk],
        )
        rows = cursor.fetchall()
    return np.array(rows, dtype=np.int64).reshape(-1, len(_STORED))


def _place(ids: I64, known: I64) -> tuple[I64, npt.NDArray[np.bool_]]:
    """Index of every id in the sorted array `known`, and whether it is there."""
    if not len(known):
        return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
    position = np.minimum(np.searchsorted(known, ids), len(known) - 1)
    return position, known[position] == ids


@dataclass
class Diff:
    insert: npt.NDArray[np.int64]  # positions in Computed
    update: npt.NDArray[np.int64]  # positions in Computed
    update_ids: npt.NDArray[np.int64]  # the stored rows they update
    delete_ids: npt.NDArray[np.int64]
    unchanged: int


def diff(new: Computed, old: I64) -> Diff:
    """Which computed scenarios are new, which stored rows changed, which are gone."""
    if not len(old):
        return Diff(np.arange(len(new)), _empty(), _empty(), _empty(), 0)
    a, a_ok = _place(old[:, 1], new.asset_ids)
    t, t_ok = _place(old[:, 2], new.threat_ids)
    v, v_ok = _place(old[:, 3], new.vuln_ids)
    n_t, n_v = max(len(new.threat_ids), 1), max(len(new.vuln_ids), 1)
    old_key = np.where(a_ok & t_ok & v_ok, (a * n_t + t) * n_v + v, -1)
    _common, new_pos, old_pos = np.intersect1d(
        new.key, old_key, assume_unique=False, return_indices=True
    )
    matched = np.zeros(len(old), dtype=bool)
    matched[old_pos] = True
    fresh = np.ones(len(new), dtype=bool)
    fresh[new_pos] = False
    changed = (new.business_id[new_pos] != old[old_pos, 4]) | (
        packed(new)[new_pos] != old[old_pos, 5]
    )
    return Diff(
        insert=np.flatnonzero(fresh),
        update=new_pos[changed],
        update_ids=old[old_pos[changed], 0],
        delete_ids=old[~matched, 0],
        unchanged=int((~changed).sum()),
    )


_COLUMNS = (
    "assessment_id",
    "asset_id",
    "business_id",
    "threat_id",
    "vulnerability_id",
    "asset_value",
    "frequency",
    "severity",
    "likelihood_steps",
    "loss_steps",
    "likelihood",
    "loss",
    "risk",
    "level",
    "residual_risk",
    "residual_level",
)


def _rows(assessment: SystemAssessment, new: Computed, positions: I64) -> I64:
    """Rows in the order of `_COLUMNS` (business 0 = NULL, written as such)."""
    n = len(positions)
    columns = [np.full(n, assessment.pk, dtype=np.int64)]
    for name in _COLUMNS[1:-2]:
        columns.append(getattr(new, name)[positions])
    columns += [new.risk[positions], new.level[positions]]
    return np.column_stack(columns) if n else np.zeros((0, len(_COLUMNS)), dtype=np.int64)


BATCH = 900  # ids per statement on SQLite (its default limit is 999 variables)


def _batches(ids: Iterable[int], size: int = BATCH) -> Iterable[list[int]]:
    ids = list(ids)
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


# A large first insert costs mostly the upkeep of the secondary indexes, row by row in
# random order (risk, level, likelihood × loss), and on PostgreSQL the foreign-key
# triggers, one lookup per row and key (2.5 million at 500,000 scenarios), and the unique
# key's checks. Building the indexes afresh and validating each unique and foreign key
# with one query after the insert is several times faster (500,000 rows on PostgreSQL:
# 35 s with everything in place, under 6 s rebuilt). Done only when the insert makes up most of the table, so a small
# assessment never rebuilds what holds everyone else's scenarios; all inside the action's
# transaction (DDL is transactional on both databases), under the table's lock.
_REBUILD_MIN_ROWS = 50_000


def _table_rows(table: str) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [table]
            )
        else:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        return int(cursor.fetchone()[0])


def _secondary(table: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(indexes, unique and foreign-key constraints) of the table that a bulk load may drop and rebuild, each
    as (name, the statement or definition that recreates it exactly)."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
            return list(cursor.fetchall()), []
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = list(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') "
            "ORDER BY contype DESC, conname",  # unique constraints first when re-added
            [table],
        )
        return indexes, list(cursor.fetchall())


_BIGINT = frozenset({"id", "assessment_id", "asset_id", "business_id", "threat_id",
                     "vulnerability_id"})  # fmt: skip
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8


def _copy_binary(table: str, columns: Sequence[str], rows: I64, nullable: str = "") -> None:
    """COPY integer rows in PostgreSQL's binary format, built by numpy in one buffer (no
    Python loop per row). Every column is bigint or smallint as in the model; a 0 in the
    column `nullable` is written as NULL."""
    if not len(rows):
        return

    def layout(null: str) -> np.dtype:
        fields: list[tuple[str, str]] = [("n", ">i2")]
        for i, c in enumerate(columns):
            fields.append((f"l{i}", ">i4"))
            if c != null:
                fields.append((f"v{i}", ">i8" if c in _BIGINT else ">i2"))
        return np.dtype(fields)

    chunks = [_COPY_HEADER]
    where = columns.index(nullable) if nullable else -1
    groups = [(rows, "")]
    if where >= 0:
        empty = rows[:, where] == 0
        groups = [(rows[~empty], ""), (rows[empty], nullable)]
    for group, null in groups:
        if not len(group):
            continue
        out = np.zeros(len(group), dtype=layout(null))
        out["n"] = len(columns)
        for i, c in enumerate(columns):
            if c == null:
                out[f"l{i}"] = -1
            else:
                out[f"l{i}"] = 8 if c in _BIGINT else 2
                out[f"v{i}"] = group[:, i]
        chunks.append(out.tobytes())
    chunks.append(b"\xff\xff")
    with connection.cursor() as cursor:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        with cursor.cursor.copy(sql) as copy:
            copy.write(b"".join(chunks))


def _insert(rows: I64) -> None:
    if not len(rows):
        return
    table = Scenario._meta.db_table
    columns = ", ".join(_COLUMNS)
    indexes: list[tuple[str, str]] = []
    foreign: list[tuple[str, str]] = []
    if len(rows) >= _REBUILD_MIN_ROWS and len(rows) * 2 >= _table_rows(table) + len(rows):
        indexes, foreign = _secondary(table)
    with connection.cursor() as cursor:
        if foreign:
            # Deferred foreign-key checks still queued in this transaction would forbid
            # the ALTER TABLE: run them now (they are checked, not skipped).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _definition in foreign:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ddl in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    if connection.vendor == "postgresql":
        _copy_binary(table, _COLUMNS, rows, nullable="business_id")
    else:
        # SQLite: the driver's executemany with one prepared statement. Converting the
        # values to Python objects and binding them is much of the cost, so the small
        # values travel packed in one integer (as `stored` reads them) and SQLite unpacks
        # them; the assessment is a literal.
        ids = ("asset_id", "business_id", "threat_id", "vulnerability_id")
        width = {"risk": 15, "level": 4}
        unpack = {c: f"((?5 >> {shift}) & {(1 << width.get(c, 3)) - 1})" for c, shift in _PACK}
        marks = {"assessment_id": str(int(rows[0, 0])), "business_id": "NULLIF(?2, 0)"}
        marks.update({c: f"?{k}" for k, c in enumerate(ids, start=1) if c != "business_id"})
        marks.update(unpack)
        marks["residual_risk"], marks["residual_level"] = unpack["risk"], unpack["level"]
        sql = (
            f"INSERT INTO {table} ({columns}) "  # noqa: S608
            f"VALUES ({', '.join(marks[c] for c in _COLUMNS)})"
        )
        pack = np.zeros(len(rows), dtype=np.int64)
        for c, shift in _PACK:
            pack += rows[:, _COLUMNS.index(c)] << shift
        values = np.column_stack([rows[:, [_COLUMNS.index(c) for c in ids]], pack])
        connection.ensure_connection()
        connection.connection.executemany(sql, values.tolist())
    with connection.cursor() as cursor:
        for _name, ddl in indexes:
            cursor.execute(ddl)
        for name, definition in foreign:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        if foreign:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


_UPDATED = _COLUMNS[2:]


def _pg_type(column: str) -> str:
    return "bigint" if column in _BIGINT else "smallint"


def _update(ids: I64, rows: I64) -> None:
    """Write the changed rows' values (rows in the order of `_COLUMNS`)."""
    if not len(ids):
        return
    table = Scenario._meta.db_table
    values = rows[:, 2:]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TEMPORARY TABLE infosec_scenario_new "
                f"(id bigint PRIMARY KEY, {', '.join(f'{c} {_pg_type(c)}' for c in _UPDATED)}) "
                "ON COMMIT DROP"
            )
            _copy_binary(
                "infosec_scenario_new",
                ["id", *_UPDATED],
                np.column_stack([ids, values]),
                nullable="business_id",
            )
            assignments = ", ".join(f"{c} = n.{c}" for c in _UPDATED)
            cursor.execute(
                f"UPDATE {table} AS s SET {assignments} "  # noqa: S608
                "FROM infosec_scenario_new AS n WHERE s.id = n.id"
            )
            cursor.execute("DROP TABLE infosec_scenario_new")
            return
        assignments = ", ".join(
            f"{c} = NULLIF(%s, 0)" if c == "business_id" else f"{c} = %s" for c in _UPDATED
        )
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608
            [[*row, pk] for pk, row in zip(ids.tolist(), values.tolist(), strict=True)],
        )


def _delete(ids: I64) -> int:
    """Delete the gone scenarios with what hangs off them: their decisions and
    recommendation links go, a 整改 task keeps its row and loses the link. Returns the
    number of decisions deleted."""
    if not len(ids):
        return 0
    decisions = 0
    links = Recommendation.scenarios.through
    for batch in _batches(ids.tolist()):
        decisions += RiskDecision.objects.filter(scenario_id__in=batch)._raw_delete(
            connection.alias
        )
        links.objects.filter(scenario_id__in=batch)._raw_delete(connection.alias)
        RemediationTask.objects.filter(scenario_id__in=batch).update(scenario=None)
        Scenario.objects.filter(pk__in=batch)._raw_delete(connection.alias)
    return decisions


def _void_changed(ids: I64, levels: I64) -> int:
    """A decision rests on the level it was taken at (what it may be, whether a leader must
    approve it): a scenario whose level changes loses its decision, which must be taken
    again. Call before the rows are updated (the stored level is the old one). Returns the
    number of decisions voided."""
    if not len(ids):
        return 0
    level_of = dict(zip(ids.tolist(), levels.tolist(), strict=True))
    voided = 0
    for batch in _batches(list(level_of)):
        rows = RiskDecision.objects.filter(scenario_id__in=batch).values_list(
            "pk", "scenario_id", "scenario__level"
        )
        stale = [pk for pk, scenario_id, old in rows if level_of[scenario_id] != old]
        if stale:
            voided += RiskDecision.objects.filter(pk__in=stale)._raw_delete(connection.alias)
    return voided


@dataclass(frozen=True)
class Stored:
    created: int
    updated: int
    removed: int
    unchanged: int
    decisions_removed: int
    decisions_voided: int
    by_level: dict[int, int]
    total: int


def store(assessment: SystemAssessment, new: Computed) -> Stored:
    """Bring the stored scenarios in line with `new` (call inside the action's
    transaction, the assessment row locked)."""
    old = stored(assessment)
    d = diff(new, old)
    decisions = _delete(d.delete_ids)
    voided = _void_changed(d.update_ids, new.level[d.update])
    _update(d.update_ids, _rows(assessment, new, d.update))
    _insert(_rows(assessment, new, d.insert))
    counts = np.bincount(new.level, minlength=LEVEL_MAX + 1) if len(new) else None
    return Stored(
        created=len(d.insert),
        updated=len(d.update),
        removed=len(d.delete_ids),
        unchanged=d.unchanged,
        decisions_removed=decisions,
        decisions_voided=voided,
        by_level={
            level: int(counts[level]) if counts is not None else 0
            for level in range(LEVEL_MIN, LEVEL_MAX + 1)
        },
        total=len(new),
    )


def residual_candidates(assessment: SystemAssessment) -> QuerySet[Any]:
    """Ids of the scenarios whose residual may differ from their risk: linked to a
    recommendation, or with a residual that differs now."""
    linked = Recommendation.scenarios.through.objects.filter(
        recommendation__assessment=assessment
    ).values("scenario_id")
    differs = (
        Q(residual_risk__isnull=True) | ~Q(residual_risk=F("risk")) | ~Q(residual_level=F("level"))
    )
    return (
        Scenario.objects.filter(assessment=assessment)
        .filter(Q(pk__in=linked) | differs)
        .values_list("pk", flat=True)
    )


# ------------------------------------------------------------------ before a recompute


def still_valid(assessment: SystemAssessment) -> Q:
    """Scenarios whose combination the current inputs still give (for warnings only;
    measures and ratings may change a row, never remove it)."""
    exploits = exploits_of(assessment)
    aspect = Q()
    if exploits:
        aspect = ~Q(threat__threat_class__in=list(exploits))
        for code, aspects in exploits.items():
            aspect |= Q(threat__threat_class=code, vulnerability__aspect__in=list(aspects))
    on_asset = Q(vulnerability__asset_id=F("asset_id")) | Q(
        vulnerability__asset__isnull=True, asset__layer=AssetLayer.SYSTEM
    )
    return Q(vulnerability__status__in=LIVE_STATUSES) & on_asset & aspect


def decisions_at_risk(assessment: SystemAssessment) -> int:
    """How many risk decisions a recompute would delete with their scenarios."""
    decided = RiskDecision.objects.filter(assessment=assessment)
    total = decided.count()
    if not total:
        return 0
    keep = Scenario.objects.filter(assessment=assessment, decision__isnull=False).filter(
        still_valid(assessment)
    )
    return total - keep.count()
