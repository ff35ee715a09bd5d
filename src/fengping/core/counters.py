"""Maintained counters: `count = count + d` rows kept in the transaction that writes what
they count, so pages read a few rows instead of counting many (issue 9). Used by the
questionnaire statistics (`opinions.tallies`) and the opinion keywords
(`opinions.keyword_index`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F


def increment(
    model: Any,
    fields: tuple[str, ...],
    deltas: Mapping[tuple[Any, ...], int],
    defaults: Callable[[tuple[Any, ...]], dict[str, Any]] | None = None,
) -> None:
    """`count = count + d` for each key (the values of `fields`): one UPDATE, and only for a
    key not counted yet an INSERT in a savepoint (with `defaults(key)` as its other
    columns). A concurrent first insert of the same key makes ours fail on the unique
    constraint over `fields`; the UPDATE then adds to the row it committed, so no count is
    lost. Keys are taken in order, so two writers lock the rows in the same order."""
    for key, d in sorted(deltas.items()):
        if not d:
            continue
        lookup = dict(zip(fields, key, strict=True))
        rows = model.objects.filter(**lookup)
        if rows.update(count=F("count") + d):
            continue
        try:
            with transaction.atomic():
                model.objects.create(**lookup, count=d, **(defaults(key) if defaults else {}))
        except IntegrityError:
            rows.update(count=F("count") + d)
