"""Writing to and verifying the audit chain."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from fengping.core.concurrency import bump

from . import hashing
from .models import ChainHead, Checkpoint, Event

GENESIS = hashing.GENESIS


def jsonable(value: Any) -> Any:
    """Plain JSON types only, so that what is hashed is exactly what the database returns."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def snapshot(obj: models.Model, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The named fields of `obj` as JSON values (foreign keys by their id)."""
    data: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        data[name] = getattr(obj, attname)
    return jsonable(data)  # type: ignore[no-any-return]


def at_text(at: datetime) -> str:
    """An event's time as the canonical form (and the exported bundle) writes it."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def fields_of(event: Event) -> dict[str, Any]:
    """The hashed fields of `event`, as hashing.canonical takes them."""
    return {
        "seq": event.seq,
        "at": at_text(event.at),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "scope_path": event.scope_path,
        "before": event.before,
        "after": event.after,
        "prev_hash": event.prev_hash,
    }


def _event_hash(event: Event) -> str:
    return hashing.event_hash(fields_of(event), event.algorithm)


def configured_algorithm() -> str:
    """FENGPING_AUDIT_HASH (checked at start-up by fengping.conf.audit_hash)."""
    return str(getattr(settings, "FENGPING_AUDIT_HASH", hashing.DEFAULT))


def record(
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    scope_path: str = "",
) -> Event:
    """Append one event. Call it inside the action's transaction so the event and the
    change commit or roll back together."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:300]
        scope_path = scope_path or getattr(obj, "audit_scope_path", "") or ""
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    actor_name = getattr(actor, "username", "") if actor is not None else "system"
    with transaction.atomic():
        # The head row is created by a migration; it is re-created only on an empty log
        # (e.g. a flushed test database). Were it deleted while events exist, the new
        # event's sequence number 1 would collide and the append is refused.
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        event = Event(
            seq=head.last_seq + 1,
            # Stored to the microsecond on both SQLite and PostgreSQL.
            at=timezone.now(),
            actor_id=actor_id,
            actor_name=actor_name or "",
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr[:300],
            scope_path=scope_path,
            before=jsonable(before),
            after=jsonable(after),
            prev_hash=head.last_hash,
            algorithm=configured_algorithm(),
        )
        event.hash = _event_hash(event)
        event.save()
        head.last_seq = event.seq
        head.last_hash = event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


def save_and_record(
    actor: Any,
    action: str,
    obj: models.Model,
    *fields: str,
    before: dict[str, Any] | None = None,
    audit_fields: tuple[str, ...] | list[str] | None = None,
) -> Event:
    """The one "bump the version, save, record" step of an action: raise `obj.version`,
    save it (only `fields` when given) and append the event with the row's audit fields
    after the change. `audit_fields` defaults to the model's `audit_fields`."""
    bump(obj, *fields)
    names = audit_fields if audit_fields is not None else getattr(type(obj), "audit_fields", ())
    return record(actor, action, obj, before=before, after=snapshot(obj, names))


def last_change(obj: models.Model) -> Event | None:
    """The newest event recorded on `obj` (who changed it last, and when)."""
    return (
        Event.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("-seq")
        .first()
    )


def who_changed(obj: models.Model) -> dict[str, Any] | None:
    """For core.concurrency.last_change: the actor and time of the last event on `obj`."""
    event = last_change(obj)
    return {"who": event.actor_display, "at": event.at} if event is not None else None


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def start() -> tuple[int, str]:
    """Where the chain starts: the genesis, or the checkpoint a purge left (the last
    purged event's sequence number and hash)."""
    point = Checkpoint.objects.filter(pk=1).first()
    return (point.last_seq, point.last_hash) if point is not None else (0, GENESIS)


def verify() -> Verification:
    """Recompute the chain from its start (the genesis or the purge checkpoint); stop at
    the first break. Each event is hashed with its own algorithm."""
    start_seq, prev = start()
    expected_seq = start_seq + 1
    checked = 0
    for event in Event.objects.filter(seq__gt=start_seq).order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return Verification(
                False,
                checked,
                expected_seq,
                f"事件 #{expected_seq} 缺失 / event #{expected_seq} is missing",
            )
        if event.prev_hash != prev:
            return Verification(
                False,
                checked,
                event.seq,
                f"事件 #{event.seq} 的前序哈希不符 / event #{event.seq} does not link to its predecessor",
            )
        try:
            digest = _event_hash(event)
        except hashing.UnknownAlgorithm as exc:
            return Verification(
                False, checked, event.seq, f"事件 #{event.seq} 无法校验 / event #{event.seq}: {exc}"
            )
        if digest != event.hash:
            return Verification(
                False,
                checked,
                event.seq,
                f"事件 #{event.seq} 内容已被改动 / event #{event.seq} was altered",
            )
        prev = event.hash
        expected_seq += 1
        checked += 1
    head = ChainHead.objects.filter(pk=1).first()
    last_seq = expected_seq - 1
    if head is None or head.last_seq != last_seq or head.last_hash != prev:
        head_seq = head.last_seq if head else 0
        missing = last_seq + 1 if head_seq > last_seq else head_seq
        return Verification(
            False,
            checked,
            missing,
            f"链头记录到事件 #{head_seq}，而链止于 #{last_seq}（末尾事件被删除或链头被改动）"
            f" / the head records event #{head_seq} but the chain ends at #{last_seq}",
        )
    return Verification(True, checked)


def head() -> tuple[int, str]:
    """The newest event's sequence number and hash: an anchor to print outside the
    database (on reports and archive indexes). Whoever rewrites the whole chain
    consistently cannot change what was printed and filed."""
    row = ChainHead.objects.filter(pk=1).first()
    return (row.last_seq, row.last_hash) if row else (0, GENESIS)


def anchor_text() -> str:
    seq, digest = head()
    return f"审计链锚点：#{seq}:{digest}"


def check_anchor(seq: int, digest: str) -> bool:
    """Does event `seq` still carry this hash (or a prefix of at least 16 characters)?"""
    if len(digest) < 16:
        return False
    event = Event.objects.filter(seq=seq).only("hash").first()
    return event is not None and event.hash.startswith(digest.lower())
