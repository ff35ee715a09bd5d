"""Vulnerability statuses by hand, manual audit findings and mapping unmatched hosts:
the rules refuse through the action, the page and the API alike; readers (the supervisor)
change nothing (403), another department sees nothing (404)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from fengping.api.tokens import do_create_token
from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.infosec.actions.vulnerabilities import (
    do_add_audit_finding,
    do_import_scan,
    do_set_vulnerability_status,
)
from fengping.infosec.models import Vulnerability, VulnStatus

from .builders import add_assets, leader_of, make_system, start
from .test_scan_import import DATA, nessus


@pytest.fixture
def system(org):
    s = make_system(org)
    add_assets(s, 2)
    return s


@pytest.fixture
def vuln(org, system):
    data = nessus({"10.0.0.1": [("3001", "443", "6.5")]})  # 中危: the handler may close it
    do_import_scan(org.rsj_handler, system, SimpleUploadedFile("s.nessus", data))
    return Vulnerability.objects.get(plugin_id="3001")


@pytest.fixture
def critical(org, system):
    data = nessus({"10.0.0.2": [("3002", "445", "9.8")]})
    do_import_scan(org.rsj_handler, system, SimpleUploadedFile("c.nessus", data))
    return Vulnerability.objects.get(plugin_id="3002")


@pytest.mark.parametrize("status", ["false_positive", "closed"])
def test_only_a_leader_takes_a_critical_finding_out_of_the_register(
    org, critical, status, login, api
):
    """The assessor who found a 超危 finding cannot make it disappear by calling it 误报 or
    closing it by hand: refused through the action, the page and the API; a 分管领导 may."""
    with pytest.raises(ActionError, match="分管领导或主要负责人"):
        do_set_vulnerability_status(org.rsj_handler, critical, status, "版本误判")
    client = login(org.rsj_handler)
    url = f"/infosec/vulnerabilities/{critical.pk}/status/"
    page = client.post(url, {"status": status, "note": "版本误判", "version": critical.version})
    assert "分管领导或主要负责人" in page.content.decode()
    response = api(org.rsj_handler)(
        "post", f"/infosec/vulnerabilities/{critical.pk}/status", {"status": status, "note": "x"}
    )
    assert response.status_code == 400 and "分管领导或主要负责人" in response.json()["detail"]
    critical.refresh_from_db()
    assert critical.status == "open"
    v = do_set_vulnerability_status(leader_of(org), critical, status, "复核确认")
    assert v.status == status


# ---------------------------------------------------------------- the action


def test_false_positive_and_accepted_need_a_reason(org, vuln):
    for status in ("false_positive", "accepted", "closed"):
        with pytest.raises(ActionError, match="须填写理由"):
            do_set_vulnerability_status(org.rsj_handler, vuln, status, "  ")
    with pytest.raises(ActionError, match="已是"):
        do_set_vulnerability_status(org.rsj_handler, vuln, "open")
    with pytest.raises(ActionError, match="无效"):
        do_set_vulnerability_status(org.rsj_handler, vuln, "fixed", "x")
    v = do_set_vulnerability_status(org.rsj_handler, vuln, "accepted", "业务需要，已加固边界")
    assert v.status == VulnStatus.ACCEPTED and v.status_by == org.rsj_handler
    event = Event.objects.get(action="infosec.vulnerability.status")
    assert event.before["status"] == "open" and event.after["status"] == "accepted"


def test_reopen_by_hand_counts(org, vuln):
    v = do_set_vulnerability_status(org.rsj_handler, vuln, "closed", "已升级")
    assert v.closed_at is not None
    v = do_set_vulnerability_status(org.rsj_handler, v, "open", "复核仍存在")
    assert v.reopened_count == 1 and v.closed_at is None


def test_a_stale_version_is_refused(org, vuln):
    do_set_vulnerability_status(org.rsj_handler, vuln, "accepted", "理由")
    with pytest.raises(ActionError, match="已被他人修改"):
        do_set_vulnerability_status(org.rsj_handler, vuln, "false_positive", "理由", version=1)


def test_status_change_refreshes_assessments_and_residual(org, system, vuln):
    a = start(org, system)
    before = a.inputs_changed_at
    do_set_vulnerability_status(org.rsj_handler, vuln, "closed", "已修复")
    a.refresh_from_db()
    assert a.inputs_changed_at > before


def test_readers_and_outsiders_change_nothing(org, system, vuln):
    for user in (org.supervisor, org.zjj_handler):
        with pytest.raises(PermissionDenied):
            do_set_vulnerability_status(user, vuln, "accepted", "x")
        with pytest.raises(PermissionDenied):
            do_add_audit_finding(user, system, title="t", aspect="technical", severity=3)
    assert Vulnerability.objects.get(pk=vuln.pk).status == VulnStatus.OPEN


def test_audit_finding(org, system):
    asset = system.assets.get(code="OA-001")
    v = do_add_audit_finding(
        org.rsj_handler,
        system,
        title="未建立安全审计制度",
        aspect="management",
        severity=4,
        asset=asset,
        description="制度缺失",
        evidence="访谈记录 2026-03-01",
    )
    assert v.source == "audit" and v.grade == "high" and v.asset == asset
    assert "审计证据：访谈记录" in v.description
    assert Event.objects.filter(action="infosec.vulnerability.audit").count() == 1
    other = add_assets(make_system(org, "HR", name="人事系统"), 1)[1]
    for kw, message in (
        ({"asset": other}, "资产不属于该系统"),
        ({"severity": 6}, "1–5"),
        ({"title": " "}, "请填写"),
        ({"aspect": "physical"}, "方面"),
    ):
        args = {"title": "t", "aspect": "technical", "severity": 3, **kw}
        with pytest.raises(ActionError, match=message):
            do_add_audit_finding(org.rsj_handler, system, **args)


# ---------------------------------------------------------------- pages


def test_pages_show_list_detail_and_history(org, system, vuln, login):
    do_set_vulnerability_status(org.rsj_handler, vuln, "false_positive", "版本误判")
    client = login(org.rsj_head)
    page = client.get(f"/infosec/systems/{system.pk}/vulnerabilities/").content.decode()
    assert "Plugin 3001" in page and "误报" in page
    page = client.get(f"/infosec/systems/{system.pk}/vulnerabilities/?status=open").content.decode()
    assert "Plugin 3001" not in page
    page = client.get(f"/infosec/vulnerabilities/{vuln.pk}/").content.decode()
    assert "版本误判" in page and "变更脆弱性状态" in page
    supervisor = login(org.supervisor).get(f"/infosec/vulnerabilities/{vuln.pk}/")
    assert supervisor.status_code == 200 and "变更状态" not in supervisor.content.decode()


def test_status_page_refuses_without_a_reason(org, vuln, login):
    client = login(org.rsj_handler)
    url = f"/infosec/vulnerabilities/{vuln.pk}/status/"
    response = client.post(url, {"status": "accepted", "note": "", "version": vuln.version})
    assert response.status_code == 200 and "须填写理由" in response.content.decode()
    response = client.post(url, {"status": "accepted", "note": "已评估", "version": vuln.version})
    assert response.status_code == 302
    assert Vulnerability.objects.get(pk=vuln.pk).status == "accepted"


def test_status_page_of_another_department_and_a_reader(org, vuln, login):
    url = f"/infosec/vulnerabilities/{vuln.pk}/status/"
    body = {"status": "accepted", "note": "x"}
    assert login(org.zjj_handler).post(url, body).status_code == 404
    assert login(org.supervisor).post(url, body).status_code == 403
    assert Vulnerability.objects.get(pk=vuln.pk).status == "open"


def test_audit_page(org, system, login):
    client = login(org.rsj_handler)
    url = f"/infosec/systems/{system.pk}/vulnerabilities/audit/"
    response = client.post(url, {"title": "弱口令", "aspect": "technical", "severity": "9"})
    assert response.status_code == 200 and not Vulnerability.objects.exists()
    response = client.post(url, {"title": "弱口令", "aspect": "technical", "severity": "5"})
    assert response.status_code == 302
    assert Vulnerability.objects.get().grade == "critical"
    assert login(org.supervisor).post(url, {"title": "x"}).status_code == 403


def test_upload_page_shows_the_counts_and_refusals(org, system, login):
    client = login(org.rsj_handler)
    url = f"/infosec/systems/{system.pk}/scans/upload/"
    png = SimpleUploadedFile("scan.nessus", b"\x89PNG\r\n\x1a\nxxxx")
    response = client.post(url, {"file": png})
    assert response.status_code == 200
    assert "文件内容与扩展名 .nessus 不符" in response.content.decode()
    report = SimpleUploadedFile("scan.nessus", (DATA / "scan.nessus").read_bytes())
    response = client.post(url, {"file": report}, follow=True)
    page = response.content.decode()
    assert "新增 7" in page and "192.168.9.9" in page and "未匹配的主机" in page
    scans = client.get(f"/infosec/systems/{system.pk}/scans/").content.decode()
    assert "scan.nessus" in scans
    assert login(org.supervisor).post(url, {"file": report}).status_code == 403


def test_map_page(org, system, login):
    scan = do_import_scan(
        org.rsj_handler,
        system,
        SimpleUploadedFile("s.nessus", (DATA / "scan.nessus").read_bytes()),
    )
    asset = system.assets.get(code="OA-002")
    url = f"/infosec/scans/{scan.pk}/map/"
    assert (
        login(org.supervisor).post(url, {"host": "192.168.9.9", "asset": asset.pk}).status_code
        == 403
    )
    client = login(org.rsj_handler)
    response = client.post(url, {"host": "192.168.9.9", "asset": asset.pk}, follow=True)
    assert "1 条脆弱性已归属该资产" in response.content.decode()
    assert Vulnerability.objects.get(plugin_id="58987").asset == asset
    response = client.post(url, {"host": "192.168.9.9", "asset": asset.pk}, follow=True)
    assert "已对应到资产 OA-002" in response.content.decode()


def test_export_neutralises_formula_cells(org, system, login):
    import io

    from openpyxl import load_workbook

    do_import_scan(
        org.rsj_handler, system, SimpleUploadedFile("f.csv", (DATA / "formula.csv").read_bytes())
    )
    response = login(org.rsj_handler).get(
        f"/infosec/systems/{system.pk}/vulnerabilities/export.xlsx"
    )
    ws = load_workbook(io.BytesIO(response.content)).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "'=cmd|' /C calc'!A0" in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


# ---------------------------------------------------------------- API


def test_api(org, system, vuln, api, client):
    owner = api(org.rsj_handler)
    page = owner("get", f"/infosec/systems/{system.pk}/vulnerabilities?q=3001").json()
    assert [i["plugin_id"] for i in page["items"]] == ["3001"]
    assert (
        owner("get", f"/infosec/systems/{system.pk}/vulnerabilities?grade=low").json()["items"]
        == []
    )
    got = owner("get", f"/infosec/vulnerabilities/{vuln.pk}").json()
    assert got["grade"] == "medium" and got["key"] == "nessus:3001:OA-001:443/tcp"
    response = owner("post", f"/infosec/vulnerabilities/{vuln.pk}/status", {"status": "accepted"})
    assert response.status_code == 400 and "须填写理由" in response.json()["detail"]
    response = owner(
        "post", f"/infosec/vulnerabilities/{vuln.pk}/status", {"status": "accepted", "note": "ok"}
    )
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    reader = api(org.supervisor)
    body = {"status": "open"}
    assert reader("post", f"/infosec/vulnerabilities/{vuln.pk}/status", body).status_code == 403
    assert api(org.zjj_handler)("get", f"/infosec/vulnerabilities/{vuln.pk}").status_code == 404
    body = {"title": "口令策略缺失", "aspect": "management", "severity": 3}
    response = owner("post", f"/infosec/systems/{system.pk}/vulnerabilities", body)
    assert response.status_code == 201 and response.json()["source"] == "audit"
    other = add_assets(make_system(org, "HR", name="人事系统"), 1)[1]
    response = owner(
        "post", f"/infosec/systems/{system.pk}/vulnerabilities", {**body, "asset_id": other.pk}
    )
    assert response.status_code == 400 and "资产不属于该系统" in response.json()["detail"]
    assert reader("post", f"/infosec/systems/{system.pk}/vulnerabilities", body).status_code == 403


def test_api_upload_list_and_map(org, system, api, client):
    _row, token = do_create_token(org.rsj_handler, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/infosec/systems/{system.pk}/scans"
    bad = SimpleUploadedFile("x.nessus", nessus({"10.0.0.1": [("1", "80", "abc")]}))
    response = client.post(url, {"upload": bad}, **auth)
    assert response.status_code == 400 and "CVSS 评分“abc”无效" in response.json()["detail"]
    good = SimpleUploadedFile("scan.nessus", (DATA / "scan.nessus").read_bytes())
    response = client.post(url, {"upload": good}, **auth)
    assert response.status_code == 201, response.content
    scan = response.json()
    assert scan["counts"]["created"] == 7 and scan["unmatched"][0]["host"] == "192.168.9.9"
    owner = api(org.rsj_handler)
    listed = owner("get", f"/infosec/systems/{system.pk}/scans").json()
    assert [s["id"] for s in listed["items"]] == [scan["id"]]
    assert owner("get", f"/infosec/scans/{scan['id']}").json()["sha256"] == scan["sha256"]
    asset = system.assets.get(code="OA-002")
    body = {"host": "192.168.9.9", "asset_id": asset.pk}
    assert api(org.supervisor)("post", f"/infosec/scans/{scan['id']}/map", body).status_code == 403
    response = owner("post", f"/infosec/scans/{scan['id']}/map", body)
    assert response.status_code == 200 and response.json()["assigned"] == 1
    response = owner("post", f"/infosec/scans/{scan['id']}/map", {**body, "host": "1.2.3.4"})
    assert response.status_code == 400
    _row, reader = do_create_token(org.supervisor, "r")
    good.seek(0)
    response = client.post(url, {"upload": good}, HTTP_AUTHORIZATION=f"Bearer {reader}")
    assert response.status_code == 403
