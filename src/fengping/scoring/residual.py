"""Residual risk: a factor's rating after the measures planned for it.

Practice (METHODS.md, social stability) is to re-estimate each factor after measures. A
scheme describes how much a measure lowers a rating, as data, in one of two ways or both:

- by steps on the scale (an effective measure moves 较高 to 中等: one step), and/or
- by a multiplicative factor (an effective measure keeps 70 % of the probability: 0.7).

Steps are applied first, then the factor; the result never goes below the scale minimum
(a measure does not make a risk vanish; the lowest rating is the floor).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ._exact import Number, fmt, to_fraction
from .composite import FactorScore
from .scales import Scale


@dataclass(frozen=True)
class Reduction:
    """How far a measure lowers a factor's probability and impact."""

    probability_steps: int = 0
    impact_steps: int = 0
    probability_multiplier: Number = 1
    impact_multiplier: Number = 1

    def __post_init__(self) -> None:
        for name in ("probability_steps", "impact_steps"):
            steps = getattr(self, name)
            if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {steps!r}")
        for name in ("probability_multiplier", "impact_multiplier"):
            m = to_fraction(getattr(self, name), name)
            if not 0 <= m <= 1:
                raise ValueError(f"{name} must lie between 0 and 1, got {fmt(m)}")


def reduce_value(value: Number, scale: Scale, steps: int = 0, multiplier: Number = 1) -> float:
    """``value`` lowered by ``steps`` on ``scale`` then scaled by ``multiplier``, floored at
    the scale minimum. With ``steps > 0`` the value must be one of the scale's values."""
    return float(_reduce(value, scale, steps, multiplier))


def _reduce(value: Number, scale: Scale, steps: int, multiplier: Number) -> Fraction:
    exact = to_fraction(value)
    if not scale.minimum <= exact <= scale.maximum:
        raise ValueError(
            f"{fmt(exact)} is outside the scale {fmt(scale.minimum)}–{fmt(scale.maximum)}"
        )
    if steps:
        exact = scale.step_down(exact, steps)
    return max(scale.minimum, exact * to_fraction(multiplier, "multiplier"))


def residual_factor(
    factor: FactorScore,
    reduction: Reduction,
    *,
    probability_scale: Scale,
    impact_scale: Scale,
) -> FactorScore:
    """The factor as re-estimated after measures (same name and weight)."""
    p = _reduce(
        factor.probability,
        probability_scale,
        reduction.probability_steps,
        reduction.probability_multiplier,
    )
    i = _reduce(factor.impact, impact_scale, reduction.impact_steps, reduction.impact_multiplier)
    return FactorScore(name=factor.name, probability=p, impact=i, weight=factor.weight)
