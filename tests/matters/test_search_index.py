"""Issue 9: on PostgreSQL the matters search (`?q=`, contains, any case) is served by
trigram indexes on the very expressions Django's `icontains` compares."""

import pytest
from django.db import connection

from fengping.matters.lists import MATTERS
from fengping.matters.models import Matter

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
    """The search's own condition (as the list filter builds it) is answerable from the
    trigram indexes: with plain scans disabled the planner still finds a plan for it."""
    spec = next(f for f in MATTERS.filters if f.name == "q")
    qs = spec.narrow(Matter.objects.all(), "加装电梯")
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        for switch in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {switch} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "matter_title_trgm_idx" in plan and "matter_description_trgm_idx" in plan, plan
