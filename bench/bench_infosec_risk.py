"""Time the risk computation and the register page at about 500,000 scenarios
(not a test; run by hand).

    PYTHONPATH=src .venv/bin/python bench/bench_infosec_risk.py --db sqlite
    PYTHONPATH=src .venv/bin/python bench/bench_infosec_risk.py --db postgres

SQLite uses a fresh file under /tmp/fp-bench-risk; PostgreSQL the database fp_bench_risk
(created when missing, emptied of this benchmark's system otherwise). Seeds 10,000 assets
and 50 threats whose classes each exploit one aspect, with one vulnerability per (asset,
aspect): every asset × threat pair gives one scenario, 500,000 in all (raw bulk inserts:
this measures computing, not seeding). Then times `do_compute_risk` on the empty register
and again after 1% of the inputs changed, and the register page (50 rows) with its query
count. Targets: compute ≤ 5 s, page ≤ 100 ms with a constant number of queries.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
parser.add_argument("--assets", type=int, default=10_000)
parser.add_argument("--threats", type=int, default=50)
args = parser.parse_args()

DATA = "/tmp/fp-bench-risk"
if args.db == "sqlite":
    shutil.rmtree(DATA, ignore_errors=True)
    os.environ.pop("DATABASE_URL", None)
else:
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/fp_bench_risk"
os.makedirs(DATA, exist_ok=True)
os.environ["FENGPING_DATA_DIR"] = DATA
os.environ.setdefault("FENGPING_ALLOWED_HOSTS", "testserver,localhost")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengping.settings")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

if args.db == "postgres":
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname='fp_bench_risk'").fetchone():
            c.execute("CREATE DATABASE fp_bench_risk")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from fengping.infosec.actions.assessments import do_start_assessment, touch_inputs  # noqa: E402
from fengping.infosec.actions.risk import do_compute_risk  # noqa: E402
from fengping.infosec.models import (  # noqa: E402
    Asset,
    Scenario,
    System,
    SystemAssessment,
    ThreatRating,
    Vulnerability,
)
from fengping.org.demo import load_demo  # noqa: E402
from fengping.org.models import Department, User  # noqa: E402

# Threat classes of the builtin catalogue exploiting exactly one aspect each.
ONE_ASPECT = {
    "malicious_code": "technical",
    "network_attack": "technical",
    "tampering": "technical",
    "physical_environment": "operations",
    "physical_attack": "operations",
    "poor_management": "management",
}


def seed(user: User) -> SystemAssessment:
    dept = Department.objects.filter(code="SFS-RSJ").first() or Department.objects.first()
    old = System.objects.filter(code="BENCH-RISK").first()
    if old is not None:
        # The ORM's cascade would collect half a million scenarios one by one.
        Scenario.objects.filter(assessment__system=old)._raw_delete(connection.alias)
        SystemAssessment.objects.filter(system=old).delete()
        old.delete()
    system = System.objects.create(
        department=dept, code="BENCH-RISK", name="基准系统", protection_level=3, created_by=user
    )
    Asset.objects.bulk_create(
        [
            Asset(
                system=system,
                layer="system" if i == 0 else "component",
                code=f"A{i:05d}",
                name=f"资产{i}",
                confidentiality=1 + i % 5,
                integrity=3,
                availability=3,
                value=1 + i % 5,
            )
            for i in range(args.assets)
        ],
        batch_size=2000,
    )
    asset_ids = list(system.assets.order_by("pk").values_list("pk", flat=True))
    Vulnerability.objects.bulk_create(
        [
            Vulnerability(
                system=system,
                asset_id=pk,
                source="audit",
                aspect=aspect,
                key=f"{pk}-{aspect}",
                title=f"{aspect} {pk}",
                severity=1 + (pk + k) % 5,
            )
            for pk in asset_ids
            for k, aspect in enumerate(("technical", "operations", "management"))
        ],
        batch_size=2000,
    )
    a = do_start_assessment(user, system, title="基准评估")
    classes = list(ONE_ASPECT)
    ThreatRating.objects.bulk_create(
        [
            ThreatRating(
                assessment=a,
                code=f"T{j:02d}",
                threat_class=classes[j % len(classes)],
                name=f"威胁{j}",
                origin="human_malicious",
                frequency=1 + j % 5,
            )
            for j in range(args.threats)
        ]
    )
    return a


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    print(f"{label}: {dt:.2f} s")
    return out


def main() -> None:
    print(f"database: {connection.vendor}")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not User.objects.filter(username="admin").exists():
        load_demo()
    admin = User.objects.get(username="admin")
    t0 = time.perf_counter()
    a = seed(admin)
    print(
        f"seeded {args.assets} assets × {args.threats} threats in {time.perf_counter() - t0:.1f} s"
    )
    first = timed("compute, empty register", lambda: do_compute_risk(admin, a))
    print(f"  {first}")
    # 1% of the inputs: a fifth of the vulnerabilities of 5% of assets… simplest honest
    # change: 1% of vulnerabilities change severity, and 1% are closed.
    vulns = list(
        Vulnerability.objects.filter(system=a.system).order_by("pk").values_list("pk", flat=True)
    )
    step = 100
    with transaction.atomic():
        Vulnerability.objects.filter(pk__in=vulns[::step]).update(severity=5)
        Vulnerability.objects.filter(pk__in=vulns[1 :: step * 2]).update(status="closed")
        touch_inputs(a)
    a.refresh_from_db()
    second = timed("recompute after 1% of inputs changed", lambda: do_compute_risk(admin, a))
    print(f"  {second}")
    third = timed("recompute, nothing changed", lambda: do_compute_risk(admin, a))
    print(f"  {third}")
    print(f"scenarios stored: {Scenario.objects.filter(assessment=a).count():,}")

    client = Client()
    client.force_login(admin)
    url = f"/infosec/assessments/{a.pk}/risk/"
    for label, query in [
        ("register page", ""),
        ("register page, level 5", "?level=5"),
        ("register page, heat cell", "?likelihood=3&loss=4"),
        ("register page, page 2", None),
    ]:
        if query is None:
            page = client.get(url)
            import re

            m = re.search(r'href="\?([^"]*after=[^"]+)"', page.content.decode())
            query = "?" + m.group(1).replace("&amp;", "&") if m else ""
        times = []
        for _ in range(7):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                r = client.get(url + query)
                times.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.status_code
        print(
            f"{label}: median {statistics.median(times) * 1000:.0f} ms, "
            f"{len(ctx.captured_queries)} queries"
        )
    for label, sub in [
        ("heat map", "heatmap/"),
        ("per asset", "assets/"),
        ("per business", "businesses/"),
    ]:
        times = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                r = client.get(url + sub)
                times.append(time.perf_counter() - t0)
        print(
            f"{label} page: median {statistics.median(times) * 1000:.0f} ms, "
            f"{len(ctx.captured_queries)} queries (status {r.status_code})"
        )


if __name__ == "__main__":
    main()
