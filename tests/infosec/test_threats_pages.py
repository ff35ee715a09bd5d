"""The 威胁评估 tab and its API: the same actions, the same refusals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fengping.infosec.actions import threats
from fengping.infosec.models import AssessmentStatus, SystemAssessment, ThreatRating

from .builders import add_assets, make_system, start


@pytest.fixture
def assessment(org):
    system = make_system(org)
    add_assets(system, 1)
    return start(org, system)


def test_tab_lists_threats_with_proposals(org, assessment, login):
    threats.do_seed_threats_from_catalogue(org.rsj_handler, assessment)
    page = login(org.rsj_handler).get(reverse("infosec:assessment_threats", args=[assessment.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "恶意代码" in body and "人为因素（有意）" in body and "发起管理员调查" in body
    reader = login(org.supervisor).get(reverse("infosec:assessment_threats", args=[assessment.pk]))
    assert reader.status_code == 200 and "发起管理员调查" not in reader.content.decode()
    outsider = login(org.zjj_handler).get(
        reverse("infosec:assessment_threats", args=[assessment.pk])
    )
    assert outsider.status_code == 404


def test_add_and_edit_through_the_form(org, assessment, login):
    c = login(org.rsj_handler)
    url = reverse("infosec:threat_add", args=[assessment.pk])
    assert c.get(url).status_code == 200
    r = c.post(
        url,
        {"threat_class": "network_attack", "frequency": "4", "threat_actor": "黑客", "origin": ""},
    )
    assert r.status_code == 302
    t = ThreatRating.objects.get(assessment=assessment)
    assert (t.actor, t.origin, t.frequency) == ("黑客", "human_malicious", 4)
    edit = reverse("infosec:threat_edit", args=[t.pk])
    # a stale version: the form comes back with the message, nothing saved
    r = c.post(edit, {"version": t.version + 1, "threat_class": "network_attack", "frequency": "2"})
    assert r.status_code == 200 and "已被他人修改" in r.content.decode()
    r = c.post(edit, {"version": t.version, "threat_class": "network_attack", "frequency": "2"})
    assert r.status_code == 302
    assert ThreatRating.objects.get(pk=t.pk).frequency == 2


def test_page_refusals(org, assessment, login):
    t = threats.do_add_threat(org.rsj_handler, assessment, threat_class="tampering", frequency=2)
    sup = login(org.supervisor)
    assert sup.post(reverse("infosec:threat_add", args=[assessment.pk]), {}).status_code == 403
    assert sup.post(reverse("infosec:threat_delete", args=[t.pk])).status_code == 403
    out = login(org.zjj_handler)
    assert out.post(reverse("infosec:threat_edit", args=[t.pk]), {}).status_code == 404
    SystemAssessment.objects.filter(pk=assessment.pk).update(status=AssessmentStatus.FINISHED)
    c = login(org.rsj_handler)
    r = c.post(
        reverse("infosec:threat_edit", args=[t.pk]),
        {"version": t.version, "threat_class": "tampering", "frequency": "3"},
    )
    assert r.status_code == 200 and "已办结" in r.content.decode()
    page = c.get(reverse("infosec:assessment_threats", args=[assessment.pk])).content.decode()
    assert "添加威胁" not in page


def test_survey_button_publishes(org, assessment, login):
    threats.do_add_threat(org.rsj_handler, assessment, threat_class="tampering", frequency=2)
    c = login(org.rsj_handler)
    r = c.post(reverse("infosec:threat_survey", args=[assessment.pk]))
    assert r.status_code == 302 and "/opinions/questionnaires/" in r["Location"]
    page = c.get(reverse("infosec:assessment_threats", args=[assessment.pk])).content.decode()
    assert "威胁发生可能性调查" in page and "已收到 0 份答卷" in page
    r = c.post(reverse("infosec:threat_refresh", args=[assessment.pk]), follow=True)
    assert "已更新建议值" in r.content.decode()


def test_api(org, assessment, api):
    call = api(org.rsj_handler)
    r = call(
        "post",
        f"/infosec/assessments/{assessment.pk}/threats",
        {
            "threat_class": "disclosure",
            "frequency": 3,
            "actor": "内部人员",
        },
    )
    assert r.status_code == 201, r.content
    tid = r.json()["id"]
    assert r.json()["actor"] == "内部人员" and r.json()["origin"] == "human_malicious"
    r = call(
        "put",
        f"/infosec/threats/{tid}",
        {
            "threat_class": "disclosure",
            "frequency": 4,
            "version": 99,
        },
    )
    assert r.status_code == 409
    r = call(
        "put",
        f"/infosec/threats/{tid}",
        {"threat_class": "disclosure", "frequency": 4, "version": 1},
    )
    assert r.status_code == 200 and r.json()["frequency"] == 4
    r = call("get", f"/infosec/assessments/{assessment.pk}/threats")
    assert [t["code"] for t in r.json()] == ["T01"]
    r = call("post", f"/infosec/assessments/{assessment.pk}/threat-survey", {})
    assert r.status_code == 201 and r.json()["token"]
    assert call("post", f"/infosec/assessments/{assessment.pk}/threats/refresh").json() == {
        "changed": 0
    }
    r = api(org.supervisor)("delete", f"/infosec/threats/{tid}")
    assert r.status_code == 403
    r = api(org.zjj_handler)("delete", f"/infosec/threats/{tid}")
    assert r.status_code == 404
    SystemAssessment.objects.filter(pk=assessment.pk).update(status=AssessmentStatus.FINISHED)
    r = call("delete", f"/infosec/threats/{tid}")
    assert r.status_code == 400 and "已办结" in r.json()["detail"]


def test_reading_the_tabs_writes_nothing(org, assessment, login):
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    write = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
    threats.do_add_threat(org.rsj_handler, assessment, threat_class="tampering", frequency=2)
    qn = threats.do_create_threat_survey(org.rsj_handler, assessment)
    c = login(org.supervisor)
    urls = [
        reverse("infosec:assessment_threats", args=[assessment.pk]),
        reverse("infosec:assessment_vuln_checklists", args=[assessment.pk]),
        reverse("infosec:assessment_measures", args=[assessment.pk]),
        reverse("infosec:system_incidents", args=[assessment.system_id]),
        reverse("opinions:questionnaire", args=[qn.pk]),
        f"/api/infosec/assessments/{assessment.pk}/threats",
    ]
    c.get(urls[0])  # the session is settled by the first request
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200, url
        writes = [q["sql"] for q in ctx.captured_queries if write.match(q["sql"])]
        assert not writes, (url, writes)
