"""Bands: cut a numeric range into labelled, contiguous pieces.

A scheme gives bands as data, lowest first: each band but the last has an inclusive upper
bound, the last band is open (it runs to the range maximum, or without end). For example the
social-stability default is ``≤ 0.36 低, ≤ 0.64 中, > 0.64 高`` on the range 0–1.

Because every band is defined by the bound of the one below it, bands built this way can
have neither a gap nor an overlap; what can still go wrong (bounds out of order, equal
bounds, an empty band at either end) is refused when the bands are built. Integer scales
written as ranges (``1–5 很低, 6–10 低`` …) go through :meth:`Bands.from_ranges`, which checks
that each range starts right after the previous one ends.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

from ._exact import Number, fmt, to_fraction


@dataclass(frozen=True)
class BandInterval:
    """One band as an interval, for display and for checking coverage."""

    label: str
    lower: Fraction
    lower_closed: bool  # the first band includes the range minimum; later ones start just above
    upper: Fraction | None  # None: unbounded above
    upper_closed: bool


class Bands:
    """Contiguous labelled bands over ``[minimum, maximum]`` (``maximum=None``: no top).

    Build with ``Bands([(0.36, "低"), (0.64, "中")], last="高", minimum=0, maximum=1)``
    or :meth:`from_ranges` for integer ranges. Instances are immutable and comparable.
    """

    __slots__ = ("_cuts", "_integer", "_labels", "_maximum", "_minimum")

    def __init__(
        self,
        bounds: Sequence[tuple[Number, str]],
        last: str,
        *,
        minimum: Number,
        maximum: Number | None = None,
        integer: bool = False,
    ) -> None:
        labels = [label for _, label in bounds] + [last]
        for label in labels:
            if not isinstance(label, str) or not label.strip():
                raise ValueError(f"band labels must be non-empty text, got {label!r}")
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        if duplicates:
            raise ValueError(f"band labels must be unique, repeated: {', '.join(duplicates)}")

        lo = to_fraction(minimum, "band range minimum")
        hi = None if maximum is None else to_fraction(maximum, "band range maximum")
        if hi is not None and hi < lo:
            raise ValueError(f"band range maximum {fmt(hi)} is below its minimum {fmt(lo)}")
        cuts = [to_fraction(bound, f"upper bound of band {label!r}") for bound, label in bounds]

        for i in range(1, len(cuts)):
            if cuts[i] <= cuts[i - 1]:
                # Equal bounds leave a band with nothing in it; a smaller one overlaps.
                raise ValueError(
                    f"band upper bounds must be strictly ascending: band {labels[i]!r} ends at "
                    f"{fmt(cuts[i])}, not above band {labels[i - 1]!r} which ends at "
                    f"{fmt(cuts[i - 1])}"
                )
        if cuts and cuts[0] < lo:
            raise ValueError(
                f"band {labels[0]!r} ends at {fmt(cuts[0])}, below the range minimum {fmt(lo)}"
            )
        if cuts and hi is not None and cuts[-1] >= hi:
            raise ValueError(
                f"band {labels[-2]!r} ends at {fmt(cuts[-1])}, which leaves nothing for the "
                f"last band {last!r} below the range maximum {fmt(hi)}"
            )
        if integer and any(x.denominator != 1 for x in [lo, *cuts, *([] if hi is None else [hi])]):
            raise ValueError("integer bands need whole-number bounds")

        self._labels: tuple[str, ...] = tuple(labels)
        self._cuts: tuple[Fraction, ...] = tuple(cuts)
        self._minimum = lo
        self._maximum = hi
        self._integer = integer

    @classmethod
    def from_ranges(cls, ranges: Sequence[tuple[int, int, str]]) -> Bands:
        """Integer bands from inclusive ranges, e.g. ``[(1, 5, "很低"), (6, 10, "低"), …]``.

        Each range must start exactly one after the previous one ends: ``(1, 5)`` then
        ``(7, 10)`` is a gap (6 has no band), ``(1, 5)`` then ``(5, 10)`` an overlap.
        """
        if not ranges:
            raise ValueError("at least one band range is needed")
        for low, high, label in ranges:
            if isinstance(low, bool) or isinstance(high, bool):
                raise TypeError("band range ends must be integers")
            if not isinstance(low, int) or not isinstance(high, int):
                raise TypeError(f"band {label!r}: range ends must be integers")
            if high < low:
                raise ValueError(f"band {label!r}: range {low}–{high} is empty")
        for (_, prev_high, prev_label), (low, high, label) in pairwise(ranges):
            if low > prev_high + 1:
                raise ValueError(
                    f"gap between bands {prev_label!r} (ends at {prev_high}) and {label!r} "
                    f"(starts at {low}): {prev_high + 1}–{low - 1} has no band"
                )
            if low <= prev_high:
                raise ValueError(
                    f"band {label!r} ({low}–{high}) overlaps band {prev_label!r} "
                    f"(ends at {prev_high})"
                )
        return cls(
            [(high, label) for _, high, label in ranges[:-1]],
            ranges[-1][2],
            minimum=ranges[0][0],
            maximum=ranges[-1][1],
            integer=True,
        )

    @property
    def labels(self) -> tuple[str, ...]:
        """Band labels, lowest band first."""
        return self._labels

    @property
    def cuts(self) -> tuple[Fraction, ...]:
        """Inclusive upper bounds of every band but the last."""
        return self._cuts

    @property
    def minimum(self) -> Fraction:
        return self._minimum

    @property
    def maximum(self) -> Fraction | None:
        return self._maximum

    @property
    def integer(self) -> bool:
        """True when the bands only accept whole numbers (built by :meth:`from_ranges`)."""
        return self._integer

    def __len__(self) -> int:
        return len(self._labels)

    def index(self, value: Number) -> int:
        """Index (0 = lowest band) of the band holding ``value``; ``ValueError`` if outside."""
        exact = to_fraction(value)
        if self._integer and exact.denominator != 1:
            raise ValueError(f"these bands take whole numbers only, got {value!r}")
        if exact < self._minimum or (self._maximum is not None and exact > self._maximum):
            top = "∞" if self._maximum is None else fmt(self._maximum)
            raise ValueError(
                f"value {fmt(exact)} is outside the range {fmt(self._minimum)}–{top} of these bands"
            )
        # bisect_left finds the first bound ≥ value, i.e. the band whose inclusive upper
        # bound still holds it; the bulk path uses numpy.searchsorted(side="left") alike.
        return bisect_left(self._cuts, exact)

    def band(self, value: Number) -> str:
        """Label of the band holding ``value``."""
        return self._labels[self.index(value)]

    def intervals(self) -> tuple[BandInterval, ...]:
        """The bands as intervals, lowest first (for display and coverage checks)."""
        lowers = [self._minimum, *self._cuts]
        uppers: list[Fraction | None] = [*self._cuts, self._maximum]
        return tuple(
            BandInterval(
                label=label,
                lower=lower,
                lower_closed=i == 0,
                upper=upper,
                upper_closed=upper is not None,
            )
            for i, (label, lower, upper) in enumerate(
                zip(self._labels, lowers, uppers, strict=True)
            )
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bands):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[object, ...]:
        return (self._labels, self._cuts, self._minimum, self._maximum, self._integer)

    def __repr__(self) -> str:
        parts = ", ".join(
            f"≤{fmt(c)} {label}" for c, label in zip(self._cuts, self._labels, strict=False)
        )
        top = "" if self._maximum is None else f" up to {fmt(self._maximum)}"
        sep = ", " if parts else ""
        return f"Bands(from {fmt(self._minimum)}: {parts}{sep}rest {self._labels[-1]}{top})"
