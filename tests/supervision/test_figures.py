"""The figures of the monthly report (supervision.figures): on a small organisation built
for the module, every figure has its own test, with decoys in 住建局, before and after the
month, so a broken filter (department subtree, month window, state) fails its figure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fengping.assessments.actions import do_start_assessment
from fengping.assessments.models import (
    Assessment,
    AssessmentStatus,
    Decision,
    Filing,
    FollowUpMeasure,
    MeasureStatus,
)
from fengping.cases.models import RunStatus, ScreeningRun
from fengping.infosec.models import RemediationTask, TaskStatus
from fengping.matters.actions import do_register_matter
from fengping.matters.models import Matter
from fengping.supervision import figures as figs
from tests.conftest import Org, build_org
from tests.infosec.builders import make_system
from tests.module_db import module_data


def last_month() -> dt.date:
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


M = last_month()
BEFORE = (M - dt.timedelta(days=1)).replace(day=1)


def at(month: dt.date, day: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(month.year, month.month, day, 12))


@dataclass
class World:
    org: Org
    pulled: dict[str, Any]
    queries: int


def _matter(user, dept, title, created):
    m = do_register_matter(
        user,
        title=title,
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=dept,
    )
    Matter.objects.filter(pk=m.pk).update(created_at=created)
    return m


def _assessment(user, matter, *, started, status, grade="", graded_at=None):
    a = do_start_assessment(user, matter)
    Assessment.objects.filter(pk=a.pk).update(
        started_at=started, status=status, grade=grade, graded_at=graded_at
    )
    return Assessment.objects.get(pk=a.pk)


def _decision(org, matter, a, outcome, label, day):
    return Decision.objects.create(
        matter=matter,
        assessment=a,
        outcome=outcome,
        outcome_label=label,
        doc_no=f"示府〔{day:%Y%m%d}〕{matter.pk}号",
        decided_on=day,
        authority="市人民政府常务会议",
        recorded_by=org.rsj_handler,
    )


def _run(org, organ, month, screened, flagged):
    return ScreeningRun.objects.create(
        organ=organ,
        month=month,
        as_of=month,
        scheme_key="case-risk",
        scheme_version="1",
        criteria_version="1",
        flag_at="orange",
        status=RunStatus.DONE,
        screened=screened,
        flagged=flagged,
    )


def build_world() -> World:
    org = build_org()
    h, zh = org.rsj_handler, org.zjj_handler
    today = timezone.localdate()
    # matters: two in the month (one in the unit below 人社局), one before, one after,
    # one of 住建局
    m1 = _matter(h, org.rsj, "在本月登记的事项", at(M, 3))
    m2 = _matter(h, org.rsj_unit, "科室在本月登记的事项", at(M, 5))
    m3 = _matter(h, org.rsj, "上月登记的事项", at(BEFORE, 9))
    _matter(h, org.rsj, "之后登记的事项", timezone.now())
    mz = _matter(zh, org.zjj, "住建局的事项", at(M, 4))
    # assessments
    _assessment(h, m1, started=at(M, 6), status=AssessmentStatus.IN_PROGRESS)
    a2 = _assessment(
        h,
        m2,
        started=at(M, 7),
        status=AssessmentStatus.DECIDED,
        grade="level2",
        graded_at=at(M, 12),
    )
    a3 = _assessment(
        h,
        m3,
        started=at(BEFORE, 10),
        status=AssessmentStatus.DECIDED,
        grade="level1",
        graded_at=at(BEFORE, 20),
    )
    az = _assessment(
        zh,
        mz,
        started=at(M, 7),
        status=AssessmentStatus.IN_PROGRESS,
        grade="level1",
        graded_at=at(M, 8),
    )
    # decisions: a2 in the month (completes it), a3 before, one without an assessment in
    # the month, 住建局's in the month
    _decision(org, m2, a2, "implement", "实施", M.replace(day=15))
    _decision(org, m3, a3, "postpone", "暂缓实施", BEFORE.replace(day=25))
    _decision(org, m1, None, "terminate", "不实施", M.replace(day=16))
    _decision(org, mz, az, "implement", "实施", M.replace(day=15))

    # measures of a2: due in the month done / not done (overdue), due later; 住建局's
    def measure(a, title, due, status):
        FollowUpMeasure.objects.create(
            assessment=a,
            kind="response",
            title=title,
            owner="科室",
            due=due,
            status=status,
            created_by=h,
        )

    measure(a2, "已落实", M.replace(day=10), MeasureStatus.DONE)
    measure(a2, "未落实", M.replace(day=11), MeasureStatus.IN_PROGRESS)
    measure(a2, "未到期", today + dt.timedelta(days=30), MeasureStatus.PLANNED)
    measure(az, "住建局未落实", M.replace(day=11), MeasureStatus.PLANNED)
    # filings: a2 with both offices in the month (one late), a3 before, 住建局's
    Filing.objects.create(
        assessment=a2, office=org.wwb, filed_on=M.replace(day=17), filed_by=h, late=True
    )
    Filing.objects.create(assessment=a2, office=org.lxb, filed_on=M.replace(day=16), filed_by=h)
    Filing.objects.create(
        assessment=a3, office=org.wwb, filed_on=BEFORE.replace(day=26), filed_by=h
    )
    Filing.objects.create(assessment=az, office=org.wwb, filed_on=M.replace(day=16), filed_by=zh)
    # case screening: the unit and 人社局 in the month, 人社局 the month before, 住建局
    _run(org, org.rsj_unit, M, 10, 3)
    _run(org, org.rsj, M, 5, 1)
    _run(org, org.rsj, BEFORE, 99, 9)
    _run(org, org.zjj, M, 50, 20)
    # remediation tasks
    system = make_system(org)
    zsystem = make_system(org, "ZJ", department=org.zjj, name="住建系统")

    def task(s, title, deadline, status, closed_at=None):
        RemediationTask.objects.create(
            system=s,
            title=title,
            kind="technical",
            deadline=deadline,
            status=status,
            created_by=h,
            closed_at=closed_at,
        )

    task(system, "逾期未整改", today - dt.timedelta(days=3), TaskStatus.OPEN)
    task(system, "整改中", today + dt.timedelta(days=3), TaskStatus.IN_PROGRESS)
    task(system, "本月完成", M.replace(day=1), TaskStatus.DONE, at(M, 20))
    task(system, "复测关闭", M.replace(day=1), TaskStatus.CLOSED_BY_SCAN, at(BEFORE, 20))
    task(system, "撤销", today - dt.timedelta(days=3), TaskStatus.CANCELLED)
    task(zsystem, "住建局逾期", today - dt.timedelta(days=3), TaskStatus.OPEN)

    with CaptureQueriesContext(connection) as ctx:
        pulled = figs.pull(org.rsj, M)
    return World(org=org, pulled=pulled, queries=len(ctx.captured_queries))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_data(django_db_blocker, build_world)


EXPECTED = {
    "matters_month": 2,
    "matters_total": 3,
    "assessments_started_month": 2,
    "assessments_started_total": 3,
    "assessments_in_progress": 1,
    "assessments_completed_month": 1,
    "assessments_completed_total": 2,
    "grades_month": 1,
    "grade:level2": 1,
    "decisions_month": 2,
    "decision:implement": 1,
    "decision:terminate": 1,
    "measures_due_month": 2,
    "measures_done_month": 1,
    "measures_overdue": 1,
    "filings_month": 2,
    "filings_late_month": 1,
    "cases_screened_month": 15,
    "cases_flagged_month": 4,
    "tasks_open": 2,
    "tasks_overdue": 1,
    "tasks_done_month": 1,
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_figure(key, world, db):
    assert world.pulled[key]["value"] == EXPECTED[key], world.pulled[key]


def test_every_figure_is_tested_and_labelled(world, db):
    assert set(world.pulled) == set(EXPECTED)
    for key, row in world.pulled.items():
        assert row["label"] and row["group"], key
        dt.datetime.fromisoformat(row["as_of"])
    assert world.pulled["grade:level2"]["label"] == "其中二级"
    assert world.pulled["decision:implement"]["label"] == "其中实施"


def test_month_counts_are_as_of_the_month_end_and_states_as_of_the_pull(world, db):
    month_end = dt.datetime.fromisoformat(world.pulled["matters_month"]["as_of"])
    assert timezone.localtime(month_end).date() == figs.next_month(M)
    pulled_at = dt.datetime.fromisoformat(world.pulled["tasks_open"]["as_of"])
    assert abs((timezone.now() - pulled_at).total_seconds()) < 600


def test_the_order_is_the_report_table(world, db):
    keys = list(world.pulled)
    assert keys[0] == "matters_month"
    assert keys.index("grade:level2") == keys.index("grades_month") + 1
    assert keys.index("decisions_month") < keys.index("decision:implement")


def test_a_pull_costs_a_constant_number_of_queries(world, db):
    assert world.queries <= figs.QUERIES + 2  # the scheme registry may look once
    with CaptureQueriesContext(connection) as ctx:
        figs.pull(world.org.root, M)
    assert len(ctx.captured_queries) <= figs.QUERIES + 2


def test_the_current_month_counts_to_now(world, db):
    this = timezone.localdate().replace(day=1)
    pulled = figs.pull(world.org.rsj, this)
    # the matter registered just now
    assert pulled["matters_month"]["value"] == 1
    assert pulled["matters_total"]["value"] == 4
    assert pulled["cases_screened_month"]["value"] == 0


def test_the_whole_organisation_counts_every_department(world, db):
    pulled = figs.pull(world.org.root, M)
    assert pulled["matters_month"]["value"] == 3
    assert pulled["cases_screened_month"]["value"] == 65
    assert pulled["decision:implement"]["value"] == 2
