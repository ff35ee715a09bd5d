"""Removing audit events past their retention (`fengping audit purge --before DATE`).

网络安全法 第二十一条 requires network logs to be kept at least six months:
FENGPING_AUDIT_RETENTION_DAYS (at least 180, checked at start-up) is the floor, and this
is the only code that deletes events (Event's queryset refuses `delete()` everywhere
else). A purge:

- refuses a date later than today − the retention (local dates);
- removes only a prefix of the chain: the events before the first event of that date
  (so an event written during a clock step back is never removed out of order);
- refuses unless the removed events were exported first: a complete bundle recorded by
  `fengping audit export` covers them, or the bundle file given with `--bundle` verifies,
  is signed by this installation's key and ends on the same hash as the database;
- refuses on a broken chain (a purge must not erase the evidence of tampering);
- keeps a checkpoint (the last purged event's sequence number and hash) from which
  `fengping audit verify` and the audit page's verification start, and is itself an
  audit event.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from . import bundle_verify
from .bundle import day_bounds, key_fingerprint
from .chain import record, start, verify
from .models import BundleExport, ChainHead, Checkpoint, Event


class PurgeRefused(Exception):
    """The purge is not allowed (a message in Chinese and English)."""


def retention_days() -> int:
    return int(settings.FENGPING_AUDIT_RETENTION_DAYS)


def latest_purge_date(today: dt.date | None = None) -> dt.date:
    """The latest `--before` date allowed: every event before it is older than the
    retention."""
    return (today or timezone.localdate()) - dt.timedelta(days=retention_days())


@dataclass(frozen=True)
class Purged:
    events: int
    first_seq: int
    last_seq: int
    last_hash: str
    event: Event


def _covered_by_exports(first: int, last: int) -> BundleExport | None:
    """Complete bundles whose sequence ranges together cover first..last; returns the
    one reaching `last` (its hash goes on the checkpoint), or None when a gap remains."""
    reach = first - 1
    covering = None
    rows = BundleExport.objects.filter(complete=True, last_seq__gte=first, first_seq__lte=last)
    for row in rows.order_by("first_seq", "-last_seq"):
        if row.first_seq > reach + 1:
            break
        if row.last_seq > reach:
            reach, covering = row.last_seq, row
        if reach >= last:
            return covering
    return None


def _check_bundle_file(path: Path, first: int, last: int, last_hash: str) -> str:
    """The bundle file verifies, is ours, complete, covers first..last, and its event
    `last` carries the database's hash (the chain then binds every earlier event)."""
    verdict = bundle_verify.verify_bundle(path, key=key_fingerprint())
    if not verdict.ok:
        raise PurgeRefused(f"审计包未通过校验 / the bundle does not verify: {verdict.problem}")
    manifest = verdict.manifest
    if verdict.withheld:
        raise PurgeRefused(
            "审计包有未公开的事件，不能作为清理依据 / the bundle withholds events and cannot"
            " justify a purge"
        )
    if manifest["first_seq"] > first or manifest["last_seq"] < last:
        raise PurgeRefused(
            f"审计包只含事件 #{manifest['first_seq']}–#{manifest['last_seq']}，不覆盖待清理的"
            f" #{first}–#{last} / the bundle holds #{manifest['first_seq']}–#{manifest['last_seq']},"
            f" not the events to purge #{first}–#{last}"
        )
    with zipfile.ZipFile(path) as archive, archive.open(bundle_verify.EVENTS) as lines:
        for raw in lines:
            event = json.loads(raw)
            if event["seq"] == last:
                if event["hash"] != last_hash:
                    raise PurgeRefused(
                        f"审计包中事件 #{last} 与数据库不符 / event #{last} in the bundle differs"
                        " from the database"
                    )
                return str(manifest["bundle_hash"])
    raise PurgeRefused(f"审计包中没有事件 #{last} / the bundle lacks event #{last}")


def purge(before: dt.date, *, bundle: Path | None = None, actor: Any = None) -> Purged:
    latest = latest_purge_date()
    if before > latest:
        raise PurgeRefused(
            f"只能清理 {latest} 之前的事件：审计事件至少保留 {retention_days()} 天"
            f"（FENGPING_AUDIT_RETENTION_DAYS，网络安全法第二十一条） / events can be purged only"
            f" before {latest}: they are kept at least {retention_days()} days"
        )
    start_at, _end = day_bounds(before, before)
    # Verified before the writers are held up (a long chain takes a while); what is cut
    # below is a prefix of what was just proved intact.
    result = verify()
    if not result.ok:
        raise PurgeRefused(
            f"审计链已断裂，拒绝清理：{result.reason} / the chain is broken, nothing is purged"
        )
    start_seq, _start_hash = start()
    with transaction.atomic():
        # Writers wait: nothing is appended while the prefix is cut and the checkpoint set.
        ChainHead.objects.select_for_update().get_or_create(pk=1)
        first_young = Event.objects.filter(at__gte=start_at).aggregate(n=Min("seq"))["n"]
        if first_young is not None:
            last = first_young - 1
        else:
            last = Event.objects.aggregate(n=Max("seq"))["n"] or start_seq
        first = start_seq + 1
        if last < first:
            raise PurgeRefused(
                f"{before} 之前没有可清理的事件 / there are no events before {before} to purge"
            )
        last_hash = Event.objects.filter(seq=last).values_list("hash", flat=True).get()
        if bundle is not None:
            bundle_hash = _check_bundle_file(bundle, first, last, last_hash)
        else:
            covering = _covered_by_exports(first, last)
            if covering is None:
                raise PurgeRefused(
                    f"事件 #{first}–#{last} 尚未完整导出：请先运行 fengping audit export，"
                    "或用 --bundle 指定覆盖这些事件的审计包 / events"
                    f" #{first}–#{last} were not exported: run `fengping audit export` first or"
                    " give a bundle covering them with --bundle"
                )
            bundle_hash = covering.bundle_hash
        # The one path that deletes events: the append-only queryset refuses elsewhere.
        table = connection.ops.quote_name(Event._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE seq >= %s AND seq <= %s", [first, last])  # noqa: S608
            deleted = cursor.rowcount
        Checkpoint.objects.update_or_create(
            pk=1,
            defaults={
                "last_seq": last,
                "last_hash": last_hash,
                "purged_at": timezone.now(),
                "bundle_hash": bundle_hash,
            },
        )
        event = record(
            actor,
            "audit.purge",
            object_type="audit.checkpoint",
            object_id="1",
            object_repr=f"#{first}–#{last}",
            after={
                "before": before.isoformat(),
                "retention_days": retention_days(),
                "first_seq": first,
                "last_seq": last,
                "last_hash": last_hash,
                "events": deleted,
                "bundle_hash": bundle_hash,
            },
        )
    return Purged(deleted, first, last, last_hash, event)
