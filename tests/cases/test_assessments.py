"""The case assessment (篇4 四2–3, 五3): the checklist of the three dimensions, the
prediction and its computed level, level changes with a reason and a leader's approval
(never the proposer's), the report fields, the steps, re-assessment at every stage; and the
attacks: a reader, another organ, a change after the step is done or after resolution, two
edits at once, the API and the pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from fengping.audit.models import Event
from fengping.cases.actions import assessments as act
from fengping.cases.models import (
    AssessmentStatus,
    Case,
    CaseAssessment,
    ChangeState,
    LevelChange,
    StartReason,
)
from fengping.cases.queries import assessment_for
from fengping.core.errors import ActionError, ConflictError
from fengping.org.models import Role

from .builders import build_courts, make_case


@pytest.fixture
def courts(org):
    return build_courts(org)


@pytest.fixture
def case(courts):
    return make_case(
        courts.fy,
        "（2026）示民初7号",
        major_complex=True,
        handler=courts.fy_handler,
        parties="张某等十二人",
        brief_facts="讨要工程款",
    )


@pytest.fixture
def a(courts, case):
    return act.do_start_assessment(courts.fy_handler, case, reason=StartReason.EARLY)


def fresh(a):
    return CaseAssessment.objects.get(pk=a.pk)


def answer_all(user, a, has_issue=False):
    for d in a.scheme.dimensions:
        for i in range(len(d.items)):
            act.do_answer_item(
                user, fresh(a), dimension=d.code, item=i, has_issue=has_issue, finding="已分析"
            )


def predict(user, a, factors=("many_parties",), majority=False, **kw):
    return act.do_save_prediction(
        user,
        fresh(a),
        factors=factors,
        petition_probability=kw.get("probability", "high"),
        impact=kw.get("impact", "major"),
        prediction=kw.get("prediction", "可能引发集体上访"),
        majority_unsupportive=majority,
    )


def to_plan(courts, a):
    answer_all(courts.fy_handler, a)
    predict(courts.fy_handler, a)
    return act.do_complete_step(courts.fy_handler, fresh(a), "assess")


def write_report(user, a):
    return act.do_save_report(
        user,
        fresh(a),
        persons="张某等十二人",
        summary="讨要工程款",
        handling="已受理",
        problems="可能集体上访",
        response_plan="领导包案",
    )


# ------------------------------------------------------------------ start


def test_start_fills_the_chain_and_completes_select(courts, a, case):
    assert a.current_step == "assess" and a.reason == StartReason.EARLY and a.stage == "accepted"
    assert (a.direct_responsible, a.main_responsible, a.first_responsible) == (
        courts.fy_handler,
        courts.fy_leader,
        courts.fy_head,
    )
    assert (a.summary, a.persons) == ("讨要工程款", "张某等十二人")
    case.refresh_from_db()
    assert case.risk_open and not case.assessed
    assert act.start_refusal(case) == "本案已有风险尚未化解的评估，请在该评估中继续"


def test_reader_and_other_organ_are_refused(courts, a, case):
    with pytest.raises(PermissionDenied):
        act.do_answer_item(
            courts.fy_reader, a, dimension="legality", item=0, has_issue=False, finding="x"
        )
    with pytest.raises(PermissionDenied):
        act.do_save_report(courts.jcy_handler, a, handling="x")
    with pytest.raises(PermissionDenied):
        act.do_start_stage_assessment(courts.jcy_leader, case)
    with pytest.raises(Http404):
        assessment_for(courts.jcy_handler, a.pk)


# ------------------------------------------------------------------ checklist


def test_checklist_every_item_and_versions(courts, a):
    h = courts.fy_handler
    with pytest.raises(ActionError, match="分析意见"):
        act.do_answer_item(h, a, dimension="legality", item=0, has_issue=False, finding=" ")
    with pytest.raises(ActionError, match="不存在"):
        act.do_answer_item(h, a, dimension="nope", item=0, has_issue=False, finding="x")
    with pytest.raises(ActionError, match="分析事项不存在"):
        act.do_answer_item(h, a, dimension="legality", item=5, has_issue=False, finding="x")
    first = act.do_answer_item(h, a, dimension="legality", item=0, has_issue=True, finding="依据不足")
    assert first.version == 1
    # someone else answered it meanwhile: a second "first answer" is a conflict
    with pytest.raises(ConflictError):
        act.do_answer_item(h, a, dimension="legality", item=0, has_issue=False, finding="x")
    second = act.do_answer_item(
        h, a, dimension="legality", item=0, has_issue=False, finding="补正", version=1
    )
    assert second.version == 2 and not second.has_issue
    with pytest.raises(ConflictError):  # a stale version
        act.do_answer_item(
            courts.fy_leader, a, dimension="legality", item=0, has_issue=True, finding="y", version=1
        )
    assert Event.objects.filter(action="cases.checklist.answer").count() == 2


# ------------------------------------------------------------------ prediction and level


def test_prediction_computes_the_level_from_the_scheme(courts, a):
    h = courts.fy_handler
    got = predict(h, a, factors=("many_parties", "sharp_conflict", "prior_petitions"))
    assert (got.computed_score, got.computed_level, got.level) == (7.0, "orange", "orange")
    got = predict(h, a, factors=("no_explanation",))
    assert (got.computed_score, got.level) == (1.0, "blue")
    # a hard trigger gives red whatever the score
    got = predict(h, a, factors=("petition_threat",))
    assert (got.computed_score, got.level) == (3.0, "red")
    assert Case.objects.get(pk=a.case_id).risk_level == "red"
    with pytest.raises(ActionError, match="不在评估方案中"):
        predict(h, a, factors=("made_up",))
    with pytest.raises(ActionError, match="引发上访的可能性"):
        predict(h, a, probability="")
    with pytest.raises(ActionError, match="预测评估意见"):
        predict(h, a, prediction="")
    with pytest.raises(ConflictError):
        act.do_save_prediction(
            h,
            fresh(a),
            factors=[],
            petition_probability="low",
            impact="minor",
            prediction="x",
            majority_unsupportive=False,
            version=1,
        )


def test_majority_unsupportive_asks_for_the_heads_confirmation(courts, a):
    predict(courts.fy_handler, a, majority=True)
    case = Case.objects.get(pk=a.case_id)
    assert case.confirmation_needed
    predict(courts.fy_handler, a, majority=False)
    assert not Case.objects.get(pk=a.case_id).confirmation_needed


def test_level_change_needs_a_reason_and_another_leader(courts, a):
    h, leader, head = courts.fy_handler, courts.fy_leader, courts.fy_head
    with pytest.raises(ActionError, match="先完成预测评估"):
        act.do_propose_level_change(h, fresh(a), "red", "情绪激动")
    predict(h, a)  # many_parties: 3 → yellow
    assert fresh(a).level == "yellow"
    with pytest.raises(ActionError, match="理由"):
        act.do_propose_level_change(h, fresh(a), "red", "  ")
    with pytest.raises(ActionError, match="相同"):
        act.do_propose_level_change(h, fresh(a), "yellow", "x")
    with pytest.raises(ActionError, match="等级"):
        act.do_propose_level_change(h, fresh(a), "purple", "x")
    change = act.do_propose_level_change(leader, fresh(a), "red", "当事人扬言集体上访")
    with pytest.raises(ActionError, match="待批准"):
        act.do_propose_level_change(h, fresh(a), "orange", "x")
    # the pending change keeps the step from completing (risk_grade is missing)
    answer_all(h, a)
    with pytest.raises(ActionError, match="风险等级"):
        act.do_complete_step(h, fresh(a), "assess")
    # the proposer never approves, even as a leader; a handler is no approver
    with pytest.raises(ActionError, match="提出变更的人不能审批"):
        act.do_decide_level_change(leader, change, True)
    with pytest.raises(ActionError, match="分管领导或主要负责人"):
        act.do_decide_level_change(h, change, True)
    with pytest.raises(PermissionDenied):
        act.do_decide_level_change(courts.jcy_leader, change, True)
    with pytest.raises(PermissionDenied):
        act.do_decide_level_change(courts.fy_reader, change, True)
    assert fresh(a).level == "yellow"
    act.do_decide_level_change(head, change, True, "同意")
    got = fresh(a)
    assert (got.level, got.level_set_by, got.computed_level) == ("red", head, "yellow")
    # twice: the second decision is a conflict naming who decided
    with pytest.raises(ConflictError, match="已由"):
        act.do_decide_level_change(courts.fy_leader, LevelChange.objects.get(pk=change.pk), False, "x")
    # a later prediction keeps the approved level
    predict(h, a, factors=())
    assert fresh(a).level == "red" and fresh(a).computed_level == "blue"
    # refusing keeps the level, and needs a reason
    again = act.do_propose_level_change(h, fresh(a), "orange", "已稳控")
    with pytest.raises(ActionError, match="不批准须说明理由"):
        act.do_decide_level_change(leader, again, False)
    act.do_decide_level_change(leader, again, False, "证据不足")
    assert fresh(a).level == "red"
    assert LevelChange.objects.get(pk=again.pk).state == ChangeState.REFUSED


def test_an_admins_reach_is_no_approval(org, courts, a):
    predict(courts.fy_handler, a)
    change = act.do_propose_level_change(courts.fy_handler, fresh(a), "red", "x")
    with pytest.raises(ActionError, match="分管领导或主要负责人"):
        act.do_decide_level_change(org.admin, change, True)


# ------------------------------------------------------------------ steps, report, locks


def test_content_is_locked_after_its_step_and_send_back_reopens(courts, a):
    h = courts.fy_handler
    with pytest.raises(ActionError, match="三个方面"):
        act.do_complete_step(h, fresh(a), "assess")
    to_plan(courts, a)
    assert fresh(a).current_step == "plan"
    with pytest.raises(ActionError, match="已完成，内容已锁定"):
        act.do_answer_item(h, fresh(a), dimension="legality", item=0, has_issue=True, finding="x")
    with pytest.raises(ActionError, match="已完成，内容已锁定"):
        predict(h, a)
    with pytest.raises(ActionError, match="已完成，内容已锁定"):
        act.do_propose_level_change(h, fresh(a), "red", "x")
    # the report is written at plan (or earlier)
    write_report(h, a)
    assert fresh(a).handling == "已受理"
    with pytest.raises(ActionError, match="退回须说明理由"):
        act.do_send_back(h, fresh(a), "assess", "")
    act.do_send_back(courts.fy_leader, fresh(a), "assess", "预测不充分")
    assert fresh(a).current_step == "assess"
    predict(h, a, factors=("petition_threat",))
    assert fresh(a).level == "red"


def test_report_fields_and_versions(courts, a):
    h = courts.fy_handler
    v = fresh(a).version
    act.do_save_report(h, fresh(a), version=v, handling="已立案")
    with pytest.raises(ConflictError):
        act.do_save_report(h, fresh(a), version=v, handling="覆盖")
    with pytest.raises(ActionError, match="报告没有"):
        act.do_save_report(h, fresh(a), case_name="改名")
    assert fresh(a).handling == "已立案"


def _resolve(a):
    """What the resolution area does at the end: the last step completed (its output is
    the approved resolution), which resolves the assessment."""
    CaseAssessment.objects.filter(pk=a.pk).update(current_step="resolve")
    got = fresh(a)
    got.step_records().update_or_create(step_code="resolve", defaults={"state": "open"})
    CaseAssessment.objects.filter(pk=a.pk).update(resolution_state="approved")
    return fresh(a)


def test_last_step_resolves_and_locks_and_a_later_stage_is_reassessed(courts, a, case):
    h = courts.fy_handler
    to_plan(courts, a)
    got = _resolve(a)
    act.do_complete_step(h, got, "resolve")
    got = fresh(a)
    assert got.status == AssessmentStatus.RESOLVED and got.finished_at
    case.refresh_from_db()
    assert case.assessed and not case.risk_open
    with pytest.raises(ActionError, match="已化解"):
        act.do_save_report(h, fresh(a), handling="x")
    with pytest.raises(ActionError, match="已化解"):
        act.do_answer_item(h, fresh(a), dimension="legality", item=0, has_issue=True, finding="x")
    with pytest.raises(ActionError, match="已化解"):
        act.do_send_back(h, fresh(a), "assess", "x")
    # same stage: nothing to re-assess
    assert act.stage_refusal(case) == "本案当前阶段已有评估，不需再评估"
    with pytest.raises(ActionError, match="当前阶段已有评估"):
        act.do_start_stage_assessment(h, case)
    Case.objects.filter(pk=case.pk).update(stage="trial")
    case.refresh_from_db()
    assert act.suggested_reason(case) == StartReason.STAGE
    second = act.do_start_stage_assessment(h, case)
    assert (second.stage, second.reason, second.current_step) == ("trial", "stage", "assess")
    assert CaseAssessment.objects.filter(case=case).count() == 2  # the first is kept
    assert fresh(a).status == AssessmentStatus.RESOLVED
    with pytest.raises(ActionError, match="尚未化解"):
        act.do_start_stage_assessment(h, case)


def test_stage_assessment_needs_an_earlier_one(courts):
    c = make_case(courts.fy, "（2026）示民初8号", handler=courts.fy_handler)
    assert act.stage_refusal(c) == "本案尚未评估过，请先开始评估"
    assert act.suggested_reason(c) == StartReason.MANUAL
    closed = make_case(courts.fy, "（2026）示民初9号", stage="closed")
    assert act.start_refusal(closed) == "本案已结案，不能再开始评估"


def test_holds_role_sanity(courts):
    from fengping.cases.roles import holds_role

    assert holds_role(courts.fy_head, courts.fy, [Role.HEAD])
    assert not holds_role(courts.fy_handler, courts.fy, [Role.LEADER, Role.HEAD])
