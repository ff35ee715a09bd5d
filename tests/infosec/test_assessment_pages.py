"""Starting an assessment from a system's page, and the overview with the step tracker:
complete a step, send it back, and the refusals through the page and the API."""

from __future__ import annotations

from fengping.infosec.models import SystemAssessment

from .builders import add_assets, make_system, start


def test_start_from_the_system_page(org, login):
    system = make_system(org)
    client = login(org.rsj_handler)
    page = client.get(f"/infosec/systems/{system.pk}/")
    assert f"/infosec/systems/{system.pk}/assessments/new/" in page.content.decode()
    form = client.get(f"/infosec/systems/{system.pk}/assessments/new/")
    assert form.status_code == 200 and "isra" in form.content.decode()
    r = client.post(
        f"/infosec/systems/{system.pk}/assessments/new/",
        {"title": "2026年度评估", "scheme": "isra", "calculation": "matrix"},
    )
    a = SystemAssessment.objects.get(system=system)
    assert r.status_code == 302 and r["Location"] == f"/infosec/assessments/{a.pk}/"
    assert a.calculation == "matrix"
    page = client.get(f"/infosec/systems/{system.pk}/")
    assert f'href="/infosec/assessments/{a.pk}/"' in page.content.decode()


def test_start_refusals_show_on_the_form(org, login):
    system = make_system(org)
    start(org, system)
    client = login(org.rsj_handler)
    r = client.post(
        f"/infosec/systems/{system.pk}/assessments/new/", {"title": "again", "scheme": "isra"}
    )
    assert r.status_code == 200 and "已有进行中" in r.content.decode()
    assert (
        login(org.supervisor).get(f"/infosec/systems/{system.pk}/assessments/new/").status_code
        == 403
    )
    assert (
        login(org.zjj_handler).get(f"/infosec/systems/{system.pk}/assessments/new/").status_code
        == 404
    )


def test_overview_shows_the_tracker_and_what_is_missing(org, login):
    system = make_system(org)
    a = start(org, system)
    client = login(org.rsj_handler)
    page = client.get(f"/infosec/assessments/{a.pk}/").content.decode()
    assert "资产评估" in page and "风险计算和分析" in page
    assert 'id="missing-outputs"' in page and "资产清单" in page
    r = client.post(f"/infosec/assessments/{a.pk}/complete-step/", {"step": "assets"}, follow=True)
    assert "资产清单" in r.content.decode()
    a.refresh_from_db()
    assert a.current_step == "assets"
    add_assets(system, 2)
    client.post(f"/infosec/assessments/{a.pk}/complete-step/", {"step": "assets", "note": "ok"})
    a.refresh_from_db()
    assert a.current_step == "threats"
    client.post(f"/infosec/assessments/{a.pk}/send-back/", {"to_step": "assets", "reason": ""})
    a.refresh_from_db()
    assert a.current_step == "threats"  # a reason is required
    client.post(f"/infosec/assessments/{a.pk}/send-back/", {"to_step": "assets", "reason": "漏了"})
    a.refresh_from_db()
    assert a.current_step == "assets"


def test_readers_and_outsiders(org, login):
    a = start(org, make_system(org))
    reader = login(org.supervisor)
    assert reader.get(f"/infosec/assessments/{a.pk}/").status_code == 200
    assert "complete-step" not in reader.get(f"/infosec/assessments/{a.pk}/").content.decode()
    assert (
        reader.post(f"/infosec/assessments/{a.pk}/complete-step/", {"step": "assets"}).status_code
        == 403
    )
    outsider = login(org.zjj_handler)
    assert outsider.get(f"/infosec/assessments/{a.pk}/").status_code == 404


def test_api_start_get_complete_and_send_back(org, api):
    system = make_system(org)
    call = api(org.rsj_handler)
    r = call(
        "post",
        f"/infosec/systems/{system.pk}/assessments",
        {"title": "年度", "calculation": "matrix"},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    a_id = body["id"]
    assert body["calculation"] == "matrix" and body["current_step"] == "assets"
    r = call("get", f"/infosec/assessments/{a_id}")
    assert r.status_code == 200
    steps = r.json()["steps"]
    assert steps[0]["code"] == "assets" and steps[0]["is_current"]
    assert r.json()["missing"] == ["资产清单"]
    r = call("post", f"/infosec/assessments/{a_id}/complete-step", {"step": "assets"})
    assert r.status_code == 400 and "资产清单" in r.json()["detail"]
    add_assets(system, 1)
    r = call("post", f"/infosec/assessments/{a_id}/complete-step", {"step": "assets"})
    assert r.status_code == 200 and r.json()["current_step"] == "threats"
    r = call(
        "post", f"/infosec/assessments/{a_id}/send-back", {"to_step": "assets", "reason": "补"}
    )
    assert r.status_code == 200 and r.json()["current_step"] == "assets"
    # a second open assessment is refused
    r = call("post", f"/infosec/systems/{system.pk}/assessments", {"title": "again"})
    assert r.status_code == 400 and "已有进行中" in r.json()["detail"]
    assert (
        api(org.supervisor)(
            "post", f"/infosec/assessments/{a_id}/complete-step", {"step": "assets"}
        ).status_code
        == 403
    )
    assert api(org.zjj_handler)("get", f"/infosec/assessments/{a_id}").status_code == 404
