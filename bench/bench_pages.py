"""Time the 50-row list pages over a large table (not a test; run by hand).

    FENGPING_DATA_DIR=/tmp/fp-bench .venv/bin/python bench/bench_pages.py [N]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fengping_bench ... (PostgreSQL)

Creates the demo organisation and N matters (default 100,000, bulk-inserted: this measures
reading, not registering), then requests each list page several times as the
administrator and prints the median time and the number of SQL queries per page.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengping.settings")
os.environ.setdefault("FENGPING_DATA_DIR", "/tmp/fp-bench")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from fengping.core import listing  # noqa: E402
from fengping.matters.models import Matter  # noqa: E402
from fengping.org.demo import load_demo  # noqa: E402
from fengping.org.models import Department, User  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production static storage
    load_demo()
    admin = User.objects.get(username="admin")
    departments = list(Department.objects.filter(code__in=["SFS-RSJ-YL", "SFS-ZJJ-ZS", "SFS-RSJ"]))
    have = Matter.objects.count()
    if have < n:
        batch = []
        for i in range(have, n):
            dept = departments[i % len(departments)]
            batch.append(
                Matter(
                    title=f"基准事项 {i}",
                    scheme_key="ssra-town",
                    category_code="focus_social_security",
                    category_label="社会保障",
                    department=dept,
                    lead_department=dept,
                    year=2020 + i % 7,
                    status=["registered", "assessing", "reviewing", "decided"][i % 4],
                    created_by=admin,
                )
            )
            if len(batch) == 5000:
                Matter.objects.bulk_create(batch)
                batch = []
        Matter.objects.bulk_create(batch)
    print(f"{Matter.objects.count():,} matters on {connection.vendor}")
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    # A "next" link deep in the list: keyset paging costs the same on page 1 and page 1,000.
    middle = Matter.objects.order_by("-id").values_list("id", flat=True)[n // 2]
    deep = listing._cursor(Matter(id=middle), ("-id",))
    for url in [
        "/matters/",
        "/matters/?page=1000",
        f"/matters/?after={deep}",
        "/matters/?status=assessing&year=2024",
        "/matters/?q=基准事项 99",
        f"/api/matters?after={deep}",
        "/assessments/",
        "/org/users/",
        "/audit/",
        "/",
    ]:
        times = []
        for _ in range(7):
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
        print(
            f"  {url[:42]:<42} median {statistics.median(times) * 1000:7.1f} ms   {len(ctx.captured_queries):3d} queries"
        )

    start = time.perf_counter()
    response = client.get("/matters/export.xlsx?year=2024")
    assert response.status_code == 200
    print(
        f"  export of year 2024 ({Matter.objects.filter(year=2024).count():,} rows)"
        f"   {time.perf_counter() - start:5.1f} s   {len(response.content) // 1024:,} KB"
    )


if __name__ == "__main__":
    main()
