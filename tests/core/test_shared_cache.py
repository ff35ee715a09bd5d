"""The shared cache on Redis (FENGPING_CACHE_URL, core/cache.py), against a redis-server
the test starts on a loopback port: two processes' caches share counts; when Redis goes
away mid-run every call is answered from the process's own memory, without an error, and
Redis is used again once it is back; `fengping check` says which."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import caches

from fengping import cli
from fengping.core import cache as shared_cache
from fengping.core.cache import FallbackRedisCache

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - the test's own server
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def redis_server():
    server = Redis()
    server.start()
    yield server
    server.stop()


def backend(url: str) -> FallbackRedisCache:
    return FallbackRedisCache(url, {"KEY_PREFIX": "t"})


def test_two_processes_share_the_counts(redis_server):
    a, b = backend(redis_server.url), backend(redis_server.url)
    assert a.add("submissions", 1, timeout=600)
    assert not b.add("submissions", 1, timeout=600)  # the other process sees it
    assert b.incr("submissions") == 2 and a.get("submissions") == 2
    a.set("figures", {"n": 3})
    assert b.get("figures") == {"n": 3}
    assert a.status()["backend"] == "redis" and a.ping()


def test_redis_going_away_mid_run_falls_back_and_comes_back(redis_server, monkeypatch):
    monkeypatch.setattr(shared_cache, "RETRY_SECONDS", 0.2)
    c = backend(redis_server.url)
    c.set("k", "shared")
    redis_server.stop()
    started = time.monotonic()
    assert c.get("k") is None  # answered, from this process's own memory
    assert c.add("throttle", 1, timeout=600) and c.incr("throttle") == 2  # still counts
    assert time.monotonic() - started < 3
    assert c.status()["backend"] == "local" and c.status()["error"]
    redis_server.start()  # same port, empty
    time.sleep(0.3)
    c.set("k2", "back")
    assert backend(redis_server.url).get("k2") == "back"  # written to Redis again
    assert c.status()["backend"] == "redis"


def test_a_redis_that_never_answers(monkeypatch):
    c = backend(f"redis://127.0.0.1:{free_port()}/0")
    started = time.monotonic()
    c.set("k", 1)
    assert c.get("k") == 1 and not c.ping()
    assert time.monotonic() - started < 3


def test_check_says_which_cache(redis_server, settings, capsys, db):
    settings.CACHES = {
        "default": {
            "BACKEND": "fengping.core.cache.FallbackRedisCache",
            "LOCATION": redis_server.url,
        }
    }
    cli._check(None)
    assert f"✓ 共享缓存 / shared cache: Redis {redis_server.url} 可连接" in capsys.readouterr().out
    redis_server.stop()
    caches["default"]._down_until = 0.0
    cli._check(None)
    out = capsys.readouterr().out
    assert "✗ 共享缓存" in out and "unreachable" in out


def test_the_setting_is_checked(monkeypatch):
    from fengping import conf

    monkeypatch.setenv("FENGPING_CACHE_URL", "memcached://x")
    with pytest.raises(conf.ConfigError, match="FENGPING_CACHE_URL"):
        conf.cache_url("FENGPING_CACHE_URL")
    monkeypatch.setenv("FENGPING_CACHE_URL", "redis://10.0.0.7:6379/1")
    assert conf.cache_url("FENGPING_CACHE_URL") == "redis://10.0.0.7:6379/1"
    monkeypatch.delenv("FENGPING_CACHE_URL")
    assert conf.cache_url("FENGPING_CACHE_URL") == ""


def test_pages_serve_on_redis_and_without_it(redis_server, settings, org, login):
    """The dashboard (its generation counter) and the home page read the cache."""
    settings.CACHES = {
        "default": {
            "BACKEND": "fengping.core.cache.FallbackRedisCache",
            "LOCATION": redis_server.url,
        }
    }
    client = login(org.supervisor)
    assert client.get("/supervision/dashboard/").status_code == 200
    redis_server.stop()
    assert client.get("/supervision/dashboard/").status_code == 200
    assert client.get("/").status_code == 200
