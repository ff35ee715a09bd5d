"""core.listing: every filter kind, lenient parsing of bad input, keyset paging without a
whole-table count, exports that never fail on a stored value, and versioned options."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from fengping.api.tokens import do_create_token
from fengping.core import listing
from fengping.core.listing import (
    BooleanFilter,
    ChoiceFilter,
    Column,
    DateRangeFilter,
    DepartmentFilter,
    ListSpec,
    SearchFilter,
    YearFilter,
)
from fengping.core.xlsx import safe_cell
from fengping.matters import actions
from fengping.matters.lists import visible_departments
from fengping.matters.models import Matter
from fengping.matters.queries import visible_matters

SPEC = ListSpec(
    name="t",
    title="测试",
    queryset=visible_matters,
    order=("-id",),
    keyset=True,
    per_page=2,
    filters=(
        SearchFilter("q", "搜索", ("title", "description")),
        ChoiceFilter("status", "状态", [("registered", "已登记"), ("decided", "已决策")]),
        DepartmentFilter("department", "部门", visible_departments),
        YearFilter("year", "年度"),
        DateRangeFilter("planned", "计划决策", field="planned_decision_date"),
        BooleanFilter("confidential", "不公开"),
    ),
    columns=(Column("事项名称", lambda m: m.title),),
)


def register(org, title="事项", department=None, user=None, **kw):
    kw.setdefault("category_code", "focus_social_security")
    return actions.do_register_matter(
        user or org.rsj_handler,
        title=title,
        scheme_key="ssra-town",
        department=department or org.rsj,
        **kw,
    )


def titles(org, params, user=None, spec=SPEC):
    result = listing.filtered(spec, user or org.admin, params)
    return sorted(m.title for m in result.queryset), result.messages


@pytest.fixture
def matters(org):
    register(org, "养老金调整", planned_decision_date=dt.date(2026, 3, 1))
    register(org, "医保结算", planned_decision_date=dt.date(2026, 6, 1), confidential=True)
    register(
        org,
        "科室事项",
        department=org.rsj_unit,
        description="养老 服务",
        user=org.rsj_unit_assessor,
    )
    # An urban matter: 住建局 leads it (篇3 五), so 人社局 is neither its owner nor its lead.
    register(
        org, "棚户区改造", department=org.zjj, user=org.zjj_handler, category_code="focus_urban"
    )
    Matter.objects.filter(title="棚户区改造").update(year=2024)


def test_choice_filter_and_unknown_value(org, matters):
    Matter.objects.filter(title="医保结算").update(status="decided")
    assert titles(org, {"status": "decided"}) == (["医保结算"], [])
    names, notes = titles(org, {"status": "nonsense"})
    assert len(names) == 4 and notes == ["筛选条件“状态”的值无效，已忽略"]


def test_department_filter_takes_the_subtree_and_ignores_what_is_not_visible(org, matters):
    assert titles(org, {"department": str(org.rsj.pk)})[0] == ["养老金调整", "医保结算", "科室事项"]
    assert titles(org, {"department": str(org.rsj_unit.pk)})[0] == ["科室事项"]
    # 住建局 is not visible to 人社局's handler: ignored, not a 404 and not a leak.
    names, notes = titles(org, {"department": str(org.zjj.pk)}, user=org.rsj_handler)
    assert "棚户区改造" not in names and len(names) == 3 and notes
    for bad in ("²", "abc", "9" * 40, "-1"):
        names, notes = titles(org, {"department": bad})
        assert len(names) == 4 and notes == ["筛选条件“部门”的值无效，已忽略"], bad


def test_search_filter(org, matters):
    assert titles(org, {"q": "养老"})[0] == ["养老金调整", "科室事项"]
    assert titles(org, {"q": " 养老\x0b金 "})[0] == ["养老金调整"]


def test_year_filter_is_lenient(org, matters):
    this_year = timezone.localdate().year
    assert titles(org, {"year": "2024"})[0] == ["棚户区改造"]
    assert len(titles(org, {"year": str(this_year)})[0]) == 3
    for bad in ("²", "abc", "9" * 40, "20２4"):
        names, notes = titles(org, {"year": bad})
        assert len(names) == 4 and notes == ["筛选条件“年度”的值无效，已忽略"], bad


def test_date_range_filter(org, matters):
    assert titles(org, {"planned_from": "2026-02-01", "planned_to": "2026-03-31"})[0] == [
        "养老金调整"
    ]
    assert titles(org, {"planned_from": "2026-05-01"})[0] == ["医保结算"]
    names, notes = titles(org, {"planned_from": "2026-13-45", "planned_to": "2026-03-01"})
    assert names == ["养老金调整"] and notes == ["筛选条件“计划决策”的值无效，已忽略"]


def test_boolean_filter(org, matters):
    assert titles(org, {"confidential": "1"})[0] == ["医保结算"]
    assert titles(org, {"confidential": "是"})[0] == ["医保结算"]
    assert len(titles(org, {"confidential": "false"})[0]) == 3
    names, notes = titles(org, {"confidential": "maybe"})
    assert len(names) == 4 and notes


def test_keyset_paging_walks_forward_and_back(org, matters, rf):
    register(org, "第五件")
    all_titles = [m.title for m in visible_matters(org.admin).order_by("-id")]
    result = listing.filtered(SPEC, org.admin, {})
    first = listing.paginate(SPEC, result, {})
    assert [m.title for m in first.object_list] == all_titles[:2]
    assert first.has_next and not first.has_previous and first.start == 1
    after = first.next_query.split("after=")[1]
    second = listing.paginate(SPEC, result, {"after": after})
    assert [m.title for m in second.object_list] == all_titles[2:4]
    assert second.has_previous and second.has_next
    third = listing.paginate(SPEC, result, {"after": second.next_query.split("after=")[1]})
    assert [m.title for m in third.object_list] == all_titles[4:] and not third.has_next
    back = listing.paginate(SPEC, result, {"before": third.previous_query.split("before=")[1]})
    assert [m.title for m in back.object_list] == all_titles[2:4]
    assert back.has_previous and back.has_next
    back = listing.paginate(SPEC, result, {"before": back.previous_query.split("before=")[1]})
    assert [m.title for m in back.object_list] == all_titles[:2] and not back.has_previous
    assert first.total == 5 and not first.total_capped


def test_keyset_paging_survives_bad_cursors_and_page_numbers(org, matters):
    result = listing.filtered(SPEC, org.admin, {})
    for params in ({"after": "not-a-cursor"}, {"before": "W10"}, {"page": "9" * 40}, {"page": "²"}):
        page = listing.paginate(SPEC, result, params)
        assert len(page.object_list) == 2 and page.messages, params
    assert len(listing.paginate(SPEC, result, {"page": "2"}).object_list) == 2


def test_keyset_page_never_counts_the_whole_table(org, matters, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_BOUND", 3)
    result = listing.filtered(SPEC, org.admin, {})
    with CaptureQueriesContext(connection) as ctx:
        page = listing.paginate(SPEC, result, {})
    assert page.total == 3 and page.total_capped
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts)


def test_a_capped_count_is_remembered_and_an_exact_one_is_not(org, matters, monkeypatch, settings):
    """Past the bound the answer is remembered for FENGPING_CAPPED_COUNT_SECONDS per query;
    under it the list counts again on every view (a new row shows at once)."""
    settings.FENGPING_CAPPED_COUNT_SECONDS = 60
    monkeypatch.setattr(listing, "_CAPPED", {})
    qs = listing.filtered(SPEC, org.admin, {}).queryset

    def counts(q: Any) -> tuple[tuple[int, bool], int]:
        with CaptureQueriesContext(connection) as ctx:
            answer = listing.bounded_count(q, bound=3)
        return answer, len([x for x in ctx.captured_queries if "COUNT(" in x["sql"].upper()])

    assert counts(qs) == ((3, True), 1)
    assert counts(qs) == ((3, True), 0)  # remembered
    # Another scope or filter is another query: counted.
    narrower = listing.filtered(SPEC, org.admin, {"q": "养老"}).queryset
    assert counts(narrower) == ((2, False), 1)
    assert counts(narrower) == ((2, False), 1)  # exact counts are never remembered
    # Expired: counted again.
    for key in listing._CAPPED:
        listing._CAPPED[key] = 0.0
    assert counts(qs) == ((3, True), 1)
    settings.FENGPING_CAPPED_COUNT_SECONDS = 0
    assert counts(qs) == ((3, True), 1)


def test_a_page_that_ends_the_list_is_its_own_count(org, matters):
    """Issue 9: a search matching a few rows is not scanned a second time to count them."""
    result = listing.filtered(SPEC, org.admin, {"q": "养老"})
    with CaptureQueriesContext(connection) as ctx:
        page = listing.paginate(SPEC, result, {"q": "养老"})
    assert (page.total, page.total_capped, len(page.object_list)) == (2, False, 2)
    assert not [q for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    # A full page still counts (boundedly): more rows may follow.
    with CaptureQueriesContext(connection) as ctx:
        page = listing.paginate(SPEC, listing.filtered(SPEC, org.admin, {}), {}, per_page=2)
    assert page.total == 4 and page.has_next
    assert [q for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]


def test_list_pages_answer_odd_input_with_a_message(org, login, matters):
    client = login(org.admin)
    for query in ("year=²", "department=²", "page=" + "9" * 40, "after=%%%", "status=<b>"):
        response = client.get(f"/matters/?{query}")
        assert response.status_code == 200, query
        assert "已忽略" in response.content.decode() or "第一页" in response.content.decode()


def test_htmx_request_gets_the_results_block_only(org, login, matters):
    html = login(org.admin).get("/matters/?q=养老", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html and "养老金调整" in html and "棚户区改造" not in html
    # The export button outside the swapped block follows the filters (out-of-band swap).
    assert 'id="list-export" href="/matters/export.xlsx?q=%E5%85%BB%E8%80%81" hx-swap-oob' in html


def test_export_survives_control_characters_and_neutralises_formulas(org, login, matters):
    Matter.objects.filter(title="养老金调整").update(title="养老\x0b金\x01调整")
    Matter.objects.filter(title="医保结算").update(title='=HYPERLINK("http://x","y")')
    response = login(org.admin).get("/matters/export.xlsx?department=" + str(org.rsj.pk))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = {sheet.cell(r, 2).value for r in range(2, sheet.max_row + 1)}
    assert names == {"养老\ufffd金\ufffd调整", '\'=HYPERLINK("http://x","y")', "科室事项"}


def test_export_takes_the_filters_and_is_capped_with_a_note(org, login, matters, settings):
    settings.FENGPING_EXPORT_MAX_ROWS = 2
    response = login(org.admin).get("/matters/export.xlsx?year=²")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.worksheets[0].max_row == 3  # header + 2
    notes = [row[0] for row in wb.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert "只导出了前 2 行" in notes[0] and "年度" in notes[1]
    response = login(org.admin).get("/matters/export.xlsx?year=2024")
    assert load_workbook(io.BytesIO(response.content)).active.cell(2, 2).value == "棚户区改造"


def test_outsider_export_holds_only_their_own_rows(org, login, matters):
    sheet = load_workbook(io.BytesIO(login(org.zjj_handler).get("/matters/export.xlsx").content))
    names = [r[1] for r in sheet.active.iter_rows(min_row=2, values_only=True)]
    assert names == ["棚户区改造"]


def test_safe_cell_writes_local_time_and_text():
    moment = dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.UTC)
    assert safe_cell(moment) == dt.datetime(2026, 1, 1, 8, 30)
    assert safe_cell(moment.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))).tzinfo is None
    assert safe_cell("+1\x01") == "'+1\ufffd" and safe_cell(3) == 3 and safe_cell(None) is None


def test_versioned_options_rebuild_only_when_the_version_changes():
    calls, version = [], ["a"]

    @listing.versioned(lambda: version[0])
    def options():
        calls.append(1)
        return [len(calls)]

    assert options() == [1] and options() == [1] and len(calls) == 1
    version[0] = "b"
    assert options() == [2] and len(calls) == 2


def test_matter_filter_options_come_from_the_registry_once(org, login, matters, monkeypatch):
    from fengping.schemebook import registry

    client = login(org.admin)
    client.get("/matters/")
    scans = []
    original = registry.entries
    monkeypatch.setattr(registry, "entries", lambda: scans.append(1) or original())
    for _ in range(3):
        assert "社会保障" in client.get("/matters/?grade=nonsense&category=x").content.decode()
    assert scans == []


def test_api_list_takes_the_same_filters_and_pages_by_key(org, client, matters):
    _row, token = do_create_token(org.admin, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = client.get("/api/matters?year=²&department=" + str(org.rsj.pk), **auth).json()
    assert body["count"] == 3 and not body["count_capped"] and body["messages"]
    assert {m["title"] for m in body["items"]} == {"养老金调整", "医保结算", "科室事项"}
    for query in ("page=" + "9" * 18, "after=xyz", "year=abc"):
        assert client.get(f"/api/matters?{query}", **auth).status_code == 200, query
    # A number no 64-bit column can hold is refused at the API's door (JSON 422), never 500.
    huge = client.get("/api/matters?page=" + "9" * 40, **auth)
    assert huge.status_code == 422 and huge.json()["code"] == "invalid"
    for i in range(50):
        register(org, f"批量{i}")
    first = client.get("/api/matters", **auth).json()
    assert len(first["items"]) == 50 and first["next"] and first["previous"] is None
    second = client.get(f"/api/matters?after={first['next']}", **auth).json()
    assert len(second["items"]) == 4 and second["next"] is None
    assert not {m["id"] for m in first["items"]} & {m["id"] for m in second["items"]}


def test_a_crafted_cursor_out_of_the_database_range_is_ignored(org, matters):
    import base64
    import json

    raw = base64.urlsafe_b64encode(json.dumps([10**40]).encode()).decode()
    result = listing.filtered(SPEC, org.admin, {})
    page = listing.paginate(SPEC, result, {"after": raw})
    assert len(page.object_list) == 2 and page.messages


def test_keyset_paging_on_a_compound_order_visits_every_row_once(org, matters):
    from dataclasses import replace

    for i in range(5):
        register(org, f"补充{i}")
    Matter.objects.filter(title__in=["补充1", "补充3"]).update(year=2024)
    spec = replace(SPEC, order=("year", "-id"))
    expected = [m.title for m in visible_matters(org.admin).order_by("year", "-id")]
    result = listing.filtered(spec, org.admin, {})
    seen, params = [], {}
    while True:
        page = listing.paginate(spec, result, params)
        seen += [m.title for m in page.object_list]
        if not page.has_next:
            break
        params = {"after": page.next_query.split("after=")[1]}
    assert seen == expected
    back = listing.paginate(spec, result, {"before": page.previous_query.split("before=")[1]})
    assert [m.title for m in back.object_list] == expected[-3:-1]


@pytest.mark.parametrize(
    "url",
    [
        "/api/users?department_id=" + "9" * 30,
        "/api/users?department_id=" + "9" * 18,
        "/api/users?department=²&role=x&active=maybe",
        "/api/departments?page=" + "9" * 30,
        "/api/departments?page=99999999999",
        "/api/assessments?step=²&after=" + "A" * 2000,
        "/api/matters?year=%C2%B2&before=e30",
    ],
)
def test_api_lists_answer_odd_input_without_a_server_error(org, client, url):
    _row, token = do_create_token(org.admin, "t")
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    if "9" * 30 in url:  # beyond any 64-bit integer: the API's door answers 422
        assert response.status_code == 422 and response.json()["code"] == "invalid"
        return
    assert response.status_code == 200, response.content
    assert response.json()["messages"] or "departments" in url


def test_export_has_no_note_sheet_when_nothing_was_cut_or_ignored(org, login, matters):
    wb = load_workbook(io.BytesIO(login(org.admin).get("/matters/export.xlsx?year=2024").content))
    assert wb.sheetnames == ["评估事项"]


def test_options_follow_a_new_upload_or_dropped_file_on_the_next_request(
    org, login, settings, tmp_path
):
    from fengping.schemebook import actions as schemebook
    from fengping.schemebook import registry
    from tests.schemes.helpers import builtin_data, dump

    settings.DATA_DIR = tmp_path
    client = login(org.admin)
    before = registry.version()
    assert "某市方案" not in client.get("/matters/").content.decode()
    data = builtin_data("ssra-town")
    data.update(key="ssra-city", name="某市方案")
    schemebook.do_upload_scheme(org.admin, "c.yaml", dump(data))
    assert registry.version() != before
    assert "某市方案" in client.get("/matters/").content.decode()
    (tmp_path / "schemes").mkdir()
    data.update(key="ssra-district", name="某区方案")
    (tmp_path / "schemes" / "ssra-district.yaml").write_text(dump(data), encoding="utf-8")
    assert "某区方案" in client.get("/matters/").content.decode()
