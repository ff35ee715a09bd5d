"""The 年度考核 lists on core.listing (supervision.evaluation_lists): the runs an office's
readers see and the scores (a department its own), with their filters (year, office,
最新/历史, 年中), sorts, paging, the XLSX export (formula-safe) and the API twins — and a
constant number of queries per page, however many runs there are."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fengping.core.xlsx import open_workbook
from fengping.org import actions as org_actions
from fengping.org.models import DepartmentKind
from fengping.supervision.models import Evaluation, EvaluationRun

THIS = timezone.localdate().year
LAST = THIS - 1
RUNS_API = "/supervision/evaluation/runs"


def make_runs(org, office, year, n=1, scores=(("rsj", "90"), ("zjj", "80"))):
    """`n` runs of `office` for `year` (oldest first), each scoring 人社局 and 住建局:
    written directly, the computation is tested in test_evaluation.py."""
    runs = []
    for _ in range(n):
        run = EvaluationRun.objects.create(
            office=office,
            year=year,
            scheme_key="ssra-town",
            scheme_version="1",
            computed_by=org.supervisor,
        )
        Evaluation.objects.bulk_create(
            Evaluation(
                run=run,
                department=getattr(org, name),
                score=Decimal(score),
                rank=rank,
                items=[],
            )
            for rank, (name, score) in enumerate(scores, 1)
        )
        runs.append(run)
    return runs


@pytest.fixture
def runs(org):
    """维稳办: two runs of last year (the first superseded) and one of this year (年中);
    联席办: one run of last year."""
    old, latest = make_runs(org, org.wwb, LAST, n=2)
    (current,) = make_runs(org, org.wwb, THIS)
    (joint,) = make_runs(org, org.lxb, LAST, scores=(("rsj", "70"), ("zjj", "95")))
    return {"old": old, "latest": latest, "current": current, "joint": joint}


def ids(response):
    return [r["id"] for r in response.json()["items"]]


# ------------------------------------------------------------------ the runs


def test_runs_api_filters_sorts_and_marks(org, api, runs):
    call = api(org.supervisor)
    body = call("get", RUNS_API).json()
    assert body["count"] == 4 and body["messages"] == []
    assert ids(call("get", RUNS_API)) == [
        runs["current"].pk,
        runs["joint"].pk,
        runs["latest"].pk,
        runs["old"].pk,
    ]
    by_id = {r["id"]: r for r in body["items"]}
    assert by_id[runs["old"].pk]["latest"] is False and by_id[runs["latest"].pk]["latest"]
    assert by_id[runs["current"].pk]["provisional"] and not by_id[runs["joint"].pk]["provisional"]
    assert {r["departments"] for r in body["items"]} == {2}

    def only(query):
        return sorted(ids(call("get", f"{RUNS_API}?{query}")))

    assert only("status=superseded") == [runs["old"].pk]
    assert only("status=latest") == sorted(
        [runs["latest"].pk, runs["current"].pk, runs["joint"].pk]
    )
    assert only(f"office={org.lxb.pk}") == [runs["joint"].pk]
    assert only(f"year={LAST}") == sorted([runs["old"].pk, runs["latest"].pk, runs["joint"].pk])
    assert only("provisional=1") == [runs["current"].pk]
    assert only(f"provisional=0&office={org.wwb.pk}") == sorted([runs["old"].pk, runs["latest"].pk])
    assert ids(call("get", f"{RUNS_API}?sort=year")) == [
        runs["old"].pk,
        runs["latest"].pk,
        runs["joint"].pk,
        runs["current"].pk,
    ]
    # 维稳办 was created before 联席办: its path sorts first.
    assert ids(call("get", f"{RUNS_API}?sort=office"))[-1] == runs["joint"].pk
    odd = call("get", f"{RUNS_API}?year=²&office=abc&status=maybe&sort=x").json()
    assert odd["count"] == 4 and len(odd["messages"]) == 4
    assert "筛选条件“年度”的值无效，已忽略" in odd["messages"]


def test_runs_api_pages(org, api):
    make_runs(org, org.wwb, LAST, n=55, scores=())
    call = api(org.supervisor)
    first = call("get", RUNS_API).json()
    assert first["count"] == 55 and len(first["items"]) == 50
    second = call("get", f"{RUNS_API}?page=2").json()
    assert len(second["items"]) == 5
    assert not {r["id"] for r in first["items"]} & {r["id"] for r in second["items"]}


def test_runs_page_filters_and_htmx_partial(org, login, runs):
    client = login(org.supervisor)
    page = client.get(reverse("supervision:evaluation_runs") + "?status=superseded")
    text = page.content.decode()
    assert page.status_code == 200 and "compute-form" in text
    assert reverse("supervision:evaluation_run", args=[runs["old"].pk]) in text
    assert reverse("supervision:evaluation_run", args=[runs["latest"].pk]) not in text
    assert 'name="sort"' in text and "按考核机关" in text  # the sort select
    assert "共 1 条" in text
    partial = client.get(
        reverse("supervision:evaluation_runs") + f"?office={org.lxb.pk}", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "compute-form" not in partial and "<html" not in partial
    assert reverse("supervision:evaluation_run", args=[runs["joint"].pk]) in partial
    assert "status=" not in partial.split('id="list-export"')[1].split(">")[0]
    assert f"office={org.lxb.pk}" in partial.split('id="list-export"')[1].split(">")[0]


def test_runs_export_takes_the_filters_and_neutralises_formulas(org, login, runs):
    from fengping.org.models import Department

    Department.objects.filter(pk=org.lxb.pk).update(name='=HYPERLINK("http://x","联席办")')
    client = login(org.supervisor)
    response = client.get(reverse("supervision:evaluation_export") + "?status=latest")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="fengping-evaluation-runs.xlsx"'
    rows = list(open_workbook(response.content).worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == [
        "年度",
        "考核机关",
        "状态",
        "年中",
        "被考核单位",
        "计算时间",
        "计算人",
        "评估方案",
    ]
    assert len(rows) == 4  # the three latest runs
    offices = {r[1] for r in rows[1:]}
    assert '\'=HYPERLINK("http://x","联席办")' in offices and "维稳办" in offices
    assert {r[2] for r in rows[1:]} == {"最新"}
    current = next(r for r in rows[1:] if r[0] == THIS)
    assert current[3] == "是" and current[4] == 2
    # Local time, never UTC: the cell is the run's time in Asia/Shanghai.
    local = timezone.localtime(runs["current"].computed_at).replace(tzinfo=None, microsecond=0)
    assert current[5].replace(microsecond=0) == local


# ------------------------------------------------------------------ the scores


def test_a_department_sees_its_own_scores_with_filters(org, login, api, runs):
    client = login(org.rsj_head)
    text = client.get(reverse("supervision:evaluation_runs")).content.decode()
    assert "人社局" in text and "住建局" not in text and "compute-form" not in text
    own = Evaluation.objects.filter(department=org.rsj)
    for e in own:
        assert reverse("supervision:evaluation", args=[e.pk]) in text
    text = client.get(reverse("supervision:evaluation_scores") + f"?year={THIS}").content.decode()
    current = own.get(run=runs["current"])
    assert reverse("supervision:evaluation", args=[current.pk]) in text
    assert "共 1 条" in text
    scores = api(org.rsj_head)("get", f"/supervision/evaluation/scores?year={LAST}").json()
    assert sorted(s["run_id"] for s in scores) == sorted(
        [runs["old"].pk, runs["latest"].pk, runs["joint"].pk]
    )
    assert {s["department"] for s in scores} == {"人社局"}
    latest = api(org.rsj_head)("get", "/supervision/evaluation/scores?status=latest").json()
    assert len(latest) == 3


def test_who_may_compute_but_reads_no_run_sees_own_scores_and_the_form(org, login, runs):
    """人社局's head heads a 监察室 under it: offered the computation for it, and shown
    人社局's own scores until a run of that office exists."""
    org_actions.do_create_department(
        org.superuser, name="监察室", code="RSJ-JC", kind=DepartmentKind.SUPERVISION, parent=org.rsj
    )
    text = login(org.rsj_head).get(reverse("supervision:evaluation_runs")).content.decode()
    assert "compute-form" in text and "住建局" not in text
    own = Evaluation.objects.get(run=runs["latest"], department=org.rsj)
    assert reverse("supervision:evaluation", args=[own.pk]) in text


def test_the_office_lists_every_departments_scores(org, login, api, runs):
    client = login(org.supervisor)
    url = reverse("supervision:evaluation_scores")
    text = client.get(url + f"?department={org.zjj.pk}&office={org.lxb.pk}").content.decode()
    joint = Evaluation.objects.get(run=runs["joint"], department=org.zjj)
    assert reverse("supervision:evaluation", args=[joint.pk]) in text and "共 1 条" in text
    best = api(org.supervisor)("get", "/supervision/evaluation/scores?sort=score").json()
    assert [s["score"] for s in best][:1] == [95.0]
    response = client.get(reverse("supervision:evaluation_scores_export") + "?status=superseded")
    rows = list(open_workbook(response.content).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:4] == ("年度", "被考核单位", "得分", "名次")
    assert sorted(r[1] for r in rows[1:]) == ["人社局", "住建局"]


# ------------------------------------------------------------------ queries per page


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


PAGES = (
    "supervision:evaluation_runs",
    "supervision:evaluation_scores",
    "supervision:evaluation_export",
    "supervision:evaluation_scores_export",
)


def test_lists_run_a_constant_number_of_queries(
    org, login, api, runs, django_assert_max_num_queries
):
    client = login(org.supervisor)
    call = api(org.supervisor)
    urls = [reverse(name) for name in PAGES]
    client.get(urls[0])  # the session's first request
    few = {url: _queries(client, url) for url in urls}
    with CaptureQueriesContext(connection) as ctx:
        call("get", RUNS_API)
    few_api = len(ctx)
    make_runs(org, org.wwb, LAST - 1, n=30)
    make_runs(org, org.lxb, LAST - 2, n=30)
    for url in urls:
        with django_assert_max_num_queries(few[url]):
            assert client.get(url).status_code == 200
    with django_assert_max_num_queries(few_api):
        assert call("get", RUNS_API).json()["count"] == 64
    # Pinned: the page (with the compute form, the filter options and the notification
    # bell: 11 today) and the API list (with the token check: 7).
    with django_assert_max_num_queries(12):
        client.get(urls[0] + f"?year={LAST}&status=latest&sort=office")
    with django_assert_max_num_queries(11):
        client.get(urls[1] + f"?office={org.wwb.pk}&sort=score")
    with django_assert_max_num_queries(7):
        call("get", f"{RUNS_API}?year={LAST}&status=latest")
