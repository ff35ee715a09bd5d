"""PostgreSQL: trigram indexes for the case list's search over 案号 and 案件名称
(`core.trigram`): without them a search scans every case of the user's organs."""

from django.db import migrations

from fengping.core.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        trigram_indexes(
            "cases_case",
            {
                "cases_case_title_trgm_idx": "UPPER(title::text)",
                "cases_case_number_trgm_idx": "UPPER(number::text)",
            },
        )
    ]
