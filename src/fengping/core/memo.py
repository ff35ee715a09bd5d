"""Figures recomputed at most once per period in each worker process (issue 9).

For summaries whose exact value may lag a little — the home page's counts of matters by
state — and whose computation grows with the data: each web worker keeps the value for
`seconds` and the page shows when it was computed. Nothing is written to the database or
a shared cache, so reading a page never takes a write lock."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from django.utils import timezone

T = TypeVar("T")
MAX_KEYS = 1000  # distinct scopes kept per process; the oldest goes first


class Memo(Generic[T]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[Hashable, tuple[float, T, dt.datetime]] = {}

    def get(self, key: Hashable, seconds: float, compute: Callable[[], T]) -> tuple[T, dt.datetime]:
        """(value, when it was computed): the kept value while younger than `seconds`."""
        now = time.monotonic()
        with self._lock:
            kept = self._values.get(key)
        if kept is not None and now - kept[0] < seconds:
            return kept[1], kept[2]
        value, at = compute(), timezone.now()
        if seconds > 0:
            with self._lock:
                self._values.pop(key, None)
                self._values[key] = (now, value, at)
                while len(self._values) > MAX_KEYS:
                    del self._values[next(iter(self._values))]
        return value, at

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
