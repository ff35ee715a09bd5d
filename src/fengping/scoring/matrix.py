"""Risk matrix: a probability level and an impact level give a risk level.

The matrix is plain data, any size: a list of rows, one row per probability level (lowest
first), one column per impact level (lowest first); a cell holds the resulting level, a label
(``"高"``) or an integer. ``base`` says how the first row and column are numbered: 0 for
positions on a scheme's scale, 1 for GB/T 20984's 1–5 ratings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, init=False)
class RiskMatrix:
    """A rectangular table ``cells[probability][impact] → level``."""

    cells: tuple[tuple[str | int, ...], ...]
    base: int = field(default=0)

    def __init__(self, rows: Sequence[Sequence[str | int]], *, base: int = 0) -> None:
        if isinstance(rows, str) or not rows:
            raise ValueError("a risk matrix needs at least one row")
        width = len(rows[0])
        if width == 0:
            raise ValueError("a risk matrix needs at least one column")
        for r, row in enumerate(rows):
            if isinstance(row, str) or len(row) != width:
                size = "text" if isinstance(row, str) else f"{len(row)} cells"
                raise ValueError(
                    f"risk matrix is ragged: row {r + base} has {size}, row {base} has {width}"
                )
            for c, cell in enumerate(row):
                if isinstance(cell, bool) or not isinstance(cell, str | int):
                    raise ValueError(
                        f"risk matrix cell [{r + base}][{c + base}] must be a label or an "
                        f"integer, got {cell!r}"
                    )
        object.__setattr__(self, "cells", tuple(tuple(row) for row in rows))
        object.__setattr__(self, "base", base)

    @property
    def shape(self) -> tuple[int, int]:
        """(number of probability levels, number of impact levels)."""
        return len(self.cells), len(self.cells[0])

    def level(self, probability: int, impact: int) -> str | int:
        """The level at probability index ``probability`` and impact index ``impact``."""
        rows, cols = self.shape
        p = self._offset(probability, rows, "probability")
        i = self._offset(impact, cols, "impact")
        return self.cells[p][i]

    def _offset(self, index: int, size: int, what: str) -> int:
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValueError(f"{what} index must be an integer, got {index!r}")
        if not self.base <= index < self.base + size:
            raise ValueError(
                f"{what} index {index} is out of range {self.base}–{self.base + size - 1} "
                f"for this {self.shape[0]}×{self.shape[1]} matrix"
            )
        return index - self.base

    def is_monotonic(self, rank: Callable[[str | int], int] | None = None) -> bool:
        """True if levels never fall when probability or impact rises.

        ``rank`` orders the levels (e.g. ``bands.labels.index``); integers rank as themselves.
        """
        key: Callable[[str | int], int]
        if rank is not None:
            key = rank
        else:

            def key(level: str | int) -> int:
                if not isinstance(level, int):
                    raise ValueError("label cells need a rank function to compare levels")
                return level

        ranks = [[key(cell) for cell in row] for row in self.cells]
        rows, cols = self.shape
        return all(
            (r == 0 or ranks[r - 1][c] <= ranks[r][c])
            and (c == 0 or ranks[r][c - 1] <= ranks[r][c])
            for r in range(rows)
            for c in range(cols)
        )
