"""Aggregation of several assessors' scores for one item, with the spread shown.

The spread is returned with the value so the page can show when experts disagree; a mean
of 0.6 from 0.2 and 1.0 is not the same finding as from 0.6 and 0.6.

Sums are exact (fractions of the binary floats given), then rounded once to a float: the
result does not depend on the order of the scores and always lies between min and max.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from ._exact import Number

Method = Literal["mean", "median", "trimmed"]
METHODS: tuple[Method, ...] = ("mean", "median", "trimmed")


@dataclass(frozen=True)
class Aggregate:
    """The aggregated value and the spread of the scores it came from."""

    value: float
    method: Method
    n: int  # number of scores given (before any trimming)
    minimum: float
    maximum: float
    range: float  # maximum − minimum
    stdev: float  # population standard deviation of all n scores
    trimmed: int = 0  # scores dropped from EACH end (trimmed mean only)


def _exact(value: Number, position: int) -> Fraction:
    if isinstance(value, bool):
        raise TypeError(f"score #{position} must be a number, not a bool")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"score #{position} must be a finite number, got {value!r}")
    try:
        # Exact binary value of a float: no reading-as-decimal needed here, because
        # nothing is compared against a decimal bound, and this keeps min ≤ mean ≤ max exact.
        return Fraction(value)
    except (TypeError, ValueError):
        raise TypeError(f"score #{position} must be a number, got {value!r}") from None


def _mean(values: Sequence[Fraction]) -> Fraction:
    return sum(values, Fraction(0)) / len(values)


def aggregate(scores: Sequence[Number], method: Method = "mean", trim: float = 0.2) -> Aggregate:
    """Aggregate ``scores`` by ``method``: ``"mean"``, ``"median"`` or ``"trimmed"``.

    The trimmed mean drops ⌊n·trim⌋ scores from each end of the sorted scores (so with the
    default 0.2, 5 scores lose the lowest and the highest, 4 scores lose none) and averages
    the rest. ``trim`` must be in [0, 0.5) so that at least one score remains.
    """
    if method not in METHODS:
        raise ValueError(f"unknown aggregation method {method!r}; use one of {', '.join(METHODS)}")
    if not scores:
        raise ValueError("no scores to aggregate")
    exact = sorted(_exact(s, i + 1) for i, s in enumerate(scores))
    n = len(exact)

    cut = 0
    if method == "mean":
        value = _mean(exact)
    elif method == "median":
        mid = n // 2
        value = exact[mid] if n % 2 else (exact[mid - 1] + exact[mid]) / 2
    else:
        if isinstance(trim, bool) or not 0 <= trim < 0.5:
            raise ValueError(f"trim proportion must be in [0, 0.5), got {trim!r}")
        # floor(n·trim) computed exactly: 5 × 0.2 must give 1, not 0 by float error.
        cut = math.floor(n * Fraction(repr(float(trim))))
        value = _mean(exact[cut : n - cut])

    mean = _mean(exact)
    variance = sum(((x - mean) ** 2 for x in exact), Fraction(0)) / n
    return Aggregate(
        value=float(value),
        method=method,
        n=n,
        minimum=float(exact[0]),
        maximum=float(exact[-1]),
        range=float(exact[-1] - exact[0]),
        stdev=math.sqrt(variance),
        trimmed=cut,
    )
