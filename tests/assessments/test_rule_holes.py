"""Rules that used to live only in a template, a view or nowhere: each is now a model
check that the action enforces and every door (action, page, API) refuses the same way."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from fengping.assessments import actions
from fengping.assessments.models import Assessment, AssessmentStatus, Decision, Incident
from fengping.core.errors import ActionError
from fengping.matters import actions as matter_actions
from fengping.matters.models import Matter, MatterStatus
from tests.dates import YEAR

from .flow import approve_reviews, opinions, register, to_decide_step, to_grade_step

TODAY = timezone.localdate


def to_follow_up(org):
    """Decided (不予实施), filed and the decide step completed: the follow-up has begun."""
    a = approve_reviews(org, to_decide_step(org, to_grade_step(org)))
    actions.do_decide(
        org.rsj_handler, a, outcome="reject", doc_no=f"滔政发〔{YEAR}〕3号", decided_on=TODAY()
    )
    for office in (org.wwb, org.lxb):  # 分别报镇维稳办、镇联席办备案
        actions.do_file(org.rsj_handler, a, office=office, filed_on=TODAY())
    return actions.do_complete_step(org.rsj_handler, a, "decide")


def close(org, a):
    for kind, title in (("response", "分批兑现"), ("contingency", "应急预案")):
        m = actions.do_add_measure(org.rsj_handler, a, kind=kind, title=title, owner="养老保险科")
        actions.do_update_measure(org.rsj_handler, m, status="done", evidence="已落实")
    a = actions.do_complete_step(org.rsj_handler, a, "measures")
    return actions.do_finish_follow_up(org.rsj_handler, a)


# ------------------------------------------------------------------ finishing


def test_just_started_assessment_cannot_be_finished_by_the_action(org):
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    assert not a.can_finish()
    with pytest.raises(ActionError, match="跟踪落实") as exc:
        actions.do_finish_follow_up(org.rsj_handler, a)
    assert "严禁漏项" not in exc.value.message
    a.refresh_from_db()
    assert a.status == AssessmentStatus.IN_PROGRESS
    assert Matter.objects.get().status == MatterStatus.ASSESSING


def test_just_started_assessment_cannot_be_finished_through_the_page(org, login):
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    client = login(org.rsj_handler)
    body = client.get(reverse("assessments:detail", args=[a.pk]) + "?tab=follow").content
    assert reverse("assessments:finish", args=[a.pk]) not in body.decode()
    r = client.post(reverse("assessments:finish", args=[a.pk]), follow=True)
    assert "尚未进入跟踪落实" in r.content.decode()
    assert Assessment.objects.get(pk=a.pk).status == AssessmentStatus.IN_PROGRESS


def test_just_started_assessment_cannot_be_finished_through_the_api(org, api):
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    call = api(org.rsj_handler)
    assert call("get", f"/assessments/{a.pk}").json()["can_finish"] is False
    r = call("post", f"/assessments/{a.pk}/finish")
    assert r.status_code == 400 and "尚未进入跟踪落实" in r.json()["detail"]
    assert Assessment.objects.get(pk=a.pk).status == AssessmentStatus.IN_PROGRESS


def test_follow_up_finishes_only_after_its_step_and_every_measure(org, api):
    a = to_follow_up(org)
    m = actions.do_add_measure(org.rsj_handler, a, kind="response", title="分批兑现", owner="科")
    with pytest.raises(ActionError, match="落实应对措施"):
        actions.do_finish_follow_up(org.rsj_handler, a)
    actions.do_update_measure(org.rsj_handler, m, status="done", evidence="已兑现")
    actions.do_add_measure(org.rsj_handler, a, kind="contingency", title="预案", owner="办公室")
    a = actions.do_complete_step(org.rsj_handler, a, "measures")
    with pytest.raises(ActionError, match="仍有未落实"):
        actions.do_finish_follow_up(org.rsj_handler, a)
    for measure in a.measures.exclude(status="done"):
        actions.do_update_measure(org.rsj_handler, measure, status="done", evidence="已制定")
    a.refresh_from_db()
    assert a.can_finish()
    r = api(org.rsj_handler)("post", f"/assessments/{a.pk}/finish")
    assert r.status_code == 200 and r.json()["status"] == AssessmentStatus.CLOSED
    assert Matter.objects.get().status == MatterStatus.CLOSED


# ------------------------------------------------------------------ incidents


def test_incident_on_a_closed_assessment_refused(org, api, login):
    a = close(org, to_follow_up(org))
    assert a.status == AssessmentStatus.CLOSED
    with pytest.raises(ActionError, match="已办结"):
        actions.do_record_incident(
            org.rsj_handler, a, occurred_on=TODAY(), description="聚集", action="handle"
        )
    r = api(org.rsj_handler)(
        "post",
        f"/assessments/{a.pk}/incidents",
        {"occurred_on": TODAY().isoformat(), "description": "聚集", "action": "reopen"},
    )
    assert r.status_code == 400 and "已办结" in r.json()["detail"]
    r = login(org.rsj_handler).post(
        reverse("assessments:incident_add", args=[a.pk]),
        {"occurred_on": TODAY(), "description": "聚集", "action": "adjust"},
    )
    assert r.status_code == 200 and "已办结" in r.content.decode()
    assert not Incident.objects.exists()
    assert Matter.objects.get().status == MatterStatus.CLOSED
    measure = a.measures.first()
    with pytest.raises(ActionError, match="已办结"):
        actions.do_update_measure(org.rsj_handler, measure, status="in_progress", evidence="")


def test_incident_on_a_superseded_assessment_refused(org):
    a = to_follow_up(org)
    actions.do_record_incident(
        org.rsj_handler, a, occurred_on=TODAY(), description="集体上访", action="reopen"
    )
    with pytest.raises(ActionError, match="已办结"):
        actions.do_record_incident(
            org.rsj_handler, a, occurred_on=TODAY(), description="再次上访", action="adjust"
        )


# ------------------------------------------------------------------ deciding without assessment


@pytest.fixture
def optional_matter(org):
    matter = register(org)
    Matter.objects.filter(pk=matter.pk).update(must_assess=False, deciding_authority="")
    return Matter.objects.get(pk=matter.pk)


def _decide(org, matter, **kw):
    values = {
        "outcome": "implement",
        "doc_no": f"示政发〔{YEAR}〕3号",
        "decided_on": TODAY(),
        "authority": "市政府",
        **kw,
    }
    return actions.do_decide_without_assessment(org.rsj_handler, matter, **values)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"outcome": "approve_quickly"}, "outcome", "不是该方案中的决定"),
        ({"decided_on": dt.date.today() + dt.timedelta(days=2)}, "decided_on", "不能晚于今天"),
        ({"authority": "  "}, "authority", "决定机关"),
    ],
)
def test_decide_without_assessment_refuses_bad_input(org, optional_matter, change, field, message):
    with pytest.raises(ActionError, match=message) as exc:
        _decide(org, optional_matter, **change)
    assert exc.value.field == field
    assert not Decision.objects.exists()
    assert Matter.objects.get().status == MatterStatus.REGISTERED


def test_decide_without_assessment_takes_the_label_from_the_scheme(org, optional_matter):
    decision = _decide(org, optional_matter, outcome="reject")
    label = next(
        d.label for d in optional_matter_scheme(optional_matter).decisions if d.code == "reject"
    )
    assert decision.outcome_label == label


def optional_matter_scheme(matter):
    return matter_actions.scheme_of(matter.scheme_key)


def test_decide_without_assessment_api_refuses_future_date_and_empty_authority(
    org, optional_matter, api
):
    call = api(org.rsj_handler)
    payload = {"outcome": "implement", "doc_no": f"示政发〔{YEAR}〕3号"}
    future = (TODAY() + dt.timedelta(days=3)).isoformat()
    r = call("post", f"/matters/{optional_matter.pk}/decision", {**payload, "decided_on": future})
    assert r.status_code == 400 and "不能晚于今天" in r.json()["detail"]
    r = call(
        "post", f"/matters/{optional_matter.pk}/decision", {**payload, "decided_on": str(TODAY())}
    )
    assert r.status_code == 400 and "决定机关" in r.json()["detail"]
    assert not Decision.objects.exists()


# ------------------------------------------------------------------ the majority rule


def test_matter_opinions_page_shows_majority_rule_from_the_oppose_rate(org, login):
    """4 support, 4 oppose, 2 neutral: 40% oppose is under the scheme's 50% threshold, so no
    warning (the old page warned on support < 50% instead); 3 more against: 7 of 13 oppose."""
    matter = register(org)
    client = login(org.rsj_handler)
    url = reverse("opinions:matter", args=[matter.pk])
    opinions(org, matter, support=4, oppose=4, neutral=2)
    body = client.get(url).content.decode()
    assert "凡是绝大多数群众不予理解支持的政策坚决不出台" not in body
    opinions(org, matter, support=0, oppose=3, neutral=0)
    body = client.get(url).content.decode()
    assert "凡是绝大多数群众不予理解支持的政策坚决不出台" in body
    assert "50%" in body


def test_majority_rule_is_one_check_for_the_page_and_the_decision(org):
    from fengping.opinions.queries import majority_breach, matter_opinion_summary

    matter = register(org)
    opinions(org, matter, support=2, oppose=6, neutral=2)
    rule = matter_actions.scheme_of(matter.scheme_key).majority_rule
    summary = matter_opinion_summary(matter)
    assert rule.breached(summary) and majority_breach(matter, summary).rule == rule
    assert not rule.breached(0.5) and not rule.breached(None)


# ------------------------------------------------------------------ matters of other subjects


@pytest.mark.parametrize("scheme_key", ["isra", "case-risk"])
def test_register_matter_with_another_subjects_scheme_refused(org, api, login, scheme_key):
    with pytest.raises(ActionError, match="不能登记为评估事项") as exc:
        matter_actions.do_register_matter(
            org.rsj_handler,
            title="核心业务系统",
            scheme_key=scheme_key,
            category_code="x",
            department=org.rsj,
        )
    assert exc.value.field == "scheme_key"
    r = api(org.rsj_handler)(
        "post",
        "/matters",
        {
            "title": "核心业务系统",
            "scheme_key": scheme_key,
            "category_code": "x",
            "department_id": org.rsj.pk,
        },
    )
    assert r.status_code == 400 and "不能登记为评估事项" in r.json()["detail"]
    r = login(org.rsj_handler).post(
        reverse("matters:create"),
        {"title": "核心业务系统", "category": f"{scheme_key}/x", "department": org.rsj.pk},
    )
    assert r.status_code == 200 and not Matter.objects.exists()
