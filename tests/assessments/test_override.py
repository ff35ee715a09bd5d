"""Issue 8, loophole 2: one person cannot undo a grade. Changing the computed grade is
proposed with a reason and approved by a 分管领导 or 主要负责人 of the responsible
department who is not the proposer; until then the computed grade governs every decision
rule. A decision's condition is recorded by the worker and confirmed by a leader who is not
the recorder; C (根据相关预案) needs its 预案 recorded first."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from fengping.api.tokens import do_create_token
from fengping.assessments import actions
from fengping.assessments.models import Assessment, GradeOverride, OverrideState
from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org import actions as org_actions
from fengping.org.models import Role
from tests.conftest import settled
from tests.dates import YEAR

from .flow import approve_reviews, to_grade_step

A_FACTORS = ((1.0, "very_high", "severe"),)  # index 1.00 → 高 → A
DOC = f"示人社发〔{YEAR}〕8号"


def today():
    return timezone.localdate()


@pytest.fixture
def leader(org):
    """A 分管领导 of 人社局 besides its 主要负责人."""
    user, _pw = org_actions.do_create_user(
        org.superuser,
        username="rsj_leader",
        real_name="分管副局长",
        department=org.rsj,
        role=Role.LEADER,
        password="Test-password-2026",
    )
    settled(user)
    return user


def decide(org, a, outcome="implement", who=None):
    return actions.do_decide(
        who or org.rsj_handler, a, outcome=outcome, doc_no=DOC, decided_on=today()
    )


@pytest.fixture
def a_to_c(org):
    """The issue's case: computed A, the handler asks for C with the reason "理由"
    (at the grade step, before the report)."""
    a = to_grade_step(org, scheme_key="ssra-bureau", factors=A_FACTORS)
    return actions.do_grade(
        org.rsj_handler,
        a,
        grade="C",
        reason="理由",
        written_opinion="同意评估结论",
        recommendation="建议实施",
        mitigation_plan="化解矛盾方案：分批兑现",
    )


def to_decision(org, a):
    """From the grade step to a reviewed report awaiting the decision."""
    a = actions.do_complete_step(org.rsj_handler, Assessment.objects.get(pk=a.pk), "grade")
    actions.do_mark_report_generated(org.rsj_handler, a, "0" * 64)
    a = actions.do_complete_step(org.rsj_handler, a, "report")
    return approve_reviews(org, a)


def test_a_proposal_changes_nothing_until_approved(org, a_to_c):
    a = to_decision(org, a_to_c)
    assert a.computed_grade == "A" and a.grade == "A" and a.effective_grade() == "A"
    proposal = a.pending_override()
    assert (proposal.computed_grade, proposal.proposed_grade, proposal.reason) == ("A", "C", "理由")
    assert proposal.proposed_by == org.rsj_handler
    # The computed grade governs every decision rule: A forbids 实施.
    with pytest.raises(ActionError, match="对评为A级风险的,不得实施"):
        decide(org, a)
    # The report rests on the grade: once generated, no approval and no new proposal.
    with pytest.raises(ActionError, match="评估报告已依据现有风险等级生成"):
        actions.do_approve_override(org.rsj_head, proposal, "同意")
    with pytest.raises(ActionError, match="评估报告已依据现有风险等级生成"):
        actions.do_propose_override(org.rsj_handler, a, grade="B", reason="理由")
    assert Assessment.objects.get(pk=a.pk).effective_grade() == "A"


def test_the_proposer_never_approves_and_only_a_leader_of_the_department_does(org, a_to_c, leader):
    proposal = a_to_c.pending_override()
    # The handler who proposed is no leader: refused before anything else.
    with pytest.raises(PermissionDenied):
        actions.do_approve_override(org.rsj_handler, proposal)
    # Neither the supervisor (维稳办 督查) nor an administrator is a leader of 人社局.
    for outsider in (org.supervisor, org.admin):
        with pytest.raises(PermissionDenied):
            actions.do_approve_override(outsider, proposal)
    # Another bureau does not even see it.
    with pytest.raises(Http404):
        access.get_for_user(org.zjj_handler, GradeOverride, proposal.pk)
    # A leader who proposes cannot approve their own proposal.
    own = actions.do_propose_override(org.rsj_head, a_to_c, grade="B", reason="群众反映较大")
    proposal.refresh_from_db()
    assert proposal.state == OverrideState.VOID  # replaced by the new proposal
    with pytest.raises(ActionError, match="提出调整的人不能批准"):
        actions.do_approve_override(org.rsj_head, own)
    approved = actions.do_approve_override(leader, own, "同意")
    assert approved.state == OverrideState.APPROVED and approved.decided_by == leader
    a = Assessment.objects.get(pk=a_to_c.pk)
    assert a.grade == "B" and a.effective_grade() == "B" and a.grade_override_reason
    # Twice: refused.
    with pytest.raises(ActionError, match="已批准"):
        actions.do_approve_override(org.rsj_head, own)
    events = Event.objects.filter(action__startswith="assessments.grade.override")
    assert {e.action for e in events} >= {
        "assessments.grade.override.propose",
        "assessments.grade.override.approve",
        "assessments.grade.override.void",
    }


def test_rejection_needs_a_reason_and_keeps_the_computed_grade(org, a_to_c):
    proposal = a_to_c.pending_override()
    with pytest.raises(ActionError, match="不批准须说明理由"):
        actions.do_reject_override(org.rsj_head, proposal, "")
    actions.do_reject_override(org.rsj_head, proposal, "依据不足")
    a = to_decision(org, a_to_c)
    assert a.effective_grade() == "A" and a.pending_override() is None
    with pytest.raises(ActionError, match="不得实施"):
        decide(org, a)


def test_grading_again_keeps_the_proposal_or_voids_it(org):
    a = to_grade_step(org, scheme_key="ssra-bureau", factors=A_FACTORS)
    kw = {"written_opinion": "意见", "recommendation": "建议"}
    a = actions.do_grade(org.rsj_handler, a, grade="C", reason="理由", **kw)
    first = a.pending_override()
    a = actions.do_grade(org.rsj_handler, a, grade="C", reason="理由", **kw)
    assert a.pending_override() == first  # the same change: still the one proposal
    a = actions.do_grade(org.rsj_handler, a, **kw)  # back to the computed grade
    assert a.pending_override() is None and a.grade == "A"
    first.refresh_from_db()
    assert first.state == OverrideState.VOID


def test_conditions_recorded_by_the_worker_confirmed_by_another_leader(org, a_to_c, leader):
    a = a_to_c
    actions.do_approve_override(org.rsj_head, a.pending_override(), "同意调整为C级")
    a = to_decision(org, a)
    assert a.grade == "C"
    # C: 承办部门应根据相关预案,针对性做好矛盾防范和化解工作后,可以组织实施。
    with pytest.raises(ActionError, match="已根据预案做好矛盾防范和化解工作"):
        decide(org, a)
    # The handler cannot confirm "防范化解工作已做好" herself — she is no leader …
    with pytest.raises(PermissionDenied):
        actions.do_confirm_condition(org.rsj_handler, a, "prevention_work_done", "已做好")
    # … and a leader confirms only what has been recorded …
    with pytest.raises(ActionError, match="须先由承办人登记"):
        actions.do_confirm_condition(org.rsj_head, a, "prevention_work_done", "同意")
    # … which needs the 预案 it refers to (none was written at grading).
    assert not a.contingency_plan
    with pytest.raises(ActionError, match="根据相关预案") as exc:
        actions.do_record_condition(org.rsj_handler, a, "prevention_work_done", note="已做好")
    assert exc.value.field == "plan"
    actions.do_record_condition(
        org.rsj_handler,
        a,
        "prevention_work_done",
        note="已开展政策宣讲 6 场",
        plan="应急预案：集体上访时分管领导带队接访",
    )
    # Recorded is not met.
    with pytest.raises(ActionError, match="已根据预案做好矛盾防范和化解工作"):
        decide(org, a)
    # A leader who recorded the work does not confirm it either.
    actions.do_record_condition(
        leader, a, "prevention_work_done", note="已开展政策宣讲 6 场", plan="应急预案"
    )
    with pytest.raises(ActionError, match="登记落实情况的人不能自己确认"):
        actions.do_confirm_condition(leader, a, "prevention_work_done", "同意")
    row = actions.do_confirm_condition(org.rsj_head, a, "prevention_work_done", "同意实施")
    assert row.recorded_by == leader and row.confirmed_by == org.rsj_head
    with pytest.raises(ActionError, match="该条件已确认"):
        actions.do_record_condition(org.rsj_handler, a, "prevention_work_done", note="改")
    decision = decide(org, a)
    assert decision.outcome == "implement"


def test_pages_show_the_forms_only_to_who_may_act(org, a_to_c, login, leader):
    a = a_to_c
    url = reverse("assessments:detail", args=[a.pk]) + "?tab=grade"
    approve = reverse("assessments:override_approve", args=[a.pending_override().pk])
    page = login(org.rsj_handler).get(url).content.decode()
    assert (
        f'action="{approve}"' not in page
        and "调整风险等级须由责任主体（人社局）的分管领导或主要负责人批准" in page
    )
    # A direct POST by the proposer is refused and changes nothing.
    assert login(org.rsj_handler).post(approve, {"note": "x"}).status_code == 403
    assert Assessment.objects.get(pk=a.pk).effective_grade() == "A"
    page = login(leader).get(url).content.decode()
    assert f'action="{approve}"' in page
    response = login(leader).post(approve, {"note": "同意"})
    assert response.status_code == 302
    assert Assessment.objects.get(pk=a.pk).effective_grade() == "C"
    # The condition: the handler records, the leader sees the confirm form.
    record = reverse("assessments:condition_record", args=[a.pk])
    response = login(org.rsj_handler).post(
        record, {"code": "prevention_work_done", "note": "已宣讲", "plan": ""}
    )
    assert response.status_code == 302
    follow = login(org.rsj_handler).get(response["Location"]).content.decode()
    assert "根据相关预案" in follow  # refused: no 预案 recorded; the rule quoted
    login(org.rsj_handler).post(
        record, {"code": "prevention_work_done", "note": "已宣讲", "plan": "应急预案"}
    )
    confirm = reverse("assessments:condition_confirm", args=[a.pk])
    page = login(org.rsj_handler).get(url).content.decode()
    assert f'action="{confirm}"' not in page and "分管领导或主要负责人确认" in page
    assert f'action="{confirm}"' in login(leader).get(url).content.decode()
    assert login(leader).post(confirm, {"code": "prevention_work_done"}).status_code == 302
    assert a.conditions.get(code="prevention_work_done").confirmed_by == leader


def test_api_propose_approve_and_conditions(org, a_to_c, client, leader):
    def call(user, path, payload=None, method="post"):
        _row, token = do_create_token(user, "t")
        return getattr(client, method)(
            f"/api{path}",
            data=payload or {},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    a = a_to_c
    r = call(org.rsj_handler, f"/assessments/{a.pk}/overrides", {"grade": "B", "reason": "较大"})
    assert r.status_code == 201 and r.json()["effective_grade"] == "A", r.json()
    oid = r.json()["id"]
    r = call(org.rsj_handler, f"/overrides/{oid}/approve")
    assert r.status_code == 403
    r = call(org.zjj_handler, f"/overrides/{oid}/approve")
    assert r.status_code == 404
    r = call(leader, f"/overrides/{oid}/approve", {"note": "同意"})
    assert r.status_code == 200 and r.json()["state"] == "approved"
    assert r.json()["effective_grade"] == "B" and r.json()["decided_by"] == "分管副局长"
    listed = call(org.supervisor, f"/assessments/{a.pk}/overrides", method="get").json()
    assert [o["state"] for o in listed][:2] == ["approved", "void"]
    # B: 明确责任,制定化解矛盾方案后方可实施 — recorded by the handler, confirmed by a leader.
    path = f"/assessments/{a.pk}/conditions/mitigation_plan_approved"
    r = call(org.rsj_handler, f"{path}/confirm", {"note": "同意"})
    assert r.status_code == 403
    r = call(org.rsj_handler, f"{path}/record", {"note": "方案已报局务会"})
    assert r.status_code == 200 and not r.json()["met"]
    assert r.json()["plan"] == "化解矛盾方案：分批兑现"  # the plan written at grading
    r = call(leader, f"{path}/confirm", {"note": "局务会批准"})
    assert r.status_code == 200 and r.json()["met"] and r.json()["confirmed_by"] == "分管副局长"
    r = call(org.rsj_head, f"/assessments/{a.pk}/conditions", method="get")
    met = {c["code"]: c["met"] for c in r.json()}
    assert met["mitigation_plan_approved"] and not met["prevention_work_done"]
