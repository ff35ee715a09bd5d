"""Issue 9: the statistics are counters kept with the answers, never recounted per view."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fengping.core import counters
from fengping.core.tick import tick
from fengping.opinions import actions, queries, tallies
from fengping.opinions.models import (
    Answer,
    AnswerChoice,
    AnswerTally,
    Channel,
    Response,
    ResponseTally,
)
from tests.opinions.conftest import answers_for, build_questionnaire, register_matter
from tests.opinions.test_import import header_of, workbook
from tests.opinions.test_stats import KNOWN

ROW_TABLES = ('"opinions_response"', '"opinions_answer"', '"opinions_answerchoice"')


def from_rows(qn):
    """The counters as a GROUP BY over the rows would give them (written independently of
    `tallies.counted`)."""
    by_response = {
        (g, s): n
        for g, s, n in Response.objects.filter(questionnaire=qn)
        .values("group", "stance")
        .annotate(n=Count("id"))
        .values_list("group", "stance", "n")
    }
    by_answer = {}
    for q, n in (
        Answer.objects.filter(response__questionnaire=qn)
        .values("question")
        .annotate(n=Count("id"))
        .values_list("question", "n")
    ):
        by_answer[(q, "answered", 0)] = n
    for q, v, n in (
        Answer.objects.filter(response__questionnaire=qn, scale__isnull=False)
        .values("question", "scale")
        .annotate(n=Count("id"))
        .values_list("question", "scale", "n")
    ):
        by_answer[(q, "scale", v)] = n
    for q, v, n in (
        AnswerChoice.objects.filter(answer__response__questionnaire=qn)
        .values("question", "index")
        .annotate(n=Count("id"))
        .values_list("question", "index", "n")
    ):
        by_answer[(q, "choice", v)] = n
    return by_response, by_answer


def kept(qn):
    by_response = {
        (g, s): n
        for g, s, n in ResponseTally.objects.filter(questionnaire=qn, count__gt=0).values_list(
            "group", "stance", "count"
        )
    }
    by_answer = {
        (q, k, v): n
        for q, k, v, n in AnswerTally.objects.filter(
            question__questionnaire=qn, count__gt=0
        ).values_list("question", "kind", "value", "count")
    }
    return by_response, by_answer


def assert_counted(qn):
    assert kept(qn) == from_rows(qn)


def submit_known(qn, start=0):
    for n, (group, stance, scale, text) in enumerate(KNOWN, start=start):
        actions.submit_public_response(
            qn,
            group=group,
            answers=answers_for(qn, stance, scale=scale, text=text, picks=[0] if n % 2 else [0, 1]),
            browser_key=f"{n:064d}",
        )


def save_many(qn, n, *, group="企业", stance_index=0):
    """`n` responses written the way every door writes them (`_save_responses`)."""
    questions = list(qn.questions.all())
    raw = answers_for(qn, stance_index, scale=4, text="意见", picks=[1, 2])
    clean, errors = actions.clean_answers(questions, raw)
    assert not errors
    rows = [
        (
            Response(
                questionnaire=qn,
                group=group,
                channel=Channel.PAPER,
                stance=actions._stance_of(clean),
            ),
            clean,
        )
        for _i in range(n)
    ]
    actions._save_responses(qn, rows)


def test_public_submissions_are_counted(qn):
    submit_known(qn)
    assert_counted(qn)
    by_response, by_answer = kept(qn)
    assert by_response == {
        ("直接利益群体", "support"): 3,
        ("直接利益群体", "oppose"): 1,
        ("周边群众", "support"): 2,
        ("周边群众", "neutral"): 1,
        ("企业", "oppose"): 2,
        ("企业", "support"): 1,
    }
    stance, multiple, scale, text = qn.questions.all()
    assert by_answer[(multiple.pk, "choice", 0)] == 10
    assert by_answer[(multiple.pk, "choice", 1)] == 5
    assert by_answer[(scale.pk, "scale", 1)] == 2
    assert by_answer[(text.pk, "answered", 0)] == 3
    assert (text.pk, "scale", 0) not in by_answer


def test_several_questionnaires_and_matters_are_counted_apart(org, qn):
    other = build_questionnaire(org, register_matter(org, title="另一事项"))
    submit_known(qn)
    submit_known(other, start=100)
    submit_known(qn, start=200)
    assert_counted(qn)
    assert_counted(other)
    assert queries.matter_opinion_summary(qn.matter).respondents == 20
    assert queries.matter_opinion_summary(other.matter).respondents == 10


def test_paper_import_is_counted(org, qn):
    submit_known(qn)
    data = workbook(
        header_of(qn),
        [
            ["企业", "支持", "缴费基数、待遇水平", 4, "无"],
            ["周边群众", 5, "3", 2, None],
            ["专家", "无所谓", None, 3, "太贵"],
        ],
    )
    assert actions.import_paper_responses(org.rsj_handler, qn, data).status == "done"
    assert_counted(qn)
    assert kept(qn)[0][("专家", "neutral")] == 1


def test_large_paper_import_is_counted_across_batches(org, qn):
    groups = ["直接利益群体", "周边群众", "企业", "专家", "其他"]
    stances = ["支持", "基本支持", "无所谓", "不支持", "反对"]
    rows = [
        [
            groups[i % 5],
            stances[(i // 5) % 5],
            "、".join(["缴费基数", "待遇水平", "办理流程"][: 1 + i % 3]),
            1 + i % 5,
            "意见" if i % 7 == 0 else None,
        ]
        for i in range(1500)  # two batches of `_save_responses`, below the job threshold
    ]
    record = actions.import_paper_responses(org.rsj_handler, qn, workbook(header_of(qn), rows))
    assert record.status == "done" and record.counts == {"responses": 1500}
    assert_counted(qn)
    responses, stats = queries.questionnaire_stats(qn)
    assert responses == 1500
    assert stats[3].answered == len([i for i in range(1500) if i % 7 == 0])


def test_counter_writes_do_not_grow_with_the_batch(qn):
    def tally_statements(n):
        with CaptureQueriesContext(connection) as ran:
            save_many(qn, n)
        return [q["sql"] for q in ran.captured_queries if "tally" in q["sql"].lower()]

    tally_statements(1)  # the counter rows exist from here on: one UPDATE per key
    few, many = tally_statements(10), tally_statements(1000)
    assert len(few) == len(many) > 0
    assert all(sql.lstrip().upper().startswith("UPDATE") for sql in many)
    assert_counted(qn)


def test_a_concurrent_first_insert_is_added_to_not_lost(qn, monkeypatch):
    """Another transaction created the counter row between our UPDATE (0 rows) and our
    INSERT: the INSERT fails on the unique key and the count is added to that row."""
    ResponseTally.objects.create(questionnaire=qn, group="企业", stance="support", count=5)
    real_update = type(ResponseTally.objects.all()).update
    calls = []

    def update_missing_once(self, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            return 0  # as if the row did not exist yet when we looked
        return real_update(self, **kwargs)

    monkeypatch.setattr(type(ResponseTally.objects.all()), "update", update_missing_once)
    counters.increment(
        ResponseTally, ("questionnaire_id", "group", "stance"), {(qn.pk, "企业", "support"): 2}
    )
    assert ResponseTally.objects.get(questionnaire=qn, group="企业").count == 7


def test_readers_touch_no_response_or_answer_rows(org, qn):
    submit_known(qn)
    with CaptureQueriesContext(connection) as ran:
        queries.questionnaire_stats(qn)
        queries._stance_table(qn.matter)
        queries.public_figures([qn.matter])
        list(queries.questionnaires_of(qn.matter))
        queries.response_count(qn.matter, group="企业")
        queries.matter_opinion_summary(qn.matter)
    sql = "\n".join(q["sql"] for q in ran.captured_queries)
    assert not [t for t in ROW_TABLES if t in sql], sql


def test_statistics_queries_do_not_grow_with_responses(qn):
    def counts():
        with CaptureQueriesContext(connection) as stats:
            queries.questionnaire_stats(qn)
        with CaptureQueriesContext(connection) as summary:
            queries.matter_opinion_summary(qn.matter)
        return len(stats.captured_queries), len(summary.captured_queries)

    submit_known(qn)
    at_10 = counts()
    save_many(qn, 990, group="专家", stance_index=4)
    assert counts() == at_10
    assert at_10[0] == 3
    responses, stats = queries.questionnaire_stats(qn)
    assert responses == 1000
    assert queries.matter_opinion_summary(qn.matter).oppose == 3 + 990


def test_stats_match_the_rows_after_recount(qn):
    submit_known(qn)
    before = queries.questionnaire_stats(qn)
    assert tallies.recount(qn) is False  # nothing to repair
    after = queries.questionnaire_stats(qn)
    assert before[0] == after[0] == 10
    assert [s.rows for s in before[1]] == [s.rows for s in after[1]]


def test_repair_job_fixes_corrupted_counters(org, qn):
    submit_known(qn)
    other = build_questionnaire(org, register_matter(org, title="另一事项"))
    submit_known(other, start=100)
    ResponseTally.objects.filter(questionnaire=qn, group="企业", stance="oppose").update(count=99)
    AnswerTally.objects.filter(question__questionnaire=qn, kind="scale", value=1).delete()
    AnswerTally.objects.create(question=qn.questions.last(), kind="choice", value=7, count=3)
    assert kept(qn) != from_rows(qn)
    outcomes = {o.job: o for o in tick()}
    assert outcomes["repair_opinion_tallies"].detail == "checked 2 questionnaires, repaired 1"
    assert_counted(qn)
    assert_counted(other)
    assert queries.matter_opinion_summary(qn.matter).oppose == 3


def test_repair_finds_drift_in_an_old_questionnaire(qn):
    """Not answered lately, but its totals disagree with the rows: recounted."""
    submit_known(qn)
    old = timezone.now() - dt.timedelta(days=30)
    Response.objects.filter(questionnaire=qn).update(submitted_at=old)
    assert tallies.repair() == (0, 0)
    Response.objects.filter(questionnaire=qn, group="企业").delete()  # behind the counters' back
    assert tallies.repair() == (1, 1)
    assert_counted(qn)
    AnswerTally.objects.filter(question__questionnaire=qn, kind="answered").update(count=1)
    assert tallies.repair() == (1, 1)
    assert_counted(qn)


def test_migration_fills_the_counters_from_the_rows(org, qn):
    submit_known(qn)
    other = build_questionnaire(org, register_matter(org, title="另一事项"))
    save_many(other, 25, group="专家")
    ResponseTally.objects.all().delete()
    AnswerTally.objects.all().delete()
    migration = importlib.import_module("fengping.opinions.migrations.0006_opinion_tallies")
    migration.fill_tallies(apps, None)
    assert_counted(qn)
    assert_counted(other)
    assert queries.questionnaire_stats(other)[0] == 25


@pytest.mark.django_db(transaction=True)
def test_migrating_counts_the_rows_already_there(org, qn):
    """Rows written before the counters existed: the migration counts them."""
    submit_known(qn)
    executor = MigrationExecutor(connection)
    executor.migrate([("opinions", "0005_keywords_at_arrival")])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert_counted(qn)
    assert queries.questionnaire_stats(qn)[0] == 10


def test_question_removal_takes_its_counters(org, matter):
    draft = build_questionnaire(org, matter, publish=False)
    question = draft.questions.last()
    AnswerTally.objects.create(question=question, kind="answered", value=0, count=2)
    actions.do_remove_question(org.rsj_handler, question)
    assert not AnswerTally.objects.filter(question_id=question.pk).exists()
