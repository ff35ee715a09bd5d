"""The case-handling flow (篇4) in headless Chromium, through the real pages: a court's
承办人 imports the case list exported by the case-management system, runs the month's
screening, finds the flagged case on the 逐案分析研判 list with the rules that fired and
makes it a 评估对象; the 变更办理阶段 page then offers no way to 裁决 (the option disabled
with the source's sentence) and a forced POST is refused; once the assessment is carried
out (its content by the same actions the pages call, to keep the test short) she asks for
the risk to be confirmed resolved, cannot approve her own request, the 分管领导 approves it
on the page, and only then can the case be moved to 裁决."""

import pytest

from fengping.cases.actions import assessments as assess
from fengping.cases.actions import resolution
from fengping.cases.models import AssessmentStatus, Case, CaseAssessment, Measure

from ..cases.builders import build_courts
from .conftest import body, log_in
from .test_login_flow import HAVE_CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not HAVE_CHROMIUM,
        reason="需要 Chromium / needs Chromium: apt-get install chromium fonts-noto-cjk",
    ),
]

CASES_CSV = """\
案号,案件名称,案件类别,办理阶段,承办人,受理日期,涉案金额,涉案人数,弱势群体,查封、扣押、冻结措施,群众关注,社会敏感,简要案情
（2026）示民初1号,李某等 12 人追索劳动报酬纠纷,民商事,审理,fy_handler,2026-09-01,1200000,12,农民工,,是,否,某公司拖欠工资，工人多次讨薪并扬言跳楼。
（2026）示刑初2号,王某盗窃案,刑事,审理,fy_handler,2026-10-01,,1,,,否,否,被告人盗窃手机一部。
"""


def carry_out(handler, a):
    """The assessment's content, through the actions the pages call."""
    for d in a.scheme.dimensions:
        for i, _item in enumerate(d.items):
            assess.do_answer_item(
                handler, a, dimension=d.code, item=i, has_issue=False, finding="已逐项分析"
            )
    a = CaseAssessment.objects.get(pk=a.pk)
    a = assess.do_save_prediction(
        handler,
        a,
        factors=["prior_petitions"],
        petition_probability="medium",
        impact="moderate",
        prediction="宣判后存在信访可能，经释法明理可以化解。",
        majority_unsupportive=False,
        version=a.version,
    )
    assess.do_complete_step(handler, CaseAssessment.objects.get(pk=a.pk), "assess")
    a = CaseAssessment.objects.get(pk=a.pk)
    assess.do_save_report(
        handler,
        a,
        version=a.version,
        persons="原告李某等 12 人，被告某建筑公司。",
        summary="某公司拖欠工资，工人多次讨薪。",
        handling="已开庭审理。",
        problems="当事人情绪激动。",
        response_plan="宣判前释法明理。",
    )
    a = CaseAssessment.objects.get(pk=a.pk)
    resolution.do_save_plan(handler, a, text="宣判前约谈，宣判后回访。", version=a.version)
    a = CaseAssessment.objects.get(pk=a.pk)
    measure = resolution.do_add_measure(
        handler,
        a,
        title="释法明理",
        responsible_unit=a.case.organ,
        due_on=a.started_at.date(),
        responsible_person=handler,
    )
    assess.do_complete_step(handler, CaseAssessment.objects.get(pk=a.pk), "plan")
    measure = Measure.objects.get(pk=measure.pk)
    resolution.do_set_measure_status(
        handler, measure, version=measure.version, status="done", evidence_note="谈话笔录已归档"
    )


@pytest.mark.django_db(transaction=True)
def test_import_screen_decide_and_the_gate(browser, org, tmp_path):
    courts = build_courts(org)
    errors = []
    page = log_in(browser, "fy_handler", errors)

    # 1. Import the case list through the organ's import page.
    csv = tmp_path / "cases.csv"
    csv.write_text(CASES_CSV, encoding="utf-8")
    page.goto(browser.base + f"/cases/organs/{courts.fy.pk}/import/")
    page.set_input_files(".page-body input[type=file]", str(csv))
    page.locator(".page-body form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert Case.objects.filter(organ=courts.fy).count() == 2, body(page)
    case = Case.objects.get(number="（2026）示民初1号")
    assert case.terms_key and case.terms_mask  # the screening keywords, kept at arrival

    # 2. Run this month's screening from the page.
    page.goto(browser.base + f"/cases/screening/organs/{courts.fy.pk}/run/")
    page.locator(".page-body form button:has-text('确认排查')").click()
    page.wait_for_load_state()
    text = body(page)
    assert "排查" in text and "2" in text, text

    # 3. The work list shows the flagged case with the rules that fired; make it a target.
    run = case.screenings.get().run
    page.goto(browser.base + f"/cases/screening/runs/{run.pk}/worklist/")
    listed = body(page)
    assert case.number in listed and "（2026）示刑初2号" not in listed, listed
    assert "简要案情有以死相逼、过激行为的表述" in listed, listed
    result = case.screenings.get()
    page.goto(browser.base + f"/cases/screening/results/{result.pk}/decide/")
    page.check("input[name=choice][value=target]")
    page.locator(".page-body form button:has-text('提交研判结论')").click()
    page.wait_for_load_state()
    a = CaseAssessment.objects.get(case=case)
    assert a.status == AssessmentStatus.OPEN

    # 4. The gate: 裁决 is offered disabled with the reason; a forced POST is refused.
    page.goto(browser.base + f"/cases/{case.pk}/stage/")
    ruling = page.locator("input[name=to_stage][value=ruling]")
    assert ruling.is_disabled()
    assert "风险未化解的不得裁决" in body(page)
    page.evaluate("document.querySelector('input[name=to_stage][value=ruling]').disabled = false")
    page.check("input[name=to_stage][value=ruling]")
    page.locator(".page-body form button:has-text('变更')").click()
    page.wait_for_load_state()
    assert "风险未化解的不得裁决" in body(page)
    assert Case.objects.get(pk=case.pk).stage == "trial"

    # 5. Carried out; she asks for the risk to be confirmed resolved on the page.
    carry_out(courts.fy_handler, a)
    page.goto(browser.base + f"/cases/assessments/{a.pk}/resolution/")
    page.fill("form[action$='/resolution/'] textarea[name=note]", "当事人表示服判息诉。")
    page.locator(".page-body form button:has-text('提交申请')").click()
    page.wait_for_load_state()
    a = CaseAssessment.objects.get(pk=a.pk)
    assert a.resolution_state == "proposed", body(page)
    # She cannot approve her own request: the button is off, with the reason.
    page.goto(browser.base + f"/cases/assessments/{a.pk}/resolution/")
    assert page.locator(".page-body form button:has-text('提交审批')").is_disabled()

    # 6. The 分管领导 approves it on the page.
    leader = log_in(browser, "fy_leader", errors)
    leader.goto(browser.base + f"/cases/assessments/{a.pk}/resolution/")
    leader.check("input[name=decision][value=approve]")
    leader.locator(".page-body form button:has-text('提交审批')").click()
    leader.wait_for_load_state()
    a = CaseAssessment.objects.get(pk=a.pk)
    assert a.status == AssessmentStatus.RESOLVED, body(leader)

    # 7. Now the case can be moved to 裁决.
    page.goto(browser.base + f"/cases/{case.pk}/stage/")
    page.check("input[name=to_stage][value=ruling]")
    page.locator(".page-body form button:has-text('变更')").click()
    page.wait_for_load_state()
    assert Case.objects.get(pk=case.pk).stage == "ruling", body(page)
    assert not errors, errors
