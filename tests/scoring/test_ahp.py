"""AHP weights and the consistency ratio."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengping.scoring import RANDOM_INDEX, InconsistentJudgementError, ahp_weights

SETTINGS = settings(deadline=None, database=None)

# Circulant matrix with a = 2: λmax = 1 + a + 1/a = 3.5 by hand, so CI = 0.25 and
# CR = 0.25 / 0.58 = 0.431; all three factors weigh 1/3.
CYCLIC = [[1, 2, 1 / 2], [1 / 2, 1, 2], [2, 1 / 2, 1]]


def test_random_index_table() -> None:
    assert RANDOM_INDEX[:5] == (0.0, 0.0, 0.58, 0.90, 1.12)
    assert len(RANDOM_INDEX) == 15 and RANDOM_INDEX[-1] == 1.59


def test_textbook_example() -> None:
    result = ahp_weights([[1, 1 / 3, 1 / 2], [3, 1, 2], [2, 1 / 2, 1]])
    assert [round(w, 4) for w in result.weights] == [0.1634, 0.5396, 0.2970]
    assert round(result.lambda_max, 4) == 3.0092
    assert round(result.cr, 4) == 0.0079


def test_inconsistent_matrix_is_refused_with_the_figure() -> None:
    with pytest.raises(InconsistentJudgementError) as caught:
        ahp_weights(CYCLIC)
    message = str(caught.value)
    assert "判断矩阵一致性比率 CR=0.431 ≥ 0.1" in message
    assert "consistency ratio CR=0.431 ≥ 0.1" in message
    assert math.isclose(caught.value.cr, 0.25 / 0.58)
    assert isinstance(caught.value, ValueError)


def test_limit_is_a_parameter() -> None:
    result = ahp_weights(CYCLIC, cr_limit=0.5)
    assert math.isclose(result.lambda_max, 3.5)
    assert math.isclose(result.ci, 0.25)
    assert all(math.isclose(w, 1 / 3) for w in result.weights)


def test_cr_just_below_limit_passes() -> None:
    # a = 1.5: λmax = 1 + 1.5 + 1/1.5 = 3.1667, CI = 0.0833, CR = 0.1437 ≥ 0.1 → refused;
    # a = 1.4: λmax = 3.1143, CI = 0.0571, CR = 0.0985 < 0.1 → accepted.
    with pytest.raises(InconsistentJudgementError, match="CR=0.144"):
        ahp_weights([[1, 1.5, 1 / 1.5], [1 / 1.5, 1, 1.5], [1.5, 1 / 1.5, 1]])
    assert ahp_weights([[1, 1.4, 1 / 1.4], [1 / 1.4, 1, 1.4], [1.4, 1 / 1.4, 1]]).cr < 0.1


def test_small_matrices_have_zero_cr() -> None:
    assert ahp_weights([[1]]).weights == (1.0,)
    result = ahp_weights([[1, 9], [1 / 9, 1]])
    assert result.cr == 0
    assert [round(w, 12) for w in result.weights] == [0.9, 0.1]


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([], "empty"),
        ([[1, 2], [0.5]], "square"),
        ([[1, 2], [0.4, 1]], "not reciprocal"),
        ([[2, 1], [1, 2]], "diagonal"),
        ([[1, -1], [-1, 1]], "positive"),
        ([[1.0] * 16 for _ in range(16)], "n ≤ 15"),
    ],
)
def test_malformed_matrix(matrix: list[list[float]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ahp_weights(matrix)


def test_reciprocal_tolerance_is_a_parameter() -> None:
    rounded: list[list[float]] = [[1, 3, 5], [0.333, 1, 3], [0.2, 0.333, 1]]
    with pytest.raises(ValueError, match="not reciprocal"):
        ahp_weights(rounded)
    assert ahp_weights(rounded, reciprocal_tolerance=1e-2).cr < 0.1


@SETTINGS
@given(st.lists(st.floats(0.1, 10), min_size=1, max_size=15))
def test_consistent_matrix_recovers_weights(raw: list[float]) -> None:
    matrix = [[wi / wj for wj in raw] for wi in raw]
    result = ahp_weights(matrix)
    assert result.cr < 1e-9
    assert result.ci < 1e-9
    assert math.isclose(result.lambda_max, len(raw), rel_tol=1e-9)
    total = sum(raw)
    for got, want in zip(result.weights, raw, strict=True):
        assert math.isclose(got, want / total, rel_tol=1e-9, abs_tol=1e-12)


@SETTINGS
@given(st.lists(st.sampled_from([1 / 9, 1 / 5, 1 / 3, 1, 3, 5, 9]), min_size=3, max_size=3))
def test_weights_are_a_distribution(upper: list[float]) -> None:
    a, b, c = upper
    matrix = [[1, a, b], [1 / a, 1, c], [1 / b, 1 / c, 1]]
    try:
        result = ahp_weights(matrix)
    except InconsistentJudgementError as error:
        assert error.cr >= 0.1
    else:
        assert math.isclose(sum(result.weights), 1)
        assert all(w > 0 for w in result.weights)
        assert result.lambda_max >= 3 - 1e-9
