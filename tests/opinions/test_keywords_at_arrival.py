"""Issue 9: keywords are extracted once per text, when it arrives, by the job worker; the
opinion summary, the keyword page, the API and the report read the kept counts and never
tokenise, so a view costs the same at 1,000 opinions as at 200,000 and no web worker loads
jieba."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fengping.core import tick
from fengping.opinions import actions, keyword_index, keywords
from fengping.opinions.models import (
    CommentChannel,
    KeywordTally,
    PendingText,
)
from fengping.opinions.queries import keyword_evidence, matter_opinion_summary

from .conftest import answers_for
from .test_import import header_of, workbook

TEXTS = [
    "拆迁补偿标准偏低",
    "安置房离学校太远",
    "补偿标准要公开",
    "",  # no text: nothing queued
]


@pytest.fixture
def no_tokeniser(monkeypatch):
    """Any tokenising in this process fails the test: what a web worker may not do."""

    def refuse():
        raise AssertionError("jieba was called where only the job worker may tokenise")

    monkeypatch.setattr(keywords, "_tagger", refuse)


def submit(qn, n, text):
    return actions.submit_public_response(
        qn, group="企业", answers=answers_for(qn, 0, text=text), browser_key=f"{n:064d}"
    )


@pytest.fixture
def arrived(org, qn, no_tokeniser):
    """Four public answers and a comment arrived; nothing is tokenised yet."""
    for n, text in enumerate(TEXTS):
        submit(qn, n, text)
    actions.do_add_comment(
        org.rsj_handler, qn.matter, channel=CommentChannel.LETTER, content="补偿标准太低，拆迁太急"
    )
    return qn


def test_arrival_queues_texts_and_tokenises_nothing(arrived, django_capture_on_commit_callbacks):
    assert PendingText.objects.filter(matter=arrived.matter).count() == 4  # 3 answers + comment
    assert not KeywordTally.objects.exists()
    s = matter_opinion_summary(arrived.matter)  # no_tokeniser: this would fail if it did
    assert s.top_keywords == [] and s.keywords_pending == 4


def test_arrival_enqueues_the_job_on_commit(org, qn, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        submit(qn, 1, "补偿标准偏低")
    assert len(callbacks) == 1  # one job per arrival, enqueued after the commit
    from django_tasks_db.models import DBTaskResult

    before = DBTaskResult.objects.count()
    callbacks[0]()
    job = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert DBTaskResult.objects.count() == before + 1
    assert job.task_path == "fengping.opinions.keyword_index.extract_keywords"
    assert job.args_kwargs["args"] == [qn.matter_id]


def test_the_job_counts_texts_and_keeps_the_evidence(arrived, monkeypatch):
    monkeypatch.undo()  # the job worker may tokenise
    assert keyword_index.extract_keywords.call(arrived.matter_id) == 4
    assert not PendingText.objects.exists()
    counts = dict(KeywordTally.objects.values_list("word", "count"))
    assert counts["补偿标准"] == 3 and counts["拆迁"] == 2 and counts["安置房"] == 1
    first = KeywordTally.objects.get(word="补偿标准").sample
    assert [kind for kind, _pk in first] == ["a", "a", "c"]  # the texts behind it, in order
    # A second run (the job enqueued by another arrival) finds nothing and counts nothing twice.
    assert keyword_index.extract_pending(arrived.matter) == 0
    assert dict(KeywordTally.objects.values_list("word", "count"))["补偿标准"] == 3
    s = matter_opinion_summary(arrived.matter)
    assert s.top_keywords[0] == ("补偿标准", 3) and s.keywords_pending == 0
    evidence = {k.word: k for k in keyword_evidence(arrived.matter)}
    assert evidence["拆迁"].texts == [
        ("问卷“养老金调整意见征询”", "拆迁补偿标准偏低"),
        ("来信来访", "补偿标准太低，拆迁太急"),
    ]


def test_later_arrivals_add_to_the_counts(org, arrived, monkeypatch):
    monkeypatch.undo()
    keyword_index.extract_pending(arrived.matter)
    submit(arrived, 9, "补偿标准应当提高")
    assert matter_opinion_summary(arrived.matter).keywords_pending == 1
    keyword_index.extract_pending(arrived.matter)
    assert dict(matter_opinion_summary(arrived.matter).top_keywords)["补偿标准"] == 4


def test_evidence_is_limited_but_the_count_is_not(org, qn, monkeypatch):
    for n in range(keyword_index.EVIDENCE_PER_WORD + 5):
        submit(qn, n, f"第{n}号楼补偿标准偏低")
    keyword_index.extract_pending(qn.matter)
    [k] = [k for k in keyword_evidence(qn.matter) if k.word == "补偿标准"]
    assert k.count == keyword_index.EVIDENCE_PER_WORD + 5
    assert len(k.texts) == keyword_index.EVIDENCE_PER_WORD and k.more == 5
    assert k.texts[0][1] == "第0号楼补偿标准偏低"  # the first to arrive first


def test_a_paper_import_queues_its_texts(org, qn, no_tokeniser):
    data = workbook(
        header_of(qn),
        [["企业", "支持", None, 4, "补偿标准偏低"], ["专家", "反对", None, 2, None]],
    )
    record = actions.import_paper_responses(org.rsj_handler, qn, data)
    assert record.status == "done", record.errors
    assert PendingText.objects.filter(matter=qn.matter).count() == 1


def test_pages_api_and_report_read_counts_without_tokenising(
    org, arrived, login, api, no_tokeniser, django_assert_max_num_queries
):
    """The matter's opinion page, the summary and keyword APIs, the report's text: none of
    them tokenises (no_tokeniser), each says how many texts still wait, and the query count
    does not depend on the number of opinions."""
    matter = arrived.matter
    page = login(org.rsj_head).get(reverse("opinions:matter", args=[matter.pk]))
    assert page.status_code == 200
    assert "另有 4 条意见正在后台提取关键词" in page.content.decode()
    call = api(org.rsj_head)
    summary = call("get", f"/matters/{matter.pk}/opinion-summary")
    assert summary.status_code == 200 and summary.json()["keywords_pending"] == 4
    assert call("get", f"/matters/{matter.pk}/keywords").json() == []
    with django_assert_max_num_queries(3):
        keyword_evidence(matter)
    # The report says what was not counted yet rather than printing a short list silently.
    from fengping.reports.context import _keywords_text

    assert _keywords_text(matter_opinion_summary(matter)) == "—（另有 4 条意见尚未提取关键词）"


def test_evidence_and_top_read_no_opinion_rows(org, arrived, monkeypatch):
    monkeypatch.undo()
    keyword_index.extract_pending(arrived.matter)
    with CaptureQueriesContext(connection) as ran:
        keyword_evidence(arrived.matter)
        matter_opinion_summary(arrived.matter)
    keyword_sql = [q["sql"] for q in ran.captured_queries if "keyword" in q["sql"]]
    # The top words (for the page's evidence and for the summary); the texts behind them
    # are read by primary key (answers, comments), whatever the number of opinions.
    assert len(keyword_sql) == 2 and all("LIMIT" in q for q in keyword_sql)
    assert len(ran.captured_queries) <= 12
    fresh = type(arrived.matter).objects.get(pk=arrived.matter_id)
    with CaptureQueriesContext(connection) as ran:
        keyword_evidence(fresh)
    assert len(ran.captured_queries) == 3  # top, then answers and comments by primary key


def test_rebuild_starts_a_matter_over(org, arrived, monkeypatch):
    monkeypatch.undo()
    keyword_index.extract_pending(arrived.matter)
    KeywordTally.objects.filter(word="补偿标准").update(count=99)  # e.g. an older dictionary
    assert keyword_index.rebuild(arrived.matter) == 4
    assert not KeywordTally.objects.exists()
    keyword_index.extract_pending(arrived.matter)
    assert dict(KeywordTally.objects.values_list("word", "count"))["补偿标准"] == 3


def test_the_hourly_tick_catches_up_lost_jobs(org, arrived, monkeypatch):
    monkeypatch.undo()
    outcomes = {o.job: o for o in tick.tick()}
    assert outcomes["extract_pending_keywords"].status == "ran"
    assert outcomes["extract_pending_keywords"].detail == "extracted keywords of 4 texts"
    assert not PendingText.objects.exists()


def test_the_migration_queues_texts_saved_before(org, arrived, monkeypatch):
    from django.apps import apps

    PendingText.objects.all().delete()
    migration = importlib.import_module("fengping.opinions.migrations.0005_keywords_at_arrival")
    migration.queue_existing_texts(apps, None)
    assert PendingText.objects.filter(matter=arrived.matter).count() == 4
    monkeypatch.undo()
    keyword_index.extract_pending_all()
    assert dict(KeywordTally.objects.values_list("word", "count"))["补偿标准"] == 3


def test_the_command_extracts_and_rebuilds(org, arrived, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    monkeypatch.undo()
    out = StringIO()
    call_command("extract_keywords", stdout=out)
    assert "extracted keywords of 4 texts" in out.getvalue()
    out = StringIO()
    call_command("extract_keywords", "--rebuild", str(arrived.matter_id), stdout=out)
    assert "queued 4 texts of 1 matters" in out.getvalue()
    assert KeywordTally.objects.get(word="补偿标准").count == 3
