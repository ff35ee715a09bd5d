"""fengping.scoring — the risk arithmetic of 风评, as a pure library.

No Django, no database: plain values in, plain frozen dataclasses out, every function
deterministic. All numbers (scales, weights, bands, grades, tables) are parameters; the
module constants are defaults and examples that a scheme file overrides.

- :mod:`.bands` — :class:`Bands`: contiguous labelled bands, validated for gaps/overlaps.
- :mod:`.scales` — :class:`Scale`: labelled rating scales (很低 0.2 … 很高 1.0).
- :mod:`.matrix` — :class:`RiskMatrix`: probability × impact → level, any size.
- :mod:`.composite` — :func:`risk_index` R = Σ wᵢPᵢIᵢ and :func:`score_factors` (grade of a
  set of factors by a :class:`MethodSpec`), with the social-stability defaults.
- :mod:`.residual` — :func:`residual_factor`: a factor re-rated after measures.
- :mod:`.ahp` — :func:`ahp_weights`: AHP weights with the consistency ratio check.
- :mod:`.aggregate` — :func:`aggregate`: several assessors' scores → value + spread.
- :mod:`.gbt20984` — GB/T 20984 asset value, multiplication and matrix methods, per item.
- :mod:`.bulk` — the same GB/T 20984 methods vectorised with numpy.

Exact arithmetic: values compared with band bounds are computed as fractions of the decimals
given, so 0.8 × 0.8 is 0.64 (the top of 中), not 0.6400000000000001 (高). See docs/scoring.md.

:mod:`.ahp` and :mod:`.bulk` need numpy (~16 MiB): they load when one of their names is
first used, so a web worker that never weighs by AHP or scores in bulk never loads numpy.
"""

import importlib
from typing import Any

from ._exact import round_half_up, round_half_up_sqrt
from .aggregate import Aggregate, aggregate
from .bands import BandInterval, Bands
from .composite import (
    SSRA_BANDS,
    SSRA_GRADES_ABC,
    SSRA_GRADES_LEVELS,
    SSRA_IMPACT,
    SSRA_PROBABILITY,
    FactorScore,
    GradeResult,
    MethodSpec,
    normalise_weights,
    risk_index,
    score_factors,
)
from .gbt20984 import (
    EXAMPLE_LIKELIHOOD_TABLE,
    EXAMPLE_LOSS_TABLE,
    EXAMPLE_RISK_TABLE,
    EXAMPLE_TABLES,
    ISRA_BANDS,
    IsraResult,
    MatrixTables,
    asset_value_from_cia,
    risk_by_matrix,
    risk_by_multiplication,
)
from .matrix import RiskMatrix
from .residual import Reduction, reduce_value, residual_factor
from .scales import Scale

__all__ = [
    "EXAMPLE_LIKELIHOOD_TABLE",
    "EXAMPLE_LOSS_TABLE",
    "EXAMPLE_RISK_TABLE",
    "EXAMPLE_TABLES",
    "ISRA_BANDS",
    "RANDOM_INDEX",
    "SSRA_BANDS",
    "SSRA_GRADES_ABC",
    "SSRA_GRADES_LEVELS",
    "SSRA_IMPACT",
    "SSRA_PROBABILITY",
    "Aggregate",
    "AhpResult",
    "BandInterval",
    "Bands",
    "BulkResult",
    "FactorScore",
    "GradeResult",
    "InconsistentJudgementError",
    "IsraResult",
    "MatrixTables",
    "MethodSpec",
    "Reduction",
    "RiskMatrix",
    "Scale",
    "aggregate",
    "ahp_weights",
    "asset_value_from_cia",
    "bulk_matrix",
    "bulk_multiplication",
    "normalise_weights",
    "reduce_value",
    "residual_factor",
    "risk_by_matrix",
    "risk_by_multiplication",
    "risk_index",
    "round_half_up",
    "round_half_up_sqrt",
    "score_factors",
]

_ON_DEMAND = {
    "RANDOM_INDEX": "ahp",
    "AhpResult": "ahp",
    "InconsistentJudgementError": "ahp",
    "ahp_weights": "ahp",
    "BulkResult": "bulk",
    "bulk_matrix": "bulk",
    "bulk_multiplication": "bulk",
}


def __getattr__(name: str) -> Any:
    if name in _ON_DEMAND:
        return getattr(importlib.import_module(f".{_ON_DEMAND[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
