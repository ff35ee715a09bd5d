"""Time the questionnaire statistics and the opinion summary's stance part over many
responses, read from the counters (now) and by GROUP BY over the rows (was). Not a test;
run by hand, one fresh data directory or database per size:

    FENGPING_DATA_DIR=/tmp/fp-bench-stats-1k .venv/bin/python bench/bench_questionnaire_stats.py 1000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fengping_bench_stats ... (PostgreSQL)

Creates the demo organisation, one matter with a questionnaire of six questions (态度,
multiple choice, scale, text, single choice, scale) and N responses with their answers
(bulk-inserted, default 200,000), fills the counters with `tallies.recount` (timed: the
repair job's cost for this questionnaire), then prints the median of five runs of each
reader, now and as it was.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections import Counter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengping.settings")
os.environ.setdefault("FENGPING_DATA_DIR", "/tmp/fp-bench-stats")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402

from fengping.matters import actions as matter_actions  # noqa: E402
from fengping.opinions import actions, queries, tallies  # noqa: E402
from fengping.opinions.models import (  # noqa: E402
    Answer,
    AnswerChoice,
    Question,
    QuestionKind,
    Questionnaire,
    Response,
    Stance,
)
from fengping.org.demo import load_demo  # noqa: E402
from fengping.org.models import Department, User  # noqa: E402

GROUPS = ["直接利益群体", "周边群众", "企业", "专家", "其他"]
STANCES = ["support", "support", "neutral", "oppose", "oppose"]


def median_ms(fn) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def build(n: int) -> Questionnaire:
    handler = User.objects.get(username="chenjing")
    qn = Questionnaire.objects.filter(title="统计基准问卷").first()
    if qn is None:
        matter = matter_actions.do_register_matter(
            handler,
            title="统计基准事项",
            scheme_key="ssra-bureau",
            category_code="major_decision",
            department=Department.objects.get(code="SFS-RSJ-YL"),
        )
        qn = actions.do_create_questionnaire(handler, matter, title="统计基准问卷")
        add = actions.do_add_question
        add(handler, qn, kind=QuestionKind.MULTIPLE, text="关心", choices=["甲", "乙", "丙"])
        add(handler, qn, kind=QuestionKind.SCALE, text="满意度")
        add(handler, qn, kind=QuestionKind.TEXT, text="意见", required=False)
        add(handler, qn, kind=QuestionKind.SINGLE, text="了解", choices=["是", "否"])
        add(handler, qn, kind=QuestionKind.SCALE, text="信任度")
    stance_q, multi, scale, text, single, scale2 = qn.questions.all()
    rnd = random.Random(9)
    have = qn.responses.count()
    for start in range(have, n, 5000):
        with transaction.atomic():
            responses = Response.objects.bulk_create(
                Response(
                    questionnaire=qn,
                    group=GROUPS[rnd.randrange(5)],
                    channel="paper",
                    stance=STANCES[i % 5],
                )
                for i in range(start, min(n, start + 5000))
            )
            answers, picks = [], []
            for i, r in enumerate(responses, start=start):
                answers.append(Answer(response=r, question=stance_q, choices=[i % 5]))
                picks.append((answers[-1], stance_q, [i % 5]))
                chosen = sorted(rnd.sample(range(3), 1 + rnd.randrange(3)))
                answers.append(Answer(response=r, question=multi, choices=chosen))
                picks.append((answers[-1], multi, chosen))
                answers.append(Answer(response=r, question=scale, scale=1 + rnd.randrange(5)))
                if i % 10 == 0:
                    answers.append(Answer(response=r, question=text, text="缴费基数太高"))
                answers.append(Answer(response=r, question=single, choices=[i % 2]))
                picks.append((answers[-1], single, [i % 2]))
                answers.append(Answer(response=r, question=scale2, scale=1 + rnd.randrange(5)))
            Answer.objects.bulk_create(answers, batch_size=5000)
            AnswerChoice.objects.bulk_create(
                (AnswerChoice(answer=a, question=q, index=x) for a, q, xs in picks for x in xs),
                batch_size=5000,
            )
    return qn


# ------------------------------------------------ the readers as they were (GROUP BY rows)


def old_questionnaire_stats(qn: Questionnaire) -> None:
    list(qn.questions.all())
    qn.responses.count()
    list(
        Answer.objects.filter(question__questionnaire=qn)
        .order_by()
        .values("question_id")
        .annotate(n=Count("id"))
    )
    list(
        AnswerChoice.objects.filter(question__questionnaire=qn)
        .order_by()
        .values("question_id", "index")
        .annotate(n=Count("id"))
    )
    list(
        Answer.objects.filter(question__questionnaire=qn, scale__isnull=False)
        .order_by()
        .values("question_id", "scale")
        .annotate(n=Count("id"))
    )


def old_stance_part(qn: Questionnaire) -> None:
    matter = qn.matter
    list(
        Response.objects.filter(questionnaire__matter=matter)
        .order_by()
        .values("group", "stance")
        .annotate(n=Count("id"))
    )
    stance: Counter[str] = Counter()
    for row in (
        Response.objects.filter(questionnaire__matter__in=[matter.pk])
        .order_by()
        .values("questionnaire__matter", "stance")
        .annotate(n=Count("id"))
    ):
        stance[row["stance"]] += row["n"]
    list(
        matter.questionnaires.annotate(
            response_count=queries._count_of(Response), question_count=queries._count_of(Question)
        )
    )


def old_stance_table(matter) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for row in (
        Response.objects.filter(questionnaire__matter=matter)
        .order_by()
        .values("group", "stance")
        .annotate(n=Count("id"))
    ):
        table.setdefault(row["group"], {})[row["stance"]] = row["n"]
    return table


def old_summary(qn: Questionnaire) -> None:
    new_table = queries._stance_table
    queries._stance_table = old_stance_table
    try:
        queries.matter_opinion_summary(qn.matter)
    finally:
        queries._stance_table = new_table


def new_stance_part(qn: Questionnaire) -> None:
    queries._stance_table(qn.matter)
    queries.public_figures([qn.matter])
    list(queries.questionnaires_of(qn.matter))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    call_command("migrate", interactive=False, verbosity=0)
    load_demo()
    start = time.perf_counter()
    qn = build(n)
    print(f"{qn.responses.count():,} responses, built in {time.perf_counter() - start:.0f} s")
    print(
        f"{Answer.objects.filter(question__questionnaire=qn).count():,} answers, "
        f"{AnswerChoice.objects.filter(question__questionnaire=qn).count():,} choices"
    )
    start = time.perf_counter()
    tallies.recount(qn)
    print(
        f"recount (repair job, one questionnaire): {(time.perf_counter() - start) * 1000:8.1f} ms"
    )
    start = time.perf_counter()
    checked, repaired = tallies.repair()
    print(
        f"repair job (all questionnaires, {checked} recounted): "
        f"{(time.perf_counter() - start) * 1000:8.1f} ms"
    )
    responses, stats = queries.questionnaire_stats(qn)
    assert responses == n and stats[0].rows[0][1] == sum(1 for i in range(n) if i % 5 == 0)
    summary = queries.matter_opinion_summary(qn.matter)
    assert summary.oppose == sum(1 for i in range(n) if STANCES[i % 5] == Stance.OPPOSE)

    rows = [
        ("questionnaire_stats", lambda: queries.questionnaire_stats(qn), old_questionnaire_stats),
        ("stance part (table, figures, list)", lambda: new_stance_part(qn), old_stance_part),
        # The keywords are kept counts too (keyword_index); here only the stance table differs.
        ("matter_opinion_summary", lambda: queries.matter_opinion_summary(qn.matter), old_summary),
    ]
    for label, new, old in rows:
        now = median_ms(new)
        was = median_ms(lambda old=old: old(qn))
        print(f"{label:36} now {now:8.1f} ms   was {was:8.1f} ms")


if __name__ == "__main__":
    main()
