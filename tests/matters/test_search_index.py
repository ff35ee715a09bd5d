"""Issue 9: on PostgreSQL the matters search (`?q=`, contains, any case) is served by
trigram indexes on the very expressions Django's `icontains` compares."""

import pytest
from django.db import connection

from fengping.core import listing
from fengping.matters.lists import MATTERS

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes are a PostgreSQL feature"
)


def test_the_trigram_indexes_exist(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'matters_matter'"
            " AND indexname LIKE %s",
            ["%trgm%"],
        )
        found = dict(cursor.fetchall())
    assert set(found) == {"matter_title_trgm_idx", "matter_description_trgm_idx"}
    assert all("gin_trgm_ops" in d and "upper(" in d for d in found.values())


def test_a_search_can_use_them(org):
    qs = listing.filtered(MATTERS, org.admin, {"q": "加装电梯"}).queryset
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "matter_title_trgm_idx" in plan and "matter_description_trgm_idx" in plan, plan
