"""篇1 六(二) follow-up (issue 8, loophole 7) and a new decision when opposition appears
during implementation (loophole 8, second half): through the action, the page and the API."""

import datetime as dt
import io
import zipfile

import docx
import pytest
from django.urls import reverse
from django.utils import timezone

from fengping.assessments import actions
from fengping.assessments.models import Assessment, AssessmentStatus, LaterDecision
from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.matters.models import Matter
from fengping.reports.actions import render_report
from tests.dates import YEAR

from .flow import approve_reviews, to_decide_step, to_grade_step

TODAY = timezone.localdate
B_FACTORS = ((1.0, "medium", "major"),)  # 0.6 × 0.8 = 0.48: 中 → B级

MEASURES_QUOTE = "责任主体部门要认真落实解决矛盾问题、维护社会稳定的具体措施"
CONTINGENCY_QUOTE = "对可能出现的不稳定隐患,要制定应急预案"
POSTPONE_QUOTE = "要及时研究对策,待化解矛盾、时机成熟后再行实施"
MAJORITY_QUOTE = "对不能使大多数群众理解支持的事项坚决终止实施"


def decided(org, outcome, doc_no=f"株人社发〔{YEAR}〕1号"):
    """A 篇1 (ssra-bureau) matter graded B, decided `outcome` and in follow-up."""
    a = approve_reviews(org, to_decide_step(org, to_grade_step(org, "ssra-bureau", B_FACTORS)))
    assert a.grade == "B"
    if outcome in ("implement", "implement_partially"):
        # The handler records the work; a leader who is not the recorder confirms it.
        actions.do_record_condition(
            org.rsj_handler, a, "mitigation_plan_approved", note="方案已报批"
        )
        actions.do_confirm_condition(org.rsj_head, a, "mitigation_plan_approved", "局长办公会批准")
    actions.do_decide(
        org.rsj_handler,
        a,
        outcome=outcome,
        doc_no=doc_no,
        decided_on=TODAY(),
        authority="市人社局党组",
    )
    a = actions.do_complete_step(org.rsj_handler, a, "decide")
    assert a.status == AssessmentStatus.FOLLOW_UP and a.current_step == "follow_up"
    return a


def add(org, a, kind, title):
    return actions.do_add_measure(org.rsj_handler, a, kind=kind, title=title, owner="养老保险科")


def finish_all_measures(org, a):
    for m in a.measures.all():
        actions.do_update_measure(org.rsj_handler, m, status="done", evidence="已落实，见台账")


def test_bureau_scheme_has_the_follow_up_step(org):
    a = decided(org, "postpone")
    step = a.follow_up_steps()[0]
    assert step.code == "follow_up" and set(step.produces) == {
        "response_measures",
        "contingency_plan",
    }
    assert "全程跟踪" in step.text


def test_implemented_matter_needs_measures_and_contingency_plan(org):
    a = decided(org, "implement")
    # Neither the step nor the assessment can be finished with nothing recorded.
    with pytest.raises(ActionError, match=MEASURES_QUOTE) as exc:
        actions.do_complete_step(org.rsj_handler, a, "follow_up")
    assert CONTINGENCY_QUOTE in str(exc.value)
    assert MEASURES_QUOTE in a.finish_refusal() or "尚未完成" in a.finish_refusal()
    with pytest.raises(ActionError):
        actions.do_finish_follow_up(org.rsj_handler, a)
    add(org, a, "response", "分批兑现")
    with pytest.raises(ActionError, match=CONTINGENCY_QUOTE) as exc:
        actions.do_complete_step(org.rsj_handler, a, "follow_up")
    # Only what is still missing is named (the step's own text quotes both).
    assert "须先登记：应急预案。" in str(exc.value)
    add(org, a, "contingency", "群体性上访应急预案")
    a = actions.do_complete_step(org.rsj_handler, a, "follow_up")
    with pytest.raises(ActionError, match="仍有未落实的应对措施"):
        actions.do_finish_follow_up(org.rsj_handler, a)
    finish_all_measures(org, a)
    a = actions.do_finish_follow_up(org.rsj_handler, a)
    assert a.status == AssessmentStatus.CLOSED


def test_finish_refused_on_the_page_and_by_the_api(org, login, api):
    a = decided(org, "implement")
    page = login(org.rsj_handler).post(reverse("assessments:finish", args=[a.pk]), follow=True)
    assert CONTINGENCY_QUOTE in page.content.decode()
    assert Assessment.objects.get(pk=a.pk).status == AssessmentStatus.FOLLOW_UP
    r = api(org.rsj_handler)("post", f"/assessments/{a.pk}/finish")
    assert r.status_code == 400 and CONTINGENCY_QUOTE in r.json()["detail"]
    state = api(org.rsj_handler)("get", f"/assessments/{a.pk}/follow-up").json()
    assert state["current_outcome"] == "implement" and not state["can_finish"]
    assert MEASURES_QUOTE in state["follow_up_missing"]


def test_rejected_matter_needs_no_measures(org):
    a = decided(org, "reject")
    a = actions.do_complete_step(org.rsj_handler, a, "follow_up")
    assert actions.do_finish_follow_up(org.rsj_handler, a).status == AssessmentStatus.CLOSED


def test_postponed_matter_comes_back_only_after_countermeasures(org):
    a = decided(org, "postpone")
    assert [c for c, _l in a.redecision_options()] == [
        "implement",
        "implement_partially",
        "reject",
        "terminate",
    ]
    with pytest.raises(ActionError, match=POSTPONE_QUOTE):
        actions.do_redecide(
            org.rsj_handler,
            a,
            outcome="implement",
            doc_no=f"株人社发〔{YEAR}〕2号",
            decided_on=TODAY(),
            reason="时机成熟",
        )
    with pytest.raises(ActionError, match=POSTPONE_QUOTE):
        actions.do_complete_step(org.rsj_handler, a, "follow_up")
    add(org, a, "counter", "分批调整、先行试点")
    a = actions.do_complete_step(org.rsj_handler, a, "follow_up")
    # The grade's rules still hold: B级 implements only with an approved 化解矛盾方案.
    with pytest.raises(ActionError, match="明确责任,制定化解矛盾方案后方可实施"):
        actions.do_redecide(
            org.rsj_handler,
            a,
            outcome="implement",
            doc_no=f"株人社发〔{YEAR}〕2号",
            decided_on=TODAY(),
            reason="时机成熟",
        )
    actions.do_record_condition(
        org.rsj_handler, a, "mitigation_plan_approved", note="化解矛盾方案已报局长办公会"
    )
    actions.do_confirm_condition(org.rsj_head, a, "mitigation_plan_approved", "局长办公会批准")
    with pytest.raises(ActionError, match="文号不能与此前的决定相同"):
        actions.do_redecide(
            org.rsj_handler,
            a,
            outcome="implement",
            doc_no=f"株人社发〔{YEAR}〕1号",
            decided_on=TODAY(),
            reason="时机成熟",
        )
    with pytest.raises(ActionError, match="决定日期应在现行决定的日期"):
        actions.do_redecide(
            org.rsj_handler,
            a,
            outcome="implement",
            doc_no=f"株人社发〔{YEAR}〕2号",
            decided_on=TODAY() - dt.timedelta(days=5),
            reason="时机成熟",
        )
    with pytest.raises(ActionError, match="理由"):
        actions.do_redecide(
            org.rsj_handler,
            a,
            outcome="implement",
            doc_no=f"株人社发〔{YEAR}〕2号",
            decided_on=TODAY(),
            reason=" ",
        )
    later = actions.do_redecide(
        org.rsj_handler,
        a,
        outcome="implement",
        doc_no=f"株人社发〔{YEAR}〕2号",
        decided_on=TODAY(),
        reason="矛盾已化解，时机成熟",
    )
    a.refresh_from_db()
    assert [d.doc_no for d in a.decision_history()] == [f"株人社发〔{YEAR}〕1号", later.doc_no]
    assert a.current_outcome() == "implement" and Matter.objects.get().status == "implementing"
    assert Event.objects.filter(action="assessments.redecide").count() == 1
    # Implemented now: measures and an 应急预案 are needed before it is finished.
    finish_all_measures(org, a)
    assert MEASURES_QUOTE in a.finish_refusal() and CONTINGENCY_QUOTE in a.finish_refusal()
    # Implemented, nothing to decide again.
    assert a.redecision_options() == []
    with pytest.raises(ActionError, match="无须重新决定"):
        actions.do_redecide(
            org.rsj_handler,
            a,
            outcome="terminate",
            doc_no=f"株人社发〔{YEAR}〕3号",
            decided_on=TODAY(),
            reason="x",
        )


def implemented(org):
    a = decided(org, "implement")
    add(org, a, "response", "分批兑现")
    add(org, a, "contingency", "群体性上访应急预案")
    a = actions.do_complete_step(org.rsj_handler, a, "follow_up")
    finish_all_measures(org, a)
    assert a.can_finish()
    return a


def test_incident_during_implementation_needs_a_new_decision(org):
    a = implemented(org)
    actions.do_record_incident(
        org.rsj_handler,
        a,
        occurred_on=TODAY(),
        description="部分退休人员到市政府集体上访",
        action="handle",
        people_involved=40,
    )
    refusal = a.finish_refusal()
    assert "须作出终止实施或调整的新决定" in refusal and "部分退休人员" in refusal
    with pytest.raises(ActionError, match="终止实施或调整"):
        actions.do_finish_follow_up(org.rsj_handler, a)
    assert [c for c, _l in a.redecision_options()] == ["terminate", "adjust"]
    with pytest.raises(ActionError, match="请选择：终止实施、调整实施"):
        actions.do_redecide(
            org.rsj_handler,
            a,
            outcome="implement",
            doc_no=f"株人社发〔{YEAR}〕5号",
            decided_on=TODAY(),
            reason="继续实施",
        )
    later = actions.do_redecide(
        org.rsj_handler,
        a,
        outcome="adjust",
        doc_no=f"株人社发〔{YEAR}〕5号",
        decided_on=TODAY(),
        reason="调整兑现时间，分两批发放",
    )
    assert later.outcome_label == "调整实施" and a.current_outcome() == "adjust"
    assert a.redecision_pending() == "" and a.can_finish()


def test_survey_with_majority_opposed_allows_only_termination(org):
    a = implemented(org)
    quiet = actions.do_record_survey(
        org.rsj_handler, a, held_on=TODAY(), method="抽样调查", support=30, oppose=20, neutral=5
    )
    assert not quiet.breaches_majority() and a.can_finish()
    with pytest.raises(ActionError, match="调查日期"):
        actions.do_record_survey(
            org.rsj_handler, a, held_on=TODAY() + dt.timedelta(days=1), method="走访", oppose=1
        )
    loud = actions.do_record_survey(
        org.rsj_handler, a, held_on=TODAY(), method="走访群众", support=10, oppose=25, no_stance=40
    )
    assert loud.oppose_rate == pytest.approx(25 / 35) and loud.breaches_majority()
    assert "反对 25/35 人" in a.redecision_pending()
    assert [c for c, _l in a.redecision_options()] == ["terminate"]
    with pytest.raises(ActionError, match=MAJORITY_QUOTE):
        actions.do_redecide(
            org.rsj_handler,
            a,
            outcome="adjust",
            doc_no=f"株人社发〔{YEAR}〕6号",
            decided_on=TODAY(),
            reason="调整",
        )
    actions.do_redecide(
        org.rsj_handler,
        a,
        outcome="terminate",
        doc_no=f"株人社发〔{YEAR}〕6号",
        decided_on=TODAY(),
        reason="多数群众不支持",
    )
    assert a.current_outcome() == "terminate" and Matter.objects.get().status == "decided"
    assert a.can_finish()


def test_pages_show_and_record_the_new_decision(org, login):
    a = implemented(org)
    client = login(org.rsj_handler)
    r = client.post(
        reverse("assessments:survey_add", args=[a.pk]),
        {
            "held_on": TODAY().isoformat(),
            "method": "抽样调查",
            "support": 1,
            "oppose": 9,
            "neutral": 0,
            "no_stance": 0,
        },
    )
    assert r.status_code == 302
    page = client.get(reverse("assessments:detail", args=[a.pk]) + "?tab=follow").content.decode()
    assert "须作出终止实施或调整的新决定" in page and "多数反对" in page
    assert reverse("assessments:redecide", args=[a.pk]) in page
    form = {
        "outcome": "adjust",
        "doc_no": f"株人社发〔{YEAR}〕7号",
        "decided_on": TODAY().isoformat(),
        "reason": "调整后继续实施",
    }
    r = client.post(reverse("assessments:redecide", args=[a.pk]), form)
    body = r.content.decode()
    assert r.status_code == 200 and MAJORITY_QUOTE in body and "调整后继续实施" in body
    assert not LaterDecision.objects.exists()
    r = client.post(reverse("assessments:redecide", args=[a.pk]), {**form, "outcome": "terminate"})
    assert r.status_code == 302 and LaterDecision.objects.get().outcome == "terminate"
    page = client.get(reverse("assessments:detail", args=[a.pk]) + "?tab=follow").content.decode()
    assert f"株人社发〔{YEAR}〕7号" in page and "现行" in page
    # A reader (督查) sees it but may not decide.
    assert (
        login(org.supervisor).post(reverse("assessments:redecide", args=[a.pk]), form).status_code
        == 403
    )


def test_api_survey_and_new_decision(org, api):
    a = implemented(org)
    call = api(org.rsj_handler)
    r = call(
        "post",
        f"/assessments/{a.pk}/surveys",
        {"held_on": TODAY().isoformat(), "method": "座谈会", "support": 2, "oppose": 8},
    )
    assert r.status_code == 201 and r.json()["breaches_majority"] is True
    state = call("get", f"/assessments/{a.pk}/follow-up").json()
    assert (
        state["redecision_options"] == ["terminate"] and "终止实施" in state["redecision_pending"]
    )
    body = {
        "outcome": "adjust",
        "doc_no": f"株人社发〔{YEAR}〕8号",
        "decided_on": TODAY().isoformat(),
        "reason": "调整",
    }
    r = call("post", f"/assessments/{a.pk}/redecisions", body)
    assert r.status_code == 400 and MAJORITY_QUOTE in r.json()["detail"]
    r = call("post", f"/assessments/{a.pk}/finish")
    assert r.status_code == 400 and "终止实施或调整" in r.json()["detail"]
    r = call("post", f"/assessments/{a.pk}/redecisions", {**body, "outcome": "terminate"})
    assert r.status_code == 201 and r.json()["doc_no"] == f"株人社发〔{YEAR}〕8号"
    state = call("get", f"/assessments/{a.pk}/follow-up").json()
    assert [h["doc_no"] for h in state["history"]] == [
        f"株人社发〔{YEAR}〕1号",
        f"株人社发〔{YEAR}〕8号",
    ]
    assert state["current_outcome"] == "terminate" and state["can_finish"]
    # Another department's handler cannot see it; a reader may not decide.
    assert api(org.zjj_handler)("post", f"/assessments/{a.pk}/redecisions", body).status_code == 404
    assert (
        api(org.supervisor)(
            "post",
            f"/assessments/{a.pk}/surveys",
            {"held_on": TODAY().isoformat(), "method": "x", "oppose": 1},
        ).status_code
        == 403
    )


def test_api_measure_update_twin(org, api):
    a = decided(org, "implement")
    call = api(org.rsj_handler)
    r = call(
        "post",
        f"/assessments/{a.pk}/measures",
        {"kind": "counter", "title": "研究对策", "owner": "养老保险科"},
    )
    assert r.status_code == 201 and r.json()["kind"] == "counter"
    r = call(
        "post",
        f"/assessments/{a.pk}/measures",
        {"kind": "contingency", "title": "应急预案", "owner": "局办公室"},
    )
    measure_id = r.json()["id"]
    r = call("put", f"/measures/{measure_id}", {"status": "done", "evidence": ""})
    assert r.status_code == 400 and "佐证" in r.json()["detail"]
    r = call("put", f"/measures/{measure_id}", {"status": "done", "evidence": "预案已印发"})
    assert r.status_code == 200 and r.json()["status"] == "done"
    # The 对策 of a postponed matter does not stand for the measures an implemented one needs.
    assert MEASURES_QUOTE in a.finish_refusal()


def test_incident_page_says_a_new_decision_is_due(org, login):
    a = implemented(org)
    client = login(org.rsj_handler)
    r = client.post(
        reverse("assessments:incident_add", args=[a.pk]),
        {
            "occurred_on": TODAY().isoformat(),
            "description": "部分退休人员集体上访",
            "action": "handle",
        },
        follow=True,
    )
    body = r.content.decode()
    assert "须作出终止实施或调整的新决定" in body
    r = client.post(reverse("assessments:finish", args=[a.pk]), follow=True)
    assert "终止实施或调整" in r.content.decode()
    assert Assessment.objects.get(pk=a.pk).status == AssessmentStatus.FOLLOW_UP


def test_the_report_carries_the_later_decision_and_the_survey(org, login):
    """The decision history and the follow-up surveys are printed in the report's
    appendix (print view and DOCX), each new decision with its own 文号."""
    a = implemented(org)
    actions.do_record_survey(
        org.rsj_handler, a, held_on=TODAY(), method="入户走访", support=2, oppose=8
    )
    actions.do_redecide(
        org.rsj_handler,
        a,
        outcome="terminate",
        doc_no=f"株人社发〔{YEAR}〕9号",
        decided_on=TODAY(),
        authority="市人社局党组",
        reason="多数群众不予理解支持",
    )
    data, _ctx = render_report(Assessment.objects.get(pk=a.pk))
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert f"作出新的决定“终止实施”，文号：株人社发〔{YEAR}〕9号" in text
    assert "跟踪调查（入户走访）：支持 2 人、反对 8 人" in text
    page = login(org.rsj_handler).get(reverse("reports:print", args=[a.pk])).content.decode()
    assert f"株人社发〔{YEAR}〕9号" in page and "跟踪调查（入户走访）" in page
    # The 专项工作档案 ZIP's procedure file carries them too.
    response = login(org.rsj_handler).get(reverse("reports:archive_zip", args=[a.pk]))
    z = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    texts = [z.read(n).decode("utf-8", "ignore") for n in z.namelist() if n.endswith(".txt")]
    assert any(f"新的决定“终止实施”，文号：株人社发〔{YEAR}〕9号" in t for t in texts)
    assert any("四、跟踪调查" in t and "反对 8 人" in t for t in texts)
