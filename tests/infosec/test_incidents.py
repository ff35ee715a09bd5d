"""The system's 安全事件 tab: list, XLSX, record, edit, remove — page and API."""

from __future__ import annotations

import io

from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from fengping.infosec.actions import incidents, threats
from fengping.infosec.models import Incident, ThreatRating

from .builders import make_system, start


def test_record_list_export_edit_delete(org, login):
    system = make_system(org)
    c = login(org.rsj_handler)
    add = reverse("infosec:incident_add", args=[system.pk])
    r = c.post(
        add, {"occurred_on": "2026-02-03", "title": "病毒感染", "threat_class": "malicious_code"}
    )
    assert r.status_code == 302
    page = c.get(reverse("infosec:system_incidents", args=[system.pk])).content.decode()
    assert "病毒感染" in page and "恶意代码" in page and "登记安全事件" in page
    xlsx = c.get(reverse("infosec:incidents_export", args=[system.pk]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert any("病毒感染" in [str(v) for v in row] for row in sheet.iter_rows(values_only=True))
    inc = Incident.objects.get(system=system)
    edit = reverse("infosec:incident_edit", args=[inc.pk])
    assert "删除该安全事件" in c.get(edit).content.decode()
    r = c.post(
        edit,
        {
            "version": inc.version + 1,
            "occurred_on": "2026-02-03",
            "title": "x",
            "threat_class": "malicious_code",
        },
    )
    assert r.status_code == 200 and "已被他人修改" in r.content.decode()
    r = c.post(reverse("infosec:incident_delete", args=[inc.pk]))
    assert r.status_code == 302 and not Incident.objects.exists()


def test_page_refusals(org, login):
    system = make_system(org)
    inc = incidents.do_record_incident(
        org.rsj_handler,
        system,
        occurred_on="2026-01-01",
        title="断电",
        threat_class="physical_environment",
    )
    assert (
        login(org.supervisor).get(reverse("infosec:system_incidents", args=[system.pk])).status_code
        == 200
    )
    assert (
        login(org.supervisor).post(reverse("infosec:incident_delete", args=[inc.pk])).status_code
        == 403
    )
    assert (
        login(org.zjj_handler)
        .get(reverse("infosec:system_incidents", args=[system.pk]))
        .status_code
        == 404
    )
    r = login(org.rsj_handler).post(
        reverse("infosec:incident_add", args=[system.pk]),
        {"occurred_on": "2999-01-01", "title": "x", "threat_class": "tampering"},
    )
    assert r.status_code == 200 and "晚于今天" in r.content.decode()


def test_api_and_counts_in_the_open_assessment(org, api):
    system = make_system(org)
    a = start(org, system)
    t = threats.do_add_threat(org.rsj_handler, a, threat_class="tampering", frequency=1)
    call = api(org.rsj_handler)
    today = timezone.localdate().isoformat()
    r = call(
        "post",
        f"/infosec/systems/{system.pk}/incidents",
        {
            "occurred_on": today,
            "title": "首页被篡改",
            "threat_class": "tampering",
        },
    )
    assert r.status_code == 201, r.content
    assert ThreatRating.objects.get(pk=t.pk).incident_count == 1
    iid = r.json()["id"]
    r = call(
        "put",
        f"/infosec/incidents/{iid}",
        {
            "occurred_on": today,
            "title": "首页被篡改",
            "threat_class": "disclosure",
            "version": 1,
        },
    )
    assert r.status_code == 200 and r.json()["version"] == 2
    assert ThreatRating.objects.get(pk=t.pk).incident_count == 0
    assert [i["title"] for i in call("get", f"/infosec/systems/{system.pk}/incidents").json()] == [
        "首页被篡改"
    ]
    assert api(org.supervisor)("delete", f"/infosec/incidents/{iid}").status_code == 403
    assert api(org.zjj_handler)("delete", f"/infosec/incidents/{iid}").status_code == 404
    assert call("delete", f"/infosec/incidents/{iid}").status_code == 204
