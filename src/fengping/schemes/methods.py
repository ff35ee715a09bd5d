"""From a scheme's data to the scoring library's objects.

The scheme file holds the numbers (bands, matrices, grade maps); `fengping.scoring` holds
the arithmetic. This module is the only bridge, so a scheme edited by an office changes the
result without any code change. Pure Python: no Django.
"""

from __future__ import annotations

from functools import lru_cache

from fengping.scoring import Bands, MatrixTables, MethodSpec

from .model import Band, Banding, CaseScreeningMethod, CompositeMethod, Gbt20984Method, Scheme


def bands_of(banding: Banding, *, by: str = "label") -> Bands:
    """The scheme's banding as `scoring.Bands`, each band named by its `label` or `code`.

    Integer domains are written as closed ranges (1–5, 6–10 …); continuous domains as
    "≤ upper bound" bands where each band after the first starts just above the previous
    one (min_inclusive: false) — the two shapes the scheme model accepts without gaps."""
    levels = sorted(banding.levels, key=lambda level: level.min)

    def name(level: Band) -> str:
        return level.label if by == "label" else level.code

    if banding.domain.integer:
        return Bands.from_ranges([(int(lv.min), int(lv.max), name(lv)) for lv in levels])
    for lower, upper in zip(levels, levels[1:], strict=False):
        if not lower.max_inclusive or upper.min_inclusive:
            raise ValueError(
                f"band {upper.code!r} must start just above {lower.code!r} "
                "(upper bounds are inclusive, lower bounds exclusive)"
            )
    return Bands(
        [(lv.max, name(lv)) for lv in levels[:-1]],
        last=name(levels[-1]),
        minimum=banding.domain.min,
        maximum=banding.domain.max,
    )


def grade_labels(scheme: Scheme) -> dict[str, str]:
    return {grade.code: grade.label for grade in scheme.grades}


def composite_spec(scheme: Scheme) -> MethodSpec:
    """The social-stability grading rule: bands on Σ wᵢ·Pᵢ·Iᵢ, band → grade, and the
    optional "every factor within the lowest band → 无风险" override (篇3 四级)."""
    method = scheme.method
    if not isinstance(method, CompositeMethod):
        raise ValueError(f"scheme {scheme.key!r} does not use the composite method")
    bands = bands_of(method.bands, by="code")
    grades = {band: grade for band, grade in method.band_grades.items()}
    no_risk_grade = None
    no_risk_max = None
    for override in method.overrides:
        no_risk_grade = override.grade
        band = next(b for b in method.bands.levels if b.code == override.band)
        no_risk_max = band.max
    return MethodSpec(
        bands=bands, grades=grades, no_risk_grade=no_risk_grade, no_risk_max=no_risk_max
    )


def _isra_method(scheme: Scheme) -> Gbt20984Method:
    if not isinstance(scheme.method, Gbt20984Method):
        raise ValueError(f"scheme {scheme.key!r} does not use the GB/T 20984 method")
    return scheme.method


@lru_cache(maxsize=64)
def _tables(likelihood: tuple, loss: tuple, risk: tuple) -> MatrixTables:  # type: ignore[type-arg]
    return MatrixTables(likelihood, loss, risk)


def isra_tables(scheme: Scheme) -> MatrixTables:
    method = _isra_method(scheme)

    def cells(matrix: object) -> tuple[tuple[int, ...], ...]:
        return tuple(tuple(int(c) for c in row) for row in matrix.cells)  # type: ignore[attr-defined]

    return _tables(
        cells(method.likelihood_matrix), cells(method.loss_matrix), cells(method.risk_matrix)
    )


def isra_bands(scheme: Scheme) -> Bands:
    return bands_of(_isra_method(scheme).bands)


def isra_default_calculation(scheme: Scheme) -> str:
    return _isra_method(scheme).calculation


def case_bands(scheme: Scheme) -> Bands:
    if not isinstance(scheme.method, CaseScreeningMethod):
        raise ValueError(f"scheme {scheme.key!r} does not use case screening")
    return bands_of(scheme.method.bands)
