"""Incidents and accountability: recording, linking, adopting a finding, accountability
decisions and closing the investigation — every refusal through the action, the page and
the API; the lists with their XLSX exports and pinned query counts; the audit labels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from fengping.audit.models import Event
from fengping.core.concurrency import StaleVersion
from fengping.core.errors import ActionError
from fengping.supervision.actions import incidents as actions
from fengping.supervision.models import AccountabilityDecision, Finding, IncidentLink

from . import incident_builders as b

TODAY = dt.date(2026, 12, 1)


def _decision(**values):
    data = {
        "person_role": "direct",
        "person_name": "张三",
        "measure": "admonition",
        "doc_number": "示维稳〔2026〕3号",
        "decided_on": TODAY,
        "reason": "评估流于形式",
    }
    data.update(values)
    return data


@pytest.fixture
def rushed(org):
    """An incident linked to a matter whose assessment was rushed (formality)."""
    m = b.matter(org)
    b.assessed(org, m, days=1, respondents=3, queries=1)
    incident = b.incident(org)
    link = actions.do_link(org.supervisor, incident, matter=m)
    return incident, link, m


# ------------------------------------------------------------------ actions


def test_record_and_edit_with_version_lock(org):
    incident = b.incident(org)
    assert incident.office == org.wwb and incident.recorded_by == org.supervisor
    fields = {n: getattr(incident, n) for n in actions.INCIDENT_FIELDS}
    updated = actions.do_update_incident(
        org.supervisor, incident, version=incident.version, **{**fields, "cause": "调整方案未公开"}
    )
    assert updated.cause == "调整方案未公开" and updated.version == 2
    with pytest.raises(StaleVersion):
        actions.do_update_incident(org.supervisor, incident, version=1, **fields)
    assert Event.objects.filter(action="supervision.incident.update").count() == 1


def test_only_office_members_record_and_change(org):
    with pytest.raises(PermissionDenied):
        actions.do_record_incident(
            org.lxb_supervisor,
            office=org.wwb,
            kind="mass",
            title="x",
            occurred_at=timezone.now(),
            description="x",
        )
    with pytest.raises(ActionError):
        actions.do_record_incident(
            org.supervisor,
            office=org.rsj,
            kind="mass",
            title="x",
            occurred_at=timezone.now(),
            description="x",
        )
    incident = b.incident(org)
    fields = {n: getattr(incident, n) for n in actions.INCIDENT_FIELDS}
    for outsider in (org.lxb_supervisor, org.rsj_head):
        with pytest.raises(PermissionDenied):
            actions.do_update_incident(outsider, incident, version=None, **fields)


def test_link_department_and_twice(org, rushed):
    incident, link, m = rushed
    assert link.department == org.rsj
    with pytest.raises(ActionError, match="已关联该事件"):
        actions.do_link(org.supervisor, incident, matter=m)
    with pytest.raises(ActionError, match="没有找到"):
        actions.resolve_target(org.supervisor, "case", "无此案号")
    with pytest.raises(PermissionDenied):
        actions.do_link(org.lxb_supervisor, incident, matter=m)


def test_adopt_finding_rules(org, rushed):
    _incident, link, _m = rushed
    with pytest.raises(ActionError, match="须写明认定意见") as exc:
        actions.do_adopt_finding(org.supervisor, link, finding=Finding.MITIGATED)
    assert exc.value.field == "note"
    link = actions.do_adopt_finding(org.supervisor, link, finding=Finding.FORMALITY)
    assert link.proposed == Finding.FORMALITY and link.found_by == org.supervisor
    assert "评估用时 1 天（少于 3 天）" in link.compiled["proposal"]["signs"]
    # Changing an adopted finding needs the reason.
    with pytest.raises(ActionError, match="须写明认定意见"):
        actions.do_adopt_finding(org.supervisor, link, finding=Finding.NOT_IMPLEMENTED)
    link = actions.do_adopt_finding(
        org.supervisor, link, finding=Finding.NOT_IMPLEMENTED, note="复核后改变认定"
    )
    assert link.finding == Finding.NOT_IMPLEMENTED
    with pytest.raises(ActionError, match="已作出认定的关联不能取消"):
        actions.do_unlink(org.supervisor, link)
    with pytest.raises(PermissionDenied):
        actions.do_adopt_finding(org.lxb_supervisor, link, finding=Finding.FORMALITY)


def test_accountability_rules(org, rushed):
    incident, link, _m = rushed
    actions.do_adopt_finding(org.supervisor, link, finding=Finding.FORMALITY)
    link.refresh_from_db()
    with pytest.raises(ActionError, match="酌情减轻") as exc:
        actions.do_record_decision(
            org.supervisor, incident, department=org.rsj, link=link, mitigated=True, **_decision()
        )
    assert exc.value.field == "mitigated"
    with pytest.raises(ActionError) as exc:
        actions.do_record_decision(
            org.supervisor, incident, department=org.rsj, **_decision(discipline="warning")
        )
    assert exc.value.field == "discipline"
    with pytest.raises(ActionError) as exc:
        actions.do_record_decision(
            org.supervisor, incident, department=org.rsj, **_decision(measure="discipline")
        )
    assert exc.value.field == "discipline"
    with pytest.raises(ActionError) as exc:
        actions.do_record_decision(
            org.supervisor, incident, department=org.rsj, **_decision(doc_number=" ")
        )
    assert exc.value.field == "doc_number"
    with pytest.raises(PermissionDenied):
        actions.do_record_decision(org.lxb_supervisor, incident, department=org.rsj, **_decision())
    d = actions.do_record_decision(
        org.supervisor,
        incident,
        department=org.rsj,
        link=link,
        **_decision(measure="discipline", discipline="demerit"),
    )
    assert d.discipline == "demerit" and d.person_name == "张三"


def test_mitigated_only_on_a_mitigated_link(org):
    m = b.matter(org)
    b.assessed(org, m, measures=((10, True),))
    incident = b.incident(org)
    link = actions.do_link(org.supervisor, incident, matter=m)
    link = actions.do_adopt_finding(org.supervisor, link, finding=Finding.MITIGATED)
    d = actions.do_record_decision(
        org.supervisor, incident, department=org.rsj, link=link, mitigated=True, **_decision()
    )
    assert d.mitigated
    with pytest.raises(ActionError, match="酌情减轻"):
        actions.do_adopt_finding(org.supervisor, link, finding=Finding.FORMALITY, note="改")


def test_close_needs_every_link_found(org, rushed):
    incident, link, _m = rushed
    with pytest.raises(ActionError, match="尚未作出认定"):
        actions.do_close_incident(org.supervisor, incident)
    actions.do_adopt_finding(org.supervisor, link, finding=Finding.FORMALITY)
    incident = actions.do_close_incident(org.supervisor, incident)
    assert incident.closed_at is not None
    with pytest.raises(ActionError, match="调查已终结"):
        actions.do_link(org.supervisor, incident, matter=b.matter(org, title="另一事项"))
    assert set(
        Event.objects.filter(action__startswith="supervision.incident").values_list(
            "action", flat=True
        )
    ) == {
        "supervision.incident.record",
        "supervision.incident.link",
        "supervision.incident.find",
        "supervision.incident.close",
    }


# ------------------------------------------------------------------ pages


def test_pages_flow(org, login, rushed):
    incident, link, m = rushed
    client = login(org.supervisor)
    r = client.get(reverse("supervision:incident", args=[incident.pk]))
    assert r.status_code == 200
    text = r.content.decode()
    assert "评估流于形式" in text and "评估用时 1 天" in text and "1 条质疑未答复" in text
    # Linking twice: the refusal on the form.
    r = client.post(
        reverse("supervision:incident_link", args=[incident.pk]), {"kind": "matter", "ref": m.pk}
    )
    assert r.status_code == 200 and "已关联该事件" in r.content.decode()
    # A finding other than the proposed one without a note.
    url = reverse("supervision:incident_link_find", args=[link.pk])
    r = client.post(url, {"finding": "mitigated", "note": "", "version": link.version})
    assert r.status_code == 200 and "须写明认定意见" in r.content.decode()
    r = client.post(url, {"finding": "formality", "note": "", "version": link.version})
    assert r.status_code == 302
    # Changing the adopted finding without a reason.
    link.refresh_from_db()
    r = client.post(url, {"finding": "not_implemented", "note": "", "version": link.version})
    assert r.status_code == 200 and "须写明认定意见" in r.content.decode()
    # A stale version: the conflict is on the form, nothing is overwritten.
    r = client.post(url, {"finding": "formality", "note": "再认定", "version": 1})
    assert r.status_code == 200
    link.refresh_from_db()
    assert link.finding == Finding.FORMALITY and link.finding_note == ""
    # Mitigated on a link not found mitigated; discipline without the measure.
    new = reverse("supervision:incident_accountability_new", args=[incident.pk])
    form = {**_decision(), "department": org.rsj.pk, "link": link.pk, "decided_on": "2026-12-01"}
    r = client.post(new, {**form, "mitigated": "on"})
    assert r.status_code == 200 and "酌情减轻" in r.content.decode()
    r = client.post(new, {**form, "discipline": "warning"})
    assert r.status_code == 200 and "纪律处分" in r.content.decode()
    assert not AccountabilityDecision.objects.exists()
    assert client.post(new, form).status_code == 302
    assert client.post(reverse("supervision:incident_close", args=[incident.pk])).status_code == 302
    # Readers: 联席办's supervisor reads, changes nothing; 人社局 sees nothing.
    reader = login(org.lxb_supervisor)
    assert reader.get(reverse("supervision:incident", args=[incident.pk])).status_code == 200
    assert reader.post(url, {"finding": "formality"}).status_code == 403
    outsider = login(org.rsj_head)
    assert outsider.get(reverse("supervision:incident", args=[incident.pk])).status_code == 404


def test_new_incident_page(org, login):
    client = login(org.supervisor)
    r = client.post(
        reverse("supervision:incident_new"),
        {
            "office": org.wwb.pk,
            "kind": "petition",
            "title": "征地补偿集体上访",
            "occurred_at": "2026-11-20T09:30",
            "people": 60,
            "description": "村民集体上访",
        },
    )
    assert r.status_code == 302
    assert login(org.rsj_head).get(reverse("supervision:incident_new")).status_code == 403


def test_lists_and_exports(org, login, django_assert_max_num_queries):
    for n in range(3):
        incident = b.incident(org, title=f"事件{n}")
        link = actions.do_link(org.supervisor, incident, matter=b.matter(org, title=f"事项{n}"))
        actions.do_record_decision(
            org.supervisor,
            incident,
            department=org.rsj,
            link=link,
            **_decision(doc_number=f"示维稳〔2026〕{n}号"),
        )
    client = login(org.supervisor)
    for name in ("incidents", "accountability"):
        with django_assert_max_num_queries(11):  # with the notification bell's count
            r = client.get(reverse(f"supervision:{name}"))
        assert r.status_code == 200
    r = client.get(reverse("supervision:incidents") + "?kind=mass&occurred_from=2020-01-01")
    assert "事件2" in r.content.decode()
    r = client.get(reverse("supervision:incidents") + "?kind=infosec")
    assert "事件2" not in r.content.decode()
    for name in ("incident_export", "accountability_export"):
        r = client.get(reverse(f"supervision:{name}"))
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd")
    assert "事件0" not in login(org.rsj_head).get(reverse("supervision:incidents")).content.decode()


# ------------------------------------------------------------------ API


def test_api_flow_and_refusals(org, api, rushed):
    incident, link, m = rushed
    call = api(org.supervisor)
    r = call(
        "post", f"/supervision/incidents/{incident.pk}/links", {"kind": "matter", "ref": str(m.pk)}
    )
    assert r.status_code == 400 and "已关联该事件" in r.json()["detail"]
    body = call("get", f"/supervision/incident-links/{link.pk}").json()
    assert body["proposed"] == "formality" and "1 条质疑未答复" in body["signs"]
    r = call("post", f"/supervision/incident-links/{link.pk}/finding", {"finding": "mitigated"})
    assert r.status_code == 400
    r = call("post", f"/supervision/incident-links/{link.pk}/finding", {"finding": "formality"})
    assert r.status_code == 200 and r.json()["finding"] == "formality"
    assert r.json()["history"]["opinions"]["unanswered"] == 1
    finding = f"/supervision/incident-links/{link.pk}/finding"
    r = call("post", finding, {"finding": "not_implemented"})
    assert r.status_code == 400 and "须写明认定意见" in r.json()["detail"]
    assert call("post", finding, {"finding": "formality", "version": 1}).status_code == 409
    decision = {
        **_decision(),
        "decided_on": "2026-12-01",
        "department_id": org.rsj.pk,
        "link_id": link.pk,
    }
    path = f"/supervision/incidents/{incident.pk}/accountability"
    assert call("post", path, {**decision, "mitigated": True}).status_code == 400
    assert call("post", path, {**decision, "discipline": "warning"}).status_code == 400
    assert call("post", path, decision).status_code == 201
    assert call("get", "/supervision/accountability").json()["count"] == 1
    assert call("post", f"/supervision/incidents/{incident.pk}/close").status_code == 200
    reader = api(org.lxb_supervisor)
    assert reader("get", f"/supervision/incidents/{incident.pk}").status_code == 200
    assert reader("post", path, decision).status_code == 403
    assert api(org.rsj_head)("get", f"/supervision/incidents/{incident.pk}").status_code == 404
    r = call(
        "post",
        "/supervision/incidents",
        {
            "office_id": org.wwb.pk,
            "kind": "infosec",
            "title": "网站被篡改",
            "occurred_at": timezone.now().isoformat(),
            "description": "首页被篡改",
        },
    )
    assert r.status_code == 201
    assert (
        api(org.lxb_supervisor)(
            "post",
            "/supervision/incidents",
            {
                "office_id": org.wwb.pk,
                "kind": "infosec",
                "title": "x",
                "occurred_at": timezone.now().isoformat(),
                "description": "x",
            },
        ).status_code
        == 403
    )


def test_links_unlinked_before_a_finding(org, api, rushed):
    _incident, link, _m = rushed
    assert (
        api(org.supervisor)("delete", f"/supervision/incident-links/{link.pk}").status_code == 204
    )
    assert not IncidentLink.objects.exists()


def test_the_demo_loads_once(db):
    from fengping.org.demo import load_demo as load_org
    from fengping.supervision.demos import s50_incidents

    load_org()
    assert s50_incidents.load() == 1
    assert s50_incidents.load() == 0
    link = IncidentLink.objects.get()
    assert link.proposed == link.finding == Finding.FORMALITY
    signs = link.compiled["proposal"]["signs"]
    assert "1 条质疑未答复" in signs and any(s.startswith("评估用时") for s in signs)
    assert AccountabilityDecision.objects.get().link == link
