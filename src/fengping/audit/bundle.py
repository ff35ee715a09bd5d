"""Exporting a date range of the audit chain as a signed bundle (`fengping audit export`,
the audit page's download): the format and its check are described in bundle_verify.py.

The installation's Ed25519 key is generated on first use into FENGPING_AUDIT_KEY_FILE
(the data directory by default), readable by its owner only. The fingerprint of its
public key is what an auditor compares (`fengping audit key`, the audit page).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

import fengping

from . import bundle_verify as fmt
from .chain import fields_of, head, record, start
from .models import BundleExport, Event


class BundleError(Exception):
    """The bundle cannot be written (a message in Chinese and English)."""


# ------------------------------------------------------------------ the signing key


def key_file() -> Path:
    return Path(settings.FENGPING_AUDIT_KEY_FILE)


def _private_key() -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = key_file()
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Created with mode 0600 in one step (never readable by others, not even
            # briefly); O_EXCL: of two processes generating at once, one key wins.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise BundleError(f"{path} 不是 Ed25519 私钥 / {path} is not an Ed25519 private key")
    return loaded


def public_key_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization

    return (
        _private_key()
        .public_key()
        .public_bytes(  # type: ignore[no-any-return]
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def key_fingerprint() -> str:
    """The fingerprint of the installation's key (generating the key on first use)."""
    return fmt.fingerprint(fmt.public_raw_from_pem(public_key_pem()))


def grouped(fingerprint: str) -> str:
    """For reading aloud or comparing by eye: groups of four hex digits."""
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


# ------------------------------------------------------------------ writing


def day_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """From the start of `date_from` to the end of `date_to`, in the local time zone."""
    tz = timezone.get_default_timezone()
    start_at = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end_at = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start_at, end_at


def seq_range(date_from: dt.date, date_to: dt.date) -> tuple[int, int] | None:
    """The first and last sequence numbers of the events in the range (every event
    between them goes into the bundle, so the chain stays unbroken)."""
    start_at, end_at = day_bounds(date_from, date_to)
    within = Event.objects.filter(at__gte=start_at, at__lt=end_at).order_by()
    first = within.order_by("seq").values_list("seq", flat=True).first()
    if first is None:
        return None
    last = within.order_by("-seq").values_list("seq", flat=True).first()
    return int(first), int(last)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Written:
    first_seq: int
    last_seq: int
    events: int
    withheld: int
    bundle_hash: str
    fingerprint: str
    manifest: dict[str, Any]


def _line(event: Event, shown: bool) -> dict[str, Any]:
    if not shown:
        return {
            "seq": event.seq,
            "prev_hash": event.prev_hash,
            "hash": event.hash,
            "algorithm": event.algorithm,
            "withheld": True,
        }
    return {**fields_of(event), "hash": event.hash, "algorithm": event.algorithm}


def write_bundle(
    out: IO[bytes],
    date_from: dt.date,
    date_to: dt.date,
    *,
    visible: QuerySet[Event] | None = None,
) -> Written:
    """Write the bundle of the events from `date_from` to `date_to` (local dates, both
    included) into `out`. With `visible`, the events outside it are withheld: the bundle
    carries only their hashes, so the chain still verifies and nothing is disclosed."""
    if date_to < date_from:
        raise BundleError("截止日期早于起始日期 / the end date is before the start date")
    found = seq_range(date_from, date_to)
    if found is None:
        raise BundleError(
            f"{date_from} 至 {date_to} 没有审计事件 / no audit events from {date_from} to {date_to}"
        )
    first_seq, last_seq = found
    chain_start_seq, chain_start_hash = start()
    head_seq, head_hash = head()
    rows = Event.objects.filter(seq__gte=first_seq, seq__lte=last_seq).order_by("seq")
    if visible is not None:
        rows = rows.annotate(shown=Exists(visible.filter(pk=OuterRef("pk"))))
    events = withheld = 0
    prev_hash = ""
    digest = hashlib.sha256()
    with tempfile.TemporaryFile() as jsonl:
        for event in rows.iterator(chunk_size=2000):
            shown = getattr(event, "shown", True)
            if events == 0:
                prev_hash = event.prev_hash
            line = (
                json.dumps(_line(event, shown), ensure_ascii=False, sort_keys=True) + "\n"
            ).encode()
            jsonl.write(line)
            digest.update(line)
            events += 1
            withheld += not shown
        size = jsonl.tell()
        pem = public_key_pem()
        sums = {fmt.EVENTS: digest.hexdigest(), fmt.PUBLIC_KEY: fmt.sha256(pem)}
        fingerprint = fmt.fingerprint(fmt.public_raw_from_pem(pem))
        manifest = {
            "format": fmt.FORMAT,
            "version": fmt.VERSION,
            "generator": f"fengping {fengping.__version__}",
            "created_at": timezone.localtime().isoformat(timespec="seconds"),
            "range": {
                "from": date_from.isoformat(),
                "to": date_to.isoformat(),
                "time_zone": settings.TIME_ZONE,
            },
            "first_seq": first_seq,
            "last_seq": last_seq,
            "events": events,
            "withheld": withheld,
            "prev_hash": prev_hash,
            "chain_start": {"seq": chain_start_seq, "hash": chain_start_hash},
            "chain_head": {"seq": head_seq, "hash": head_hash},
            "members": {
                fmt.EVENTS: {"sha256": sums[fmt.EVENTS], "bytes": size},
                fmt.PUBLIC_KEY: {"sha256": sums[fmt.PUBLIC_KEY], "bytes": len(pem)},
            },
            "bundle_hash": fmt.bundle_hash(sums),
            "key_fingerprint": fingerprint,
        }
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
        signature = base64.b64encode(_private_key().sign(manifest_bytes)) + b"\n"
        jsonl.seek(0)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(fmt.MANIFEST, manifest_bytes)
            archive.writestr(fmt.SIGNATURE, signature)
            archive.writestr(fmt.PUBLIC_KEY, pem)
            with archive.open(fmt.EVENTS, "w", force_zip64=True) as member:
                while chunk := jsonl.read(1 << 20):
                    member.write(chunk)
    return Written(
        first_seq, last_seq, events, withheld, manifest["bundle_hash"], fingerprint, manifest
    )


def export_bundle(
    actor: Any,
    out: IO[bytes],
    date_from: dt.date,
    date_to: dt.date,
    *,
    visible: QuerySet[Event] | None = None,
    scope_path: str = "",
) -> Written:
    """Write the bundle and keep its record (`BundleExport`, which a purge checks) with
    one audit event. The caller has checked who may export (desk.audit_bundle for the
    page and the API; the operator's shell for the CLI)."""
    with transaction.atomic():
        written = write_bundle(out, date_from, date_to, visible=visible)
        row = BundleExport.objects.create(
            created_at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_name=getattr(actor, "username", "") if actor is not None else "system",
            date_from=date_from,
            date_to=date_to,
            first_seq=written.first_seq,
            last_seq=written.last_seq,
            complete=written.withheld == 0,
            bundle_hash=written.bundle_hash,
            key_fingerprint=written.fingerprint,
        )
        record(
            actor,
            "audit.bundle.export",
            row,
            object_repr=f"{date_from} – {date_to}",
            scope_path=scope_path,
            after={
                "from": date_from.isoformat(),
                "to": date_to.isoformat(),
                "first_seq": written.first_seq,
                "last_seq": written.last_seq,
                "events": written.events,
                "withheld": written.withheld,
                "bundle_hash": written.bundle_hash,
                "key_fingerprint": written.fingerprint,
            },
        )
    return written
