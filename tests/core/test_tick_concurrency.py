"""Two `fengping tick` runs started at the same moment — on one host or on two — run each
job once: the (job, period) row is claimed before the job runs, and the second run finds
it and skips (issue 13: the worker and the tick are safe on several hosts)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection

from fengping.core import tick as ticks
from fengping.core.models import TickRun


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_the_same_moment_run_each_job_once(monkeypatch):
    """In threads on PostgreSQL (row locks, real concurrency). The SQLite test database is
    a shared-cache in-memory one whose table locks do not wait; SQLite is tested below with
    two real processes on a file database, as deployed."""
    if connection.vendor != "postgresql":
        pytest.skip("threads on the shared-cache test database; see the next test")
    ran: list[str] = []
    guard = threading.Lock()

    def probe(name: str):
        def run() -> str:
            with guard:
                ran.append(name)
            time.sleep(0.2)  # long enough for the other tick to reach the same job
            return "ok"

        return run

    jobs = {
        name: ticks.Job(name, name, ticks.daily, probe(name)) for name in ("probe_a", "probe_b")
    }
    monkeypatch.setattr(ticks, "JOBS", jobs)
    start = threading.Barrier(2)
    outcomes: list[list[ticks.TickOutcome]] = []
    errors: list[BaseException] = []

    def one_tick() -> None:
        try:
            start.wait()
            outcomes.append(ticks.tick())
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(ran) == ["probe_a", "probe_b"]  # each job ran once
    statuses = sorted(o.status for run in outcomes for o in run)
    assert statuses == ["ran", "ran", "skipped", "skipped"]
    assert TickRun.objects.filter(job__in=list(jobs)).count() == 2


def test_two_tick_processes_on_one_sqlite_file(tmp_path):
    """`fengping tick` twice at the same moment on a deployed SQLite file (WAL, a busy
    timeout): every job runs once and both exit cleanly."""
    env = {
        **os.environ,
        "FENGPING_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    fengping = [sys.executable, "-m", "fengping.cli"]
    subprocess.run([*fengping, "manage", "migrate", "-v", "0"], env=env, check=True)  # noqa: S603
    runs = [
        subprocess.Popen(  # noqa: S603 - our own command
            [*fengping, "tick"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0].decode() for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outputs
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        counts = db.execute("SELECT job, COUNT(*) FROM core_tickrun GROUP BY job").fetchall()
    assert counts and all(n == 1 for _job, n in counts), counts
