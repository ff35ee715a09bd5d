"""Residual risk after measures."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengping.scoring import (
    SSRA_GRADES_ABC,
    SSRA_IMPACT,
    SSRA_PROBABILITY,
    FactorScore,
    Reduction,
    Scale,
    reduce_value,
    residual_factor,
    score_factors,
)

SETTINGS = settings(deadline=None, database=None)


def test_steps_on_scale() -> None:
    assert reduce_value(0.8, SSRA_PROBABILITY, steps=1) == 0.6
    assert reduce_value(0.8, SSRA_PROBABILITY, steps=2) == 0.4
    # Clamped at the scale minimum: a measure does not make the risk vanish.
    assert reduce_value(0.4, SSRA_PROBABILITY, steps=5) == 0.2


def test_multiplier_clamped_to_minimum() -> None:
    assert reduce_value(0.8, SSRA_PROBABILITY, multiplier=0.5) == 0.4
    assert reduce_value(0.4, SSRA_PROBABILITY, multiplier=0.1) == 0.2


def test_steps_then_multiplier() -> None:
    assert reduce_value(1.0, SSRA_IMPACT, steps=1, multiplier=0.75) == 0.6


def test_residual_factor_regrades() -> None:
    factor = FactorScore("征收补偿", 1.0, 0.8, 2)
    before = score_factors([factor], SSRA_GRADES_ABC)
    after_factor = residual_factor(
        factor,
        Reduction(probability_steps=2, impact_steps=1),
        probability_scale=SSRA_PROBABILITY,
        impact_scale=SSRA_IMPACT,
    )
    assert (after_factor.name, after_factor.weight) == ("征收补偿", 2)
    assert (after_factor.score, before.grade) == (0.36, "A")
    assert score_factors([after_factor], SSRA_GRADES_ABC).grade == "C"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"probability_steps": -1}, "non-negative"),
        ({"impact_steps": 1.5}, "non-negative"),
        ({"probability_multiplier": 1.2}, "between 0 and 1"),
        ({"impact_multiplier": -0.1}, "between 0 and 1"),
    ],
)
def test_bad_reduction(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Reduction(**kwargs)  # type: ignore[arg-type]


def test_off_scale_values() -> None:
    with pytest.raises(ValueError, match="not a value of this scale"):
        reduce_value(0.5, SSRA_PROBABILITY, steps=1)
    with pytest.raises(ValueError, match="outside the scale"):
        reduce_value(1.5, SSRA_PROBABILITY, multiplier=0.5)


def test_scale_validation_and_lookup() -> None:
    assert SSRA_PROBABILITY.value("很高") == 1.0
    with pytest.raises(ValueError, match="unknown scale label '极高'"):
        SSRA_PROBABILITY.value("极高")
    with pytest.raises(ValueError, match="strictly ascending"):
        Scale([("低", 0.4), ("高", 0.2)])
    with pytest.raises(ValueError, match="unique"):
        Scale([("低", 0.2), ("低", 0.4)])


@SETTINGS
@given(
    st.integers(0, 4),
    st.integers(0, 4),
    st.integers(0, 6),
    st.integers(0, 6),
    st.fractions(0, 1),
    st.fractions(0, 1),
)
def test_residual_is_monotonic(
    pos_a: int, pos_b: int, steps_a: int, steps_b: int, mult_a: Fraction, mult_b: Fraction
) -> None:
    scale = SSRA_PROBABILITY
    values = scale.values
    pos_lo, pos_hi = sorted((pos_a, pos_b))
    steps_lo, steps_hi = sorted((steps_a, steps_b))
    m_lo, m_hi = sorted((mult_a, mult_b))

    def residual(position: int, steps: int, multiplier: Fraction) -> float:
        return reduce_value(values[position], scale, steps, multiplier)

    # Higher rating → no lower residual; more steps or a smaller multiplier → no higher.
    assert residual(pos_lo, steps_a, mult_a) <= residual(pos_hi, steps_a, mult_a)
    assert residual(pos_a, steps_hi, mult_a) <= residual(pos_a, steps_lo, mult_a)
    assert residual(pos_a, steps_a, m_lo) <= residual(pos_a, steps_a, m_hi)
    assert float(scale.minimum) <= residual(pos_a, steps_a, m_lo) <= float(values[pos_a])
