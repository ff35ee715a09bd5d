"""Time the estate-wide risk list (风险清单（全部系统）, /infosec/risks/) at city volume
(not a test; run by hand).

    PYTHONPATH=src .venv/bin/python bench/bench_infosec_estate.py --db sqlite
    PYTHONPATH=src .venv/bin/python bench/bench_infosec_estate.py --db postgres

SQLite uses a fresh file under /tmp/fp-bench-estate; PostgreSQL the database
fp_bench_estate (created when missing; the benchmark's systems are replaced). Seeds 100
systems spread over the demo departments, each with 100 assets × 50 threats: 500,000
scenarios in the systems' latest assessments, and an older assessment of every fifth
system with its own 5,000 scenarios (100,000 rows the list must skip). Then times the
page (50 rows) for the administrator (the whole estate) and for a unit's handler, with
each filter, the second page by key and the other order, and prints the query count
(BENCH_PLAN=1: and the plan of the page's query). `--reuse` keeps the data of the last
run. Target: every page ≤ 100 ms with a constant number of queries.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
parser.add_argument("--systems", type=int, default=100)
parser.add_argument("--assets", type=int, default=100)
parser.add_argument("--threats", type=int, default=50)
parser.add_argument("--reuse", action="store_true", help="keep the seeded data of a last run")
args = parser.parse_args()

DATA = "/tmp/fp-bench-estate"
if args.db == "sqlite":
    if not args.reuse:
        shutil.rmtree(DATA, ignore_errors=True)
    os.environ.pop("DATABASE_URL", None)
else:
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/fp_bench_estate"
os.makedirs(DATA, exist_ok=True)
os.environ["FENGPING_DATA_DIR"] = DATA
os.environ.setdefault("FENGPING_ALLOWED_HOSTS", "testserver,localhost")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengping.settings")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

if args.db == "postgres":
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname='fp_bench_estate'").fetchone():
            c.execute("CREATE DATABASE fp_bench_estate")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from fengping.infosec.actions.assessments import do_start_assessment  # noqa: E402
from fengping.infosec.models import (  # noqa: E402
    AssessmentStatus,
    Asset,
    Scenario,
    System,
    SystemAssessment,
    ThreatRating,
    Vulnerability,
)
from fengping.org.demo import load_demo  # noqa: E402
from fengping.org.models import Department, User  # noqa: E402

PREFIX = "BENCH-EST-"


def _scenarios(a: SystemAssessment, assets: list[int], vulns: dict[int, int]) -> None:
    threats = list(
        ThreatRating.objects.filter(assessment=a).order_by("pk").values_list("pk", flat=True)
    )
    rows = []
    for i, asset in enumerate(assets):
        for j, threat in enumerate(threats):
            likelihood, loss = 1 + (i + j) % 5, 1 + (i * 7 + j * 3) % 5
            risk = likelihood * loss
            rows.append(
                Scenario(
                    assessment=a,
                    asset_id=asset,
                    threat_id=threat,
                    vulnerability_id=vulns[asset],
                    asset_value=1 + i % 5,
                    frequency=1 + j % 5,
                    severity=1 + (i + 2 * j) % 5,
                    likelihood=likelihood,
                    loss=loss,
                    risk=risk,
                    level=1 + (risk - 1) // 5,
                    residual_risk=risk,
                    residual_level=1 + (risk - 1) // 5,
                )
            )
    Scenario.objects.bulk_create(rows, batch_size=5000)


def _assessment(user: User, system: System, title: str) -> SystemAssessment:
    a = do_start_assessment(user, system, title=title)
    ThreatRating.objects.bulk_create(
        [
            ThreatRating(
                assessment=a,
                code=f"T{j:02d}",
                threat_class="network_attack",
                name=f"威胁{j}",
                origin="human_malicious",
                frequency=1 + j % 5,
            )
            for j in range(args.threats)
        ]
    )
    return a


def seed(user: User) -> None:
    old = System.objects.filter(code__startswith=PREFIX)
    if old.exists():
        # The ORM's cascade would collect the scenarios one by one.
        Scenario.objects.filter(assessment__system__in=old)._raw_delete(connection.alias)
        ThreatRating.objects.filter(assessment__system__in=old)._raw_delete(connection.alias)
        SystemAssessment.objects.filter(system__in=old).delete()
        Vulnerability.objects.filter(system__in=old)._raw_delete(connection.alias)
        Asset.objects.filter(system__in=old)._raw_delete(connection.alias)
        old.delete()
    departments = list(Department.objects.filter(is_active=True).order_by("path"))
    for n in range(args.systems):
        with transaction.atomic():
            system = System.objects.create(
                department=departments[n % len(departments)],
                code=f"{PREFIX}{n:03d}",
                name=f"基准系统{n}",
                protection_level=3,
                created_by=user,
            )
            Asset.objects.bulk_create(
                [
                    Asset(
                        system=system,
                        layer="component",
                        code=f"S{n:03d}-A{i:04d}",
                        name=f"资产{n}-{i}",
                        confidentiality=3,
                        integrity=3,
                        availability=3,
                        value=1 + i % 5,
                    )
                    for i in range(args.assets)
                ]
            )
            assets = list(system.assets.order_by("pk").values_list("pk", flat=True))
            Vulnerability.objects.bulk_create(
                [
                    Vulnerability(
                        system=system,
                        asset_id=pk,
                        source="audit",
                        aspect="technical",
                        key=f"{pk}-t",
                        title=f"漏洞{pk}",
                        severity=3,
                    )
                    for pk in assets
                ]
            )
            vulns = dict(Vulnerability.objects.filter(system=system).values_list("asset_id", "pk"))
            if n % 5 == 0:
                older = _assessment(user, system, "上一次评估")
                _scenarios(older, assets, vulns)
                SystemAssessment.objects.filter(pk=older.pk).update(
                    status=AssessmentStatus.FINISHED
                )
            _scenarios(_assessment(user, system, "基准评估"), assets, vulns)


def main() -> None:
    print(f"database: {connection.vendor}")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not User.objects.filter(username="admin").exists():
        load_demo()
    admin = User.objects.get(username="admin")
    if not (args.reuse and System.objects.filter(code__startswith=PREFIX).exists()):
        t0 = time.perf_counter()
        seed(admin)
        print(f"seeded in {time.perf_counter() - t0:.0f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    print(f"scenarios stored: {Scenario.objects.count():,}")
    first = System.objects.filter(code__startswith=PREFIX).order_by("code").first()
    unit = User.objects.get(username="zhaoqiang")  # 房屋征收科: a few systems
    cases = [
        (admin, "whole estate", ""),
        (admin, "level 5", "?level=5"),
        (admin, "level 1", "?level=1"),
        (admin, "department 人社局", f"?department={Department.objects.get(code='SFS-RSJ').pk}"),
        (admin, "one system", f"?system={first.pk}"),
        (admin, "search", "?q=资产7-42"),
        (admin, "page 2", None),
        (admin, "level sort (low first)", "?sort=level"),
        (unit, "unit handler", ""),
        (unit, "unit handler, level 4", "?level=4"),
        (unit, "unit handler, page 2", None),
    ]
    url = "/infosec/risks/"
    for user, label, query in cases:
        client = Client()
        client.force_login(user)
        client.get(url)  # session, scope
        if query is None:
            page = client.get(url).content.decode()
            m = re.search(r'href="\?([^"]*after=[^"]+)"', page)
            query = "?" + m.group(1).replace("&amp;", "&") if m else ""
        times = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                r = client.get(url + query)
                times.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.status_code
        rows = r.content.decode().count("<tr>") - 1
        print(
            f"{label}: median {statistics.median(times) * 1000:.0f} ms, "
            f"{len(ctx.captured_queries)} queries, {rows} rows"
        )
        if label in ("whole estate", "unit handler") and os.environ.get("BENCH_PLAN"):
            sql = max(ctx.captured_queries, key=lambda q: len(q["sql"]))["sql"]
            explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
            with connection.cursor() as cursor:
                cursor.execute(explain + sql)
                for row in cursor.fetchall():
                    print("   ", row[-1])


if __name__ == "__main__":
    main()
