"""The inventory's pages and API: what works, and every refusal shown where it happens."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from fengping.infosec.actions import systems as actions
from fengping.infosec.models import Asset, BusinessAsset, System

from .builders import add_assets, make_system
from .test_assets_import import row, xlsx


def asset_post(**kw):
    data = {
        "code": "OA-WEB",
        "name": "Web服务器",
        "layer": "component",
        "part": "service_provision",
        "ips": "10.10.1.20",
        "hostnames": "oa-web01",
        "confidentiality": "3",
        "integrity": "4",
        "availability": "4",
        "factor_mission": "5",
        "factor_intrinsic": "4",
        "value_reason": "门户",
    }
    return {**data, **kw}


# ---------------------------------------------------------------- pages


def test_register_a_system_and_edit_it(org, login):
    client = login(org.rsj_handler)
    assert "登记信息系统" in client.get("/infosec/").content.decode()
    r = client.post(
        "/infosec/systems/new/",
        {"department": org.rsj.pk, "code": "OA", "name": "协同办公系统", "protection_level": "3"},
    )
    system = System.objects.get(code="OA")
    assert r.status_code == 302 and r.url == f"/infosec/systems/{system.pk}/"
    r = client.post(
        f"/infosec/systems/{system.pk}/edit/",
        {"name": "协同办公", "protection_level": "4", "version": "1"},
    )
    assert r.status_code == 302
    # a stale version: the page says who changed it and keeps the input
    r = client.post(
        f"/infosec/systems/{system.pk}/edit/",
        {"name": "旧的", "protection_level": "2", "version": "1"},
    )
    assert r.status_code == 200 and "已被他人修改" in r.content.decode()
    assert System.objects.get(pk=system.pk).name == "协同办公"


def test_system_code_refusal_on_the_page(org, login):
    make_system(org)
    r = login(org.rsj_handler).post(
        "/infosec/systems/new/",
        {"department": org.rsj.pk, "code": "OA", "name": "x", "protection_level": "3"},
    )
    assert r.status_code == 200 and "已被使用" in r.content.decode()


def test_readers_and_outsiders_cannot_register(org, login):
    assert login(org.supervisor).get("/infosec/systems/new/").status_code == 403
    r = login(org.zjj_handler).post(
        "/infosec/systems/new/",
        {"department": org.rsj.pk, "code": "X", "name": "x", "protection_level": "3"},
    )
    assert r.status_code == 200 and not System.objects.filter(code="X").exists()


def test_asset_page_shows_the_value_and_its_basis(org, login):
    system = make_system(org)
    client = login(org.rsj_handler)
    r = client.post(f"/infosec/systems/{system.pk}/assets/new/", asset_post())
    asset = Asset.objects.get(code="OA-WEB")
    assert r.status_code == 302 and r.url == f"/infosec/assets/{asset.pk}/"
    page = client.get(r.url).content.decode()
    # max(3, 4, 4) = 4; (2×4 + 5 + 4) / 4 = 4.25 → 4
    assert "资产价值 4" in page and "(2×4+5+4)/(2+2) = 17/4 = 4.25 → 4" in page
    assert "门户" in page
    listing = client.get(f"/infosec/systems/{system.pk}/assets/?q=10.10.1.20").content.decode()
    assert "OA-WEB" in listing
    assert (
        "OA-WEB"
        not in client.get(f"/infosec/systems/{system.pk}/assets/?layer=system").content.decode()
    )
    assert client.get(f"/infosec/systems/{system.pk}/assets/list.xlsx").status_code == 200


def test_duplicate_ip_on_the_page_names_the_other_asset(org, login):
    system = make_system(org)
    add_assets(system, 2)
    r = login(org.rsj_handler).post(
        f"/infosec/systems/{system.pk}/assets/new/", asset_post(ips="10.0.0.2")
    )
    assert r.status_code == 200
    assert "“10.0.0.2”已登记在资产“OA-002 服务器2”上" in r.content.decode()
    assert not Asset.objects.filter(code="OA-WEB").exists()


def test_stale_asset_edit_on_the_page(org, login):
    system = make_system(org)
    asset = add_assets(system, 1)[1]
    client = login(org.rsj_handler)
    ok = client.post(f"/infosec/assets/{asset.pk}/edit/", asset_post(code=asset.code, version="1"))
    assert ok.status_code == 302
    stale = client.post(
        f"/infosec/assets/{asset.pk}/edit/", asset_post(code=asset.code, name="旧", version="1")
    )
    assert stale.status_code == 200 and "已被他人修改" in stale.content.decode()


def test_supervisor_gets_403_on_direct_posts(org, login):
    system = make_system(org)
    asset = add_assets(system, 1)[1]
    business = actions.do_save_business(
        org.rsj_handler, system, code="GW", name="公文", importance=3
    )
    client = login(org.supervisor)
    for url in (
        f"/infosec/systems/{system.pk}/edit/",
        f"/infosec/systems/{system.pk}/assets/new/",
        f"/infosec/systems/{system.pk}/assets/import/",
        f"/infosec/systems/{system.pk}/businesses/new/",
        f"/infosec/assets/{asset.pk}/edit/",
        f"/infosec/assets/{asset.pk}/delete/",
        f"/infosec/businesses/{business.pk}/edit/",
        f"/infosec/businesses/{business.pk}/delete/",
    ):
        assert client.post(url, asset_post()).status_code == 403, url
    assert client.get(f"/infosec/assets/{asset.pk}/").status_code == 200
    outsider = login(org.zjj_handler)
    assert outsider.get(f"/infosec/assets/{asset.pk}/").status_code == 404
    assert outsider.post(f"/infosec/assets/{asset.pk}/delete/").status_code == 404


def test_delete_asset_asks_first(org, login):
    system = make_system(org)
    asset = add_assets(system, 1)[1]
    client = login(org.rsj_handler)
    page = client.get(f"/infosec/assets/{asset.pk}/delete/").content.decode()
    assert "确定删除资产" in page
    r = client.post(f"/infosec/assets/{asset.pk}/delete/")
    assert r.status_code == 302 and not Asset.objects.filter(pk=asset.pk).exists()


def test_business_pages(org, login):
    system = make_system(org)
    client = login(org.rsj_handler)
    r = client.post(
        f"/infosec/systems/{system.pk}/businesses/new/",
        {"code": "GW", "name": "公文流转", "importance": "5"},
    )
    assert r.status_code == 302
    gw = BusinessAsset.objects.get(code="GW")
    r = client.post(
        f"/infosec/systems/{system.pk}/businesses/new/",
        {"code": "XX", "name": "信息发布", "importance": "3", "linked": [str(gw.pk)]},
    )
    assert r.status_code == 302
    page = client.get(f"/infosec/systems/{system.pk}/businesses/").content.decode()
    assert "公文流转" in page and "信息发布" in page
    r = client.post(f"/infosec/businesses/{gw.pk}/delete/")
    assert r.status_code == 302 and not BusinessAsset.objects.filter(pk=gw.pk).exists()
    # a reader opening an edit link lands on the list
    xx = BusinessAsset.objects.get(code="XX")
    assert login(org.supervisor).get(f"/infosec/businesses/{xx.pk}/edit/").status_code == 302


def test_import_page_refuses_a_bad_row_and_a_png(org, login):
    system = make_system(org)
    client = login(org.rsj_handler)
    url = f"/infosec/systems/{system.pk}/assets/import/"
    assert client.get(url).status_code == 200
    bad = SimpleUploadedFile("a.xlsx", xlsx([row("A", "10.0.0.1"), row("B", "10.0.0.1")]))
    page = client.post(url, {"file": bad}).content.decode()
    assert "与第 2 行重复" in page and not Asset.objects.exists()
    png = SimpleUploadedFile("a.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    page = client.post(url, {"file": png}).content.decode()
    assert "不符" in page and not Asset.objects.exists()
    good = SimpleUploadedFile("a.xlsx", xlsx([row("A", "10.0.0.1")]))
    page = client.post(url, {"file": good}).content.decode()
    assert "新增 1 项" in page and Asset.objects.count() == 1
    tpl = client.get(f"/infosec/systems/{system.pk}/assets/template.xlsx")
    assert tpl.status_code == 200 and tpl["Content-Type"].startswith("application/vnd")
    export = client.get(f"/infosec/systems/{system.pk}/assets/export.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(export.content))
    assert wb.sheetnames == ["资产", "业务"] and wb["资产"]["A2"].value == "A"


# ---------------------------------------------------------------- API


def test_api_systems_and_assets(org, api):
    call = api(org.rsj_handler)
    r = call(
        "post",
        "/infosec/systems",
        {"department_id": org.rsj.pk, "code": "OA", "name": "协同办公", "protection_level": 3},
    )
    assert r.status_code == 201, r.content
    sid = r.json()["id"]
    r = call("get", "/infosec/systems?q=协同")
    assert [s["code"] for s in r.json()["items"]] == ["OA"]
    assert api(org.zjj_handler)("get", "/infosec/systems").json()["items"] == []
    r = call(
        "post",
        f"/infosec/systems/{sid}/businesses",
        {"code": "GW", "name": "公文流转", "importance": 5},
    )
    assert r.status_code == 201
    gw = r.json()["id"]
    body = {
        "code": "OA-DB",
        "name": "DB2数据库服务器",
        "part": "data_storage",
        "ips": ["10.10.1.40"],
        "hostnames": ["oa-db"],
        "confidentiality": 5,
        "integrity": 5,
        "availability": 4,
        "business_id": gw,
        "factors": {"mission": 5},
    }
    r = call("post", f"/infosec/systems/{sid}/assets", body)
    assert r.status_code == 201, r.content
    asset = r.json()
    assert (
        asset["value"] == 5
        and asset["value_basis"].endswith("→ 5")
        and asset["ips"] == ["10.10.1.40"]
    )
    # a duplicate address is refused naming the asset
    r = call("post", f"/infosec/systems/{sid}/assets", {**body, "code": "OA-DB2"})
    assert r.status_code == 400 and "OA-DB" in r.json()["detail"] and r.json()["field"] == "ips"
    # stale version
    r = call("put", f"/infosec/assets/{asset['id']}", {**body, "name": "改", "version": 1})
    assert r.status_code == 200 and r.json()["version"] == 2
    r = call("put", f"/infosec/assets/{asset['id']}", {**body, "name": "旧", "version": 1})
    assert r.status_code == 409 and r.json()["current_version"] == 2
    r = call("get", f"/infosec/systems/{sid}/assets?q=10.10.1.40")
    assert [a["code"] for a in r.json()["items"]] == ["OA-DB"]
    r = call("put", f"/infosec/systems/{sid}", {"name": "x", "protection_level": 2, "version": 9})
    assert r.status_code == 409
    r = call("delete", f"/infosec/assets/{asset['id']}")
    assert r.status_code == 204
    # reader and outsider
    assert (
        api(org.supervisor)(
            "put", f"/infosec/businesses/{gw}", {"code": "GW", "name": "x", "importance": 1}
        ).status_code
        == 403
    )
    assert api(org.zjj_handler)("get", f"/infosec/systems/{sid}").status_code == 404
    r = api(org.zjj_handler)(
        "post",
        "/infosec/systems",
        {"department_id": org.rsj.pk, "code": "Z", "name": "z", "protection_level": 3},
    )
    assert r.status_code in (403, 404) and not System.objects.filter(code="Z").exists()


def test_api_import(org, client):
    from fengping.api.tokens import do_create_token

    system = make_system(org)
    _row, token = do_create_token(org.rsj_handler, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/infosec/systems/{system.pk}/assets/import"
    bad = SimpleUploadedFile("a.xlsx", xlsx([row("A", "10.0.0.1"), row("B", "10.0.0.300")]))
    r = client.post(url, {"upload": bad}, **auth)
    assert r.status_code == 422 and r.json()["errors"][0]["row"] == 3
    png = SimpleUploadedFile("a.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    r = client.post(url, {"upload": png}, **auth)
    assert r.status_code == 400 and "不符" in r.json()["detail"]
    r = client.post(
        url, {"upload": SimpleUploadedFile("b.xlsx", xlsx([row("A", "10.0.0.1")]))}, **auth
    )
    assert r.status_code == 200 and r.json()["counts"]["created"] == 1
