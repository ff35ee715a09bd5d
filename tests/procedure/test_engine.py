"""The procedure engine, with the assessments app as its user: completing steps, the one
send-back loop, the tracker, the output registry and `step_producing`."""

from __future__ import annotations

import ast
import copy
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from fengping.api.tokens import do_create_token
from fengping.assessments import actions
from fengping.assessments.models import Assessment, Review, StepRecord
from fengping.audit.models import Event
from fengping.core.concurrency import lock
from fengping.core.errors import ActionError, ConflictError
from fengping.procedure import engine, outputs
from fengping.procedure.engine import NoStepProduces, UnknownStep
from fengping.procedure.models import StepState
from fengping.schemes import get as builtin_scheme
from tests.assessments.flow import approve_reviews, register, to_decide_step, to_grade_step
from tests.dates import YEAR

TODAY = timezone.localdate


def fresh(a: Assessment) -> Assessment:
    return Assessment.objects.get(pk=a.pk)


def edit_snapshot(a: Assessment, change) -> Assessment:
    """Rewrite the assessment's frozen scheme in place, as a past (looser) version of the
    validation could have accepted it."""
    snapshot = copy.deepcopy(a.scheme_snapshot)
    change(snapshot["procedure"]["steps"])
    Assessment.objects.filter(pk=a.pk).update(scheme_snapshot=snapshot)
    return fresh(a)


def states(a: Assessment) -> dict[str, str]:
    return dict(StepRecord.objects.filter(assessment=a).values_list("step_code", "state"))


# ------------------------------------------------------------------ lookups


def test_step_producing_finds_the_step_or_refuses_clearly():
    scheme = builtin_scheme("ssra-town")
    assert engine.step_producing(scheme, "report").code == "report"
    assert engine.step_producing(scheme, "filing").code == "decide"
    assert engine.find_step_producing(scheme, "report_draft") is None
    with pytest.raises(NoStepProduces) as info:
        engine.step_producing(scheme, "report_draft")
    assert isinstance(info.value, ActionError) and info.value.output == "report_draft"
    assert "没有产出“report_draft”的步骤" in info.value.message
    assert scheme.name in info.value.message and "procedure.steps" in info.value.message


def test_unknown_step_is_a_clear_refusal():
    scheme = builtin_scheme("ssra-bureau")
    assert engine.step(scheme, "grade").label
    assert engine.next_step(scheme, "report").code == "decide"
    assert engine.next_step(scheme, "decide").code == "follow_up"  # 篇1 六(二)
    assert engine.next_step(scheme, "follow_up") is None
    with pytest.raises(UnknownStep, match="没有步骤“consult”"):
        engine.step(scheme, "consult")


def test_the_engine_imports_no_domain_app():
    domain = ("fengping.matters", "fengping.assessments", "fengping.opinions", "fengping.reports")
    root = Path(engine.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(domain), (path.name, node.module)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(domain), (path.name, alias.name)


# ------------------------------------------------------------------ registry


def test_assessments_registers_its_outputs():
    known = outputs.registered(Assessment)
    assert {"assessment_plan", "opinions", "risk_analysis", "report", "decision"} <= set(known)
    assert str(known["report"].label) == "评估报告"
    assert known["report"].reset is not None and known["decision"].reset is None
    assert outputs.label_of(Assessment(), "site_visit") == "site_visit"
    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        outputs.register(Assessment, "report", "评估报告", lambda a: True)


def test_an_invented_output_is_made_by_completing_its_step(org):
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    a = edit_snapshot(a, lambda steps: steps[0]["produces"].append("site_visit"))
    assert not engine.output_exists(a, "site_visit")
    assert engine.missing_outputs(a, a.scheme.procedure.steps[0]) == []
    a = actions.do_complete_step(org.rsj_handler, a, "select")
    assert engine.output_exists(a, "site_visit")


# ------------------------------------------------------------------ complete_step


def test_complete_step_lists_the_missing_outputs_by_label(org):
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    a = actions.do_complete_step(org.rsj_handler, a, "select")
    with transaction.atomic():
        locked = lock(a)
        with pytest.raises(ActionError) as info:
            engine.complete_step(locked, "plan", org.rsj_handler)
    assert info.value.message == (
        "“制定评估方案”尚缺：评估方案（牵头部门、评估内容与责任、评估组成员）；"
        "专项工作档案（至少一份材料）。方案规定：" + engine.step(a.scheme, "plan").text
    )


def test_complete_step_opens_the_next_and_bumps_the_version(org):
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    before = fresh(a).version
    with transaction.atomic():
        done = engine.complete_step(lock(a), "select", org.rsj_handler, "已核实")
    assert (done.step.code, done.following.code) == ("select", "plan")
    a = fresh(a)
    assert a.current_step == "plan" and a.version == before + 1
    record = StepRecord.objects.get(assessment=a, step_code="select")
    assert (record.state, record.done_by, record.note) == ("done", org.rsj_handler, "已核实")
    assert states(a) == {"select": "done", "plan": "open"}


def test_the_same_step_completed_twice_names_who_did_it(org):
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    stale = fresh(a)
    with transaction.atomic():
        engine.complete_step(lock(a), "select", org.rsj_handler)
    with transaction.atomic(), pytest.raises(ConflictError, match="已由 rsj_handler 于"):
        engine.complete_step(lock(stale), "select", org.rsj_head)
    with transaction.atomic(), pytest.raises(ActionError, match="只能完成当前步骤"):
        engine.complete_step(lock(stale), "grade", org.rsj_head)


@pytest.mark.django_db(transaction=True)
def test_two_people_completing_the_same_step_at_once(org):
    """The run's row lock: of two simultaneous completions exactly one succeeds, the other
    gets the conflict naming who completed the step."""
    if connection.vendor != "postgresql":
        pytest.skip("simultaneous transactions need PostgreSQL's row locks")
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    barrier = threading.Barrier(2)
    results: list[str] = []

    def attempt(user):
        try:
            stale = Assessment.objects.get(pk=a.pk)
            barrier.wait()
            actions.do_complete_step(user, stale, "select")
            results.append("done")
        except ConflictError as exc:
            results.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in (org.rsj_handler, org.rsj_head)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 2 and results.count("done") == 1, results
    conflict = next(r for r in results if r != "done")
    assert "已由" in conflict and "完成，请刷新页面" in conflict
    assert fresh(a).current_step == "plan" and fresh(a).version == a.version + 1
    assert states(a) == {"select": "done", "plan": "open"}


# ------------------------------------------------------------------ send_back


def test_send_back_reopens_the_step_and_voids_the_report(org):
    a = to_decide_step(org, to_grade_step(org))
    version = fresh(a).version
    assert fresh(a).report_generated_at is not None
    a = actions.do_send_back(org.rsj_handler, a, "grade", "风险等级依据不足")
    a = fresh(a)
    assert a.current_step == "grade" and a.report_generated_at is None
    assert a.version == version + 1
    assert states(a) == {
        "select": "done",
        "plan": "done",
        "consult": "done",
        "analyse": "done",
        "grade": "open",
        "report": "sent_back",
        "decide": "sent_back",
    }
    decide = StepRecord.objects.get(assessment=a, step_code="decide")
    assert (decide.sent_back_by, decide.sent_back_reason) == (org.rsj_handler, "风险等级依据不足")
    assert StepRecord.objects.get(assessment=a, step_code="grade").done_by is None
    event = Event.objects.filter(action="assessments.step.send_back").last()
    assert event.after == {"from": "decide", "to": "grade", "reason": "风险等级依据不足"}
    assert a.matter.status == "assessing"


def test_send_back_past_the_report_keeps_it(org):
    a = approve_reviews(org, to_decide_step(org, to_grade_step(org)))
    actions.do_decide(
        org.rsj_handler, a, outcome="reject", doc_no=f"滔政发〔{YEAR}〕3号", decided_on=TODAY()
    )
    for office in (org.wwb, org.lxb):  # 分别报镇维稳办、镇联席办备案
        actions.do_file(org.rsj_handler, a, office=office, filed_on=TODAY())
    a = actions.do_complete_step(org.rsj_handler, a, "decide")
    assert a.current_step == "measures"
    with transaction.atomic():
        back = engine.send_back(lock(a), "decide", org.rsj_head, "补充决定材料")
    assert (back.from_step, back.to_step, back.reopened) == (
        "measures",
        "decide",
        ["decide", "measures"],
    )
    a = fresh(a)
    assert a.current_step == "decide" and a.report_generated_at is not None
    assert states(a)["measures"] == StepState.SENT_BACK and states(a)["decide"] == StepState.OPEN


@pytest.mark.parametrize(
    ("to_step", "reason", "message"),
    [
        ("grade", "  ", "退回须说明理由"),
        ("decide", "理由", "只能退回到之前的步骤"),
        ("measures", "理由", "只能退回到之前的步骤"),
        ("nowhere", "理由", "只能退回到之前的步骤"),
    ],
)
def test_send_back_refusals(org, to_step, reason, message):
    a = to_decide_step(org, to_grade_step(org))
    with transaction.atomic(), pytest.raises(ActionError, match=message):
        engine.send_back(lock(a), to_step, org.rsj_handler, reason)
    assert fresh(a).current_step == "decide"


def test_a_reviewer_sends_back_through_the_same_loop(org):
    a = to_decide_step(org, to_grade_step(org))
    actions.do_review(org.rsj_head, a, stage="review", result="sent_back", opinion="依据不足")
    a = fresh(a)
    assert a.current_step == "report" and a.report_generated_at is None
    assert states(a)["decide"] == "sent_back" and states(a)["report"] == "open"
    event = Event.objects.filter(action="assessments.step.send_back").last()
    assert event.after["from"] == "decide" and event.after["to"] == "report"
    assert event.after["reason"].endswith("依据不足")


def test_a_frozen_scheme_without_a_report_step_refuses_instead_of_failing(org, client):
    """The HTTP 500 of the issue: a scheme (accepted before the kind's outputs were
    checked) whose report step produces `report_draft`; a reviewer's send-back now gets
    a clear refusal and nothing is saved."""
    a = to_decide_step(org, to_grade_step(org))

    def draft(steps):
        steps[5]["produces"] = ["report_draft"]
        steps[6]["requires"] = ["report_draft"]

    a = edit_snapshot(a, draft)
    _row, token = do_create_token(org.rsj_head, "t")
    response = client.post(
        f"/api/assessments/{a.pk}/reviews",
        {"stage": "review", "result": "sent_back", "opinion": "依据不足"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400
    assert "没有产出“report”的步骤" in response.json()["detail"]
    assert not Review.objects.filter(assessment=a).exists()
    assert fresh(a).current_step == "decide"


# ------------------------------------------------------------------ tracker


def test_tracker_is_what_page_and_api_show(org, login):
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    a = actions.do_complete_step(org.rsj_handler, a, "select")
    tracker = engine.tracker(fresh(a))
    assert [t.step.code for t in tracker] == [s.code for s in a.scheme.procedure.steps]
    assert [t.state for t in tracker][:3] == ["done", "open", ""]
    assert [t.is_past for t in tracker][:3] == [True, False, False]
    assert tracker.current.step.code == "plan" and tracker.current.is_current
    assert not tracker.current.is_done
    assert tracker.steps[0].record.done_by == org.rsj_handler
    assert tracker.missing == [
        "评估方案（牵头部门、评估内容与责任、评估组成员）",
        "专项工作档案（至少一份材料）",
    ]
    assert [s.code for s in tracker.earlier()] == ["select"]

    html = login(org.rsj_handler).get(f"/assessments/{a.pk}/").content.decode()
    assert "专项工作档案（至少一份材料）" in html
    _row, token = do_create_token(org.rsj_handler, "t")
    data = Client().get(f"/api/assessments/{a.pk}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert data["missing_outputs"] == tracker.missing
    assert [(s["code"], s["state"]) for s in data["steps"]] == [
        (t.step.code, t.state) for t in tracker
    ]


def test_started_runs_open_their_first_step(org):
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    assert states(a) == {"select": "open"} and a.current_step == "select"
    assert a.scheme.key == "ssra-town"
