"""Vectorised GB/T 20984 scoring: many scenarios at once with numpy.

Same rules and same results as :mod:`.gbt20984` (tested exhaustively over every input
combination), for scoring a whole estate. Inputs are equal-length integer arrays; the risk
and the band index come back as arrays, band labels on request.

Speed comes from small lookup tables indexed with numpy: in the multiplication method the
product p = T·V_L·Ia·Va is at most 625, so round_half_up(√p) is precomputed for every p with
the very integer function the per-item path uses, and the band of every possible R is
precomputed with the same :class:`Bands`. No float square root is taken, so no rounding can
differ between the paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from ._exact import round_half_up_sqrt
from .bands import Bands
from .gbt20984 import EXAMPLE_TABLES, ISRA_BANDS, LEVEL_MAX, LEVEL_MIN, MatrixTables

ArrayLike = npt.ArrayLike
IntArray = npt.NDArray[np.integer]


@dataclass(frozen=True)
class BulkResult:
    """Risks and bands of N scenarios, in input order."""

    risk: npt.NDArray[np.int16]  # R per scenario
    band_index: npt.NDArray[np.int16]  # 0 = lowest band
    labels: tuple[str, ...]  # band labels, lowest first

    def band_labels(self) -> npt.NDArray[np.str_]:
        """The band label of every scenario (built on request: it costs more than scoring)."""
        return np.asarray(self.labels)[self.band_index]

    def __len__(self) -> int:
        return int(self.risk.shape[0])


def _as_array(values: ArrayLike) -> npt.NDArray[Any]:
    array = np.asarray(values)
    if array.size == 0 and array.dtype == np.float64:
        # numpy gives an empty list the dtype float64; no value means no wrong type.
        array = array.astype(np.int16)
    return array


def _levels(values: ArrayLike, what: str, n: int | None) -> IntArray:
    array = _as_array(values)
    if array.ndim != 1:
        raise ValueError(f"{what} must be a one-dimensional array, got shape {array.shape}")
    if n is not None and array.shape[0] != n:
        raise ValueError(f"{what} has {array.shape[0]} entries, expected {n}")
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{what} must hold integers, got dtype {array.dtype}")
    if array.size and (array.min() < LEVEL_MIN or array.max() > LEVEL_MAX):
        bad = array[(array < LEVEL_MIN) | (array > LEVEL_MAX)][0]
        raise ValueError(f"{what} must be {LEVEL_MIN}–{LEVEL_MAX}, found {bad}")
    # int16 keeps every intermediate (at most 625, or 6⁴ for flat indices) small and fast.
    return array.astype(np.int16, copy=False)


def _steps(values: ArrayLike | None, what: str, n: int) -> IntArray | None:
    if values is None:
        return None
    array = _as_array(values)
    if array.ndim != 1 or array.shape[0] != n:
        raise ValueError(f"{what} must be a one-dimensional array of {n} entries")
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{what} must hold integers, got dtype {array.dtype}")
    if array.size and array.min() < 0:
        raise ValueError(f"{what} must be ≥ 0 steps, found {array.min()}")
    # Any effect beyond LEVEL_MAX − LEVEL_MIN steps already reaches the floor; capping it
    # first keeps the subtraction inside int16.
    capped: IntArray = np.minimum(array, LEVEL_MAX - LEVEL_MIN).astype(np.int16, copy=False)
    return capped


def _lowered(levels: IntArray, steps: IntArray | None) -> IntArray:
    if steps is None:
        return levels
    lowered: IntArray = np.maximum(levels - steps, LEVEL_MIN)
    return lowered


def _inputs(
    asset_value: ArrayLike,
    threat_frequency: ArrayLike,
    vuln_severity: ArrayLike,
    measure_effect: ArrayLike | None,
    loss_effect: ArrayLike | None,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    ia = _levels(asset_value, "asset_value", None)
    n = ia.shape[0]
    t = _levels(threat_frequency, "threat_frequency", n)
    v = _levels(vuln_severity, "vuln_severity", n)
    v_l = _lowered(v, _steps(measure_effect, "measure_effect", n))
    v_a = _lowered(v, _steps(loss_effect, "loss_effect", n))
    return ia, t, v_l, v_a


@lru_cache(maxsize=32)
def _band_table(bands: Bands, top: int) -> npt.NDArray[np.int16]:
    """Band index of every integer R in 0…top (−1 where R is outside the bands' range)."""
    table = np.full(top + 1, -1, dtype=np.int16)
    for r in range(top + 1):
        try:
            table[r] = bands.index(r)
        except ValueError:
            continue
    return table


_MAX_PRODUCT = LEVEL_MAX**4
#: round_half_up(√p) for every possible p = T·V_L·Ia·Va, from the per-item integer function.
_ROUND_SQRT = np.array([round_half_up_sqrt(p) for p in range(_MAX_PRODUCT + 1)], dtype=np.int16)


def _banded(risk: npt.NDArray[np.int16], bands: Bands, top: int) -> BulkResult:
    band_index = _band_table(bands, top)[risk]
    if band_index.size and band_index.min() < 0:
        # Same refusal as the per-item path, which raises on the first such scenario.
        bad = risk[band_index < 0][0]
        raise ValueError(f"risk value {bad} is outside the range of the given bands")
    return BulkResult(risk=risk, band_index=band_index, labels=bands.labels)


def bulk_multiplication(
    asset_value: ArrayLike,
    threat_frequency: ArrayLike,
    vuln_severity: ArrayLike,
    measure_effect: ArrayLike | None = None,
    loss_effect: ArrayLike | None = None,
    *,
    bands: Bands = ISRA_BANDS,
) -> BulkResult:
    """Vectorised :func:`~fengping.scoring.gbt20984.risk_by_multiplication`."""
    ia, t, v_l, v_a = _inputs(
        asset_value, threat_frequency, vuln_severity, measure_effect, loss_effect
    )
    risk = _ROUND_SQRT[t * v_l * ia * v_a]
    return _banded(risk, bands, int(_ROUND_SQRT[-1]))


@lru_cache(maxsize=32)
def _matrix_arrays(tables: MatrixTables) -> tuple[npt.NDArray[np.int16], ...]:
    """The tables as arrays padded with an unused row/column 0, so levels index directly."""
    arrays = []
    for matrix in (tables.likelihood, tables.loss, tables.risk):
        array = np.zeros((LEVEL_MAX + 1, LEVEL_MAX + 1), dtype=np.int16)
        array[LEVEL_MIN:, LEVEL_MIN:] = np.array(matrix.cells, dtype=np.int16)
        arrays.append(array)
    return tuple(arrays)


def bulk_matrix(
    asset_value: ArrayLike,
    threat_frequency: ArrayLike,
    vuln_severity: ArrayLike,
    measure_effect: ArrayLike | None = None,
    loss_effect: ArrayLike | None = None,
    *,
    tables: MatrixTables = EXAMPLE_TABLES,
    bands: Bands = ISRA_BANDS,
) -> BulkResult:
    """Vectorised :func:`~fengping.scoring.gbt20984.risk_by_matrix`."""
    ia, t, v_l, v_a = _inputs(
        asset_value, threat_frequency, vuln_severity, measure_effect, loss_effect
    )
    likelihood_table, loss_table, risk_table = _matrix_arrays(tables)
    likelihood = likelihood_table[t, v_l]
    loss = loss_table[ia, v_a]
    risk = risk_table[likelihood, loss]
    return _banded(risk, bands, int(risk_table.max()))
