"""Checking an exported audit bundle, free of Django: an auditor runs
`fengping audit verify --bundle FILE --key FINGERPRINT` on a machine with no database and
no configuration, and this module reads only the file.

The bundle (a .zip, written by audit/bundle.py):

    manifest.json    what the bundle holds, the SHA-256 of each other member, the hash of
                     the event before the first, the chain head at export time, and the
                     bundle hash (SHA-256 over the members' names and sums)
    manifest.sig     the Ed25519 signature of manifest.json's bytes (base64)
    public_key.pem   the installation's public key (its fingerprint is the SHA-256 of
                     the raw 32-byte key, printed by `fengping audit key`)
    events.jsonl     one event per line, every field with its hash and algorithm; an event
                     the exporter may not read is "withheld": only seq, hashes, algorithm

The checks, in order, stop at the first problem: the members are exactly those listed;
the key is the expected one (when a fingerprint is given); the signature; each member's
SHA-256 and the bundle hash; then every event: consecutive sequence numbers, each linked
to its predecessor (the first to the manifest's previous hash), each hash recomputed
with the event's own algorithm; the count and the last event against the manifest.

A signature proves who exported the bundle only if the auditor compares the key's
fingerprint with one obtained from the installation by another channel (`--key`):
whoever rewrites a bundle can sign it with a key of their own.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import hashing

FORMAT = "fengping-audit-bundle"
VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
EVENTS = "events.jsonl"
MEMBERS = (EVENTS, PUBLIC_KEY)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bundle_hash(member_sums: dict[str, str]) -> str:
    """The bundle's own hash: SHA-256 over "name sha256" lines of its members, sorted."""
    lines = "".join(f"{name} {member_sums[name]}\n" for name in sorted(member_sums))
    return sha256(lines.encode())


def fingerprint(public_raw: bytes) -> str:
    """The key's fingerprint: the SHA-256 of the raw Ed25519 public key, in hex."""
    return sha256(public_raw)


def normalise_fingerprint(text: str) -> str:
    """Hex digits only, lower case: "AB12:cd34 …" and "ab12cd34…" are the same."""
    return "".join(ch for ch in text.lower() if ch in "0123456789abcdef")


def public_raw_from_pem(pem: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass
class Verdict:
    ok: bool
    problem: str = ""
    events: int = 0
    withheld: int = 0
    fingerprint: str = ""
    manifest: dict[str, Any] = field(default_factory=dict)


class Refused(Exception):
    pass


def _fail(zh: str, en: str) -> Refused:
    return Refused(f"{zh} / {en}")


def verify_bundle(path: Path | str, key: str = "") -> Verdict:
    """Check the bundle at `path`; `key` is the expected fingerprint (any prefix of at
    least 16 hex digits), or "" to accept the bundle's own key (and say so)."""
    verdict = Verdict(ok=False)
    try:
        _verify(Path(path), normalise_fingerprint(key), verdict)
    except Refused as exc:
        verdict.problem = str(exc)
        return verdict
    verdict.ok = True
    return verdict


def _read_zip(path: Path) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if len(names) != len(set(names)):
                raise _fail("审计包内有重名文件", "the bundle holds two members of one name")
            expected = {MANIFEST, SIGNATURE, *MEMBERS}
            if set(names) != expected:
                extra = sorted(set(names) - expected)
                missing = sorted(expected - set(names))
                raise _fail(
                    f"审计包的文件不符（多出 {extra}，缺少 {missing}）",
                    f"the bundle's members differ (extra {extra}, missing {missing})",
                )
            return {name: archive.read(name) for name in names}
    except FileNotFoundError:
        raise _fail(f"找不到文件 {path}", f"no such file {path}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        # A damaged archive; a CRC error also ends up here (zipfile raises BadZipFile).
        raise _fail(f"不是完整的审计包（{exc}）", f"not an intact bundle archive ({exc})") from None


def _verify(path: Path, key: str, verdict: Verdict) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    files = _read_zip(path)
    try:
        public_raw = public_raw_from_pem(files[PUBLIC_KEY])
    except ValueError:
        raise _fail("公钥文件无效", "public_key.pem is not an Ed25519 public key") from None
    verdict.fingerprint = fingerprint(public_raw)
    if key:
        if len(key) < 16:
            raise _fail("--key 指纹至少需 16 位十六进制数字", "--key needs at least 16 hex digits")
        if not verdict.fingerprint.startswith(key):
            raise _fail(
                f"签名密钥不是所指定的密钥（包内密钥指纹 {verdict.fingerprint}）",
                f"the bundle is signed by another key (fingerprint {verdict.fingerprint})",
            )
    manifest_bytes = files[MANIFEST]
    try:
        signature = base64.b64decode(files[SIGNATURE].strip(), validate=True)
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, manifest_bytes)
    except (InvalidSignature, ValueError):
        raise _fail(
            "签名无效：清单被改动或非此密钥所签", "the signature does not match the manifest"
        ) from None
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError:
        raise _fail("清单不是有效的 JSON", "manifest.json is not valid JSON") from None
    verdict.manifest = manifest
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise _fail("不是本版本的审计包格式", "not a fengping audit bundle of version 1")
    if manifest.get("key_fingerprint") != verdict.fingerprint:
        raise _fail("清单记录的密钥指纹与包内公钥不符", "the manifest names another key")
    sums = {}
    for name in MEMBERS:
        listed = manifest.get("members", {}).get(name, {})
        actual = sha256(files[name])
        if listed.get("sha256") != actual or listed.get("bytes") != len(files[name]):
            raise _fail(
                f"{name} 的 SHA-256 与清单不符（文件被改动）",
                f"{name} does not match its SHA-256 in the manifest",
            )
        sums[name] = actual
    if manifest.get("bundle_hash") != bundle_hash(sums):
        raise _fail("审计包哈希与清单不符", "the bundle hash does not match")
    _verify_events(files[EVENTS], manifest, verdict)


def _verify_events(data: bytes, manifest: dict[str, Any], verdict: Verdict) -> None:
    expected_seq = int(manifest["first_seq"])
    prev = str(manifest["prev_hash"])
    last_hash = prev
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        where_zh, where_en = f"第 {number} 行", f"line {number}"
        try:
            event = json.loads(line)
        except ValueError:
            raise _fail(f"{where_zh}不是有效的 JSON", f"{where_en} is not valid JSON") from None
        seq = event.get("seq")
        if seq != expected_seq:
            raise _fail(
                f"{where_zh}：应为事件 #{expected_seq}，却是 #{seq}（事件缺失或顺序被改）",
                f"{where_en}: event #{expected_seq} expected, found #{seq} (missing or reordered)",
            )
        if event.get("prev_hash") != prev:
            raise _fail(
                f"事件 #{seq} 的前序哈希不符", f"event #{seq} does not link to its predecessor"
            )
        algorithm = str(event.get("algorithm", ""))
        if event.get("withheld"):
            try:
                hashing.hash_function(algorithm)
            except hashing.UnknownAlgorithm as exc:
                raise _fail(f"事件 #{seq} 无法校验", f"event #{seq}: {exc}") from None
            verdict.withheld += 1
        else:
            try:
                digest = hashing.event_hash(event, algorithm)
            except hashing.UnknownAlgorithm as exc:
                raise _fail(f"事件 #{seq} 无法校验", f"event #{seq}: {exc}") from None
            except KeyError as exc:
                raise _fail(
                    f"事件 #{seq} 缺少字段 {exc}", f"event #{seq} lacks the field {exc}"
                ) from None
            if digest != event.get("hash"):
                raise _fail(f"事件 #{seq} 内容已被改动", f"event #{seq} was altered")
        prev = last_hash = str(event.get("hash"))
        expected_seq += 1
        verdict.events += 1
    if verdict.events != int(manifest["events"]) or expected_seq - 1 != int(manifest["last_seq"]):
        raise _fail(
            f"事件数与清单不符（包内 {verdict.events} 条，清单 {manifest['events']} 条）",
            f"the bundle holds {verdict.events} events, the manifest says {manifest['events']}",
        )
    if verdict.withheld != int(manifest.get("withheld", 0)):
        raise _fail("未公开事件数与清单不符", "the count of withheld events does not match")
    head = manifest.get("chain_head", {})
    if head.get("seq") == manifest["last_seq"] and head.get("hash") != last_hash:
        raise _fail(
            "末尾事件与导出时的链头不符", "the last event is not the chain head recorded at export"
        )
