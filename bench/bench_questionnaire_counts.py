"""Time the questionnaire list's counts over many responses (not a test; run by hand).

    FENGPING_DATA_DIR=/tmp/fp-bench-qn .venv/bin/python bench/bench_questionnaire_counts.py [N]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fengping_bench_qn ... (PostgreSQL)

Creates the demo organisation, one matter with a questionnaire of 10 questions and N
responses (default 200,000, bulk-inserted, then counted by `tallies.recount`), then times
`queries.questionnaires_of` (the response count read from the counters, the question count
as a subquery) against the former COUNT(DISTINCT) over the responses × questions join, and
prints the median of five runs of each.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengping.settings")
os.environ.setdefault("FENGPING_DATA_DIR", "/tmp/fp-bench-qn")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402

from fengping.matters import actions as matter_actions  # noqa: E402
from fengping.opinions import actions, queries, tallies  # noqa: E402
from fengping.opinions.models import QuestionKind, Questionnaire, Response  # noqa: E402
from fengping.org.demo import load_demo  # noqa: E402
from fengping.org.models import Department, User  # noqa: E402


def median_ms(fn) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    call_command("migrate", interactive=False, verbosity=0)
    load_demo()
    handler = User.objects.get(username="chenjing")
    qn = Questionnaire.objects.filter(title="基准问卷").first()
    if qn is None:
        matter = matter_actions.do_register_matter(
            handler,
            title="基准事项",
            scheme_key="ssra-bureau",
            category_code="major_decision",
            department=Department.objects.get(code="SFS-RSJ-YL"),
        )
        qn = actions.do_create_questionnaire(handler, matter, title="基准问卷")
        for i in range(9):
            actions.do_add_question(
                handler, qn, kind=QuestionKind.TEXT, text=f"问题{i}", required=False
            )
    have = qn.responses.count()
    batch = [
        Response(
            questionnaire=qn,
            group="直接利益群体",
            channel="online",
            stance="support",
            browser_key=f"{i:064d}",
        )
        for i in range(have, n)
    ]
    Response.objects.bulk_create(batch, batch_size=5000)
    tallies.recount(qn)  # rows bulk-inserted behind `_save_responses`: count them
    matter = qn.matter
    print(f"{qn.responses.count():,} responses, {qn.questions.count()} questions")

    def new() -> None:
        list(queries.questionnaires_of(matter))

    def old() -> None:
        list(
            matter.questionnaires.annotate(
                response_count=Count("responses", distinct=True),
                question_count=Count("questions", distinct=True),
            )
        )

    print(f"subqueries (now):       {median_ms(new):8.1f} ms")
    print(f"COUNT(DISTINCT) (was):  {median_ms(old):8.1f} ms")


if __name__ == "__main__":
    main()
