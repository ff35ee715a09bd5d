"""The shared cache on Redis (`FENGPING_CACHE_URL`), falling back to each process's own
memory while Redis cannot be reached.

Several app processes or hosts share the questionnaire throttle's counts and the cached
figures through Redis. When Redis goes away mid-run, fengping keeps serving: every call
that fails is answered from a per-process LocMemCache instead (so a throttle still counts,
per process, which lets a flood through at most N processes × the limit), Redis is tried
again after RETRY_SECONDS, and `fengping check` and `status()` say which one is in use."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

RETRY_SECONDS = 30.0
TIMEOUT_SECONDS = 0.5  # a dead Redis must not hold a page up


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class FallbackRedisCache(BaseCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        options = dict(params.get("OPTIONS") or {})
        options.setdefault("socket_connect_timeout", TIMEOUT_SECONDS)
        options.setdefault("socket_timeout", TIMEOUT_SECONDS)
        self.redis = RedisCache(server, {**params, "OPTIONS": options})
        self.local = LocMemCache(
            f"fengping-fallback-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300)}
        )
        self.server = server
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._last_error = ""
        self._errors = _redis_errors()

    # -- which one ------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """{"backend": "redis" | "local", "error": the last failure, "server": …}."""
        down = time.monotonic() < self._down_until
        return {
            "backend": "local" if down else "redis",
            "error": self._last_error,
            "server": self.server,
        }

    def ping(self) -> bool:
        """Try Redis now (for `fengping check`), whatever the retry clock says."""
        try:
            self.redis._cache.get_client(write=False).ping()
        except self._errors as exc:
            self._went_down(exc)
            return False
        with self._lock:
            self._down_until = 0.0
        return True

    def _went_down(self, exc: BaseException) -> None:
        with self._lock:
            first = time.monotonic() >= self._down_until
            self._down_until = time.monotonic() + RETRY_SECONDS
            self._last_error = f"{type(exc).__name__}: {exc}"
        if first:
            log.warning(
                "Redis %s unreachable (%s): the cache falls back to this process for %ss",
                self.server,
                exc,
                RETRY_SECONDS,
            )

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() >= self._down_until:
            try:
                return getattr(self.redis, name)(*args, **kwargs)
            except self._errors as exc:
                self._went_down(exc)
        return getattr(self.local, name)(*args, **kwargs)

    # -- the cache API --------------------------------------------------------------------

    def add(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> Any:
        return self._call(
            "add", key, value, timeout if timeout is not None else self.default_timeout, version
        )

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._call("get", key, default, version)

    def set(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> None:
        self._call(
            "set", key, value, timeout if timeout is not None else self.default_timeout, version
        )

    def touch(self, key: Any, timeout: Any = None, version: Any = None) -> Any:
        return self._call(
            "touch", key, timeout if timeout is not None else self.default_timeout, version
        )

    def delete(self, key: Any, version: Any = None) -> Any:
        return self._call("delete", key, version)

    def get_many(self, keys: Any, version: Any = None) -> Any:
        return self._call("get_many", keys, version)

    def has_key(self, key: Any, version: Any = None) -> Any:
        return self._call("has_key", key, version)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        return self._call("incr", key, delta, version)

    def set_many(self, data: Any, timeout: Any = None, version: Any = None) -> Any:
        return self._call(
            "set_many", data, timeout if timeout is not None else self.default_timeout, version
        )

    def delete_many(self, keys: Any, version: Any = None) -> Any:
        return self._call("delete_many", keys, version)

    def clear(self) -> Any:
        self.local.clear()
        return self._call("clear")
