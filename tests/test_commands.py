"""The `fengping` command: help texts, configuration errors, demo, tick."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fengping.cli import main
from fengping.conf import ConfigError, database, envbool, envint
from fengping.core.models import TickRun
from fengping.core.tick import tick
from fengping.org.models import Department, LeadershipGroup, User


def run(*args, env=None):
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "fengping.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


@pytest.mark.parametrize(
    "cmd",
    [
        [],
        ["serve"],
        ["demo"],
        ["createadmin"],
        ["tick"],
        ["audit", "verify"],
        ["check"],
        ["worker"],
    ],
)
def test_help_is_bilingual(cmd):
    result = run(*cmd, "--help")
    assert result.returncode == 0
    assert "/" in result.stdout and any("\u4e00" <= ch <= "\u9fff" for ch in result.stdout)


def test_bad_setting_gives_one_line(tmp_path):
    result = run("check", env={"FENGPING_DEBUG": "maybe", "FENGPING_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert (
        "FENGPING_DEBUG" in result.stderr
        and "不是布尔值" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_bad_database_url_gives_one_line(tmp_path):
    result = run("check", env={"DATABASE_URL": "mysql://x", "FENGPING_DATA_DIR": str(tmp_path)})
    assert (
        result.returncode == 2
        and "DATABASE_URL" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_check_passes_on_a_fresh_data_dir(tmp_path):
    env = {
        "FENGPING_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "FENGPING_DEBUG": "1",
    }
    assert run("manage", "migrate", "-v", "0", env=env).returncode == 0
    result = run("check", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✗" not in result.stdout


def test_env_readers(monkeypatch, tmp_path):
    monkeypatch.setenv("X_BOOL", "yes")
    assert envbool("X_BOOL") is True
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ConfigError, match="不是整数"):
        envint("X_INT", 1)
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@h:5432/d")
    assert database(tmp_path)["ENGINE"].endswith("postgresql")


def test_demo_is_idempotent(db, capsys):
    assert main(["demo"]) == 0
    counts = (Department.objects.count(), User.objects.count(), LeadershipGroup.objects.count())
    assert main(["demo"]) == 0
    assert (
        Department.objects.count(),
        User.objects.count(),
        LeadershipGroup.objects.count(),
    ) == counts
    assert "Fengping-demo-2026" in capsys.readouterr().out
    # The printed demo password is the demo people's own: nobody is sent to change it.
    assert not User.objects.filter(must_change_password=True).exists()
    group = LeadershipGroup.objects.get()
    assert group.members.get(position="head").user.real_name == "周光耀"
    assert main(["audit", "verify"]) == 0
    # The demo walks the stricter flow: a grade proposal decided by someone else, every
    # review stage signed by a different person, both offices signing for each filing.
    from fengping.assessments.models import Filing, GradeOverride, Review

    proposal = GradeOverride.objects.get()
    assert proposal.state == "rejected" and proposal.decided_by != proposal.proposed_by
    for a_pk in Review.objects.values_list("assessment", flat=True).distinct():
        signers = list(Review.objects.filter(assessment=a_pk).values_list("reviewer", flat=True))
        assert len(signers) == len(set(signers))
    assert Filing.objects.count() >= 3 and not Filing.objects.filter(acknowledged_by=None).exists()


def test_createadmin_single(db, monkeypatch, capsys):
    """--single: today's one superuser, with the warning that it is not 三员分立."""
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("Admin-pass-2026\n"))
    argv = ["createadmin", "--single", "--username", "boss", "--org", "某市人民政府"]
    assert main([*argv, "--password-stdin"]) == 0
    user = User.objects.get(username="boss")
    assert user.is_superuser and user.memberships.get().department.name == "某市人民政府"
    out = capsys.readouterr().out
    assert "三员未分立" in out and "does not meet MLPS 2.0 level 3" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["createadmin", "--single", "--username", "boss2", "--password-stdin"]) == 1
    # Without --single a user name is refused: the three are named --system/--security/--audit.
    assert main(["createadmin", "--username", "boss3"]) == 1


def test_tick_is_idempotent(db):
    first = tick()
    assert {o.status for o in first} == {"ran"}
    second = tick()
    assert {o.status for o in second} == {"skipped"}
    assert TickRun.objects.filter(job="audit_verify").count() == 1


def test_production_static_files_collect(tmp_path, settings):
    """The production storage (hashed, compressed) must find every file a stylesheet or
    script refers to, or `fengping serve` would fail without DEBUG."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_serve_in_production_mode_serves_static_files(tmp_path):
    """`fengping serve` without DEBUG: collect static files, then serve them (whitenoise
    indexes the files when the application is built, so the order matters)."""
    import socket
    import time
    import urllib.request

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    # Its own SQLite file: the server must not touch the test database (or, in the
    # PostgreSQL pass, a database named in DATABASE_URL that the tests never created).
    env = {
        **os.environ,
        "FENGPING_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("FENGPING_DEBUG", None)
    server = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "fengping.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120  # migrate, collect, warm up: slow on a busy machine
        page = ""
        while time.monotonic() < deadline:
            try:
                page = (
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5)
                    .read()
                    .decode()
                )  # noqa: S310
                break
            except OSError:
                time.sleep(0.5)
        assert "登录您的账号" in page
        css = page.split('href="/static/vendor/tabler/', 1)[1].split('"', 1)[0]
        assert ".css" in css and css != "tabler.min.css"  # hashed name from the manifest
        response = urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/vendor/tabler/{css}", timeout=5
        )  # noqa: S310
        assert response.status == 200 and "text/css" in response.headers["Content-Type"]
        # The embedded setup runs background jobs too: a job worker is a child of serve.
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        commands = [Path(f"/proc/{c}/cmdline").read_bytes().split(b"\0") for c in children]
        assert [b"-m", b"fengping.cli", b"worker"] in [c[1:4] for c in commands]
        # Its own gunicorn control socket, in its data directory (not one per host account).
        # (the master binds it from a background thread: give a busy machine a moment)
        control = tmp_path / f"gunicorn-{port}.ctl"
        for _ in range(60):
            if control.exists():
                break
            time.sleep(0.25)
        assert control.exists()
    finally:
        server.terminate()
        server.wait(timeout=20)
