"""Comprehensive risk index and grading of a set of risk factors (social stability).

Each factor i has a probability Pᵢ, an impact Iᵢ and a weight wᵢ. Its factor score is Pᵢ·Iᵢ;
the comprehensive index is R = Σ wᵢ·Pᵢ·Iᵢ with the weights normalised so that Σ w = 1.
R is banded (e.g. ≤ 0.36 低, ≤ 0.64 中, > 0.64 高) and the band maps to the scheme's grade
(高 → A, or 高 → 一级 …).

All arithmetic is exact (fractions of the decimals given), so a result sitting on a band
bound is banded as a person checking it by hand would band it; the floats in the results are
for display only.

No-risk grade (e.g. 篇3's 四级 无风险), defined precisely: when ``MethodSpec.no_risk_grade``
is set, an assessment gets it instead of the lowest band's grade if and only if

1. the comprehensive index falls in the lowest band, and
2. no single factor's score Pᵢ·Iᵢ exceeds ``no_risk_max`` (default: the upper bound of the
   lowest band).

With the default threshold (2) implies (1), because R is a weighted average of the factor
scores; (1) is kept so that a scheme that raises ``no_risk_max`` still never calls an
assessment "no risk" while its index is above the lowest band. Factors with weight 0 count
in (2) too: a factor that was listed is a risk point, whatever its weight.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from ._exact import Number, fmt, to_fraction
from .bands import Bands
from .scales import Scale


def _exact_weights(weights: Sequence[Number]) -> list[Fraction]:
    if not weights:
        raise ValueError("at least one weight is needed")
    exact = [to_fraction(w, f"weight #{i + 1}") for i, w in enumerate(weights)]
    negative = [f"#{i + 1} = {fmt(w)}" for i, w in enumerate(exact) if w < 0]
    if negative:
        raise ValueError(f"weights must not be negative: {', '.join(negative)}")
    total = sum(exact, Fraction(0))
    if total == 0:
        raise ValueError("weights are all zero; at least one factor must carry weight")
    return [w / total for w in exact]


def normalise_weights(weights: Sequence[Number]) -> tuple[float, ...]:
    """Weights scaled to sum to 1. Refuses negative weights and all-zero weights."""
    return tuple(float(w) for w in _exact_weights(weights))


def _exact_index(
    weights: Sequence[Number], probabilities: Sequence[Number], impacts: Sequence[Number]
) -> Fraction:
    if not len(weights) == len(probabilities) == len(impacts):
        raise ValueError(
            f"weights, probabilities and impacts differ in length "
            f"({len(weights)}, {len(probabilities)}, {len(impacts)})"
        )
    w = _exact_weights(weights)
    p = [to_fraction(x, "probability") for x in probabilities]
    i = [to_fraction(x, "impact") for x in impacts]
    return sum((wk * pk * ik for wk, pk, ik in zip(w, p, i, strict=True)), Fraction(0))


def risk_index(
    weights: Sequence[Number], probabilities: Sequence[Number], impacts: Sequence[Number]
) -> float:
    """R = Σ wᵢ·Pᵢ·Iᵢ with Σ w normalised to 1 (computed exactly, returned as float)."""
    return float(_exact_index(weights, probabilities, impacts))


@dataclass(frozen=True)
class FactorScore:
    """One risk factor as rated: probability and impact values from the scheme's scales."""

    name: str
    probability: Number
    impact: Number
    weight: Number = 1

    @property
    def score(self) -> float:
        """Factor score P·I (exact product, as float)."""
        return float(self.exact_score())

    def exact_score(self) -> Fraction:
        return to_fraction(self.probability, f"probability of {self.name!r}") * to_fraction(
            self.impact, f"impact of {self.name!r}"
        )


@dataclass(frozen=True)
class MethodSpec:
    """How a scheme grades an assessment: plain data, usually read from the scheme YAML.

    ``grades`` maps every band label to a grade label. ``no_risk_grade`` (optional) and
    ``no_risk_max`` are explained in the module docstring.
    """

    bands: Bands
    grades: Mapping[str, str]
    no_risk_grade: str | None = None
    no_risk_max: Number | None = None

    def __post_init__(self) -> None:
        missing = [label for label in self.bands.labels if label not in self.grades]
        if missing:
            raise ValueError(f"no grade given for band(s): {', '.join(missing)}")
        extra = [label for label in self.grades if label not in self.bands.labels]
        if extra:
            raise ValueError(f"grades given for unknown band(s): {', '.join(extra)}")
        if self.no_risk_grade is not None and self.no_risk_grade in self.grades.values():
            raise ValueError(f"no-risk grade {self.no_risk_grade!r} is also a band's grade")
        if self.no_risk_max is not None:
            if self.no_risk_grade is None:
                raise ValueError("no_risk_max is set but there is no no_risk_grade")
            to_fraction(self.no_risk_max, "no_risk_max")
        if self.no_risk_grade is not None and len(self.bands) < 2 and self.no_risk_max is None:
            raise ValueError("a no-risk grade needs a lowest band with an upper bound")
        # Freeze the mapping so a spec can't change after validation.
        object.__setattr__(self, "grades", dict(self.grades))

    def no_risk_threshold(self) -> Fraction | None:
        """The largest factor score still compatible with the no-risk grade, or None."""
        if self.no_risk_grade is None:
            return None
        if self.no_risk_max is not None:
            return to_fraction(self.no_risk_max)
        return self.bands.cuts[0]


@dataclass(frozen=True)
class GradeResult:
    """Outcome of :func:`score_factors`."""

    index: float  # comprehensive index R (display value; banding used the exact value)
    band: str  # band label of R
    band_index: int  # 0 = lowest band
    grade: str  # grade label (the no-risk grade when it applies)
    no_risk: bool  # True when the no-risk grade was given
    weights: tuple[float, ...]  # normalised weights, in factor order
    factor_scores: tuple[float, ...]  # Pᵢ·Iᵢ, in factor order
    max_factor_score: float
    factor_bands: tuple[str, ...] = field(default=())  # band of each Pᵢ·Iᵢ on the same bands


def score_factors(factors: Sequence[FactorScore], method: MethodSpec) -> GradeResult:
    """Grade a set of rated risk factors by the comprehensive index and ``method``."""
    if not factors:
        raise ValueError("no risk factors to score")
    weights = _exact_weights([f.weight for f in factors])
    scores = [f.exact_score() for f in factors]
    index = sum((w * s for w, s in zip(weights, scores, strict=True)), Fraction(0))
    band_index = method.bands.index(index)
    band = method.bands.labels[band_index]
    threshold = method.no_risk_threshold()
    no_risk = threshold is not None and band_index == 0 and max(scores) <= threshold
    grade = method.no_risk_grade if no_risk and method.no_risk_grade else method.grades[band]
    return GradeResult(
        index=float(index),
        band=band,
        band_index=band_index,
        grade=grade,
        no_risk=no_risk,
        weights=tuple(float(w) for w in weights),
        factor_scores=tuple(float(s) for s in scores),
        max_factor_score=float(max(scores)),
        factor_bands=tuple(method.bands.band(s) for s in scores),
    )


# --- Social-stability defaults (METHODS.md "Default scales [D]") ---------------------------
# These are defaults only; a scheme file supplies its own numbers.

#: Probability scale [D]: 很低 0.2 … 很高 1.0.
SSRA_PROBABILITY = Scale(
    [("很低", 0.2), ("较低", 0.4), ("中等", 0.6), ("较高", 0.8), ("很高", 1.0)]
)
#: Impact scale [D]: 可忽略 0.2 … 严重 1.0.
SSRA_IMPACT = Scale([("可忽略", 0.2), ("较小", 0.4), ("中等", 0.6), ("较大", 0.8), ("严重", 1.0)])
#: Bands on R (and on P·I) [D]: ≤ 0.36 (= 0.6²) 低, ≤ 0.64 (= 0.8²) 中, > 0.64 高.
SSRA_BANDS = Bands([(0.36, "低"), (0.64, "中")], "高", minimum=0, maximum=1)
#: 篇1 (ssra-bureau): 高 → A 不得实施, 中 → B 暂缓实施, 低 → C 可以实施.
SSRA_GRADES_ABC = MethodSpec(bands=SSRA_BANDS, grades={"高": "A", "中": "B", "低": "C"})
#: 篇3 (ssra-town): 高 → 一级, 中 → 二级, 低 → 三级, and 四级 无风险 as defined above.
SSRA_GRADES_LEVELS = MethodSpec(
    bands=SSRA_BANDS,
    grades={"高": "一级", "中": "二级", "低": "三级"},
    no_risk_grade="四级",
)
