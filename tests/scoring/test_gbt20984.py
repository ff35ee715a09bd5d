"""GB/T 20984 per-item calculation against hand-computed values."""

import itertools
import math
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengping.scoring import (
    EXAMPLE_LIKELIHOOD_TABLE,
    EXAMPLE_LOSS_TABLE,
    EXAMPLE_RISK_TABLE,
    EXAMPLE_TABLES,
    ISRA_BANDS,
    Bands,
    MatrixTables,
    RiskMatrix,
    asset_value_from_cia,
    risk_by_matrix,
    risk_by_multiplication,
    round_half_up,
    round_half_up_sqrt,
)

SETTINGS = settings(deadline=None, database=None)
LEVELS = range(1, 6)


def test_hand_example_multiplication() -> None:
    # T=4, V=3, Ia=5, Va=3: L = √12 ≈ 3.46, F = √15 ≈ 3.87, R = √180 ≈ 13.42 → 13 → 中等.
    result = risk_by_multiplication(5, 4, 3)
    assert math.isclose(result.likelihood, 3.4641, abs_tol=1e-4)
    assert math.isclose(result.loss, 3.8730, abs_tol=1e-4)
    assert (result.risk, result.band, result.band_index) == (13, "中等", 2)


@pytest.mark.parametrize(
    ("ia", "t", "v", "risk", "band"),
    [
        (1, 1, 1, 1, "很低"),  # √1 = 1
        (3, 2, 3, 7, "低"),  # √(2·3·3·3) = √54 ≈ 7.35 → 7
        (4, 2, 3, 8, "低"),  # √(2·3·4·3) = √72 ≈ 8.49 → 8
        (3, 3, 3, 9, "低"),  # √81 = 9
        (4, 4, 4, 16, "高"),  # √256 = 16
        (3, 5, 4, 15, "中等"),  # √(5·4·3·4) = √240 ≈ 15.49 → 15
        (4, 3, 5, 17, "高"),  # √(3·5·4·5) = √300 ≈ 17.32 → 17
        (5, 5, 4, 20, "高"),  # √(5·4·5·4) = √400 = 20
        (5, 5, 5, 25, "很高"),  # √625 = 25
        (5, 4, 5, 22, "很高"),  # √(4·5·5·5) = √500 ≈ 22.36 → 22
    ],
)
def test_hand_table_multiplication(ia: int, t: int, v: int, risk: int, band: str) -> None:
    result = risk_by_multiplication(ia, t, v)
    assert (result.risk, result.band) == (risk, band)


def test_loss_is_not_squared() -> None:
    # The known pitfall: F = Ia·Va instead of √(Ia·Va) would give √12 · 15 ≈ 52 here.
    result = risk_by_multiplication(5, 4, 3)
    assert result.loss == math.sqrt(15)
    assert risk_by_multiplication(5, 5, 5).risk == 25  # the top of the 1–25 range


def test_measures_lower_likelihood_only() -> None:
    # measure_effect 1: V_L = 2, Va stays 3: √(4·2·5·3) = √120 ≈ 10.95 → 11 中等.
    result = risk_by_multiplication(5, 4, 3, measure_effect=1)
    assert (result.effective_vuln, result.effective_severity, result.risk) == (2, 3, 11)
    assert result.loss == math.sqrt(15)
    # A large effect stops at the floor: V_L = 1, √60 ≈ 7.75 → 8 低.
    floor = risk_by_multiplication(5, 4, 3, measure_effect=9)
    assert (floor.effective_vuln, floor.risk, floor.band) == (1, 8, "低")
    # Protective measures lower the severity used for the loss: √(4·3·5·2) = √120 → 11.
    protected = risk_by_multiplication(5, 4, 3, loss_effect=1)
    assert (protected.effective_vuln, protected.effective_severity, protected.risk) == (3, 2, 11)


def test_hand_example_matrix() -> None:
    # Example tables: L(T=4, V=3) = 3, F(Ia=5, Va=3) = 4, R(3, 4) = 12 → 中等.
    result = risk_by_matrix(5, 4, 3)
    assert (result.likelihood, result.loss, result.risk, result.band) == (3, 4, 12, "中等")
    lowered = risk_by_matrix(5, 4, 3, measure_effect=2)  # L(4, 1) = 2, R(2, 4) = 8 → 低
    assert (lowered.likelihood, lowered.risk, lowered.band) == (2, 8, "低")


def test_example_tables_are_monotonic_and_in_range() -> None:
    for table in (EXAMPLE_LIKELIHOOD_TABLE, EXAMPLE_LOSS_TABLE, EXAMPLE_RISK_TABLE):
        assert RiskMatrix(table).is_monotonic()
    assert {c for row in EXAMPLE_LIKELIHOOD_TABLE for c in row} <= set(LEVELS)
    assert {c for row in EXAMPLE_RISK_TABLE for c in row} <= set(range(1, 26))


def test_example_likelihood_table_is_rounded_root() -> None:
    # The example tables are documented as round_half_up(√(x·y)); keep them honest.
    for x, y in itertools.product(LEVELS, LEVELS):
        assert EXAMPLE_LIKELIHOOD_TABLE[x - 1][y - 1] == round_half_up_sqrt(x * y)
        assert EXAMPLE_RISK_TABLE[x - 1][y - 1] == x * y


def test_custom_tables_and_bands() -> None:
    likelihood = [[min(5, max(t, v)) for v in LEVELS] for t in LEVELS]
    tables = MatrixTables(likelihood, EXAMPLE_LOSS_TABLE, EXAMPLE_RISK_TABLE)
    bands = Bands.from_ranges([(1, 8, "低"), (9, 16, "中"), (17, 25, "高")])
    result = risk_by_matrix(5, 4, 3, tables=tables, bands=bands)
    assert (result.likelihood, result.loss, result.risk, result.band) == (4, 4, 16, "中")


@pytest.mark.parametrize(
    ("likelihood", "message"),
    [
        ([[1, 2, 3, 4, 5]] * 4, "must be 5×5"),
        ([[5, 4, 3, 2, 1]] * 5, "must not decrease"),
        ([[1, 2, 3, 4, 6]] * 5, "levels 1–5"),
        ([[1, 2, 3, 4, 5]] * 4 + [[1, 2, 3, 4]], "ragged"),
    ],
)
def test_bad_tables(likelihood: list[list[int]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MatrixTables(likelihood, EXAMPLE_LOSS_TABLE, EXAMPLE_RISK_TABLE)


def test_risk_outside_bands_is_refused() -> None:
    narrow = Bands.from_ranges([(1, 10, "低"), (11, 20, "高")])
    assert risk_by_multiplication(4, 4, 4, bands=narrow).band == "高"
    with pytest.raises(ValueError, match="outside the range 1–20"):
        risk_by_multiplication(5, 5, 5, bands=narrow)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 3, 3), "asset value must be 1–5, got 0"),
        ((3, 6, 3), "threat frequency must be 1–5, got 6"),
        ((3, 3, 3.0), "vulnerability severity must be an integer"),
        ((3, True, 3), "threat frequency must be an integer"),
    ],
)
def test_bad_levels(args: tuple[object, object, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        risk_by_multiplication(*args)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        risk_by_matrix(*args)  # type: ignore[arg-type]


def test_negative_measure_effect_is_refused() -> None:
    with pytest.raises(ValueError, match="measure effect must be ≥ 0"):
        risk_by_multiplication(3, 3, 3, measure_effect=-1)


def test_numpy_integers_are_accepted() -> None:
    result = risk_by_multiplication(np.int64(5), np.int8(4), np.uint8(3))  # type: ignore[arg-type]
    assert result.risk == 13


def test_asset_value() -> None:
    assert asset_value_from_cia(2, 5, 3) == 5  # default: max(C, I, A)
    assert asset_value_from_cia(2, 3, 1, weights=[0.5, 0.5, 0]) == 3  # 2.5 → 3 (half up)
    assert asset_value_from_cia(1, 2, 2, weights=[1, 1, 1]) == 2  # 5/3 ≈ 1.67 → 2
    assert asset_value_from_cia(5, 1, 1, weights=[0.3, 0.3, 0.4]) == 2  # 1.5+0.3+0.4 = 2.2
    # 0.1·1 + 0.2·1 + 0.7·5 = 3.8 → 4, and 0.5·3 + 0.5·4 = 3.5 → 4 exactly, no float drift.
    assert asset_value_from_cia(1, 1, 5, weights=[0.1, 0.2, 0.7]) == 4
    assert asset_value_from_cia(3, 4, 5, weights=[0.5, 0.5, 0]) == 4
    with pytest.raises(ValueError, match="three"):
        asset_value_from_cia(1, 1, 1, weights=[1, 1])
    with pytest.raises(ValueError, match="all zero"):
        asset_value_from_cia(1, 1, 1, weights=[0, 0, 0])
    with pytest.raises(ValueError, match="negative"):
        asset_value_from_cia(1, 1, 1, weights=[1, -1, 1])


def test_round_half_up_is_not_bankers_rounding() -> None:
    assert [round_half_up(Fraction(n, 2)) for n in (1, 3, 5, 7)] == [1, 2, 3, 4]
    assert [round(n / 2) for n in (1, 5)] == [0, 2]  # what Python's round would have done


def test_round_half_up_sqrt_against_high_precision_decimal() -> None:
    with localcontext() as ctx:
        ctx.prec = 50
        for p in range(0, 20001):
            expected = Decimal(p).sqrt().quantize(Decimal(1), rounding=ROUND_HALF_UP)
            assert round_half_up_sqrt(p) == int(expected), p


def test_round_half_up_sqrt_boundaries() -> None:
    # (k + ½)² = k² + k + ¼, so k² + k rounds down to k and k² + k + 1 rounds up to k + 1.
    for k in range(0, 1000):
        assert round_half_up_sqrt(k * k + k) == k
        assert round_half_up_sqrt(k * k + k + 1) == k + 1


def _all_inputs() -> Iterator[tuple[int, ...]]:
    return itertools.product(LEVELS, LEVELS, LEVELS, range(6), range(6))


@pytest.mark.parametrize("method", [risk_by_multiplication, risk_by_matrix])
def test_exhaustively_monotonic(method: object) -> None:
    score = {
        (ia, t, v, e, le): method(ia, t, v, measure_effect=e, loss_effect=le).risk  # type: ignore[operator]
        for ia, t, v, e, le in _all_inputs()
    }
    for (ia, t, v, e, le), risk in score.items():
        # Non-decreasing in Ia, T and V; non-increasing in each measure effect.
        for up, key in (
            (ia < 5, (ia + 1, t, v, e, le)),
            (t < 5, (ia, t + 1, v, e, le)),
            (v < 5, (ia, t, v + 1, e, le)),
        ):
            if up:
                assert score[key] >= risk
        if e < 5:
            assert score[(ia, t, v, e + 1, le)] <= risk
        if le < 5:
            assert score[(ia, t, v, e, le + 1)] <= risk
        assert 1 <= risk <= 25


def test_matrix_and_multiplication_agree_roughly() -> None:
    # With the example tables the methods differ only by the rounding of L and F.
    for ia, t, v, _, _ in itertools.product(LEVELS, LEVELS, LEVELS, [0], [0]):
        exact = risk_by_multiplication(ia, t, v).risk
        via_tables = risk_by_matrix(ia, t, v).risk
        assert abs(exact - via_tables) <= 5


weights = st.lists(st.integers(0, 10), min_size=3, max_size=3).filter(any)


@SETTINGS
@given(
    st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5)),
    st.integers(0, 2),
    weights,
)
def test_asset_value_is_monotonic(cia: tuple[int, int, int], k: int, w: list[int]) -> None:
    raised = list(cia)
    raised[k] = min(5, raised[k] + 1)
    for ws in (None, [x / 10 for x in w]):
        before = asset_value_from_cia(cia[0], cia[1], cia[2], weights=ws)
        after = asset_value_from_cia(raised[0], raised[1], raised[2], weights=ws)
        assert 1 <= before <= after <= 5


def test_default_bands_are_the_isra_bands() -> None:
    assert risk_by_multiplication(5, 4, 3).band == ISRA_BANDS.band(13)
    assert risk_by_matrix(5, 4, 3, tables=EXAMPLE_TABLES).band == "中等"
