"""PostgreSQL: trigram indexes for the matters search (issue 9).

The list's `?q=` is a case-insensitive "contains" over the title and the description
(`UPPER(col) LIKE UPPER('%…%')`), a scan of every matter without an index: 56 ms at
100,000 matters, 4 ms with these for a search of three characters or more (a trigram
needs three; a two-character search still scans). Needs the `pg_trgm` extension, which
a database owner may create since PostgreSQL 13; where it cannot be created the search
works as before, only slower. SQLite: nothing to do.
"""

import logging

from django.db import migrations, transaction

log = logging.getLogger(__name__)

INDEXES = {
    "matter_title_trgm_idx": "UPPER(title::text)",
    "matter_description_trgm_idx": "UPPER(description)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # noqa: BLE001 - a missing privilege must not stop the upgrade
        log.warning("pg_trgm unavailable, the matters search stays unindexed: %s", exc)
        return
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON matters_matter "
            f"USING gin (({expression}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("matters", "0005_responsibility_designation")]

    operations = [migrations.RunPython(create, drop)]
