"""The information-security flow (篇2) in headless Chromium, through the real pages: a
承办人 registers a system, imports its assets from a CSV, starts an assessment, completes
资产评估, seeds the threats, answers one checklist item on the page, uploads a Nessus
report (an unknown host listed), computes the risks, looks at the heat map, and proposes
to accept the highest risk; she cannot approve her own proposal (refused with the reason),
a 分管领导 of 人社局 approves it on the page. The bulky parts (every other checklist item)
go through the same action functions the pages call, to keep the test short."""

import pytest

from fengping.infosec.actions.assessments import do_complete_step
from fengping.infosec.actions.checklists import do_answer_item
from fengping.infosec.models import (
    ApprovalState,
    Asset,
    ChecklistAnswer,
    RiskDecision,
    Scenario,
    System,
    SystemAssessment,
    ThreatRating,
    Vulnerability,
)
from fengping.org.actions import do_create_user
from tests.conftest import settled

from .conftest import body, log_in
from .test_login_flow import HAVE_CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not HAVE_CHROMIUM,
        reason="需要 Chromium / needs Chromium: apt-get install chromium fonts-noto-cjk",
    ),
]
PASSWORD = "Test-password-2026"

ASSET_CSV = """\
资产编号,资产名称,资产层次,功能部分,资产类型,承载业务编号,主机名,IP 地址,部署位置,保密性,完整性,可用性,赋值理由
OA-SYS,协同办公系统,系统资产,,,,,,,4,4,4,整体
OA-DB,数据库服务器,系统组件和单元资产,数据存储,服务器,,oa-db,10.0.0.1,机房,5,5,5,核心数据
OA-APP,应用服务器,系统组件和单元资产,业务处理,服务器,,oa-app,10.0.0.2,机房,4,4,4,业务处理
OA-WEB,门户服务器,系统组件和单元资产,业务服务提供,服务器,,oa-web,10.0.0.3,机房,3,3,3,对外门户
"""

NESSUS = """\
<?xml version="1.0" ?>
<NessusClientData_v2>
<Report name="OA 季度扫描">
<ReportHost name="10.0.0.1"><HostProperties>
<tag name="host-ip">10.0.0.1</tag><tag name="host-fqdn">oa-db</tag>
</HostProperties>
<ReportItem port="8080" svc_name="www" protocol="tcp" severity="4" pluginID="900001" pluginName="Remote Code Execution in Web Console" pluginFamily="Web Servers">
<cve>CVE-2025-0001</cve>
<cvss3_base_score>9.8</cvss3_base_score>
<description>Unauthenticated remote code execution.</description>
<risk_factor>Critical</risk_factor>
<solution>Upgrade.</solution>
<synopsis>Remote code execution.</synopsis>
</ReportItem>
</ReportHost>
<ReportHost name="10.0.0.2"><HostProperties>
<tag name="host-ip">10.0.0.2</tag><tag name="host-fqdn">oa-app</tag>
</HostProperties>
<ReportItem port="443" svc_name="www" protocol="tcp" severity="2" pluginID="57582" pluginName="SSL Self-Signed Certificate" pluginFamily="General">
<cvss_base_score>6.4</cvss_base_score>
<description>The X.509 certificate chain is self-signed.</description>
<risk_factor>Medium</risk_factor>
<solution>Use a proper certificate.</solution>
<synopsis>Self-signed certificate.</synopsis>
</ReportItem>
</ReportHost>
<ReportHost name="192.168.9.9"><HostProperties>
<tag name="host-ip">192.168.9.9</tag>
</HostProperties>
<ReportItem port="22" svc_name="ssh" protocol="tcp" severity="2" pluginID="70658" pluginName="SSH Weak Algorithms Supported" pluginFamily="Misc.">
<cvss_base_score>4.3</cvss_base_score>
<description>Weak SSH algorithms.</description>
<risk_factor>Medium</risk_factor>
<solution>Disable weak algorithms.</solution>
<synopsis>Weak algorithms.</synopsis>
</ReportItem>
</ReportHost>
</Report>
</NessusClientData_v2>
"""


def submit(page, text):
    page.locator(f".page-body form button:not([type=button]):has-text('{text}')").first.click()
    page.wait_for_load_state()


def grid(locator):
    """A datagrid's items as {title: content}."""
    return {
        item.locator(".datagrid-title").inner_text().strip(): item.locator(".datagrid-content")
        .inner_text()
        .strip()
        for item in locator.locator(".datagrid-item").all()
    }


def answer_all_but(actor, a, catalogue, checklists, skip=()):
    """Answer every item of `checklists` (not found / not applicable) by the action."""
    result = "not_found" if catalogue == "vulnerability" else "na"
    for checklist in checklists:
        for code in checklist.item_codes():
            if (catalogue, code) in skip:
                continue
            do_answer_item(
                actor,
                a,
                catalogue=catalogue,
                item=code,
                result=result,
                method=checklist.methods[0] if checklist.methods else "",
                value="",
            )


@pytest.mark.django_db(transaction=True)
def test_system_to_approved_acceptance(browser, org, tmp_path):
    errors = []
    page = log_in(browser, "rsj_handler", errors)

    # 1. Register the system.
    page.goto(browser.base + "/infosec/systems/new/")
    page.select_option("#id_department", str(org.rsj.pk))
    page.fill("#id_code", "OA")
    page.fill("#id_name", "协同办公系统")
    page.select_option("#id_protection_level", "3")
    submit(page, "保存")
    system = System.objects.get()
    assert page.url.endswith(f"/infosec/systems/{system.pk}/"), body(page)
    assert system.protection_level == 3 and system.department == org.rsj
    assert "已登记信息系统" in page.content()

    # Import the assets from a CSV through the import page; the list shows them.
    csv = tmp_path / "assets.csv"
    csv.write_text(ASSET_CSV, encoding="utf-8")
    page.goto(browser.base + f"/infosec/systems/{system.pk}/assets/import/")
    page.set_input_files(".page-body input[type=file]", str(csv))
    page.locator(".page-body form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert Asset.objects.filter(system=system).count() == 4, body(page)
    page.goto(browser.base + f"/infosec/systems/{system.pk}/assets/")
    listed = body(page)
    for code, ip in (("OA-DB", "10.0.0.1"), ("OA-APP", "10.0.0.2"), ("OA-WEB", "10.0.0.3")):
        assert code in listed and ip in listed, listed
    assert "OA-SYS" in listed

    # 2. Start an assessment from the system page; the overview shows the steps.
    page.goto(browser.base + f"/infosec/systems/{system.pk}/")
    page.locator(".page-body a:has-text('开始风险评估')").click()
    page.wait_for_load_state()
    page.fill("#id_title", "2026年度风险评估")
    submit(page, "开始评估")
    a = SystemAssessment.objects.get()
    assert page.url.endswith(f"/infosec/assessments/{a.pk}/"), body(page)
    steps = page.locator("#assessment-steps").inner_text()
    for label in ("资产评估", "威胁评估", "脆弱性评估", "现有安全措施评估", "风险计算和分析"):
        assert label in steps
    submit(page, "完成本步骤")  # 资产评估
    a.refresh_from_db()
    assert a.current_step == "threats", body(page)
    assert "已完成“资产评估”" in page.content()

    # 3. Threats seeded from the catalogue with the button.
    page.goto(browser.base + f"/infosec/assessments/{a.pk}/threats/")
    submit(page, "按威胁分类逐类添加")
    assert ThreatRating.objects.filter(assessment=a).count() > 0
    assert "已按威胁分类添加" in page.content()
    page.goto(browser.base + f"/infosec/assessments/{a.pk}/")
    submit(page, "完成本步骤")  # 威胁评估
    a.refresh_from_db()
    assert a.current_step == "vulnerabilities", body(page)

    # One checklist item answered through the page's inline form.
    info = a.scheme.infosec
    first = info.vulnerabilities.checklists[0]
    item = first.item_codes()[0]
    page.goto(browser.base + f"/infosec/assessments/{a.pk}/vulnerability-checklists/")
    box = page.locator(".checklist-item").first
    box.locator("label:has-text('未发现脆弱性')").click()
    if first.methods:
        box.locator("select[name=method]").select_option(first.methods[0])
    box.locator("input[name=evidence]").fill("已查阅安全方针文件")
    box.locator("button[type=submit]").click()
    page.locator(".checklist-item").first.locator("[role=status]").wait_for()
    saved = ChecklistAnswer.objects.get(assessment=a, catalogue="vulnerability", item=item)
    assert saved.result == "not_found" and saved.evidence == "已查阅安全方针文件"
    # The rest of 2.3 and 3.1–3.4 through the actions.
    answer_all_but(
        org.rsj_handler,
        a,
        "vulnerability",
        info.vulnerabilities.checklists,
        {("vulnerability", item)},
    )
    answer_all_but(org.rsj_handler, a, "measure", info.measures.checklists)
    do_complete_step(org.rsj_handler, a, "vulnerabilities")
    do_complete_step(org.rsj_handler, a, "measures")

    # 4. The Nessus report: counts, and the unknown host listed.
    report = tmp_path / "oa.nessus"
    report.write_text(NESSUS, encoding="utf-8")
    page.goto(browser.base + f"/infosec/systems/{system.pk}/scans/upload/")
    page.set_input_files("#id_file", str(report))
    submit(page, "导入")
    assert "/infosec/scans/" in page.url, body(page)
    text = body(page)
    assert "未匹配的主机" in text and "192.168.9.9" in text, text
    assert "10.0.0.1" not in page.locator(".page-body table").last.inner_text()
    counts = grid(page.locator(".page-body .datagrid").nth(1))
    assert (counts["新增"], counts["扫描主机"], counts["未匹配主机"]) == ("3", "3", "1"), counts
    critical = Vulnerability.objects.get(system=system, cvss=9.8)
    assert critical.asset.code == "OA-DB" and critical.severity == 5

    # 5. Compute the risks; the register has rows; the heat map renders.
    page.goto(browser.base + f"/infosec/assessments/{a.pk}/risk/")
    submit(page, "计算风险")
    assert "已计算" in page.content(), body(page)
    n = Scenario.objects.filter(assessment=a).count()
    assert n > 0
    assert page.locator(".page-body table tbody tr").count() > 0
    page.goto(browser.base + f"/infosec/assessments/{a.pk}/risk/heatmap/")
    # ECharts draws it (SVG renderer, see infosec/heatmap.js) over the fallback table.
    page.locator("[data-risk-heatmap][_echarts_instance_] svg").first.wait_for()
    assert page.locator("#risk-heat-table").count() == 1
    page.screenshot(path=str(tmp_path / "heatmap.png"), full_page=True)
    assert errors == []
    page.goto(browser.base + f"/infosec/assessments/{a.pk}/")
    submit(page, "完成本步骤")  # 风险计算和分析
    a.refresh_from_db()
    assert a.current_step == "treatment", body(page)

    # 6. Accept the highest risk, with a reason: waits for approval.
    top = Scenario.objects.filter(assessment=a).order_by("-risk", "pk").first()
    assert top.level >= 4, top.level
    page.goto(browser.base + f"/infosec/scenarios/{top.pk}/decision/")
    page.select_option("#id_treatment", "accept")
    page.fill("#id_reason", "已部署应用防火墙，业务不可中断")
    submit(page, "保存")
    decision = RiskDecision.objects.get(scenario=top)
    assert decision.approval == ApprovalState.PENDING, body(page)
    page.goto(browser.base + f"/infosec/scenarios/{top.pk}/decision/")
    assert "待批准" in page.locator("#decision").inner_text()
    # The proposer gets no approve button, and a direct POST is refused with the reason.
    assert page.locator("#approval").count() == 0
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    refused = page.request.post(
        browser.base + f"/infosec/decisions/{decision.pk}/approve/",
        form={"csrfmiddlewaretoken": token, "note": "自己批准", "version": decision.version},
        headers={"Referer": page.url},
        max_redirects=0,
    )
    assert refused.status == 403
    assert "只有系统主管部门（或其上级）的分管领导、主要负责人可以批准接受风险" in refused.text()
    decision.refresh_from_db()
    assert decision.approval == ApprovalState.PENDING and decision.approved_by is None

    # 7. A 分管领导 of 人社局 approves it on the page.
    settled(
        do_create_user(
            org.superuser,
            username="rsj_leader",
            real_name="刘副局长",
            department=org.rsj,
            role="leader",
            password=PASSWORD,
        )[0]
    )
    leader = log_in(browser, "rsj_leader", errors)
    leader.goto(browser.base + f"/infosec/scenarios/{top.pk}/decision/")
    leader.fill("#approval textarea[name=note], #approval input[name=note]", "同意接受")
    leader.locator("#approval").get_by_role("button", name="批准", exact=True).click()
    leader.wait_for_load_state()
    decision.refresh_from_db()
    assert decision.approval == ApprovalState.APPROVED, body(leader)
    assert decision.expires_on is not None
    leader.goto(browser.base + f"/infosec/scenarios/{top.pk}/decision/")
    shown = leader.locator("#decision").inner_text()
    assert "已批准" in shown and "有效期至" in shown, shown
    assert f"{decision.expires_on.year}年" in shown
    leader.screenshot(path=str(tmp_path / "approved.png"), full_page=True)
    assert errors == []
