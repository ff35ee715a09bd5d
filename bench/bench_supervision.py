"""Issue 12's load: the supervising offices' pages and every list at a whole city's volume
(not a test; run by hand).

    .venv/bin/python bench/bench_supervision.py --db sqlite
    .venv/bin/python bench/bench_supervision.py --db postgres
    .venv/bin/python bench/bench_supervision.py --db sqlite --no-seed --no-load   # pages only

1. Seeds (deterministic; each part topped up to its target, so a second run reuses it):
   the demo organisation with 20 bench users (`bench_load.py`), 100,000 matters and 5,000
   assessments (`bench_load.py`'s seeding), 1,000,000 cases in 20 political-legal organs
   with this month's and last month's screening, an information system with 10,000
   assets × 50 threats = 500,000 risk scenarios (computed by `do_compute_risk`),
   1,000,000 audit events appended to the hash chain, and the supervision data the
   obliged departments would have (plans, reports).
2. Times `fengping tick` over that data (every job due: obligations sync, reminders, …).
3. Times the server side of the dashboard and every list page: the Django test client in
   this process, signed in as a 督查 (bench02) — median of 7 after one warm-up — with
   the query count.
4. Starts `fengping serve` in production mode (its defaults: CPU cores + 1 workers of 2
   threads) and runs 20 concurrent clients for 60 s over the same URLs
   (`bench_load.run_load`): median, p95, p99, errors, requests/s.

Measured 2026-12-06 on the shared 2-core machine (the load generator on the same cores),
100,000 matters, 5,000 assessments, 1,000,000 cases, 500,000 scenarios, 1,000,000 events:

| | SQLite | PostgreSQL 15 |
|---|---|---|
| `fengping tick`, every job due | 2.6 s | 1.9 s |
| slowest page, server time (median of 7) | 25 ms (assessments list) | 27 ms (应评未评 matters, matters list) |
| dashboard, cached / first in a worker | 6 ms / 687 ms | 11 ms / 400 ms |
| other lists (matters, cases, audit log, risk register …) | 7–25 ms | 8–27 ms |
| 20 clients × 60 s, 23 URLs: requests/s | 97.3 | 84.9 |
| … median / p95 / p99 | 194 / 319 / 390 ms | 187 / 474 / 579 ms |
| errors | 0 | 0 |

Every page is under the 150 ms server-time target, and the p95 under 20 clients is under
500 ms on both databases. What it took (the same session measured 24–32 requests/s and a
p95 of 1.1–1.8 s before): list rows and the sidebar joined in Python instead of by the
template engine, capped counts remembered for a minute, SQLite connections kept, workers
of 2 threads instead of 4 (4 contended for the GIL), and workers forked warm with what the
master loaded frozen out of the garbage collector's sight (a quarter of a worker's CPU went
to collections walking the URL conf, the schemes and the templates). The daily audit-chain
verification of 1,000,000 events runs in the job worker, not in the tick. Against CISO
Assistant's 4.5 requests/s and p95 4.5 s at 10,000 scenarios: 19× the throughput and a
9.5× lower p95 on PostgreSQL (22× and 14× on SQLite), at 50× the scenarios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_load as bl  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--database-url")
    p.add_argument("--data-dir", help="FENGPING_DATA_DIR (default /tmp/fp-sv-<db>)")
    p.add_argument("--matters", type=int, default=100_000)
    p.add_argument("--assessments", type=int, default=5_000)
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--organs", type=int, default=20)
    p.add_argument("--assets", type=int, default=10_000)
    p.add_argument("--threats", type=int, default=50)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument(
        "--workers", type=int, default=(os.cpu_count() or 1) + 1, help="as `fengping serve`"
    )
    p.add_argument("--threads", type=int, default=2, help="as `fengping serve`")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--no-seed", action="store_true")
    p.add_argument("--no-load", action="store_true")
    p.add_argument("--no-tick", action="store_true")
    args = p.parse_args(argv)
    args.data_dir = args.data_dir or f"/tmp/fp-sv-{args.db}"  # noqa: S108
    if args.db == "postgres" and not args.database_url:
        args.database_url = "postgres://postgres@127.0.0.1:5432/fengping_sv"
    return args


def step(label: str, fn: Any) -> Any:
    t0 = time.perf_counter()
    out = fn()
    print(f"seed: {label:<58} {time.perf_counter() - t0:7.1f} s", flush=True)
    return out


# ---------------------------------------------------------------- cases

KINDS = ["court", "procuratorate", "public_security", "justice"]
KIND_NAMES = {
    "court": "人民法院",
    "procuratorate": "人民检察院",
    "public_security": "公安分局",
    "justice": "司法局",
}
STAGES = {
    "court": ["accepted", "trial", "trial", "ruling", "execution", "closed", "closed"],
    "procuratorate": ["accepted", "review", "review", "decision", "closed", "closed"],
    "public_security": ["accepted", "investigation", "decision", "execution", "closed"],
    "justice": ["accepted", "review", "decision", "closed", "closed"],
}
CATEGORIES = {
    "court": ["civil"] * 6 + ["criminal"] * 2 + ["administrative", "enforcement"],
    "procuratorate": ["criminal"] * 8 + ["civil", "administrative"],
    "public_security": ["public_order"] * 6 + ["criminal"] * 4,
    "justice": ["administrative"] * 5 + ["civil"] * 5,
}
FACTS = [
    "{a}与{b}因买卖合同发生纠纷，{b}未按约定支付货款，{a}诉至法院。",
    "原告{a}诉称被告{b}借款到期未还，请求判令归还本金及利息。",
    "{a}等十余名农民工称{b}拖欠工资，多次讨薪无果。",
    "案涉征地拆迁补偿款分配存在争议，部分村民对补偿标准不满。",
    "当事人称将向媒体曝光，相关帖子已在网络上传播。",
    "{a}驾驶机动车与行人发生碰撞，双方就赔偿数额协商未果。",
    "{b}与{a}之间劳动合同解除后，就经济补偿金产生争议。",
]
NAMES = ["张某", "李某某", "王某", "刘某", "陈某某", "杨某"]
SUBJECTS = ["某建筑公司", "某物业公司", "某房地产开发有限公司", "某村民委员会"]
CASE_COLUMNS = [
    "organ_id",
    "number",
    "title",
    "category",
    "stage",
    "stage_since",
    "accepted_on",
    "amount",
    "parties",
    "party_count",
    "involved_count",
    "vulnerable_groups",
    "coercive_measures",
    "public_attention",
    "socially_sensitive",
    "officer_misconduct",
    "major_complex",
    "brief_facts",
    "terms_mask",
    "terms_key",
    "risk_open",
    "assessed",
    "confirmation_needed",
    "risk_level",
    "version",
    "created_at",
    "updated_at",
]


def write(table: str, columns: list[str], rows: Any) -> None:
    """Raw rows: COPY on PostgreSQL, executemany on SQLite (this measures pages, not seeding)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with (
            connection.cursor() as c,
            c.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return

    def adapt(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            v.isoformat(sep=" ")
            if isinstance(v, dt.datetime)
            else v.isoformat()
            if isinstance(v, dt.date)
            else v
            for v in row
        )

    marks = ", ".join("?" for _ in columns)
    connection.ensure_connection()
    connection.connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
        map(adapt, rows),
    )


def seed_cases(n_cases: int, n_organs: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from fengping.cases.models import Case, OrganProfile
    from fengping.org import actions as org_actions
    from fengping.org.models import Department, DepartmentKind, User
    from fengping.schemebook import registry
    from fengping.schemes.case_rules import keyword_vocabulary, terms_mask, vocabulary_key

    admin = User.objects.get(username="admin")
    root = Department.objects.get(code="SFS")
    organs = []
    for i in range(n_organs):
        kind = KINDS[i % 4]
        code = f"SFS-PL{i:02d}"
        dept = Department.objects.filter(code=code).first() or org_actions.do_create_department(
            admin,
            name=f"第{i + 1}{KIND_NAMES[kind]}",
            code=code,
            kind=DepartmentKind.POLITICAL_LEGAL,
            parent=root,
        )
        OrganProfile.objects.get_or_create(department=dept, defaults={"organ_kind": kind})
        organs.append((dept, kind))
    have = Case.objects.filter(organ__code__startswith="SFS-PL").count()
    if have >= n_cases:
        return
    section = registry.get("case-risk").cases
    vocab = keyword_vocabulary(c.model_dump() for c in section.screening.criteria)
    key = vocabulary_key(vocab)
    today = timezone.localdate()
    now = timezone.now()
    per = (n_cases - have) // n_organs
    rng = random.Random(2026)

    def rows(organ: Any, kind: str, start: int) -> Any:
        for j in range(per):
            age = int(rng.expovariate(1 / 150))
            accepted = today - dt.timedelta(days=age)
            facts = rng.choice(FACTS).format(a=rng.choice(NAMES), b=rng.choice(SUBJECTS))
            yield (
                organ.pk,
                f"（{accepted.year}）{organ.code}第{start + j}号",
                f"{rng.choice(NAMES)}与{rng.choice(SUBJECTS)}纠纷案",
                rng.choice(CATEGORIES[kind]),
                rng.choice(STAGES[kind]),
                accepted + dt.timedelta(days=rng.randint(0, age)),
                accepted,
                None if rng.random() < 0.3 else round(rng.lognormvariate(10, 2), 2),
                "",
                rng.choice([1, 2, 2, 2, 3]),
                rng.choice([1, 1, 2, 3]) if rng.random() > 0.03 else rng.randint(10, 80),
                "",
                "",
                rng.random() < 0.02,
                rng.random() < 0.015,
                rng.random() < 0.002,
                rng.random() < 0.03,
                facts,
                terms_mask(facts, vocab),
                key,
                False,
                False,
                False,
                "",
                1,
                now,
                now,
            )

    with transaction.atomic():
        for organ, kind in organs:
            write(Case._meta.db_table, CASE_COLUMNS, rows(organ, kind, have + 1))


def screen_cases() -> None:
    from django.utils import timezone

    from fengping.cases import screening as sc
    from fengping.cases.models import OrganProfile, ScreeningRun

    month = sc.month_start(timezone.localdate())
    last = sc.month_start(month - dt.timedelta(days=1))
    for profile in OrganProfile.objects.filter(department__code__startswith="SFS-PL"):
        for m in (last, month):
            if not ScreeningRun.objects.filter(organ=profile.department, month=m).exists():
                sc.screen(profile, m)


# ---------------------------------------------------------------- risk scenarios

ONE_ASPECT = {
    "malicious_code": "technical",
    "network_attack": "technical",
    "tampering": "technical",
    "physical_environment": "operations",
    "physical_attack": "operations",
    "poor_management": "management",
}


def seed_scenarios(n_assets: int, n_threats: int) -> None:
    from fengping.infosec.actions.assessments import do_start_assessment
    from fengping.infosec.actions.risk import do_compute_risk
    from fengping.infosec.models import Asset, Scenario, System, ThreatRating, Vulnerability
    from fengping.org.models import Department, User

    if Scenario.objects.filter(assessment__system__code="BENCH-RISK").exists():
        return
    admin = User.objects.get(username="admin")
    dept = Department.objects.get(code="SFS-RSJ")
    system = System.objects.filter(code="BENCH-RISK").first() or System.objects.create(
        department=dept,
        code="BENCH-RISK",
        name="社保业务基准系统",
        protection_level=3,
        created_by=admin,
    )
    if not system.assets.exists():
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
                for i in range(n_assets)
            ],
            batch_size=2000,
        )
        ids = list(system.assets.order_by("pk").values_list("pk", flat=True))
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
                for pk in ids
                for k, aspect in enumerate(("technical", "operations", "management"))
            ],
            batch_size=2000,
        )
    a = system.assessments.first() or do_start_assessment(admin, system, title="基准评估")
    if not ThreatRating.objects.filter(assessment=a).exists():
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
                for j in range(n_threats)
            ]
        )
    do_compute_risk(admin, a)


# ---------------------------------------------------------------- audit events

ACTIONS = [
    ("matters.matter.register", "matters.matter"),
    ("assessments.step.complete", "assessments.assessment"),
    ("assessments.factor.save", "assessments.riskfactor"),
    ("cases.case.update", "cases.case"),
    ("opinions.response.add", "opinions.response"),
    ("org.user.login", "org.user"),
]


def seed_events(target: int) -> None:
    """Events appended to the chain as `audit.chain.record` would, hashes and all, in
    batches (one transaction each, the chain head moved at the end of each)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from fengping.audit import chain
    from fengping.audit.models import ChainHead, Event

    # Events seeded by an earlier version of this script named no department: drop them
    # (raw: the log is append-only for the application) and move the head back.
    with connection.cursor() as c:
        c.execute(
            f"DELETE FROM {Event._meta.db_table} WHERE object_repr LIKE %s AND scope_path = ''",
            ["基准对象%"],
        )
    last = Event.objects.order_by("-seq").first()
    ChainHead.objects.update_or_create(
        pk=1,
        defaults={
            "last_seq": last.seq if last else 0,
            "last_hash": last.hash if last else "0" * 64,
        },
    )
    have = Event.objects.count()
    if have >= target:
        return
    from fengping.org.models import Department

    users = [(n, f"bench{n:02d}") for n in range(1, 21)]
    # Every event names the department its object belongs to, as `record` does.
    paths = list(Department.objects.values_list("path", flat=True))
    rng = random.Random(f"events-{have}")
    batch = 20_000
    while have < target:
        with transaction.atomic():
            head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
            seq, prev = head.last_seq, head.last_hash
            now = timezone.now()
            events = []
            for i in range(min(batch, target - have)):
                action, otype = rng.choice(ACTIONS)
                uid, uname = rng.choice(users)
                seq += 1
                e = Event(
                    seq=seq,
                    at=now - dt.timedelta(seconds=(target - have - i) * 30),
                    actor_id=uid,
                    actor_name=uname,
                    action=action,
                    object_type=otype,
                    object_id=str(rng.randint(1, 100_000)),
                    object_repr=f"基准对象{seq}",
                    scope_path=rng.choice(paths),
                    before=None,
                    after={"n": seq},
                    prev_hash=prev,
                )
                e.hash = chain._event_hash(e)
                prev = e.hash
                events.append(e)
            Event.objects.bulk_create(events, batch_size=5000)
            head.last_seq, head.last_hash = seq, prev
            head.save(update_fields=["last_seq", "last_hash"])
            have += len(events)


# ---------------------------------------------------------------- measuring


def timed_get(client: Any, path: str, repeat: int) -> tuple[float, int, int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    t0 = time.perf_counter()
    client.get(path)
    cold = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as q:
            t0 = time.perf_counter()
            r = client.get(path)
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, len(q.captured_queries), r.status_code, cold


def page_mix() -> list[tuple[str, str]]:
    """The dashboard and every list page a supervising office opens."""
    from fengping.cases.models import ScreeningRun
    from fengping.infosec.models import SystemAssessment

    risk = SystemAssessment.objects.filter(system__code="BENCH-RISK").first()
    run = ScreeningRun.objects.filter(organ__code__startswith="SFS-PL").order_by("-id").first()
    mix = [
        ("dashboard", "/supervision/dashboard/"),
        ("todo (all)", "/supervision/todo/all/"),
        ("todo overdue", "/supervision/todo/all/?status=overdue"),
        ("calendar", "/supervision/calendar/?scope=all"),
        ("plans", "/supervision/plans/"),
        ("rules", "/supervision/rules/"),
        ("reports", "/supervision/reports/"),
        ("reports overview", "/supervision/reports/overview/"),
        ("unassessed matters", "/supervision/unassessed/"),
        ("unassessed cases", "/supervision/unassessed/cases/"),
        ("unassessed systems", "/supervision/unassessed/systems/"),
        ("incidents", "/supervision/incidents/"),
        ("accountability", "/supervision/accountability/"),
        ("notices", "/supervision/notices/"),
        ("notifications", "/supervision/notifications/"),
        ("evaluation", "/supervision/evaluation/"),
        ("matters list", "/matters/"),
        ("assessments list", "/assessments/"),
        ("cases list", "/cases/"),
        ("audit log", "/audit/"),
        ("audit log, one action", "/audit/?action=cases.case.update"),
    ]
    if run is not None:
        mix.append(("screening work list", f"/cases/screening/runs/{run.pk}/worklist/"))
    if risk is not None:
        mix.append(("risk register", f"/infosec/assessments/{risk.pk}/risk/"))
    return mix


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    bl.configure(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test import Client

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    if not args.no_seed:
        call_command("migrate", interactive=False, verbosity=0)
        step("organisation and 20 bench users", bl.seed_users)
        step(f"{args.matters:,} matters", lambda: bl.seed_matters(args.matters))
        step(
            f"{args.assessments:,} assessments",
            lambda: bl.seed_assessments(args.assessments, exclude_matter=0),
        )
        step(f"{args.cases:,} cases", lambda: seed_cases(args.cases, args.organs))
        step("the screening of two months", screen_cases)
        step(
            f"{args.assets * args.threats:,} risk scenarios",
            lambda: seed_scenarios(args.assets, args.threats),
        )
        step(f"{args.events:,} audit events", lambda: seed_events(args.events))
        step("planner statistics", bl.refresh_statistics)
    if not args.no_tick:
        from fengping.core.models import TickRun
        from fengping.core.tick import JOBS, tick

        TickRun.objects.all().delete()
        print("\nfengping tick, every job due:")
        total = 0.0
        for name in list(JOBS):
            only = {name: JOBS[name]}
            saved = dict(JOBS)
            JOBS.clear()
            JOBS.update(only)
            try:
                t0 = time.perf_counter()
                (o,) = tick()
                spent = time.perf_counter() - t0
            finally:
                JOBS.clear()
                JOBS.update(saved)
            total += spent
            print(f"  {o.job:<34} {spent:6.2f} s  {o.status:<7} {o.detail[:70]}")
        print(f"  {'total':<34} {total:6.2f} s")
    call_command("collectstatic", interactive=False, verbosity=0)
    mix = page_mix()
    client = Client(HTTP_HOST="127.0.0.1")
    from fengping.org.models import User

    client.force_login(User.objects.get(username="bench02"))
    print(f"\nServer time (in-process, median of {args.repeat}, 督查 bench02):")
    print(f"  {'page':<24} {'ms':>8} {'first ms':>9} {'queries':>8}  status")
    for name, path in mix:
        ms, queries, status, cold = timed_get(client, path, args.repeat)
        flag = "" if ms <= 150 else "  > 150 ms"
        print(f"  {name:<24} {ms:>8.1f} {cold:>9.1f} {queries:>8}  {status}{flag}")
    if args.no_load:
        return
    connections.close_all()
    server = bl.start_server(args.workers, args.threads)
    try:
        samples, elapsed = bl.run_load(server, mix, args.clients, args.duration, args.timeout)
        bl.report(samples, mix, elapsed)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
