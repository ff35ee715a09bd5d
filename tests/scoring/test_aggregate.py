"""Aggregation of several assessors' scores."""

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengping.scoring import aggregate

SETTINGS = settings(deadline=None, database=None)
SCORES = [1, 2, 3, 4, 100]


def test_mean_with_spread() -> None:
    result = aggregate(SCORES)
    assert (result.value, result.n, result.minimum, result.maximum, result.range) == (
        22.0,
        5,
        1.0,
        100.0,
        99.0,
    )
    assert math.isclose(result.stdev, statistics.pstdev(SCORES))


def test_median() -> None:
    assert aggregate(SCORES, "median").value == 3
    assert aggregate([4, 1, 3, 2], "median").value == 2.5


def test_trimmed_mean_drops_floor_n_p_from_each_end() -> None:
    five = aggregate(SCORES, "trimmed")  # ⌊5·0.2⌋ = 1 from each end → mean(2, 3, 4)
    assert (five.value, five.trimmed) == (3.0, 1)
    four = aggregate([1, 2, 3, 10], "trimmed")  # ⌊4·0.2⌋ = 0 → plain mean
    assert (four.value, four.trimmed) == (4.0, 0)
    ten = aggregate(list(range(10)), "trimmed", trim=0.25)  # ⌊2.5⌋ = 2 → mean(2…7)
    assert (ten.value, ten.trimmed) == (4.5, 2)
    # Spread is always of all the scores, not of the trimmed ones.
    assert five.range == 99


def test_single_score() -> None:
    result = aggregate([0.6], "trimmed")
    assert (result.value, result.stdev, result.range) == (0.6, 0.0, 0.0)


@pytest.mark.parametrize(
    ("scores", "kwargs", "message"),
    [
        ([], {}, "no scores"),
        ([1], {"method": "mode"}, "unknown aggregation method"),
        ([1], {"method": "trimmed", "trim": 0.5}, r"\[0, 0.5\)"),
        ([1, float("nan")], {}, "finite"),
    ],
)
def test_bad_input(scores: list[float], kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        aggregate(scores, **kwargs)  # type: ignore[arg-type]


def test_bool_is_refused() -> None:
    with pytest.raises(TypeError):
        aggregate([True, 1])


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@SETTINGS
@given(
    st.lists(finite, min_size=1, max_size=30),
    st.sampled_from(["mean", "median", "trimmed"]),
    st.floats(0, 0.49),
)
def test_value_lies_between_min_and_max(scores: list[float], method: str, trim: float) -> None:
    result = aggregate(scores, method, trim)  # type: ignore[arg-type]
    assert result.minimum <= result.value <= result.maximum
    assert result.minimum == min(scores) and result.maximum == max(scores)
    assert result.stdev >= 0
    assert result.n == len(scores)
    assert 2 * result.trimmed < result.n


@SETTINGS
@given(st.lists(finite, min_size=1, max_size=30), st.sampled_from(["mean", "median", "trimmed"]))
def test_order_does_not_matter(scores: list[float], method: str) -> None:
    assert aggregate(scores, method) == aggregate(list(reversed(scores)), method)  # type: ignore[arg-type]


@SETTINGS
@given(st.lists(finite, min_size=1, max_size=30), st.sampled_from(["mean", "median", "trimmed"]))
def test_monotonic_in_each_score(scores: list[float], method: str) -> None:
    raised = [*scores[:-1], scores[-1] + 1]
    assert aggregate(raised, method).value >= aggregate(scores, method).value  # type: ignore[arg-type]


@SETTINGS
@given(finite, st.integers(1, 20))
def test_equal_scores(value: float, n: int) -> None:
    result = aggregate([value] * n)
    assert (result.value, result.stdev, result.range) == (value, 0.0, 0.0)
