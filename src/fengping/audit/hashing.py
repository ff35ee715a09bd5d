"""The chain's hash functions and the canonical form of an event, free of Django.

Free of Django so that `fengping audit verify --bundle` recomputes an exported bundle on
a machine without a configured installation (audit/bundle_verify.py), with exactly the
code that wrote the chain.

Two algorithms: SHA-256 and SM3 (GB/T 32905-2016, the Chinese national hash, required by
some assessors under 密评). Each event records the algorithm it was hashed with, so the
setting may change on a running installation and the whole chain still verifies. The
canonical form does not name the algorithm: an event's hash only matches under the
algorithm that produced it, so changing the recorded algorithm breaks that event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

ALGORITHMS = ("sha256", "sm3")
DEFAULT = "sha256"
GENESIS = "0" * 64


def _sm3_hashlib(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


def _sm3_cryptography(data: bytes) -> str:
    from cryptography.hazmat.primitives import hashes

    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sm3() -> Callable[[bytes], str] | None:
    """OpenSSL's SM3 through hashlib when this Python's OpenSSL has it, else the
    `cryptography` package's (which brings its own OpenSSL); None when neither has it."""
    if "sm3" in hashlib.algorithms_available:
        try:
            _sm3_hashlib(b"")
            return _sm3_hashlib
        except ValueError:  # listed but disabled (e.g. an OpenSSL FIPS provider)
            pass
    try:
        from cryptography.hazmat.primitives import hashes

        if hasattr(hashes, "SM3"):
            _sm3_cryptography(b"")
            return _sm3_cryptography
    except Exception:  # noqa: BLE001 - an absent or refusing backend means "not available"
        return None
    return None


class UnknownAlgorithm(ValueError):
    pass


def hash_function(name: str) -> Callable[[bytes], str]:
    """The hex digest function for `name`; UnknownAlgorithm when it is not one of ours or
    this machine cannot compute it."""
    if name == "sha256":
        return _sha256
    if name == "sm3":
        found = _sm3()
        if found is None:
            raise UnknownAlgorithm(
                "本机的 OpenSSL 与 cryptography 均不提供 SM3"
                " / neither OpenSSL nor the cryptography package provides SM3 here"
            )
        return found
    raise UnknownAlgorithm(
        f"未知的哈希算法 {name!r}（应为 sha256 或 sm3） / unknown hash algorithm {name!r}"
        " (use sha256 or sm3)"
    )


def available(name: str) -> bool:
    try:
        hash_function(name)
    except UnknownAlgorithm:
        return False
    return True


# The event fields, in the order the canonical form lists them.
FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "scope_path",
    "before",
    "after",
    "prev_hash",
)


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The bytes an event's hash is computed over. `at` is the UTC time in ISO form to the
    microsecond (`2026-12-06T02:52:23.123456+00:00`), as `chain.at_text` writes it."""
    payload = [fields[name] for name in FIELDS]
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def event_hash(fields: Mapping[str, Any], algorithm: str) -> str:
    return hash_function(algorithm)(canonical(fields))
