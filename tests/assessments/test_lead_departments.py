"""Issue 8 loopholes 11 and 13 (篇3 五).

11: the members of a matter's lead and assisting departments see the matter and do the
work given to them (team membership and scoring, activities, documents) — one rule in
`org.access`; outsiders still get 404 and nobody outside the 责任主体 decides anything.
13: a matter whose assisting departments come from more than one bureau needs the
党委/政府 designation of its 责任主体 before its plan."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from fengping.api.tokens import do_create_token
from fengping.assessments import actions
from fengping.assessments.models import Assessment, RiskFactor, TeamMember
from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.matters import actions as matter_actions
from fengping.matters.models import Matter
from fengping.opinions import actions as opinion_actions
from fengping.org import access
from fengping.org import actions as org_actions
from fengping.org.models import DepartmentKind, Role
from tests.assessments.flow import ESTIMATES
from tests.conftest import settled
from tests.dates import YEAR

from .flow import register

QUOTE = "如涉及到多部门、职能交叉难以界定责任主体的,由党委、政府指定责任主体"


def _user(org, username, dept, role=Role.HANDLER):
    user, _ = org_actions.do_create_user(
        org.superuser,
        username=username,
        real_name=username,
        department=dept,
        role=role,
        password="Test-password-2026",
    )
    settled(user)
    return user


@pytest.fixture
def fgj(org):
    """发改局: a third bureau, outside every matter below unless named."""
    return org_actions.do_create_department(
        org.superuser, name="发改局", code="FGJ", kind=DepartmentKind.FUNCTIONAL, parent=org.root
    )


@pytest.fixture
def outsider(org, fgj):
    return _user(org, "fgj_handler", fgj)


def _led_by_zjj(org):
    """A 人社局 matter whose lead department is 住建局 (as fengping proposes from 篇3 五)."""
    matter = matter_actions.do_register_matter(
        org.rsj_handler,
        title="旧城改造房屋征收补偿",
        scheme_key="ssra-town",
        category_code="focus_urban",
        department=org.rsj,
        lead_department=org.zjj,
    )
    return actions.do_start_assessment(org.rsj_handler, matter)


def _api(client, user):
    _row, token = do_create_token(user, "t")

    def call(method, path, payload=None):
        return getattr(client, method)(
            f"/api{path}",
            data=payload,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return call


# ---------------------------------------------------------------- 11: seeing


def test_lead_department_sees_matter_assessment_and_report(org, outsider, login):
    a = _led_by_zjj(org)
    lead = login(org.zjj_handler)
    for url in (
        reverse("matters:detail", args=[a.matter_id]),
        reverse("assessments:detail", args=[a.pk]),
        reverse("reports:print", args=[a.pk]),
        reverse("opinions:matter", args=[a.matter_id]),
    ):
        assert lead.get(url).status_code == 200, url
    assert [m.pk for m in access.visible(org.zjj_handler, Matter.objects.all())] == [a.matter_id]
    out = login(outsider)
    for url in (
        reverse("matters:detail", args=[a.matter_id]),
        reverse("assessments:detail", args=[a.pk]),
        reverse("reports:print", args=[a.pk]),
    ):
        assert out.get(url).status_code == 404, url
    with pytest.raises(Http404):
        access.get_for_user(outsider, Assessment, a.pk)


def test_assisting_department_of_the_plan_sees_the_assessment(org, outsider):
    matter = register(org)
    a = actions.do_start_assessment(org.rsj_handler, matter)
    assert not access.can(outsider, a, "view")
    a = actions.do_complete_step(org.rsj_handler, a, a.current_step)
    actions.do_save_plan(
        org.rsj_handler,
        a,
        version=None,
        lead_department=org.rsj,
        assisting_departments=[outsider.memberships.get().department],
        plan_content="内容",
        plan_methods="座谈会",
        schedule_start=None,
        schedule_end=None,
    )
    outsider = type(outsider).objects.get(pk=outsider.pk)  # a fresh scope
    assert access.can(outsider, a, "view") and access.can(outsider, matter, "view")
    assert not access.can(outsider, a, "change")
    # Taken off the plan again: the matter closes to them.
    actions.do_save_plan(
        org.rsj_handler,
        Assessment.objects.get(pk=a.pk),
        version=None,
        lead_department=org.rsj,
        assisting_departments=[],
        plan_content="内容",
        plan_methods="座谈会",
        schedule_start=None,
        schedule_end=None,
    )
    outsider = type(outsider).objects.get(pk=outsider.pk)
    assert not access.can(outsider, matter, "view")


def test_supervisor_still_reads_and_changes_nothing(org):
    a = _led_by_zjj(org)
    assert access.can(org.supervisor, a, "view")
    assert not access.can(org.supervisor, a, "work")
    with pytest.raises(PermissionDenied):
        opinion_actions.do_record_activity(
            org.supervisor, a.matter, kind="symposium", date=timezone.localdate()
        )


def test_lead_member_list_query_count_is_constant(org, login, django_assert_max_num_queries):
    for i in range(30):
        matter_actions.do_register_matter(
            org.rsj_handler,
            title=f"事项{i}",
            scheme_key="ssra-town",
            category_code="focus_urban",
            department=org.rsj,
            lead_department=org.zjj,
        )
    client = login(org.zjj_handler)
    # 13 on a process's first page: the uploaded schemes' versions are read once and then
    # remembered, and a fresh login's session is written once (3).
    with django_assert_max_num_queries(13):
        response = client.get("/matters/")
    assert response.status_code == 200 and "事项29" in response.content.decode()
    with django_assert_max_num_queries(12):
        assert client.get("/matters/?page=2").status_code == 200


# ---------------------------------------------------------------- 11: the work given


def test_lead_member_does_the_shared_work_not_the_decisions(org):
    a = _led_by_zjj(org)
    lead = org.zjj_handler
    activity = opinion_actions.do_record_activity(
        lead, a.matter, kind="symposium", date=timezone.localdate(), participant_count=12
    )
    opinion_actions.do_add_attachment(lead, activity, SimpleUploadedFile("纪要.txt", b"x"))
    doc = matter_actions.do_add_document(lead, a.matter, SimpleUploadedFile("图.txt", b"x"))
    matter_actions.do_remove_document(lead, doc)
    actions.do_archive_document(lead, a, SimpleUploadedFile("方案.txt", b"x"), title="方案")
    refused = [
        lambda: actions.do_save_factor(lead, a, dimension="legality", title="争议"),
        lambda: actions.do_add_member(lead, a, kind="expert", name="王教授"),
        lambda: actions.do_complete_step(lead, a, a.current_step),
        lambda: actions.do_send_back(lead, a, "select", "理由"),
        lambda: matter_actions.do_designate_responsibility(
            lead, a.matter, body="government", note="文件"
        ),
        lambda: actions.do_save_plan(
            lead,
            a,
            version=None,
            lead_department=org.zjj,
            assisting_departments=[],
            plan_content="x",
            plan_methods="x",
            schedule_start=None,
            schedule_end=None,
        ),
    ]
    for attempt in refused:
        with pytest.raises(PermissionDenied):
            attempt()


def test_team_picker_offers_lead_and_assisting_people(org, outsider, login):
    a = _led_by_zjj(org)
    candidates = set(actions.team_candidates(a))
    assert {org.rsj_handler, org.rsj_unit_assessor, org.zjj_handler} <= candidates
    assert outsider not in candidates and org.supervisor not in candidates
    html = (
        login(org.rsj_handler)
        .get(reverse("assessments:detail", args=[a.pk]) + "?tab=plan")
        .content.decode()
    )
    assert f'value="{org.zjj_handler.pk}"' in html
    assert f'value="{outsider.pk}"' not in html
    with pytest.raises(ActionError, match="评估组的系统用户须来自责任主体或评估牵头、协助部门"):
        actions.do_add_member(org.rsj_handler, a, kind="staff", name="", user=outsider)


def test_lead_member_on_the_team_scores(org):
    a = _led_by_zjj(org)
    factor = actions.do_save_factor(
        org.rsj_handler, a, dimension="legality", title="补偿标准", **ESTIMATES
    )
    with pytest.raises(PermissionDenied):
        actions.do_score_factor(
            org.zjj_handler, factor, probability_level="high", impact_level="major"
        )
    actions.do_add_member(org.rsj_handler, a, kind="staff", name="", user=org.zjj_handler)
    actions.do_score_factor(org.zjj_handler, factor, probability_level="high", impact_level="major")
    assert RiskFactor.objects.get(pk=factor.pk).scores.get().assessor == org.zjj_handler


def test_team_api(org, outsider, client):
    a = _led_by_zjj(org)
    call = _api(client, org.rsj_handler)
    r = call("get", f"/assessments/{a.pk}/team/candidates")
    assert org.zjj_handler.pk in [u["id"] for u in r.json()]
    r = call("post", f"/assessments/{a.pk}/team", {"kind": "staff", "user_id": org.zjj_handler.pk})
    assert r.status_code == 201, r.json()
    member_id = r.json()["id"]
    assert r.json()["name"] == org.zjj_handler.real_name
    r = call("post", f"/assessments/{a.pk}/team", {"kind": "staff", "user_id": outsider.pk})
    assert r.status_code == 400 and "牵头、协助部门" in r.json()["detail"]
    assert [m["id"] for m in call("get", f"/assessments/{a.pk}/team").json()] == [member_id]
    # The lead member reads the team but may not change it.
    lead = _api(client, org.zjj_handler)
    assert lead("get", f"/assessments/{a.pk}/team").status_code == 200
    assert lead("delete", f"/team-members/{member_id}").status_code == 403
    assert _api(client, outsider)("get", f"/assessments/{a.pk}/team").status_code == 404
    assert call("delete", f"/team-members/{member_id}").status_code == 204
    assert not TeamMember.objects.filter(pk=member_id).exists()


def test_plan_api(org, client):
    a = _led_by_zjj(org)
    call = _api(client, org.rsj_handler)
    r = call("put", f"/assessments/{a.pk}/plan", {"plan_content": "x"})
    assert r.status_code == 400 and "尚未开始" in r.json()["detail"]
    a = actions.do_complete_step(org.rsj_handler, a, a.current_step)
    r = call(
        "put",
        f"/assessments/{a.pk}/plan",
        {
            "version": a.version,
            "lead_department_id": org.zjj.pk,
            "assisting_department_ids": [org.rsj_unit.pk],
            "plan_content": "住建局负责组织评估",
            "plan_methods": "座谈会、问卷调查",
            "schedule_start": "2026-03-01",
            "schedule_end": "2026-04-01",
        },
    )
    assert r.status_code == 200, r.json()
    plan = call("get", f"/assessments/{a.pk}/plan").json()
    assert plan["lead_department"] == "住建局"
    assert plan["assisting_department_ids"] == [org.rsj_unit.pk]
    assert plan["plan_content"] == "住建局负责组织评估"
    stale = call("put", f"/assessments/{a.pk}/plan", {"version": a.version, "plan_content": "y"})
    assert stale.status_code == 409


# ---------------------------------------------------------------- 13: designation


@pytest.fixture
def cross(org, fgj):
    """A 篇3 matter at its plan step whose assisting departments span 住建局 and 发改局."""
    matter = matter_actions.do_register_matter(
        org.rsj_handler,
        title="城区道路改造",
        scheme_key="ssra-town",
        category_code="focus_urban",
        department=org.rsj,
        lead_department=org.zjj,
        assisting_departments=[org.zjj, fgj],
    )
    a = actions.do_start_assessment(org.rsj_handler, matter)
    return actions.do_complete_step(org.rsj_handler, a, a.current_step)


def _plan(actor, a, assisting):
    return actions.do_save_plan(
        actor,
        Assessment.objects.get(pk=a.pk),
        version=None,
        lead_department=a.lead_department,
        assisting_departments=assisting,
        plan_content="内容",
        plan_methods="座谈会",
        schedule_start=None,
        schedule_end=None,
    )


def test_cross_department_plan_needs_designation(org, fgj, cross):
    with pytest.raises(ActionError) as refused:
        _plan(org.rsj_handler, cross, [org.zjj, fgj])
    assert QUOTE in refused.value.message and "发改局" in refused.value.message
    # Taking the bureaus off the plan does not help: the matter names them.
    with pytest.raises(ActionError, match="由党委、政府指定责任主体"):
        _plan(org.rsj_handler, cross, [])
    # Designation is recorded by a leader, by the 党委 or 政府 only, with its basis.
    with pytest.raises(PermissionDenied):
        matter_actions.do_designate_responsibility(
            org.rsj_handler, cross.matter, body="government", note="镇政府会议纪要"
        )
    with pytest.raises(ActionError, match="党委或政府"):
        matter_actions.do_designate_responsibility(
            org.rsj_head, cross.matter, body="party_group", note="纪要"
        )
    with pytest.raises(ActionError, match="指定依据"):
        matter_actions.do_designate_responsibility(
            org.rsj_head, cross.matter, body="government", note=" "
        )
    matter_actions.do_designate_responsibility(
        org.rsj_head, cross.matter, body="government", note=f"镇政府会议纪要〔{YEAR}〕3号"
    )
    event = Event.objects.filter(action="matters.matter.designate_responsibility").get()
    assert event.actor_id == org.rsj_head.pk
    _plan(org.rsj_handler, cross, [org.zjj, fgj])


def test_one_bureau_needs_no_designation(org):
    matter = register(org)
    a = actions.do_start_assessment(org.rsj_handler, matter)
    a = actions.do_complete_step(org.rsj_handler, a, a.current_step)
    # 住建局 alone (one bureau), and 人社局 with its own 科室 (one bureau).
    _plan(org.rsj_handler, a, [org.zjj])
    _plan(org.rsj_handler, a, [org.rsj, org.rsj_unit])


def test_scheme_without_the_rule_refuses_nothing(org, fgj):
    matter = register(org, scheme_key="ssra-bureau", category_code="major_decision")
    a = actions.do_start_assessment(org.rsj_handler, matter)
    a = actions.do_complete_step(org.rsj_handler, a, a.current_step)
    _plan(org.rsj_handler, a, [org.zjj, fgj])


def test_designation_through_page_and_api(org, fgj, cross, login, client):
    handler = login(org.rsj_handler)
    plan_url = reverse("assessments:plan", args=[cross.pk])
    response = handler.post(
        plan_url,
        {
            "version": cross.version,
            "lead_department": org.zjj.pk,
            "assisting_departments": [org.zjj.pk, fgj.pk],
            "plan_content": "住建局牵头组织评估",
            "plan_methods": "座谈会",
        },
    )
    html = response.content.decode()
    assert QUOTE in html and "住建局牵头组织评估" in html  # refused, and what was typed stays
    detail = handler.get(reverse("matters:detail", args=[cross.matter_id])).content.decode()
    assert QUOTE in detail
    tab = handler.get(reverse("assessments:detail", args=[cross.pk]) + "?tab=plan")
    assert QUOTE in tab.content.decode()
    r = _api(client, org.rsj_handler)("put", f"/assessments/{cross.pk}/plan", {"plan_content": "x"})
    assert r.status_code == 400 and QUOTE in r.json()["detail"]
    # The handler may not designate (page: 403); the head does it on the page.
    url = reverse("matters:responsibility", args=[cross.matter_id])
    assert handler.post(url, {"body": "government", "note": "纪要"}).status_code == 403
    head = login(org.rsj_head)
    assert head.get(url).status_code == 200
    response = head.post(url, {"body": "party_group", "note": "纪要"})
    assert (
        response.status_code == 200
        and not Matter.objects.get(pk=cross.matter_id).responsibility_body
    )
    response = head.post(url, {"body": "party_committee", "note": f"镇党委会议纪要〔{YEAR}〕3号"})
    assert response.status_code == 302
    assert Matter.objects.get(pk=cross.matter_id).responsibility_body == "party_committee"
    # The API twin (by the head, 政府 this time) and then the plan saves.
    api = _api(client, org.rsj_head)
    r = api(
        "post", f"/matters/{cross.matter_id}/responsibility", {"body": "government", "note": "文"}
    )
    assert r.status_code == 200 and r.json()["responsibility_body"] == "government"
    bad = api(
        "post", f"/matters/{cross.matter_id}/responsibility", {"body": "party_group", "note": "文"}
    )
    assert bad.status_code == 422
    r = _api(client, org.rsj_handler)(
        "put",
        f"/assessments/{cross.pk}/plan",
        {"lead_department_id": org.zjj.pk, "assisting_department_ids": [org.zjj.pk, fgj.pk]},
    )
    assert r.status_code == 200, r.json()


def test_plan_step_cannot_complete_when_the_matter_became_cross_department(org, fgj):
    """A determined user saves the plan first and adds the second bureau to the matter
    afterwards: the plan step still refuses to complete without the designation."""
    matter = register(org)
    a = actions.do_start_assessment(org.rsj_handler, matter)
    a = actions.do_complete_step(org.rsj_handler, a, a.current_step)
    _plan(org.rsj_handler, a, [org.zjj])
    actions.do_add_member(org.rsj_handler, a, kind="staff", name="", user=org.rsj_handler)
    # 篇3: the team has an invited expert and a public representative.
    actions.do_add_member(org.rsj_handler, a, kind="expert", name="王教授")
    actions.do_add_member(org.rsj_handler, a, kind="public", name="李代表")
    actions.do_archive_document(
        org.rsj_handler, a, SimpleUploadedFile("方案.txt", b"x"), title="方案"
    )
    matter = Matter.objects.get(pk=matter.pk)
    matter_actions.do_update_matter(
        org.rsj_handler,
        matter,
        version=matter.version,
        title=matter.title,
        kind=matter.kind,
        description=matter.description,
        category_code=matter.category_code,
        lead_department=org.rsj,
        assisting_departments=[org.zjj, fgj],
        deciding_authority=matter.deciding_authority,
        planned_decision_date=matter.planned_decision_date,
        confidential=matter.confidential,
    )
    with pytest.raises(ActionError, match="由党委、政府指定责任主体"):
        actions.do_complete_step(org.rsj_handler, Assessment.objects.get(pk=a.pk), "plan")
    matter_actions.do_designate_responsibility(
        org.rsj_head, Matter.objects.get(pk=matter.pk), body="party_committee", note="纪要"
    )
    a = actions.do_complete_step(org.rsj_handler, Assessment.objects.get(pk=a.pk), "plan")
    assert a.current_step != "plan"
