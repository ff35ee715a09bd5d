"""How figures are printed, the same on every page, report, export and archive index.

The composite risk index (综合风险指数) is printed with three decimals everywhere: a value
such as 0.285 must never read 0.29 in one place and 0.285 in another, and the band limits
it is compared against carry up to three decimals.
"""

from __future__ import annotations

from typing import Any

INDEX_DIGITS = 3


def index_text(value: Any) -> str:
    """0.285 -> "0.285"; 0.3 -> "0.300"; None or "" -> "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.{INDEX_DIGITS}f}"
