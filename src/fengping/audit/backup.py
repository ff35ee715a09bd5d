"""Backups that restore: `fengping backup` and `fengping restore`.

A backup is a directory: the database (`database.sqlite3`, taken with SQLite's online
backup API, or `database.pgdump`, `pg_dump -Fc`), the files kept in the data directory
under `files/<area>/…`, and `manifest.json` naming every file with its size and SHA-256,
plus the audit chain head the database copy ends at. It is written into a hidden
`.<name>.partial` directory and renamed only when complete, so a half-written backup
never looks like one.

A restore checks everything before it changes anything: the manifest, every file's size
and hash, no unlisted file, the database vendor, and that the target database is empty
(unless forced). After restoring it verifies the audit chain and that the chain still
carries the head the manifest recorded.

It lives in `audit` because the manifest's anchor and the final verification are the
audit chain's; it needs nothing from a domain app.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.utils import timezone

import fengping

from .chain import Verification, check_anchor, head, record, verify
from .models import ChainHead, Event

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
FILES = "files"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be written or restored; the message is Chinese / English."""


def file_areas() -> dict[str, Path]:
    """The folders of the data directory whose files are the users' data: uploads (the
    stored files, `core.files`), dropped-in schemes and replaced report templates. The
    generated static files and the secret key are not data and are not copied."""
    data = Path(settings.DATA_DIR)
    return {
        "uploads": Path(settings.MEDIA_ROOT),
        "schemes": data / "schemes",
        "report_templates": data / "report_templates",
    }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _database() -> dict[str, Any]:
    return dict(settings.DATABASES["default"])


def _pg_command(tool: str) -> tuple[list[str], dict[str, str]]:
    """The tool and its connection options from DATABASE_URL; the password goes through
    the environment, never the command line (where `ps` shows it)."""
    exe = shutil.which(tool) or (f"/usr/bin/{tool}" if Path(f"/usr/bin/{tool}").exists() else "")
    if not exe:
        raise BackupError(f"找不到 {tool}（请安装 PostgreSQL 客户端） / {tool} not found")
    db = _database()
    args = [exe]
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(
            f"{Path(args[0]).name} 失败 / failed: {detail[-1] if detail else done.returncode}"
        )


# -- backup ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupResult:
    path: Path
    files: int
    bytes: int
    head_seq: int
    head_hash: str


def _dump_sqlite(target: Path) -> tuple[int, str]:
    """The online backup API copies a consistent snapshot while the server keeps
    writing (a plain file copy of a WAL database can be torn). The head is read from the
    copy, so it is exactly the one the copy ends at."""
    src = sqlite3.connect(str(_database()["NAME"]), timeout=20)
    dst = sqlite3.connect(str(target))
    try:
        with dst:
            src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        row = dst.execute(
            f"SELECT last_seq, last_hash FROM {ChainHead._meta.db_table} WHERE id = 1"  # noqa: S608
        ).fetchone()
    finally:
        dst.close()
        src.close()
    return (int(row[0]), str(row[1])) if row else head()


def _dump_postgres(target: Path) -> tuple[int, str]:
    """pg_dump reads the snapshot this transaction exported, so the head read here is
    exactly the one the dump ends at, however many events are appended meanwhile."""
    if connection.in_atomic_block:
        raise BackupError("备份不能在事务中进行 / a backup cannot run inside a transaction")
    args, env = _pg_command("pg_dump")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT last_seq, last_hash FROM {ChainHead._meta.db_table} WHERE id = 1"  # noqa: S608
        )
        row = cursor.fetchone()
        _run(
            [*args, "-Fc", f"--snapshot={snapshot}", "-f", str(target), str(_database()["NAME"])],
            env,
        )
    return (int(row[0]), str(row[1])) if row else (0, "0" * 64)


def _copy_files(work: Path) -> None:
    for area, root in file_areas().items():
        if not root.is_dir():
            continue
        for source in sorted(root.rglob("*")):
            if source.is_file() and not source.is_symlink():
                dest = work / FILES / area / source.relative_to(root)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest)


def _listing(work: Path) -> list[dict[str, Any]]:
    entries = []
    for path in sorted(work.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            entries.append(
                {
                    "path": path.relative_to(work).as_posix(),
                    "size": path.stat().st_size,
                    "sha256": sha256_of(path),
                }
            )
    return entries


def _new_dir(parent: Path) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    candidate, n = parent / stamp, 1
    while candidate.exists() or (parent / f".{candidate.name}.partial").exists():
        n += 1
        candidate = parent / f"{stamp}-{n}"
    return candidate


def create_backup(to: Path | None = None) -> BackupResult:
    """Write a backup into `to/<local timestamp>/` (default `DATA_DIR/backups/`)."""
    backend = settings.STORAGES["default"]["BACKEND"]
    if not backend.endswith("FileSystemStorage"):
        raise BackupError(
            f"文件存放在 {backend}，本命令只备份本地磁盘上的文件 / files are kept in {backend}; "
            "this command backs up files on local disk only"
        )
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"不支持的数据库 / unsupported database: {vendor}")
    parent = (to or Path(settings.DATA_DIR) / "backups").expanduser().resolve()
    parent.mkdir(parents=True, exist_ok=True)
    final = _new_dir(parent)
    work = parent / f".{final.name}.partial"
    work.mkdir()
    try:
        # Recorded first, so the backup holds the event that records it.
        record(
            None,
            "audit.backup.create",
            object_type="backup",
            object_id=final.name,
            object_repr=str(final)[:300],
            after={"path": str(final), "database": vendor, "version": fengping.__version__},
        )
        if vendor == "sqlite":
            seq, digest = _dump_sqlite(work / SQLITE_FILE)
        else:
            seq, digest = _dump_postgres(work / PG_FILE)
        # The files after the database: a file stored meanwhile is at worst an unused
        # extra; the other order could leave a row whose file is not in the backup.
        _copy_files(work)
        entries = _listing(work)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.localtime().isoformat(timespec="seconds"),
            "fengping_version": fengping.__version__,
            "database": vendor,
            "audit_head": {"seq": seq, "hash": digest},
            "files": entries,
        }
        (work / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BackupResult(final, len(entries), sum(e["size"] for e in entries), seq, digest)


# -- restore ---------------------------------------------------------------------------


def _safe_relative(text: Any) -> PurePosixPath | None:
    if not isinstance(text, str) or not text:
        return None
    path = PurePosixPath(text)
    if path.is_absolute() or any(part in ("", ".", "..") for part in path.parts):
        return None
    return path


def read_manifest(backup: Path) -> dict[str, Any]:
    """The manifest, after checking every file it names; raises BackupError listing what
    is wrong (missing, truncated, altered, unlisted)."""
    if not backup.is_dir():
        raise BackupError(f"备份目录不存在 / no such backup directory: {backup}")
    path = backup / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"备份缺少 {MANIFEST}，无法确认其完整，拒绝恢复 / the backup has no {MANIFEST}; "
            "its completeness cannot be checked, refusing to restore"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        head_seq = int(manifest["audit_head"]["seq"])
        head_hash = str(manifest["audit_head"]["hash"])
        vendor = manifest["database"]
        fmt = manifest["format"]
        if not isinstance(files, list):
            raise TypeError("files")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise BackupError(
            f"{MANIFEST} 无法解析（{exc}），拒绝恢复 / {MANIFEST} cannot be parsed ({exc}); "
            "refusing to restore"
        ) from None
    if fmt != FORMAT:
        raise BackupError(
            f"备份格式 {fmt} 不受支持（本版本为 {FORMAT}） / backup format {fmt} is not supported"
        )
    problems: list[str] = []
    listed: set[str] = set()
    areas = file_areas()
    for entry in files:
        rel = _safe_relative(entry.get("path") if isinstance(entry, dict) else None)
        if rel is None:
            problems.append(f"清单中有无效路径 / invalid path in the manifest: {entry!r}")
            continue
        key = rel.as_posix()
        listed.add(key)
        if rel.parts[0] == FILES and (len(rel.parts) < 3 or rel.parts[1] not in areas):
            problems.append(f"未知的文件区 / unknown file area: {key}")
            continue
        on_disk = backup / key
        if not on_disk.is_file():
            problems.append(f"文件缺失 / file missing: {key}")
        elif on_disk.stat().st_size != entry.get("size"):
            problems.append(
                f"文件大小不符 / size mismatch: {key} "
                f"({on_disk.stat().st_size} ≠ {entry.get('size')})"
            )
        elif sha256_of(on_disk) != entry.get("sha256"):
            problems.append(f"SHA-256 不符（文件被改动） / SHA-256 mismatch (altered): {key}")
    for extra in sorted(backup.rglob("*")):
        key = extra.relative_to(backup).as_posix()
        if extra.is_file() and key != MANIFEST and key not in listed:
            problems.append(f"清单外的文件 / file not in the manifest: {key}")
    database_file = {"sqlite": SQLITE_FILE, "postgresql": PG_FILE}.get(vendor)
    if database_file is None or database_file not in listed:
        problems.append(f"备份中没有数据库 / the backup holds no database ({vendor})")
    if problems:
        shown = problems[:20] + ([f"…（另 {len(problems) - 20} 项）"] if len(problems) > 20 else [])
        raise BackupError(
            "备份已损坏，拒绝恢复 / the backup is damaged, refusing to restore:\n  "
            + "\n  ".join(shown)
        )
    manifest["audit_head"] = {"seq": head_seq, "hash": head_hash}
    return manifest  # type: ignore[no-any-return]


def existing_data() -> tuple[int, int]:
    """Audit events and users in the target database: every change writes an event, so
    a database with neither holds nothing a restore would destroy."""
    tables = set(connection.introspection.table_names())
    user_model = get_user_model()
    events = Event.objects.count() if Event._meta.db_table in tables else 0
    users = user_model.objects.count() if user_model._meta.db_table in tables else 0
    return events, users


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict[str, Any]
    files: int
    verification: Verification
    head_found: bool

    @property
    def ok(self) -> bool:
        return self.verification.ok and self.head_found


def _restore_sqlite(source: Path) -> None:
    connections.close_all()
    target = Path(str(_database()["NAME"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    # Page by page into the open database, so its -wal/-shm files stay consistent (a
    # file copied over a WAL database could be overlaid by the stale log).
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(str(target), timeout=20)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _restore_postgres(source: Path) -> None:
    connections.close_all()
    args, env = _pg_command("pg_restore")
    _run(
        [
            *args,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "-d",
            str(_database()["NAME"]),
            str(source),
        ],
        env,
    )


def restore_backup(backup: Path, *, force: bool = False) -> RestoreResult:
    """Check the backup, then restore the database and the files into the configured
    ones and verify the audit chain."""
    backup = backup.expanduser().resolve()
    manifest = read_manifest(backup)
    vendor = connection.vendor
    if manifest["database"] != vendor:
        raise BackupError(
            f"备份来自 {manifest['database']} 数据库，当前配置为 {vendor}，不能恢复 / the backup "
            f"is of a {manifest['database']} database, the configured one is {vendor}"
        )
    events, users = existing_data()
    if (events or users) and not force:
        raise BackupError(
            f"目标数据库已有数据（{events} 条审计事件、{users} 个用户），拒绝覆盖；确需覆盖请加 --force"
            f" / the target database already holds data ({events} audit events, {users} users);"
            " refusing to overwrite it without --force"
        )
    if vendor == "sqlite":
        _restore_sqlite(backup / SQLITE_FILE)
    else:
        _restore_postgres(backup / PG_FILE)
    areas = file_areas()
    copied = 0
    for entry in manifest["files"]:
        rel = PurePosixPath(entry["path"])
        if rel.parts[0] != FILES:
            continue
        dest = areas[rel.parts[1]].joinpath(*rel.parts[2:])
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(backup / rel.as_posix(), dest)
        copied += 1
    seq, digest = manifest["audit_head"]["seq"], manifest["audit_head"]["hash"]
    return RestoreResult(
        manifest=manifest,
        files=copied,
        verification=verify(),
        head_found=seq == 0 or check_anchor(seq, digest),
    )
