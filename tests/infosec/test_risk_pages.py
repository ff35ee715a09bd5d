"""The 风险分析 tab and its API: compute through the page and the API (with refusals),
the register with its filters, export and a constant number of queries, the heat map,
the summaries and the comparison of two assessments."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from fengping.infosec.actions.assessments import do_start_assessment, touch_inputs
from fengping.infosec.actions.risk import do_compute_risk
from fengping.infosec.models import (
    AssessmentStatus,
    Asset,
    BusinessAsset,
    ChecklistAnswer,
    RiskDecision,
    Scenario,
    SystemAssessment,
    ThreatRating,
    Vulnerability,
)

from .builders import make_system, start
from .test_risk import HAND, _asset, _vuln, estate


def url(a, rest=""):
    return f"/infosec/assessments/{a.pk}/risk/{rest}"


def test_compute_through_the_page(org, login):
    a, _n = estate(org)
    client = login(org.rsj_handler)
    page = client.get(url(a)).content.decode()
    assert "计算风险" in page and "没有符合条件的风险场景" in page
    r = client.post(url(a, "compute/"), follow=True)
    assert "已计算 6 个风险场景" in r.content.decode()
    assert Scenario.objects.filter(assessment=a).count() == 6
    page = client.get(url(a)).content.decode()
    assert "A1" in page and "risk-stale" not in page


def test_page_refusals(org, login):
    a, _n = estate(org)
    assert login(org.supervisor).post(url(a, "compute/")).status_code == 403
    assert login(org.zjj_handler).post(url(a, "compute/")).status_code == 404
    assert login(org.zjj_handler).get(url(a)).status_code == 404
    reader_page = login(org.supervisor).get(url(a)).content.decode()
    assert "risk/compute/" not in reader_page
    other = start(org, make_system(org, "HR", name="人事系统"))
    r = login(org.rsj_handler).post(url(other, "compute/"), follow=True)
    assert "尚未识别威胁" in r.content.decode()
    SystemAssessment.objects.filter(pk=a.pk).update(status=AssessmentStatus.FINISHED)
    r = login(org.rsj_handler).post(url(a, "compute/"), follow=True)
    assert "已办结" in r.content.decode()
    assert not Scenario.objects.exists()


def test_staleness_and_the_decisions_a_recompute_would_drop(org, login):
    a, n = estate(org)
    do_compute_risk(org.rsj_handler, a)
    s = Scenario.objects.get(assessment=a, asset=n["A1"], threat=n["T1"])
    RiskDecision.objects.create(
        assessment=a, scenario=s, treatment="reduce", reason="r", proposed_by=org.rsj_handler
    )
    Vulnerability.objects.filter(pk=n["V1"].pk).update(status="closed")
    touch_inputs(a)
    page = login(org.rsj_handler).get(url(a)).content.decode()
    assert 'id="risk-stale"' in page and 'id="risk-decisions-lost"' in page
    assert "删除 1 个" in page


def test_register_filters_and_export(org, login):
    a, n = estate(org)
    biz = BusinessAsset.objects.create(system=a.system, code="B1", name="公文流转", importance=4)
    Asset.objects.filter(pk=n["A2"].pk).update(business=biz)
    do_compute_risk(org.rsj_handler, a)
    client = login(org.rsj_handler)

    def rows(query):
        body = client.get(url(a) + query).content.decode()
        return {code for code in ("A1", "A2", "SYS") if f">{code}<" in body}

    assert rows("") == {"A1", "A2", "SYS"}
    assert rows("?level=3") == {"A1"}
    assert rows(f"?business={biz.pk}") == {"A2"}
    assert rows("?threat_class=poor_management") == {"SYS"}
    assert rows("?likelihood=2&loss=4") == {"SYS"}
    assert rows(f"?asset={n['A2'].pk}") == {"A2"}
    assert rows("?q=sys") == {"SYS"}
    page = client.get(url(a) + "?asset=999999").content.decode()
    assert "已忽略" in page
    r = client.get(url(a, "export.xlsx") + "?level=1")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    values = list(sheet.values)
    assert len(values) == 1 + 2 and "R" in values[0]


def test_register_keyset_pages_in_risk_order(org, login, settings):
    settings.FENGPING_PAGE_SIZE = 4
    a, _n = estate(org)
    do_compute_risk(org.rsj_handler, a)
    client = login(org.rsj_handler)
    first = client.get(url(a)).content.decode()
    import re

    nxt = re.search(r'href="\?([^"]*after=[^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(url(a) + "?" + nxt).content.decode()
    assert second.count("<tr>") == 2 + 1  # two rows and the header


def _grow(a, n_assets):
    """More component assets, each with one technical vulnerability."""
    system = a.system
    for i in range(n_assets):
        asset = _asset(system, f"X{i:03d}", 3)
        _vuln(system, f"X{i}", asset, "technical", 3)


def test_the_register_page_costs_a_constant_number_of_queries(
    org, login, django_assert_max_num_queries
):
    a, _n = estate(org)
    biz = BusinessAsset.objects.create(system=a.system, code="B1", name="公文流转", importance=4)
    do_compute_risk(org.rsj_handler, a)
    client = login(org.rsj_handler)
    client.get(url(a))  # warm the session and caches
    with django_assert_max_num_queries(14) as small:
        client.get(url(a) + f"?level=1&business={biz.pk}")
    _grow(a, 80)
    touch_inputs(a)
    do_compute_risk(org.rsj_handler, a)
    assert Scenario.objects.filter(assessment=a).count() > 100
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url(a) + f"?level=1&business={biz.pk}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url(a))


def test_heatmap_summaries_and_their_links(org, login):
    a, n = estate(org)
    biz = BusinessAsset.objects.create(system=a.system, code="B1", name="公文流转", importance=4)
    Asset.objects.filter(pk=n["A1"].pk).update(business=biz)
    do_compute_risk(org.rsj_handler, a)
    client = login(org.rsj_handler)
    heat = client.get(url(a, "heatmap/")).content.decode()
    assert 'id="risk-heatmap-data"' in heat and "echarts.min.js" in heat
    # (L, F) = (3, 4) holds the two A1 scenarios; the fallback table links to the register
    assert f"{url(a)}?likelihood=3&amp;loss=4" in heat
    assets = client.get(url(a, "assets/")).content.decode()
    assert f"?asset={n['A1'].pk}" in assets
    business = client.get(url(a, "businesses/")).content.decode()
    assert "公文流转" in business and 'id="risk-system-total"' in business
    sheet = load_workbook(io.BytesIO(client.get(url(a, "assets/export.xlsx")).content)).worksheets[
        0
    ]
    assert [r[:3] for r in sheet.values][1] == ("A1 A1", 15, 2)
    sheet = load_workbook(
        io.BytesIO(client.get(url(a, "businesses/export.xlsx")).content)
    ).worksheets[0]
    rows = list(sheet.values)
    assert rows[-1][1:3] == (15, 6) and "整个系统" in rows[-1][0]


def test_compare_two_assessments_of_one_system(org, login):
    a, n = estate(org)
    do_compute_risk(org.rsj_handler, a)
    SystemAssessment.objects.filter(pk=a.pk).update(status=AssessmentStatus.FINISHED)
    b = start(org, a.system, title="2027年度")
    SystemAssessment.objects.filter(pk=b.pk).update(scheme_snapshot=a.scheme_snapshot)
    b = SystemAssessment.objects.get(pk=b.pk)
    for t in ThreatRating.objects.filter(assessment=a):
        ThreatRating.objects.create(
            assessment=b, code=t.code, threat_class=t.threat_class, name=t.name,
            origin=t.origin, frequency=t.frequency,
        )  # fmt: skip
    for m in ChecklistAnswer.objects.filter(assessment=a):
        assets = list(m.covers_assets.all())
        m.pk, m.assessment = None, b
        m.save()
        m.covers_assets.set(assets)
    ThreatRating.objects.filter(assessment=b, code="T1").update(frequency=5)  # higher
    ThreatRating.objects.filter(assessment=b, code="T2").update(frequency=1)  # lower
    Vulnerability.objects.filter(pk=n["V2"].pk).update(status="closed")  # gone
    _vuln(a.system, "V9", n["A1"], "operations", 4)  # new (T3 exploits every aspect)
    do_compute_risk(org.rsj_handler, b)
    client = login(org.rsj_handler)
    page = client.get(url(b, f"compare/?other={a.pk}")).content.decode()
    assert 'id="compare-counts"' in page
    from fengping.infosec.risk_lists import compare

    counts = compare(b, a).counts
    # T1: A1×T1×V1 higher (A2×T1×V2 gone); T2: SYS×T2×V3 lower; T3 rows unchanged except
    # A2×T3×V2 gone and A1×T3×V9 new.
    assert counts == {"new": 1, "higher": 1, "lower": 1, "gone": 2, "unchanged": 2}
    only = client.get(url(b, f"compare/?other={a.pk}&change=gone")).content.decode()
    assert only.count("V2") >= 2
    r = client.get(url(b, f"compare/export.xlsx?other={a.pk}"))
    assert (
        r.status_code == 200
        and len(list(load_workbook(io.BytesIO(r.content)).worksheets[0].values)) == 8
    )
    # Another department's assessment cannot be named
    foreign = do_start_assessment(
        org.zjj_handler, make_system(org, "ZJ", department=org.zjj, name="住建系统"), title="x"
    )
    assert client.get(url(b, f"compare/?other={foreign.pk}")).status_code == 404


def test_api(org, api):
    a, n = estate(org)
    call = api(org.rsj_handler)
    r = call("post", f"/infosec/assessments/{a.pk}/risk/compute")
    assert r.status_code == 200 and r.json()["total"] == 6
    r = call("get", f"/infosec/assessments/{a.pk}/risk/scenarios?level=3")
    body = r.json()
    assert r.status_code == 200 and {i["asset_code"] for i in body["items"]} == {"A1"}
    assert body["items"][0]["risk"] == 15 and body["items"][0]["level_label"] == "中等"
    cells = call("get", f"/infosec/assessments/{a.pk}/risk/heatmap").json()
    assert sum(c["count"] for c in cells) == len(HAND)
    system = call("get", f"/infosec/assessments/{a.pk}/risk/system").json()
    assert system["count"] == 6 and system["max_risk"] == 15
    assets = call("get", f"/infosec/assessments/{a.pk}/risk/assets").json()
    assert assets["count"] == 3 and assets["items"][0]["code"] == "A1"
    assert assets["items"][0]["by_level"] == {"1": 0, "2": 0, "3": 2, "4": 0, "5": 0}
    assert assets["items"][0]["max_risk"] == 15 and assets["items"][0]["count"] == 2
    assert call("get", f"/infosec/assessments/{a.pk}/risk/businesses").json()[0]["count"] == 6
    b = SystemAssessment.objects.create(
        system=a.system, title="旧", calculation="multiplication", scheme_key=a.scheme_key,
        scheme_version=a.scheme_version, scheme_hash=a.scheme_hash,
        scheme_snapshot=a.scheme_snapshot, current_step="assets", started_by=org.rsj_handler,
        status=AssessmentStatus.FINISHED,
    )  # fmt: skip
    r = call("get", f"/infosec/assessments/{a.pk}/risk/compare/{b.pk}")
    assert r.status_code == 200 and r.json()["counts"]["new"] == 6


@pytest.mark.parametrize("who,status", [("supervisor", 403), ("zjj_handler", 404)])
def test_api_refusals(org, api, who, status):
    a, _n = estate(org)
    r = api(getattr(org, who))("post", f"/infosec/assessments/{a.pk}/risk/compute")
    assert r.status_code == status


def test_api_refuses_a_finished_assessment_and_one_without_threats(org, api):
    a, _n = estate(org)
    call = api(org.rsj_handler)
    other = start(org, make_system(org, "HR", name="人事系统"))
    r = call("post", f"/infosec/assessments/{other.pk}/risk/compute")
    assert r.status_code == 400 and "尚未识别威胁" in r.json()["detail"]
    SystemAssessment.objects.filter(pk=a.pk).update(status=AssessmentStatus.FINISHED)
    r = call("post", f"/infosec/assessments/{a.pk}/risk/compute")
    assert r.status_code == 400 and "已办结" in r.json()["detail"]
