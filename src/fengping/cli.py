"""The `fengping` command: serve, demo, createadmin, tick, audit verify, check, worker.

Arguments are parsed before Django starts, so `--help` works without any configuration;
a wrong configuration stops with one line (Chinese / English) and exit status 2.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
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
        "--workers", type=int, default=2, help="工作进程数 / worker processes (default 2)"
    )
    s.add_argument("--no-migrate", action="store_true", help="不执行迁移 / skip migrations")

    sub.add_parser(
        "demo",
        help="创建演示组织和用户（可重复执行） / create the demo organisation and users (idempotent)",
        description="创建演示组织、部门、用户与领导小组；重复执行不会重复创建 / create the demo organisation; running it again creates nothing twice",
    )

    a = sub.add_parser(
        "createadmin",
        help="创建系统管理员 / create an administrator",
        description="创建一个超级管理员，并在顶级组织担任系统管理员 / create a superuser who is 系统管理员 of a top-level organisation",
    )
    a.add_argument("--username", required=True, help="用户名 / user name")
    a.add_argument("--real-name", default="", help="姓名 / real name")
    a.add_argument("--email", default="", help="电子邮箱 / email")
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
        help="从标准输入读取密码 / read the password from standard input",
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
    au_sub.add_parser(
        "verify",
        help="校验审计链，断裂时以非零状态退出 / verify the chain; exit non-zero when broken",
        description="从第一条事件起重新计算哈希链 / recompute the hash chain from the first event",
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
    m = sub.add_parser(
        "manage",
        help="运行 Django 管理命令（运维用） / run a Django management command (for operators)",
        description="把其余参数交给 django-admin / pass the remaining arguments to django-admin",
    )
    m.add_argument("args", nargs=argparse.REMAINDER)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _setup()
    handler = {
        "serve": _serve,
        "demo": _demo,
        "createadmin": _createadmin,
        "tick": _tick,
        "audit": _audit,
        "check": _check,
        "worker": _worker,
        "manage": _manage,
    }[args.command]
    return handler(args)


def _serve(args: Any) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from fengping.wsgi import application

    if not args.no_migrate:
        call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    connections.close_all()  # never share a database connection across the fork

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", 4)
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 120)

        def load(self) -> Any:
            return application

    mode = "调试 / debug" if settings.DEBUG else "生产 / production"
    print(f"风评 fengping: http://{args.host}:{args.port}/ ({mode})", flush=True)
    Server().run()
    return 0


def _demo(args: Any) -> int:
    from django.core.management import call_command

    from fengping.org.demo import DEMO_PASSWORD, load_demo

    call_command("migrate", interactive=False, verbosity=0)
    created = load_demo()
    print(f"演示数据已就绪（本次新建 {created} 项） / demo data ready ({created} new objects)")
    print("登录 / login:  http://127.0.0.1:8000/")
    print(
        f"  用户名 / user: admin      密码 / password: {DEMO_PASSWORD}   （系统管理员 / administrator）"
    )
    print(
        "  其他演示用户（同一密码） / other demo users (same password): chenjing 承办人, lihua 评估人员, "
        "liusuixian 分管领导, zhouguangyao 主要负责人, zhaoqiang 住建局承办人, sunli 维稳办督查"
    )
    return 0


def _createadmin(args: Any) -> int:
    from fengping.core.errors import ActionError
    from fengping.org.actions import do_create_superuser

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
    print(f"已创建系统管理员 {user.username} / administrator {user.username} created")
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


def _audit(args: Any) -> int:
    from fengping.audit.chain import verify

    result = verify()
    if result.ok:
        print(f"审计链完好：{result.checked} 条事件 / audit chain intact: {result.checked} events")
        return 0
    print(
        f"审计链在事件 #{result.broken_seq} 处断裂 / audit chain broken at event #{result.broken_seq}: "
        f"{result.reason}",
        file=sys.stderr,
    )
    return 1


def _check(args: Any) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

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
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        line(not pending, f"待执行迁移 / pending migrations: {len(pending)}")
    except Exception as exc:  # noqa: BLE001 - reported as a failed check
        line(False, f"数据库不可用 / database unavailable: {exc}")
    try:
        call_command("check", verbosity=0)
        line(True, "Django 系统检查 / system checks")
    except SystemCheckError as exc:
        line(False, f"Django 系统检查 / system checks: {exc}")
    if not settings.DEBUG:
        manifest = settings.STATIC_ROOT / "staticfiles.json"
        line(manifest.exists(), f"静态文件已收集 / static files collected: {manifest}")
    return 1 if problems else 0


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
