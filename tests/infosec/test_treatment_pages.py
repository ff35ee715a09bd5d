"""The 风险处置 tab, the decision page, approvals and recommendations through the pages
and the API: the refusals of the actions reach both doors."""

from __future__ import annotations

from django.urls import reverse

from fengping.audit.models import Event
from fengping.infosec.actions import treatment as t
from fengping.infosec.models import ApprovalState, RiskDecision, SystemAssessment

from .treatment_builders import register, rsj_leader, scenario_of, zjj_leader


def _decided(org, level=4):
    a = register(org, {level: 1, 1: 3})
    d = t.do_decide(org.rsj_handler, scenario_of(a, level), "accept", "可接受")
    return a, d


def test_tab_shows_summary_register_and_recommendations(org, login):
    a, d = _decided(org)
    rec = t.do_save_recommendation(org.rsj_handler, a, title="部署基线", kind="technical")
    t.do_link_recommendation(org.rsj_handler, rec, filters={"levels": [1, 4]})
    page = login(org.rsj_handler).get(reverse("infosec:treatment", args=[a.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "批量决策" in html and "部署基线" in html and "待批准" in html
    # one row for the recommendation with the count and levels, not one per risk
    assert html.count("部署基线") == 1 and "很低 3" in html and "高 1" in html
    # the supervisor reads, without forms
    html = login(org.supervisor).get(reverse("infosec:treatment", args=[a.pk])).content.decode()
    assert "批量决策" not in html
    assert login(org.zjj_handler).get(reverse("infosec:treatment", args=[a.pk])).status_code == 404


def test_bulk_decide_through_the_page(org, login):
    a = register(org, {1: 5, 2: 5, 3: 1})
    client = login(org.rsj_handler)
    url = reverse("infosec:treatment", args=[a.pk])
    response = client.post(
        url,
        {"levels": ["1", "2"], "undecided": "on", "treatment": "accept", "reason": "低风险"},
    )
    assert response.status_code == 302
    assert RiskDecision.objects.filter(assessment=a).count() == 10
    # a medium accept without the written confirmation: the form shows the rule
    response = client.post(url, {"levels": ["3"], "treatment": "accept", "reason": "x"})
    assert response.status_code == 200 and "书面确认" in response.content.decode()
    assert login(org.supervisor).post(url, {"levels": ["1"]}).status_code == 403


def test_assessor_cannot_approve_own_through_page_and_api(org, login, api):
    a, d = _decided(org)
    url = reverse("infosec:decision_approve", args=[d.pk])
    # the proposer (a handler holding no leader role) and the supervisor: 403
    assert login(org.rsj_handler).post(url, {"note": "ok"}).status_code == 403
    assert login(org.supervisor).post(url, {"note": "ok"}).status_code == 403
    # a leader of another department does not even see it
    assert login(zjj_leader(org)).post(url, {"note": "ok"}).status_code == 404
    # a leader who proposed it
    leader = rsj_leader(org)
    own = t.do_decide(leader, d.scenario, "accept", "可接受（领导提出）")
    assert login(leader).post(url, {"note": "ok"}).status_code == 403
    path = f"/infosec/assessments/{a.pk}/decisions/{d.pk}/approve"
    r = api(leader)("post", path, {"note": "ok"})
    assert r.status_code == 403 and "不能批准自己" in r.json()["detail"]
    r = api(org.rsj_handler)("post", path, {"note": "ok"})
    assert r.status_code == 403
    assert api(zjj_leader(org))("post", path, {}).status_code == 404
    # the head approves through the page, with the version reviewed
    response = login(org.rsj_head).post(url, {"note": "同意", "version": own.version})
    assert response.status_code == 302
    assert RiskDecision.objects.get(pk=d.pk).approval == ApprovalState.APPROVED
    # approving twice
    r = api(org.city_leader)("post", path, {"note": "again"})
    assert r.status_code == 400 and "不在待批准" in r.json()["detail"]


def test_approve_after_change_is_refused_through_api(org, api):
    a, d = _decided(org)
    seen = d.version
    t.do_decide(org.rsj_handler, d.scenario, "accept", "新理由")
    r = api(rsj_leader(org))(
        "post", f"/infosec/assessments/{a.pk}/decisions/{d.pk}/approve", {"version": seen}
    )
    assert r.status_code == 409


def test_decision_page_and_api_refuse_a_finished_assessment(org, login, api):
    a = register(org, {2: 1})
    s = scenario_of(a, 2)
    r = api(org.rsj_handler)(
        "put",
        f"/infosec/assessments/{a.pk}/scenarios/{s.pk}/decision",
        {"treatment": "accept", "reason": "低风险"},
    )
    assert r.status_code == 200 and r.json()["approval"] == "not_needed"
    SystemAssessment.objects.filter(pk=a.pk).update(status="finished")
    r = api(org.rsj_handler)(
        "put",
        f"/infosec/assessments/{a.pk}/scenarios/{s.pk}/decision",
        {"treatment": "reduce", "reason": "整改"},
    )
    assert r.status_code == 400 and "已办结" in r.json()["detail"]
    response = login(org.rsj_handler).post(
        reverse("infosec:decide", args=[s.pk]), {"treatment": "reduce", "reason": "整改"}
    )
    assert response.status_code == 200 and "已办结" in response.content.decode()
    # a scenario of another assessment under this one's URL
    other = register(org, {2: 1}, code="B")
    r = api(org.rsj_handler)(
        "put",
        f"/infosec/assessments/{a.pk}/scenarios/{scenario_of(other, 2).pk}/decision",
        {"treatment": "reduce", "reason": "x"},
    )
    assert r.status_code == 404


def test_api_bulk_and_link_are_one_event(org, api):
    a = register(org, {1: 20, 3: 5})
    call = api(org.rsj_handler)
    before = Event.objects.count()
    r = call(
        "post",
        f"/infosec/assessments/{a.pk}/decisions/bulk",
        {"treatment": "accept", "reason": "低", "levels": [1]},
    )
    assert r.status_code == 200 and r.json()["count"] == 20
    assert Event.objects.count() == before + 1
    r = call(
        "post",
        f"/infosec/assessments/{a.pk}/recommendations",
        {"title": "补丁管理", "kind": "management", "effect": "preventive"},
    )
    assert r.status_code == 201
    rec_id = r.json()["id"]
    r = call(
        "post",
        f"/infosec/assessments/{a.pk}/recommendations/{rec_id}/links",
        {"levels": [1, 3]},
    )
    assert r.json()["count"] == 25
    (rec,) = call("get", f"/infosec/assessments/{a.pk}/recommendations").json()
    assert rec["risks"] == 25 and [x["count"] for x in rec["levels"]] == [5, 20]
    page = call("get", f"/infosec/assessments/{a.pk}/decisions?treatment=accept")
    assert page.json()["count"] == 20
    assert call("get", "/infosec/approvals").json() == []


def test_decisions_export(org, login):
    a, d = _decided(org)
    r = login(org.supervisor).get(reverse("infosec:decisions_export", args=[a.pk]))
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")


def test_recommendation_pages(org, login):
    a = register(org, {2: 3})
    client = login(org.rsj_handler)
    r = client.post(
        reverse("infosec:recommendation_new", args=[a.pk]),
        {"title": "加强口令策略", "kind": "management", "effect": ""},
    )
    assert r.status_code == 302
    rec = a.recommendations.get()
    r = client.post(reverse("infosec:recommendation_link", args=[rec.pk]), {"levels": ["2"]})
    assert r.status_code == 302 and rec.scenarios.count() == 3
    page = client.get(reverse("infosec:recommendation", args=[rec.pk])).content.decode()
    assert "针对 3 项风险" in page
    r = client.post(reverse("infosec:recommendation_task", args=[rec.pk]))
    assert r.status_code == 302 and rec.tasks.count() == 1
    # a recommendation with a task cannot be deleted
    client.post(reverse("infosec:recommendation_delete", args=[rec.pk]))
    assert a.recommendations.exists()


def test_home_cards_count_due_reviews(org, login):
    from fengping.infosec.task_lists import COUNTS

    COUNTS.clear()
    page = login(org.rsj_handler).get("/")
    assert "逾期整改任务" in page.content.decode()


def test_decisions_list_page_filters(org, login):
    a = register(org, {1: 4, 4: 1})
    t.do_decide_bulk(org.rsj_handler, a, "accept", "低", filters={"levels": [1]})
    t.do_decide(org.rsj_handler, scenario_of(a, 4), "reduce", "整改")
    client = login(org.supervisor)
    url = reverse("infosec:decisions", args=[a.pk])
    html = client.get(url).content.decode()
    assert html.count(reverse("infosec:decide", args=[scenario_of(a, 1).pk])) == 1
    html = client.get(url + "?treatment=reduce").content.decode()
    assert "整改" in html and "很低" not in html.split("results")[-1]


def test_waiting_for_my_approval_page_and_card(org, login):
    from fengping.infosec.task_lists import COUNTS, treatment_cards

    a, d = _decided(org)
    leader = rsj_leader(org)
    html = login(leader).get(reverse("infosec:awaiting")).content.decode()
    assert reverse("infosec:decide", args=[d.scenario_id]) in html
    html = login(org.rsj_handler).get(reverse("infosec:awaiting")).content.decode()
    assert reverse("infosec:decide", args=[d.scenario_id]) not in html
    assert login(leader).get(reverse("infosec:awaiting_export")).status_code == 200
    COUNTS.clear()
    cards = {c["label"]: c["value"] for c in treatment_cards(leader)}
    assert cards["待我批准的风险接受"] == 1
    assert "待我批准的风险接受" not in {c["label"] for c in treatment_cards(org.rsj_handler)}
