"""What recording refusals costs (not a test; run by hand).

    PYTHONPATH=src .venv/bin/python bench/bench_audit_trail.py --db sqlite
    PYTHONPATH=src .venv/bin/python bench/bench_audit_trail.py --db postgres

SQLite uses a fresh file under /tmp/fp-bench-audit; PostgreSQL the database
fengping_bench_audit (dropped and created). Through Django's test client (no network), it
times:
- a refused page (a handler opening /audit/: the role gate's 403), with the trail and
  with AuditTrailMiddleware removed — the difference is the event's cost;
- a page that is not refused (/), with and without the trail — should be equal;
- the same page while four threads send refusals as fast as they can (a flood): the
  page's median and 95th percentile, against the page alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
parser.add_argument("-n", type=int, default=300)
args = parser.parse_args()

os.environ["FENGPING_DATA_DIR"] = tempfile.mkdtemp(prefix="fp-bench-audit")
if args.db == "postgres":
    import subprocess

    for sql in (
        "DROP DATABASE IF EXISTS fengping_bench_audit",
        "CREATE DATABASE fengping_bench_audit",
    ):
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", sql],
            check=True,
            capture_output=True,
        )  # noqa: S603, S607
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/fengping_bench_audit"
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import django  # noqa: E402

django.setup()
import logging  # noqa: E402

logging.disable(logging.WARNING)  # 403s and axes would log a line per request
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

call_command("migrate", verbosity=0)
settings.ALLOWED_HOSTS = ["*"]
from fengping.audit.models import Event  # noqa: E402
from tests.conftest import build_org  # noqa: E402

org = build_org()


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def timed(client, url, n, status):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        assert client.get(url).status_code == status
        times.append((time.perf_counter() - start) * 1000)
    return times


def line(label, times):
    times = sorted(times)
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{label:58} median {statistics.median(times):6.2f} ms  p95 {p95:6.2f} ms")


handler, admin = client_for(org.rsj_handler), client_for(org.admin)
timed(handler, "/audit/", 20, 403)
timed(admin, "/", 20, 200)
before = Event.objects.filter(action="access.denied").count()
line("refused page (403), recorded", timed(handler, "/audit/", args.n, 403))
assert Event.objects.filter(action="access.denied").count() == before + args.n
without = [m for m in settings.MIDDLEWARE if "AuditTrail" not in m]
with override_settings(MIDDLEWARE=without):
    # New clients: a client loads its middleware once, on its first request.
    bare_handler, bare_admin = client_for(org.rsj_handler), client_for(org.admin)
    line("refused page (403), trail removed", timed(bare_handler, "/audit/", args.n, 403))
    line("home page (200), trail removed", timed(bare_admin, "/", args.n, 200))
    assert Event.objects.filter(action="access.denied").count() == before + args.n
line("home page (200), with the trail", timed(admin, "/", args.n, 200))


def flood_page(label, admin):
    """The home page while four threads send refusals (same process: the threads also
    take CPU from it, so compare with the trail removed)."""
    stop = threading.Event()
    flooded = [0]

    def flood():
        c = client_for(org.rsj_handler)
        while not stop.is_set():
            c.get("/audit/")
            flooded[0] += 1

    threads = [threading.Thread(target=flood) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1)
    start = time.perf_counter()
    during = timed(admin, "/", args.n, 200)
    elapsed = time.perf_counter() - start
    stop.set()
    for t in threads:
        t.join()
    line(label, during)
    print(f"  refusals sent meanwhile: {flooded[0]} ({flooded[0] / (elapsed + 1):.0f}/s)")


flood_page("home page (200), flood of refusals, recorded", admin)
with override_settings(MIDDLEWARE=without):
    flood_page("home page (200), flood of refusals, trail removed", client_for(org.admin))
