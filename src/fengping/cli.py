"""The `fengping` command: serve, demo, createadmin, tick, audit verify|export|purge|key,
check, worker, scheme check|list|show, score isra, backup, restore.

Arguments are parsed before Django starts, so `--help` works without any configuration;
a wrong configuration stops with one line (Chinese / English) and exit status 2.
"""

from __future__ import annotations

import argparse
import gc
import getpass
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengping.settings")
    from fengping.conf import ConfigError

    try:
        import django

        django.setup()
    except ConfigError as exc:
        print(f"配置错误 / configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fengping",
        description="风评 —— 重大事项风险评估工作台 / fengping — a risk-assessment workbench",
        epilog="配置通过环境变量给出，见 README / configuration comes from environment variables, see README",
    )
    sub = p.add_subparsers(dest="command", metavar="命令/command", required=True)

    s = sub.add_parser(
        "serve",
        help="迁移数据库、收集静态文件并启动服务 / migrate, collect static files and serve",
        description="迁移数据库、收集静态文件，然后用 gunicorn 提供服务 / migrate the database, collect static files, then serve with gunicorn",
    )
    s.add_argument(
        "--host", default="127.0.0.1", help="监听地址 / address to listen on (default 127.0.0.1)"
    )
    s.add_argument("--port", type=int, default=8000, help="端口 / port (default 8000)")
    s.add_argument(
        "--workers",
        type=int,
        default=(os.cpu_count() or 1) + 1,
        help="工作进程数 / worker processes (default: CPU cores + 1)",
    )
    s.add_argument(
        "--threads",
        type=int,
        default=2,
        help="每个工作进程的线程数 / threads per worker process (default 2)",
    )
    s.add_argument("--no-migrate", action="store_true", help="不执行迁移 / skip migrations")
    s.add_argument(
        "--no-worker",
        action="store_true",
        help="不启动后台任务进程（另行运行 fengping worker） / do not start the background job "
        "worker (run `fengping worker` separately)",
    )

    sub.add_parser(
        "demo",
        help="创建演示组织和用户（可重复执行） / create the demo organisation and users (idempotent)",
        description="创建演示组织、部门、用户与领导小组；重复执行不会重复创建 / create the demo organisation; running it again creates nothing twice",
    )

    a = sub.add_parser(
        "createadmin",
        help="创建三员（系统、安全、审计管理员） / create the three administrators",
        description=(
            "默认创建三个账号：系统管理员、安全管理员和审计管理员（三员分立，等保三级），各有一次性"
            "密码（只显示一次，首次登录须修改），在顶级组织任职；--single 只创建一个兼任全部权限的"
            "超级管理员（不满足等保三级） / by default create three accounts: the system, security "
            "and audit administrators (separation of duties, MLPS level 3), each with a one-time "
            "password shown once and changed at the first login, members of the top-level "
            "organisation; --single creates one superuser holding every power (does not meet "
            "MLPS level 3)"
        ),
    )
    a.add_argument(
        "--system", default="", help="系统管理员用户名（默认 sysadmin） / system administrator"
    )
    a.add_argument(
        "--security", default="", help="安全管理员用户名（默认 secadmin） / security administrator"
    )
    a.add_argument(
        "--audit", default="", help="审计管理员用户名（默认 auditadmin） / audit administrator"
    )
    a.add_argument(
        "--single",
        action="store_true",
        help="只创建一个超级管理员（小单位；三员未分立） / one superuser only (small office; no separation)",
    )
    a.add_argument("--username", default="", help="--single 的用户名 / user name with --single")
    a.add_argument("--real-name", default="", help="姓名（--single） / real name (--single)")
    a.add_argument("--email", default="", help="电子邮箱（--single） / email (--single)")
    a.add_argument(
        "--org",
        default="",
        help="顶级组织名称（尚无组织时创建） / top-level organisation name (created if none exists)",
    )
    a.add_argument(
        "--org-code", default="ORG", help="新建顶级组织的编码 / code of a new organisation"
    )
    a.add_argument(
        "--password-stdin",
        action="store_true",
        help="从标准输入读取密码（--single） / read the password from standard input (--single)",
    )

    sub.add_parser(
        "tick",
        help="执行到期的定时任务（幂等） / run due periodic work (idempotent)",
        description="执行到期的定时任务；同一周期内重复执行不会重复运行 / run periodic jobs that are due; a second run in the same period does nothing",
    )

    au = sub.add_parser(
        "audit", help="审计链 / audit chain", description="审计链工具 / audit chain tools"
    )
    au_sub = au.add_subparsers(dest="audit_command", metavar="子命令/subcommand", required=True)
    verify = au_sub.add_parser(
        "verify",
        help="校验审计链，断裂时以非零状态退出 / verify the chain; exit non-zero when broken",
        description="从第一条事件起重新计算哈希链；可同时核对报告或档案目录上打印的锚点 / recompute the hash chain from the first event; optionally check anchors printed on reports or archive indexes",
    )
    verify.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="SEQ:HASH",
        help="报告或档案目录上打印的锚点，可重复 / an anchor printed on a report or archive index (repeatable)",
    )
    verify.add_argument(
        "--bundle",
        default="",
        metavar="FILE",
        help="改为校验导出的审计包（不需要数据库，可在另一台机器上执行） / verify an exported "
        "bundle instead (needs no database: runs on another machine)",
    )
    verify.add_argument(
        "--key",
        default="",
        metavar="FINGERPRINT",
        help="审计包应由此指纹的密钥签名（见 fengping audit key） / the fingerprint of the key "
        "the bundle must be signed with (see `fengping audit key`)",
    )
    ex = au_sub.add_parser(
        "export",
        help="导出签名的审计包 / export a signed audit bundle",
        description=(
            "把起止日期（本地时区，含两端）内的审计事件连同前序哈希、链头和清单写成用本机密钥签名的"
            " .zip 审计包 / write the events from --from to --to (local dates, both included) with"
            " the previous hash, the chain head and a manifest into a .zip signed with this"
            " installation's key"
        ),
    )
    ex.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    ex.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    ex.add_argument(
        "--out",
        default="",
        metavar="FILE",
        help="输出文件（默认 fengping-audit-<起>-<止>.zip） / output file (default "
        "fengping-audit-<from>-<to>.zip)",
    )
    pg = au_sub.add_parser(
        "purge",
        help="清理超过留存期的审计事件 / purge audit events past the retention",
        description=(
            "删除 DATE 之前的审计事件；DATE 不得晚于今天减去留存天数（FENGPING_AUDIT_RETENTION_DAYS，"
            "至少 180），且这些事件须已完整导出 / delete the events before DATE; DATE must not be later"
            " than today minus FENGPING_AUDIT_RETENTION_DAYS (at least 180) and the events must"
            " have been exported in full"
        ),
    )
    pg.add_argument("--before", required=True, metavar="YYYY-MM-DD")
    pg.add_argument(
        "--bundle",
        default="",
        metavar="FILE",
        help="覆盖待清理事件的审计包（否则须有导出记录） / a bundle covering the events (else a "
        "recorded export must cover them)",
    )
    au_sub.add_parser(
        "key",
        help="显示审计包签名密钥的指纹 / show the fingerprint of the bundle signing key",
        description="首次使用时在数据目录生成 Ed25519 密钥 / the Ed25519 key is generated in "
        "the data directory on first use",
    )

    bk = sub.add_parser(
        "backup",
        help="备份数据库和上传的文件 / back up the database and the uploaded files",
        description=(
            "备份数据库（SQLite 在线备份或 pg_dump）和数据目录中的文件，写出带 SHA-256 和审计链锚点的"
            "清单 manifest.json；服务运行时也可执行 / back up the database (SQLite online backup or "
            "pg_dump) and the data directory's files with a manifest.json of SHA-256 sums and the "
            "audit chain head; safe while the server runs"
        ),
    )
    bk.add_argument(
        "--to",
        default="",
        metavar="DIR",
        help="备份写入 DIR/<时间>/（默认数据目录下 backups/） / write the backup into "
        "DIR/<timestamp>/ (default: backups/ in the data directory)",
    )
    rs = sub.add_parser(
        "restore",
        help="从备份恢复数据库和文件 / restore the database and files from a backup",
        description=(
            "先核对清单中每个文件的大小和 SHA-256，有缺失或改动即拒绝；目标数据库已有数据时拒绝，"
            "除非加 --force；恢复后校验审计链 / check every file's size and SHA-256 against the "
            "manifest and refuse a damaged backup; refuse a target database that holds data "
            "unless --force; verify the audit chain afterwards"
        ),
    )
    rs.add_argument("backup_dir", metavar="BACKUP_DIR", help="备份目录 / backup directory")
    rs.add_argument(
        "--force",
        action="store_true",
        help="覆盖已有数据的数据库 / overwrite a database that already holds data",
    )

    sub.add_parser(
        "check",
        help="检查配置与数据库状态 / check configuration and database health",
        description="检查配置、数据目录、数据库连接、迁移和静态文件 / check configuration, data directory, database, migrations and static files",
    )
    sub.add_parser(
        "worker",
        help="运行后台任务进程 / run the background job worker",
        description="处理后台任务队列（django-tasks 数据库后端） / process the background job queue",
    )
    sc = sub.add_parser(
        "scheme",
        help="评估方案：校验、列出、查看 / assessment schemes: check, list, show",
        description="评估方案（YAML）工具 / tools for assessment schemes (YAML files)",
    )
    sc_sub = sc.add_subparsers(dest="scheme_command", metavar="子命令/subcommand", required=True)
    chk = sc_sub.add_parser(
        "check",
        help="校验方案文件 / validate a scheme file",
        description="校验方案文件；有错时逐条给出文件、位置和原因，以非零状态退出 / validate a scheme file; on errors name the file, the path inside it and what is wrong, and exit 1",
    )
    chk.add_argument("file", help="YAML 文件 / YAML file")
    sc_sub.add_parser(
        "list",
        help="列出可用方案 / list the available schemes",
        description="列出内置、放入数据目录 schemes/ 和上传的方案 / list built-in, dropped-in (data directory schemes/) and uploaded schemes",
    )
    show = sc_sub.add_parser(
        "show",
        help="显示一个方案 / show one scheme",
        description="显示一个方案的全部内容 / show one scheme in full",
    )
    show.add_argument("key", help="方案标识，如 ssra-town / scheme key, e.g. ssra-town")
    show.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")

    so = sub.add_parser(
        "score",
        help="批量计算风险值 / score risk scenarios in bulk",
        description="批量计算风险值 / score risk scenarios in bulk",
    )
    so_sub = so.add_subparsers(dest="score_command", metavar="子命令/subcommand", required=True)
    isra = so_sub.add_parser(
        "isra",
        help="按 GB/T 20984 计算信息安全风险 / GB/T 20984 information-security risk",
        description=(
            "读取 CSV 列 asset_value, threat_frequency, vuln_severity（可选 measure_effect），"
            "输出同样的行并加上 likelihood, loss, risk_value, risk_level；有错行时逐行报告且不写出文件"
            " / read CSV columns asset_value, threat_frequency, vuln_severity (optional measure_effect) "
            "and write the rows with likelihood, loss, risk_value, risk_level added; bad rows are "
            "reported by line and nothing is written"
        ),
    )
    isra.add_argument("--input", required=True, help="输入 CSV / input CSV file")
    isra.add_argument("--output", required=True, help="输出 CSV / output CSV file")
    isra.add_argument(
        "--method",
        choices=["matrix", "multiply"],
        help="矩阵法或相乘法（默认取方案设定） / matrix or multiplication method (default: the scheme's)",
    )
    isra.add_argument(
        "--scheme", default="isra", help="方案标识（默认 isra） / scheme key (default isra)"
    )

    inf = sub.add_parser(
        "infosec",
        help="信息安全：导入扫描报告、资产清单 / information security: import scans and assets",
        description=(
            "与网页导入相同的检查；全部成功才写入，失败时返回非零并说明原因"
            " / the same checks as the import page; all or nothing, non-zero exit with the reason"
        ),
    )
    inf_sub = inf.add_subparsers(dest="infosec_command", metavar="子命令/subcommand", required=True)
    for name, what_zh, what_en in (
        (
            "import-scan",
            "漏洞扫描报告（.nessus、OpenVAS/GVM XML 或 CSV）",
            "a scanner report (.nessus, OpenVAS/GVM XML or CSV)",
        ),
        ("import-assets", "资产清单（XLSX 或 CSV）", "an asset list (XLSX or CSV)"),
    ):
        cmd = inf_sub.add_parser(
            name,
            help=f"导入{what_zh} / import {what_en}",
            description=f"导入{what_zh} / import {what_en}",
        )
        cmd.add_argument("--system", required=True, help="系统编号 / system code")
        cmd.add_argument(
            "--user",
            default=os.environ.get("FENGPING_USER", ""),
            help="以哪个用户的名义导入（默认取环境变量 FENGPING_USER） / the user the import runs as "
            "(default: $FENGPING_USER)",
        )
        cmd.add_argument("file", help="文件 / file")

    cs = sub.add_parser(
        "cases",
        help="办案风险评估：导入案件、月度排查 / case risk: import cases, monthly screening",
        description=(
            "与网页相同的检查；失败时返回非零并说明原因"
            " / the same checks as the pages; non-zero exit with the reason on a refusal"
        ),
    )
    cs_sub = cs.add_subparsers(dest="cases_command", metavar="子命令/subcommand", required=True)
    ci = cs_sub.add_parser(
        "import",
        help="导入案件清单（XLSX 或 CSV） / import a case list (XLSX or CSV)",
        description="导入案件清单：全部成功才写入，按案号更新已有案件 / import a case list: "
        "all or nothing, existing cases updated by 案号",
    )
    ci.add_argument("--organ", required=True, help="政法单位编码 / organ (department) code")
    ci.add_argument("file", help="文件 / file")
    sc = cs_sub.add_parser(
        "screen",
        help="月度案件排查 / monthly case screening",
        description="对政法单位的全部案件按方案规则排查，打印各单位排查数、列入研判数及与上月相比的变化 "
        "/ screen every case by the scheme's criteria and print the counts per organ",
    )
    sc.add_argument("--organ", default="", help="只排查这一个单位（编码） / only this organ (code)")
    sc.add_argument(
        "--month", default="", help="月份 YYYY-MM（默认本月） / month YYYY-MM (default: this month)"
    )
    sc.add_argument(
        "--flagged-csv",
        default="",
        help="把列入研判的案件及触发的规则写入该 CSV 文件 / write the flagged cases and the criteria "
        "that fired to this CSV file",
    )
    for cmd in (ci, sc):
        cmd.add_argument(
            "--user",
            default=os.environ.get("FENGPING_USER", ""),
            help="以哪个用户的名义运行（默认取环境变量 FENGPING_USER；排查可省略，视为系统定时任务） / "
            "the user it runs as (default: $FENGPING_USER; screening may omit it: the scheduled job)",
        )

    m = sub.add_parser(
        "manage",
        help="运行 Django 管理命令（运维用） / run a Django management command (for operators)",
        description="把其余参数交给 django-admin / pass the remaining arguments to django-admin",
    )
    m.add_argument("args", nargs=argparse.REMAINDER)
    return p


# Commands that cannot do anything without a working, writable database.
NEEDS_DATABASE = frozenset(
    {
        "serve",
        "demo",
        "createadmin",
        "tick",
        "audit",
        "worker",
        "infosec",
        "cases",
        "backup",
        "restore",
    }
)


def _require_database() -> None:
    """A wrong DATABASE_URL (or a read-only database) stops with one line, not with the
    traceback of the first migration that tries to connect."""
    from django.conf import settings

    from fengping.core.dbcheck import database_problem

    problem = database_problem()
    if problem is not None:
        name = settings.DATABASES["default"].get("NAME", "")
        print(
            f"数据库不可用 / database unusable ({name}): {problem}"
            " — 请检查 DATABASE_URL / check DATABASE_URL",
            file=sys.stderr,
        )
        raise SystemExit(2)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "audit" and args.audit_command == "verify" and args.bundle:
        # On the auditor's machine: no configuration, no database, only the file.
        return _verify_bundle(args)
    _setup()
    if args.command in NEEDS_DATABASE and not (
        args.command == "audit" and args.audit_command == "key"
    ):
        _require_database()
    handler = {
        "serve": _serve,
        "demo": _demo,
        "createadmin": _createadmin,
        "tick": _tick,
        "audit": _audit,
        "check": _check,
        "backup": _backup,
        "restore": _restore,
        "worker": _worker,
        "scheme": _scheme,
        "score": _score,
        "infosec": _infosec,
        "cases": _cases,
        "manage": _manage,
    }[args.command]
    return handler(args)


def _serve(args: Any) -> int:
    from django.conf import settings
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    # Migrating and collecting run in a child process: the workers are forked from this
    # one, and every module those commands load (each migration, the migration graph) would
    # otherwise sit in each worker's memory.
    steps = [] if args.no_migrate else [["migrate", "--no-input", "-v", "0"]]
    steps.append(["collectstatic", "--no-input", "-v", "0"])
    for step in steps:
        done = subprocess.run([sys.executable, "-m", "fengping.cli", "manage", *step])  # noqa: S603
        if done.returncode:
            return done.returncode
    # Only now: whitenoise indexes the collected files when the application is built.
    from fengping.wsgi import application

    _warm_up()
    connections.close_all()  # never share a database connection across the fork
    # What the workers inherit is never garbage: out of the collector's sight, a full
    # collection in a worker walks only what its requests made (and the shared pages are
    # not written to by it, so they stay shared).
    gc.collect()
    gc.freeze()

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", args.threads)
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 120)
            # Each server its own control socket (gunicornc): by default every gunicorn of
            # the host account would share one, and a second fengping would take it over.
            control = Path(settings.DATA_DIR) / f"gunicorn-{args.port}.ctl"
            if len(str(control)) < 100:  # a Unix socket path is limited to ~108 bytes
                self.cfg.set("control_socket", str(control))
            else:
                self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            return application

    mode = "调试 / debug" if settings.DEBUG else "生产 / production"
    print(f"风评 fengping: http://{args.host}:{args.port}/ ({mode})", flush=True)
    # The embedded setup needs nothing else: large imports and other background jobs
    # run in a job worker started beside the web server and stopped with it.
    worker = None
    if not args.no_worker:
        worker = subprocess.Popen([sys.executable, "-m", "fengping.cli", "worker"])  # noqa: S603
        print(f"后台任务进程 / job worker: pid {worker.pid}", flush=True)
    try:
        Server().run()
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
    return 0


def _warm_up() -> None:
    """What each worker would otherwise build on its first requests, built once before
    they fork and shared by them: the URL conf with every view module (2 s), the built-in
    schemes (0.4 s), both languages' catalogues and every compiled template. None of it
    touches the database."""
    from django.conf import settings
    from django.template import TemplateSyntaxError, engines
    from django.urls import reverse
    from django.utils import translation

    from fengping.schemebook import registry

    reverse("home")
    registry.builtin_keys()  # parses the built-in schemes into the loader's cache
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("风评")
    engine = engines["django"].engine
    for loader in engine.template_loaders:
        for inner in getattr(loader, "loaders", [loader]):
            for folder in inner.get_dirs():
                for path in Path(folder).rglob("*.html"):
                    try:
                        engine.get_template(path.relative_to(folder).as_posix())
                    except (TemplateSyntaxError, UnicodeDecodeError):
                        continue  # a page that fails to compile fails on its own request


def _demo(args: Any) -> int:
    from django.core.management import call_command

    from fengping.assessments.demo import load_demo as load_assessments
    from fengping.org.demo import DEMO_PASSWORD, load_demo

    call_command("migrate", interactive=False, verbosity=0)
    created = load_demo()
    matters = load_assessments()
    from fengping.infosec.demo import load_demo as load_infosec
    from fengping.infosec.demo_flow import load_demo as load_infosec_assessment

    load_infosec()
    systems = load_infosec_assessment()
    from fengping.cases.demo import load_demo as load_cases

    cases = load_cases()
    from fengping.cases.demo_flow import load_demo as load_case_flow

    load_case_flow()
    from fengping.supervision.demo import load_demo as load_supervision

    load_supervision()
    from fengping.org.demo import settle_demo_accounts

    settle_demo_accounts()
    print(
        f"演示数据已就绪（本次新建 {created} 项组织数据、{matters} 个评估事项、"
        f"{systems} 项信息系统风险评估、{cases} 件政法案件） / demo data ready ({created} new "
        f"organisation objects, {matters} matters assessed end to end, {systems} "
        f"information-system assessments, {cases} new cases)"
    )
    print(f"登录 / login:  http://127.0.0.1:{os.environ.get('PORT') or 8000}/")
    print(
        f"  用户名 / user: admin      密码 / password: {DEMO_PASSWORD}   （系统管理员 / administrator）"
    )
    print(
        f"  用户名 / user: secadmin   密码 / password: {DEMO_PASSWORD}   （安全管理员 / security"
        " administrator: roles and memberships）"
    )
    print(
        f"  用户名 / user: auditadmin 密码 / password: {DEMO_PASSWORD}   （审计管理员 / audit"
        " administrator: the audit log）"
    )
    print(
        "  其他演示用户（同一密码） / other demo users (same password): chenjing 承办人, lihua 评估人员, "
        "liusuixian 分管领导, zhouguangyao 主要负责人, zhaoqiang 住建局承办人, qianwei 住建局分管领导, "
        "wujianguo 副市长, zhengmin 市长, sunli 维稳办督查, zhoumin 联席办督查; "
        "lintao 法院承办人, hejun 法院分管领导, songwei 院长, fangli 检察院承办人, guoqiang 副检察长, "
        "tanghong 检察长, majun 公安民警, luyong 公安分管领导, xuefeng 公安局长"
    )
    return 0


SINGLE_ADMIN_WARNING = (
    "警告：只有一个超级管理员，系统管理员、安全管理员和审计管理员三员未分立，不满足等保三级"
    "（GB/T 22239-2019 8.1.4.2、8.1.5）；fengping check 会一直报告此项。 / WARNING: one "
    "superuser holds the system, security and audit administrator powers; without this "
    "separation of duties the installation does not meet MLPS 2.0 level 3, and "
    "`fengping check` reports it."
)


def _createadmin(args: Any) -> int:
    from fengping.core.errors import ActionError
    from fengping.org.actions import do_create_superuser, do_create_three_admins
    from fengping.org.models import Role

    if not args.single:
        if args.username or args.password_stdin:
            print(
                "--username 和 --password-stdin 只用于 --single；三员的密码自动生成 / "
                "--username and --password-stdin go with --single; the three passwords are generated",
                file=sys.stderr,
            )
            return 1
        try:
            created = do_create_three_admins(
                usernames={
                    Role.ADMIN: args.system,
                    Role.SECURITY_ADMIN: args.security,
                    Role.AUDIT_ADMIN: args.audit,
                },
                org_name=args.org,
                org_code=args.org_code,
            )
        except ActionError as exc:
            print(f"无法创建 / cannot create: {exc.message}", file=sys.stderr)
            return 1
        print("已创建三员账号（三员分立） / the three administrators were created:")
        for user, role, password in created:
            print(
                f"  {Role(role).label:8} {role:15} 用户名 / user: {user.username:16} 密码 / password: {password}"
            )
        print(
            "密码只显示这一次，请分别当面交给三人；首次登录须修改密码。 / The passwords are shown "
            "only now: hand each to its holder in person; each must be changed at the first login."
        )
        return 0
    if not args.username:
        print("--single 须同时给出 --username / --single needs --username", file=sys.stderr)
        return 1
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("密码 / password: ")
        if getpass.getpass("再次输入 / again: ") != password:
            print("两次输入的密码不一致 / the passwords differ", file=sys.stderr)
            return 1
    try:
        user = do_create_superuser(
            username=args.username,
            password=password,
            real_name=args.real_name,
            email=args.email,
            org_name=args.org,
            org_code=args.org_code,
        )
    except ActionError as exc:
        print(f"无法创建 / cannot create: {exc.message}", file=sys.stderr)
        return 1
    print(f"已创建超级管理员 {user.username} / superuser {user.username} created")
    print(SINGLE_ADMIN_WARNING)
    return 0


def _tick(args: Any) -> int:
    from fengping.core.tick import tick

    failed = 0
    for outcome in tick():
        label = {
            "ran": "执行 / ran",
            "skipped": "本周期已执行 / already done",
            "failed": "失败 / FAILED",
        }[outcome.status]
        print(f"{outcome.job} [{outcome.period}] {label} {outcome.detail}".rstrip())
        failed += outcome.status == "failed"
    return 1 if failed else 0


def _date(text: str, option: str) -> Any:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        print(
            f"{option} {text!r} 不是日期（应为 YYYY-MM-DD） / {option} {text!r} is not a date"
            " (use YYYY-MM-DD)",
            file=sys.stderr,
        )
        raise SystemExit(2) from None


def _verify_bundle(args: Any) -> int:
    from fengping.audit.bundle_verify import verify_bundle

    verdict = verify_bundle(args.bundle, key=args.key)
    if not verdict.ok:
        print(f"审计包校验失败 / bundle REFUSED: {verdict.problem}", file=sys.stderr)
        return 1
    m = verdict.manifest
    print(
        f"审计包完好：事件 #{m['first_seq']}–#{m['last_seq']} 共 {verdict.events} 条"
        f"（{m['range']['from']} 至 {m['range']['to']}，{m['range']['time_zone']}），"
        f"其中 {verdict.withheld} 条仅含哈希；哈希链、清单与签名均相符 / bundle intact:"
        f" {verdict.events} events #{m['first_seq']}–#{m['last_seq']} ({verdict.withheld}"
        " withheld); the hash chain, the manifest and the signature match"
    )
    print(f"  审计包哈希 / bundle hash: {m['bundle_hash']}")
    print(
        f"  导出时链头 / chain head at export: #{m['chain_head']['seq']}:{m['chain_head']['hash']}"
    )
    print(f"  签名密钥指纹 / signing key fingerprint: {verdict.fingerprint}")
    if not args.key:
        print(
            "  未指定 --key：请与被审单位另行提供的指纹核对 / no --key given: compare the"
            " fingerprint with the one the installation gave you separately"
        )
    return 0


def _audit(args: Any) -> int:
    return {
        "verify": _audit_verify,
        "export": _audit_export,
        "purge": _audit_purge,
        "key": _audit_key,
    }[args.audit_command](args)


def _audit_key(args: Any) -> int:
    from fengping.audit.bundle import grouped, key_file, key_fingerprint

    fingerprint = key_fingerprint()
    print(f"审计包签名密钥 / bundle signing key: {key_file()}")
    print(f"指纹 / fingerprint (SHA-256): {fingerprint}")
    print(f"  {grouped(fingerprint)}")
    return 0


def _audit_export(args: Any) -> int:
    from fengping.audit.bundle import BundleError, export_bundle

    date_from = _date(args.date_from, "--from")
    date_to = _date(args.date_to, "--to")
    out = Path(args.out or f"fengping-audit-{date_from}-{date_to}.zip")
    if out.exists():
        print(f"{out} 已存在，不覆盖 / {out} exists and is not overwritten", file=sys.stderr)
        return 1
    try:
        with open(out, "xb") as handle:
            written = export_bundle(None, handle, date_from, date_to)
    except BundleError as exc:
        out.unlink(missing_ok=True)
        print(f"无法导出 / cannot export: {exc}", file=sys.stderr)
        return 1
    print(
        f"审计包已写入 / bundle written: {out}（事件 #{written.first_seq}–#{written.last_seq}，"
        f"{written.events} 条 / {written.events} events）"
    )
    print(f"  审计包哈希 / bundle hash: {written.bundle_hash}")
    print(f"  签名密钥指纹 / signing key fingerprint: {written.fingerprint}")
    return 0


def _audit_purge(args: Any) -> int:
    from fengping.audit.retention import PurgeRefused, purge

    before = _date(args.before, "--before")
    try:
        done = purge(before, bundle=Path(args.bundle) if args.bundle else None)
    except PurgeRefused as exc:
        print(f"拒绝清理 / purge refused: {exc}", file=sys.stderr)
        return 1
    print(
        f"已清理事件 #{done.first_seq}–#{done.last_seq}（{done.events} 条），检查点"
        f" #{done.last_seq}:{done.last_hash} / purged events #{done.first_seq}–#{done.last_seq}"
        f" ({done.events}); checkpoint #{done.last_seq}"
    )
    return 0


def _audit_verify(args: Any) -> int:
    from fengping.audit.chain import check_anchor, verify

    bad_anchors = []
    for anchor in args.anchor:
        seq, _sep, digest = anchor.lstrip("#").partition(":")
        if not (seq.isdigit() and check_anchor(int(seq), digest.strip())):
            bad_anchors.append(anchor)
    for anchor in bad_anchors:
        print(
            f"锚点不符（审计链被改写） / anchor does not match (the chain was rewritten): {anchor}",
            file=sys.stderr,
        )
    result = verify()
    if result.ok and not bad_anchors:
        anchors = f"，{len(args.anchor)} 个锚点相符" if args.anchor else ""
        print(
            f"审计链完好：{result.checked} 条事件{anchors} / audit chain intact: {result.checked} events"
        )
        return 0
    if result.ok:
        return 1
    print(
        f"审计链在事件 #{result.broken_seq} 处断裂 / audit chain broken at event #{result.broken_seq}: "
        f"{result.reason}",
        file=sys.stderr,
    )
    return 1


def _backup(args: Any) -> int:
    from fengping.audit.backup import BackupError, create_backup

    try:
        result = create_backup(Path(args.to) if args.to else None)
    except BackupError as exc:
        print(f"备份失败 / backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"备份已写入 / backup written: {result.path}")
    print(
        f"  {result.files} 个文件，共 {result.bytes} 字节；审计链锚点 #{result.head_seq}:"
        f"{result.head_hash} / {result.files} files, {result.bytes} bytes; "
        f"audit chain head #{result.head_seq}"
    )
    return 0


def _restore(args: Any) -> int:
    import fengping
    from fengping.audit.backup import BackupError, restore_backup

    try:
        result = restore_backup(Path(args.backup_dir), force=args.force)
    except BackupError as exc:
        print(f"拒绝恢复 / restore refused: {exc}", file=sys.stderr)
        return 1
    manifest = result.manifest
    print(
        f"已恢复 {manifest['created_at']} 的备份：数据库（{manifest['database']}）和 {result.files} "
        f"个文件 / restored the backup of {manifest['created_at']}: the database and "
        f"{result.files} files"
    )
    if manifest.get("fengping_version") != fengping.__version__:
        print(
            f"备份来自版本 {manifest.get('fengping_version')}，当前为 {fengping.__version__}："
            "请运行 fengping manage migrate / the backup is from another version: run "
            "`fengping manage migrate`"
        )
    check = result.verification
    seq = manifest["audit_head"]["seq"]
    if not check.ok:
        print(
            f"审计链在事件 #{check.broken_seq} 处断裂 / audit chain broken at event "
            f"#{check.broken_seq}: {check.reason}",
            file=sys.stderr,
        )
        return 1
    if not result.head_found:
        print(
            f"恢复后的审计链不含清单记录的锚点 #{seq} / the restored chain does not carry the "
            f"manifest's head #{seq}",
            file=sys.stderr,
        )
        return 1
    print(
        f"审计链完好：{check.checked} 条事件，含清单锚点 #{seq} / audit chain intact: "
        f"{check.checked} events, including the manifest's head #{seq}"
    )
    return 0


def _check(args: Any) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from fengping.core.dbcheck import database_problem, first_line

    problems = 0

    def line(ok: bool, text: str) -> None:
        nonlocal problems
        problems += not ok
        print(("✓ " if ok else "✗ ") + text)

    line(True, f"数据目录 / data directory: {settings.DATA_DIR}")
    line(True, f"调试模式 / debug: {'开 / on' if settings.DEBUG else '关 / off'}")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        line(True, f"数据库可连接 / database reachable: {connection.vendor}")
        problem = database_problem()
        line(
            problem is None,
            "数据库可写入 / database writable" + (f": {problem}" if problem else ""),
        )
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        line(not pending, f"待执行迁移 / pending migrations: {len(pending)}")
    except Exception as exc:  # noqa: BLE001 - reported as a failed check
        line(False, f"数据库不可用 / database unavailable: {first_line(exc)}")
    try:
        call_command("check", verbosity=0)
        line(True, "Django 系统检查 / system checks")
    except SystemCheckError as exc:
        line(False, f"Django 系统检查 / system checks: {exc}")
    try:
        from fengping.org import separation

        found = separation.problems()
        line(
            not found,
            "三员分立 / three administrators separated"
            if not found
            else "三员未分立 / three administrators not separated: " + "；".join(found),
        )
    except Exception as exc:  # noqa: BLE001 - the database line above already says why
        line(
            False,
            f"三员未分立：无法检查 / separation of administrators unchecked: {first_line(exc)}",
        )
    from django.core.cache import caches

    shared = caches["default"]
    if hasattr(shared, "ping"):  # FENGPING_CACHE_URL: Redis, with a per-process fallback
        reachable = shared.ping()
        line(
            reachable,
            f"共享缓存 / shared cache: Redis {shared.server} "
            + (
                "可连接 / reachable"
                if reachable
                else "不可连接，各进程改用自己的缓存，问卷限流按进程计数 / unreachable: each"
                f" process uses its own cache, the questionnaire throttle counts per process"
                f" ({shared.status()['error']})"
            ),
        )
    else:
        line(True, "缓存 / cache: 数据库 / database (fengping_cache)")
    from fengping.directory.health import check_lines

    for status, text in check_lines():
        if status == "warn":
            print("! " + text)
        else:
            line(status == "ok", text)
    if not settings.DEBUG:
        manifest = settings.STATIC_ROOT / "staticfiles.json"
        line(manifest.exists(), f"静态文件已收集 / static files collected: {manifest}")
    return 1 if problems else 0


def _scheme_registry() -> Any:
    """The scheme registry for a command. Built-in schemes and files in the data directory
    need no database; on one not yet migrated the uploaded schemes are left out, and one
    line says what to run to read them."""
    from django.db import DatabaseError, connection

    from fengping.schemebook import registry
    from fengping.schemebook.models import UploadedScheme

    try:
        migrated = UploadedScheme._meta.db_table in connection.introspection.table_names()
    except DatabaseError:
        migrated = False
    if not migrated:
        registry.READ_UPLOADS = False
        print(
            "提示：数据库尚未迁移，未读取上传的方案（先运行 fengping manage migrate） / note: the "
            "database is not migrated, uploaded schemes are not read (run `fengping manage migrate`)",
            file=sys.stderr,
        )
    return registry


def _scheme(args: Any) -> int:
    import json

    from fengping import schemes

    if args.scheme_command == "check":
        try:
            scheme = schemes.check_file(args.file)
        except schemes.SchemeError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        print(f"✓ {args.file}: {scheme.name}（{scheme.key}） 版本 / version {scheme.version}")
        return 0
    registry = _scheme_registry()
    if args.scheme_command == "list":
        for entry in registry.entries():
            s = entry.scheme
            print(f"{s.key:<16} {s.version}  {entry.origin:<8} {s.name}")
        return 0
    try:
        scheme = registry.get(args.key)
    except LookupError:
        keys = ", ".join(e.scheme.key for e in registry.entries())
        print(
            f"没有方案 {args.key!r} / no scheme {args.key!r} (有 / available: {keys})",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps(schemes.to_json(scheme), ensure_ascii=False, indent=2))
    else:
        print(schemes.describe(scheme))
    return 0


def _cases(args: Any) -> int:
    from fengping.cases.commands import run

    return run(args)


def _infosec(args: Any) -> int:
    from fengping.infosec.commands import run

    return run(args)


def _score(args: Any) -> int:

    from fengping.schemes.isra_csv import score_csv

    try:
        scheme = _scheme_registry().get(args.scheme)
    except LookupError:
        print(f"没有方案 {args.scheme!r} / no scheme {args.scheme!r}", file=sys.stderr)
        return 1
    if scheme.kind != "isra":
        print(
            f"方案 {args.scheme!r} 不是信息安全方案 / {args.scheme!r} is not an isra scheme",
            file=sys.stderr,
        )
        return 1
    source, target = Path(args.input), Path(args.output)
    if not source.is_file():
        print(f"找不到输入文件 / input file not found: {source}", file=sys.stderr)
        return 1
    calculation = {"matrix": "matrix", "multiply": "multiplication", None: None}[args.method]
    report = score_csv(source, target, scheme, calculation)
    if report.errors:
        for line in report.errors:
            print(line, file=sys.stderr)
        print(
            f"有 {len(report.errors)} 行错误，未写出文件 / {len(report.errors)} bad row(s), nothing written",
            file=sys.stderr,
        )
        return 1
    summary = "，".join(f"{level} {n}" for level, n in report.levels.items())
    print(f"已计算 {report.rows} 行 → {target}（{summary}） / scored {report.rows} rows")
    return 0


def _worker(args: Any) -> int:
    from django.core.management import call_command

    call_command("db_worker")
    return 0


def _manage(args: Any) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fengping manage", *args.args])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
