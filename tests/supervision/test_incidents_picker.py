"""The person held accountable (责任追究决定): chosen as a department the recording office
may see, then a fengping user holding a role in it, from the picker (a JSON endpoint
scoped through org.access) — or, for a person who is not a user, a free-text name. The
action checks the department and the person; a direct POST and the API meet the same
refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.org import actions as org_actions
from fengping.org.models import DepartmentKind, Role
from fengping.supervision.actions import incidents as actions
from fengping.supervision.models import AccountabilityDecision
from tests.conftest import PASSWORD, settled

from . import incident_builders as b

TODAY = dt.date(2026, 12, 1)


def person(org, username, real_name, department, role=Role.HANDLER):
    user, _ = org_actions.do_create_user(
        org.superuser,
        username=username,
        real_name=real_name,
        department=department,
        role=role,
        password=PASSWORD,
    )
    settled(user)
    return user


@pytest.fixture
def world(org):
    """The incident of the 维稳办; 人社局's 张伟 and 李娜 (plus the fixture's handler and
    head), a 维稳办 handler who sees only the 维稳办, and a department and person of
    another organisation (邻市), which the 维稳办 never sees."""
    other_root = org_actions.do_create_department(
        org.superuser, name="邻市人民政府", code="LS", kind=DepartmentKind.DECIDING
    )
    other = org_actions.do_create_department(
        org.superuser, name="邻市人社局", code="LS-RSJ", kind="functional", parent=other_root
    )
    return {
        "incident": b.incident(org),
        "zhang": person(org, "zhangwei", "张伟", org.rsj),
        "li": person(org, "lina", "李娜", org.rsj, Role.LEADER),
        "wwb_handler": person(org, "wwb_handler", "王芳", org.wwb),
        "other": other,
        "stranger": person(org, "ls_handler", "赵强", other),
    }


def people_url(world):
    return reverse("supervision:incident_accountability_people", args=[world["incident"].pk])


def _decision(**values):
    data = {
        "person_role": "direct",
        "measure": "admonition",
        "doc_number": "示维稳〔2026〕8号",
        "decided_on": TODAY,
        "reason": "评估流于形式",
    }
    data.update(values)
    return data


# ------------------------------------------------------------------ the picker


def test_the_picker_lists_the_people_of_the_department(org, login, world):
    client = login(org.supervisor)
    url = people_url(world)
    body = client.get(url, {"department": org.rsj.pk}).json()
    # The people holding a role in 人社局 itself (养老保险科's assessor is chosen there).
    assert {r["id"] for r in body["results"]} == {
        org.rsj_handler.pk,
        org.rsj_head.pk,
        world["zhang"].pk,
        world["li"].pk,
    }
    assert body["more"] is False
    assert "张伟（zhangwei）" in [r["text"] for r in body["results"]]
    for q in ("张", " 张\x00", "zhangw"):
        found = client.get(url, {"department": org.rsj.pk, "q": q}).json()["results"]
        assert [r["id"] for r in found] == [world["zhang"].pk], q
    assert [
        r["id"] for r in client.get(url, {"department": org.rsj_unit.pk}).json()["results"]
    ] == [org.rsj_unit_assessor.pk]
    assert client.get(url).json() == {"results": [], "more": False}


def test_the_picker_is_scoped(org, login, world):
    url = people_url(world)
    rsj = {"department": org.rsj.pk}
    # Outside the incident: 404, as if it did not exist; its readers: 403.
    for outsider in (org.rsj_head, org.zjj_handler):
        assert login(outsider).get(url, rsj).status_code == 404
    assert login(org.lxb_supervisor).get(url, rsj).status_code == 403
    # An office member who sees only the 维稳办 lists its people, never 人社局's.
    handler = login(world["wwb_handler"])
    assert handler.get(url, rsj).status_code == 404
    own = handler.get(url, {"department": org.wwb.pk}).json()["results"]
    assert {r["id"] for r in own} == {org.supervisor.pk, world["wwb_handler"].pk}
    # Another organisation's department, and values that are no department: 404.
    client = login(org.supervisor)
    for value in (world["other"].pk, "abc", "²", "9" * 40, "-1"):
        assert client.get(url, {"department": value}).status_code == 404, value
    assert client.post(url, rsj).status_code == 405


def test_a_long_department_is_cut_with_a_note(org, login, world):
    for n in range(51):
        person(org, f"rsj{n:02d}", f"科员{n:02d}", org.rsj)
    body = login(org.supervisor).get(people_url(world), {"department": org.rsj.pk}).json()
    assert len(body["results"]) == 50 and body["more"] is True


# ------------------------------------------------------------------ the action


def test_the_action_refuses_a_person_of_another_department(org, world):
    incident = world["incident"]
    events = Event.objects.count()
    refusals = [
        # a user of 住建局 named for 人社局
        (org.supervisor, {"department": org.rsj, "person": org.zjj_handler}, "person"),
        # 养老保险科's assessor holds no role in 人社局 itself
        (org.supervisor, {"department": org.rsj, "person": org.rsj_unit_assessor}, "person"),
        # a department of another organisation
        (org.supervisor, {"department": world["other"], "person_name": "赵强"}, "department"),
        (org.supervisor, {"department": world["other"], "person": world["stranger"]}, "department"),
        # an office member who does not see 人社局
        (world["wwb_handler"], {"department": org.rsj, "person": world["zhang"]}, "department"),
        # a user and another name
        (
            org.supervisor,
            {"department": org.rsj, "person": world["zhang"], "person_name": "张三"},
            "person_name",
        ),
    ]
    for actor, values, field in refusals:
        with pytest.raises(ActionError) as exc:
            actions.do_record_decision(actor, incident, **_decision(**values))
        assert exc.value.field == field, values
    with pytest.raises(ActionError, match="被追究人须是被追究单位（人社局）的人员"):
        actions.do_record_decision(
            org.supervisor, incident, **_decision(department=org.rsj, person=org.zjj_handler)
        )
    with pytest.raises(ActionError, match="被追究单位须是维稳办可以查看的部门"):
        actions.do_record_decision(
            world["wwb_handler"], incident, **_decision(department=org.rsj, person_name="某人")
        )
    with pytest.raises(ActionError, match="请选择被追究人"):
        actions.do_record_decision(org.supervisor, incident, **_decision(department=org.rsj))
    assert not AccountabilityDecision.objects.exists()
    assert Event.objects.count() == events


def test_the_action_records_a_user_or_a_name(org, world):
    incident = world["incident"]
    d = actions.do_record_decision(
        org.supervisor, incident, **_decision(department=org.rsj, person=world["zhang"])
    )
    assert d.person == world["zhang"] and d.person_name == "张伟"
    same = actions.do_record_decision(
        org.supervisor,
        incident,
        **_decision(department=org.rsj, person=world["li"], person_name="李娜", doc_number="9号"),
    )
    assert same.person == world["li"]
    named = actions.do_record_decision(
        org.supervisor,
        incident,
        **_decision(department=org.rsj, person_name="陈静（已调离）", doc_number="10号"),
    )
    assert named.person is None and named.person_name == "陈静（已调离）"
    event = Event.objects.filter(action="supervision.accountability.record").order_by("-seq")[2]
    assert event.after["person"] == world["zhang"].pk


# ------------------------------------------------------------------ the page


def test_the_page_offers_the_picker_and_shows_the_refusal(org, login, world):
    incident = world["incident"]
    client = login(org.supervisor)
    url = reverse("supervision:incident_accountability_new", args=[incident.pk])
    text = client.get(url).content.decode()
    assert "fengping/picker.js" in text
    assert f'data-picker-url="{people_url(world)}"' in text
    assert "人社局" in text and "邻市人社局" not in text
    assert "zhangwei" not in text  # no department chosen yet: no people listed
    form = {**_decision(), "decided_on": "2026-12-01", "department": org.rsj.pk}
    # A user of another department, posted directly: the action's refusal on the form.
    r = client.post(url, {**form, "person": org.zjj_handler.pk})
    text = r.content.decode()
    assert r.status_code == 200 and "被追究人须是被追究单位（人社局）的人员" in text
    # Shown again, the select offers 人社局's people (the page works without JavaScript).
    assert "张伟（zhangwei）" in text and "zjj_handler（zjj_handler）" not in text
    r = client.post(url, {**form, "department": world["other"].pk, "person_name": "赵强"})
    text = r.content.decode()
    assert r.status_code == 200 and "被追究单位须是维稳办可以查看的部门" in text
    assert "邻市人社局" not in text
    # Someone the supervisor cannot see is no choice at all.
    r = client.post(url, {**form, "person": world["stranger"].pk})
    assert r.status_code == 200 and not AccountabilityDecision.objects.exists()
    r = client.post(url, {**form, "person": world["zhang"].pk})
    assert r.status_code == 302
    d = AccountabilityDecision.objects.get()
    assert (d.person, d.person_name, d.department) == (world["zhang"], "张伟", org.rsj)
    detail = client.get(reverse("supervision:incident", args=[incident.pk])).content.decode()
    assert "张伟" in detail and "zhangwei" in detail


# ------------------------------------------------------------------ the API


def test_the_api_takes_user_and_department_ids_with_the_same_checks(org, api, world):
    incident = world["incident"]
    call = api(org.supervisor)
    path = f"/supervision/incidents/{incident.pk}/accountability"
    body = {**_decision(), "decided_on": "2026-12-01", "department_id": org.rsj.pk}
    r = call("post", path, {**body, "user_id": org.zjj_handler.pk})
    assert r.status_code == 400
    assert "被追究人须是被追究单位（人社局）的人员" in r.json()["detail"]
    # A person or department the caller cannot see: as if missing.
    assert call("post", path, {**body, "user_id": world["stranger"].pk}).status_code == 404
    other = {**body, "department_id": world["other"].pk, "person_name": "赵强"}
    assert call("post", path, other).status_code == 404
    # 维稳办's handler sees 人社局 through no role: as if it did not exist.
    r = api(world["wwb_handler"])("post", path, {**body, "person_name": "某人"})
    assert r.status_code == 404
    r = call("post", path, {**body, "user_id": world["li"].pk, "person_username": "zhangwei"})
    assert r.status_code == 400
    assert not AccountabilityDecision.objects.exists()
    r = call("post", path, {**body, "user_id": world["li"].pk})
    assert r.status_code == 201
    assert (r.json()["user_id"], r.json()["person_name"]) == (world["li"].pk, "李娜")
    listed = call("get", path).json()
    assert [d["user_id"] for d in listed] == [world["li"].pk]
    r = call("post", path, {**body, "person_name": "陈静", "doc_number": "11号"})
    assert r.status_code == 201 and r.json()["user_id"] is None
