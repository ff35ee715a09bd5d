"""`fengping backup` and `fengping restore`, end to end through the real command.

A source installation (its own data directory and database: a SQLite file, or a
PostgreSQL database of its own when DATABASE_URL names PostgreSQL) gets an organisation,
a matter and an uploaded document; its backup is restored into an empty installation,
which must then hold every table row for row and every stored file byte for byte, with
the audit chain intact. Damaged backups and a target that holds data are refused."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
URL = os.environ.get("DATABASE_URL", "")
POSTGRES = URL.startswith(("postgres:", "postgresql:", "pgsql:"))


@dataclass
class Site:
    data: Path
    url: str

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env.pop("FENGPING_DEBUG", None)
        env["FENGPING_DATA_DIR"] = str(self.data)
        env["DATABASE_URL"] = self.url
        env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(__import__("fengping").__file__).parent.parent), str(REPO)]
        )
        return env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own command
            [sys.executable, "-m", "fengping.cli", *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=180,
            cwd=REPO,
        )

    def python(self, code: str) -> str:
        done = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            env={**self.env, "DJANGO_SETTINGS_MODULE": "fengping.settings"},
            timeout=180,
            cwd=REPO,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def tables(self) -> dict[str, list]:
        """Every table's row count and a checksum of its rows (order-independent)."""
        return json.loads(
            self.python(
                """
                import hashlib, json, django
                django.setup()
                from django.db import connection
                out = {}
                with connection.cursor() as cursor:
                    for table in sorted(connection.introspection.table_names()):
                        cursor.execute(f'SELECT * FROM "{table}"')
                        rows = sorted(
                            repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
                            for row in cursor.fetchall()
                        )
                        digest = hashlib.sha256("\\n".join(rows).encode()).hexdigest()
                        out[table] = [len(rows), digest]
                print(json.dumps(out))
                """
            )
        )

    def table_names(self) -> set[str]:
        """The tables, read without starting Django (cheap enough for every refusal)."""
        if not POSTGRES:
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as conn:
                rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                return {name for (name,) in rows}
        import psycopg

        with psycopg.connect(self.url.replace("postgres:", "postgresql:", 1)) as conn:
            rows = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
            return {name for (name,) in rows}

    def files(self) -> dict[str, str]:
        root = self.data / "uploads"
        return {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }


def _pg(sql: str) -> None:
    import psycopg

    # The maintenance database: the one DATABASE_URL names need not exist (pytest-django
    # creates test_<name> instead).
    admin = urlunsplit(
        urlsplit(URL.replace("postgres:", "postgresql:", 1))._replace(path="/postgres")
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="module")
def new_site(tmp_path_factory):
    """Sites with their own data directory and database, dropped at the end."""
    databases: list[str] = []

    def make(name: str) -> Site:
        data = tmp_path_factory.mktemp(name)
        if not POSTGRES:
            return Site(data, f"sqlite:///{data / 'db.sqlite3'}")
        db = f"fp_restore_{name}_{uuid.uuid4().hex[:8]}"
        _pg(f'CREATE DATABASE "{db}"')
        databases.append(db)
        return Site(data, urlunsplit(urlsplit(URL)._replace(path=f"/{db}")))

    yield make
    for db in databases:
        _pg(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


@pytest.fixture(scope="module")
def source(new_site, tmp_path_factory):
    site = new_site("src")
    done = site.run("manage", "migrate", "-v", "0")
    assert done.returncode == 0, done.stderr
    site.python(
        """
        import django
        django.setup()
        from django.core.files.uploadedfile import SimpleUploadedFile
        from fengping.matters import actions
        from tests.conftest import build_org
        org = build_org()
        matter = actions.do_register_matter(
            org.rsj_handler, title="企业退休人员养老金调整", scheme_key="ssra-town",
            category_code="focus_social_security", department=org.rsj,
        )
        actions.do_add_document(
            org.rsj_handler, matter, SimpleUploadedFile("方案.pdf", b"%PDF-1.4 backup test")
        )
        """
    )
    target = tmp_path_factory.mktemp("backups")
    done = site.run("backup", "--to", str(target))
    assert done.returncode == 0, done.stderr
    (backup,) = [p for p in target.iterdir()]
    assert str(backup) in done.stdout and not backup.name.startswith(".")
    return site, backup


def test_backup_writes_a_manifest_of_every_file(source):
    site, backup = source
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == 1 and manifest["database"] == (
        "postgresql" if POSTGRES else "sqlite"
    )
    assert manifest["created_at"].endswith("+08:00")  # local time
    listed = {e["path"]: e for e in manifest["files"]}
    on_disk = {
        p.relative_to(backup).as_posix()
        for p in backup.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert set(listed) == on_disk
    for path, entry in listed.items():
        data = (backup / path).read_bytes()
        assert entry["size"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
    uploads = {p.removeprefix("files/uploads/") for p in listed if p.startswith("files/uploads/")}
    assert uploads == set(site.files()) and len(uploads) == 1
    # The backup records itself in the chain, and the manifest's head is that event.
    head = manifest["audit_head"]
    assert head["seq"] > 1 and len(head["hash"]) == 64
    out = site.python(
        f"""
        import django
        django.setup()
        from fengping.audit.models import Event
        e = Event.objects.get(seq={head["seq"]})
        print(e.action, e.actor_name, e.hash)
        """
    )
    assert out.split() == ["audit.backup.create", "system", head["hash"]]


def test_restore_into_an_empty_installation_reproduces_everything(source, new_site):
    site, backup = source
    target = new_site("dst")
    done = target.run("restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert "审计链完好" in done.stdout and "audit chain intact" in done.stdout
    before, after = site.tables(), target.tables()
    assert before["matters_matterdocument"][0] == 1 and before["audit_event"][0] > 10
    assert after == before
    assert target.files() == site.files() and len(target.files()) == 1
    verified = target.run("audit", "verify")
    assert verified.returncode == 0 and "审计链完好" in verified.stdout


@pytest.fixture(scope="module")
def empty_site(new_site):
    return new_site("refused")


def _manifest_missing(backup):
    (backup / "manifest.json").unlink()


def _manifest_garbled(backup):
    (backup / "manifest.json").write_text('{"format": 1, "files": [', encoding="utf-8")


def _uploaded(backup):
    (path,) = (backup / "files" / "uploads").rglob("*-*")
    return path


def _truncated(backup):
    path = _uploaded(backup)
    path.write_bytes(path.read_bytes()[:-1])


def _missing(backup):
    _uploaded(backup).unlink()


def _altered(backup):
    path = _uploaded(backup)
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))


def _database_truncated(backup):
    (db,) = backup.glob("database.*")
    data = db.read_bytes()
    db.write_bytes(data[:-1])


def _extra(backup):
    (backup / "files" / "uploads" / "planted.txt").write_text("x")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_manifest_missing, "manifest.json"),
        (_manifest_garbled, "无法解析"),
        (_truncated, "文件大小不符"),
        (_missing, "文件缺失"),
        (_altered, "SHA-256 不符"),
        (_database_truncated, "文件大小不符"),
        (_extra, "清单外的文件"),
    ],
)
def test_a_damaged_backup_is_refused(source, empty_site, tmp_path, damage, message):
    _site, backup = source
    copy = tmp_path / "copy"
    shutil.copytree(backup, copy)
    damage(copy)
    target = empty_site
    done = target.run("restore", str(copy))
    assert done.returncode == 1
    assert "拒绝恢复" in done.stderr and message in done.stderr and "Traceback" not in done.stderr
    # Nothing was restored: no file, no audit event.
    assert not (target.data / "uploads").exists()
    assert "audit_event" not in target.table_names()


def test_a_database_with_data_is_not_overwritten_without_force(source, new_site):
    site, backup = source
    before = site.tables()
    done = site.run("restore", str(backup))
    assert done.returncode == 1 and "已有数据" in done.stderr and "--force" in done.stderr
    assert site.tables() == before
    forced = site.run("restore", str(backup), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "审计链完好" in forced.stdout
    assert site.tables() == before


@pytest.mark.parametrize("cmd", ["backup", "restore"])
def test_help_is_bilingual(cmd, tmp_path):
    done = Site(tmp_path, "sqlite:///unused").run(cmd, "--help")
    assert done.returncode == 0 and "SHA-256" in done.stdout
    assert any("\u4e00" <= ch <= "\u9fff" for ch in done.stdout)
