"""Comprehensive risk index and score_factors (social stability)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengping.scoring import (
    SSRA_BANDS,
    SSRA_GRADES_ABC,
    SSRA_GRADES_LEVELS,
    SSRA_IMPACT,
    SSRA_PROBABILITY,
    Bands,
    FactorScore,
    MethodSpec,
    normalise_weights,
    risk_index,
    score_factors,
)

SETTINGS = settings(deadline=None, database=None)


def test_hand_computed_index() -> None:
    # 0.5·0.8·0.6 + 0.3·0.6·0.4 + 0.2·0.4·0.2 = 0.24 + 0.072 + 0.016 = 0.328
    assert risk_index([0.5, 0.3, 0.2], [0.8, 0.6, 0.4], [0.6, 0.4, 0.2]) == 0.328


def test_weights_are_normalised() -> None:
    assert normalise_weights([2, 1, 1]) == (0.5, 0.25, 0.25)
    assert risk_index([2, 1, 1], [1, 0.2, 0.2], [1, 1, 1]) == 0.6


@pytest.mark.parametrize(
    ("weights", "message"),
    [([0.5, -0.1], "must not be negative: #2 = -0.1"), ([0, 0], "all zero"), ([], "at least")],
)
def test_bad_weights(weights: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalise_weights(weights)


def test_length_mismatch() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        risk_index([1, 1], [0.2], [0.2, 0.4])


def test_score_factors_hand_example() -> None:
    factors = [
        FactorScore("征收补偿", 0.8, 0.6, 0.5),
        FactorScore("环境影响", 0.6, 0.4, 0.3),
        FactorScore("舆论导向", 0.4, 0.2, 0.2),
    ]
    result = score_factors(factors, SSRA_GRADES_ABC)
    assert result.index == 0.328
    assert (result.band, result.grade, result.no_risk) == ("低", "C", False)
    assert result.factor_scores == (0.48, 0.24, 0.08)
    assert result.factor_bands == ("中", "低", "低")
    # Under 篇3's levels the 0.48 factor exceeds the lowest band: 三级, not 四级 无风险.
    assert score_factors(factors, SSRA_GRADES_LEVELS).grade == "三级"


def test_top_of_band_is_exact() -> None:
    # 较高 × 较大 = 0.8 × 0.8 = 0.64 exactly: 中 (B), although 0.8 * 0.8 > 0.64 in floats.
    p, i = SSRA_PROBABILITY.value("较高"), SSRA_IMPACT.value("较大")
    result = score_factors([FactorScore("f", p, i)], SSRA_GRADES_ABC)
    assert (result.index, result.band, result.grade) == (0.64, "中", "B")
    result = score_factors([FactorScore("f", 0.6, 0.6)], SSRA_GRADES_ABC)
    assert (result.band, result.grade) == ("低", "C")


def test_high_grade() -> None:
    result = score_factors([FactorScore("f", 1.0, 0.8)], SSRA_GRADES_LEVELS)
    assert (result.band, result.grade) == ("高", "一级")


def test_no_risk_grade() -> None:
    low = [FactorScore("a", 0.6, 0.6), FactorScore("b", 0.2, 0.4)]
    result = score_factors(low, SSRA_GRADES_LEVELS)
    assert (result.grade, result.no_risk) == ("四级", True)
    # One factor just above the lowest band rules out 无风险 even with a tiny weight.
    mixed = [FactorScore("a", 0.2, 0.2, 100), FactorScore("b", 0.8, 0.6, 1)]
    result = score_factors(mixed, SSRA_GRADES_LEVELS)
    assert (result.band, result.grade, result.no_risk) == ("低", "三级", False)
    # ... and a factor with weight 0 still counts: it was listed as a risk point.
    zero = [FactorScore("a", 0.2, 0.2, 1), FactorScore("b", 1.0, 1.0, 0)]
    assert score_factors(zero, SSRA_GRADES_LEVELS).grade == "三级"


def test_no_risk_with_stricter_threshold() -> None:
    spec = MethodSpec(
        bands=SSRA_BANDS,
        grades={"高": "一级", "中": "二级", "低": "三级"},
        no_risk_grade="四级",
        no_risk_max=0.16,
    )
    assert score_factors([FactorScore("a", 0.4, 0.4)], spec).grade == "四级"
    assert score_factors([FactorScore("a", 0.4, 0.6)], spec).grade == "三级"


def test_no_risk_needs_lowest_band_even_with_loose_threshold() -> None:
    spec = MethodSpec(
        bands=SSRA_BANDS,
        grades={"高": "一级", "中": "二级", "低": "三级"},
        no_risk_grade="四级",
        no_risk_max=0.5,
    )
    assert score_factors([FactorScore("a", 0.8, 0.6)], spec).grade == "二级"


@pytest.mark.parametrize(
    ("grades", "extra", "message"),
    [
        ({"高": "A", "中": "B"}, {}, "no grade given for band"),
        ({"高": "A", "中": "B", "低": "C", "极高": "X"}, {}, "unknown band"),
        ({"高": "A", "中": "B", "低": "C"}, {"no_risk_grade": "C"}, "also a band's grade"),
        ({"高": "A", "中": "B", "低": "C"}, {"no_risk_max": 0.1}, "no no_risk_grade"),
    ],
)
def test_bad_method_spec(grades: dict[str, str], extra: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MethodSpec(bands=SSRA_BANDS, grades=grades, **extra)  # type: ignore[arg-type]


def test_no_factors() -> None:
    with pytest.raises(ValueError, match="no risk factors"):
        score_factors([], SSRA_GRADES_ABC)


def test_other_scales_and_bands() -> None:
    # A scheme on 1–5 scales with bands on 1–25: nothing in score_factors assumes 0–1.
    bands = Bands([(6, "低"), (12, "中")], "高", minimum=1, maximum=25)
    spec = MethodSpec(bands=bands, grades={"低": "C", "中": "B", "高": "A"})
    assert score_factors([FactorScore("a", 3, 4), FactorScore("b", 5, 5)], spec).grade == "A"
    assert score_factors([FactorScore("a", 3, 4)], spec).grade == "B"


def _grade_rank(spec: MethodSpec, grade: str) -> int:
    # Order grades by the band they come from; the no-risk grade ranks below all.
    if grade == spec.no_risk_grade:
        return -1
    labels = [band for band, g in spec.grades.items() if g == grade]
    return spec.bands.labels.index(labels[0])


positions = st.integers(0, 4)
factor_lists = st.lists(
    st.tuples(positions, positions, st.integers(0, 10)), min_size=1, max_size=8
).filter(lambda fs: any(w for _, _, w in fs))


def _factors(spec: list[tuple[int, int, int]]) -> list[FactorScore]:
    return [
        FactorScore(f"f{n}", float(SSRA_PROBABILITY.values[p]), float(SSRA_IMPACT.values[i]), w)
        for n, (p, i, w) in enumerate(spec)
    ]


@SETTINGS
@given(factor_lists, st.data(), st.sampled_from([SSRA_GRADES_ABC, SSRA_GRADES_LEVELS]))
def test_grade_is_monotonic_in_each_rating(
    spec: list[tuple[int, int, int]], data: st.DataObject, method: MethodSpec
) -> None:
    k = data.draw(st.integers(0, len(spec) - 1))
    p, i, w = spec[k]
    raised = list(spec)
    if data.draw(st.booleans()):
        raised[k] = (min(4, p + data.draw(st.integers(1, 4))), i, w)
    else:
        raised[k] = (p, min(4, i + data.draw(st.integers(1, 4))), w)
    before = score_factors(_factors(spec), method)
    after = score_factors(_factors(raised), method)
    assert after.index >= before.index
    assert after.band_index >= before.band_index
    assert _grade_rank(method, after.grade) >= _grade_rank(method, before.grade)


@SETTINGS
@given(factor_lists)
def test_index_between_smallest_and_largest_weighted_factor(
    spec: list[tuple[int, int, int]],
) -> None:
    result = score_factors(_factors(spec), SSRA_GRADES_ABC)
    weighted = [s for s, (_, _, w) in zip(result.factor_scores, spec, strict=True) if w]
    assert min(weighted) - 1e-12 <= result.index <= max(weighted) + 1e-12
    assert abs(sum(result.weights) - 1) < 1e-12


@SETTINGS
@given(factor_lists)
def test_factor_order_does_not_matter(spec: list[tuple[int, int, int]]) -> None:
    forward = score_factors(_factors(spec), SSRA_GRADES_LEVELS)
    backward = score_factors(list(reversed(_factors(spec))), SSRA_GRADES_LEVELS)
    assert (forward.index, forward.grade) == (backward.index, backward.grade)
