"""The statistics of the cases app: figures per organ and month and per screening
criterion, checked against hand-counted rows written directly; scoping (another organ's
figures never show), a constant number of queries, the page, its export and the API, and
the home cards.

The hand count (court FY; procuratorate JCY; Asia/Shanghai):

runs      FY 2026-09 (as_of 09-01, screened 100, flagged 3), FY 2026-10 (as_of 10-01, 110, 2),
          FY 2026-11 failed (not counted), JCY 2026-10 (as_of 10-01, 50, 1; criteria in
          another bit order: B, A, C)
results   R9: c1 A|B flagged, c2 B flagged, c3 C flagged, c4 A not flagged;
          R10: c1 A flagged, c5 C flagged; RJ: j1 A flagged
petitions c1 09-20 (followed a flag), c2 08-15 (before anything), c3 12-15 (followed),
          c5 10-01 (the 排查日 itself: not after), c4 10-10 (assessed 10-05), j1 10-20
assessed  c4 10-05 10:00; c1 10-31 23:30 (local October, UTC too) resolved 11-01 00:30
          local (UTC: still October); c2 11-01 00:30 but void; j1 09-10
stages    c1 adjudicated twice on 11-03 (one case), c5 adjudicated 11-20, c2 closed 11-05,
          j1 adjudicated 10-25
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from fengping.cases import statistics as st
from fengping.cases.models import (
    AssessmentStatus,
    CaseAssessment,
    Petition,
    ResolutionState,
    RunStatus,
    ScreeningResult,
    ScreeningRun,
    StageChange,
    TargetChoice,
    TargetDecision,
)
from fengping.org.models import Department
from tests.conftest import Org, build_org
from tests.module_db import module_data

from .builders import Courts, build_courts, make_case

A = {"code": "a", "label": "甲规则"}
B = {"code": "b", "label": "乙规则"}
C = {"code": "c", "label": "丙规则"}
PERIOD = st.Period(dt.date(2026, 8, 1), dt.date(2026, 12, 1))
LATER = dt.date(2027, 6, 1)  # every window has ended


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=timezone.get_current_timezone())


def run(organ: Department, month: dt.date, criteria: list[dict], **values: Any) -> ScreeningRun:
    defaults: dict[str, Any] = {
        "as_of": month,
        "scheme_key": "case-risk",
        "scheme_version": "1",
        "criteria_version": "x",
        "criteria": criteria,
        "flag_at": "yellow",
        "status": RunStatus.DONE,
    }
    defaults.update(values)
    return ScreeningRun.objects.create(organ=organ, month=month, **defaults)


def result(r: ScreeningRun, case, fired: int, flagged: bool = True) -> ScreeningResult:
    return ScreeningResult.objects.create(
        run=r, case=case, score=3, fired=fired, level="yellow", severity=2, flagged=flagged
    )


def assessment(case, started: dt.datetime, by, **values: Any) -> CaseAssessment:
    return CaseAssessment.objects.create(
        case=case,
        stage=case.stage,
        reason="manual",
        scheme_key="case-risk",
        scheme_version="1",
        scheme_hash="x",
        scheme_snapshot={},
        current_step="analyse",
        started_by=by,
        started_at=started,
        **values,
    )


def stage(case, at: dt.datetime, gate: str = "adjudicate") -> StageChange:
    return StageChange.objects.create(
        case=case, to_stage="ruling", gate=gate, source="page", changed_at=at
    )


@dataclass
class World:
    org: Org
    courts: Courts
    ids: dict[str, int]


def build_world() -> World:
    org = build_org()
    courts = build_courts(org)
    fy, jcy, h = courts.fy, courts.jcy, courts.fy_handler
    c = {n: make_case(fy, f"（2026）示01刑初{n}号", handler=h) for n in range(1, 6)}
    j1 = make_case(jcy, "（2026）示检刑诉1号")
    r9 = run(fy, dt.date(2026, 9, 1), [A, B, C], screened=100, flagged=3)
    r10 = run(fy, dt.date(2026, 10, 1), [A, B, C], screened=110, flagged=2)
    run(fy, dt.date(2026, 11, 1), [A, B, C], screened=7, flagged=7, status=RunStatus.FAILED)
    rj = run(jcy, dt.date(2026, 10, 1), [B, A, C], screened=50, flagged=1)
    result(r9, c[1], 0b011)
    result(r9, c[2], 0b010)
    result(r9, c[3], 0b100)
    result(r9, c[4], 0b001, flagged=False)
    result(r10, c[1], 0b001)
    result(r10, c[5], 0b100)
    result(rj, j1, 0b010)  # A is bit 1 in this run
    for case, day in [
        (c[1], dt.date(2026, 9, 20)),
        (c[2], dt.date(2026, 8, 15)),
        (c[3], dt.date(2026, 12, 15)),
        (c[5], dt.date(2026, 10, 1)),
        (c[4], dt.date(2026, 10, 10)),
        (j1, dt.date(2026, 10, 20)),
    ]:
        Petition.objects.create(case=case, date=day, persons=2)
    assessment(c[4], local(2026, 10, 5, 10, 0), h)
    assessment(
        c[1],
        local(2026, 10, 31, 23, 30),
        h,
        status=AssessmentStatus.RESOLVED,
        resolution_state=ResolutionState.APPROVED,
        resolution_decided_at=local(2026, 11, 1, 0, 30),
    )
    assessment(c[2], local(2026, 11, 1, 0, 30), h, status=AssessmentStatus.VOID)
    assessment(j1, local(2026, 9, 10, 9, 0), courts.jcy_handler)
    stage(c[1], local(2026, 11, 3, 9, 0))
    stage(c[1], local(2026, 11, 3, 15, 0))
    stage(c[5], local(2026, 11, 20, 9, 0))
    stage(c[2], local(2026, 11, 5, 9, 0), gate="close")
    stage(j1, local(2026, 10, 25, 9, 0))
    return World(org, courts, {"r9": r9.pk, "r10": r10.pk, "rj": rj.pk, "c1": c[1].pk})


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_data(django_db_blocker, build_world)


@pytest.fixture
def courts(db, world) -> Courts:
    return world.courts.fresh()


@pytest.fixture
def org(db, world) -> Org:
    return world.org.fresh()


def months(stats: st.MonthlyStats, organ: Department) -> dict[str, dict[str, int]]:
    row = next(o for o in stats.organs if o.organ_id == organ.pk)
    return {m.strftime("%m"): cell for m, cell in row.months.items()}


def cell(**values: int) -> dict[str, int]:
    return {**dict.fromkeys(st.FIGURE_CODES, 0), **values}


# ---------------------------------------------------------------- per organ and month


def test_monthly_figures_match_the_hand_count(courts):
    stats = st.monthly(courts.zfw_supervisor, PERIOD)
    assert [o.name for o in stats.organs] == ["示范市人民法院", "示范市人民检察院"]
    assert months(stats, courts.fy) == {
        "08": cell(petitions=1),
        "09": cell(screened=100, flagged=3, petitions=1, petitions_followed=1),
        "10": cell(screened=110, flagged=2, assessed=2, petitions=2, petitions_followed=1),
        "11": cell(resolved=1, adjudicated=2),
        "12": cell(petitions=1, petitions_followed=1),
    }
    assert months(stats, courts.jcy) == {
        "08": cell(),
        "09": cell(assessed=1),
        "10": cell(screened=50, flagged=1, adjudicated=1, petitions=1, petitions_followed=1),
        "11": cell(),
        "12": cell(),
    }
    fy = next(o for o in stats.organs if o.organ_id == courts.fy.pk)
    assert fy.total == cell(
        screened=210, flagged=5, assessed=2, resolved=1, adjudicated=2, petitions=5,
        petitions_followed=3,
    )  # fmt: skip
    assert stats.by_month[dt.date(2026, 10, 1)] == cell(
        screened=160, flagged=3, assessed=2, adjudicated=1, petitions=3, petitions_followed=2
    )
    assert stats.total["screened"] == 260 and stats.total["petitions"] == 6


def test_months_are_local_months(courts):
    """00:30 on 1 November in 示范市 is still 31 October in UTC: the resolution counts in
    November where the organ is, in October for a server whose zone is UTC."""
    assert months(st.monthly(courts.fy_handler, PERIOD), courts.fy)["11"]["resolved"] == 1
    with timezone.override("UTC"):
        utc = months(st.monthly(courts.fy_handler, PERIOD), courts.fy)
    assert utc["10"]["resolved"] == 1 and utc["11"]["resolved"] == 0


def test_a_handler_sees_only_their_organ(courts, org):
    stats = st.monthly(courts.jcy_handler, PERIOD)
    assert [o.organ_id for o in stats.organs] == [courts.jcy.pk]
    assert stats.total["screened"] == 50 and stats.total["assessed"] == 1
    # Asking for another organ's id gives nothing of it.
    assert st.monthly(courts.jcy_handler, PERIOD, [courts.fy.pk]).organs == []
    outsider = st.monthly(org.zjj_handler, PERIOD)
    assert outsider.organs == [] and outsider.empty


def test_a_unit_below_the_organ_sees_no_organ(courts):
    """The 刑事审判庭's handler reads its unit, not the court's cases."""
    assert st.monthly(courts.fy_handler2, PERIOD).organs == []


def test_period_parsing():
    today = dt.date(2026, 12, 6)
    assert st.period_from(today=today) == st.Period(dt.date(2026, 1, 1), dt.date(2026, 12, 1))
    assert st.period_from("2026-11", "2026-03", today) == st.Period(
        dt.date(2026, 3, 1), dt.date(2026, 11, 1)
    )
    assert st.period_from("nonsense", "2026-02", today).first == dt.date(2025, 3, 1)
    long = st.period_from("1990-01", "2026-12", today)
    assert len(long.months) == st.MAX_MONTHS and long.last == dt.date(2026, 12, 1)
    assert st.parse_window("x") == st.DEFAULT_WINDOW
    assert st.parse_window("0") == 1 and st.parse_window("99999") == st.MAX_WINDOW


# ---------------------------------------------------------------- per criterion


def figures(stats: st.CriteriaStats) -> dict[str, tuple[int, int]]:
    return {r.code: (r.flagged, r.petitioned) for r in stats.rows}


def test_criteria_figures_match_the_hand_count(courts):
    stats = st.by_criterion(courts.zfw_supervisor, PERIOD, today=LATER)
    # A: c1 (twice, one case) and j1 — bit 0 in the court's runs, bit 1 in the
    # procuratorate's; c4's A did not flag it. C: c3's petition is 105 days after.
    assert figures(stats) == {"a": (2, 2), "b": (2, 1), "c": (2, 0)}
    assert [r.label for r in stats.rows] == ["甲规则", "乙规则", "丙规则"]
    assert (stats.overall.flagged, stats.overall.petitioned) == (5, 2)
    assert stats.rows[1].share == 0.5 and stats.open_runs == 0


def test_the_window_is_a_parameter(courts):
    stats = st.by_criterion(courts.zfw_supervisor, PERIOD, window=120, today=LATER)
    assert figures(stats)["c"] == (2, 1)
    assert (stats.overall.flagged, stats.overall.petitioned) == (5, 3)


def test_criteria_of_one_run(courts, world):
    r9 = ScreeningRun.objects.get(pk=world.ids["r9"])
    stats = st.by_criterion(courts.fy_handler, PERIOD, run=r9, today=LATER)
    assert figures(stats) == {"a": (1, 1), "b": (2, 1), "c": (1, 0)}
    # A run whose window has not ended yet is said to be open.
    assert st.by_criterion(courts.fy_handler, PERIOD, run=r9, today=dt.date(2026, 9, 30)).open_runs


def test_criteria_are_scoped(courts, org):
    stats = st.by_criterion(courts.jcy_handler, PERIOD, today=LATER)
    assert figures(stats) == {"b": (0, 0), "a": (1, 1), "c": (0, 0)}
    assert [r.organ_id for r in stats.runs] == [courts.jcy.pk]
    assert st.by_criterion(org.zjj_handler, PERIOD).empty


# ---------------------------------------------------------------- constant queries


def more_organs(org: Org, n: int) -> None:
    from fengping.cases.models import OrganProfile
    from fengping.org import actions as org_actions

    for i in range(n):
        d = org_actions.do_create_department(
            org.superuser, name=f"公安分局{i}", code=f"GA{i}", kind="political_legal",
            parent=org.root,
        )  # fmt: skip
        OrganProfile.objects.create(department=d, organ_kind="public_security")
        case = make_case(d, f"（2026）公{i}号")
        for m in (9, 10, 11):
            r = run(d, dt.date(2026, m, 1), [A, B, C], screened=5, flagged=1)
            result(r, case, 0b111)
        Petition.objects.create(case=case, date=dt.date(2026, 10, 3))
        assessment(case, local(2026, 10, 2, 9, 0), org.superuser)
        stage(case, local(2026, 11, 2, 9, 0))


def page_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/cases/statistics/?from=2025-01&to=2026-12").status_code == 200
    return len(ctx.captured_queries)


def test_constant_number_of_queries(courts, org, login, django_assert_max_num_queries):
    user = courts.zfw_supervisor
    client = login(org.admin)
    page_queries(client)  # the first request of a session reads more (session, user)
    before = page_queries(client)
    one = st.Period(dt.date(2026, 10, 1), dt.date(2026, 10, 1))
    with django_assert_max_num_queries(7):
        st.monthly(courts.fy_handler, one)
    with django_assert_max_num_queries(3):
        st.by_criterion(courts.fy_handler, one)
    more_organs(org, 4)
    user = type(user).objects.get(pk=user.pk)
    with django_assert_max_num_queries(7):
        stats = st.monthly(user, st.Period(dt.date(2025, 1, 1), dt.date(2026, 12, 1)))
    assert len(stats.organs) == 6 and stats.total["screened"] == 260 + 4 * 15
    with django_assert_max_num_queries(2):
        crit = st.by_criterion(user, PERIOD, today=LATER)
    assert figures(crit)["a"] == (6, 6)
    assert page_queries(client) == before


# ---------------------------------------------------------------- the page, export, API


def test_page_shows_the_figures_and_charts_data(courts, login):
    client = login(courts.fy_handler)
    r = client.get("/cases/statistics/?from=2026-08&to=2026-12")
    assert r.status_code == 200
    page = r.content.decode()
    assert "示范市人民法院" in page and "示范市人民检察院" not in page
    assert "甲规则" in page and "stats-chart-data" in page
    assert "为全部列入研判案件的倍数" in page
    assert "cases/stats.js" in page and "vendor/echarts/echarts.min.js" in page
    data = json.loads(
        page.split('id="stats-chart-data" type="application/json">')[1].split("</script>")[0]
    )
    assert data["months"][0] == "2026-08"
    assert data["series"][0]["data"] == [0, 100, 110, 0, 0]


def test_page_of_an_outsider_shows_nothing_of_the_court(org, login):
    page = login(org.zjj_handler).get("/cases/statistics/?from=2026-08&to=2026-12")
    text = page.content.decode()
    assert page.status_code == 200
    assert "示范市人民法院" not in text and "甲规则" not in text
    assert "没有可统计的政法单位" in text


def test_organ_and_run_filters_refuse_outsiders(courts, world, login):
    client = login(courts.jcy_handler)
    assert client.get(f"/cases/statistics/?organ={courts.fy.pk}").status_code == 404
    assert client.get(f"/cases/statistics/?run={world.ids['r9']}").status_code == 404
    assert client.get("/cases/statistics/?organ=abc").status_code == 404
    assert client.get(f"/cases/statistics/export.xlsx?organ={courts.fy.pk}").status_code == 404
    ok = client.get(f"/cases/statistics/?run={world.ids['rj']}&from=2026-08&to=2026-12")
    assert ok.status_code == 200 and "甲规则" in ok.content.decode()


def test_garbage_parameters_do_not_break_the_page(courts, login):
    client = login(courts.fy_handler)
    r = client.get("/cases/statistics/?from=2026-99&to=x&window=-5&organ=&run=")
    assert r.status_code == 200


def test_empty_state(org, courts, login):
    page = login(courts.fy_handler).get("/cases/statistics/?from=2020-01&to=2020-03")
    text = page.content.decode()
    assert page.status_code == 200 and "所选月份没有数据" in text


def test_reader_sees_figures_and_the_page_changes_nothing(courts, login):
    client = login(courts.fy_reader)
    assert client.get("/cases/statistics/?from=2026-08&to=2026-12").status_code == 200
    assert client.post("/cases/statistics/").status_code == 405
    assert client.post("/cases/statistics/export.xlsx").status_code == 405


def test_export_is_two_formula_safe_sheets(courts, login):
    from openpyxl import load_workbook

    Department.objects.filter(pk=courts.fy.pk).update(name="=HYPERLINK(1)法院")
    r = login(courts.fy_handler).get("/cases/statistics/export.xlsx?from=2026-08&to=2026-12")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert len(wb.sheetnames) == 2
    monthly, criteria = (list(wb[n].iter_rows(values_only=True)) for n in wb.sheetnames)
    assert monthly[1][0] == "'=HYPERLINK(1)法院" and monthly[1][1] == "2026-08"
    assert any(row[2] == 100 for row in monthly)  # September screened
    assert "示范市人民检察院" not in str(monthly)
    assert criteria[0][:2] == ("排查规则", "列入研判案件数")
    assert {row[0]: row[1:] for row in criteria[1:]}["乙规则"] == (
        2,
        1,
        50.0,
        2.0,
    )  # all flagged: 1 of 4


def test_api_returns_the_same_figures(courts, org, world, api):
    r = api(courts.fy_handler)("get", "/cases/statistics/?first=2026-08&last=2026-12")
    assert r.status_code == 200
    body = r.json()
    assert [o["name"] for o in body["monthly"]["organs"]] == ["示范市人民法院"]
    assert body["monthly"]["organs"][0]["total"] == {
        "screened": 210, "flagged": 5, "assessed": 2, "resolved": 1, "adjudicated": 2,
        "petitions": 5, "petitions_followed": 3,
    }  # fmt: skip
    codes = {c["code"]: c for c in body["criteria"]["criteria"]}
    assert codes["b"]["flagged"] == 2
    out = api(org.zjj_handler)("get", "/cases/statistics/?first=2026-08&last=2026-12").json()
    assert out["monthly"]["organs"] == [] and out["criteria"]["criteria"] == []
    assert (
        api(courts.jcy_handler)("get", f"/cases/statistics/?organ={courts.fy.pk}").status_code
        == 404
    )
    assert api(courts.jcy_handler)("post", "/cases/statistics/").status_code == 405
    r9 = world.ids["r9"]
    assert api(courts.jcy_handler)("get", f"/cases/statistics/?run={r9}").status_code == 404
    ok = api(courts.fy_handler)("get", f"/cases/statistics/?run={r9}&window=120").json()
    assert ok["criteria"]["run"] == r9 and ok["criteria"]["window_days"] == 120
    assert {c["code"]: c["petitioned"] for c in ok["criteria"]["criteria"]}["c"] == 1


# ---------------------------------------------------------------- home cards


def test_home_cards(courts, world, org, django_assert_max_num_queries):
    from fengping.cases.home import case_cards

    # The court's latest run is R10: c1 and c5 flagged; c1 decided, so one awaits.
    TargetDecision.objects.create(
        run_id=world.ids["r10"],
        case_id=world.ids["c1"],
        choice=TargetChoice.NOT_TARGET,
        decided_by=courts.fy_handler,
    )
    from fengping.cases.models import Case

    Case.objects.filter(pk=world.ids["c1"]).update(risk_open=True)
    with django_assert_max_num_queries(4):
        cards = {c["label"]: c for c in case_cards(courts.fy_handler)}
    assert cards["待研判案件"]["value"] == 1 and cards["风险未化解案件"]["value"] == 1
    both = {c["label"]: c["value"] for c in case_cards(courts.zfw_supervisor)}
    assert both["待研判案件"] == 2  # + j1 of the procuratorate's latest run
    assert case_cards(org.zjj_handler) == []
