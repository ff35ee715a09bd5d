import pytest

from fengping.opinions import actions, keyword_index, queries
from fengping.opinions.models import ActivityKind, CommentChannel
from fengping.opinions.queries import matter_opinion_summary, questionnaire_stats, top_keywords
from tests.opinions.conftest import answers_for, register_matter

# stance choice indexes: 0 支持, 1 基本支持, 2 无所谓, 3 不支持, 4 反对
KNOWN = [
    # (group, stance index, scale, text)
    ("直接利益群体", 0, 5, "缴费基数太高，企业负担重"),
    ("直接利益群体", 1, 4, ""),
    ("直接利益群体", 0, 4, ""),
    ("直接利益群体", 3, 2, "缴费基数上调过快"),
    ("周边群众", 0, 5, ""),
    ("周边群众", 1, 4, ""),
    ("周边群众", 2, 3, ""),
    ("企业", 4, 1, "缴费基数调整让企业经营困难"),
    ("企业", 4, 1, ""),
    ("企业", 0, 3, ""),
]


@pytest.fixture
def answered(qn):
    for n, (group, stance, scale, text) in enumerate(KNOWN):
        actions.submit_public_response(
            qn,
            group=group,
            answers=answers_for(qn, stance, scale=scale, text=text, picks=[0] if n % 2 else [0, 1]),
            browser_key=f"{n:064d}",
        )
    return qn


def test_rates_overall_and_per_group(answered):
    s = matter_opinion_summary(answered.matter)
    assert (s.respondents, s.stance_respondents) == (10, 10)
    assert (s.support, s.oppose, s.neutral) == (6, 3, 1)
    assert (s.support_rate, s.oppose_rate, s.neutral_rate) == (0.6, 0.3, 0.1)
    by_group = {g.group: g for g in s.per_group}
    assert [g.group for g in s.per_group] == [
        "直接利益群体",
        "周边群众",
        "企业",
    ]  # questionnaire order
    assert (by_group["直接利益群体"].support_rate, by_group["直接利益群体"].oppose_rate) == (
        0.75,
        0.25,
    )
    assert by_group["周边群众"].neutral_rate == pytest.approx(1 / 3)
    assert (by_group["企业"].support, by_group["企业"].oppose, by_group["企业"].respondents) == (
        1,
        2,
        3,
    )


def test_no_stance_data_gives_none(org):
    s = matter_opinion_summary(register_matter(org, title="无人作答"))
    assert (
        s.respondents == 0
        and s.support_rate is None
        and s.oppose_rate is None
        and s.neutral_rate is None
    )
    assert s.per_group == [] and s.top_keywords == [] and not s.has_stance


def test_per_question_distribution(answered):
    responses, stats = questionnaire_stats(answered)
    assert responses == 10
    stance, multiple, scale, text = stats
    assert [n for _label, n, _share in stance.rows] == [4, 2, 1, 1, 2]
    assert [n for _label, n, _share in multiple.rows] == [10, 5, 0]
    assert [n for _label, n, _share in scale.rows] == [2, 1, 2, 3, 2]
    assert scale.mean == pytest.approx(3.2)
    assert text.answered == 3


def test_keywords_from_answers_and_comments(org, answered):
    actions.do_add_comment(
        org.rsj_handler,
        answered.matter,
        channel=CommentChannel.SYMPOSIUM,
        content="希望缴费基数分步调整",
        is_query=True,
    )
    keyword_index.extract_pending(answered.matter)  # what the job worker does
    s = matter_opinion_summary(answered.matter)
    words = dict(s.top_keywords)
    assert words["缴费基数"] == 4  # four texts mention it (one word: the domain dictionary's)
    assert s.top_keywords[0][0] == "缴费基数"
    assert "的" not in words and "希望" not in words  # stopwords
    assert (s.comments, s.queries, s.unanswered_queries) == (1, 1, 1)


def test_keywords_count_texts_not_repetitions():
    assert dict(top_keywords(["拆迁拆迁拆迁补偿", "补偿太少"]))["补偿"] == 2
    assert dict(top_keywords(["拆迁拆迁拆迁补偿", "补偿太少"]))["拆迁"] == 1


def test_summary_counts_comments_and_activities(org, matter):
    c = actions.do_add_comment(
        org.rsj_handler, matter, channel=CommentChannel.LETTER, content="质疑", is_query=True
    )
    actions.do_add_comment(org.rsj_handler, matter, channel=CommentChannel.ONLINE, content="建议")
    actions.do_reply_comment(org.rsj_handler, c, reply="答复")
    actions.do_mark_revision(org.rsj_handler, c, note="已修改方案")
    from django.utils import timezone

    actions.do_record_activity(
        org.rsj_handler, matter, kind=ActivityKind.HEARING, date=timezone.localdate()
    )
    s = matter_opinion_summary(matter)
    assert (s.comments, s.queries, s.unanswered_queries, s.revisions) == (2, 1, 0, 1)
    assert s.activities[ActivityKind.HEARING] == 1 and s.activities[ActivityKind.SUPERIOR] == 0


def test_summary_runs_a_constant_number_of_queries(org, answered, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        matter_opinion_summary(answered.matter)
    with django_assert_max_num_queries(5):
        questionnaire_stats(answered)


def test_questionnaire_counts_without_a_distinct_join(answered):
    """Issue 9: each questionnaire's response and question counts come from subqueries on
    their foreign-key indexes, not from COUNT(DISTINCT …) over responses × questions."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ran:
        rows = list(queries.questionnaires_of(answered.matter))
    [row] = rows
    assert row.response_count == len(KNOWN)
    assert row.question_count == answered.questions.count() > 1
    sql = " ".join(q["sql"] for q in ran.captured_queries).upper()
    assert len(ran.captured_queries) == 1 and "DISTINCT" not in sql
