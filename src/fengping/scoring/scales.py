"""Ordered rating scales: labels with numeric values, lowest first.

A scheme's probability scale (很低 0.2 … 很高 1.0) or impact scale is a :class:`Scale`. The
scoring functions take numbers; the scale turns a label chosen on a form into its number
and lets residual risk move a rating a number of steps down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ._exact import Number, fmt, to_fraction


@dataclass(frozen=True, init=False)
class Scale:
    """Labels and strictly ascending values, lowest first."""

    labels: tuple[str, ...]
    values: tuple[Fraction, ...]

    def __init__(self, steps: Sequence[tuple[str, Number]]) -> None:
        if not steps:
            raise ValueError("a scale needs at least one step")
        labels = tuple(label for label, _ in steps)
        if any(not isinstance(label, str) or not label.strip() for label in labels):
            raise ValueError("scale labels must be non-empty text")
        if len(set(labels)) != len(labels):
            raise ValueError(f"scale labels must be unique: {', '.join(labels)}")
        values = tuple(to_fraction(value, f"value of {label!r}") for label, value in steps)
        for i in range(1, len(values)):
            if values[i] <= values[i - 1]:
                raise ValueError(
                    f"scale values must be strictly ascending, lowest first: {labels[i]!r} "
                    f"({fmt(values[i])}) is not above {labels[i - 1]!r} ({fmt(values[i - 1])})"
                )
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "values", values)

    @property
    def minimum(self) -> Fraction:
        return self.values[0]

    @property
    def maximum(self) -> Fraction:
        return self.values[-1]

    def value(self, label: str) -> float:
        """Numeric value of ``label``; ``ValueError`` naming the known labels otherwise."""
        return float(self.values[self.position(label)])

    def position(self, label: str) -> int:
        """0-based position of ``label`` on the scale (0 = lowest)."""
        try:
            return self.labels.index(label)
        except ValueError:
            raise ValueError(
                f"unknown scale label {label!r}; expected one of {', '.join(self.labels)}"
            ) from None

    def position_of_value(self, value: Number) -> int:
        """0-based position of a value that must be one of the scale's values."""
        exact = to_fraction(value)
        try:
            return self.values.index(exact)
        except ValueError:
            known = ", ".join(fmt(v) for v in self.values)
            raise ValueError(f"{fmt(exact)} is not a value of this scale ({known})") from None

    def step_down(self, value: Number, steps: int) -> Fraction:
        """The value ``steps`` positions lower on the scale, never below the lowest step."""
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
        return self.values[max(0, self.position_of_value(value) - steps)]
