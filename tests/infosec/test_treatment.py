"""风险决策和安全建议: treatments allowed by the frozen scheme, a reason always, the
approval of an accepted high risk by a 分管领导 who did not propose it, bulk decisions and
recommendations linked once to many risks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from fengping.audit.models import Event
from fengping.core.errors import ActionError, ConflictError
from fengping.infosec.actions import treatment as t
from fengping.infosec.models import (
    ApprovalState,
    AssessmentStatus,
    Recommendation,
    RiskDecision,
    SystemAssessment,
)
from fengping.infosec.outputs import treatment_planned
from fengping.org.models import Role

from .treatment_builders import register, rsj_leader, scenario_of, user_in, zjj_leader


def test_a_reason_is_required_and_the_treatment_must_exist(org):
    a = register(org)
    s = scenario_of(a, 2)
    with pytest.raises(ActionError, match="理由"):
        t.do_decide(org.rsj_handler, s, "accept", "  ")
    with pytest.raises(ActionError, match="不存在"):
        t.do_decide(org.rsj_handler, s, "ignore", "x")
    d = t.do_decide(org.rsj_handler, s, "accept", "影响很小，持续监视")
    assert d.approval == ApprovalState.NOT_NEEDED and d.proposed_by == org.rsj_handler


def test_a_treatment_the_grade_does_not_allow_is_refused(org):
    a = register(org)
    # The frozen scheme of this assessment forbids 规避 for 低 (edited snapshot)
    snap = a.scheme_snapshot
    for g in snap["grades"]:
        if g["code"] == "low":
            g["decisions"]["allowed"] = ["accept", "reduce"]
    SystemAssessment.objects.filter(pk=a.pk).update(scheme_snapshot=snap)
    a = SystemAssessment.objects.get(pk=a.pk)
    with pytest.raises(ActionError, match="不允许"):
        t.do_decide(org.rsj_handler, scenario_of(a, 2), "avoid", "停用")


def test_accepting_a_very_high_risk_waits_for_approval_and_blocks_the_plan(org):
    a = register(org, {5: 1})
    d = t.do_decide(org.rsj_handler, scenario_of(a, 5), "accept", "业务必须连续运行")
    assert d.approval == ApprovalState.PENDING
    assert not treatment_planned(a)
    leader = rsj_leader(org)
    d = t.do_approve_acceptance(leader, d, "同意，一年内复核", version=d.version)
    assert d.approval == ApprovalState.APPROVED and d.approved_by == leader
    assert d.expires_on == timezone.localdate() + dt.timedelta(days=365)
    assert treatment_planned(a)


def test_a_medium_accept_needs_a_written_confirmation(org):
    a = register(org, {3: 1})
    s = scenario_of(a, 3)
    with pytest.raises(ActionError, match="书面确认") as exc:
        t.do_decide(org.rsj_handler, s, "accept", "成本过高")
    assert exc.value.field == "confirmation"
    d = t.do_decide(org.rsj_handler, s, "accept", "成本过高", confirmation="信息中心主任签字确认")
    assert d.approval == ApprovalState.NOT_NEEDED
    assert d.approval_note == "信息中心主任签字确认"


def test_the_proposer_never_approves(org):
    a = register(org, {4: 1})
    leader = rsj_leader(org)
    # A leader may propose, but then not approve their own proposal.
    d = t.do_decide(leader, scenario_of(a, 4), "accept", "可接受")
    with pytest.raises(PermissionDenied, match="不能批准自己"):
        t.do_approve_acceptance(leader, d)
    # Someone else re-proposes: the first proposer still may not approve (they proposed it).
    d = t.do_decide(org.rsj_head, d.scenario, "accept", "可接受，已评估替代措施")
    with pytest.raises(PermissionDenied, match="不能批准自己"):
        t.do_approve_acceptance(leader, d)
    assert t.do_reject_acceptance(org.city_leader, d, "须整改").approval == ApprovalState.REJECTED


def test_who_may_approve(org):
    a = register(org, {4: 1})
    d = t.do_decide(org.rsj_handler, scenario_of(a, 4), "accept", "可接受")
    for user in (org.rsj_handler, org.supervisor, org.rsj_unit_assessor, org.admin):
        with pytest.raises(PermissionDenied):
            t.do_approve_acceptance(user, d)
    with pytest.raises(PermissionDenied):
        t.do_approve_acceptance(zjj_leader(org), d)
    # a leader of an ancestor department (the city) may
    assert t.do_approve_acceptance(org.city_leader, d).approval == ApprovalState.APPROVED


def test_approving_twice_and_after_a_change_are_refused(org):
    a = register(org, {4: 1})
    leader = rsj_leader(org)
    d = t.do_decide(org.rsj_handler, scenario_of(a, 4), "accept", "可接受")
    seen = d.version
    changed = t.do_decide(org.rsj_handler, d.scenario, "accept", "可接受（补充说明）")
    assert changed.version == seen + 1
    with pytest.raises(ConflictError):
        t.do_approve_acceptance(leader, d, version=seen)
    d = t.do_approve_acceptance(leader, changed, version=changed.version)
    with pytest.raises(ActionError, match="不在待批准"):
        t.do_approve_acceptance(org.rsj_head, d, version=d.version)
    # Changing an approved decision voids the approval: it waits again.
    again = t.do_decide(org.rsj_handler, d.scenario, "accept", "可接受（新理由）")
    assert again.approval == ApprovalState.PENDING
    assert again.approved_by is None and again.expires_on is None
    # Deciding the same again changes nothing (no event, approval kept).
    d = t.do_approve_acceptance(leader, again)
    n = Event.objects.count()
    same = t.do_decide(org.rsj_handler, d.scenario, "accept", "可接受（新理由）")
    assert same.approval == ApprovalState.APPROVED and Event.objects.count() == n


def test_a_reject_needs_a_reason_and_a_reader_cannot_decide(org):
    a = register(org, {4: 1})
    d = t.do_decide(org.rsj_handler, scenario_of(a, 4), "accept", "可接受")
    with pytest.raises(ActionError, match="理由"):
        t.do_reject_acceptance(rsj_leader(org), d, " ")
    with pytest.raises(PermissionDenied):
        t.do_decide(org.supervisor, d.scenario, "reduce", "x")
    with pytest.raises(PermissionDenied):
        t.do_decide(org.zjj_handler, d.scenario, "reduce", "x")


def test_a_finished_assessment_takes_no_decision(org):
    a = register(org, {2: 1})
    SystemAssessment.objects.filter(pk=a.pk).update(status=AssessmentStatus.FINISHED)
    with pytest.raises(ActionError, match="已办结"):
        t.do_decide(org.rsj_handler, scenario_of(a, 2), "accept", "x")


def test_bulk_decide_many_low_risks_is_one_event(org):
    a = register(org, {1: 30, 2: 40, 4: 2})
    before = Event.objects.count()
    n = t.do_decide_bulk(
        org.rsj_handler, a, "accept", "低风险，持续监视", filters={"levels": [1, 2]}
    )
    assert n == 70
    assert Event.objects.count() == before + 1
    event = Event.objects.order_by("-seq").first()
    assert event.action == "infosec.decision.bulk" and event.after["count"] == 70
    assert RiskDecision.objects.filter(assessment=a).count() == 70
    # again: nothing changes
    assert (
        t.do_decide_bulk(
            org.rsj_handler, a, "accept", "低风险，持续监视", filters={"levels": [1, 2]}
        )
        == 0
    )
    # accepting high risks is decided one by one (each with its own approval)
    with pytest.raises(ActionError, match="逐项决策") as exc:
        t.do_decide_bulk(org.rsj_handler, a, "accept", "x", filters={"levels": [2, 4]})
    assert exc.value.field == "treatment"
    assert t.do_decide_bulk(org.rsj_handler, a, "reduce", "整改", filters={"levels": [4]}) == 2
    with pytest.raises(ActionError, match="筛选"):
        t.do_decide_bulk(org.rsj_handler, a, "accept", "x")
    with pytest.raises(ActionError, match="没有符合"):
        t.do_decide_bulk(org.rsj_handler, a, "accept", "x", filters={"levels": [3]})


def test_due_for_review_and_awaiting(org):
    a = register(org, {4: 2})
    leader = rsj_leader(org)
    d1 = t.do_decide(org.rsj_handler, scenario_of(a, 4), "accept", "可接受")
    assert list(t.awaiting(leader)) == [d1]
    assert not t.awaiting(org.rsj_handler).exists()
    assert not t.awaiting(zjj_leader(org)).exists()
    t.do_approve_acceptance(leader, d1)
    RiskDecision.objects.filter(pk=d1.pk).update(
        expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    assert list(t.due_for_review(org.rsj_handler)) == [RiskDecision.objects.get(pk=d1.pk)]
    assert not t.due_for_review(org.zjj_handler).exists()


def test_recommendation_written_once_linked_to_many(org):
    a = register(org, {1: 200, 3: 250, 5: 50})
    rec = t.do_save_recommendation(
        org.rsj_handler,
        a,
        title="部署主机加固基线",
        text="按基线加固",
        kind="technical",
        effect="preventive",
    )
    before = Event.objects.count()
    assert t.do_link_recommendation(org.rsj_handler, rec, filters={"levels": [3, 5]}) == 300
    assert Event.objects.count() == before + 1
    assert rec.scenarios.count() == 300
    with pytest.raises(ActionError, match="均已关联"):
        t.do_link_recommendation(org.rsj_handler, rec, filters={"levels": [5]})
    summary = t.recommendation_summary(a)
    assert len(summary) == 1 and summary[0]["count"] == 300
    assert [(x["label"], x["count"]) for x in summary[0]["levels"]] == [("很高", 50), ("中等", 250)]
    ids = list(rec.scenarios.filter(level=5).values_list("pk", flat=True)[:10])
    assert t.do_link_recommendation(org.rsj_handler, rec, ids=ids, unlink=True) == 10
    with pytest.raises(ActionError, match="类别"):
        t.do_save_recommendation(org.rsj_handler, a, title="x", kind="physical")
    with pytest.raises(ActionError, match="请填写"):
        t.do_save_recommendation(org.rsj_handler, a, title=" ", kind="technical")
    rec = t.do_save_recommendation(
        org.rsj_handler, a, recommendation=rec, version=rec.version, title="加固", kind="management"
    )
    assert rec.kind == "management" and rec.effect == ""
    t.do_delete_recommendation(org.rsj_handler, rec)
    assert not Recommendation.objects.exists()


def test_recommendations_of_another_department_are_refused(org):
    a = register(org, {2: 3})
    rec = t.do_save_recommendation(org.rsj_handler, a, title="x", kind="technical")
    with pytest.raises(PermissionDenied):
        t.do_link_recommendation(org.zjj_handler, rec, filters={"levels": [2]})
    with pytest.raises(PermissionDenied):
        t.do_save_recommendation(org.supervisor, a, title="y", kind="technical")


def test_level_grades_follow_the_scheme(org):
    a = register(org, {1: 1})
    assert t.level_grades(a.scheme) == {
        1: "very_low",
        2: "low",
        3: "medium",
        4: "high",
        5: "very_high",
    }
    assert user_in(org, "x_head", org.rsj, Role.HEAD)
