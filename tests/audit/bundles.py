"""Helpers for the bundle tests: read, alter and re-sign a bundle the way an attacker
would."""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fengping.audit import bundle_verify as fmt


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def resign(files: dict[str, bytes], **manifest_changes) -> dict[str, bytes]:
    """Recompute the manifest over the (altered) members and sign it with a new key: a
    bundle consistent in itself, made by someone else."""
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    files = {**files, fmt.PUBLIC_KEY: pem}
    manifest = json.loads(files[fmt.MANIFEST])
    sums = {name: fmt.sha256(files[name]) for name in fmt.MEMBERS}
    manifest["members"] = {
        name: {"sha256": sums[name], "bytes": len(files[name])} for name in fmt.MEMBERS
    }
    manifest["bundle_hash"] = fmt.bundle_hash(sums)
    manifest["key_fingerprint"] = fmt.fingerprint(fmt.public_raw_from_pem(pem))
    manifest.update(manifest_changes)
    body = json.dumps(manifest).encode()
    files[fmt.MANIFEST] = body
    files[fmt.SIGNATURE] = base64.b64encode(key.sign(body))
    return files


def lines(files: dict[str, bytes]) -> list[dict]:
    return [json.loads(line) for line in files[fmt.EVENTS].decode().splitlines()]


def join(events: list[dict]) -> bytes:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events).encode()
