"""The assessment pages: every tab renders at every stage, a whole 篇1 assessment driven
through the pages (grade A refuses 实施 with the rule quoted), conflicts, paging and a
constant number of queries."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from fengping.assessments import actions
from fengping.assessments.models import (
    Assessment,
    AssessmentStatus,
    Decision,
    Filing,
    FollowUpMeasure,
    RiskFactor,
    TeamMember,
)
from fengping.assessments.views import TABS
from tests.dates import YEAR

from .flow import GOOD_ANSWER, approve_reviews, opinions, register, to_decide_step, to_grade_step

TAB_CODES = [code for code, _label in TABS]


def detail(client, a, tab):
    return client.get(reverse("assessments:detail", args=[a.pk]) + f"?tab={tab}")


def all_tabs_render(client, a):
    for tab in TAB_CODES:
        response = detail(client, a, tab)
        assert response.status_code == 200, tab
    return response


def test_every_tab_renders_at_every_stage(org, login):
    client = login(org.rsj_handler)
    matter = register(org)
    a = actions.do_start_assessment(org.rsj_handler, matter)
    all_tabs_render(client, a)
    a = to_grade_step(org)
    all_tabs_render(client, a)
    a = to_decide_step(org, a)
    all_tabs_render(client, a)
    a = approve_reviews(org, a)
    actions.do_decide(
        org.rsj_handler,
        a,
        outcome="reject",
        doc_no=f"株政发〔{YEAR}〕3号",
        decided_on=timezone.localdate(),
    )
    all_tabs_render(client, a)
    # Readers (督查) see every tab too, without the changing forms.
    reader = login(org.supervisor)
    response = all_tabs_render(reader, a)
    assert "measures/new/" not in response.content.decode()


def test_default_tab_follows_the_current_step(org, login):
    client = login(org.rsj_handler)
    a = to_grade_step(org)
    body = client.get(reverse("assessments:detail", args=[a.pk])).content.decode()
    assert "当前步骤：划分风险等级" in body and "综合风险指数" in body


def test_step_tracker_shows_who_and_missing_outputs(org, login):
    client = login(org.rsj_handler)
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    actions.do_complete_step(org.rsj_handler, a, "select")
    body = detail(client, a, "plan").content.decode()
    assert "rsj_handler" in body and "已完成" in body
    assert "评估方案（牵头部门、评估内容与责任、评估组成员）" in body
    assert "专项工作档案（至少一份材料）" in body
    assert 'class="steps steps-vertical' in body


def test_second_person_completing_same_step_gets_conflict_message(org, login):
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    url = reverse("assessments:complete_step", args=[a.pk])
    first = login(org.rsj_handler).post(url, {"step": "select"}, follow=True)
    assert "已完成“确定评估项目”" in first.content.decode()
    second = login(org.rsj_head).post(url, {"step": "select"}, follow=True)
    assert "该步骤已由 rsj_handler 于" in second.content.decode()


def test_send_back_needs_reason(org, login):
    client = login(org.rsj_handler)
    a = to_grade_step(org)
    url = reverse("assessments:send_back", args=[a.pk])
    body = client.post(url, {"to_step": "plan", "reason": " "}, follow=True).content.decode()
    assert "退回须说明理由" in body
    client.post(url, {"to_step": "plan", "reason": "评估组缺少群众代表"})
    a.refresh_from_db()
    assert a.current_step == "plan"
    body = detail(client, a, "plan").content.decode()
    assert "评估组缺少群众代表" in body and "已退回" in body


def test_whole_assessment_through_the_pages(org, login):
    """篇1: start → plan → team (incl. 专家, 群众代表) → archive → analysis → grade A →
    report → review → 实施 refused with the rule quoted → 暂缓实施 → filing."""
    matter = register(org, scheme_key="ssra-bureau", category_code="major_decision")
    handler, head = login(org.rsj_handler), None
    start = reverse("assessments:start", args=[matter.pk])
    assert "冻结该版本" in handler.get(start).content.decode()
    response = handler.post(start)
    a = Assessment.objects.get(matter=matter)
    assert response.url == reverse("assessments:detail", args=[a.pk])

    def post(name, data=None, obj=None, **kw):
        url = reverse(f"assessments:{name}", args=[(obj or a).pk])
        r = handler.post(url, data or {}, **kw)
        assert r.status_code == 302, (name, r.content.decode()[:3000])
        return r

    post("complete_step", {"step": "select"})
    post(
        "plan",
        {
            "version": Assessment.objects.get(pk=a.pk).version,
            "lead_department": org.rsj.pk,
            "assisting_departments": [org.zjj.pk],
            "plan_content": "明确评估责任、内容、方法",
            "plan_methods": "问卷调查、民意测验",
        },
    )
    post("member_add", {"kind": "staff", "user": org.rsj_handler.pk, "duty": "组长"})
    post("member_add", {"kind": "staff", "user": org.rsj_head.pk})
    post("member_add", {"kind": "expert", "name": "王教授", "organisation": "市社科院"})
    post("member_add", {"kind": "public", "name": "李师傅", "organisation": "退休职工代表"})
    assert TeamMember.objects.filter(assessment=a).count() == 4
    body = detail(handler, a, "plan").content.decode()
    assert "特邀专家" in body and "群众代表" in body
    post(
        "archive_add",
        {"title": "评估方案", "file": SimpleUploadedFile("plan.txt", "方案".encode())},
    )
    body = detail(handler, a, "plan").content.decode()
    import hashlib

    assert f'title="{hashlib.sha256("方案".encode()).hexdigest()}"' in body
    post("complete_step", {"step": "plan"})

    opinions(org, matter)  # the 征求意见 pages are the opinions app's; see tests/opinions
    body = detail(handler, a, "consult").content.decode()
    assert "60.0%" in body and "30.0%" in body  # 6 support, 3 oppose, 1 neutral

    a.refresh_from_db()
    for dim in a.scheme.dimensions:
        for i, _text in enumerate(dim.items):
            kind = dim.answer_type(i)
            post(
                "checklist_answer",
                {
                    "dimension": dim.code,
                    "item_no": i,
                    "answer": GOOD_ANSWER[kind],
                    "note": "经评估，影响可控" if kind == "written" else "",
                },
            )
    response = handler.post(
        reverse("assessments:checklist_answer", args=[a.pk]),
        {"dimension": a.scheme.dimensions[0].code, "item_no": 0, "answer": "fails"},
        follow=True,
    )
    assert "须说明情况" in response.content.decode()
    post(
        "factor_add",
        {
            "dimension": "legality",
            "title": "待遇调整标准争议",
            "people_involved": 1200,
            "scope": "全市企业退休人员",
            "manner": "集体上访",
            "intensity": "较激烈",
            "negative_impact": "影响政府公信力",
            "weight": 1,
        },
    )
    factor = RiskFactor.objects.get(assessment=a)
    post("factor_score", {"probability_level": "very_high", "impact_level": "severe"}, obj=factor)
    head = login(org.rsj_head)
    r = head.post(
        reverse("assessments:factor_score", args=[factor.pk]),
        {"probability_level": "high", "impact_level": "severe"},
    )
    assert r.status_code == 302
    handler = login(org.rsj_handler)
    factor.refresh_from_db()
    assert factor.score == pytest.approx(0.9) and factor.spread["n"] == 2
    body = detail(handler, a, "factors").content.decode()
    assert "0.90" in body and "0.80–1.00" in body and "1200" in body
    post("complete_step", {"step": "analyse"})

    grade_url = reverse("assessments:grade", args=[a.pk])
    body = handler.get(grade_url).content.decode()
    assert "A级" in body and "必须填写理由" in body
    r = handler.post(grade_url, {"grade": "C", "written_opinion": "同意"})
    assert r.status_code == 200 and "调整计算得出的风险等级须说明理由" in r.content.decode()
    post(
        "grade",
        {
            "grade": "A",
            "written_opinion": "同意评估结论",
            "recommendation": "不予实施",
            "mitigation_plan": "",
            "contingency_plan": "应急预案",
        },
    )
    a.refresh_from_db()
    assert a.grade == "A"
    post("complete_step", {"step": "grade"})
    actions.do_mark_report_generated(org.rsj_handler, a, "f" * 64)  # the reports app's job
    post("complete_step", {"step": "report"})

    # Reviews by the head through the review form.
    a.refresh_from_db()
    while (stage := actions.pending_review(a)) is not None:
        r = head.post(
            reverse("assessments:review", args=[a.pk]),
            {"stage": stage.code, "result": "approved", "opinion": "同意"},
        )
        assert r.status_code == 302
        a.refresh_from_db()

    decide_url = reverse("assessments:decide", args=[a.pk])
    body = handler.get(decide_url).content.decode()
    # Before submitting: 实施 is marked refused with the quoted rule.
    assert "不允许" in body and "对评为A级风险的,不得实施" in body
    r = handler.post(
        decide_url,
        {
            "outcome": "implement",
            "doc_no": f"株政发〔{YEAR}〕12号",
            "decided_on": timezone.localdate(),
        },
    )
    assert r.status_code == 200
    assert "对评为A级风险的,不得实施" in r.content.decode()
    assert not Decision.objects.exists()
    r = handler.post(
        decide_url,
        {"outcome": "postpone", "doc_no": "株政发[2026]12号", "decided_on": timezone.localdate()},
    )
    assert r.status_code == 302
    assert Decision.objects.get().doc_no == f"株政发〔{YEAR}〕12号"

    body = detail(handler, a, "filing").content.decode()
    due = timezone.localdate() + __import__("datetime").timedelta(days=1)
    assert f"{due.year}年{due.month}月{due.day}日" in body
    file_url = reverse("assessments:file", args=[a.pk])
    assert "维稳办" in handler.get(file_url).content.decode()
    r = handler.post(file_url, {"office": org.wwb.pk, "filed_on": timezone.localdate()})
    assert r.status_code == 302 and Filing.objects.filter(assessment=a).count() == 1
    post("complete_step", {"step": "decide"})
    a.refresh_from_db()
    assert a.status == AssessmentStatus.FOLLOW_UP

    post("measure_add", {"kind": "response", "title": "分批兑现", "owner": "养老保险科"})
    measure = FollowUpMeasure.objects.get()
    r = handler.post(
        reverse("assessments:measure_update", args=[measure.pk]), {"status": "done"}, follow=True
    )
    assert "须填写落实情况与佐证" in r.content.decode()
    post("measure_update", {"status": "done", "evidence": "已兑现"}, obj=measure)
    post(
        "incident_add",
        {"occurred_on": timezone.localdate(), "description": "部分人员聚集", "action": "handle"},
    )
    body = detail(handler, a, "follow").content.decode()
    assert "部分人员聚集" in body and "按预案处置" in body and "已落实" in body


def test_decision_tab_lists_allowed_and_refused(org, login):
    client = login(org.rsj_handler)
    a = approve_reviews(org, to_decide_step(org, to_grade_step(org, scheme_key="ssra-bureau")))
    body = detail(client, a, "decision").content.decode()
    assert body.count("不允许") >= 2 and "允许" in body
    assert "对评为A级风险的,不得实施" in body


def test_report_tab_links_to_reports_when_installed(org, login):
    client = login(org.rsj_handler)
    a = actions.do_start_assessment(org.rsj_handler, register(org))
    body = detail(client, a, "report").content.decode()
    try:
        docx = reverse("reports:docx", args=[a.pk])
    except NoReverseMatch:
        pytest.skip("reports app not installed")
    # Before the grade step is complete the button is off and says why.
    assert docx in body and reverse("reports:generate", args=[a.pk]) not in body
    assert "评估报告在“形成评估报告”步骤生成" in body and "report-refusal" in body


def test_lists_are_paginated(org, login, settings):
    client = login(org.rsj_handler)
    a = to_grade_step(org)
    for n in range(25):
        actions.do_add_measure(org.rsj_handler, a, kind="response", title=f"措施{n}", owner="科室")
    body = detail(client, a, "follow").content.decode()
    assert "mpage=2" in body and "1 / 2" in body
    second = client.get(reverse("assessments:detail", args=[a.pk]) + "?tab=follow&mpage=2")
    assert second.status_code == 200


@pytest.mark.parametrize("tab", TAB_CODES)
def test_assessment_page_query_count_is_constant(tab, org, login, django_assert_max_num_queries):
    client = login(org.rsj_handler)
    a = to_grade_step(org, factors=[(1.0, "high", "major")] * 8)
    for n in range(10):
        actions.do_add_measure(org.rsj_handler, a, kind="response", title=f"措施{n}", owner="科室")
    with django_assert_max_num_queries(40):
        assert detail(client, a, tab).status_code == 200


def test_list_page_filters(org, login):
    client = login(org.rsj_handler)
    a = to_grade_step(org)
    url = reverse("assessments:list")
    assert "企业退休人员养老金调整" in client.get(url).content.decode()
    assert "企业退休人员养老金调整" in client.get(url, {"step": a.current_step}).content.decode()
    assert "没有符合条件" in client.get(url, {"status": "closed"}).content.decode()
    assert "没有符合条件" in client.get(url, {"grade": "level1"}).content.decode()
    assert "企业退休人员养老金调整" in client.get(url, {"department": org.rsj.pk}).content.decode()
    # Another department sees none of it.
    assert "企业退休人员养老金调整" not in login(org.zjj_handler).get(url).content.decode()


def test_matter_page_links_to_the_assessment(org, login):
    client = login(org.rsj_handler)
    matter = register(org)
    body = client.get(reverse("matters:detail", args=[matter.pk])).content.decode()
    assert reverse("assessments:start", args=[matter.pk]) in body
    a = actions.do_start_assessment(org.rsj_handler, matter)
    body = client.get(reverse("matters:detail", args=[matter.pk])).content.decode()
    assert reverse("assessments:detail", args=[a.pk]) in body
