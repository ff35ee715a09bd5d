"""Issue 8, loopholes 3 and 4: who signs each review stage (the scheme's unit and role), one
person never two stages of a round, supervising offices never sign; 涉稳重大问题 set by
fengping. Through the action, the page and the API."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from fengping.assessments import actions
from fengping.assessments.models import Review
from fengping.core.errors import ActionError
from fengping.matters import actions as matter_actions
from fengping.org import actions as org_actions
from fengping.org.models import Role

from .flow import approve_reviews, signer, to_decide_step, to_grade_step

LOW = ((1.0, "very_low", "negligible"),)  # computes the lowest grade (四级)


def review(user, a, stage, result="approved"):
    return actions.do_review(user, a, stage=stage, result=result, opinion="同意")


# ------------------------------------------------------------------ loophole 3


def test_each_stage_is_signed_by_the_unit_and_role_the_scheme_names(org):
    a = to_decide_step(org, to_grade_step(org))  # 一级: 涉稳重大问题, three stages
    assert [s.code for s in actions.review_chain(a)] == ["review", "approve", "escalate"]
    # 审查: the approving department's leader — not the city's 分管领导.
    with pytest.raises(ActionError, match="须由人社局的") as refused:
        review(org.city_leader, a, "review")
    assert "评估报告经审批、审议部门审查后" in refused.value.message
    review(org.rsj_head, a, "review")
    # 审定: a 分管领导 of the deciding organ — the bureau's head may not.
    with pytest.raises(PermissionDenied):
        review(org.rsj_handler, a, "approve")
    with pytest.raises(ActionError, match="须由示范市人民政府的分管领导"):
        review(org.city_head, a, "approve")
    review(org.city_leader, a, "approve")
    # 镇委、镇政府审定: the deciding organ's 主要负责人, not its 分管领导.
    with pytest.raises(ActionError, match="主要负责人"):
        review(org.city_leader, a, "escalate")
    review(org.city_head, a, "escalate")
    assert actions.pending_review(a) is None
    assert list(a.reviews.order_by("id").values_list("stage", "reviewer__username")) == [
        ("review", "rsj_head"),
        ("approve", "city_leader"),
        ("escalate", "city_head"),
    ]


def test_one_person_never_signs_two_stages_of_a_round(org):
    a = to_decide_step(org, to_grade_step(org))
    # The city's 分管领导 also leads the bureau: she may sign either stage, not both.
    org_actions.do_add_membership(org.superuser, org.city_leader, org.rsj, Role.LEADER)
    review(org.city_leader, a, "review")
    with pytest.raises(ActionError, match="同一人不能签署同一轮审查的两个环节"):
        review(org.city_leader, a, "approve")
    assert a.reviews.count() == 1
    # The 审定 sends the report back: a new round starts, and its stages are signed anew.
    org_actions.do_add_membership(org.superuser, org.rsj_head, org.root, Role.LEADER)
    review(org.rsj_head, a, "approve", result="sent_back")
    a.refresh_from_db()
    actions.do_mark_report_generated(org.rsj_handler, a, "1" * 64)
    a = actions.do_complete_step(org.rsj_handler, a, "report")
    assert a.review_round() == 2
    review(org.city_leader, a, "review")
    with pytest.raises(ActionError, match="同一人不能"):
        review(org.city_leader, a, "approve")
    review(org.rsj_head, a, "approve")


def test_a_supervising_office_never_signs(org):
    a = to_decide_step(org, to_grade_step(org))
    for stage in ("review", "approve", "escalate"):
        with pytest.raises(PermissionDenied, match="督查机关"):
            review(org.supervisor, a, stage)
    # Naming a supervising office as the approving department or deciding organ is refused.
    with pytest.raises(ActionError, match="督查机关") as refused:
        matter_actions.do_update_matter(
            org.rsj_handler,
            a.matter,
            version=None,
            title=a.matter.title,
            kind=a.matter.kind,
            description="",
            category_code=a.matter.category_code,
            lead_department=None,
            assisting_departments=[],
            deciding_authority="",
            planned_decision_date=None,
            confidential=False,
            deciding_organ=org.wwb,
        )
    assert refused.value.field == "deciding_organ"
    assert not Review.objects.exists()


def test_the_matter_names_its_approving_department_and_deciding_organ(org):
    a = to_decide_step(org, to_grade_step(org))
    matter = a.matter
    matter_actions.do_update_matter(
        org.rsj_handler,
        matter,
        version=None,
        title=matter.title,
        kind=matter.kind,
        description="",
        category_code=matter.category_code,
        lead_department=None,
        assisting_departments=[],
        deciding_authority="市人民政府常务会议",
        planned_decision_date=None,
        confidential=False,
        approving_department=org.root,
    )
    a.refresh_from_db()
    assert actions.approving_department(a.matter) == org.root
    # Now the city government's leaders sign 审查; the 人社局 head no longer may.
    with pytest.raises(PermissionDenied):
        review(org.rsj_head, a, "review")
    review(org.city_head, a, "review")
    review(org.city_leader, a, "approve")
    # The head signed 审查: the escalation needs another 主要负责人 of the deciding organ.
    with pytest.raises(ActionError, match="同一人不能"):
        review(org.city_head, a, "escalate")


def test_the_review_form_is_shown_only_to_the_signer(org, login):
    a = to_decide_step(org, to_grade_step(org))
    url = reverse("assessments:detail", args=[a.pk]) + "?tab=decision"
    page = login(org.rsj_handler).get(url).content.decode()
    assert 'name="opinion"' not in page
    assert (
        "须由人社局的主要负责人或分管领导签署" in page or "须由人社局的分管领导或主要负责人" in page
    )
    assert "rsj_head" in page  # who may sign, by name
    page = login(org.rsj_head).get(url).content.decode()
    assert 'name="opinion"' in page


def test_page_and_api_refuse_the_wrong_signer(org, login, api):
    a = to_decide_step(org, to_grade_step(org))
    url = reverse("assessments:review", args=[a.pk])
    body = {"stage": "review", "result": "approved", "opinion": "同意"}
    assert login(org.supervisor).post(url, body).status_code == 403
    response = login(org.city_leader).post(url, body, follow=True)
    assert "须由人社局的" in response.content.decode()
    assert not a.reviews.exists()
    r = api(org.supervisor)("post", f"/assessments/{a.pk}/reviews", body)
    assert r.status_code == 403
    r = api(org.city_leader)("post", f"/assessments/{a.pk}/reviews", body)
    assert r.status_code == 400 and "须由人社局的" in r.json()["detail"]
    r = api(org.rsj_head)("post", f"/assessments/{a.pk}/reviews", body)
    assert r.status_code == 201
    body["stage"] = "approve"
    r = api(org.rsj_head)("post", f"/assessments/{a.pk}/reviews", body)
    assert r.status_code == 400 and "示范市人民政府的分管领导" in r.json()["detail"]
    r = api(org.city_leader)("post", f"/assessments/{a.pk}/reviews", body)
    assert r.status_code == 201


# ------------------------------------------------------------------ loophole 4


def test_major_stability_issue_set_by_the_grade_and_not_cleared(org):
    a = to_grade_step(org)  # computes 一级, the highest grade
    a = to_decide_step(org, a, major=False)
    assert a.major_stability_issue
    assert [s.code for s in actions.review_chain(a)][-1] == "escalate"
    assert "一级" in actions.major_stability_reasons(a)[0]


def test_major_stability_issue_by_majority_rule_and_by_hand(org):
    low = to_grade_step(org, factors=LOW)
    low = to_decide_step(org, low, major=False)
    assert low.grade == "level4" and not low.major_stability_issue
    assert [s.code for s in actions.review_chain(low)] == ["review", "approve"]
    by_hand = to_decide_step(org, to_grade_step(org, factors=LOW), major=True)
    assert by_hand.major_stability_issue
    opposed = to_grade_step(org, factors=LOW, support=2, oppose=8, neutral=0)
    opposed = to_decide_step(org, opposed, major=False)
    # The public's reaction lifts the grade (at least 二级) and the majority rule is breached:
    # both are reasons fengping sets 涉稳重大问题 for.
    assert opposed.grade == "level2" and opposed.major_stability_issue
    assert any("超过 50%" in r for r in actions.major_stability_reasons(opposed))


def test_an_incident_makes_the_issue_major(org):
    a = approve_reviews(org, to_decide_step(org, to_grade_step(org, factors=LOW)))
    today = timezone.localdate()
    actions.do_decide(
        org.rsj_handler,
        a,
        outcome="implement",
        doc_no=f"示政发〔{today.year}〕5号",
        decided_on=today,
    )
    assert not a.major_stability_issue
    actions.do_record_incident(
        org.rsj_handler, a, occurred_on=today, description="集体上访", action="handle"
    )
    a.refresh_from_db()
    assert a.major_stability_issue
    assert "不稳定情况" in actions.major_stability_reasons(a)[-1]


def test_signer_helper_matches_the_chain(org):
    # The flow helper used by other tests names the same people the rule allows.
    a = to_decide_step(org, to_grade_step(org))
    for stage in actions.review_chain(a):
        assert signer(org, stage.code) in actions.stage_signers(a, stage)


def test_the_api_says_who_signs_and_why_the_issue_is_major(org, api):
    a = to_decide_step(org, to_grade_step(org))
    body = api(org.rsj_handler)("get", f"/assessments/{a.pk}").json()
    assert body["major_stability_issue"] and "一级" in body["major_stability_reasons"][0]
    assert body["pending_review"].startswith("审批、审议部门审查：人社局的")
    assert "rsj_head" in body["pending_review"]
