"""年度社会稳定风险评估计划表 (篇3 六(一)): drawing up, entries, filing with the 维稳办 in
versions, 签收, the filing window, and 对未备案的事项，一律不予审批 — every refusal through
the action, the page and the API."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fengping.assessments import actions as assessment_actions
from fengping.assessments import rules
from fengping.assessments.models import Assessment
from fengping.core.errors import ActionError
from fengping.matters import actions as matter_actions
from fengping.matters.actions import do_register_matter
from fengping.matters.models import Matter
from fengping.org import actions as org_actions
from fengping.org.models import DepartmentKind, Role, User
from fengping.supervision import deadlines
from fengping.supervision.actions import plans
from fengping.supervision.models import AnnualPlan, PlanEntry, PlanFiling, PlanStatus
from tests.assessments.flow import approve_reviews, to_decide_step, to_grade_step
from tests.assessments.test_every_refusal import SCHEMES, factor_for
from tests.conftest import PASSWORD, Org, build_org, settled
from tests.module_db import module_data

YEAR = timezone.localdate().year
RULE = "不予审批"


@dataclass(frozen=True)
class World:
    org: Org
    assessment: int  # ssra-town, 四级, at the decision step, reviews approved
    dual: int  # a handler of both 人社局 and the 维稳办


def build_world() -> World:
    org = build_org()
    p, i = factor_for(SCHEMES["ssra-town"], "level4")
    a = approve_reviews(org, to_decide_step(org, to_grade_step(org, factors=((1.0, p, i),))))
    dual, _ = org_actions.do_create_user(
        org.superuser,
        username="dual",
        real_name="双重任职",
        department=org.rsj,
        role=Role.HANDLER,
        password=PASSWORD,
    )
    settled(dual)
    org_actions.do_add_membership(org.superuser, dual, org.wwb, Role.HANDLER)
    return World(org, a.pk, dual.pk)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_data(django_db_blocker, build_world)


@pytest.fixture
def org(db, world) -> Org:
    return world.org.fresh()


@pytest.fixture
def dual(db, world) -> User:
    return User.objects.get(pk=world.dual)


@pytest.fixture
def at(monkeypatch):
    """Move the server's clock for the plan actions: `at(2026, 10, 1)`."""

    def move(*args: int) -> None:
        when = timezone.make_aware(dt.datetime(*args, 10, 0))
        monkeypatch.setattr(plans, "now", lambda: when)

    return move


def the_plan(org: Org) -> AnnualPlan:
    """人社局's plan of this year, which the module's assessment put its matter into."""
    return AnnualPlan.objects.get(department=org.rsj, year=YEAR)


def new_matter(org: Org, title: str = "社区养老服务设施建设", department=None) -> Matter:
    return do_register_matter(
        org.rsj_handler if department is None else org.zjj_handler,
        title=title,
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=department or org.rsj,
    )


def detail(client, plan) -> str:
    return html.unescape(client.get(reverse("supervision:plan", args=[plan.pk])).content.decode())


def flashed(response) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)


# ---------------------------------------------------------------- the happy path


def test_file_and_acknowledge(org, world):
    plan = the_plan(org)
    assert plan.status == PlanStatus.FILED
    first = plans.latest_filing(plan)
    matter = Assessment.objects.get(pk=world.assessment).matter
    assert first.number == 1 and first.office == org.wwb
    assert [r["matter"] for r in first.entries] == [matter.pk]
    base, due = deadlines.yearly_due("annual_plan", YEAR)
    assert base == dt.date(YEAR, 3, 31) and first.due_on == due
    assert first.late is (timezone.localdate(first.filed_at) > due)
    assert matter.plan_filed_on == timezone.localdate(first.filed_at)
    assert matter.plan_filed_with == org.wwb
    plans.do_acknowledge_plan(org.supervisor, first)
    first.refresh_from_db()
    assert first.acknowledged_by == org.supervisor
    with pytest.raises(ActionError, match="已于"):
        plans.do_acknowledge_plan(org.supervisor, first)


def test_planned_entry_linked_later_and_versions_compared(org):
    plan = the_plan(org)
    planned = plans.do_add_entry(org.rsj_handler, plan, title="养老院改扩建", planned_month=6)
    assert the_plan(org).status == PlanStatus.CHANGED
    with pytest.raises(ActionError, match="修改原因"):
        plans.do_file_plan(org.rsj_handler, the_plan(org))
    second = plans.do_file_plan(org.rsj_handler, the_plan(org), reason="增补养老院项目")
    assert second.number == 2 and second.acknowledged_at is None
    matter = new_matter(org, "养老院改扩建")
    plans.do_edit_entry(
        org.rsj_handler, planned, title="", planned_month=7, note="已立项", matter=matter
    )
    third = plans.do_file_plan(org.rsj_handler, the_plan(org), reason="关联已登记事项")
    diff = plans.changes(second.entries, third.entries)
    assert diff == {"added": ["养老院改扩建"], "removed": ["养老院改扩建"], "changed": []}
    assert Matter.objects.get(pk=matter.pk).plan_filed_on is not None


def test_one_update_for_all_matters_and_removal_clears(org, world):
    plan = the_plan(org)
    extra = [new_matter(org, f"事项{n}") for n in range(3)]
    for m in extra:
        plans.do_add_entry(org.rsj_handler, plan, matter=m)
    with CaptureQueriesContext(connection) as ctx:
        plans.do_file_plan(org.rsj_handler, the_plan(org), reason="增补")
    updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert len([s for s in updates if "matters_matter" in s]) == 1
    assert all(Matter.objects.get(pk=m.pk).plan_filed_with == org.wwb for m in extra)
    plans.do_remove_entry(org.rsj_handler, PlanEntry.objects.get(matter=extra[0]))
    # Removed but not re-filed: still in the latest filing, so still 已备案.
    assert Matter.objects.get(pk=extra[0].pk).plan_filed_on is not None
    plans.do_file_plan(org.rsj_handler, the_plan(org), reason="取消一项")
    assert Matter.objects.get(pk=extra[0].pk).plan_filed_on is None
    assert Matter.objects.get(pk=extra[1].pk).plan_filed_on is not None


# ---------------------------------------------------------------- 一律不予审批


def _refused(a: Assessment) -> bool:
    return any(RULE in r.message for r in rules.refusals(a, "implement"))


def test_unfiled_matter_cannot_be_approved(org, world):
    a = Assessment.objects.get(pk=world.assessment)
    assert not _refused(a)
    entry = PlanEntry.objects.get(matter=a.matter)
    plans.do_remove_entry(org.rsj_handler, entry)
    plans.do_file_plan(org.rsj_handler, the_plan(org), reason="移出")
    a = Assessment.objects.get(pk=a.pk)
    assert _refused(a)
    with pytest.raises(ActionError, match=RULE):
        assessment_actions.do_decide(
            org.rsj_handler, a, outcome="implement", doc_no="示政发〔2026〕1号",
            decided_on=timezone.localdate(),
        )  # fmt: skip
    # Put back after the filing: still refused until the plan is filed again.
    plans.do_add_entry(org.rsj_handler, the_plan(org), matter=a.matter)
    assert _refused(Assessment.objects.get(pk=a.pk))
    plans.do_file_plan(org.rsj_handler, the_plan(org), reason="重新列入")
    assert not _refused(Assessment.objects.get(pk=a.pk))


def test_a_matter_never_in_a_plan_is_refused(org):
    matter = new_matter(org)
    assert matter.plan_filed_on is None
    # The old per-matter filing is gone: nothing else sets the mark.
    assert not hasattr(matter_actions, "do_file_plan")


# ---------------------------------------------------------------- refusals: actions


def test_one_plan_per_department_and_year(org):
    with pytest.raises(ActionError, match="已有"):
        plans.do_create_plan(org.rsj_handler, org.rsj, YEAR)


def test_other_department_may_not_draw_up_or_change(org):
    with pytest.raises(PermissionDenied):
        plans.do_create_plan(org.zjj_handler, org.rsj, YEAR + 1)
    with pytest.raises(PermissionDenied):
        plans.do_add_entry(org.zjj_handler, the_plan(org), title="x")
    with pytest.raises(PermissionDenied):
        plans.do_file_plan(org.supervisor, the_plan(org), reason="x")


def test_matter_of_another_department_refused(org):
    theirs = new_matter(org, "旧城改造", department=org.zjj)
    with pytest.raises(ActionError, match="本部门"):
        plans.do_add_entry(org.admin, the_plan(org), matter=theirs)


def test_matter_of_a_unit_accepted_and_twice_refused(org):
    unit_matter = do_register_matter(
        org.rsj_unit_assessor,
        title="养老保险经办流程调整",
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=org.rsj_unit,
    )
    plans.do_add_entry(org.rsj_handler, the_plan(org), matter=unit_matter)
    with pytest.raises(ActionError, match="已列入"):
        plans.do_add_entry(org.rsj_handler, the_plan(org), matter=unit_matter)


def test_filing_window(org, at):
    at(YEAR, 9, 30)
    with pytest.raises(ActionError, match="10月1日起"):
        plans.do_create_plan(org.rsj_handler, org.rsj, YEAR + 1)
    at(YEAR, 10, 1)
    nxt = plans.do_create_plan(org.rsj_handler, org.rsj, YEAR + 1)
    plans.do_add_entry(org.rsj_handler, nxt, title="明年事项")
    filing = plans.do_file_plan(org.rsj_handler, AnnualPlan.objects.get(pk=nxt.pk))
    assert filing.late is False and filing.filed_at.date() == dt.date(YEAR, 10, 1)
    plans.do_add_entry(org.rsj_handler, AnnualPlan.objects.get(pk=nxt.pk), title="又一事项")
    at(YEAR + 2, 1, 2)
    with pytest.raises(ActionError, match="已经结束"):
        plans.do_file_plan(org.rsj_handler, AnnualPlan.objects.get(pk=nxt.pk), reason="补")
    with pytest.raises(ActionError, match="已经结束"):
        plans.do_add_entry(org.rsj_handler, AnnualPlan.objects.get(pk=nxt.pk), title="过期")


def test_an_old_plan_cannot_take_a_newer_matter(org, at):
    """A plan dated 2019 for a matter registered now is impossible."""
    at(2018, 12, 1)
    old = plans.do_create_plan(org.rsj_handler, org.rsj, 2019)
    with pytest.raises(ActionError, match=f"登记于{YEAR}年"):
        plans.do_add_entry(org.rsj_handler, old, matter=new_matter(org))


def test_wrong_office_refused(org):
    plan = the_plan(org)
    plans.do_add_entry(org.rsj_handler, plan, title="x")
    for office in (org.lxb, org.zjj):
        with pytest.raises(ActionError, match="维稳办"):
            plans.do_file_plan(org.rsj_handler, the_plan(org), office=office, reason="x")


def test_acknowledgement(org, dual):
    filing = plans.latest_filing(the_plan(org))
    with pytest.raises(PermissionDenied):
        plans.do_acknowledge_plan(org.rsj_handler, filing)  # not of the office
    with pytest.raises(PermissionDenied):
        plans.do_acknowledge_plan(org.lxb_supervisor, filing)  # another office
    plans.do_add_entry(dual, the_plan(org), title="双重任职者添加")
    mine = plans.do_file_plan(dual, the_plan(org), reason="增补")
    with pytest.raises(ActionError, match="报送人不能签收"):
        plans.do_acknowledge_plan(dual, mine)
    plans.do_acknowledge_plan(org.supervisor, mine)


def test_acknowledgement_does_not_carry_to_the_next_version(org):
    first = plans.latest_filing(the_plan(org))
    plans.do_acknowledge_plan(org.supervisor, first)
    plans.do_add_entry(org.rsj_handler, the_plan(org), title="新增")
    second = plans.do_file_plan(org.rsj_handler, the_plan(org), reason="新增")
    assert second.acknowledged_at is None and second.number == first.number + 1


def test_filed_plan_not_filed_again_unchanged(org):
    with pytest.raises(ActionError, match="已备案"):
        plans.do_file_plan(org.rsj_handler, the_plan(org), reason="x")


def test_decided_matter_cannot_be_removed(org, world):
    a = Assessment.objects.get(pk=world.assessment)
    Matter.objects.filter(pk=a.matter_id).update(status="decided")
    with pytest.raises(ActionError, match="已作出决定"):
        plans.do_remove_entry(org.rsj_handler, PlanEntry.objects.get(matter=a.matter_id))


# ---------------------------------------------------------------- pages


def test_pages(org, login, world, django_assert_max_num_queries):
    client = login(org.rsj_handler)
    assert client.get(reverse("supervision:plans")).status_code == 200
    with django_assert_max_num_queries(25):
        page = client.get(reverse("supervision:plans") + f"?year={YEAR}&status=filed")
    assert "人社局" in page.content.decode()
    export = client.get(reverse("supervision:plans_export"))
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    xlsx = client.get(reverse("supervision:plan_xlsx", args=[the_plan(org).pk]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    text = detail(client, the_plan(org))
    assert "第1版" in text and "计划表已备案，修改后方可重新备案" in text
    # 住建局 sees no plan of 人社局
    other = login(org.zjj_handler).get(reverse("supervision:plans"))
    assert reverse("supervision:plan", args=[the_plan(org).pk]) not in other.content.decode()


def test_page_refusals(org, login, dual):
    plan = the_plan(org)
    client = login(org.rsj_handler)
    # add → file without reason → the form says so
    r = client.post(reverse("supervision:plan_entry_add", args=[plan.pk]), {"title": "页面添加"})
    assert r.status_code == 302
    r = client.post(reverse("supervision:plan_file", args=[plan.pk]), {"office": org.wwb.pk})
    assert r.status_code == 200 and "重新备案须说明修改原因" in html.unescape(r.content.decode())
    r = client.post(
        reverse("supervision:plan_file", args=[plan.pk]), {"office": org.lxb.pk, "reason": "x"}
    )
    assert r.status_code == 200 and PlanFiling.objects.filter(plan=plan).count() == 1
    theirs = new_matter(org, "旧城改造", department=org.zjj)
    r = login(org.admin).post(
        reverse("supervision:plan_entry_add", args=[plan.pk]), {"matter": theirs.pk}
    )
    assert r.status_code == 200  # not offered: the form refuses the choice
    assert not PlanEntry.objects.filter(matter=theirs).exists()
    r = client.post(
        reverse("supervision:plan_file", args=[plan.pk]), {"office": org.wwb.pk, "reason": "增补"}
    )
    assert r.status_code == 302
    filing = plans.latest_filing(the_plan(org))
    # the filer (not of the office) → 403; another department → 404; the office → ok
    ack = reverse("supervision:plan_acknowledge", args=[filing.pk])
    assert client.post(ack).status_code == 403
    assert login(org.zjj_handler).post(ack).status_code == 404
    assert login(org.supervisor).post(ack).status_code == 302
    assert PlanFiling.objects.get(pk=filing.pk).acknowledged_by == org.supervisor
    # a filer who is also of the office: refused with the message
    plans.do_add_entry(dual, the_plan(org), title="双重")
    mine = plans.do_file_plan(dual, the_plan(org), reason="增补")
    r = login(dual).post(reverse("supervision:plan_acknowledge", args=[mine.pk]))
    assert "报送人不能签收本人报送的计划表" in flashed(r)
    # out of the window: the create form says so
    r = client.post(reverse("supervision:plan_create"), {"department": org.rsj.pk, "year": 2019})
    assert "已经结束" in html.unescape(r.content.decode())
    # one per year
    r = client.post(reverse("supervision:plan_create"), {"department": org.rsj.pk, "year": YEAR})
    assert "已有" in html.unescape(r.content.decode())


def test_matter_panel(org, login, world):
    client = login(org.rsj_handler)
    a = Assessment.objects.get(pk=world.assessment)
    text = html.unescape(client.get(reverse("matters:detail", args=[a.matter_id])).content.decode())
    assert "年度评估计划备案" in text and "第1版" in text and "维稳办" in text
    fresh = new_matter(org)
    text = html.unescape(client.get(reverse("matters:detail", args=[fresh.pk])).content.decode())
    add = reverse("supervision:plan_entry_add", args=[the_plan(org).pk]) + f"?matter={fresh.pk}"
    assert "未备案" in text and add in text
    form = client.get(add)
    assert form.status_code == 200
    r = client.post(add, {"matter": fresh.pk})
    assert r.status_code == 302 and PlanEntry.objects.filter(matter=fresh).exists()
    assert "matters/" + str(fresh.pk) + "/plan-filing/" not in text


# ---------------------------------------------------------------- API


def test_api(org, api, dual):
    call = api(org.rsj_handler)
    plan = the_plan(org)
    got = call("get", f"/supervision/plans/{plan.pk}")
    assert got.status_code == 200 and got.json()["filings"][0]["number"] == 1
    listed = call("get", f"/supervision/plans?year={YEAR}")
    assert [p["department"] for p in listed.json()["items"]] == ["人社局"]
    assert api(org.zjj_handler)("get", f"/supervision/plans?year={YEAR}").json()["items"] == []
    added = call("post", f"/supervision/plans/{plan.pk}/entries", {"title": "接口添加"})
    assert added.status_code == 201
    entry_id = added.json()["id"]
    r = call(
        "put", f"/supervision/plans/entries/{entry_id}", {"title": "接口修改", "planned_month": 5}
    )
    assert r.status_code == 200 and r.json()["planned_month"] == 5
    r = call("post", f"/supervision/plans/{plan.pk}/filings", {})
    assert r.status_code == 400 and r.json()["detail"] == "重新备案须说明修改原因"
    r = call(
        "post", f"/supervision/plans/{plan.pk}/filings", {"office_id": org.lxb.pk, "reason": "x"}
    )
    assert r.status_code == 400 and "维稳办" in r.json()["detail"]
    r = call("post", f"/supervision/plans/{plan.pk}/filings", {"reason": "接口增补"})
    assert r.status_code == 201 and r.json()["number"] == 2
    second = r.json()["id"]
    r = call("post", f"/supervision/plans/filings/{second}/acknowledgement")
    assert r.status_code == 403
    r = api(org.zjj_handler)("post", f"/supervision/plans/filings/{second}/acknowledgement")
    assert r.status_code == 404
    r = api(org.supervisor)("post", f"/supervision/plans/filings/{second}/acknowledgement")
    assert r.status_code == 200 and r.json()["acknowledged_by"] == "supervisor"
    # the filer of the office, the other department, the window, another department's matter
    plans.do_add_entry(dual, the_plan(org), title="双重")
    mine = plans.do_file_plan(dual, the_plan(org), reason="增补")
    r = api(dual)("post", f"/supervision/plans/filings/{mine.pk}/acknowledgement")
    assert r.status_code == 400 and r.json()["detail"] == "报送人不能签收本人报送的计划表"
    r = api(org.zjj_handler)(
        "post", "/supervision/plans", {"department_id": org.rsj.pk, "year": YEAR + 1}
    )
    assert r.status_code == 403
    r = call("post", "/supervision/plans", {"department_id": org.rsj.pk, "year": 2019})
    assert r.status_code == 400 and "已经结束" in r.json()["detail"]
    theirs = new_matter(org, "旧城改造", department=org.zjj)
    r = api(org.admin)("post", f"/supervision/plans/{plan.pk}/entries", {"matter_id": theirs.pk})
    assert r.status_code == 400 and "本部门" in r.json()["detail"]
    r = call("delete", f"/supervision/plans/entries/{entry_id}")
    assert r.status_code == 204
    assert call("get", f"/supervision/plans/{plan.pk}/xlsx").status_code == 200


def test_old_per_matter_filing_is_gone(org, api, login):
    matter = new_matter(org)
    r = api(org.rsj_handler)("post", f"/matters/{matter.pk}/plan-filing", {"office_id": org.wwb.pk})
    assert r.status_code in (404, 405)
    assert login(org.rsj_handler).get(f"/matters/{matter.pk}/plan-filing/").status_code == 404


def test_office_kind(org):
    assert org.wwb.kind == DepartmentKind.STABILITY_OFFICE
