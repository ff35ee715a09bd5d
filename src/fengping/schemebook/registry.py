"""The one place the web app and the CLI get schemes from.

Three sources are merged:

* built-in files shipped with the code (`fengping/schemes/builtin/`),
* files an office drops into `DATA_DIR/schemes/` (no code, no restart),
* schemes an administrator uploaded through the web page (active ones only).

A key names one scheme. A built-in key can never be taken by another source, and an upload
wins over a dropped file with the same key (the upload went through the audited action;
the file is skipped with a warning). A file or upload that no longer validates is skipped
and reported by `problems()`, so one bad file never takes the whole section down.

Built-in schemes are parsed once per process (they do not change at run time); dropped
files are re-parsed when their size or modification time changes; uploads are read from
the database on every call and only their parse is cached, by content hash, so a new
upload is visible on the very next request in every process.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from django.conf import settings

from fengping.schemes import BUILTIN_DIR, Scheme, SchemeError, list_entries, load_text
from fengping.schemes.loader import SCHEME_SUFFIXES
from fengping.schemes.model import Issue

from .models import UploadedScheme, UploadedSchemeVersion

log = logging.getLogger(__name__)

Origin = Literal["builtin", "file", "upload"]


@dataclass(frozen=True)
class Entry:
    """One available scheme: what it is, where it comes from, and its text."""

    scheme: Scheme
    origin: Origin
    path: Path | None = None  # builtin and file
    upload: UploadedScheme | None = None  # upload
    text: str = ""

    @property
    def key(self) -> str:
        return self.scheme.key

    @property
    def source_label(self) -> str:
        """Where the scheme lives, for people: a file name or the upload's key."""
        if self.path is not None:
            return self.path.name
        return f"{self.scheme.key}.yaml"


@dataclass(frozen=True)
class Problem:
    """A dropped file or stored upload that is not offered, and why."""

    source: str
    issues: tuple[Issue, ...]


# ---------------------------------------------------------------------------- sources


def builtin_keys() -> frozenset[str]:
    return frozenset(e.scheme.key for e in list_entries())


def _builtin() -> list[Entry]:
    # `list_entries()` without directories is the loader's per-process cache of builtins.
    return [
        Entry(e.scheme, "builtin", path=e.path, text=_read(e.path))
        for e in list_entries()
        if e.builtin
    ]


_text_cache: dict[Path, str] = {}


def _read(path: Path) -> str:
    if path not in _text_cache:
        _text_cache[path] = path.read_text(encoding="utf-8")
    return _text_cache[path]


def drop_dir() -> Path:
    return Path(settings.DATA_DIR) / "schemes"


_file_lock = threading.Lock()
# path -> ((mtime_ns, size), Entry | Problem)
_file_cache: dict[Path, tuple[tuple[int, int], Entry | Problem]] = {}


def _load_dropped(path: Path) -> Entry | Problem:
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Problem(path.name, (Issue("", "文件不是 UTF-8 编码", "the file is not UTF-8"),))
    except OSError as exc:
        return Problem(
            path.name, (Issue("", f"无法读取文件：{exc.strerror}", f"cannot read: {exc}"),)
        )
    try:
        scheme = load_text(text, path.name)
    except SchemeError as exc:
        return Problem(path.name, exc.issues)
    if scheme.key != path.stem:
        return Problem(
            path.name,
            (
                Issue(
                    "key",
                    f"方案键 {scheme.key!r} 与文件名 {path.stem!r} 不一致",
                    f"key {scheme.key!r} does not match the file name {path.stem!r}",
                ),
            ),
        )
    return Entry(scheme, "file", path=path, text=text)


def _dropped() -> list[Entry | Problem]:
    directory = drop_dir()
    if not directory.is_dir():
        return []
    results: list[Entry | Problem] = []
    with _file_lock:
        for path in sorted(directory.iterdir()):
            if path.suffix not in SCHEME_SUFFIXES or not path.is_file():
                continue
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            cached = _file_cache.get(path)
            if cached is None or cached[0] != stamp:
                cached = (stamp, _load_dropped(path))
                _file_cache[path] = cached
            results.append(cached[1])
    return results


_parse_lock = threading.Lock()
_parsed: OrderedDict[tuple[str, str], Scheme] = OrderedDict()
_PARSED_MAX = 64


def parse_upload_text(key: str, content_hash: str, text: str) -> Scheme:
    """Parse stored upload text, remembering the result by (key, content hash).

    The text was validated when it was uploaded; the cache only saves re-validating it
    on every request. A row whose text changes gets a new hash, hence a new cache entry.
    """
    ident = (key, content_hash)
    with _parse_lock:
        if ident in _parsed:
            _parsed.move_to_end(ident)
            return _parsed[ident]
    scheme = load_text(text, f"{key}.yaml")
    with _parse_lock:
        _parsed[ident] = scheme
        while len(_parsed) > _PARSED_MAX:
            _parsed.popitem(last=False)
    return scheme


# False when the database has no scheme tables yet (a command run before `migrate`):
# the built-in and dropped schemes are still there; uploaded ones cannot be read.
READ_UPLOADS = True


def _uploads() -> list[Entry | Problem]:
    results: list[Entry | Problem] = []
    if not READ_UPLOADS:
        return results
    rows = UploadedScheme.objects.filter(is_active=True).select_related("uploaded_by")
    for row in rows.order_by("key"):
        try:
            scheme = parse_upload_text(row.key, row.content_hash, row.yaml_text)
        except SchemeError as exc:
            results.append(Problem(f"{row.key}.yaml", exc.issues))
            continue
        if scheme.content_hash != row.content_hash:
            # The model's defaults changed since the upload; the content is what it is now.
            log.warning(
                "uploaded scheme %s: stored hash %s, content now hashes to %s",
                row.key,
                row.version,
                scheme.version,
            )
        results.append(Entry(scheme, "upload", upload=row, text=row.yaml_text))
    return results


# ---------------------------------------------------------------------------- API


def scan() -> tuple[list[Entry], list[Problem]]:
    """Every available scheme (sorted by key) and every file or upload left out."""
    entries: dict[str, Entry] = {e.key: e for e in _builtin()}
    problems: list[Problem] = []
    uploads = _uploads()
    upload_keys = {u.key for u in uploads if isinstance(u, Entry)}
    for item in _dropped():
        if isinstance(item, Problem):
            log.warning("scheme file %s skipped: %s", item.source, item.issues)
            problems.append(item)
            continue
        if item.key in entries or item.key in upload_keys:
            taken = "内置方案" if item.key in entries else "已上传的方案"
            taken_en = "a built-in scheme" if item.key in entries else "an uploaded scheme"
            log.warning("scheme file %s skipped: key %s is already taken", item.path, item.key)
            problems.append(
                Problem(
                    item.source_label,
                    (
                        Issue(
                            "key",
                            f"方案键 {item.key!r} 已被{taken}使用，该文件未被采用",
                            f"key {item.key!r} is already used by {taken_en}; file skipped",
                        ),
                    ),
                )
            )
            continue
        entries[item.key] = item
    for item in uploads:
        if isinstance(item, Problem):
            log.warning("uploaded scheme %s skipped: %s", item.source, item.issues)
            problems.append(item)
        elif item.key in entries and entries[item.key].origin == "builtin":
            # do_upload_scheme refuses this; a row can only get here by other means.
            log.warning("uploaded scheme %s skipped: built-in key", item.key)
        else:
            entries[item.key] = item
    return [entries[k] for k in sorted(entries)], problems


# Scheme object -> its content hash: hashing a scheme's canonical JSON cost 4 % of every
# page that caches scheme-derived options by `version()`. Keyed by the object itself (kept
# alive here, so an id is never reused): a copy with changes is another object.
_hashes: dict[int, tuple[Scheme, str]] = {}


def _hash(scheme: Scheme) -> str:
    held = _hashes.get(id(scheme))
    if held is not None and held[0] is scheme:
        return held[1]
    if len(_hashes) > 256:
        _hashes.clear()
    value = scheme.content_hash
    _hashes[id(scheme)] = (scheme, value)
    return value


def version() -> str:
    """A short fingerprint of what `entries()` would return: it changes whenever a built-in,
    dropped or uploaded scheme changes. Costs one small query and a directory listing,
    without parsing anything, so callers can cache what they derive from the schemes
    (filter options, labels) by it."""
    parts = [f"b:{e.scheme.key}:{_hash(e.scheme)}" for e in list_entries() if e.builtin]
    directory = drop_dir()
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            if path.suffix in SCHEME_SUFFIXES and path.is_file():
                stat = path.stat()
                parts.append(f"f:{path.name}:{stat.st_mtime_ns}:{stat.st_size}")
    rows = UploadedScheme.objects.filter(is_active=True).order_by("key")
    if not READ_UPLOADS:
        rows = rows.none()
    parts.extend(f"u:{key}:{h}" for key, h in rows.values_list("key", "content_hash"))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def entries() -> list[Entry]:
    """Every available scheme, sorted by key."""
    return scan()[0]


def problems() -> list[Problem]:
    """Dropped files and stored uploads that are not offered, with the reasons."""
    return scan()[1]


def entry(key: str) -> Entry:
    """The entry for `key`; LookupError when there is none."""
    for item in entries():
        if item.key == key:
            return item
    raise LookupError(f"unknown scheme {key!r} / 未知的方案 {key!r}")


def get(key: str) -> Scheme:
    """The current scheme with `key`; LookupError when there is none."""
    return entry(key).scheme


def get_version(key: str, version: str) -> Scheme:
    """The scheme `key` at `version` (12 hex digits, or the full content hash).

    The current version of any source, or any earlier version of an upload. Built-in and
    dropped files keep only their current text; an older version of those raises
    LookupError like an unknown key does.
    """
    if len(version) < 12:
        raise LookupError(f"version {version!r} is too short")
    try:
        current = entry(key)
    except LookupError:
        current = None
    if current is not None and current.scheme.content_hash.startswith(version):
        return current.scheme
    rows = UploadedSchemeVersion.objects.filter(
        scheme__key=key, content_hash__startswith=version
    ).order_by("-uploaded_at")
    for row in rows[:1]:
        return parse_upload_text(key, row.content_hash, row.yaml_text)
    raise LookupError(f"scheme {key!r} has no version {version!r}")


def reserved_key(key: str) -> str | None:
    """Why `key` cannot be uploaded ("built-in", "reserved", "file"), or None if it is free."""
    if key in builtin_keys():
        return "built-in"
    if key in _RESERVED_WORDS:
        return "reserved"
    for item in _dropped():
        if isinstance(item, Entry) and item.key == key:
            return "file"
    return None


# Path segments under /schemes/ that are pages, not schemes.
_RESERVED_WORDS = frozenset({"upload", "new"})

__all__ = [
    "BUILTIN_DIR",
    "Entry",
    "Problem",
    "builtin_keys",
    "drop_dir",
    "entries",
    "entry",
    "get",
    "get_version",
    "version",
    "problems",
    "reserved_key",
    "scan",
]
