"""Benchmark: GB/T 20984 (isra) scoring, bulk numpy path against the per-item path.

Scores and bands 1,000,000 random scenarios with the bulk path and 100,000 with the
per-item path in the same run (fixed seed), prints both rates and checks the targets:
1,000,000 scenarios in ≤ 0.5 s, and the bulk path ≥ 50× faster per scenario.

    PYTHONPATH=src python bench/bench_scoring.py

Not a test: the figures depend on the machine. Exit status 1 if a target is missed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

from fengping.scoring import (
    BulkResult,
    IsraResult,
    bulk_matrix,
    bulk_multiplication,
    risk_by_matrix,
    risk_by_multiplication,
)

SEED = 20984
N_BULK = 1_000_000
N_PER_ITEM = 100_000
TARGET_SECONDS = 0.5
TARGET_RATIO = 50.0
REPEATS = 5  # best of several runs: the figure we want is the code's, not the scheduler's


def scenarios(n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    ia, t, v = (rng.integers(1, 6, n, dtype=np.int64) for _ in range(3))
    effect = rng.integers(0, 3, n, dtype=np.int64)
    return ia, t, v, effect


def best_of(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    rng = np.random.default_rng(SEED)
    ia, t, v, effect = scenarios(N_BULK, rng)
    small = [a[:N_PER_ITEM].tolist() for a in (ia, t, v, effect)]
    ok = True

    for name, bulk, per_item in (
        ("multiplication", bulk_multiplication, risk_by_multiplication),
        ("matrix", bulk_matrix, risk_by_matrix),
    ):

        def run_bulk(bulk: Callable[..., BulkResult] = bulk) -> BulkResult:
            return bulk(ia, t, v, effect)

        def run_labels(bulk: Callable[..., BulkResult] = bulk) -> object:
            return bulk(ia, t, v, effect).band_labels()

        def run_per_item(per_item: Callable[..., IsraResult] = per_item) -> list[IsraResult]:
            return [per_item(a, b, c, measure_effect=e) for a, b, c, e in zip(*small, strict=True)]

        start = time.perf_counter()
        run_bulk()  # the first call also builds the small lookup tables (cached after)
        cold_s = time.perf_counter() - start
        bulk_s = best_of(run_bulk, REPEATS)
        labels_s = best_of(run_labels, REPEATS)
        item_s = best_of(run_per_item, 1)
        bulk_rate = N_BULK / bulk_s
        item_rate = N_PER_ITEM / item_s
        ratio = bulk_rate / item_rate
        time_ok = bulk_s <= TARGET_SECONDS
        ratio_ok = ratio >= TARGET_RATIO
        ok = ok and time_ok and ratio_ok

        # Same answers on the scenarios both paths scored.
        result = run_bulk()
        check = run_per_item()
        assert result.risk[:N_PER_ITEM].tolist() == [r.risk for r in check]
        assert result.band_index[:N_PER_ITEM].tolist() == [r.band_index for r in check]

        print(f"isra {name}:")
        print(f"  bulk     {N_BULK:>9,} scenarios in {bulk_s:.4f} s = {bulk_rate:>13,.0f} /s")
        print(f"  bulk, first call (builds lookup tables): {cold_s:.4f} s")
        print(f"  bulk with band labels as strings:         {labels_s:.4f} s")
        print(f"  per-item {N_PER_ITEM:>9,} scenarios in {item_s:.4f} s = {item_rate:>13,.0f} /s")
        print(f"  ratio    {ratio:,.0f}×")
        print(
            f"  target 1,000,000 in ≤ {TARGET_SECONDS} s: {'met' if time_ok else 'MISSED'}; "
            f"bulk ≥ {TARGET_RATIO:.0f}× per-item: {'met' if ratio_ok else 'MISSED'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
