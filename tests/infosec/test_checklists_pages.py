"""The 脆弱性检查 and 现有安全措施 tabs: items answered in place (htmx) and by plain POST,
progress, refusals through the page and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fengping.infosec.models import (
    AssessmentStatus,
    ChecklistAnswer,
    SystemAssessment,
    Vulnerability,
)

from .builders import add_assets, make_system, start

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def assessment(org):
    system = make_system(org)
    add_assets(system, 1)
    return start(org, system)


def test_tabs_show_every_item_and_progress(org, assessment, login):
    c = login(org.rsj_handler)
    v = c.get(reverse("infosec:assessment_vuln_checklists", args=[assessment.pk])).content.decode()
    assert "已评估 0 / 21 项" in v and "符合性管理" in v and "设备与介质安全" in v
    assert "完全损害" in v  # severity chosen with the scale's descriptions
    m = c.get(reverse("infosec:assessment_measures", args=[assessment.pk])).content.decode()
    assert "已评估 0 / 27 项" in m and "弱口令情况" in m and "进行严格的评审" in m
    assert "预防性措施" in m and 'type="date"' in m
    assert (
        login(org.supervisor)
        .get(reverse("infosec:assessment_measures", args=[assessment.pk]))
        .status_code
        == 200
    )


def test_htmx_answer_saves_in_place(org, assessment, login):
    c = login(org.rsj_handler)
    url = reverse("infosec:checklist_answer", args=[assessment.pk])
    r = c.post(
        url,
        {
            "catalogue": "vulnerability",
            "item": "operations.5",
            "result": "found",
            "method": "访谈",
            "evidence": "机房无门禁",
            "severity": "4",
        },
        **HTMX,
    )
    body = r.content.decode()
    assert r.status_code == 200 and "已保存" in body and 'hx-swap-oob="true"' in body
    assert "已评估 1 / 21 项" in body
    v = Vulnerability.objects.get(key="checklist:operations.5")
    assert (v.severity, v.aspect, v.title) == (4, "operations", "物理环境安全")
    tab = c.get(
        reverse("infosec:assessment_vuln_checklists", args=[assessment.pk])
    ).content.decode()
    assert '<option value="4" selected>' in tab and "已评估 1 / 21 项" in tab
    # a refusal comes back in place with what was typed
    r = c.post(
        url,
        {
            "catalogue": "measure",
            "item": "physical.2",
            "result": "effective",
            "method": "查看",
            "evidence": "有漏水绳",
        },
        **HTMX,
    )
    body = r.content.decode()
    assert "预防性措施还是保护性措施" in body and "有漏水绳" in body
    assert not ChecklistAnswer.objects.filter(item="physical.2").exists()
    # a stale version
    ans = ChecklistAnswer.objects.get(item="operations.5")
    r = c.post(
        url,
        {
            "catalogue": "vulnerability",
            "item": "operations.5",
            "result": "not_found",
            "method": "访谈",
            "version": str(ans.version + 5),
        },
        **HTMX,
    )
    assert "已被他人修改" in r.content.decode()
    assert Vulnerability.objects.get(key="checklist:operations.5").status == "open"


def test_plain_post_and_refusals(org, assessment, login):
    url = reverse("infosec:checklist_answer", args=[assessment.pk])
    data = {"catalogue": "measure", "item": "emergency.4", "result": "na", "method": "查看"}
    r = login(org.rsj_handler).post(url, data)
    assert r.status_code == 302 and "#cl-emergency-4" in r["Location"]
    assert login(org.supervisor).post(url, data).status_code == 403
    assert login(org.zjj_handler).post(url, data).status_code == 404
    SystemAssessment.objects.filter(pk=assessment.pk).update(status=AssessmentStatus.FINISHED)
    r = login(org.rsj_handler).post(url, {**data, "version": "1"}, **HTMX)
    assert "已办结" in r.content.decode()


def test_api(org, assessment, api):
    call = api(org.rsj_handler)
    path = f"/infosec/assessments/{assessment.pk}/checklist-answers"
    r = call(
        "post",
        path,
        {
            "catalogue": "measure",
            "item": "technical.9",
            "result": "effective",
            "measure_kind": "protective",
            "value": "3",
            "covers_threats": ["privilege_abuse"],
        },
    )
    assert r.status_code == 200, r.content
    assert r.json()["value"] == "3" and r.json()["covers_threats"] == ["privilege_abuse"]
    r = call("post", path, {"catalogue": "measure", "item": "technical.1", "result": "effective"})
    assert r.status_code == 400 and r.json()["field"] == "measure_kind"
    r = call("get", path + "?catalogue=measure")
    assert r.json()["answered"] == 1 and r.json()["total"] == 27
    r = api(org.supervisor)(
        "post", path, {"catalogue": "measure", "item": "technical.2", "result": "na"}
    )
    assert r.status_code == 403
    r = api(org.zjj_handler)("get", path)
    assert r.status_code == 404


def test_tabs_query_count_does_not_grow_with_answers(org, assessment, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fengping.infosec.actions.checklists import do_answer_item

    c = login(org.rsj_handler)
    url = reverse("infosec:assessment_measures", args=[assessment.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    info = assessment.scheme.infosec
    for checklist in info.measures.checklists:
        for code in checklist.item_codes():
            do_answer_item(
                org.rsj_handler,
                assessment,
                catalogue="measure",
                item=code,
                result="na",
                method=checklist.methods[0] if checklist.methods else "",
            )
    after = count()
    assert "已评估 27 / 27 项" in c.get(url).content.decode()
    assert after <= before + 2, (before, after)
