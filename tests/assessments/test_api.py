"""The assessments API: the same actions as the pages, scoped, with refusals as JSON."""

import pytest
from django.utils import timezone

from fengping.assessments.models import Assessment
from tests.dates import YEAR

from .flow import ESTIMATES, approve_reviews, register, to_decide_step, to_grade_step


def test_start_complete_factor_score_and_get(org, api):
    call = api(org.rsj_handler)
    matter = register(org)
    r = call("post", "/assessments", {"matter_id": matter.pk})
    assert r.status_code == 201, r.json()
    a = r.json()
    assert a["current_step"] == "select" and len(a["scheme_version"]) == 12
    assert [s["code"] for s in a["steps"]][:2] == ["select", "plan"]
    r = call("post", f"/assessments/{a['id']}/steps/select/complete", {"note": ""})
    assert r.status_code == 200 and r.json()["current_step"] == "plan"
    assert "评估方案（牵头部门、评估内容与责任、评估组成员）" in r.json()["missing_outputs"]
    # Completing it again: a conflict naming who did it.
    r = call("post", f"/assessments/{a['id']}/steps/select/complete", {})
    assert r.status_code == 409 and "已由 rsj_handler" in r.json()["detail"]
    r = call(
        "post",
        f"/assessments/{a['id']}/factors",
        {"dimension": "legality", "title": "标准争议", "people_involved": 300},
    )
    # 篇3 六(四): the town's scheme requires the factor's range, intensity and impact.
    assert r.status_code == 400 and r.json()["field"] == "scope"
    assert "矛盾冲突涉及的人员数量、范围和激烈程度" in r.json()["detail"]
    r = call(
        "post",
        f"/assessments/{a['id']}/factors",
        {"dimension": "legality", "title": "标准争议", **ESTIMATES},
    )
    assert r.status_code == 201
    factor_id = r.json()["id"]
    r = call(
        "post",
        f"/factors/{factor_id}/scores",
        {"probability_level": "high", "impact_level": "major"},
    )
    assert r.status_code == 403  # not on the team yet
    r = call(
        "put",
        f"/factors/{factor_id}",
        {"dimension": "legality", "title": "待遇标准争议", **ESTIMATES},
    )
    assert r.status_code == 200 and r.json()["title"] == "待遇标准争议"
    r = call(
        "post",
        f"/assessments/{a['id']}/checklist",
        {"dimension": "legality", "item_no": 0, "answer": "fails"},
    )
    assert r.status_code == 400 and r.json()["field"] == "note"


def test_scores_and_grade(org, api):
    a = to_grade_step(org, factors=((1.0, "high", "major"),))
    call = api(org.rsj_handler)
    body = call("get", f"/assessments/{a.pk}").json()
    f = body["factors"][0]
    assert f["score"] == pytest.approx(0.64) and f["spread"]["n"] == 2 and len(f["scores"]) == 2
    r = call("post", f"/assessments/{a.pk}/grade", {"grade": "level4", "written_opinion": "同意"})
    assert r.status_code == 400 and "须说明理由" in r.json()["detail"]
    r = call("post", f"/assessments/{a.pk}/grade", {"written_opinion": "同意"})
    assert r.status_code == 200 and r.json()["grade"] == r.json()["computed_grade"]


def test_decide_refusal_quotes_the_rule_then_file_and_follow_up(org, api):
    a = approve_reviews(org, to_decide_step(org, to_grade_step(org, scheme_key="ssra-bureau")))
    call = api(org.rsj_handler)
    today = timezone.localdate().isoformat()
    r = call(
        "post",
        f"/assessments/{a.pk}/decision",
        {"outcome": "implement", "doc_no": f"株政发〔{YEAR}〕12号", "decided_on": today},
    )
    assert r.status_code == 400
    assert "对评为A级风险的,不得实施" in r.json()["detail"]
    r = call(
        "post",
        f"/assessments/{a.pk}/decision",
        {"outcome": "postpone", "doc_no": "株政发(2026)12号", "decided_on": today},
    )
    assert r.status_code == 201 and r.json()["doc_no"] == f"株政发〔{YEAR}〕12号"
    r = call("post", f"/assessments/{a.pk}/filings", {"office_id": org.wwb.pk, "filed_on": today})
    assert r.status_code == 201
    r = call(
        "post",
        f"/assessments/{a.pk}/measures",
        {"kind": "response", "title": "分批兑现", "owner": "养老保险科"},
    )
    assert r.status_code == 201
    r = call(
        "post",
        f"/assessments/{a.pk}/incidents",
        {"occurred_on": today, "description": "聚集", "action": "reopen"},
    )
    assert r.status_code == 201
    assert Assessment.objects.get(pk=a.pk).status == "closed"


def test_review_through_api(org, api):
    a = to_decide_step(org, to_grade_step(org))
    stage = __import__("fengping.assessments.actions", fromlist=["x"]).pending_review(a)
    r = api(org.rsj_handler)(
        "post",
        f"/assessments/{a.pk}/reviews",
        {"stage": stage.code, "result": "approved", "opinion": "同意"},
    )
    assert r.status_code == 403  # a handler is not a reviewer
    r = api(org.rsj_head)(
        "post",
        f"/assessments/{a.pk}/reviews",
        {"stage": stage.code, "result": "approved", "opinion": "同意"},
    )
    assert r.status_code == 201


def test_list_is_scoped(org, api):
    to_grade_step(org)
    assert api(org.rsj_handler)("get", "/assessments").json()["count"] == 1
    assert api(org.zjj_handler)("get", "/assessments").json()["count"] == 0
    assert api(org.supervisor)("get", "/assessments").json()["count"] == 1
