"""The whole 篇3 procedure through the actions, and every decision rule."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from fengping.assessments import actions
from fengping.assessments.models import Assessment, AssessmentStatus, StepRecord
from fengping.audit.chain import verify
from fengping.audit.models import Event
from fengping.core.errors import ActionError, ConflictError
from fengping.matters.models import Matter
from tests.dates import YEAR

from .flow import approve_reviews, register, to_decide_step, to_grade_step

TODAY = timezone.localdate


def test_start_freezes_scheme_version(org):
    matter = register(org)
    a = actions.do_start_assessment(org.rsj_handler, matter)
    assert len(a.scheme_version) == 12 and a.scheme.key == "ssra-town"
    assert a.current_step == "select" and Matter.objects.get().status == "assessing"
    with pytest.raises(ActionError, match="进行中"):
        actions.do_start_assessment(org.rsj_handler, matter)


def test_step_opens_only_when_previous_has_its_output(org):
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    a = actions.do_complete_step(org.rsj_handler, a, "select")
    with pytest.raises(ActionError, match="评估方案"):
        actions.do_complete_step(org.rsj_handler, a, "plan")
    with pytest.raises(ActionError, match="只能完成当前步骤"):
        actions.do_complete_step(org.rsj_handler, a, "grade")


def test_step_done_twice_gives_clear_conflict(org):
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    stale = Assessment.objects.get(pk=a.pk)
    actions.do_complete_step(org.rsj_handler, a, "select")
    with pytest.raises(ConflictError, match="已由 rsj_handler"):
        actions.do_complete_step(org.rsj_head, stale, "select")


def test_scores_aggregate_with_spread_and_only_team_scores(org):
    a = to_grade_step(org, factors=((1.0, "high", "major"),))
    f = a.factors.get()
    assert f.score == pytest.approx(0.64) and f.spread["n"] == 2
    with pytest.raises(PermissionDenied):
        actions.do_score_factor(org.admin, f, probability_level="low", impact_level="minor")


def test_grade_a_cannot_be_implemented_with_rule_quoted(org):
    a = to_grade_step(org, scheme_key="ssra-bureau")
    a = to_decide_step(org, a)
    assert a.grade == "A" and a.computed_grade == "A"
    a = approve_reviews(org, a)
    with pytest.raises(ActionError, match="对评为A级风险的,不得实施") as exc:
        actions.do_decide(
            org.rsj_handler,
            a,
            outcome="implement",
            doc_no=f"株政发〔{YEAR}〕12号",
            decided_on=TODAY(),
        )
    assert "A级" in exc.value.message
    decision = actions.do_decide(
        org.rsj_handler, a, outcome="postpone", doc_no="株政发[2026]12号", decided_on=TODAY()
    )
    assert decision.doc_no == f"株政发〔{YEAR}〕12号"


def test_grade_b_needs_approved_mitigation_plan(org):
    a = to_grade_step(
        org, scheme_key="ssra-bureau", factors=((1.0, "medium", "major"),)
    )  # 0.48 → 中 → B
    a = approve_reviews(org, to_decide_step(org, a))
    assert a.grade == "B"
    with pytest.raises(ActionError, match="化解矛盾方案"):
        actions.do_decide(
            org.rsj_handler,
            a,
            outcome="implement",
            doc_no=f"株政发〔{YEAR}〕1号",
            decided_on=TODAY(),
        )
    with pytest.raises(PermissionDenied):
        actions.do_confirm_condition(org.rsj_handler, a, "mitigation_plan_approved", "局长批准")
    actions.do_record_condition(
        org.rsj_handler, a, "mitigation_plan_approved", note="方案已报局长办公会"
    )
    actions.do_confirm_condition(org.rsj_head, a, "mitigation_plan_approved", "局长办公会批准")
    decision = actions.do_decide(
        org.rsj_handler, a, outcome="implement", doc_no=f"株政发〔{YEAR}〕1号", decided_on=TODAY()
    )
    assert decision.outcome_label == "实施"


def test_majority_opposed_refuses_implementation_whatever_the_grade(org):
    a = to_grade_step(
        org, factors=((1.0, "very_low", "negligible"),), support=2, oppose=7, neutral=1
    )
    a = approve_reviews(org, to_decide_step(org, a))
    # The factors give 四级; 70% opposed keeps it at least 二级 (grading.public_reaction_floor).
    assert a.initial_grade == "level4" and a.grade == "level2"
    with pytest.raises(ActionError) as exc:
        actions.do_decide(
            org.rsj_handler,
            a,
            outcome="implement",
            doc_no=f"滔政发〔{YEAR}〕3号",
            decided_on=TODAY(),
        )
    assert (
        "问卷调查反对 7/10 人（70.0%）" in exc.value.message
        and "绝大多数群众不予理解支持的政策坚决不出台" in exc.value.message
    )


def test_override_needs_reason_and_is_audited(org):
    a = to_grade_step(org, factors=((1.0, "very_low", "negligible"),))
    with pytest.raises(ActionError, match="理由"):
        actions.do_grade(
            org.rsj_handler, a, grade="level2", written_opinion="x", recommendation="y"
        )
    a = actions.do_grade(
        org.rsj_handler,
        a,
        grade="level2",
        reason="群众反映较大",
        written_opinion="x",
        recommendation="y",
    )
    # Only proposed: the computed grade governs until a leader approves.
    assert a.computed_grade == "level4" and a.grade == "level4"
    event = Event.objects.filter(action="assessments.grade.override.propose").last()
    assert event.after["reason"] == "群众反映较大" and event.after["proposed"] == "level2"


def test_review_chain_and_send_back(org):
    a = to_decide_step(org, to_grade_step(org), major=True)
    stages = [s.code for s in actions.review_chain(a)]
    assert stages == ["review", "approve", "escalate"]
    with pytest.raises(ActionError, match="尚待"):
        actions.do_decide(
            org.rsj_handler, a, outcome="reject", doc_no=f"滔政发〔{YEAR}〕3号", decided_on=TODAY()
        )
    actions.do_review(
        org.rsj_head, a, stage="review", result="sent_back", opinion="风险因素分析不充分"
    )
    a.refresh_from_db()
    assert a.current_step == "report" and a.report_generated_at is None
    assert StepRecord.objects.get(assessment=a, step_code="decide").sent_back_reason.endswith(
        "风险因素分析不充分"
    )


def test_filing_due_next_day_and_follow_up(org):
    a = approve_reviews(org, to_decide_step(org, to_grade_step(org)))
    decided = TODAY() - dt.timedelta(days=3)
    # The reviews were signed before the decision (a decision never predates them).
    a.reviews.update(at=timezone.now() - dt.timedelta(days=4))
    actions.do_decide(
        org.rsj_handler,
        a,
        outcome="reject",
        doc_no=f"滔政发〔{decided.year}〕3号",
        decided_on=decided,
    )
    state = actions.filing_state(a)
    assert state["due"] == decided + dt.timedelta(days=1) and state["overdue"]
    with pytest.raises(ActionError, match="尚缺：备案"):
        actions.do_complete_step(org.rsj_handler, a, "decide")
    with pytest.raises(ActionError, match="请说明逾期原因") as refused:
        actions.do_file(org.rsj_handler, a, office=org.wwb, filed_on=TODAY())
    assert "分别报镇维稳办、镇联席办备案" in refused.value.message
    actions.do_file(
        org.rsj_handler, a, office=org.wwb, filed_on=TODAY(), late_reason="审定意见印发延迟"
    )
    # One office is not enough: 分别报镇维稳办、镇联席办备案.
    assert actions.filing_state(a)["missing"] == ["镇联席办"]
    with pytest.raises(ActionError, match="尚缺：备案"):
        actions.do_complete_step(org.rsj_handler, a, "decide")
    actions.do_file(
        org.rsj_handler, a, office=org.lxb, filed_on=TODAY(), late_reason="审定意见印发延迟"
    )
    state = actions.filing_state(a)
    assert not state["overdue"] and len(state["late"]) == 2
    assert all(f.late and f.late_reason for f in state["filings"])
    a = actions.do_complete_step(org.rsj_handler, a, "decide")
    assert a.status == AssessmentStatus.FOLLOW_UP and a.current_step == "measures"
    with pytest.raises(ActionError, match="评估已作出决定"):
        actions.do_save_factor(org.rsj_handler, a, dimension="legality", title="新因素")
    actions.do_add_measure(
        org.rsj_handler, a, kind="response", title="分批兑现", owner="养老保险科"
    )
    actions.do_add_measure(
        org.rsj_handler, a, kind="contingency", title="群体性事件应急预案", owner="局办公室"
    )
    a = actions.do_complete_step(org.rsj_handler, a, "measures")
    actions.do_record_incident(
        org.rsj_handler, a, occurred_on=TODAY(), description="部分退休人员集体上访", action="reopen"
    )
    assert Matter.objects.get().status == "registered"
    second = actions.do_start_assessment(org.rsj_handler, Matter.objects.get())
    assert second.pk != a.pk
    assert verify().ok


def test_must_assess_matter_cannot_be_decided_without_assessment(org):
    matter = register(org)
    with pytest.raises(ActionError, match="严禁漏项"):
        actions.do_decide_without_assessment(
            org.rsj_handler,
            matter,
            outcome="implement",
            doc_no=f"株政发〔{YEAR}〕9号",
            decided_on=TODAY(),
            authority="市政府",
        )


def test_doc_no_format(org):
    with pytest.raises(ActionError, match="文号"):
        actions.normalise_doc_no("12号")
    assert actions.normalise_doc_no("滔政发 (2026) 3 号") == f"滔政发〔{YEAR}〕3号"
