"""AHP (analytic hierarchy process) weights from a pairwise comparison matrix.

Experts fill a reciprocal matrix A with aᵢⱼ = how much more important factor i is than j
(Saaty's 1–9 scale), aⱼᵢ = 1/aᵢⱼ, aᵢᵢ = 1. The weights are the principal eigenvector of A
normalised to sum 1; λmax is its eigenvalue. Consistency: CI = (λmax − n)/(n − 1), and
CR = CI / RI with Saaty's random index RI for size n. A matrix with CR ≥ 0.1 is refused:
its judgements contradict each other too much for the weights to mean anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Saaty's random consistency index RI for n = 1 … 15 (index 0 is n = 1).
RANDOM_INDEX: tuple[float, ...] = (
    0.0,
    0.0,
    0.58,
    0.90,
    1.12,
    1.24,
    1.32,
    1.41,
    1.45,
    1.49,
    1.51,
    1.48,
    1.56,
    1.57,
    1.59,
)

#: Default limit: CR must stay below this.
CR_LIMIT = 0.1


class InconsistentJudgementError(ValueError):
    """The pairwise comparison matrix is not consistent enough (CR ≥ limit)."""

    def __init__(self, cr: float, limit: float) -> None:
        self.cr = cr
        self.limit = limit
        super().__init__(
            f"判断矩阵一致性比率 CR={cr:.3f} ≥ {limit:g}，请调整两两比较 / "
            f"consistency ratio CR={cr:.3f} ≥ {limit:g}, revise the pairwise comparisons"
        )


@dataclass(frozen=True)
class AhpResult:
    weights: tuple[float, ...]  # sum to 1, in the matrix's row order
    lambda_max: float
    ci: float
    cr: float  # 0 for n ≤ 2 (such matrices are always consistent)
    n: int


def _validate(matrix: Sequence[Sequence[float]], tolerance: float) -> np.ndarray:
    n = len(matrix)
    if n == 0:
        raise ValueError("the comparison matrix is empty")
    if n > len(RANDOM_INDEX):
        raise ValueError(
            f"the comparison matrix has {n} rows; the random index RI is known for "
            f"n ≤ {len(RANDOM_INDEX)} only"
        )
    for r, row in enumerate(matrix):
        if len(row) != n:
            raise ValueError(
                f"the comparison matrix must be square: row {r + 1} has {len(row)} "
                f"entries, expected {n}"
            )
    a = np.array(matrix, dtype=np.float64)
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError("comparison matrix entries must be positive finite numbers")
    for i in range(n):
        if not math.isclose(a[i, i], 1.0, rel_tol=tolerance):
            raise ValueError(f"diagonal entry [{i + 1}][{i + 1}] must be 1, got {a[i, i]:g}")
        for j in range(i + 1, n):
            if not math.isclose(a[i, j] * a[j, i], 1.0, rel_tol=tolerance):
                raise ValueError(
                    f"the comparison matrix is not reciprocal: [{i + 1}][{j + 1}] = {a[i, j]:g} "
                    f"but [{j + 1}][{i + 1}] = {a[j, i]:g} (expected {1 / a[i, j]:g})"
                )
    return a


def ahp_weights(
    matrix: Sequence[Sequence[float]],
    *,
    cr_limit: float = CR_LIMIT,
    reciprocal_tolerance: float = 1e-6,
) -> AhpResult:
    """Weights, λmax, CI and CR of a reciprocal comparison matrix.

    Raises :class:`InconsistentJudgementError` when CR ≥ ``cr_limit`` and ``ValueError`` for
    a malformed matrix. ``reciprocal_tolerance`` is the relative tolerance on aᵢⱼ·aⱼᵢ = 1
    (raise it if a form stores 1/3 as 0.333).
    """
    a = _validate(matrix, reciprocal_tolerance)
    n = a.shape[0]
    if n == 1:
        return AhpResult(weights=(1.0,), lambda_max=1.0, ci=0.0, cr=0.0, n=1)

    eigenvalues, eigenvectors = np.linalg.eig(a)
    # Perron–Frobenius: a positive matrix has a real, simple, largest eigenvalue whose
    # eigenvector can be taken positive; the others may be complex.
    k = int(np.argmax(eigenvalues.real))
    lambda_max = float(eigenvalues[k].real)
    vector = np.abs(eigenvectors[:, k].real)
    weights = vector / vector.sum()

    # λmax ≥ n in exact arithmetic; clamp the rounding error of a consistent matrix to 0.
    ci = max(0.0, (lambda_max - n) / (n - 1))
    ri = RANDOM_INDEX[n - 1]
    cr = 0.0 if ri == 0 else ci / ri
    if cr >= cr_limit:
        raise InconsistentJudgementError(cr, cr_limit)
    return AhpResult(
        weights=tuple(float(w) for w in weights),
        lambda_max=lambda_max,
        ci=ci,
        cr=cr,
        n=n,
    )
