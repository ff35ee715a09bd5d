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
    first = act.do_answer_item(
        h, a, dimension="legality", item=0, has_issue=True, finding="依据不足"
    )
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
            courts.fy_leader,
            a,
            dimension="legality",
            item=0,
            has_issue=True,
            finding="y",
            version=1,
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
        act.do_decide_level_change(
            courts.fy_leader, LevelChange.objects.get(pk=change.pk), False, "x"
        )
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


# ------------------------------------------------------------------ pages


def test_case_tab_start_button_and_overview(courts, case, login):
    client = login(courts.fy_handler)
    page = client.get(reverse("cases:case_assessments", args=[case.pk])).content.decode()
    assert "开始评估（重大、疑难、复杂案件受理先期评估）" in page
    assert "本案尚未进行风险评估" in page
    response = client.post(reverse("cases:case_assessment_start", args=[case.pk]), {"note": ""})
    a = CaseAssessment.objects.get(case=case)
    assert response.status_code == 302 and response["Location"] == reverse(
        "cases:assessment", args=[a.pk]
    )
    assert a.reason == StartReason.EARLY
    page = client.get(reverse("cases:case_assessments", args=[case.pk])).content.decode()
    assert "本案已有风险尚未化解的评估，请在该评估中继续" in page
    assert "开始评估（" not in page
    # the start refused on a direct POST says the same sentence
    response = client.post(reverse("cases:case_assessment_start", args=[case.pk]), follow=True)
    assert "本案已有风险尚未化解的评估" in response.content.decode()
    overview = client.get(reverse("cases:assessment", args=[a.pk])).content.decode()
    assert "准确评估风险" in overview and "完成本步骤前尚须" in overview
    assert "风险评估（三个方面逐项分析及预测）" in overview  # what is missing
    for tab in ("概况", "逐项分析", "预测与等级", "评估报告"):
        assert tab in overview
    # the reader sees, but gets no form and may not post
    reader = login(courts.fy_reader)
    assert (
        "完成本步骤</button>"
        not in reader.get(reverse("cases:assessment", args=[a.pk])).content.decode()
    )
    assert reader.post(reverse("cases:case_assessment_start", args=[case.pk])).status_code == 403


def test_checklist_page_saves_in_place(courts, a, login):
    client = login(courts.fy_handler)
    url = reverse("cases:assessment_checklist", args=[a.pk])
    page = client.get(url).content.decode()
    assert "执法办案的合法性" in page and "已分析 0 / 5 项" in page
    answer_url = reverse("cases:assessment_answer", args=[a.pk])
    data = {"dimension": "legality", "item": "0", "has_issue": "1", "finding": "依据不足"}
    got = client.post(answer_url, data, HTTP_HX_REQUEST="true").content.decode()
    assert "已保存" in got and "存在问题" in got and "已分析 1 / 5 项" in got
    # a second first-answer (someone else saved meanwhile) keeps the text, says why
    got = client.post(answer_url, {**data, "finding": "另一意见"}, HTTP_HX_REQUEST="true")
    body = got.content.decode()
    assert "请刷新页面" in body and "另一意见" in body
    # plain POST with a version: back to the tab at the item
    got = client.post(answer_url, {**data, "finding": "已补正", "version": "1"})
    assert got.status_code == 302 and got["Location"].endswith("#item-legality-0")
    assert ChecklistAnswer_of(a, "legality", 0).finding == "已补正"
    assert login(courts.fy_reader).post(answer_url, data).status_code == 403
    assert login(courts.jcy_handler).post(answer_url, data).status_code == 404


def ChecklistAnswer_of(a, dimension, item):  # noqa: N802
    from fengping.cases.models import ChecklistAnswer

    return ChecklistAnswer.objects.get(assessment=a, dimension=dimension, item=item)


def test_prediction_page_and_level_change_decided_by_another(courts, a, login):
    client = login(courts.fy_handler)
    url = reverse("cases:assessment_prediction", args=[a.pk])
    page = client.get(url).content.decode()
    assert "明确表示将上访或以过激行为相威胁" in page and "尚未计算" in page
    response = client.post(
        url,
        {
            "factors": ["many_parties", "prior_petitions"],
            "petition_probability": "high",
            "impact": "major",
            "prediction": "可能集体上访",
            "majority_unsupportive": "on",
            "version": fresh(a).version,
        },
    )
    assert response.status_code == 302
    got = fresh(a)
    assert (got.level, got.computed_score, got.majority_unsupportive) == ("yellow", 5.0, True)
    assert Case.objects.get(pk=a.case_id).confirmation_needed
    # a stale version on the form: refused, the input kept
    stale = client.post(
        url,
        {"petition_probability": "low", "impact": "minor", "prediction": "旧", "version": 1},
    )
    assert stale.status_code == 200 and "已被他人修改" in stale.content.decode()
    page = client.get(url).content.decode()
    assert 'id="computed-level">黄色' in page and "bg-yellow" in page
    response = client.post(
        reverse("cases:level_change_propose", args=[a.pk]),
        {"to_level": "orange", "reason": "当事人情绪激动"},
    )
    assert response.status_code == 302
    change = LevelChange.objects.get(assessment=a)
    decide = reverse("cases:level_change_decide", args=[change.pk])
    leader = login(courts.fy_leader)
    assert "批准</button>" in leader.get(url).content.decode()
    # the proposer sees why not, and a direct POST is refused with the same sentence
    client = login(courts.fy_handler)
    assert "提出变更的人不能审批自己的变更" in client.get(url).content.decode()
    refused = client.post(decide, {"approve": "1"}, follow=True).content.decode()
    assert "提出变更的人不能审批自己的变更" in refused
    assert login(courts.fy_reader).post(decide, {"approve": "1"}).status_code == 403
    assert login(courts.jcy_leader).post(decide, {"approve": "1"}).status_code == 404
    leader = login(courts.fy_leader)  # one client: log in again
    assert leader.post(decide, {"approve": "1", "note": "同意"}).status_code == 302
    assert fresh(a).level == "orange"


def test_report_page_locked_after_its_step(courts, a, login):
    client = login(courts.fy_handler)
    url = reverse("cases:assessment_report", args=[a.pk])
    page = client.get(url).content.decode()
    assert "案件名称" in page and "张某等十二人" in page  # filled from the case at start
    data = {
        "persons": "张某等十二人",
        "summary": "讨要工程款",
        "handling": "已受理",
        "problems": "可能集体上访",
        "response_plan": "领导包案",
        "version": fresh(a).version,
    }
    assert client.post(url, data).status_code == 302
    assert fresh(a).response_plan == "领导包案"
    to_plan(courts, a)
    CaseAssessment.objects.filter(pk=a.pk).update(current_step="resolve")
    page = client.get(url).content.decode()
    assert "已完成，内容已锁定；如需修改，请先退回到该步骤" in page
    response = client.post(url, {**data, "handling": "改", "version": fresh(a).version})
    assert "已完成，内容已锁定" in response.content.decode()
    assert fresh(a).handling == "已受理"


def test_due_list_constant_queries_and_export(courts, login, django_assert_max_num_queries):
    h = courts.fy_handler
    due_major = make_case(courts.fy, "（2026）示民初20号", major_complex=True)
    make_case(courts.fy, "（2026）示民初21号")  # an ordinary case never assessed: not due
    started = make_case(courts.fy, "（2026）示民初22号", major_complex=True)
    act.do_start_assessment(h, started)  # open: in progress, not due
    resolved = make_case(courts.fy, "（2026）示民初23号")
    first = act.do_start_assessment(h, resolved)
    CaseAssessment.objects.filter(pk=first.pk).update(status=AssessmentStatus.RESOLVED)
    make_case(courts.fy, "（2026）示民初24号", major_complex=True, stage="closed")  # closed
    make_case(courts.jcy, "（2026）示检25号", major_complex=True)  # another organ
    client = login(h)
    url = reverse("cases:assessments_due")
    page = client.get(url).content.decode()
    assert "（2026）示民初20号" in page and "（2026）示检25号" not in page
    for number in ("21号", "22号", "23号", "24号"):
        assert f"（2026）示民初{number}" not in page
    Case.objects.filter(pk=resolved.pk).update(stage="trial")  # a later stage: due again
    page = client.get(url).content.decode()
    assert "（2026）示民初23号" in page and "办案阶段再评估" in page and "审理" in page
    for i in range(30):
        make_case(courts.fy, f"（2026）示民初{100 + i}号", major_complex=True, handler=h)
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
    export = client.get(reverse("cases:assessments_due_export"))
    assert export.status_code == 200 and export.content.startswith(b"PK")
    assert due_major.pk


# ------------------------------------------------------------------ API


def test_api_walks_an_assessment(courts, case, api):
    h, leader = api(courts.fy_handler), api(courts.fy_leader)
    got = h("post", f"/cases/cases/{case.pk}/assessments", {})
    assert got.status_code == 201, got.content
    aid = got.json()["id"]
    assert got.json()["reason"] == "early"
    again = h("post", f"/cases/cases/{case.pk}/assessments", {})
    assert again.status_code == 400 and "尚未化解" in again.json()["detail"]
    detail = h("get", f"/cases/assessments/{aid}").json()
    assert detail["current_step"] == "assess" and detail["missing"]
    assert [s["code"] for s in detail["steps"]] == ["select", "assess", "plan", "resolve"]
    a = CaseAssessment.objects.get(pk=aid)
    for d in a.scheme.dimensions:
        for i in range(len(d.items)):
            r = h(
                "post",
                f"/cases/assessments/{aid}/answers",
                {"dimension": d.code, "item": i, "has_issue": False, "finding": "无"},
            )
            assert r.status_code == 200, r.content
    r = h(
        "post",
        f"/cases/assessments/{aid}/answers",
        {"dimension": "legality", "item": 0, "finding": "再", "version": 9},
    )
    assert r.status_code == 409
    assert len(h("get", f"/cases/assessments/{aid}/answers").json()) == 5
    r = h(
        "put",
        f"/cases/assessments/{aid}/prediction",
        {
            "factors": ["kind_officer_misconduct"],
            "petition_probability": "medium",
            "impact": "moderate",
            "prediction": "舆情风险",
        },
    )
    assert r.status_code == 200 and r.json()["level"] == "red", r.content
    r = h("post", f"/cases/assessments/{aid}/level-changes", {"to_level": "orange", "reason": ""})
    assert r.status_code == 400 and r.json()["detail"] == "变更评估等级须说明理由"
    r = h(
        "post",
        f"/cases/assessments/{aid}/level-changes",
        {"to_level": "orange", "reason": "已稳控"},
    )
    assert r.status_code == 201
    cid = r.json()["id"]
    r = h("post", f"/cases/level-changes/{cid}/decide", {"approve": True})
    assert r.status_code == 400 and r.json()["detail"] == "提出变更的人不能审批自己的变更"
    assert (
        api(courts.fy_reader)(
            "post", f"/cases/level-changes/{cid}/decide", {"approve": True}
        ).status_code
        == 403
    )
    r = leader("post", f"/cases/level-changes/{cid}/decide", {"approve": True, "note": "同意"})
    assert r.status_code == 200 and r.json()["state"] == "approved"
    r = leader("post", f"/cases/level-changes/{cid}/decide", {"approve": False, "note": "再议"})
    assert r.status_code == 409
    assert h("get", f"/cases/assessments/{aid}").json()["level"] == "orange"
    r = h("post", f"/cases/assessments/{aid}/complete-step", {"step": "assess"})
    assert r.status_code == 200 and r.json()["current_step"] == "plan"
    r = h(
        "put",
        f"/cases/assessments/{aid}/prediction",
        {"petition_probability": "low", "impact": "minor", "prediction": "x"},
    )
    assert r.status_code == 400 and "已完成，内容已锁定" in r.json()["detail"]
    version = h("get", f"/cases/assessments/{aid}").json()["version"]
    r = h("put", f"/cases/assessments/{aid}/report", {"handling": "审理中", "version": version})
    assert r.status_code == 200 and r.json()["handling"] == "审理中"
    r = h("put", f"/cases/assessments/{aid}/report", {"handling": "覆盖", "version": version})
    assert r.status_code == 409
    r = h("post", f"/cases/assessments/{aid}/send-back", {"to_step": "assess", "reason": "补充"})
    assert r.status_code == 200 and r.json()["current_step"] == "assess"
    assert len(h("get", f"/cases/assessments/{aid}/level-changes").json()) == 1
    assert len(h("get", f"/cases/cases/{case.pk}/assessments").json()) == 1
    assert api(courts.jcy_handler)("get", f"/cases/assessments/{aid}").status_code == 404


def test_api_due_list(courts, api):
    make_case(courts.fy, "（2026）示民初40号", major_complex=True)
    make_case(courts.jcy, "（2026）示检41号", major_complex=True)
    got = api(courts.fy_handler)("get", "/cases/assessments/due?q=40")
    assert got.status_code == 200
    assert [x["number"] for x in got.json()["items"]] == ["（2026）示民初40号"]
    assert got.json()["items"][0]["stage_label"] == "受理"


def test_a_stage_start_through_the_generic_action_is_checked_too(courts, case):
    with pytest.raises(ActionError, match="尚未评估过"):
        act.do_start_assessment(courts.fy_handler, case, reason=StartReason.STAGE)
