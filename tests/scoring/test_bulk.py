"""The numpy bulk path agrees exactly with the per-item path."""

import itertools
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengping.scoring import (
    EXAMPLE_LOSS_TABLE,
    EXAMPLE_RISK_TABLE,
    EXAMPLE_TABLES,
    ISRA_BANDS,
    Bands,
    BulkResult,
    IsraResult,
    MatrixTables,
    bulk_matrix,
    bulk_multiplication,
    risk_by_matrix,
    risk_by_multiplication,
)

SETTINGS = settings(deadline=None, database=None, max_examples=60)
LEVELS = range(1, 6)


def _compare(bulk: BulkResult, per_item: list[IsraResult], bands: Bands = ISRA_BANDS) -> None:
    assert bulk.risk.tolist() == [r.risk for r in per_item]
    assert bulk.band_index.tolist() == [r.band_index for r in per_item]
    assert bulk.band_labels().tolist() == [r.band for r in per_item]
    assert bulk.labels == bands.labels


def _exhaustive() -> tuple[npt.NDArray[np.int64], ...]:
    # Every Ia, T, V in 1–5 with both effects 0–5: 4,500 scenarios. Since V_L and Va are
    # lowered independently from V, this reaches every (T, V_L, Ia, Va) in 1–5⁴, i.e. all
    # 625 products under the square root.
    rows = np.array(list(itertools.product(LEVELS, LEVELS, LEVELS, range(6), range(6))))
    return tuple(rows[:, k] for k in range(5))


def test_multiplication_exhaustive() -> None:
    ia, t, v, e, le = _exhaustive()
    per_item = [
        risk_by_multiplication(*row[:3], measure_effect=row[3], loss_effect=row[4])
        for row in zip(ia.tolist(), t.tolist(), v.tolist(), e.tolist(), le.tolist(), strict=True)
    ]
    _compare(bulk_multiplication(ia, t, v, e, le), per_item)
    assert {(r.effective_vuln, r.effective_severity) for r in per_item} == set(
        itertools.product(LEVELS, LEVELS)
    )


def test_matrix_exhaustive() -> None:
    ia, t, v, e, le = _exhaustive()
    per_item = [
        risk_by_matrix(*row[:3], measure_effect=row[3], loss_effect=row[4])
        for row in zip(ia.tolist(), t.tolist(), v.tolist(), e.tolist(), le.tolist(), strict=True)
    ]
    _compare(bulk_matrix(ia, t, v, e, le), per_item)


def test_without_measures() -> None:
    rows = np.array(list(itertools.product(LEVELS, LEVELS, LEVELS)))
    ia, t, v = rows[:, 0], rows[:, 1], rows[:, 2]
    _compare(
        bulk_multiplication(ia, t, v),
        [risk_by_multiplication(*map(int, row)) for row in rows],
    )
    _compare(bulk_matrix(ia, t, v), [risk_by_matrix(*map(int, row)) for row in rows])


def test_hand_example() -> None:
    result = bulk_multiplication([5, 1], [4, 1], [3, 1])
    assert result.risk.tolist() == [13, 1]
    assert result.band_labels().tolist() == ["中等", "很低"]
    assert len(result) == 2


def test_empty_input() -> None:
    result = bulk_multiplication([], [], [])
    assert len(result) == 0 and result.band_labels().tolist() == []


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (([1, 2], [1], [1, 2]), "threat_frequency has 1 entries, expected 2"),
        (([1, 6], [1, 1], [1, 1]), "asset_value must be 1–5, found 6"),
        (([1, 1], [0, 1], [1, 1]), "threat_frequency must be 1–5, found 0"),
        (([1.0, 2.0], [1, 1], [1, 1]), "must hold integers"),
        (([True, False], [1, 1], [1, 1]), "must hold integers"),
        (([[1, 2]], [1, 1], [1, 1]), "one-dimensional"),
        (([1, 1], [1, 1], [1, 1], [0, -1]), "measure_effect must be ≥ 0"),
        (([1, 1], [1, 1], [1, 1], [0]), "measure_effect must be a one-dimensional array of 2"),
    ],
)
def test_bad_input(arrays: tuple[list[Any], ...], message: str) -> None:
    for method in (bulk_multiplication, bulk_matrix):
        with pytest.raises(ValueError, match=message):
            method(*arrays)


def test_risk_outside_bands_is_refused_like_per_item() -> None:
    narrow = Bands.from_ranges([(1, 10, "低"), (11, 20, "高")])
    assert bulk_multiplication([4], [4], [4], bands=narrow).band_labels().tolist() == ["高"]
    with pytest.raises(ValueError, match="risk value 25 is outside"):
        bulk_multiplication([4, 5], [4, 5], [4, 5], bands=narrow)
    with pytest.raises(ValueError, match="risk value 25 is outside"):
        bulk_matrix([4, 5], [4, 5], [4, 5], bands=narrow)


levels_1d = st.lists(st.integers(1, 5), min_size=0, max_size=200)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[npt.NDArray[np.integer], ...]:
    n = draw(st.integers(0, 200))
    dtype = draw(st.sampled_from([np.int8, np.uint8, np.int16, np.int32, np.int64]))
    level = st.lists(st.integers(1, 5), min_size=n, max_size=n)
    # Effects up to 100 exercise the cap that keeps the subtraction in int16.
    effect = st.lists(st.integers(0, 100), min_size=n, max_size=n)
    return (
        np.array(draw(level), dtype=dtype),
        np.array(draw(level), dtype=dtype),
        np.array(draw(level), dtype=dtype),
        np.array(draw(effect), dtype=np.int64 if dtype == np.int8 else dtype),
        np.array(draw(effect), dtype=np.int64),
    )


@st.composite
def monotonic_table(draw: st.DrawFn, low: int, high: int) -> list[list[int]]:
    raw = np.array(draw(st.lists(st.integers(low, high), min_size=25, max_size=25)))
    table = np.maximum.accumulate(np.maximum.accumulate(raw.reshape(5, 5), axis=0), axis=1)
    return [[int(x) for x in row] for row in table]


@st.composite
def integer_bands(draw: st.DrawFn) -> Bands:
    cuts = sorted(draw(st.sets(st.integers(1, 24), max_size=6)))
    return Bands([(c, f"b{i}") for i, c in enumerate(cuts)], "top", minimum=1, maximum=25)


@SETTINGS
@given(scenarios(), integer_bands(), st.booleans())
def test_multiplication_random(
    arrays: tuple[npt.NDArray[np.integer], ...], bands: Bands, with_effects: bool
) -> None:
    ia, t, v, e, le = arrays
    effects = (e, le) if with_effects else (None, None)
    bulk = bulk_multiplication(ia, t, v, *effects, bands=bands)
    per_item = [
        risk_by_multiplication(
            int(ia[k]),
            int(t[k]),
            int(v[k]),
            measure_effect=int(e[k]) if with_effects else 0,
            loss_effect=int(le[k]) if with_effects else 0,
            bands=bands,
        )
        for k in range(len(ia))
    ]
    _compare(bulk, per_item, bands)


@SETTINGS
@given(
    scenarios(),
    monotonic_table(1, 5),
    monotonic_table(1, 5),
    monotonic_table(1, 25),
    integer_bands(),
)
def test_matrix_random_tables(
    arrays: tuple[npt.NDArray[np.integer], ...],
    likelihood: list[list[int]],
    loss: list[list[int]],
    risk: list[list[int]],
    bands: Bands,
) -> None:
    ia, t, v, e, le = arrays
    tables = MatrixTables(likelihood, loss, risk)
    bulk = bulk_matrix(ia, t, v, e, le, tables=tables, bands=bands)
    per_item = [
        risk_by_matrix(
            int(ia[k]),
            int(t[k]),
            int(v[k]),
            measure_effect=int(e[k]),
            loss_effect=int(le[k]),
            tables=tables,
            bands=bands,
        )
        for k in range(len(ia))
    ]
    _compare(bulk, per_item, bands)


def test_example_tables_default() -> None:
    tables = MatrixTables(EXAMPLE_TABLES.likelihood.cells, EXAMPLE_LOSS_TABLE, EXAMPLE_RISK_TABLE)  # type: ignore[arg-type]
    assert tables == EXAMPLE_TABLES
    assert bulk_matrix([5], [4], [3], tables=tables).risk.tolist() == [12]


def test_large_input_is_fast_enough_for_a_smoke_check() -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    ia, t, v = (rng.integers(1, 6, n) for _ in range(3))
    result = bulk_multiplication(ia, t, v)
    assert result.risk.min() >= 1 and result.risk.max() <= 25
    sample = rng.integers(0, n, 500)
    for k in sample.tolist():
        assert result.risk[k] == risk_by_multiplication(int(ia[k]), int(t[k]), int(v[k])).risk
