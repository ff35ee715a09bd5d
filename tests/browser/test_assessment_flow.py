"""A whole 篇1 assessment in headless Chromium, from registering the matter to filing the
decision: the pages a 承办人 uses, the refusal of 实施 for an A-grade matter with the rule
quoted, and the public questionnaire answered from another browser. The bulky parts
(every checklist item, the assessors' scores) go through the same action functions the
pages call, to keep the test short.

A second test (篇3, ssra-town) takes a grade override through the pages: proposed by the
承办人, refused to her, approved by the 人社局's 主要负责人; each review stage signed by its
signer; the decision filed with both 镇维稳办 and 镇联席办, each signing for it in its inbox."""

import datetime as dt
import os
import tempfile

import pytest
from django.utils import timezone

from fengping.assessments import actions
from fengping.assessments.models import Assessment
from fengping.matters.models import Matter
from fengping.opinions import actions as opinion_actions
from tests.assessments import flow
from tests.dates import YEAR

from .test_login_flow import HAVE_CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not HAVE_CHROMIUM,
        reason="需要 Chromium / needs Chromium: apt-get install chromium fonts-noto-cjk",
    ),
]
PASSWORD = "Test-password-2026"


def submit(page, text):
    page.locator(
        f"main button[type=submit]:has-text('{text}'), .page-body button[type=submit]:has-text('{text}')"
    ).first.click()
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_matter_to_filing(browser, org, tmp_path):
    page = browser.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(browser.base + "/accounts/login/")
    page.fill("#id_username", "rsj_handler")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(browser.base + "/")

    # 1. Register the matter (篇1 重大决策或政策调整).
    page.goto(browser.base + "/matters/new/")
    page.fill("#id_title", "企业退休人员养老金调整")
    page.select_option("#id_category", "ssra-bureau/major_decision")
    page.select_option("#id_department", str(org.rsj.pk))
    page.fill("#id_deciding_authority", "局务会议")
    submit(page, "保存")
    matter = Matter.objects.get()
    assert page.url.endswith(f"/matters/{matter.pk}/")
    assert "必须评估" in page.content()

    # 2. Start the assessment: the scheme version is frozen.
    page.goto(browser.base + f"/assessments/start/{matter.pk}/")
    page.locator(".page-body form button[type=submit]").click()
    page.wait_for_load_state()
    a = Assessment.objects.get()
    assert page.url.endswith(f"/assessments/{a.pk}/") and "已冻结" in page.content()
    submit(page, "完成本步骤")  # 确定评估项目

    # 3. The plan, the team and the archive.
    page.goto(browser.base + f"/assessments/{a.pk}/plan/")
    page.fill("#id_plan_content", "评估组负责征求意见、分析风险并形成报告")
    page.fill("#id_plan_methods", "问卷调查、民意测验、座谈会")  # 篇1 六(一)2: the methods
    page.select_option("#id_lead_department", str(org.rsj.pk))
    submit(page, "保存")
    page.goto(browser.base + f"/assessments/{a.pk}/?tab=plan")
    for user in (org.rsj_handler, org.rsj_head):
        page.select_option("form[action$='/team/'] select[name=kind]", "staff")
        page.select_option("form[action$='/team/'] select[name=user]", str(user.pk))
        submit(page, "加入")
    # 篇1 七(三) 评估工作应邀请相关专家和群众代表参加: the step refuses without them.
    submit(page, "完成本步骤")
    assert "评估工作应邀请相关专家和群众代表参加" in page.content()
    for kind, name in (("expert", "王教授"), ("public", "李代表")):
        page.select_option("form[action$='/team/'] select[name=kind]", kind)
        page.select_option("form[action$='/team/'] select[name=user]", "")
        page.fill("form[action$='/team/'] input[name=name]", name)
        submit(page, "加入")
    doc = tmp_path / "评估工作方案.txt"
    doc.write_text("评估工作方案", encoding="utf-8")
    page.set_input_files("form[action$='/archive/'] input[type=file]", str(doc))
    submit(page, "上传归档")
    assert "评估工作方案.txt" in page.content()
    submit(page, "完成本步骤")
    a.refresh_from_db()
    assert a.current_step == "analyse", page.content()

    # 4. The public answers a questionnaire in another browser, without logging in.
    qn = opinion_actions.do_create_questionnaire(
        org.rsj_handler,
        matter,
        title="养老金调整意见征询",
        closes_at=timezone.now() + dt.timedelta(days=3),
    )
    qn = opinion_actions.do_publish(org.rsj_handler, qn)
    public = browser.new_context().new_page()
    public.goto(browser.base + f"/q/{qn.token}/")
    public.locator("input[name=group]").first.check()
    public.locator(f"input[name=q{qn.questions.get(is_stance=True).pk}]").first.check()
    public.locator("form button[type=submit]").click()
    public.wait_for_load_state()
    assert "感谢" in public.content()
    assert qn.responses.count() == 1
    # A 座谈会 with the direct-interest group (篇1 六(一)3 征求直接利益群体的意见和建议).
    opinion_actions.do_record_activity(
        org.rsj_handler,
        matter,
        kind="symposium",
        date=timezone.localdate(),
        participant_count=12,
        groups=["直接利益群体"],
    )

    # 5. Analysis: checklists and the assessors' scores (actions), then the grade (page).
    flow.answer_checklist(org.rsj_handler, a)
    factor = actions.do_save_factor(
        org.rsj_handler, a, dimension="security", title="部分群体强烈不满", **flow.ESTIMATES
    )
    for assessor in (org.rsj_handler, org.rsj_head):
        actions.do_score_factor(
            assessor, factor, probability_level="very_high", impact_level="severe"
        )
    page.goto(browser.base + f"/assessments/{a.pk}/")
    submit(page, "完成本步骤")
    page.goto(browser.base + f"/assessments/{a.pk}/grade/")
    page.fill("#id_written_opinion", "同意评估结论")
    page.fill("#id_recommendation", "不得实施")
    submit(page, "确定风险等级")
    a.refresh_from_db()
    assert a.grade == "A"
    page.goto(browser.base + f"/assessments/{a.pk}/")
    submit(page, "完成本步骤")

    # 6. The report, generated and archived.
    page.goto(browser.base + f"/assessments/{a.pk}/?tab=report")
    submit(page, "生成评估报告")
    page.goto(browser.base + f"/assessments/{a.pk}/")
    submit(page, "完成本步骤")
    a.refresh_from_db()
    assert a.current_step == "decide"

    # 7. 实施 is refused for grade A, with the rule quoted; 不予实施 is recorded.
    page.goto(browser.base + f"/assessments/{a.pk}/decide/")
    page.check("input[name=outcome][value=implement]")
    page.fill("#id_doc_no", f"示人社发〔{YEAR}〕18号")
    page.fill("#id_decided_on", timezone.localdate().isoformat())
    submit(page, "登记决定")
    assert "不得实施" in page.content()
    assert (
        not hasattr(Assessment.objects.get(), "decision")
        or not Assessment.objects.filter(decision__isnull=False).exists()
    )
    page.check("input[name=outcome][value=reject]")
    submit(page, "登记决定")
    a.refresh_from_db()
    assert a.decision.outcome == "reject" and a.decision.doc_no == f"示人社发〔{YEAR}〕18号"

    # 8. Filing with the 维稳办, due the day after the decision.
    page.goto(browser.base + f"/assessments/{a.pk}/filing/")
    page.select_option("#id_office", str(org.wwb.pk))
    page.fill("#id_filed_on", timezone.localdate().isoformat())
    submit(page, "保存")
    page.goto(browser.base + f"/assessments/{a.pk}/?tab=filing")
    assert "维稳办" in page.content()
    assert a.filings.count() == 1
    assert errors == []


def log_in(browser, user):
    """A fresh browser context (its own cookies) logged in as `user`."""
    page = browser.new_page()
    page.goto(browser.base + "/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(browser.base + "/")
    return page


def shot(page, name):
    """A full-page PNG to look at, in $FENGPING_SHOTS (default /tmp/shots)."""
    where = os.environ.get("FENGPING_SHOTS") or os.path.join(tempfile.gettempdir(), "shots")
    os.makedirs(where, exist_ok=True)
    page.screenshot(path=os.path.join(where, f"{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_override_reviews_and_filing_with_both_offices(browser, org):
    """篇3 (ssra-town): the 承办人 proposes another grade than the computed one, a leader of
    the responsible department approves it, each review stage is signed by its own signer,
    and the decision is filed with both offices the scheme lists (镇维稳办、镇联席办), each
    of which signs for it in its own inbox."""
    # Register, plan, consult and analyse (actions): computed 一级, the public's 33% opposed
    # would floor it at 二级 anyway.
    a = flow.to_grade_step(org)
    grade_tab = browser.base + f"/assessments/{a.pk}/?tab=grade"
    handler = log_in(browser, org.rsj_handler)
    errors = []
    handler.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # 1. The 承办人 chooses 二级 with a reason: only a proposal, 一级 stays in force.
    handler.goto(browser.base + f"/assessments/{a.pk}/grade/")
    handler.select_option("#id_grade", "level2")
    handler.fill("#id_reason", "已落实分批兑现方案，风险可控")
    handler.fill("#id_written_opinion", "同意评估结论")
    handler.fill("#id_recommendation", "建议暂缓实施")
    handler.fill("#id_mitigation_plan", "化解矛盾方案：分批兑现")
    handler.fill("#id_contingency_plan", "应急处置预案：专人接访")
    submit(handler, "确定风险等级")
    assert "tab=grade" in handler.url, handler.content()
    a.refresh_from_db()
    assert (a.computed_grade, a.grade) == ("level1", "level1")
    pending = a.pending_override()
    assert pending is not None and pending.proposed_grade == "level2"
    assert pending.proposed_by == org.rsj_handler
    body = handler.locator(".page-body")
    assert "已按计算等级确定为一级" in handler.content()
    assert "待批准" in body.inner_text()
    assert f"{org.rsj_handler}提出将计算等级一级调整为二级" in body.inner_text()
    assert handler.locator(".page-body .grade-badge.grade-level1").first.is_visible()

    # 2. She cannot approve her own proposal: no form, the page says why and who may.
    assert handler.locator(".page-body button:has-text('批准')").count() == 0
    assert "调整风险等级须由责任主体（人社局）的分管领导或主要负责人批准" in body.inner_text()
    assert "由责任主体的分管领导或主要负责人（非提出人）批准" in body.inner_text()
    shot(handler, "grade-override-pending")

    # 3. The 人社局's 主要负责人 approves it on the same tab: 二级 now governs.
    head = log_in(browser, org.rsj_head)
    head.goto(grade_tab)
    head.fill("form[action$='/approve/'] input[name=note]", "同意调整")
    head.get_by_role("button", name="批准", exact=True).click()
    head.wait_for_load_state()
    a.refresh_from_db()
    pending.refresh_from_db()
    assert (pending.state, pending.decided_by) == ("approved", org.rsj_head)
    assert (a.computed_grade, a.grade) == ("level1", "level2")
    text = head.locator(".page-body").inner_text()
    assert "已批准调整风险等级" in head.content()
    assert f"计算等级为一级；{org.rsj_handler}提出，{org.rsj_head}批准" in text
    assert head.locator(".page-body .grade-badge.grade-level2").first.is_visible()
    handler.goto(grade_tab)
    assert f"{org.rsj_handler}提出，{org.rsj_head}批准" in handler.content()
    assert "待批准" not in handler.locator(".page-body").inner_text()

    # The grade step, the report (pages of the 承办人).
    handler.goto(browser.base + f"/assessments/{a.pk}/")
    submit(handler, "完成本步骤")
    handler.goto(browser.base + f"/assessments/{a.pk}/?tab=report")
    submit(handler, "生成评估报告")
    handler.goto(browser.base + f"/assessments/{a.pk}/")
    submit(handler, "完成本步骤")
    a.refresh_from_db()
    assert a.current_step == "decide", handler.content()

    # Each review stage signed by its own signer (审查, 审定, 涉稳重大问题 审定); the
    # 承办人 is told who signs and gets no form.
    decision_tab = browser.base + f"/assessments/{a.pk}/?tab=decision"
    handler.goto(decision_tab)
    assert handler.locator("form[action$='/reviews/']").count() == 0
    assert "须由人社局的" in handler.content()
    signers = {org.rsj_head.pk: head}
    stages = []
    while (stage := actions.pending_review(a)) is not None:
        who = flow.signer(org, stage.code)
        page = signers.get(who.pk) or signers.setdefault(who.pk, log_in(browser, who))
        page.goto(decision_tab)
        page.check("form[action$='/reviews/'] input[name=result][value=approved]")
        page.fill("form[action$='/reviews/'] textarea[name=opinion]", "同意")
        submit(page, "提交审查意见")
        assert "审查意见已登记" in page.content(), page.content()
        stages.append(stage.code)
        a.refresh_from_db()
    assert stages == ["review", "approve", "escalate"]

    # 暂缓实施: forbidden at the computed 一级, allowed at the approved 二级.
    today = timezone.localdate()
    handler.goto(browser.base + f"/assessments/{a.pk}/decide/")
    handler.check("input[name=outcome][value=postpone]")
    handler.fill("#id_doc_no", f"示人社发〔{today.year}〕19号")
    handler.fill("#id_decided_on", today.isoformat())
    submit(handler, "登记决定")
    a.refresh_from_db()
    assert a.decision.outcome == "postpone", handler.content()

    # 4. Filed with every office the scheme lists, one filing each.
    filing_tab = browser.base + f"/assessments/{a.pk}/?tab=filing"
    for office in (org.wwb, org.lxb):
        handler.goto(browser.base + f"/assessments/{a.pk}/filing/")
        handler.select_option("#id_office", str(office.pk))
        handler.fill("#id_filed_on", today.isoformat())
        submit(handler, "保存")
        assert f"已向{office.name}备案" in handler.content(), handler.content()
        if office == org.wwb:
            assert "尚未向镇联席办备案" in handler.content()
    assert a.filings_missing() == []
    assert "待维稳办签收" in handler.content() and "待联席办签收" in handler.content()

    # Each office signs for its filing in its own inbox (and sees only its own).
    for office, member in ((org.wwb, org.supervisor), (org.lxb, org.lxb_supervisor)):
        page = log_in(browser, member)
        page.goto(browser.base + "/assessments/filings/?show=pending")
        rows = page.locator("main table tbody tr, .page-body table tbody tr")
        assert rows.count() == 1 and office.name in rows.first.inner_text()
        rows.first.get_by_role("button", name="签收").click()
        page.wait_for_load_state()
        assert f"{office.name}已签收备案" in page.content(), page.content()
        page.goto(browser.base + "/assessments/filings/")
        assert "已签收" in page.locator(".page-body table").inner_text()
    assert a.filings.filter(acknowledged_at__isnull=False).count() == 2
    assert {f.acknowledged_by for f in a.filings.all()} == {org.supervisor, org.lxb_supervisor}

    handler.goto(filing_tab)
    table = handler.locator(".page-body table").inner_text()
    assert table.count("已签收") == 2
    assert str(org.supervisor) in table and str(org.lxb_supervisor) in table
    assert "待" not in table and "尚未" not in handler.locator(".page-body").inner_text()
    shot(handler, "filing-both-acknowledged")
    assert errors == []
