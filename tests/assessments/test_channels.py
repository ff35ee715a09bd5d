"""Issue 8, loophole 8 (first half): the majority rule counts every channel — questionnaires,
the stance counts of each kind of activity (座谈会、听证会 …) and the stance of each
registered comment — combined as the scheme says, with the figures by channel and group on
the pages, in the API and in the report. Loophole 12 (second half): the public's reaction
bounds the grade (grading.public_reaction_floor)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from fengping.assessments import actions
from fengping.assessments.models import Decision
from fengping.core.errors import ActionError
from fengping.matters import actions as matter_actions
from fengping.opinions import actions as opinion_actions
from fengping.opinions.models import Activity
from fengping.opinions.queries import majority_breach, matter_opinion_summary
from fengping.reports.context import report_context
from tests.dates import YEAR

from . import flow
from .flow import approve_reviews, register, to_decide_step, to_grade_step

TOWN_QUOTE = "凡是绝大多数群众不予理解支持的政策坚决不出台"
HEARING_FIGURES = "听证会反对 20/30 人（66.7%）"
LOW = ((1.0, "very_low", "negligible"),)


def hearing(org, matter, *, support=8, oppose=20, neutral=2, undeclared=0, group="直接利益群体"):
    return opinion_actions.do_record_activity(
        org.rsj_handler,
        matter,
        kind="hearing",
        date=timezone.localdate() - dt.timedelta(days=3),
        place="社区活动中心",
        participant_count=support + oppose + neutral + undeclared,
        group=group,
        support_count=support,
        oppose_count=oppose,
        neutral_count=neutral,
        undeclared_count=undeclared,
    )


@pytest.fixture
def supported_but_heard_against(org, monkeypatch):
    """The questionnaire supports (60 for, 5 against, 5 neutral) but the hearing opposes
    (20 of 30): pooled 25/100 = 25% (no floor, not over 50%); the hearing alone 66.7%."""
    original = flow.opinions

    def with_hearing(org_, matter, **counts):
        qn = original(org_, matter, **counts)
        hearing(org_, matter)
        return qn

    monkeypatch.setattr(flow, "opinions", with_hearing)
    a = to_grade_step(org, factors=LOW, support=60, oppose=5, neutral=5)
    return approve_reviews(org, to_decide_step(org, a))


def test_questionnaire_supports_but_hearing_opposes_refused_by_action(
    org, supported_but_heard_against
):
    a = supported_but_heard_against
    assert a.grade == "level4"  # the factors say 四级 and 25% pooled does not lift it
    summary = matter_opinion_summary(a.matter)
    assert summary.oppose_rate == 5 / 70  # the questionnaire alone is friendly
    assert summary.all_channels.oppose == 25 and summary.all_channels.with_stance == 100
    for outcome in ("implement", "implement_partially"):
        with pytest.raises(ActionError) as exc:
            actions.do_decide(
                org.rsj_handler,
                a,
                outcome=outcome,
                doc_no=f"滔政发〔{YEAR}〕3号",
                decided_on=timezone.localdate(),
            )
        message = exc.value.message
        assert HEARING_FIGURES in message and "各渠道合计反对 25/100 人（25.0%）" in message
        assert TOWN_QUOTE in message and "超过 50%" in message
    assert not Decision.objects.exists()
    actions.do_decide(
        org.rsj_handler,
        a,
        outcome="postpone",
        doc_no=f"滔政发〔{YEAR}〕3号",
        decided_on=dt.date.today(),
    )
    assert Decision.objects.get().outcome == "postpone"


def test_questionnaire_supports_but_hearing_opposes_refused_by_page_and_api(
    org, login, api, supported_but_heard_against
):
    a = supported_but_heard_against
    handler = login(org.rsj_handler)
    decide_url = reverse("assessments:decide", args=[a.pk])
    r = handler.post(
        decide_url,
        {
            "outcome": "implement",
            "doc_no": f"滔政发〔{YEAR}〕3号",
            "decided_on": timezone.localdate(),
        },
    )
    assert r.status_code == 200
    body = r.content.decode()
    assert HEARING_FIGURES in body and TOWN_QUOTE in body
    r = api(org.rsj_handler)(
        "post",
        f"/assessments/{a.pk}/decision",
        {
            "outcome": "implement_partially",
            "doc_no": f"滔政发〔{YEAR}〕3号",
            "decided_on": timezone.localdate().isoformat(),
        },
    )
    assert r.status_code == 400 and HEARING_FIGURES in r.json()["detail"]
    assert not Decision.objects.exists()
    # The warning and the breakdown on the opinion page and the assessment's tab.
    for url in (
        reverse("opinions:matter", args=[a.matter_id]),
        reverse("assessments:detail", args=[a.pk]) + "?tab=consult",
    ):
        body = handler.get(url).content.decode()
        assert HEARING_FIGURES in body and TOWN_QUOTE in body and "各渠道态度" in body


def test_pooled_scheme_does_not_count_one_channel_alone(org, supported_but_heard_against):
    a = supported_but_heard_against
    summary = matter_opinion_summary(a.matter)
    rule = a.scheme.majority_rule
    assert rule.combine == "any_channel" and rule.breached(summary)
    verdict = rule.verdict(summary)
    assert [c.label for c in verdict.channels] == ["听证会"] and not verdict.pooled_over
    pooled = rule.model_copy(update={"combine": "pooled"})
    assert not pooled.breached(summary)
    # Below the scheme's minimum of stances a channel is not judged alone.
    strict = rule.model_copy(update={"min_channel_stated": 31})
    assert not strict.breached(summary)
    # Older callers passing the bare rate still get an answer.
    assert rule.breached(0.6) and not rule.breached(None) and not rule.breached(0.5)


def test_breakdown_by_channel_and_group(org):
    matter = register(org)
    flow.opinions(org, matter, support=6, oppose=3, neutral=1)
    hearing(org, matter, support=4, oppose=3, neutral=1, undeclared=2, group="周边群众")
    opinion_actions.do_add_comment(
        org.rsj_handler,
        matter,
        channel="letter",
        content="反对这个方案",
        author_group="直接利益群体",
        is_query=True,
        stance="oppose",
    )
    opinion_actions.do_add_comment(
        org.rsj_handler, matter, channel="online", content="关心进度", author_group=""
    )
    s = matter_opinion_summary(matter)
    by = {c.channel: c for c in s.channels}
    assert [c.channel for c in s.channels] == ["questionnaire", "hearing", "comments"]
    assert (by["hearing"].oppose, by["hearing"].with_stance, by["hearing"].undeclared) == (3, 8, 2)
    assert (by["comments"].oppose, by["comments"].respondents, by["comments"].undeclared) == (
        1,
        2,
        1,
    )
    groups = {(c.channel, c.group): c for c in s.channel_groups}
    assert groups[("hearing", "周边群众")].oppose == 3
    assert groups[("comments", "直接利益群体")].oppose == 1
    assert groups[("comments", "")].respondents == 1
    pooled = {g.group: g for g in s.by_group}
    assert pooled["直接利益群体"].oppose == 3 + 1 and pooled["周边群众"].oppose == 3
    assert s.all_channels.oppose == 7 and s.all_channels.with_stance == 10 + 8 + 1
    # 7/19 = 36.8% pooled; the hearing 3/8; the one opposing 质疑 is too few to count alone.
    assert majority_breach(matter, s) is None
    for text in ("坚决反对", "反对"):
        opinion_actions.do_add_comment(
            org.rsj_handler, matter, channel="letter", content=text, stance="oppose"
        )
    s = matter_opinion_summary(matter)
    finding = majority_breach(matter, s)
    assert finding is not None and "登记的意见反对 3/3 人（100.0%）" in finding.figures
    assert "各渠道合计反对 9/21 人（42.9%）" in finding.figures


def test_activity_stance_counts_add_up_to_the_participants(org, login, api):
    matter = register(org)
    with pytest.raises(ActionError, match="应等于参加人数"):
        opinion_actions.do_record_activity(
            org.rsj_handler,
            matter,
            kind="symposium",
            date=timezone.localdate(),
            participant_count=10,
            support_count=3,
            oppose_count=3,
        )
    # Counts alone set the participant count.
    a = opinion_actions.do_record_activity(
        org.rsj_handler,
        matter,
        kind="symposium",
        date=timezone.localdate(),
        support_count=3,
        oppose_count=4,
        undeclared_count=1,
    )
    assert a.participant_count == 8 and a.has_stances
    # The page keeps what was typed and names the rule.
    handler = login(org.rsj_handler)
    r = handler.post(
        reverse("opinions:activity_create", args=[matter.pk]),
        {
            "kind": "symposium",
            "date": timezone.localdate().isoformat(),
            "participant_count": "12",
            "group": "直接利益群体",
            "support_count": "2",
            "oppose_count": "9",
            "neutral_count": "0",
            "undeclared_count": "0",
        },
    )
    assert r.status_code == 200
    body = r.content.decode()
    assert "应等于参加人数" in body and 'value="直接利益群体"' in body
    r = handler.post(
        reverse("opinions:activity_create", args=[matter.pk]),
        {
            "kind": "symposium",
            "date": timezone.localdate().isoformat(),
            "participant_count": "12",
            "group": "直接利益群体",
            "support_count": "2",
            "oppose_count": "9",
            "neutral_count": "1",
        },
    )
    assert r.status_code == 302
    act = Activity.objects.get(oppose_count=9)
    assert act.group == "直接利益群体" and act.undeclared_count == 0
    assert "反对 9" in handler.get(reverse("opinions:activity", args=[act.pk])).content.decode()
    # The API: the same action, the same refusal; readers of another department are refused.
    call = api(org.rsj_handler)
    payload = {
        "kind": "hearing",
        "date": timezone.localdate().isoformat(),
        "participant_count": 5,
        "oppose_count": 4,
        "support_count": 0,
    }
    r = call("post", f"/matters/{matter.pk}/activities", payload)
    assert r.status_code == 400 and "应等于参加人数" in r.json()["detail"]
    r = call("post", f"/matters/{matter.pk}/activities", {**payload, "support_count": 1})
    assert r.status_code == 201 and r.json()["oppose_count"] == 4
    r = api(org.zjj_handler)("post", f"/matters/{matter.pk}/activities", payload)
    assert r.status_code in (403, 404)


def test_comment_stance_through_page_api_and_exports(org, login, api):
    from tests.opinions.test_list_exports import sheet_rows

    matter = register(org)
    handler = login(org.rsj_handler)
    r = handler.post(
        reverse("opinions:comment_create", args=[matter.pk]),
        {"channel": "letter", "content": "补偿太低，反对", "stance": "oppose", "is_query": "on"},
    )
    assert r.status_code == 302
    call = api(org.rsj_handler)
    r = call(
        "post",
        f"/matters/{matter.pk}/comments",
        {"channel": "online", "content": "支持", "stance": "support"},
    )
    assert r.status_code == 201 and r.json()["stance"] == "support"
    r = call("post", f"/matters/{matter.pk}/comments", {"channel": "online", "content": "再说"})
    assert r.status_code == 201 and r.json()["stance"] == ""
    r = call(
        "post",
        f"/matters/{matter.pk}/comments",
        {"channel": "online", "content": "x", "stance": "?"},
    )
    assert r.status_code in (400, 422)
    hearing(org, matter)
    summary = call("get", f"/matters/{matter.pk}/opinion-summary").json()
    channels = {c["channel"]: c for c in summary["channels"]}
    assert channels["comments"]["oppose"] == 1 and channels["comments"]["undeclared"] == 1
    assert channels["hearing"]["oppose_rate"] == pytest.approx(20 / 30)
    assert summary["majority"]["breached"] and HEARING_FIGURES in summary["majority"]["figures"]
    assert summary["majority"]["combine"] == "any_channel"
    assert summary["all_channels"]["oppose"] == 21
    rows = sheet_rows(handler.get(reverse("opinions:comments_export", args=[matter.pk])))
    stance_col = rows[0].index("态度")
    assert sorted(r[stance_col] for r in rows[1:]) == sorted(["反对", "支持", "未表态"])
    rows = sheet_rows(handler.get(reverse("opinions:activities_export", args=[matter.pk])))
    assert (
        rows[1][rows[0].index("反对")] == 20
        and rows[1][rows[0].index("态度人数所属群体")] == "直接利益群体"
    )
    body = handler.get(reverse("opinions:comments", args=[matter.pk])).content.decode()
    assert 'bg-red-lt">反对' in body


def test_report_prints_channels_and_the_majority_figures(org, supported_but_heard_against):
    ctx = report_context(supported_but_heard_against)
    o = ctx["opinions"]
    labels = [row["channel"] for row in o["channels"] if row["channel"]]
    assert labels == ["问卷调查", "听证会", "各渠道合计"]
    hearing_row = next(row for row in o["channels"] if row["channel"] == "听证会")
    assert (hearing_row["oppose"], hearing_row["oppose_rate"]) == (20, "66.7%")
    assert HEARING_FIGURES in o["majority"] and TOWN_QUOTE in o["majority"]
    assert "支持8/反对20/中立2/未表态0" in [x["stances"] for x in ctx["work"]["activities"]]


# ------------------------------------------------------------------ the grade floor


def test_public_reaction_keeps_the_grade_at_least_level2(org, login, api):
    """Factors give 四级; 4 of 10 oppose (40% > 30%): the scheme keeps it at least 二级,
    which then refuses 实施 by the grade, with the floor's quote and figures shown."""
    a = to_grade_step(org, factors=LOW, support=5, oppose=4, neutral=1)
    preview = actions.compute_grade(a)
    floor = preview["floor"]
    assert preview["initial"].grade == "level4" and preview["result"].grade == "level2"
    assert floor is not None and floor.computed == "level4"
    assert "各渠道合计反对 4/10 人（40.0%），超过 30%" in floor.reason
    assert "对群众和相关利益方有异议的" in floor.reason
    handler = login(org.rsj_handler)
    for url in (
        reverse("assessments:detail", args=[a.pk]) + "?tab=grade",
        reverse("assessments:grade", args=[a.pk]),
    ):
        body = handler.get(url).content.decode()
        assert "群众反映限定了风险等级" in body and "超过 30%" in body
    a = to_decide_step(org, a)
    assert a.computed_grade == "level2" and a.grade == "level2"
    out = api(org.rsj_handler)("get", f"/assessments/{a.pk}").json()
    assert out["computed_grade"] == "level2" and "超过 30%" in out["grade_floor_reason"]
    assert "超过 30%" in report_context(a)["grade"]["floor_reason"]
    with pytest.raises(ActionError, match="风险等级为二级"):
        actions.do_decide(
            org.rsj_handler,
            approve_reviews(org, a),
            outcome="implement",
            doc_no=f"滔政发〔{YEAR}〕4号",
            decided_on=timezone.localdate(),
        )


def test_no_floor_below_the_threshold_or_when_already_severe(org):
    a = to_grade_step(org, factors=LOW, support=8, oppose=2, neutral=0)  # 20%
    assert actions.compute_grade(a)["floor"] is None
    assert actions.compute_grade(a)["result"].grade == "level4"
    b = to_grade_step(org, support=2, oppose=8, neutral=0)  # very high factors: 一级 already
    assert actions.compute_grade(b)["floor"] is None
    assert actions.compute_grade(b)["result"].grade == "level1"


def test_scheme_refuses_a_floor_naming_an_unknown_grade(db):
    from fengping.schemes.model import Scheme

    data = matter_actions.scheme_of("ssra-bureau").model_dump()
    data["grading"]["public_reaction_floor"][0]["at_least"] = "Z"
    with pytest.raises(ValueError, match="grading.public_reaction_floor"):
        Scheme.model_validate(data)
    assert matter_actions.scheme_of("ssra-bureau").grading.public_reaction_floor[0].at_least == "B"


def test_comment_stance_set_later_through_page_and_api(org, login, api):
    matter = register(org)
    comment = opinion_actions.do_add_comment(
        org.rsj_handler, matter, channel="letter", content="补偿标准太低", is_query=True
    )
    assert matter_opinion_summary(matter).all_channels.with_stance == 0
    handler = login(org.rsj_handler)
    url = reverse("opinions:comment_stance", args=[comment.pk])
    assert handler.post(url, {"stance": "oppose", "version": comment.version}).status_code == 302
    comment.refresh_from_db()
    assert comment.stance == "oppose"
    assert matter_opinion_summary(matter).all_channels.oppose == 1
    # A stale version is refused; a reader of another department cannot change it.
    r = handler.post(url, {"stance": "support", "version": 1})
    assert r.status_code in (200, 409)
    comment.refresh_from_db()
    assert comment.stance == "oppose"
    assert login(org.zjj_handler).post(url, {"stance": "support"}).status_code in (403, 404)
    r = api(org.rsj_handler)(
        "post", f"/comments/{comment.pk}/stance", {"stance": "neutral", "version": comment.version}
    )
    assert r.status_code == 200 and r.json()["stance"] == "neutral"
    r = api(org.zjj_handler)("post", f"/comments/{comment.pk}/stance", {"stance": "support"})
    assert r.status_code in (403, 404)
    from fengping.audit.models import Event

    assert Event.objects.filter(action="opinions.comment.stance").count() == 2
