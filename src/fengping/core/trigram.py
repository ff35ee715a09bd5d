"""PostgreSQL trigram indexes for a list's case-insensitive "contains" search (the ORM's
`icontains` is `UPPER(col) LIKE UPPER('%…%')`, a scan of every row without one).

A migration adds them with `trigram_indexes(table, {name: expression})`: it needs the
`pg_trgm` extension, which a database owner may create since PostgreSQL 13; where it cannot
be created the search works as before, only slower. A trigram needs three characters: a
shorter search still scans. SQLite: nothing to do."""

from __future__ import annotations

import logging
from typing import Any

from django.db import migrations, transaction

log = logging.getLogger(__name__)


def trigram_indexes(table: str, indexes: dict[str, str]) -> migrations.RunPython:
    def create(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as exc:  # noqa: BLE001 - a missing privilege must not stop the upgrade
            log.warning("pg_trgm unavailable, the search of %s stays unindexed: %s", table, exc)
            return
        for name, expression in indexes.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                f"USING gin (({expression}) gin_trgm_ops)"
            )

    def drop(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in indexes:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(create, drop)
