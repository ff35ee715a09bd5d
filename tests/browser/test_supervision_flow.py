"""The supervision flow (督促检查, 篇3 六(一)) in headless Chromium, through the real pages:
人社局's handler draws up this year's 年度评估计划表, lists a registered matter in it and
files it with the 维稳办 (第1版; the matter page then says 已备案); the filer is not
offered 签收 and a forced POST by her is refused; the 维稳办's supervisor signs it. The
month's 工作进展情况报告表 is drawn up, filled in and submitted, and the supervisor signs
it. 我的待办 and the calendar answer, with the notification bell in the top bar."""

import pytest
from django.utils import timezone

from fengping.matters.actions import do_register_matter
from fengping.supervision.models import AnnualPlan, MonthlyReport, PlanFiling, ReportStatus

from .conftest import body, log_in
from .test_login_flow import HAVE_CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not HAVE_CHROMIUM,
        reason="需要 Chromium / needs Chromium: apt-get install chromium fonts-noto-cjk",
    ),
]


def csrf(page):
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


@pytest.mark.django_db(transaction=True)
def test_plan_filing_report_and_todo(browser, org):
    year = timezone.localdate().year
    matter = do_register_matter(
        org.rsj_handler,
        title="城乡居民养老保险缴费标准调整",
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=org.rsj,
    )
    errors = []
    page = log_in(browser, "rsj_handler", errors)

    # 1. 督促检查 › 年度评估计划表: draw up this year's plan for 人社局.
    page.locator("aside").get_by_role("link", name="年度评估计划表").click()
    page.wait_for_url("**/supervision/plans/")
    page.locator(".page-header, .page-body").get_by_role("link", name="编制计划表").click()
    page.wait_for_url("**/supervision/plans/new/")
    page.select_option("select[name=department]", str(org.rsj.pk))
    page.fill("input[name=year]", str(year))
    page.locator(".page-body form button[type=submit]").click()
    page.wait_for_load_state()
    plan = AnnualPlan.objects.get(department=org.rsj, year=year)
    assert page.url.endswith(f"/supervision/plans/{plan.pk}/"), body(page)
    assert "计划表还没有事项" in body(page)

    # 2. Add the registered matter as an entry.
    page.get_by_role("link", name="添加事项").click()
    page.wait_for_url(f"**/supervision/plans/{plan.pk}/entries/add/")
    page.select_option("select[name=matter]", str(matter.pk))
    page.fill("input[name=planned_month]", "12")
    page.locator(".page-body form button[type=submit]").click()
    page.wait_for_url(f"**/supervision/plans/{plan.pk}/")
    assert matter.title in body(page)
    assert plan.entries.filter(matter=matter).exists()

    # 3. 报维稳办备案: the filing form, then 第1版 on the plan page.
    page.get_by_role("link", name="报维稳办备案").click()
    page.wait_for_url(f"**/supervision/plans/{plan.pk}/file/")
    assert page.locator("select[name=office]").input_value() == str(org.wwb.pk)
    page.get_by_role("button", name="报送备案").click()
    page.wait_for_url(f"**/supervision/plans/{plan.pk}/")
    text = body(page)
    assert "第1版" in text and "已报维稳办备案（第1版）" in page.content(), text
    filing = PlanFiling.objects.get(plan=plan)
    assert filing.number == 1 and filing.office == org.wwb
    # The filer is not offered 签收 (she is no member of the 维稳办: 待签收 only).
    assert page.get_by_role("button", name="签收").count() == 0
    assert "待签收" in text

    # The matter page says 已备案.
    page.goto(browser.base + f"/matters/{matter.pk}/")
    assert "已备案" in body(page), body(page)

    # A forced POST by the filer to the acknowledge URL is refused.
    resp = page.request.post(
        browser.base + f"/supervision/plans/filings/{filing.pk}/acknowledge/",
        headers={"X-CSRFToken": csrf(page), "Referer": page.url},
        max_redirects=0,
    )
    assert resp.status == 403, resp.status
    filing.refresh_from_db()
    assert filing.acknowledged_at is None and filing.acknowledged_by is None

    # 4. The 维稳办's supervisor opens the plan and signs it.
    sup = log_in(browser, "supervisor", errors)
    sup.locator("aside").get_by_role("link", name="年度评估计划表").click()
    sup.wait_for_url("**/supervision/plans/")
    assert "待签收" in body(sup)
    sup.goto(browser.base + f"/supervision/plans/{plan.pk}/")
    sup.get_by_role("button", name="签收").click()
    sup.wait_for_url(f"**/supervision/plans/{plan.pk}/")
    assert "已签收" in body(sup), body(sup)
    assert sup.get_by_role("button", name="签收").count() == 0
    filing.refresh_from_db()
    assert filing.acknowledged_by_id == org.supervisor.pk

    # 5. This month's 工作进展情况报告表: drawn up, filled in, submitted.
    page.locator("aside").get_by_role("link", name="工作进展情况报告表").click()
    page.wait_for_url("**/supervision/reports/")
    page.locator(".page-header, .page-body").get_by_role("link", name="编制报告").click()
    page.wait_for_url("**/supervision/reports/new/")
    page.select_option("select[name=department]", str(org.rsj.pk))
    month = timezone.localdate().strftime("%Y-%m")
    assert page.locator("input[name=month]").input_value() == month
    page.get_by_role("button", name="编制").click()
    page.wait_for_load_state()
    report = MonthlyReport.objects.get(department=org.rsj)
    assert page.url.endswith(f"/supervision/reports/{report.pk}/"), body(page)
    assert report.office == org.wwb
    page.locator("#department-actions").get_by_role("link", name="修改").click()
    page.wait_for_url(f"**/supervision/reports/{report.pk}/edit/")
    page.fill("textarea[name=work_done]", "本月将养老保险缴费标准调整列入计划表并报维稳办备案。")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/supervision/reports/{report.pk}/")
    assert "列入计划表并报维稳办备案" in page.locator("#work-done").inner_text()
    page.locator("#department-actions").get_by_role("button", name="上报").click()
    page.wait_for_url(f"**/supervision/reports/{report.pk}/")
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED, body(page)
    assert "报告已上报，等待签收" in body(page)
    assert page.locator("#office-actions").count() == 0

    # The supervisor opens it and signs it.
    sup.goto(browser.base + "/supervision/reports/")
    sup.get_by_role("link", name=f"{report.month.year}年{report.month.month}月").first.click()
    sup.wait_for_url(f"**/supervision/reports/{report.pk}/")
    sup.locator("#office-actions").get_by_role("button", name="签收").click()
    sup.wait_for_url(f"**/supervision/reports/{report.pk}/")
    report.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED, body(sup)
    assert sup.locator("#status").inner_text() == report.get_status_display()

    # 6. 我的待办 and the calendar answer; the bell is in the top bar.
    for name, url in (("我的待办", "/supervision/todo/"), ("待办日历", "/supervision/calendar/")):
        page.locator("aside").get_by_role("link", name=name).click()
        page.wait_for_url("**" + url)
        assert page.locator("h2.page-title").count() == 1, page.content()
        bell = page.locator("header").get_by_role("link", name="通知中心")
        assert bell.count() == 1
    assert not errors, errors
