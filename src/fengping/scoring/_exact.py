"""Exact number handling shared by the scoring modules.

Scheme files write numbers as decimals (``0.36``, ``0.8``). Binary floats cannot hold most
of them, and ``0.8 * 0.8`` is ``0.6400000000000001`` in float arithmetic, which would push
a factor rated 较高 × 较大 (exactly 0.64, the top of the 中 band) into 高. So every value that
is compared against a band bound is first turned into a :class:`~fractions.Fraction`, and a
float is read as the decimal it prints as (its shortest round-trip ``repr``). That reading is
monotonic, so comparing the fractions gives the same order as comparing the floats.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from numbers import Integral, Rational

#: Any plain number the library accepts. ``bool`` is refused at run time.
Number = int | float | Fraction | Decimal


def to_fraction(value: object, what: str = "value") -> Fraction:
    """Return ``value`` as an exact fraction, or raise ``ValueError``/``TypeError``.

    Floats are read through ``repr`` so that ``0.64`` means the decimal 0.64, not the
    nearest binary number (see the module docstring).
    """
    if isinstance(value, bool):
        # True == 1 would silently pass as a score; a bool here is always a caller bug.
        raise TypeError(f"{what} must be a number, not a bool")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Integral):
        return Fraction(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what} must be a finite number, got {value!r}")
        return Fraction(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{what} must be a finite number, got {value!r}")
        return Fraction(value)
    if isinstance(value, Rational):
        return Fraction(int(value.numerator), int(value.denominator))
    # numpy floating scalars other than float64 (which subclasses float) end up here.
    if hasattr(value, "__float__"):
        return to_fraction(float(value), what)
    raise TypeError(f"{what} must be a number, got {type(value).__name__}")


def to_int(value: object, what: str = "value") -> int:
    """Return ``value`` as an ``int`` if it is an integral number, else raise."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an integer, not a bool")
    if isinstance(value, Integral):
        return int(value)
    exact = to_fraction(value, what)
    if exact.denominator != 1:
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    return int(exact)


def round_half_up(value: Fraction) -> int:
    """Round to the nearest integer, halves towards +infinity (2.5 → 3).

    Python's ``round`` rounds halves to even (``round(2.5) == 2``), which is not what a
    reader of the standard expects when checking a result by hand.
    """
    return math.floor(value + Fraction(1, 2))


def round_half_up_sqrt(p: int) -> int:
    """Return ``round_half_up(√p)`` for an integer ``p ≥ 0``, in exact integer arithmetic.

    r = ⌊√p + ½⌋ = ⌊(2√p + 1) / 2⌋ = ⌊(⌊√(4p)⌋ + 1) / 2⌋ — the inner floor may be taken
    because (x + 1)/2 is an integer only when x is. ``math.isqrt`` is exact, so no float
    error can move a result across a .5 boundary. (For integer p, √p is either an integer
    or irrational, so an exact tie never occurs; the rule is still stated for the record.)
    """
    if p < 0:
        raise ValueError(f"cannot take the square root of a negative number ({p})")
    return (math.isqrt(4 * p) + 1) // 2


def fmt(value: Fraction | int | float) -> str:
    """Format a number for an error message without binary noise."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        return f"{float(value):g}"
    return f"{value:g}" if isinstance(value, float) else str(value)
