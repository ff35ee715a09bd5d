"""应评未评: rows appear when a must-assess object is decided (adjudicated, left in service)
without a completed (current) assessment, and disappear when it has one; the page for the
supervising offices, its XLSX export and API; the count per department; query counts."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from fengping.assessments.models import Assessment, AssessmentStatus
from fengping.cases.models import AssessmentStatus as CaseStatus
from fengping.cases.models import CaseAssessment, StageChange, TargetDecision
from fengping.infosec.models import AssessmentStatus as SystemStatus
from fengping.infosec.models import System, SystemAssessment
from fengping.supervision import unassessed
from tests.cases.builders import build_courts, make_case
from tests.infosec.builders import make_system, start

from . import incident_builders as b


def _ids(kind):
    return set(getattr(unassessed, kind)().values_list("pk", flat=True))


def test_matters_decided_without_an_assessment(org):
    listed = b.matter(org, title="已决定未评估")
    b.decide_without(org, listed, on=dt.date(2026, 3, 5))
    b.matter(org, title="尚未决定")
    optional = b.matter(org, title="非必评", must_assess=False)
    b.decide_without(org, optional)
    done = b.matter(org, title="已评估")
    b.assessed(org, done)
    assert _ids("matters") == {listed.pk}
    row = unassessed.matters().get()
    assert row.decided_on == dt.date(2026, 3, 5)
    assert row.head_name == "rsj_head" and row.created_by == org.rsj_handler

    # An assessment in progress does not take it off the list; a finished one does.
    a = Assessment.objects.create(
        matter=listed,
        scheme_key="ssra-town",
        scheme_version="1",
        scheme_hash="0" * 64,
        scheme_snapshot={},
        current_step="plan",
        status=AssessmentStatus.IN_PROGRESS,
        started_by=org.rsj_handler,
    )
    assert _ids("matters") == {listed.pk}
    Assessment.objects.filter(pk=a.pk).update(status=AssessmentStatus.CLOSED)
    assert _ids("matters") == set()


def test_cases_adjudicated_without_a_resolved_assessment(org):
    courts = build_courts(org)
    major = make_case(courts.fy, "（2026）示刑初1号", major_complex=True, stage="ruling")
    StageChange.objects.create(
        case=major,
        from_stage="trial",
        to_stage="ruling",
        gate="adjudicate",
        source="manual",
        changed_at=timezone.make_aware(dt.datetime(2026, 4, 2, 10)),
    )
    make_case(courts.fy, "（2026）示刑初2号", major_complex=True, stage="trial")  # not yet
    make_case(courts.fy, "（2026）示刑初3号", stage="closed")  # not required
    targeted = make_case(courts.fy, "（2026）示刑初4号", stage="execution")
    from fengping.cases.models import ScreeningRun

    run = ScreeningRun.objects.create(
        organ=courts.fy,
        month=dt.date(2026, 3, 1),
        as_of=dt.date(2026, 3, 31),
        scheme_key="case-risk",
        scheme_version="1",
        criteria_version="1",
        flag_at="yellow",
        started_by=courts.fy_handler,
    )
    TargetDecision.objects.create(
        run=run, case=targeted, choice="target", decided_by=courts.fy_handler
    )
    assert _ids("cases") == {major.pk, targeted.pk}
    row = unassessed.cases().get(pk=major.pk)
    assert row.adjudicated_on == dt.date(2026, 4, 2)
    assert row.head_name == "fy_head"
    CaseAssessment.objects.create(
        case=major,
        stage="trial",
        reason="early",
        status=CaseStatus.RESOLVED,
        started_by=courts.fy_handler,
        scheme_key="case-risk",
        scheme_version="1",
        scheme_hash="0" * 64,
        scheme_snapshot={},
        current_step="resolve",
    )
    assert _ids("cases") == {targeted.pk}


def test_systems_in_service_without_a_current_assessment(org):
    never = make_system(org, "NEVER", name="从未评估")
    stale = make_system(org, "STALE", name="评估过期")
    fresh = make_system(org, "FRESH", name="评估有效")
    make_system(org, "OFF", name="已停用")
    System.objects.filter(code="OFF").update(is_active=False)
    for system, days in ((stale, 400), (fresh, 30)):
        run = start(org, system)
        SystemAssessment.objects.filter(pk=run.pk).update(
            status=SystemStatus.FINISHED, finished_at=timezone.now() - dt.timedelta(days=days)
        )
    assert _ids("systems") == {never.pk, stale.pk}
    row = unassessed.systems().get(pk=stale.pk)
    assert unassessed.lapsed_on(row) == timezone.localdate() - dt.timedelta(days=400 - 365)
    assert unassessed.lapsed_on(unassessed.systems().get(pk=never.pk)) == timezone.localdate(
        never.created_at
    )


def test_count_by_department(org):
    courts = build_courts(org)
    for n, on in enumerate((dt.date(2025, 6, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1))):
        b.decide_without(org, b.matter(org, title=f"事项{n}"), on=on)
    make_case(
        courts.fy,
        "（2026）示刑初9号",
        major_complex=True,
        stage="ruling",
        stage_since=dt.date(2026, 5, 1),
    )
    make_system(org, "NEW")
    this_year = timezone.localdate().year
    counts = unassessed.count_by_department(2026)
    expected_rsj = 2 + (1 if this_year == 2026 else 0)
    assert counts[org.rsj.pk] == expected_rsj
    assert counts[courts.fy.pk] == 1
    assert unassessed.count_by_department(2025) == {org.rsj.pk: 1}


def test_page_tabs_export_and_api(org, login, api, django_assert_max_num_queries):
    courts = build_courts(org)
    for n in range(3):
        b.decide_without(org, b.matter(org, title=f"事项{n}"))
    for n in range(3):
        make_case(courts.fy, f"（2026）示刑初{n}号", major_complex=True, stage="ruling")
    for n in range(3):
        make_system(org, f"S{n}")
    client = login(org.supervisor)
    for name in ("unassessed_matters", "unassessed_cases", "unassessed_systems"):
        with django_assert_max_num_queries(12):
            r = client.get(reverse(f"supervision:{name}"))
        assert r.status_code == 200
        assert r.content.count(b"rsj_head") + r.content.count(b"fy_head") >= 3
        r = client.get(reverse(f"supervision:{name}_export"))
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd")
    for n in range(3, 8):
        b.decide_without(org, b.matter(org, title=f"事项{n}"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("supervision:unassessed_matters")).status_code == 200
    body = api(org.lxb_supervisor)("get", "/supervision/unassessed/matters").json()
    assert body["count"] == 8
    assert {i["head"] for i in body["items"]} == {"rsj_head"}
    assert body["items"][0]["department"] == "人社局"


def test_only_supervising_offices_and_supervisors(org, login, api):
    b.decide_without(org, b.matter(org))
    assert login(org.rsj_head).get(reverse("supervision:unassessed_matters")).status_code == 403
    assert (
        login(org.rsj_head).get(reverse("supervision:unassessed_cases_export")).status_code == 403
    )
    assert api(org.zjj_handler)("get", "/supervision/unassessed/matters").status_code == 403
    assert login(org.admin).get(reverse("supervision:unassessed_matters")).status_code == 200
