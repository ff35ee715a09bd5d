"""A read-only database fails `fengping check` and /api/health (reads work there, login
does not); a wrong DATABASE_URL stops `fengping serve` with one line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection

from fengping.cli import main


def _read_only(on: bool) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")
        else:
            mode = "READ ONLY" if on else "READ WRITE"
            cursor.execute(f"SET SESSION CHARACTERISTICS AS TRANSACTION {mode}")


@pytest.fixture
def read_only_database(transactional_db):
    _read_only(True)
    try:
        yield
    finally:
        _read_only(False)


def test_health_and_check_pass_on_a_writable_database(client, db, capsys):
    assert client.get("/api/health").status_code == 200
    main(["check"])
    assert "✓ 数据库可写入" in capsys.readouterr().out


def test_read_only_database_fails_health_and_check(client, read_only_database, capsys):
    response = client.get("/api/health")
    assert response.status_code == 503
    assert "不可写入" in response.json()["detail"]
    assert main(["check"]) == 1
    assert "✗ 数据库可写入" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        main(["tick"])
    assert stop.value.code == 2
    assert "数据库不可用" in capsys.readouterr().err


def test_unreachable_database_url_stops_serve_with_one_line(tmp_path):
    env = {
        **os.environ,
        "FENGPING_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/nowhere",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "fengping.cli", "serve", "--port", "9"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr
