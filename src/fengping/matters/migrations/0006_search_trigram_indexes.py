"""PostgreSQL: trigram indexes for the matters search (issue 9).

The list's `?q=` is a case-insensitive "contains" over the title and the description, a
scan of every matter without an index: 56 ms at 100,000 matters, 4 ms with these for a
search of three characters or more (`core.trigram`)."""

from django.db import migrations

from fengping.core.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("matters", "0005_responsibility_designation")]

    operations = [
        trigram_indexes(
            "matters_matter",
            {
                "matter_title_trgm_idx": "UPPER(title::text)",
                "matter_description_trgm_idx": "UPPER(description)",
            },
        )
    ]
