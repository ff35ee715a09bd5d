"""年度考核 (issue 12; 篇1 七(二), 篇3 七(四)): every metric from the data the apps' actions
make, the rubric as scheme data, ranking ties, the evidence behind every point, the
refusals through action, page and API, the XLSX and DOCX, and a bounded ranking page."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import docx
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from fengping.assessments import actions as assessment_actions
from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.core.xlsx import open_workbook
from fengping.infosec.models import RemediationTask, TaskStatus
from fengping.org import actions as org_actions
from fengping.org.models import Department
from fengping.schemebook.actions import do_upload_scheme
from fengping.schemes import BUILTIN_DIR
from fengping.supervision import evaluation as ev
from fengping.supervision.actions.evaluation import do_compute_evaluation
from fengping.supervision.models import (
    AccountabilityDecision,
    AnnualPlan,
    Evaluation,
    EvaluationRun,
    Incident,
    IncidentLink,
    MonthlyReport,
    PlanFiling,
    ReportStatus,
    RulesFiling,
)
from tests.assessments.flow import file_with_every_office
from tests.assessments.test_follow_up import decided
from tests.infosec.builders import make_system

TODAY = timezone.localdate
LAST = TODAY().year - 1
AFTER_LAST = dt.date(LAST + 1, 1, 10)  # the whole of last year is due


def aware(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def result(results, dept):
    return next(r for r in results if r.department.pk == dept.pk)


def item(results, dept, code):
    return next(x for x in result(results, dept).items if x["code"] == code)


def compute(org, year=LAST, today=AFTER_LAST, **kw):
    return ev.compute(org.root, year, today=today, **kw)


# ------------------------------------------------------------------ who is evaluated


def test_obliged_departments_are_the_scheme_kinds_and_responsible_departments(org):
    names = [d.name for d in ev.obliged_departments(org.root, LAST)]
    assert names == ["人社局", "住建局"]  # functional; not the offices nor the 科室


# ------------------------------------------------------------------ each metric


def _plan(org, dept, late, filed_on):
    plan = AnnualPlan.objects.create(department=dept, year=LAST, scheme_key="ssra-town")
    return PlanFiling.objects.create(
        plan=plan,
        number=1,
        office=org.wwb,
        filed_at=aware(filed_on),
        filed_by=org.rsj_handler,
        due_on=dt.date(LAST, 3, 31),
        late=late,
    )


def test_plan_on_time(org):
    _plan(org, org.rsj, False, dt.date(LAST, 3, 28))
    _plan(org, org.zjj, True, dt.date(LAST, 4, 3))
    results = compute(org)
    rsj, zjj = item(results, org.rsj, "plan"), item(results, org.zjj, "plan")
    assert rsj["earned"] == 15 and zjj["earned"] == 0
    assert rsj["evidence"][0]["text"] == f"{LAST}年3月28日备案（第1版）"
    assert rsj["evidence"][0]["ok"] is True
    assert "逾期" in zjj["evidence"][0]["text"] and zjj["evidence"][0]["ok"] is False


def test_plan_missing_after_the_due_date_earns_nothing_and_before_it_everything(org):
    assert item(compute(org), org.rsj, "plan")["earned"] == 0
    assert "未按时报送" in item(compute(org), org.rsj, "plan")["evidence"][0]["text"]
    early = compute(org, today=dt.date(LAST, 2, 1))
    assert item(early, org.rsj, "plan")["earned"] == 15
    assert item(early, org.rsj, "plan")["evidence"][0]["text"] == ev.NOTHING_DUE


def test_rules_on_time(org):
    for dept, late, day in ((org.rsj, False, 25), (org.zjj, True, 31)):
        RulesFiling.objects.create(
            department=dept,
            year=LAST,
            title="实施办法",
            filed_at=aware(dt.date(LAST, 3, day)),
            due_on=dt.date(LAST, 3, 30),
            late=late,
            created_by=org.rsj_handler,
        )
    results = compute(org)
    assert item(results, org.rsj, "rules")["earned"] == 10
    zjj = item(results, org.zjj, "rules")
    assert zjj["earned"] == 0 and "逾期1天" in zjj["evidence"][0]["text"]


def test_reports_on_time(org):
    for m in range(1, 13):
        due = dt.date(LAST, m, 20)
        late = m == 5
        MonthlyReport.objects.create(
            department=org.rsj,
            month=dt.date(LAST, m, 1),
            status=ReportStatus.SUBMITTED,
            due_on=due,
            submitted_at=aware(due + dt.timedelta(days=3 if late else -2)),
            late=late,
            created_by=org.rsj_handler,
        )
    results = compute(org)
    rsj = item(results, org.rsj, "reports")
    assert (rsj["due"], rsj["done"]) == (12, 11)
    assert rsj["earned"] == pytest.approx(18.33)
    assert len(rsj["evidence"]) == 12
    assert [r["text"] for r in rsj["evidence"] if not r["ok"]] == [f"{LAST}年5月报告逾期3天"]
    zjj = item(results, org.zjj, "reports")
    assert (zjj["due"], zjj["done"], zjj["earned"]) == (12, 0, 0)


def test_reports_only_the_months_due_so_far(org):
    year = TODAY().year
    results = ev.compute(org.root, year, today=dt.date(year, 3, 21))
    assert item(results, org.rsj, "reports")["due"] == 3  # January, February, March


def test_filings_and_measures_on_time(org):
    a = decided(org, "postpone")
    file_with_every_office(org, a)
    measure = assessment_actions.do_add_measure(
        org.rsj_handler, a, kind="response", title="分批兑现", owner="养老保险科", due=TODAY()
    )
    assessment_actions.do_add_measure(
        org.rsj_handler, a, kind="response", title="政策解读", owner="养老保险科", due=TODAY()
    )
    assessment_actions.do_update_measure(org.rsj_handler, measure, status="done", evidence="已落实")
    year = TODAY().year
    later = TODAY() + dt.timedelta(days=5)
    results = ev.compute(org.root, year, today=later)
    filings = item(results, org.rsj, "filings")
    assert (filings["due"], filings["done"], filings["earned"]) == (1, 1, 15)
    assert "备案" in filings["evidence"][0]["text"]
    assert filings["evidence"][0]["url"] == reverse("assessments:detail", args=[a.pk])
    measures = item(results, org.rsj, "measures")
    assert (measures["due"], measures["done"], measures["earned"]) == (2, 1, 10)
    assert any("逾期未落实" in r["text"] for r in measures["evidence"])
    # A late filing loses the point.
    a.filings.update(late=True)
    assert item(ev.compute(org.root, year, today=later), org.rsj, "filings")["earned"] == 0
    # Not yet due: the open measure is not counted.
    today = ev.compute(org.root, year, today=TODAY())
    assert item(today, org.rsj, "measures")["due"] == 1


def test_tasks_on_time(org):
    system = make_system(org)
    base = {"system": system, "kind": "technical", "created_by": org.rsj_handler}
    RemediationTask.objects.create(
        title="修补漏洞",
        deadline=dt.date(LAST, 6, 30),
        status=TaskStatus.DONE,
        closed_at=aware(dt.date(LAST, 6, 28)),
        **base,
    )
    RemediationTask.objects.create(title="加固配置", deadline=dt.date(LAST, 7, 31), **base)
    RemediationTask.objects.create(
        title="撤销的", deadline=dt.date(LAST, 7, 31), status=TaskStatus.CANCELLED, **base
    )
    rsj = item(compute(org), org.rsj, "tasks")
    assert (rsj["due"], rsj["done"], rsj["earned"]) == (2, 1, 5)
    assert rsj["evidence"][1]["text"].endswith("逾期未完成")
    done = RemediationTask.objects.get(title="修补漏洞")
    assert rsj["evidence"][0]["url"] == reverse("infosec:task", args=[done.pk])
    assert item(compute(org), org.zjj, "tasks")["evidence"][0]["text"] == ev.NOTHING_DUE


def test_screening_on_time(org):
    from fengping.cases.actions.screening import do_run_screening
    from fengping.cases.models import OrganProfile
    from tests.cases.builders import build_courts

    courts = build_courts(org)
    profile = OrganProfile.objects.get(department=courts.fy)
    year = TODAY().year
    OrganProfile.objects.filter(pk=profile.pk).update(created_at=aware(dt.date(year, 10, 5)))
    do_run_screening(courts.fy_handler, profile, dt.date(year, 12, 1))
    fy = Department.objects.get(pk=courts.fy.pk)
    results = ev.compute(org.root, year, today=dt.date(year + 1, 1, 5), departments=[fy])
    x = item(results, fy, "screening")
    assert (x["due"], x["done"]) == (3, 1)  # October, November missed; December done
    assert x["earned"] == pytest.approx(3.33)
    assert sum(not r["ok"] for r in x["evidence"]) == 2


def test_unassessed_matter_of_a_unit_is_deducted_from_its_department(org):
    """A must-assess matter of 养老保险科 decided last year without an assessment costs
    人社局 (the obliged department above it) the item's points, with the matter named."""
    from fengping.matters.actions import do_register_matter
    from fengping.matters.models import Matter

    matter = do_register_matter(
        org.rsj_handler,
        title="未评估即决定的事项",
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=org.rsj_unit,
    )
    Matter.objects.filter(pk=matter.pk).update(status="decided", year=LAST)
    x = item(compute(org), org.rsj, "unassessed")
    assert x["earned"] == -10  # ssra-town: 10 points for each, at most 30
    assert "未评估即决定的事项" in x["evidence"][0]["text"]
    assert x["evidence"][0]["url"] == f"/matters/{matter.pk}/"
    assert item(compute(org), org.zjj, "unassessed")["earned"] == 0


def _incident(org, serious, day, title="讨薪聚集"):
    return Incident.objects.create(
        office=org.wwb,
        kind="mass",
        title=title,
        occurred_at=aware(day),
        description="经过",
        serious=serious,
        recorded_by=org.supervisor,
    )


def test_incidents_only_serious_ones_of_the_year(org):
    from fengping.matters.actions import do_register_matter

    matter = do_register_matter(
        org.rsj_handler,
        title="企业退休人员养老金调整",
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=org.rsj,
    )
    for serious, day in (
        (True, dt.date(LAST, 5, 3)),
        (False, dt.date(LAST, 6, 1)),
        (True, dt.date(LAST - 1, 5, 3)),
    ):
        IncidentLink.objects.create(
            incident=_incident(org, serious, day),
            matter=matter,
            department=org.rsj,
            added_by=org.supervisor,
        )
    x = item(compute(org), org.rsj, "incidents")
    assert x["earned"] == -10 and len(x["evidence"]) == 1
    assert x["evidence"][0]["text"] == f"{LAST}年5月3日“讨薪聚集”（群体性事件）"


def test_accountability_is_capped(org):
    incident = _incident(org, True, dt.date(LAST, 5, 3))
    for n in range(5):
        AccountabilityDecision.objects.create(
            incident=incident,
            department=org.rsj,
            person_role="unit",
            measure="criticism",
            doc_number=f"维稳发〔{LAST}〕{n + 1}号",
            decided_on=dt.date(LAST, 8, 1),
            reason="未评估",
            recorded_by=org.supervisor,
        )
    x = item(compute(org), org.rsj, "accountability")
    assert x["earned"] == -20 and len(x["evidence"]) == 5  # 5 × 5 points, at most 20


def test_score_is_never_below_zero(org):
    incident = _incident(org, True, dt.date(LAST, 5, 3))
    for n in range(8):
        AccountabilityDecision.objects.create(
            incident=incident,
            department=org.rsj,
            person_role="unit",
            measure="criticism",
            doc_number=f"维稳发〔{LAST}〕{n + 1}号",
            decided_on=dt.date(LAST, 8, 1),
            reason="未评估",
            recorded_by=org.supervisor,
        )
    rsj = result(compute(org), org.rsj)
    # Nothing filed (plan, rules, reports): 45 points lost; 55 kept (nothing else due).
    assert rsj.score == Decimal("35.00")  # 55 - 20 (accountability, capped)
    # A rubric whose deductions outweigh the points: the score stops at 0.
    scheme = ev.deadlines.supervising_scheme()
    sup = scheme.supervision
    heavy = [
        x.model_copy(update={"points": 50, "cap": 100}) if x.metric == "accountability" else x
        for x in sup.evaluation
    ]
    scheme = scheme.model_copy(update={"supervision": sup.model_copy(update={"evaluation": heavy})})
    assert result(compute(org, scheme=scheme), org.rsj).score == 0


# ------------------------------------------------------------------ rubric, ranks, evidence


def test_the_rubric_is_scheme_data(org, settings):
    """A copy of the scheme with other points changes the score without code."""
    text = (BUILTIN_DIR / "ssra-town.yaml").read_text(encoding="utf-8")
    text = text.replace("key: ssra-town", "key: ssra-town-copy", 1)
    text = text.replace(
        "      metric: plan_on_time\n      kind: ratio\n      points: 15",
        "      metric: plan_on_time\n      kind: ratio\n      points: 40",
    )
    do_upload_scheme(org.admin, "ssra-town-copy.yaml", text)
    before = result(compute(org, today=dt.date(LAST, 2, 1)), org.rsj).score
    settings.FENGPING_SUPERVISION_SCHEME = "ssra-town-copy"
    after = result(compute(org, today=dt.date(LAST, 2, 1)), org.rsj).score
    assert after - before == 25
    run = do_compute_evaluation(org.supervisor, org.wwb, LAST)
    assert run.scheme_key == "ssra-town-copy"
    assert Evaluation.objects.get(run=run, department=org.rsj).items[0]["points"] == 40


def test_ties_share_a_rank(org):
    def r(name, score):
        return ev.Result(Department(name=name, path=name), Decimal(score), [])

    ranked = ev.rank([r("c", "80"), r("a", "90"), r("b", "90")])
    assert [(x.department.name, x.rank) for x in ranked] == [("a", 1), ("b", 1), ("c", 3)]
    # Two departments with the same data share first place.
    assert [x.rank for x in compute(org)] == [1, 1]


def test_every_point_has_evidence(org):
    _plan(org, org.rsj, False, dt.date(LAST, 3, 28))
    for x in result(compute(org), org.rsj).items + result(compute(org), org.zjj).items:
        assert x["evidence"], x["code"]
        if x["kind"] == "ratio" and x["due"]:
            assert len(x["evidence"]) == x["due"]
            assert sum(r["ok"] for r in x["evidence"]) == x["done"]


# ------------------------------------------------------------------ the action, pages, API


def test_compute_stores_a_run_per_call_with_one_audit_event(org):
    events = Event.objects.count()
    first = do_compute_evaluation(org.supervisor, org.wwb, LAST)
    second = do_compute_evaluation(org.supervisor, org.wwb, LAST)
    assert first.pk != second.pk and EvaluationRun.objects.filter(year=LAST).count() == 2
    assert Event.objects.count() == events + 2
    assert Event.objects.order_by("-seq").first().action == "supervision.evaluation.compute"
    assert second.scores.count() == 2 and not second.is_provisional
    assert do_compute_evaluation(org.supervisor, org.wwb, TODAY().year).is_provisional


@pytest.mark.parametrize("who", ["rsj_head", "zjj_handler", "lxb_supervisor"])
def test_refused_to_anyone_but_the_office(org, login, api, who):
    user = getattr(org, who)
    with pytest.raises(PermissionDenied):
        do_compute_evaluation(user, org.wwb, LAST)
    response = login(user).post(
        reverse("supervision:evaluation_compute"), {"office": org.wwb.pk, "year": LAST}
    )
    assert response.status_code == 403
    response = api(user)(
        "post", "/supervision/evaluation/runs", {"office_id": org.wwb.pk, "year": LAST}
    )
    assert response.status_code in (403, 404)
    assert not EvaluationRun.objects.exists()


def test_a_future_year_is_refused(org, login, api):
    future = TODAY().year + 1
    with pytest.raises(ActionError, match="尚未开始"):
        do_compute_evaluation(org.supervisor, org.wwb, future)
    response = login(org.supervisor).post(
        reverse("supervision:evaluation_compute"), {"office": org.wwb.pk, "year": future}
    )
    assert response.status_code == 400 and "尚未开始" in response.content.decode()
    response = api(org.supervisor)(
        "post", "/supervision/evaluation/runs", {"office_id": org.wwb.pk, "year": future}
    )
    assert response.status_code == 400 and "尚未开始" in response.json()["detail"]
    assert not EvaluationRun.objects.exists()


def test_compute_through_the_page_and_the_api(org, login, api):
    client = login(org.supervisor)
    page = client.get(reverse("supervision:evaluation_runs"))
    assert page.status_code == 200 and "compute-form" in page.content.decode()
    response = client.post(
        reverse("supervision:evaluation_compute"), {"office": org.wwb.pk, "year": LAST}
    )
    run = EvaluationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "supervision:evaluation_run", args=[run.pk]
    )
    response = api(org.supervisor)(
        "post", "/supervision/evaluation/runs", {"office_id": org.wwb.pk, "year": LAST}
    )
    assert response.status_code == 201 and response.json()["year"] == LAST
    got = api(org.supervisor)("get", f"/supervision/evaluation/runs/{run.pk}").json()
    assert [s["department"] for s in got["scores"]] == ["人社局", "住建局"]
    assert got["scores"][0]["items"][0]["evidence"]


def test_departments_see_their_own_row_only(org, login, api):
    run = do_compute_evaluation(org.supervisor, org.wwb, LAST)
    own = Evaluation.objects.get(run=run, department=org.rsj)
    other = Evaluation.objects.get(run=run, department=org.zjj)
    client = login(org.rsj_head)
    listing = client.get(reverse("supervision:evaluation_runs")).content.decode()
    assert "人社局" in listing and "住建局" not in listing and "compute-form" not in listing
    assert client.get(reverse("supervision:evaluation", args=[own.pk])).status_code == 200
    assert client.get(reverse("supervision:evaluation", args=[other.pk])).status_code == 404
    assert client.get(reverse("supervision:evaluation_run", args=[run.pk])).status_code == 404
    scores = api(org.rsj_head)("get", "/supervision/evaluation/scores").json()
    assert [s["department"] for s in scores] == ["人社局"]


def test_pages_show_the_ranking_and_the_evidence(org, login):
    _plan(org, org.rsj, False, dt.date(LAST, 3, 28))
    run = do_compute_evaluation(org.supervisor, org.wwb, LAST)
    client = login(org.supervisor)
    page = client.get(reverse("supervision:evaluation_run", args=[run.pk])).content.decode()
    assert "年度评估计划表按时备案" in page and "15/15" in page
    own = Evaluation.objects.get(run=run, department=org.rsj)
    page = client.get(reverse("supervision:evaluation", args=[own.pk])).content.decode()
    assert f"{LAST}年3月28日备案（第1版）" in page
    current = do_compute_evaluation(org.supervisor, org.wwb, TODAY().year)
    page = client.get(reverse("supervision:evaluation_run", args=[current.pk])).content.decode()
    assert "年中" in page


def test_ranking_page_queries_are_bounded(org, login, django_assert_max_num_queries):
    for n in range(8):
        org_actions.do_create_department(
            org.superuser, name=f"局{n}", code=f"J{n}", kind="functional", parent=org.root
        )
    run = do_compute_evaluation(org.supervisor, org.wwb, LAST)
    assert run.scores.count() == 10
    client = login(org.supervisor)
    client.get(reverse("supervision:evaluation_runs"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("supervision:evaluation_run", args=[run.pk])).status_code == 200


def test_xlsx_and_docx_contain_the_ranking(org, login):
    _plan(org, org.rsj, False, dt.date(LAST, 3, 28))
    run = do_compute_evaluation(org.supervisor, org.wwb, LAST)
    client = login(org.supervisor)
    data = client.get(reverse("supervision:evaluation_run_xlsx", args=[run.pk])).content
    wb = open_workbook(data)
    ranking = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    assert ranking[0][:3] == ["名次", "被考核单位", "得分"]
    assert {r[1] for r in ranking[1:]} == {"人社局", "住建局"}
    evidence = [list(r) for r in wb.worksheets[1].iter_rows(values_only=True)]
    assert any(f"{LAST}年3月28日备案（第1版）" == r[4] for r in evidence)
    response = client.get(reverse("supervision:evaluation_run_docx", args=[run.pk]))
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs)
    tables = " ".join(
        c.text
        for t in docx.Document(io.BytesIO(response.content)).tables
        for row in t.rows
        for c in row.cells
    )
    assert f"{LAST}年度社会稳定风险评估工作考核情况通报" in text
    assert "人社局" in tables and "住建局" in tables
    assert "年度评估计划表按时备案 15/15" in tables  # each item's points
    assert "各责任主体要在3月底前" in tables  # the rubric with its quotes
    assert "住建局" in text and "扣" in text  # per-department deductions


def test_the_sample_context_renders_the_shipped_template():
    from fengping.reports.render import render_docx, template_for

    path, origin = template_for(ev.REPORT_KEY)
    assert origin == "builtin"
    assert render_docx(path, ev.sample_context()).startswith(b"PK")
