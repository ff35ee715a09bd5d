"""The table of the database cache (settings.CACHES), created with migrate so that every
way of setting up a database (`fengping serve`, `demo`, `manage migrate`, the tests) has it.
`createcachetable` skips a table that exists and caches that are not database caches."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=False),
    ]
