"""Time a scanner report import of 100,000 findings (not a test; run by hand).

    .venv/bin/python bench/bench_scan_import.py [--db sqlite|postgres] [--hosts 2000] [--plugins 50]

Generates a `.nessus` of hosts × plugins findings (≈50 MB for 2,000 × 50) in
/tmp/fp-bench-scans, builds a system whose assets own every host's address, then imports
the file twice, each time in a fresh child process, and prints for each: the wall time,
the child's peak RSS (resource.getrusage) and the counts. The second import must create
nothing (0 new duplicates). A third import of the same hosts without the last five
plugins closes a tenth of the findings (set-based updates). PostgreSQL: --db postgres uses
postgres://postgres@127.0.0.1:5432/fp_scans_bench (dropped and created anew)."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path("/tmp/fp-bench-scans")
PG_URL = "postgres://postgres@127.0.0.1:5432/fp_scans_bench"

DESCRIPTION = (
    "The remote host is affected by a vulnerability in the service listening on this port. "
    "An unauthenticated, remote attacker can exploit this to disclose sensitive information."
)


def generate(path: Path, hosts: int, plugins: int) -> int:
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" ?>\n<NessusClientData_v2>\n<Report name="bench">\n')
        for h in range(hosts):
            ip = f"10.{h // 65536}.{(h // 256) % 256}.{h % 256}"
            out.write(
                f'<ReportHost name="{ip}"><HostProperties>\n'
                f'<tag name="host-ip">{ip}</tag>\n<tag name="host-fqdn">srv-{h}.bench.local</tag>\n'
                "</HostProperties>\n"
            )
            for p in range(plugins):
                plugin = 100000 + p
                cvss = f"{(p % 100) / 10:.1f}" if p % 10 else ""
                severity = 1 + p % 4
                out.write(
                    f'<ReportItem port="{1000 + p}" svc_name="www" protocol="tcp" '
                    f'severity="{severity}" pluginID="{plugin}" '
                    f'pluginName="Bench plugin {plugin} remote vulnerability" pluginFamily="General">\n'
                    f"<cve>CVE-2024-{plugin}</cve>\n"
                    + (f"<cvss3_base_score>{cvss}</cvss3_base_score>\n" if cvss else "")
                    + "<risk_factor>Medium</risk_factor>\n"
                    f"<description>{DESCRIPTION}</description>\n"
                    "<solution>Upgrade to the latest version of the software.</solution>\n"
                    "<synopsis>The remote service is affected by a vulnerability.</synopsis>\n"
                    f"<plugin_output>Installed version : 1.{h}.{p}\nFixed version : 2.0</plugin_output>\n"
                    "</ReportItem>\n"
                )
            out.write("</ReportHost>\n")
        out.write("</Report>\n</NessusClientData_v2>\n")
    return hosts * plugins


def child_env(db: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src")
    env["DJANGO_SETTINGS_MODULE"] = "fengping.settings"
    env["FENGPING_DATA_DIR"] = str(WORK / "data")
    if db == "postgres":
        env["DATABASE_URL"] = PG_URL
    else:
        env.pop("DATABASE_URL", None)
    return env


def run_child(db: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        env=child_env(db),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(out.returncode)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ in the child


def _setup_django() -> None:
    import django

    django.setup()


def child_setup(hosts: int) -> dict:
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from fengping.infosec.models import AddressKind, Asset, AssetAddress, System
    from fengping.org import actions
    from fengping.org.models import DepartmentKind

    su = actions.do_create_superuser(
        username="root", password="Bench-password-2026", real_name="root"
    )
    root = actions.do_create_department(su, name="示范市", code="SFS", kind=DepartmentKind.DECIDING)
    dept = actions.do_create_department(
        su, name="大数据局", code="DSJ", kind="functional", parent=root
    )
    user, _ = actions.do_create_user(
        su,
        username="bench",
        real_name="bench",
        department=dept,
        role="handler",
        password="Bench-password-2026",
    )
    system = System.objects.create(
        department=dept, code="BENCH", name="压测系统", protection_level=3, created_by=user
    )
    assets = Asset.objects.bulk_create(
        [
            Asset(
                system=system,
                code=f"A-{h:05d}",
                name=f"服务器{h}",
                ips=f"10.{h // 65536}.{(h // 256) % 256}.{h % 256}",
                confidentiality=3,
                integrity=3,
                availability=3,
                value=3,
            )
            for h in range(hosts)
        ],
        batch_size=1000,
    )
    assets = list(Asset.objects.filter(system=system).order_by("code"))
    AssetAddress.objects.bulk_create(
        [AssetAddress(system=system, asset=a, kind=AddressKind.IP, value=a.ips) for a in assets],
        batch_size=1000,
    )
    return {"system": system.code, "assets": len(assets)}


def child_import(path: str) -> dict:
    _setup_django()
    from pathlib import Path as P

    from fengping.infosec.models import System, Vulnerability
    from fengping.infosec.scan_import import cli_import
    from fengping.org.models import User

    user = User.objects.get(username="bench")
    system = System.objects.get(code="BENCH")
    started = time.perf_counter()
    line = cli_import(user, system, P(path))
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "summary": line,
        "rows": Vulnerability.objects.filter(system=system).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--plugins", type=int, default=50)
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = child_setup(int(rest[0])) if kind == "setup" else child_import(rest[0])
        print(json.dumps(result, ensure_ascii=False))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    data = WORK / "data"
    if args.db == "sqlite":
        for f in data.glob("fengping.sqlite3*"):
            f.unlink()
    else:
        import psycopg

        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute("DROP DATABASE IF EXISTS fp_scans_bench")
            c.execute("CREATE DATABASE fp_scans_bench")
    data.mkdir(exist_ok=True)
    report = WORK / f"scan-{args.hosts}x{args.plugins}.nessus"
    started = time.perf_counter()
    if not report.exists():
        generate(report, args.hosts, args.plugins)
    print(
        f"file {report} {report.stat().st_size / 1048576:.1f} MB, "
        f"{args.hosts * args.plugins} findings ({time.perf_counter() - started:.1f} s to write)"
    )
    print("setup", run_child(args.db, "setup", str(args.hosts)))
    first = run_child(args.db, "import", str(report))
    print(f"[{args.db}] first import : {first['seconds']} s, peak RSS {first['peak_rss_mb']} MB")
    print("  ", first["summary"])
    second = run_child(args.db, "import", str(report))
    print(f"[{args.db}] re-import    : {second['seconds']} s, peak RSS {second['peak_rss_mb']} MB")
    print("  ", second["summary"])
    print(
        f"   rows after: {first['rows']} then {second['rows']} (new duplicates: "
        f"{second['rows'] - first['rows']})"
    )
    # A re-scan of the same hosts where the last 5 plugins no longer fire: closes 10%.
    fewer = WORK / f"scan-{args.hosts}x{args.plugins - 5}.nessus"
    if not fewer.exists():
        generate(fewer, args.hosts, args.plugins - 5)
    third = run_child(args.db, "import", str(fewer))
    print(
        f"[{args.db}] re-scan, fewer findings: {third['seconds']} s, "
        f"peak RSS {third['peak_rss_mb']} MB"
    )
    print("  ", third["summary"])


if __name__ == "__main__":
    main()
