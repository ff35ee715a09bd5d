"""Every obligation in one table (issue 12): each provider opens its obligation while the
work is owed and closes it when the work is done; the sync is idempotent; due dates move
off statutory holidays; 我的待办 and the calendar show only the user's own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from fengping.assessments import actions as assessment_actions
from fengping.assessments.models import FollowUpMeasure
from fengping.audit.models import Event
from fengping.cases.actions import screening as screening_actions
from fengping.core import tick
from fengping.infosec.actions import tasks as task_actions
from fengping.infosec.actions import treatment as treatment_actions
from fengping.matters.actions import do_register_matter
from fengping.matters.models import Matter
from fengping.supervision import deadlines, obliged
from fengping.supervision import obligations as ob
from fengping.supervision.actions import obligations as actions
from fengping.supervision.models import (
    AnnualPlan,
    MonthlyReport,
    Obligation,
    ObligationKind,
    PlanFiling,
    ReportStatus,
    RulesFiling,
)
from tests.assessments.test_filing_and_dates import decided
from tests.cases.builders import build_courts
from tests.infosec.treatment_builders import register as register_system
from tests.infosec.treatment_builders import rsj_leader, scenario_of

TODAY = timezone.localdate
THIS_MONTH = timezone.localdate().replace(day=1)


def is_open(key: str) -> bool:
    return Obligation.objects.filter(key=key, done_at__isnull=True).exists()


def row(key: str) -> Obligation:
    return Obligation.objects.get(key=key)


# ------------------------------------------------------------------ providers


def test_annual_plan_opens_until_filed_and_reopens(org):
    year = TODAY().year
    key = f"annual_plan:{org.rsj.pk}:{year}"
    ob.sync()
    o = row(key)
    assert o.done_at is None and o.department == org.rsj and o.office == org.wwb
    assert o.owner is None and o.base_due_on == dt.date(year, 3, 31)
    assert o.due_on == deadlines.next_working_day(dt.date(year, 3, 31))
    # The supervising offices owe no plan.
    assert not Obligation.objects.filter(department=org.wwb).exists()
    plan = AnnualPlan.objects.create(department=org.rsj, year=year, scheme_key="ssra-town")
    filing = PlanFiling.objects.create(
        plan=plan, number=1, office=org.wwb, filed_at=timezone.now(), due_on=o.due_on
    )
    counts = ob.sync()
    assert counts["closed"] >= 1 and not is_open(key)
    filing.delete()
    counts = ob.sync()
    assert counts["reopened"] == 1 and is_open(key)


def test_a_department_obliged_by_a_later_matter_owes_the_plan_after_it(org):
    """A unit first responsible for a matter in July could not have filed by 3月底: it owes
    the year's plan `joined_late_days` (30) after; a department of an obliged kind keeps
    the date, and the filing action counts late by the same date."""
    year = TODAY().year - 1
    matter = do_register_matter(
        org.rsj_unit_assessor,
        title="养老保险经办流程调整",
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=org.rsj_unit,
    )
    at = timezone.make_aware(dt.datetime(year, 7, 10, 9))
    Matter.objects.filter(pk=matter.pk).update(created_at=at)
    ob.sync()
    owed = dt.date(year, 8, 9)
    assert row(f"annual_plan:{org.rsj_unit.pk}:{year}").base_due_on == owed
    assert row(f"implementation_rules:{org.rsj_unit.pk}:{year}").base_due_on == owed
    assert row(f"annual_plan:{org.rsj.pk}:{year + 1}").base_due_on == dt.date(year + 1, 3, 31)
    assert obliged.joined_on(org.rsj_unit) == dt.date(year, 7, 10)
    assert obliged.joined_on(org.rsj) is None
    base, _due = deadlines.yearly_due("annual_plan", year, since=obliged.joined_on(org.rsj_unit))
    assert base == owed


def test_next_years_plan_is_owed_from_october(org):
    ctx = ob._context(dt.date(2026, 9, 30))
    assert list(ob._years(dt.date(2026, 1, 1), ctx.today)) == [2026]
    assert list(ob._years(dt.date(2026, 1, 1), dt.date(2026, 10, 1))) == [2026, 2027]


def test_implementation_rules_close_when_filed(org):
    year = TODAY().year
    key = f"implementation_rules:{org.zjj.pk}:{year}"
    ob.sync()
    assert is_open(key)
    rules = RulesFiling.objects.create(
        department=org.zjj,
        year=year,
        title="实施办法",
        due_on=dt.date(year, 3, 30),
        created_by=org.zjj_handler,
    )
    ob.sync()
    assert is_open(key)  # registered, not yet filed
    rules.filed_at = timezone.now()
    rules.save()
    ob.sync()
    assert not is_open(key)


def test_monthly_report_closes_when_submitted(org):
    key = f"monthly_report:{org.rsj.pk}:{THIS_MONTH:%Y-%m}"
    ob.sync()
    o = row(key)
    assert o.base_due_on == THIS_MONTH.replace(day=20)
    report = MonthlyReport.objects.create(
        department=org.rsj, month=THIS_MONTH, due_on=o.due_on, created_by=org.rsj_handler
    )
    ob.sync()
    assert is_open(key)  # a draft is not the report
    report.status = ReportStatus.SUBMITTED
    report.save()
    ob.sync()
    assert not is_open(key)
    report.status = ReportStatus.RETURNED
    report.save()
    ob.sync()
    assert is_open(key)  # sent back: owed again


def test_filing_owed_with_each_office_the_day_after_the_decision(org):
    a = decided(org, days_ago=2)
    ob.sync()
    keys = {f"filing:{a.pk}:stability_office", f"filing:{a.pk}:joint_office"}
    assert all(is_open(k) for k in keys)
    o = row(f"filing:{a.pk}:joint_office")
    assert o.office.kind == "joint_office" and o.department == org.rsj
    assert o.base_due_on == TODAY() - dt.timedelta(days=1)
    assert o.url == reverse("assessments:detail", args=[a.pk])
    assessment_actions.do_file(
        org.rsj_handler, a, office=org.wwb, filed_on=TODAY(), late_reason="会议推迟"
    )
    ob.sync_for(ObligationKind.FILING)
    assert not is_open(f"filing:{a.pk}:stability_office")
    assert is_open(f"filing:{a.pk}:joint_office")
    assessment_actions.do_file(
        org.rsj_handler, a, office=org.lxb, filed_on=TODAY(), late_reason="会议推迟"
    )
    ob.sync_for(ObligationKind.FILING)
    assert not any(is_open(k) for k in keys)


def test_measure_open_until_done(org):
    a = decided(org)
    m = assessment_actions.do_add_measure(
        org.rsj_handler, a, kind="response", title="做好解释工作", owner="养老保险科", due=TODAY()
    )
    undated = assessment_actions.do_add_measure(
        org.rsj_handler, a, kind="response", title="无时限", owner="养老保险科"
    )
    ob.sync()
    assert is_open(f"measure:{m.pk}")
    assert not Obligation.objects.filter(key=f"measure:{undated.pk}").exists()
    assessment_actions.do_update_measure(
        org.rsj_handler, m, status="done", evidence="已开会解释", version=m.version
    )
    ob.sync()
    assert not is_open(f"measure:{m.pk}")


def test_remediation_task_owned_by_its_owner_until_closed(org):
    a = register_system(org, {4: 1})
    treatment_actions.do_decide(org.rsj_handler, scenario_of(a, 4), "reduce", "修复")
    (task,) = task_actions.do_create_tasks_from_risks(org.rsj_handler, a, owner=org.rsj_handler)
    ob.sync()
    o = row(f"remediation:{task.pk}")
    assert o.done_at is None and o.owner == org.rsj_handler and o.base_due_on == task.deadline
    task_actions.do_close_task(org.rsj_handler, task, "已修复，复测通过", version=task.version)
    ob.sync()
    assert not is_open(f"remediation:{task.pk}")


def test_case_screening_owed_until_the_months_run(org):
    courts = build_courts(org)
    profile = courts.fy.case_profile
    key = f"case_screening:{courts.fy.pk}:{THIS_MONTH:%Y-%m}"
    ob.sync()
    o = row(key)
    assert o.base_due_on == THIS_MONTH  # case-risk: screening.day 1
    assert o.due_on == deadlines.next_working_day(THIS_MONTH)
    screening_actions.do_run_screening(courts.fy_handler, profile, THIS_MONTH)
    ob.sync()
    assert not is_open(key)


def test_accepted_risk_review_due_on_expiry(org):
    a = register_system(org, {5: 1})
    d = treatment_actions.do_decide(org.rsj_handler, scenario_of(a, 5), "accept", "业务连续")
    ob.sync()
    assert not Obligation.objects.filter(kind=ObligationKind.RISK_REVIEW).exists()  # pending
    d = treatment_actions.do_approve_acceptance(rsj_leader(org), d, "同意", version=d.version)
    ob.sync()
    o = Obligation.objects.get(kind=ObligationKind.RISK_REVIEW)
    assert o.base_due_on == d.expires_on == TODAY() + dt.timedelta(days=365)
    assert o.done_at is None and o.object_id == str(d.pk)
    treatment_actions.do_decide(
        org.rsj_handler, scenario_of(a, 5), "reduce", "改为整改", version=d.version
    )
    ob.sync()
    o.refresh_from_db()
    assert o.done_at is not None


# ------------------------------------------------------------------ sync


def test_sync_twice_changes_nothing_and_reads_in_sets(org, django_assert_max_num_queries):
    a = decided(org)
    FollowUpMeasure.objects.bulk_create(
        FollowUpMeasure(
            assessment=a,
            kind="response",
            title=f"措施{n}",
            owner="科",
            due=TODAY(),
            created_by=org.rsj_handler,
        )
        for n in range(40)
    )
    with django_assert_max_num_queries(30):  # whatever the number of rows
        first = ob.sync()
    assert first["created"] > 40
    before = list(Obligation.objects.values_list("pk", "synced_at", "done_at").order_by("pk"))
    second = ob.sync()
    assert {k: second[k] for k in ("created", "updated", "closed", "reopened")} == dict.fromkeys(
        ("created", "updated", "closed", "reopened"), 0
    )
    assert before == list(
        Obligation.objects.values_list("pk", "synced_at", "done_at").order_by("pk")
    )


def test_changed_due_date_and_title_are_updated(org):
    a = decided(org)
    m = assessment_actions.do_add_measure(
        org.rsj_handler, a, kind="response", title="旧标题", owner="科", due=TODAY()
    )
    ob.sync()
    type(m).objects.filter(pk=m.pk).update(title="新标题", due=TODAY() + dt.timedelta(days=30))
    counts = ob.sync()
    assert counts["updated"] == 1
    o = row(f"measure:{m.pk}")
    assert o.title.endswith("新标题") and o.base_due_on == TODAY() + dt.timedelta(days=30)


def test_a_deadline_on_a_holiday_moves_to_the_next_working_day(db):
    # 2026 National Day: 1–7 October off (and the 8th, 中秋 moved), 10 October a 调休 Saturday.
    pol = deadlines.policy(None)
    assert pol.on_holiday == "next_working_day"
    assert deadlines.shifted(dt.date(2026, 10, 1), pol) == dt.date(2026, 10, 8)
    assert deadlines.is_working_day(dt.date(2026, 10, 10))  # a 调休 Saturday
    assert deadlines.shifted(dt.date(2026, 10, 10), pol) == dt.date(2026, 10, 10)


def test_a_measure_due_on_a_holiday_is_due_after_it(org):
    a = decided(org)
    m = assessment_actions.do_add_measure(
        org.rsj_handler, a, kind="response", title="国庆", owner="科", due=TODAY()
    )
    type(m).objects.filter(pk=m.pk).update(due=dt.date(2026, 10, 1))
    ob.sync()
    o = row(f"measure:{m.pk}")
    assert (o.base_due_on, o.due_on) == (dt.date(2026, 10, 1), dt.date(2026, 10, 8))


def test_tick_job_runs_the_sync(org):
    outcomes = {o.job: o for o in tick.tick()}
    assert outcomes["supervision.obligations"].status == "ran"
    assert Obligation.objects.exists()


def test_sync_now_is_for_supervisors_and_admins_with_an_audit_event(org, login, api):
    with pytest.raises(PermissionDenied):
        actions.do_sync_obligations(org.rsj_head)
    counts = actions.do_sync_obligations(org.supervisor)
    assert counts["created"] > 0
    assert Event.objects.filter(action="supervision.obligations.sync").count() == 1
    url = reverse("supervision:obligations_sync")
    assert login(org.rsj_handler).post(url).status_code == 403
    assert login(org.admin).post(url).status_code == 302
    r = api(org.rsj_handler)("post", "/supervision/obligations/sync")
    assert r.status_code == 403
    r = api(org.supervisor)("post", "/supervision/obligations/sync")
    assert r.status_code == 200 and r.json()["created"] == 0
    assert Event.objects.filter(action="supervision.obligations.sync").count() == 3


# ------------------------------------------------------------------ 我的待办


def test_my_list_shows_mine_and_never_anothers(org, login):
    a = decided(org)
    assessment_actions.do_add_measure(
        org.rsj_handler, a, kind="response", title="人社局的措施", owner="科", due=TODAY()
    )
    ob.sync()
    page = login(org.rsj_handler).get(reverse("supervision:todo")).content.decode()
    assert "人社局的措施" in page and "年度社会稳定风险评估计划表备案" in page
    other = login(org.zjj_handler).get(reverse("supervision:todo")).content.decode()
    assert "人社局的措施" not in other and "住建局" in other
    # The supervisor sees the organisation's.
    everything = login(org.supervisor).get(reverse("supervision:todo_all")).content.decode()
    assert "人社局的措施" in everything and "住建局" in everything
    # Another department's through the API: never.
    assert (
        org.rsj.name
        not in login(org.zjj_handler).get(reverse("supervision:todo_all")).content.decode()
    )


def test_owned_obligations_go_to_their_owner(org, login):
    a = register_system(org, {4: 1})
    treatment_actions.do_decide(org.rsj_handler, scenario_of(a, 4), "reduce", "修复")
    (task,) = task_actions.do_create_tasks_from_risks(
        org.rsj_handler, a, owner=org.rsj_unit_assessor
    )
    ob.sync()
    mine = login(org.rsj_unit_assessor).get(reverse("supervision:todo")).content.decode()
    assert task.title in mine
    # Someone else in the department: not in their own list, in the department's.
    handler = login(org.rsj_handler)
    assert task.title not in handler.get(reverse("supervision:todo")).content.decode()
    assert task.title in handler.get(reverse("supervision:todo_department")).content.decode()


def test_status_filters_overdue_highlight_and_export(org, login):
    a = decided(org, days_ago=3)
    ob.sync()
    client = login(org.rsj_handler)
    page = client.get(reverse("supervision:todo"), {"status": "overdue"}).content.decode()
    assert "评估报告及审定意见报" in page and "table-danger" in page
    assert "年度社会稳定风险评估计划表备案" not in page or TODAY() > dt.date(TODAY().year, 3, 31)
    assessment_actions.do_file(
        org.rsj_handler, a, office=org.wwb, filed_on=TODAY(), late_reason="迟"
    )
    ob.sync()
    done = client.get(reverse("supervision:todo"), {"status": "done"}).content.decode()
    assert "报维稳办备案" in done
    r = client.get(reverse("supervision:todo_export"), {"status": "all"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )


def test_list_query_count_is_constant(org, login, django_assert_max_num_queries):
    a = decided(org)
    for n in range(5):
        assessment_actions.do_add_measure(
            org.rsj_handler, a, kind="response", title=f"措施{n}", owner="科", due=TODAY()
        )
    ob.sync()
    client = login(org.rsj_handler)
    client.get(reverse("supervision:todo"))
    with django_assert_max_num_queries(12):
        r = client.get(reverse("supervision:todo"), {"status": "all"})
    assert r.status_code == 200
    # Filtering by htmx swaps only the rows.
    part = client.get(reverse("supervision:todo"), {"kind": "measure"}, HTTP_HX_REQUEST="true")
    body = part.content.decode()
    assert "措施4" in body and "<html" not in body and "年度社会稳定风险评估计划表" not in body


def test_api_list_with_filters_and_scope(org, api):
    a = decided(org)
    ob.sync()
    r = api(org.rsj_handler)("get", "/supervision/obligations?kind=filing")
    assert r.status_code == 200
    items = r.json()["items"]
    assert items and all(i["kind"] == "filing" for i in items)
    assert all(i["object_id"] == str(a.pk) for i in items)
    r = api(org.zjj_handler)("get", "/supervision/obligations?scope=all&kind=filing")
    assert r.status_code == 200 and r.json()["items"] == []
    r = api(org.supervisor)("get", "/supervision/obligations?scope=all&kind=filing")
    assert len(r.json()["items"]) == 2


def test_calendar_month_grid(org, login):
    a = decided(org, days_ago=1)
    ob.sync()
    client = login(org.rsj_handler)
    page = client.get(reverse("supervision:calendar")).content.decode()
    assert "评估报告及审定意见报" in page
    oct_2026 = client.get(reverse("supervision:calendar"), {"month": "2026-10"}).content.decode()
    assert "2026年10月" in oct_2026 and "sv-holiday" in oct_2026 and "sv-workday" in oct_2026
    assert "2026-09" in oct_2026 and "2026-11" in oct_2026  # prev / next
    bad = client.get(reverse("supervision:calendar"), {"month": "x²"})
    assert bad.status_code == 200
    assert a.pk  # the filing is on its day
    other = login(org.zjj_handler).get(reverse("supervision:calendar")).content.decode()
    assert "评估报告及审定意见报" not in other


def test_a_case_measure_is_owed_by_its_unit_until_done(org):
    """篇4 四4: the measures of a case's 防范和处置预案, owed by their 责任单位 and owned by
    their 责任人 until 已落实."""
    from tests.cases.builders import build_courts
    from tests.cases.test_resolution import done, planned

    courts = build_courts(org)
    _a, m = planned(courts)
    ob.sync()
    o = row(f"case-measure:{m.pk}")
    assert o.done_at is None and o.kind == "measure"
    assert (o.department_id, o.owner_id) == (courts.fy_trial.pk, courts.fy_handler2.pk)
    done(courts, m)
    ob.sync()
    assert not is_open(f"case-measure:{m.pk}")
