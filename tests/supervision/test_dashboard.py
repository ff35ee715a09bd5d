"""The supervision dashboard: figures from built data, scoped to what each user sees,
links that the target lists accept, the five-minute cache and its refresh, 暂无数据 on
empty charts, and the API twin."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from fengping.cases.models import RunStatus, ScreeningRun
from fengping.infosec.models import RemediationTask, TaskStatus
from fengping.matters.actions import do_register_matter
from fengping.matters.models import Matter
from fengping.supervision import dashboard as db
from fengping.supervision.models import Obligation, ObligationKind
from tests.infosec.builders import make_system
from tests.opinions.conftest import register_matter

URL = "/supervision/dashboard/"


@pytest.fixture(autouse=True)
def _fresh_memo():
    db._memo.clear()
    yield
    db._memo.clear()


def chart(data, key):
    return next(c for c in data["charts"] if c["key"] == key)


def values(c):
    return {i["label"]: i["value"] for i in c["items"] if i["value"]}


@pytest.fixture
def built(org):
    """人社局: three matters in 2026 (two 一级, one 二级), one in 2025; 住建局: one in
    2026. Overdue obligations, screening runs and remediation tasks for both."""
    rsj = [register_matter(org, f"人社事项{i}") for i in range(3)]
    old = register_matter(org, "人社旧事项")
    zjj = do_register_matter(
        org.zjj_handler,
        title="住建事项",
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=org.zjj,
    )
    Matter.objects.filter(pk__in=[m.pk for m in [*rsj, old, zjj]]).update(year=2026)
    Matter.objects.filter(pk=old.pk).update(year=2025)
    Matter.objects.filter(pk__in=[rsj[0].pk, rsj[1].pk]).update(grade="level1", grade_label="一级")
    Matter.objects.filter(pk=rsj[2].pk).update(grade="level2", grade_label="二级")
    Matter.objects.filter(pk=zjj.pk).update(
        grade="level1", grade_label="一级", status="assessing", lead_department=None
    )
    zjj.assisting_departments.clear()
    today = timezone.localdate()
    for n, (dept, kind, due) in enumerate(
        [
            (org.rsj, ObligationKind.MONTHLY_REPORT, today - dt.timedelta(days=3)),
            (org.rsj, ObligationKind.MONTHLY_REPORT, today - dt.timedelta(days=40)),
            (org.rsj, ObligationKind.FILING, today + dt.timedelta(days=3)),  # not due yet
            (org.zjj, ObligationKind.ANNUAL_PLAN, today - dt.timedelta(days=1)),
        ]
    ):
        Obligation.objects.create(
            kind=kind,
            key=f"t-{n}",
            department=dept,
            title=f"事项{n}",
            base_due_on=due,
            due_on=due,
        )
    Obligation.objects.create(
        kind=ObligationKind.MEASURE,
        key="done",
        department=org.rsj,
        title="已完成",
        base_due_on=today - dt.timedelta(days=9),
        due_on=today - dt.timedelta(days=9),
        done_at=timezone.now(),
    )
    month = today.replace(day=1)
    for organ, flagged in ((org.rsj, 4), (org.zjj, 7)):
        ScreeningRun.objects.create(
            organ=organ,
            month=month,
            as_of=month,
            scheme_key="case-risk",
            scheme_version="1",
            criteria_version="x",
            flag_at="yellow",
            status=RunStatus.DONE,
            screened=10,
            flagged=flagged,
        )
    system = make_system(org)
    zsys = make_system(org, "ZJ", department=org.zjj, name="住建系统")
    for title, status, deadline, sys_ in (
        ("完成", TaskStatus.DONE, today - dt.timedelta(days=5), system),
        ("逾期", TaskStatus.OPEN, today - dt.timedelta(days=5), system),
        ("进行", TaskStatus.IN_PROGRESS, today + dt.timedelta(days=5), system),
        ("撤销", TaskStatus.CANCELLED, today - dt.timedelta(days=5), system),
        ("住建逾期", TaskStatus.OPEN, today - dt.timedelta(days=1), zsys),
    ):
        RemediationTask.objects.create(
            system=sys_,
            title=title,
            kind="technical",
            deadline=deadline,
            status=status,
            created_by=org.rsj_handler,
        )
    return {"rsj": rsj, "old": old, "zjj": zjj}


def figures_of(user, **filters):
    f = db.parse_filters(user, filters.get("year"), filters.get("department"))
    return db.figures(user, f)[0]


def test_figures_for_a_supervisor(org, built):
    data = figures_of(org.supervisor)
    assert values(chart(data, "grade")) == {"一级": 3, "二级": 1}
    assert values(chart(data, "year")) == {"2025": 1, "2026": 4}
    assert values(chart(data, "department")) == {"人社局": 4, "住建局": 1}
    assert values(chart(data, "status"))["评估中"] == 1
    assert values(chart(data, "overdue_kind")) == {
        "月度工作进展情况报告表": 2,
        "年度评估计划表备案": 1,
    }
    assert values(chart(data, "overdue_department")) == {"人社局": 2, "住建局": 1}
    screening = chart(data, "screening")
    assert [i["value"] for i in screening["items"]] == [11]
    assert [i["screened"] for i in screening["items"]] == [20]
    assert values(chart(data, "remediation")) == {"已完成": 1, "整改中（未逾期）": 1, "已逾期": 2}


def test_year_and_department_filters(org, built):
    data = figures_of(org.supervisor, year=2026, department=org.rsj.pk)
    assert values(chart(data, "grade")) == {"一级": 2, "二级": 1}
    assert values(chart(data, "department")) == {"人社局": 3}
    # the year chart keeps every year (the department still applies)
    assert values(chart(data, "year")) == {"2025": 1, "2026": 3}
    assert values(chart(data, "overdue_department")) == {"人社局": 2}
    assert [i["value"] for i in chart(data, "screening")["items"]] == [4]


def test_a_department_sees_only_its_own_figures(org, built):
    data = figures_of(org.zjj_handler)
    assert values(chart(data, "grade")) == {"一级": 1}
    assert values(chart(data, "department")) == {"住建局": 1}
    assert "人社局" not in values(chart(data, "overdue_department"))
    assert values(chart(data, "overdue_kind")) == {"年度评估计划表备案": 1}
    assert [i["value"] for i in chart(data, "screening")["items"]] == [7]
    assert values(chart(data, "remediation")) == {"已逾期": 1}
    head = figures_of(org.rsj_head)
    assert values(chart(head, "department")) == {"人社局": 4}
    # a department the user cannot see is ignored, not applied
    assert figures_of(org.zjj_handler, department=org.rsj.pk) == data


def test_links_carry_the_filters_and_the_lists_accept_them(org, built, login):
    client = login(org.supervisor)
    data = figures_of(org.supervisor, year=2026, department=org.rsj.pk)
    grade = next(i for i in chart(data, "grade")["items"] if i["code"] == "level1")
    assert "grade=level1" in grade["url"] and "year=2026" in grade["url"]
    assert f"department={org.rsj.pk}" in grade["url"]
    page = client.get(grade["url"]).content.decode()
    assert "人社事项0" in page and "人社事项1" in page
    assert "人社事项2" not in page and "住建事项" not in page
    by_year = next(i for i in chart(data, "year")["items"] if i["code"] == 2025)
    page = client.get(by_year["url"]).content.decode()
    assert "人社旧事项" in page and "人社事项0" not in page
    overdue = chart(data, "overdue_kind")["items"][0]
    assert overdue["url"].startswith("/supervision/todo/?")
    assert "status=overdue" in overdue["url"] and "kind=monthly_report" in overdue["url"]
    tasks = next(i for i in chart(data, "remediation")["items"] if i["code"] == "overdue")
    page = client.get(tasks["url"]).content.decode()
    assert client.get(tasks["url"]).status_code == 200
    assert "逾期" in page and "进行" not in page
    runs = chart(data, "screening")["items"][0]["url"]
    assert client.get(runs).status_code == 200


def test_the_page_draws_the_charts_and_says_when(org, built, login):
    response = login(org.rsj_head).get(URL + "?year=2026")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="dashboard-data"' in html and "echarts.min.js" in html
    assert "数据截至" in html
    assert 'id="dashboard-refresh"' not in html  # only supervisors and administrators
    assert "<script>" not in html.replace('<script id="dashboard-data"', "")  # CSP: no inline JS
    assert "住建局" not in html.split('id="dashboard-data"')[1].split("</script>")[0]
    assert "暂无数据" in html  # no infosec risk scenarios, no decisions


def test_empty_charts_say_so(org, login):
    html = login(org.supervisor).get(URL).content.decode()
    assert html.count("暂无数据") >= 10
    data = json.loads(html.split('id="dashboard-data" type="application/json">')[1].split("<")[0])
    assert all(c["empty"] for c in data["charts"])


def test_figures_are_cached_and_a_supervisor_refreshes_them(org, built, login):
    first = figures_of(org.supervisor)
    register_matter(org, "后来的事项")
    assert figures_of(org.supervisor) == first  # kept for five minutes
    client = login(org.supervisor)
    response = client.post(URL + "refresh/", {"query": "year=2026"})
    assert response.status_code == 302 and response.url.endswith("?year=2026")
    assert figures_of(org.supervisor) != first
    assert login(org.rsj_handler).post(URL + "refresh/").status_code == 403
    client = login(org.supervisor)
    assert client.post(URL + "refresh/", {"query": "//evil.example/"}).url.startswith(URL)


def test_the_refresh_is_seen_by_every_worker(org, built):
    before = db.generation()
    db.refresh()
    assert db.generation() == before + 1


def test_the_page_query_count_is_constant(org, built, login, django_assert_max_num_queries):
    client = login(org.supervisor)
    client.get(URL)  # session, scope
    db._memo.clear()
    with django_assert_max_num_queries(24):
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(10):  # cached figures
        assert client.get(URL).status_code == 200


def test_api_twin(org, built, api):
    response = api(org.zjj_handler)("get", "/supervision/dashboard?year=2026")
    assert response.status_code == 200
    body = response.json()
    assert body["year"] == 2026 and body["department"] is None
    grade = next(c for c in body["charts"] if c["key"] == "grade")
    assert {i["label"]: i["value"] for i in grade["items"]} == {"一级": 1}
    assert "computed_at" in body
    other = api(org.zjj_handler)("get", f"/supervision/dashboard?department={org.rsj.pk}")
    assert other.json()["department"] is None
