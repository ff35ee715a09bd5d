"""风险清单（全部系统）: the risk scenarios of each system's latest assessment across every
system the user may see — scoping, the filters (level, department subtree, system, asset
and threat names), paging by key over every row once, a constant number of queries, the
XLSX export (formula-safe) and the API twin."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from fengping.infosec.models import ApprovalState, RiskDecision, Scenario

from .builders import add_assets, assess_risks, make_system

URL = "/infosec/risks/"


@pytest.fixture
def estate(org):
    """人社局 OA: an older assessment (3 × level 5, never listed) and the latest (5, 4, 4,
    3, 2, 1); its 养老保险科's YL: 5, 3; 住建局's ZJ: 4, 2 (a vulnerability named like a
    formula)."""
    oa = make_system(org, "OA")
    yl = make_system(org, "YL", department=org.rsj_unit, name="养老金系统")
    zj = make_system(org, "ZJ", department=org.zjj, name="住建系统")
    for system in (oa, yl, zj):
        add_assets(system, 1)
    old = assess_risks(org.rsj_handler, oa, [5, 5, 5], title="上一次评估")
    latest = assess_risks(org.rsj_handler, oa, [5, 4, 4, 3, 2, 1], title="本次评估")
    unit = assess_risks(org.rsj_handler, yl, [5, 3])
    zjj = assess_risks(org.zjj_handler, zj, [4, 2], vulnerability="=HYPERLINK(1)")
    RiskDecision.objects.create(
        assessment=latest[0].assessment,
        scenario=latest[0],
        treatment="accept",
        reason="可接受",
        proposed_by=org.rsj_handler,
        approval=ApprovalState.PENDING,
    )
    RiskDecision.objects.create(
        assessment=latest[1].assessment,
        scenario=latest[1],
        treatment="reduce",
        reason="整改",
        proposed_by=org.rsj_handler,
    )
    return {"oa": oa, "yl": yl, "zj": zj, "old": old, "latest": latest, "unit": unit, "zjj": zjj}


def ids(response) -> list[int]:
    return [s.pk for s in response.context["listing"].page.object_list]


def pks(rows) -> set[int]:
    return {s.pk for s in rows}


def test_each_user_sees_the_latest_risks_of_the_systems_they_may_see(org, login, estate):
    e = estate
    everything = pks(e["latest"]) | pks(e["unit"]) | pks(e["zjj"])
    assert set(ids(login(org.supervisor).get(URL))) == everything
    assert set(ids(login(org.superuser).get(URL))) == everything
    assert set(ids(login(org.rsj_handler).get(URL))) == pks(e["latest"]) | pks(e["unit"])
    assert set(ids(login(org.rsj_unit_assessor).get(URL))) == pks(e["unit"])
    # an outsider sees none of another department's scenarios, nor does the API give them
    outsider = login(org.zjj_handler).get(URL)
    assert set(ids(outsider)) == pks(e["zjj"])
    html = outsider.content.decode()
    assert "协同办公系统" not in html and "养老金系统" not in html and "OA攻击" not in html
    assert ids(login(org.nobody).get(URL)) == []
    # the older assessment's scenarios are never listed
    assert not pks(e["old"]) & everything


def test_the_page_names_system_department_threat_level_and_treatment(org, login, estate):
    response = login(org.rsj_handler).get(URL)
    html = response.content.decode()
    labels = {s.level: s.level_label for s in response.context["listing"].page.object_list}
    assert labels == {5: "很高", 4: "高", 3: "中", 2: "低", 1: "很低"}
    for text in ("风险清单（全部系统）", "协同办公系统", "人社局", "OA攻击0", "弱口令"):
        assert text in html, text
    assert "接受（待批准）" in html and "降低" in html and "未决策" in html
    a = estate["latest"][0].assessment_id
    assert f'href="/infosec/assessments/{a}/risk/"' in html
    # the sidebar links the list and marks it
    assert re.search(r'nav-item active"><a class="nav-link" href="/infosec/risks/"', html)


def test_rows_come_highest_level_first_then_risk(org, login, estate):
    rows = login(org.supervisor).get(URL).context["listing"].page.object_list
    keys = [(-s.level, -s.risk, s.pk) for s in rows]
    assert keys == sorted(keys)
    assert [s.level for s in rows][:3] == [5, 5, 4]


def test_the_level_sort_turns_the_order_round(org, login, api, estate):
    response = login(org.supervisor).get(f"{URL}?sort=level")
    widget = next(w for w in response.context["listing"].filters if w["name"] == "sort")
    assert dict(widget["options"]) == {"level": "风险等级从低到高"}
    assert widget["all_label"] == "风险等级从高到低"
    rows = response.context["listing"].page.object_list
    keys = [(s.level, s.risk, -s.pk) for s in rows]
    assert keys == sorted(keys) and rows[0].level == 1
    items = api(org.supervisor)("get", "/infosec/risks?sort=level&level=4").json()["items"]
    assert [i["risk"] for i in items] == sorted(i["risk"] for i in items)


@pytest.mark.parametrize(
    "query,expected",
    [
        ("level=5", lambda e: {e["latest"][0].pk, e["unit"][0].pk}),
        ("level=4", lambda e: {e["latest"][1].pk, e["latest"][2].pk, e["zjj"][0].pk}),
        ("level=1", lambda e: {e["latest"][5].pk}),
        ("department={rsj}", lambda e: pks(e["latest"]) | pks(e["unit"])),  # the subtree
        ("department={unit}", lambda e: pks(e["unit"])),
        ("department={zjj}&level=2", lambda e: {e["zjj"][1].pk}),
        ("system={yl}", lambda e: pks(e["unit"])),
        ("q=养老金", lambda e: set()),  # system names are not searched
        ("q=OA攻击", lambda e: pks(e["latest"])),  # the threat's name
        ("q=服务器", lambda e: pks(e["latest"]) | pks(e["unit"]) | pks(e["zjj"])),  # asset
        ("q=HYPERLINK", lambda e: set()),  # vulnerabilities are not searched
        ("q=OA-001", lambda e: pks(e["latest"])),  # the asset's code
        ("q=攻击1&level=4", lambda e: {e["latest"][1].pk}),
    ],
)
def test_filters(org, login, estate, query, expected):
    e = estate
    query = query.format(rsj=org.rsj.pk, unit=org.rsj_unit.pk, zjj=org.zjj.pk, yl=e["yl"].pk)
    response = login(org.supervisor).get(f"{URL}?{query}")
    assert set(ids(response)) == expected(e)
    assert response.context["listing"].messages == []


def test_values_it_cannot_use_are_ignored_and_said(org, login, estate):
    client = login(org.rsj_handler)
    for query, label in (
        ("level=6", "风险等级"),
        (f"department={org.zjj.pk}", "主管部门"),  # not theirs
        (f"system={estate['zj'].pk}", "系统"),
    ):
        response = client.get(f"{URL}?{query}")
        assert f"筛选条件“{label}”的值无效，已忽略" in response.content.decode(), query
        assert len(ids(response)) == 8


@pytest.mark.parametrize("sort", ["", "level"])
@pytest.mark.parametrize("who", ["supervisor", "rsj_handler"])
def test_paging_by_key_walks_every_row_once(org, login, estate, settings, who, sort):
    """Both ways of reading the list (a whole organisation, some departments: see
    risk_lists.estate_scenarios) in both orders, forward to the end and back to the
    start."""
    settings.FENGPING_PAGE_SIZE = 3
    oa = estate["oa"]
    more = assess_risks(org.rsj_handler, oa, [4] * 7 + [3] * 5, title="第三次评估")  # ties
    client = login(getattr(org, who))
    expected = pks(more) | pks(estate["unit"])
    if who == "supervisor":
        expected |= pks(estate["zjj"])
    seen, pages, query = [], [], f"sort={sort}" if sort else ""
    while True:
        listing = client.get(f"{URL}?{query}").context["listing"]
        pages.append(ids_of(listing))
        seen += ids_of(listing)
        if not listing.page.has_next:
            break
        query = listing.page.next_query
    assert len(seen) == len(set(seen)) and set(seen) == expected
    rows = Scenario.objects.in_bulk(seen)
    keys = [(-rows[pk].level, -rows[pk].risk, pk) for pk in seen]
    assert keys == (sorted(keys, reverse=True) if sort else sorted(keys))
    assert all(len(p) == 3 for p in pages[:-1])
    # back from the last page, page by page
    back = []
    while listing.page.has_previous and listing.page.previous_query:
        listing = client.get(f"{URL}?{listing.page.previous_query}").context["listing"]
        back = ids_of(listing) + back
    assert back == seen[: len(back)] and len(back) == len(seen) - len(pages[-1])


def ids_of(listing) -> list[int]:
    return [s.pk for s in listing.page.object_list]


def grow(org, first: int, n: int) -> None:
    """n more systems of 养老保险科, each with eight risks and a decision on one."""
    for i in range(first, first + n):
        system = make_system(org, f"S{i}", department=org.rsj_unit, name=f"系统{i}")
        add_assets(system, 1)
        rows = assess_risks(org.rsj_handler, system, [5, 4, 4, 3, 2, 1, 4, 4])
        RiskDecision.objects.create(
            assessment=rows[0].assessment,
            scenario=rows[0],
            treatment="reduce",
            reason="整改",
            proposed_by=org.rsj_handler,
        )


@pytest.mark.parametrize("who", ["supervisor", "rsj_handler"])
def test_a_page_costs_a_constant_number_of_queries(
    org, login, estate, settings, django_assert_max_num_queries, who
):
    """The list's rows, the bounded count, the department and system options, the scope,
    the session and the bell: the same with 58 risks as with 106, filtered or not."""
    settings.FENGPING_PAGE_SIZE = 5
    grow(org, 0, 6)
    client = login(getattr(org, who))
    client.get(URL)  # the session's refresh, the scope
    query = f"?department={org.rsj.pk}&level=4"
    with django_assert_max_num_queries(10) as plain:
        first = client.get(URL)
    with django_assert_max_num_queries(10) as filtered:
        client.get(URL + query)
    grow(org, 6, 6)
    with django_assert_max_num_queries(len(plain.captured_queries)):
        many = client.get(URL)
    assert many.context["listing"].page.total > first.context["listing"].page.total
    with django_assert_max_num_queries(len(plain.captured_queries)):
        client.get(f"{URL}?{many.context['listing'].page.next_query}")
    with django_assert_max_num_queries(len(filtered.captured_queries)):
        client.get(URL + query)


def test_the_export_honours_the_filters_and_is_formula_safe(org, login, estate):
    client = login(org.supervisor)
    page = client.get(f"{URL}?level=4").content.decode()
    assert "/infosec/risks/export.xlsx?level=4" in page
    response = client.get("/infosec/risks/export.xlsx?level=4")
    assert response.status_code == 200
    assert "fengping-infosec-all-risks.xlsx" in response["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].values)
    header, body = rows[0], rows[1:]
    for name in ("系统", "主管部门", "评估", "资产", "威胁", "脆弱性", "R", "风险等级", "处置"):
        assert name in header, name
    assert len(body) == 3 and {r[header.index("风险等级")] for r in body} == {"高"}
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    column = header.index("脆弱性") + 1
    cells = [sheet.cell(row, column) for row in range(2, sheet.max_row + 1)]
    formula_like = [c for c in cells if "HYPERLINK" in str(c.value)]
    assert [c.value for c in formula_like] == ["'=HYPERLINK(1)"]  # text, not a formula
    assert formula_like[0].data_type == "s"
    treatment = {r[header.index("处置")] for r in body}
    assert treatment == {"降低", "未决策"}
    outsider = login(org.zjj_handler).get("/infosec/risks/export.xlsx")
    rows = list(load_workbook(io.BytesIO(outsider.content)).worksheets[0].values)
    assert {r[0] for r in rows[1:]} == {"ZJ 住建系统"}


def test_the_api_twin(org, api, estate):
    call = api(org.supervisor)
    body = call("get", "/infosec/risks?level=4").json()
    assert body["count"] == 3
    item = next(i for i in body["items"] if i["id"] == estate["latest"][1].pk)
    assert item["system_code"] == "OA" and item["department_name"] == "人社局"
    assert item["level"] == 4 and item["level_label"] == "高" and item["risk"] == 19
    assert item["treatment"] == "reduce" and item["treatment_label"] == "降低"
    assert item["threat_name"] == "OA攻击1" and item["vulnerability_title"] == "弱口令"
    assert item["assessment_title"] == "本次评估"
    dept = call("get", f"/infosec/risks?department={org.rsj_unit.pk}").json()
    assert {i["id"] for i in dept["items"]} == pks(estate["unit"])
    assert api(org.zjj_handler)("get", "/infosec/risks").json()["count"] == 2
    assert api(org.nobody)("get", "/infosec/risks").json()["count"] == 0
    ignored = api(org.zjj_handler)("get", f"/infosec/risks?department={org.rsj.pk}").json()
    assert ignored["count"] == 2 and ignored["messages"] == ["筛选条件“主管部门”的值无效，已忽略"]


def test_the_api_pages_by_key(org, api, estate, settings):
    settings.NINJA_PAGINATION_PER_PAGE = 4
    call = api(org.supervisor)
    seen, cursor = [], ""
    while True:
        body = call("get", "/infosec/risks" + (f"?after={cursor}" if cursor else "")).json()
        seen += [i["id"] for i in body["items"]]
        if not body["next"]:
            break
        cursor = body["next"]
    assert len(seen) == len(set(seen)) == 10


@pytest.mark.parametrize(
    "query,says",
    [
        ("level=²", True),
        ("level=99999999999999999999999", True),
        ("department=-1", True),
        ("department=99999999999999999999999999", True),
        ("system=abc", True),
        ("q=%00%0b", False),  # control characters are dropped: no search
        ("after=not-a-cursor", True),
        ("after=WzUsIDI1XQ", True),  # a cursor of another list's shape
        ("after=Wzk5OTk5OSwgOTk5OTk5LCA5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OV0", True),  # out of range
        ("page=1001", True),
    ],
)
def test_hostile_values_are_ignored_not_failed(org, login, api, estate, query, says):
    response = login(org.supervisor).get(f"{URL}?{query}")
    assert response.status_code == 200
    assert bool(response.context["listing"].messages) == says, query
    assert len(ids(response)) == 10
    body = api(org.supervisor)("get", f"/infosec/risks?{query}")
    if body.status_code == 422:  # the API's door refuses what no field can hold
        assert body.json()["code"] == "invalid", query
        return
    assert body.status_code == 200 and bool(body.json()["messages"]) == says, query
    assert body.json()["count"] == 10
