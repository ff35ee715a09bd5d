"""GB/T 20984 information-security risk calculation, one scenario at a time.

A scenario is an asset with value Ia, a threat with frequency T and a vulnerability with
severity V (all 1–5, 5 = highest). Following the standard, R = R(L(T, V), F(Ia, Va)): the
likelihood L of a security event comes from T and V, the loss F from Ia and the severity Va
of the vulnerability. V and Va are the same rating of the same vulnerability, so a scenario
takes one ``vuln_severity``; existing measures are what make them differ:

- ``measure_effect`` (preventive measures, 2022 edition): the number of steps the effective
  existing measures lower the vulnerability's rating *for the likelihood only*,
  V_L = max(1, V − measure_effect). An effective control makes exploitation less likely; it
  does not make a successful exploitation less damaging.
- ``loss_effect`` (protective measures): steps that lower the severity used for the loss,
  Va = max(1, V − loss_effect).

Both are integers ≥ 0; a scheme translates its own effect labels (有效 / 部分有效 / 无效 …)
into steps, so the size of the reduction stays data.

Two methods:

Multiplication: L = √(T·V_L), F = √(Ia·Va), R = L·F = √(T·V_L·Ia·Va) in 1–25, rounded half up
to an integer (no intermediate rounding of L or F, and never Python's round-half-to-even),
computed exactly in integers (see :func:`round_half_up_sqrt`). Note F is √(Ia·Va), not Ia·Va:
squaring the loss by mistake is a known bug in existing tools.

Matrix: three 5×5 tables given as data, T×V_L → L, Ia×Va → F, L×F → R, then bands on R.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from ._exact import Number, round_half_up, round_half_up_sqrt, to_fraction
from .bands import Bands
from .matrix import RiskMatrix

#: GB/T 20984 rates T, V, Ia, Va and the C/I/A of an asset from 1 to 5. [S]
LEVEL_MIN = 1
LEVEL_MAX = 5
LEVELS = range(LEVEL_MIN, LEVEL_MAX + 1)

#: Risk bands on R (1–25) [R/D]: 1–5 很低, 6–10 低, 11–15 中等, 16–20 高, 21–25 很高.
ISRA_BANDS = Bands.from_ranges(
    [(1, 5, "很低"), (6, 10, "低"), (11, 15, "中等"), (16, 20, "高"), (21, 25, "很高")]
)

# EXAMPLE matrix-method tables [D]. They are examples, not the standard's: GB/T 20984 leaves
# the tables to the assessor. Here L = F = round_half_up(√(x·y)) and R = L·F, so the matrix
# method agrees with the multiplication method up to the rounding of L and F. Every table is
# non-decreasing along rows and columns. A scheme file replaces them with its own.

#: EXAMPLE likelihood table: row T = 1…5, column V = 1…5 → L (1–5).
EXAMPLE_LIKELIHOOD_TABLE: tuple[tuple[int, ...], ...] = (
    (1, 1, 2, 2, 2),
    (1, 2, 2, 3, 3),
    (2, 2, 3, 3, 4),
    (2, 3, 3, 4, 4),
    (2, 3, 4, 4, 5),
)
#: EXAMPLE loss table: row Ia = 1…5, column Va = 1…5 → F (1–5).
EXAMPLE_LOSS_TABLE: tuple[tuple[int, ...], ...] = (
    (1, 1, 2, 2, 2),
    (1, 2, 2, 3, 3),
    (2, 2, 3, 3, 4),
    (2, 3, 3, 4, 4),
    (2, 3, 4, 4, 5),
)
#: EXAMPLE risk table: row L = 1…5, column F = 1…5 → R (1–25).
EXAMPLE_RISK_TABLE: tuple[tuple[int, ...], ...] = (
    (1, 2, 3, 4, 5),
    (2, 4, 6, 8, 10),
    (3, 6, 9, 12, 15),
    (4, 8, 12, 16, 20),
    (5, 10, 15, 20, 25),
)


@dataclass(frozen=True, init=False)
class MatrixTables:
    """The three tables of the matrix method, rows and columns numbered 1–5.

    Tables must be 5×5 integers, non-decreasing along every row and column (a higher
    rating may never give a lower result — a table that breaks this is a typo), with L and
    F in 1–5 and R ≥ 0. R is checked against the bands when a risk is computed.
    """

    likelihood: RiskMatrix  # T × V_L → L
    loss: RiskMatrix  # Ia × Va → F
    risk: RiskMatrix  # L × F → R

    def __init__(
        self,
        likelihood: Sequence[Sequence[int]],
        loss: Sequence[Sequence[int]],
        risk: Sequence[Sequence[int]],
    ) -> None:
        size = LEVEL_MAX - LEVEL_MIN + 1
        named = {"likelihood": likelihood, "loss": loss, "risk": risk}
        for name, rows in named.items():
            matrix = RiskMatrix(rows, base=LEVEL_MIN)
            if matrix.shape != (size, size):
                raise ValueError(f"the {name} table must be {size}×{size}, got {matrix.shape}")
            if any(not isinstance(cell, int) for row in matrix.cells for cell in row):
                raise ValueError(f"the {name} table must hold integers")
            if not matrix.is_monotonic():
                raise ValueError(
                    f"the {name} table must not decrease along any row or column "
                    f"(a higher rating may never give a lower result)"
                )
            if name == "risk" and any(c < 0 for row in matrix.cells for c in row):  # type: ignore[operator]
                raise ValueError("the risk table must not hold negative values")
            if name != "risk":
                bad = [c for row in matrix.cells for c in row if c not in LEVELS]
                if bad:
                    raise ValueError(
                        f"the {name} table must hold levels {LEVEL_MIN}–{LEVEL_MAX}, got {bad[0]}"
                    )
            object.__setattr__(self, name, matrix)


#: The example tables above, ready to use.
EXAMPLE_TABLES = MatrixTables(EXAMPLE_LIKELIHOOD_TABLE, EXAMPLE_LOSS_TABLE, EXAMPLE_RISK_TABLE)


@dataclass(frozen=True)
class IsraResult:
    """One scenario's risk."""

    method: Literal["multiplication", "matrix"]
    likelihood: float  # L: √(T·V_L) (multiplication) or the table level (matrix)
    loss: float  # F: √(Ia·Va) (multiplication) or the table level (matrix)
    risk: int  # R, 1–25 with the default tables
    band_index: int  # 0 = lowest band
    band: str
    effective_vuln: int  # V_L, the severity used for the likelihood
    effective_severity: int  # Va, the severity used for the loss


def _level(value: object, what: str) -> int:
    # Fast path first: the per-item path runs in loops over many scenarios.
    if type(value) is not int:
        if isinstance(value, bool) or not hasattr(value, "__index__"):
            raise ValueError(f"{what} must be an integer {LEVEL_MIN}–{LEVEL_MAX}, got {value!r}")
        value = value.__index__()
    if not LEVEL_MIN <= value <= LEVEL_MAX:  # type: ignore[operator]
        raise ValueError(f"{what} must be {LEVEL_MIN}–{LEVEL_MAX}, got {value}")
    return value  # type: ignore[return-value]


def _steps(value: object, what: str) -> int:
    if type(value) is not int:
        if isinstance(value, bool) or not hasattr(value, "__index__"):
            raise ValueError(f"{what} must be a whole number of steps ≥ 0, got {value!r}")
        value = value.__index__()
    if value < 0:  # type: ignore[operator]
        raise ValueError(f"{what} must be ≥ 0 steps, got {value}")
    return value  # type: ignore[return-value]


def asset_value_from_cia(
    confidentiality: int,
    integrity: int,
    availability: int,
    weights: Sequence[Number] | None = None,
) -> int:
    """Asset value 1–5 from its C/I/A ratings (1–5 each).

    Default [D]: max(C, I, A). With ``weights`` (wC, wI, wA), non-negative, not all zero,
    normalised to sum 1: round_half_up(wC·C + wI·I + wA·A), computed exactly from the
    decimals given (0.5·3 + 0.5·4 = 3.5 → 4).
    """
    ratings = (
        _level(confidentiality, "confidentiality"),
        _level(integrity, "integrity"),
        _level(availability, "availability"),
    )
    if weights is None:
        return max(ratings)
    if len(weights) != 3:
        raise ValueError(f"asset value weights must be three (C, I, A), got {len(weights)}")
    exact = [to_fraction(w, "C/I/A weight") for w in weights]
    if any(w < 0 for w in exact):
        raise ValueError("C/I/A weights must not be negative")
    total = sum(exact, Fraction(0))
    if total == 0:
        raise ValueError("C/I/A weights are all zero")
    value = sum((w * k for w, k in zip(exact, ratings, strict=True)), Fraction(0)) / total
    return round_half_up(value)


def risk_by_multiplication(
    asset_value: int,
    threat_frequency: int,
    vuln_severity: int,
    *,
    measure_effect: int = 0,
    loss_effect: int = 0,
    bands: Bands = ISRA_BANDS,
) -> IsraResult:
    """R = round_half_up(√(T·V_L) · √(Ia·Va)), banded (module docstring has the details)."""
    ia = _level(asset_value, "asset value")
    t = _level(threat_frequency, "threat frequency")
    v = _level(vuln_severity, "vulnerability severity")
    v_l = max(LEVEL_MIN, v - _steps(measure_effect, "measure effect"))
    v_a = max(LEVEL_MIN, v - _steps(loss_effect, "loss effect"))
    # √(T·V_L)·√(Ia·Va) = √(T·V_L·Ia·Va): one exact integer square root, one rounding.
    risk = round_half_up_sqrt(t * v_l * ia * v_a)
    band_index = bands.index(risk)
    return IsraResult(
        method="multiplication",
        likelihood=math.sqrt(t * v_l),
        loss=math.sqrt(ia * v_a),
        risk=risk,
        band_index=band_index,
        band=bands.labels[band_index],
        effective_vuln=v_l,
        effective_severity=v_a,
    )


def risk_by_matrix(
    asset_value: int,
    threat_frequency: int,
    vuln_severity: int,
    *,
    measure_effect: int = 0,
    loss_effect: int = 0,
    tables: MatrixTables = EXAMPLE_TABLES,
    bands: Bands = ISRA_BANDS,
) -> IsraResult:
    """L = table(T, V_L), F = table(Ia, Va), R = table(L, F), banded."""
    ia = _level(asset_value, "asset value")
    t = _level(threat_frequency, "threat frequency")
    v = _level(vuln_severity, "vulnerability severity")
    v_l = max(LEVEL_MIN, v - _steps(measure_effect, "measure effect"))
    v_a = max(LEVEL_MIN, v - _steps(loss_effect, "loss effect"))
    likelihood = int(tables.likelihood.level(t, v_l))
    loss = int(tables.loss.level(ia, v_a))
    risk = int(tables.risk.level(likelihood, loss))
    band_index = bands.index(risk)
    return IsraResult(
        method="matrix",
        likelihood=float(likelihood),
        loss=float(loss),
        risk=risk,
        band_index=band_index,
        band=bands.labels[band_index],
        effective_vuln=v_l,
        effective_severity=v_a,
    )
