"""Bands: coverage without gap or overlap, refusal of bad bands, band lookup."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengping.scoring import ISRA_BANDS, SSRA_BANDS, Bands

SETTINGS = settings(deadline=None, database=None)


def test_ssra_default_bands_on_their_bounds() -> None:
    assert SSRA_BANDS.band(0) == "低"
    assert SSRA_BANDS.band(0.36) == "低"
    assert SSRA_BANDS.band(0.3600001) == "中"
    assert SSRA_BANDS.band(0.64) == "中"
    assert SSRA_BANDS.band(0.6400000000000001) == "高"
    assert SSRA_BANDS.band(1) == "高"


def test_isra_default_bands() -> None:
    expected = ["很低"] * 5 + ["低"] * 5 + ["中等"] * 5 + ["高"] * 5 + ["很高"] * 5
    assert [ISRA_BANDS.band(r) for r in range(1, 26)] == expected
    assert ISRA_BANDS.integer


@pytest.mark.parametrize("value", [0, 26, -1])
def test_value_outside_range_is_refused(value: int) -> None:
    with pytest.raises(ValueError, match="outside the range 1–25"):
        ISRA_BANDS.band(value)


def test_integer_bands_refuse_fractions() -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        ISRA_BANDS.band(5.5)


def test_open_top_band() -> None:
    bands = Bands([(10, "low")], "high", minimum=0)
    assert bands.band(10) == "low"
    assert bands.band(10**9) == "high"
    assert bands.maximum is None


def test_single_band() -> None:
    bands = Bands([], "all", minimum=0, maximum=1)
    assert bands.band(0.5) == "all"


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ([(0.64, "低"), (0.36, "中")], "strictly ascending"),
        ([(0.36, "低"), (0.36, "中")], "strictly ascending"),
        ([(-0.1, "低"), (0.64, "中")], "below the range minimum"),
        ([(0.36, "低"), (1, "中")], "leaves nothing for the last band"),
        ([(0.36, "低"), (0.64, "低")], "unique"),
        ([(0.36, ""), (0.64, "中")], "non-empty"),
    ],
)
def test_bad_bounds_are_refused(bounds: list[tuple[float, str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Bands(bounds, "高", minimum=0, maximum=1)


def test_ranges_with_gap_are_refused() -> None:
    with pytest.raises(ValueError, match="gap between bands '很低' .* 6–6 has no band"):
        Bands.from_ranges([(1, 5, "很低"), (7, 10, "低")])


def test_ranges_with_overlap_are_refused() -> None:
    with pytest.raises(ValueError, match="overlaps"):
        Bands.from_ranges([(1, 5, "很低"), (5, 10, "低")])


def test_empty_range_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        Bands.from_ranges([(1, 5, "很低"), (10, 6, "低")])


def test_floats_are_read_as_their_decimals() -> None:
    # 0.1 + 0.2 prints as 0.30000000000000004: above a bound of 0.3, as its repr says.
    bands = Bands([(0.3, "a")], "b", minimum=0, maximum=1)
    assert bands.band(0.3) == "a"
    assert bands.band(0.1 + 0.2) == "b"
    assert bands.band(Fraction(3, 10)) == "a"


def test_equality_and_hash() -> None:
    again = Bands([(0.36, "低"), (0.64, "中")], "高", minimum=0, maximum=1)
    assert again == SSRA_BANDS
    assert hash(again) == hash(SSRA_BANDS)
    assert again != ISRA_BANDS


@st.composite
def band_specs(draw: st.DrawFn) -> tuple[list[tuple[int, str]], int, int]:
    """Random valid bands on an integer range: sorted distinct cuts inside [lo, hi)."""
    lo = draw(st.integers(-50, 50))
    hi = draw(st.integers(lo + 1, lo + 200))
    cuts = sorted(draw(st.sets(st.integers(lo, hi - 1), max_size=8)))
    return [(c, f"b{i}") for i, c in enumerate(cuts)], lo, hi


@SETTINGS
@given(band_specs(), st.data())
def test_every_value_in_range_has_exactly_one_band(
    spec: tuple[list[tuple[int, str]], int, int], data: st.DataObject
) -> None:
    bounds, lo, hi = spec
    bands = Bands(bounds, "top", minimum=lo, maximum=hi)
    value = data.draw(st.fractions(min_value=lo, max_value=hi))
    containing = [
        iv
        for iv in bands.intervals()
        if (iv.lower < value or (iv.lower_closed and iv.lower == value))
        and (iv.upper is None or value < iv.upper or (iv.upper_closed and value == iv.upper))
    ]
    assert len(containing) == 1
    assert containing[0].label == bands.band(value)


@SETTINGS
@given(band_specs())
def test_intervals_tile_the_range(spec: tuple[list[tuple[int, str]], int, int]) -> None:
    bounds, lo, hi = spec
    intervals = Bands(bounds, "top", minimum=lo, maximum=hi).intervals()
    assert intervals[0].lower == lo and intervals[0].lower_closed
    assert intervals[-1].upper == hi and intervals[-1].upper_closed
    for below, above in zip(intervals, intervals[1:], strict=False):
        # Adjacent bands meet at one point that belongs to exactly one of them.
        assert below.upper == above.lower
        assert below.upper_closed != above.lower_closed
        assert below.upper is not None and below.lower <= below.upper


@SETTINGS
@given(band_specs(), st.fractions(), st.fractions())
def test_band_index_is_monotonic(
    spec: tuple[list[tuple[int, str]], int, int], a: Fraction, b: Fraction
) -> None:
    bounds, lo, hi = spec
    bands = Bands(bounds, "top", minimum=lo, maximum=hi)
    a, b = sorted(
        (min(max(a, Fraction(lo)), Fraction(hi)), min(max(b, Fraction(lo)), Fraction(hi)))
    )
    assert bands.index(a) <= bands.index(b)


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=2, max_size=6))
def test_from_ranges_accepts_exactly_the_contiguous_ones(pairs: list[tuple[int, int]]) -> None:
    ranges = [(a, b, f"r{i}") for i, (a, b) in enumerate(pairs)]
    contiguous = all(b >= a for a, b in pairs) and all(
        nxt[0] == prev[1] + 1 for prev, nxt in zip(pairs, pairs[1:], strict=False)
    )
    if contiguous:
        bands = Bands.from_ranges(ranges)
        for a, b, label in ranges:
            assert all(bands.band(v) == label for v in range(a, b + 1))
    else:
        with pytest.raises(ValueError):
            Bands.from_ranges(ranges)


@SETTINGS
@given(st.lists(st.fractions(0, 1), min_size=2, max_size=6))
def test_unsorted_or_repeated_bounds_are_refused(cuts: list[Fraction]) -> None:
    bounds = [(c, f"b{i}") for i, c in enumerate(cuts)]
    valid = all(a < b for a, b in zip(cuts, cuts[1:], strict=False)) and cuts[-1] < 1
    if valid:
        Bands(bounds, "top", minimum=0, maximum=1)
    else:
        with pytest.raises(ValueError):
            Bands(bounds, "top", minimum=0, maximum=1)
