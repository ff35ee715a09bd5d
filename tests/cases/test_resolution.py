"""Resolving a case's risk (篇4 四3–4, 五2) and the head's second confirmation (二3): the
plan and its measures, evidence, the responsibility chain, 责任查究, the resolution
proposed by the handler and approved by a leader who did not propose it, the adjudication
gate before and after — attacked as other roles, another organ, out of order, twice and
after approval, through the pages and the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fengping.audit.models import Event
from fengping.cases import resolution_rules as rules
from fengping.cases.actions import resolution as r
from fengping.cases.actions.assessments import do_start_assessment
from fengping.cases.models import (
    QUOTE_CAREFUL,
    QUOTE_UNRESOLVED,
    AccountabilityRecord,
    AssessmentStatus,
    Case,
    CaseAssessment,
    ChecklistAnswer,
    MeasureStatus,
    ResolutionState,
)
from fengping.cases.outputs import REPORT_FIELDS
from fengping.cases.queries import profile_of
from fengping.core.concurrency import StaleVersion
from fengping.core.errors import ActionError
from fengping.procedure import engine
from tests.conftest import build_org
from tests.module_db import module_data

from .builders import Courts, build_courts, make_case

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
TOMORROW = timezone.localdate() + dt.timedelta(days=1)


# ------------------------------------------------------------------ the module's world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    def build():
        org = build_org()
        return org, build_courts(org)

    yield from module_data(django_db_blocker, build)


@pytest.fixture
def org(db, world):
    return world[0].fresh()


@pytest.fixture
def c(db, world) -> Courts:
    return world[1].fresh()


_n = iter(range(1, 10_000))


def new_case(c: Courts, **values) -> Case:
    return make_case(
        c.fy, f"（2026）示刑初{next(_n)}号", handler=c.fy_handler, major_complex=True, **values
    )


def fresh(a: CaseAssessment) -> CaseAssessment:
    return CaseAssessment.objects.select_related("case__organ", "case__handler").get(pk=a.pk)


def analysed(c: Courts, case: Case) -> CaseAssessment:
    """An assessment whose step 准确评估风险 is done (the assessment helper's actions are
    tested elsewhere; its outputs are written directly here): now at 制订工作措施."""
    a = do_start_assessment(c.fy_handler, case)
    for d in a.scheme.dimensions:
        for i, _item in enumerate(d.items):
            ChecklistAnswer.objects.create(
                assessment=a, dimension=d.code, item=i, finding="无", answered_by=c.fy_handler
            )
    a.petition_probability, a.impact, a.level = "low", "low", "low"
    for f in REPORT_FIELDS:
        setattr(a, f, "内容")
    a.save()
    engine.complete_step(a, "assess", c.fy_handler)
    return fresh(a)


def planned(c: Courts, case: Case | None = None):
    """At 化解稳定风险: a plan and one measure (not yet done)."""
    a = analysed(c, case or new_case(c))
    r.do_save_plan(c.fy_handler, a, text="稳控预案")
    m = r.do_add_measure(
        c.fy_handler,
        fresh(a),
        title="释法说理",
        responsible_unit=c.fy_trial,
        cooperating_units=[c.jcy],
        responsible_person=c.fy_handler2,
        due_on=TOMORROW,
    )
    a = fresh(a)
    engine.complete_step(a, "plan", c.fy_handler)
    return fresh(a), m


def done(c: Courts, m, note="已当面释法说理"):
    m.refresh_from_db()
    return r.do_set_measure_status(
        c.fy_handler, m, version=m.version, status=MeasureStatus.DONE, evidence_note=note
    )


def proposed(c: Courts, case: Case | None = None):
    a, m = planned(c, case)
    done(c, m)
    a = r.do_propose_resolution(c.fy_handler, fresh(a), note="当事人息诉")
    return fresh(a), m


def last_event() -> Event:
    return Event.objects.order_by("-seq").first()


def kind(case: Case):
    return profile_of(case).kind()


# ------------------------------------------------------------------ the gate


def test_approval_opens_the_adjudication_gate(c):
    a, _m = proposed(c)
    case = Case.objects.get(pk=a.case_id)
    refusal = case.stage_refusal(kind(case), "ruling")
    assert refusal and QUOTE_UNRESOLVED in refusal
    before = Event.objects.count()
    a = r.do_decide_resolution(c.fy_leader, a, approve=True, note="同意", version=a.version)
    assert Event.objects.count() == before + 1
    assert last_event().action == "cases.resolution.approve"
    a = fresh(a)
    assert a.status == AssessmentStatus.RESOLVED and a.finished_at is not None
    assert a.resolution_state == ResolutionState.APPROVED and a.resolution_decided_by == c.fy_leader
    assert a.steps.get(step_code="resolve").state == "done"
    case = Case.objects.get(pk=a.case_id)
    assert not case.risk_open and case.assessed
    assert case.stage_refusal(kind(case), "ruling") is None


def test_majority_unsupportive_waits_for_the_heads_confirmation(c):
    a, _m = proposed(c)
    CaseAssessment.objects.filter(pk=a.pk).update(majority_unsupportive=True)
    a = fresh(a)
    case = a.case
    with pytest.raises(ActionError, match="风险尚未化解"):
        r.do_confirm_adjudication(c.fy_head, case, reason="依法裁决")
    r.do_decide_resolution(c.fy_leader, a, approve=True, version=a.version)
    case = Case.objects.get(pk=case.pk)
    assert case.confirmation_needed
    assert QUOTE_CAREFUL in case.stage_refusal(kind(case), "ruling")
    # Only the head (confirmation_roles) confirms: not the leader, not the handler.
    for who in (c.fy_leader, c.fy_handler, c.jcy_leader, c.fy_reader):
        with pytest.raises(PermissionDenied):
            r.do_confirm_adjudication(who, case, reason="依法裁决")
    with pytest.raises(ActionError, match="理由"):
        r.do_confirm_adjudication(c.fy_head, case, reason="  ")
    r.do_confirm_adjudication(c.fy_head, case, reason="证据确实充分，依法裁决")
    case = Case.objects.get(pk=case.pk)
    assert not case.confirmation_needed and case.stage_refusal(kind(case), "ruling") is None
    a = fresh(a)
    assert a.confirmed_by == c.fy_head and a.confirmation_reason == "证据确实充分，依法裁决"
    assert last_event().action == "cases.adjudication.confirm"
    with pytest.raises(ActionError, match="已于"):
        r.do_confirm_adjudication(c.fy_head, case, reason="再次")


def test_the_head_who_is_the_direct_responsible_may_not_confirm(c):
    a, _m = proposed(c)
    CaseAssessment.objects.filter(pk=a.pk).update(
        majority_unsupportive=True, direct_responsible=c.fy_head
    )
    a = fresh(a)
    r.do_decide_resolution(c.fy_leader, a, approve=True, version=a.version)
    with pytest.raises(PermissionDenied, match="直接责任人"):
        r.do_confirm_adjudication(c.fy_head, a.case, reason="依法")


def test_no_confirmation_when_not_needed(c):
    a, _m = proposed(c)
    with pytest.raises(ActionError, match="无需再次确认"):
        r.do_confirm_adjudication(c.fy_head, a.case, reason="依法")


# ------------------------------------------------------------------ who decides


def test_the_proposer_never_approves(c):
    a, m = planned(c)
    done(c, m)
    # The leader proposes (as the case's handler would), and may then not approve.
    Case.objects.filter(pk=a.case_id).update(handler=c.fy_leader)
    a = fresh(a)
    r.do_propose_resolution(c.fy_leader, a, note="已化解", version=a.version)
    a = fresh(a)
    with pytest.raises(PermissionDenied, match="不能审批自己的申请"):
        r.do_decide_resolution(c.fy_leader, a, approve=True, version=a.version)
    assert fresh(a).resolution_state == ResolutionState.PROPOSED
    r.do_decide_resolution(c.fy_head, a, approve=True, version=a.version)
    assert fresh(a).status == AssessmentStatus.RESOLVED


def test_the_proposer_of_a_voided_proposal_may_not_approve_the_next(c):
    a, m = planned(c)
    done(c, m)
    Case.objects.filter(pk=a.case_id).update(handler=c.fy_leader)
    r.do_propose_resolution(c.fy_leader, fresh(a), note="已化解")
    m.refresh_from_db()
    r.do_set_measure_status(c.fy_handler, m, version=m.version, status="done", evidence_note="补")
    r.do_propose_resolution(c.fy_handler, fresh(a), note="已化解")
    assert fresh(a).resolution_proposed_by == c.fy_handler
    with pytest.raises(PermissionDenied, match="不能审批"):
        r.do_decide_resolution(c.fy_leader, fresh(a), approve=True)


def test_only_leaders_of_the_organ_decide(c):
    a, _m = proposed(c)
    for who in (c.jcy_leader, c.fy_handler2, c.fy_reader, c.zfw_supervisor):
        with pytest.raises(PermissionDenied):
            r.do_decide_resolution(who, a, approve=True, version=a.version)
    assert fresh(a).resolution_state == ResolutionState.PROPOSED


def test_refusal_needs_a_reason_and_returns_it_to_the_handler(c):
    a, m = proposed(c)
    with pytest.raises(ActionError, match="不批准的理由"):
        r.do_decide_resolution(c.fy_leader, a, approve=False, note="", version=a.version)
    r.do_decide_resolution(c.fy_leader, a, approve=False, note="当事人仍在上访", version=a.version)
    a = fresh(a)
    assert a.resolution_state == ResolutionState.REFUSED and a.status == AssessmentStatus.OPEN
    assert a.resolution_decision_note == "当事人仍在上访"
    assert Case.objects.get(pk=a.case_id).risk_open
    with pytest.raises(ActionError, match="没有待审批"):
        r.do_decide_resolution(c.fy_leader, a, approve=True)
    # The handler proposes again.
    r.do_propose_resolution(c.fy_handler, a, note="已再次做工作")
    assert fresh(a).resolution_state == ResolutionState.PROPOSED


def test_a_stale_decision_is_refused(c):
    a, m = proposed(c)
    seen = a.version
    m.refresh_from_db()
    r.do_update_measure(
        c.fy_handler,
        m,
        version=m.version,
        title="释法说理（补充）",
        responsible_unit=c.fy_trial,
        due_on=TOMORROW,
    )
    with pytest.raises(StaleVersion):
        r.do_decide_resolution(c.fy_leader, fresh(a), approve=True, version=seen)


# ------------------------------------------------------------------ proposing


def test_propose_needs_the_step_done_measures_with_evidence_and_a_note(c):
    a = analysed(c, new_case(c))
    with pytest.raises(ActionError, match="尚未进入"):
        r.do_propose_resolution(c.fy_handler, a, note="x")
    a, m = planned(c)
    with pytest.raises(ActionError, match="尚未落实"):
        r.do_propose_resolution(c.fy_handler, a, note="x")
    with pytest.raises(ActionError, match="落实证明"):
        r.do_set_measure_status(c.fy_handler, m, version=m.version, status="done")
    done(c, m)
    with pytest.raises(ActionError, match="化解情况"):
        r.do_propose_resolution(c.fy_handler, fresh(a), note=" ")
    CaseAssessment.objects.filter(pk=a.pk).update(main_responsible=None)
    with pytest.raises(ActionError, match="主要责任人"):
        r.do_propose_resolution(c.fy_handler, fresh(a), note="x")
    CaseAssessment.objects.filter(pk=a.pk).update(main_responsible=c.fy_leader)
    r.do_propose_resolution(c.fy_handler, fresh(a), note="x")
    with pytest.raises(ActionError, match="等待领导审批"):
        r.do_propose_resolution(c.fy_handler, fresh(a), note="x")


def test_a_file_is_evidence_enough(c):
    a, m = planned(c)
    r.do_add_evidence(c.fy_handler, m, SimpleUploadedFile("回访记录.txt", "已回访".encode()))
    m.refresh_from_db()
    r.do_set_measure_status(c.fy_handler, m, version=m.version, status="done")
    assert rules.propose_refusal(fresh(a)) == ""


def test_leaders_and_readers_do_not_propose(c):
    a, m = planned(c)
    done(c, m)
    with pytest.raises(PermissionDenied, match="领导审批"):
        r.do_propose_resolution(c.fy_leader, fresh(a), note="x")
    for who in (c.fy_reader, c.zfw_supervisor, c.jcy_handler):
        with pytest.raises(PermissionDenied):
            r.do_propose_resolution(who, fresh(a), note="x")
    # A handler of a unit under the organ does not reach the organ's assessment.
    with pytest.raises(PermissionDenied):
        r.do_propose_resolution(c.fy_handler2, fresh(a), note="x")
    r.do_propose_resolution(c.fy_handler, fresh(a), note="x")


# ------------------------------------------------------------------ changes void a proposal


@pytest.mark.parametrize("change", ["status", "update", "evidence", "add", "responsibility"])
def test_any_change_voids_a_pending_proposal(c, change):
    a, m = proposed(c)
    m.refresh_from_db()
    if change == "status":
        r.do_set_measure_status(c.fy_handler, m, version=m.version, status="in_progress")
    elif change == "update":
        r.do_update_measure(
            c.fy_handler,
            m,
            version=m.version,
            title="改",
            responsible_unit=c.fy,
            due_on=m.due_on,
        )
    elif change == "evidence":
        r.do_add_evidence(c.fy_handler, m, SimpleUploadedFile("a.txt", "证明".encode()))
    elif change == "add":
        r.do_add_measure(c.fy_handler, a, title="新措施", responsible_unit=c.fy, due_on=TOMORROW)
    else:
        r.do_set_responsibility(
            c.fy_leader, a, first=c.fy_head, main=c.fy_leader, direct=c.fy_handler2
        )
    a = fresh(a)
    assert a.resolution_state == ResolutionState.NONE and a.resolution_proposed_by is None
    event = last_event()
    assert event.after["resolution_voided"] is True
    with pytest.raises(ActionError, match="没有待审批"):
        r.do_decide_resolution(c.fy_leader, a, approve=True)


# ------------------------------------------------------------------ nothing after RESOLVED


def test_nothing_changes_after_resolved(c):
    a, m = proposed(c)
    r.do_decide_resolution(c.fy_leader, a, approve=True)
    a = fresh(a)
    m.refresh_from_db()
    attempts = [
        lambda: r.do_save_plan(c.fy_handler, a, text="改"),
        lambda: r.do_add_measure(
            c.fy_handler, a, title="x", responsible_unit=c.fy, due_on=TOMORROW
        ),
        lambda: r.do_update_measure(
            c.fy_handler, m, version=m.version, title="x", responsible_unit=c.fy, due_on=TOMORROW
        ),
        lambda: r.do_set_measure_status(c.fy_handler, m, version=m.version, status="planned"),
        lambda: r.do_add_evidence(c.fy_handler, m, SimpleUploadedFile("a.txt", b"x")),
        lambda: r.do_set_responsibility(
            c.fy_leader, a, first=c.fy_head, main=c.fy_leader, direct=c.fy_handler2
        ),
        lambda: r.do_propose_resolution(c.fy_handler, a, note="x"),
        lambda: r.do_decide_resolution(c.fy_head, a, approve=False, note="x"),
    ]
    before = Event.objects.count()
    for attempt in attempts:
        with pytest.raises(ActionError, match="已经批准化解"):
            attempt()
    assert Event.objects.count() == before
    # 责任查究 may still follow (problems found afterwards).
    r.do_record_accountability(
        c.fy_leader, a, unit=c.fy_trial, kind="measures_not_implemented", description="事后查明"
    )


def test_plan_text_locks_when_its_step_is_done(c):
    a, m = planned(c)
    with pytest.raises(ActionError, match="已锁定"):
        r.do_save_plan(c.fy_handler, a, text="改")
    # Measures may still be added while the risk is being resolved.
    r.do_add_measure(c.fy_handler, a, title="加强稳控", responsible_unit=c.fy, due_on=TOMORROW)


# ------------------------------------------------------------------ measures


def test_measure_rules(c):
    a = analysed(c, new_case(c))
    base = {"title": "措施", "responsible_unit": c.fy, "due_on": TOMORROW}
    with pytest.raises(ActionError, match="不能早于今天"):
        r.do_add_measure(
            c.fy_handler, a, **{**base, "due_on": timezone.localdate() - dt.timedelta(days=1)}
        )
    with pytest.raises(ActionError, match="责任人须是责任单位"):
        r.do_add_measure(c.fy_handler, a, **base, responsible_person=c.jcy_handler)
    with pytest.raises(ActionError, match="请填写工作措施"):
        r.do_add_measure(c.fy_handler, a, **{**base, "title": " "})
    other = type(c.fy).objects.create(name="外组织", code="OUT", path="9999999/")
    with pytest.raises(ActionError, match="责任单位须是本组织"):
        r.do_add_measure(c.fy_handler, a, **{**base, "responsible_unit": other})
    with pytest.raises(ActionError, match="协同单位须是本组织"):
        r.do_add_measure(c.fy_handler, a, **base, cooperating_units=[other])
    m = r.do_add_measure(c.fy_handler, a, **base, cooperating_units=[c.jcy, c.fy, c.zfw])
    assert sorted(d.code for d in m.cooperating_units.all()) == ["JCY", "ZFW"]
    event = last_event()
    assert (
        event.action == "cases.measure.add"
        and "示范市人民检察院" in event.after["cooperating_units"]
    )
    with pytest.raises(StaleVersion):
        r.do_update_measure(c.fy_handler, m, version=m.version + 1, **base)
    # A due date already past may stay as it is when other fields change.
    type(m).objects.filter(pk=m.pk).update(due_on=timezone.localdate() - dt.timedelta(days=3))
    m.refresh_from_db()
    r.do_update_measure(c.fy_handler, m, version=m.version, **{**base, "due_on": m.due_on})


def test_other_organs_and_readers_change_no_measure(c):
    a, m = planned(c)
    for who in (c.jcy_handler, c.fy_reader, c.zfw_supervisor):
        with pytest.raises(PermissionDenied):
            r.do_set_measure_status(who, m, version=m.version, status="in_progress")
        with pytest.raises(PermissionDenied):
            r.do_add_measure(who, a, title="x", responsible_unit=c.fy, due_on=TOMORROW)
        with pytest.raises(PermissionDenied):
            r.do_add_evidence(who, m, SimpleUploadedFile("a.txt", b"x"))


def test_evidence_upload_is_checked(c):
    a, m = planned(c)
    before = Event.objects.count()
    with pytest.raises(ActionError):
        r.do_add_evidence(c.fy_handler, m, SimpleUploadedFile("a.exe", b"MZ\x90\x00"))
    assert Event.objects.count() == before
    e = r.do_add_evidence(
        c.fy_handler, m, SimpleUploadedFile("回访.txt", "回访".encode()), note="回访"
    )
    assert last_event().action == "cases.evidence.add" and e.sha256


# ------------------------------------------------------------------ responsibility


def test_responsibility_chain(c):
    a = analysed(c, new_case(c))
    assert (a.first_responsible, a.main_responsible, a.direct_responsible) == (
        c.fy_head,
        c.fy_leader,
        c.fy_handler,
    )
    for who in (c.fy_handler, c.jcy_leader, c.fy_reader):
        with pytest.raises(PermissionDenied):
            r.do_set_responsibility(who, a, first=c.fy_head, main=c.fy_leader, direct=c.fy_handler2)
    with pytest.raises(ActionError, match="第一责任人"):
        r.do_set_responsibility(
            c.fy_leader, a, first=c.fy_leader, main=c.fy_leader, direct=c.fy_handler
        )
    with pytest.raises(ActionError, match="主要责任人"):
        r.do_set_responsibility(
            c.fy_leader, a, first=c.fy_head, main=c.fy_handler, direct=c.fy_handler
        )
    with pytest.raises(ActionError, match="直接责任人"):
        r.do_set_responsibility(
            c.fy_leader, a, first=c.fy_head, main=c.fy_leader, direct=c.jcy_handler
        )
    with pytest.raises(ActionError, match="直接责任人"):
        r.do_set_responsibility(c.fy_leader, a, first=c.fy_head, main=c.fy_leader, direct=None)
    r.do_set_responsibility(
        c.fy_leader, a, first=c.fy_head, main=c.fy_leader, direct=c.fy_handler2, version=a.version
    )
    a = fresh(a)
    assert a.direct_responsible == c.fy_handler2
    event = last_event()
    assert event.before["direct_responsible"] == "fy_handler"
    assert event.after["direct_responsible"] == "fy_handler2"


def test_accountability_records(c):
    a, m = planned(c)
    base = {"unit": c.jcy, "kind": "poor_cooperation", "description": "未按约定参加联合接访"}
    for who in (c.fy_handler, c.fy_reader, c.jcy_leader, c.jcy_handler):
        with pytest.raises(PermissionDenied):
            r.do_record_accountability(who, a, **base)
    with pytest.raises(ActionError, match="问题类别"):
        r.do_record_accountability(c.fy_leader, a, **{**base, "kind": "other"})
    with pytest.raises(ActionError, match="单位须是"):
        r.do_record_accountability(c.fy_leader, a, **{**base, "unit": c.zfw})
    with pytest.raises(ActionError, match="情况说明"):
        r.do_record_accountability(c.fy_leader, a, **{**base, "description": ""})
    r.do_record_accountability(c.fy_leader, a, **base)  # 协同单位 of a measure
    r.do_record_accountability(
        c.zfw_supervisor, a, **{**base, "unit": c.fy_trial, "kind": "insufficient_attention"}
    )
    rows = AccountabilityRecord.objects.filter(assessment=a)
    assert rows.count() == 2
    event = last_event()
    assert event.action == "cases.accountability.record" and event.scope_path == c.fy.path


# ------------------------------------------------------------------ pages


def test_pages_show_why_a_button_is_off(c, client):
    a, m = planned(c)
    client.force_login(c.fy_leader)
    page = client.get(f"/cases/assessments/{a.pk}/resolution/").content.decode()
    assert "以下措施尚未落实：释法说理" in page or "化解情况由承办人" in page
    client.force_login(c.fy_handler)
    page = client.get(f"/cases/assessments/{a.pk}/resolution/").content.decode()
    assert "以下措施尚未落实：释法说理" in page and "disabled" in page
    plan = client.get(f"/cases/assessments/{a.pk}/plan/").content.decode()
    assert "释法说理" in plan and "已逾期" not in plan
    type(m).objects.filter(pk=m.pk).update(due_on=timezone.localdate() - dt.timedelta(days=1))
    assert "已逾期" in client.get(f"/cases/assessments/{a.pk}/plan/").content.decode()
    for url in (
        f"/cases/assessments/{a.pk}/plan/",
        f"/cases/assessments/{a.pk}/responsibility/",
        f"/cases/measures/{m.pk}/",
        f"/cases/{a.case_id}/confirmation/",
    ):
        assert client.get(url).status_code == 200, url


def test_the_pages_walk_the_resolution(c, client):
    a, m = planned(c)
    client.force_login(c.fy_handler)
    response = client.post(
        f"/cases/measures/{m.pk}/status/",
        {"status": "done", "evidence_note": "", "version": m.version},
    )
    assert response.status_code == 200 and "落实证明" in response.content.decode()
    response = client.post(
        f"/cases/measures/{m.pk}/evidence/",
        {"file": SimpleUploadedFile("回访.txt", "回访".encode()), "note": "回访"},
    )
    assert response.status_code == 302
    e = m.evidence.get()
    download = client.get(f"/cases/evidence/{e.pk}/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    response = client.post(
        f"/cases/measures/{m.pk}/status/", {"status": "done", "version": m.version}
    )
    assert response.status_code == 302
    a = fresh(a)
    response = client.post(
        f"/cases/assessments/{a.pk}/resolution/", {"note": "息诉罢访", "version": a.version}
    )
    assert response.status_code == 302 and fresh(a).resolution_state == "proposed"
    # The proposer posting the approval directly: 403.
    a = fresh(a)
    response = client.post(
        f"/cases/assessments/{a.pk}/resolution/decide/",
        {"decision": "approve", "version": a.version},
    )
    assert response.status_code == 403
    client.force_login(c.fy_leader)
    response = client.post(
        f"/cases/assessments/{a.pk}/resolution/decide/",
        {"decision": "approve", "note": "同意", "version": a.version},
    )
    assert response.status_code == 302
    assert fresh(a).status == AssessmentStatus.RESOLVED


def test_pages_refuse_outsiders_and_readers(c, client):
    a, m = planned(c)
    client.force_login(c.jcy_leader)
    assert client.get(f"/cases/assessments/{a.pk}/resolution/").status_code == 404
    assert client.post(f"/cases/assessments/{a.pk}/resolution/decide/", {}).status_code == 404
    client.force_login(c.fy_reader)
    assert client.get(f"/cases/assessments/{a.pk}/resolution/").status_code == 200
    for url in (
        f"/cases/assessments/{a.pk}/plan/",
        f"/cases/assessments/{a.pk}/measures/new/",
        f"/cases/assessments/{a.pk}/resolution/",
        f"/cases/assessments/{a.pk}/resolution/decide/",
        f"/cases/assessments/{a.pk}/responsibility/",
        f"/cases/assessments/{a.pk}/accountability/",
        f"/cases/measures/{m.pk}/",
        f"/cases/measures/{m.pk}/status/",
        f"/cases/measures/{m.pk}/evidence/",
        f"/cases/{a.case_id}/confirmation/",
    ):
        assert client.post(url, {}).status_code == 403, url


# ------------------------------------------------------------------ API


def test_api_walks_the_resolution_and_refuses_the_proposer(c, api):
    a = analysed(c, new_case(c))
    handler, leader = api(c.fy_handler), api(c.fy_leader)
    url = f"/cases/assessments/{a.pk}"
    assert handler("put", f"{url}/plan", {"text": "预案"}).status_code == 200
    created = handler(
        "post",
        f"{url}/measures",
        {
            "title": "稳控",
            "responsible_unit_id": c.fy_trial.pk,
            "cooperating_unit_ids": [c.jcy.pk],
            "responsible_person": "fy_handler2",
            "due_on": TOMORROW.isoformat(),
        },
    )
    assert created.status_code == 201, created.content
    mid = created.json()["id"]
    engine.complete_step(fresh(a), "plan", c.fy_handler)
    refused = handler("post", f"/cases/measures/{mid}/status", {"status": "done"})
    assert refused.status_code == 400 and "落实证明" in refused.json()["detail"]
    ok = handler(
        "post", f"/cases/measures/{mid}/status", {"status": "done", "evidence_note": "已落实"}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "done"
    state = handler("get", f"{url}/resolution").json()
    assert state["refusals"]["propose"] == "" and state["refusals"]["decide"]
    proposed_ = handler("post", f"{url}/resolution/propose", {"note": "已化解"})
    assert proposed_.status_code == 200 and proposed_.json()["resolution_state"] == "proposed"
    own = handler("post", f"{url}/resolution/decide", {"decision": "approve"})
    assert own.status_code == 403
    assert (
        api(c.jcy_leader)("post", f"{url}/resolution/decide", {"decision": "approve"}).status_code
        == 404
    )
    assert (
        api(c.fy_reader)("post", f"{url}/resolution/decide", {"decision": "approve"}).status_code
        == 403
    )
    approved = leader("post", f"{url}/resolution/decide", {"decision": "approve", "note": "同意"})
    assert approved.status_code == 200 and approved.json()["status"] == "resolved"
    again = leader("post", f"{url}/resolution/decide", {"decision": "refuse", "note": "x"})
    assert again.status_code == 400
    assert handler("put", f"{url}/plan", {"text": "改"}).status_code == 400
    conf = api(c.fy_head)("get", f"/cases/cases/{a.case_id}/confirmation").json()
    assert conf["confirmation_needed"] is False and conf["refusal"]


def test_api_confirmation_and_accountability(c, api):
    a, _m = proposed(c)
    CaseAssessment.objects.filter(pk=a.pk).update(majority_unsupportive=True)
    a = fresh(a)
    r.do_decide_resolution(c.fy_leader, a, approve=True)
    url = f"/cases/cases/{a.case_id}/confirmation"
    assert api(c.fy_leader)("post", url, {"reason": "依法"}).status_code == 403
    assert api(c.jcy_handler)("post", url, {"reason": "依法"}).status_code == 404
    done_ = api(c.fy_head)("post", url, {"reason": "证据充分"})
    assert done_.status_code == 200 and done_.json()["confirmed_by"] == "fy_head"
    assert not Case.objects.get(pk=a.case_id).confirmation_needed
    rec = api(c.fy_head)(
        "post",
        f"/cases/assessments/{a.pk}/accountability",
        {"unit_id": c.fy_trial.pk, "kind": "insufficient_attention", "description": "重视不够"},
    )
    assert rec.status_code == 201 and rec.json()["kind_label"] == "重视不够"
    assert (
        api(c.fy_reader)(
            "post",
            f"/cases/assessments/{a.pk}/accountability",
            {"unit_id": c.fy_trial.pk, "kind": "insufficient_attention", "description": "x"},
        ).status_code
        == 403
    )


def test_the_measure_tables_run_a_constant_number_of_queries(
    c, client, django_assert_max_num_queries
):
    a, _m = planned(c)
    client.force_login(c.fy_handler)
    urls = (f"/cases/assessments/{a.pk}/plan/", f"/cases/assessments/{a.pk}/resolution/")
    counts = {}
    client.get(urls[0])  # the first request after signing in may touch the session
    for n in (1, 6):
        while a.measures.count() < n:
            m = r.do_add_measure(
                c.fy_handler,
                fresh(a),
                title=f"措施{a.measures.count()}",
                responsible_unit=c.fy_trial,
                cooperating_units=[c.jcy, c.zfw],
                responsible_person=c.fy_handler2,
                due_on=TOMORROW,
            )
            r.do_add_evidence(c.fy_handler, m, SimpleUploadedFile("a.txt", b"x"))
        for url in urls:
            with CaptureQueriesContext(connection) as ran:
                assert client.get(url).status_code == 200
            counts[(url, n)] = len(ran.captured_queries)
            writes = [q["sql"] for q in ran.captured_queries if WRITE.match(q["sql"])]
            assert writes == [], (url, writes)
    for url in urls:
        assert counts[(url, 6)] <= counts[(url, 1)], counts
    with django_assert_max_num_queries(40):
        client.get(urls[0])


def test_a_proposal_is_not_decided_after_a_send_back(c):
    a, _m = proposed(c)
    engine.send_back(a, "plan", c.fy_leader, "预案不充分")
    a = fresh(a)
    # The output `risk_resolution` declares the reset: the send-back voided the proposal.
    assert a.resolution_state == ResolutionState.NONE
    assert a.resolution_proposed_by is None
    with pytest.raises(ActionError):
        r.do_decide_resolution(c.fy_head, a, approve=True)
    assert fresh(a).status == AssessmentStatus.OPEN
