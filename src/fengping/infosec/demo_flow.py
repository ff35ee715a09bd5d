"""An assessment of the demo 协同办公系统 (OA) walked up to 风险决策, through the actions, for
`fengping demo` (after `infosec.demo.load_demo`):

threats seeded from the catalogue and rated; the 2.3 checklists and the 3.1–3.4 measures
answered item by item; a small Nessus report of the OA servers imported; the risk
computed; low risks accepted in bulk, the others reduced, one high risk accepted and
waiting for 刘遂弦 (分管领导) to approve; one recommendation linked to the risks it
addresses; 整改 tasks created, one of them already done.

Idempotent: nothing happens when OA already has an assessment."""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape, quoteattr

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from fengping.org.models import User

from .actions import assessments as steps
from .actions import checklists, incidents, risk, tasks, threats, treatment, vulnerabilities
from .models import (
    Catalogue,
    CheckResult,
    MeasureKind,
    Scenario,
    System,
    TaskStatus,
    Treatment,
)

USERNAME = "chenjing"

# (host ip, plugin id, name, port, cvss, cve)
FINDINGS = [
    ("10.10.1.20", "57582", "SSL Self-Signed Certificate", 443, "6.5", ""),
    (
        "10.10.1.20",
        "142960",
        "Apache HTTP Server < 2.4.46 Multiple Vulnerabilities",
        80,
        "7.5",
        "CVE-2020-11984",
    ),
    (
        "10.10.1.30",
        "97833",
        "MS17-010: Security Update for Microsoft Windows SMB Server",
        445,
        "9.8",
        "CVE-2017-0143",
    ),
    (
        "10.10.1.30",
        "10114",
        "ICMP Timestamp Request Remote Date Disclosure",
        0,
        "2.1",
        "CVE-1999-0524",
    ),
    (
        "10.10.1.40",
        "42873",
        "SSL Medium Strength Cipher Suites Supported (SWEET32)",
        50000,
        "7.5",
        "CVE-2016-2183",
    ),
    ("10.10.1.40", "11213", "HTTP TRACE / TRACK Methods Allowed", 80, "5.3", "CVE-2003-1567"),
]


def _nessus() -> bytes:
    hosts: dict[str, list[str]] = {}
    for ip, plugin, name, port, cvss, cve in FINDINGS:
        severity = (
            4 if float(cvss) >= 9 else 3 if float(cvss) >= 7 else 2 if float(cvss) >= 4 else 1
        )
        item = (
            f'<ReportItem port="{port}" svc_name="www" protocol="tcp" severity="{severity}" '
            f'pluginID="{plugin}" pluginName={quoteattr(name)} pluginFamily="General">'
            f"<cvss3_base_score>{cvss}</cvss3_base_score>"
            + (f"<cve>{cve}</cve>" if cve else "")
            + f"<description>{escape(name)}</description><solution>升级或调整配置</solution></ReportItem>"
        )
        hosts.setdefault(ip, []).append(item)
    body = "".join(
        f'<ReportHost name="{ip}"><HostProperties><tag name="host-ip">{ip}</tag></HostProperties>'
        + "".join(items)
        + "</ReportHost>"
        for ip, items in hosts.items()
    )
    return (
        '<?xml version="1.0" ?><NessusClientData_v2><Report name="OA 季度扫描">'
        + body
        + "</Report></NessusClientData_v2>"
    ).encode()


def _answer_checklists(user: User, a) -> None:  # type: ignore[no-untyped-def]
    info = a.scheme.infosec
    found = {"management.5": 3, "operations.3": 3, "technical.2": 4}
    for checklist in info.vulnerabilities.checklists:
        for n, code in enumerate(checklist.item_codes()):
            method = checklist.methods[0] if checklist.methods else ""
            if code in found:
                checklists.do_answer_item(
                    user,
                    a,
                    catalogue=Catalogue.VULNERABILITY,
                    item=code,
                    result=CheckResult.FOUND,
                    method=method,
                    severity=found[code],
                    evidence=f"{checklist.items[n]}：访谈和抽查发现问题，记录见评估底稿",
                )
            else:
                checklists.do_answer_item(
                    user,
                    a,
                    catalogue=Catalogue.VULNERABILITY,
                    item=code,
                    result=CheckResult.NOT_FOUND,
                    method=method,
                    evidence="抽查未发现问题",
                )
    for checklist in info.measures.checklists:
        for n, code in enumerate(checklist.item_codes()):
            kind = checklist.value_kind(n)
            value = {"date": "2026-11-20", "count": "2"}.get(kind, "")
            if kind == "text":
                value = "已检查"
            method = checklist.methods[0] if checklist.methods else ""
            partial = code in ("technical.11", "emergency.4")
            checklists.do_answer_item(
                user,
                a,
                catalogue=Catalogue.MEASURE,
                item=code,
                result=CheckResult.PARTIAL if partial else CheckResult.EFFECTIVE,
                method=method,
                value=value,
                measure_kind=(
                    MeasureKind.PROTECTIVE
                    if checklist.code in ("physical", "emergency")
                    else MeasureKind.PREVENTIVE
                ),
                covers_threats=["network_attack"] if checklist.code == "technical" else [],
                evidence=f"{checklist.items[n]}：现场查看并核对记录",
            )


@transaction.atomic
def load_demo() -> int:
    """Returns 1 when it built the assessment, 0 when OA already has one (or is missing)."""
    system = System.objects.filter(code="OA").first()
    user = User.objects.filter(username=USERNAME).first()
    if system is None or user is None or system.assessments.exists():
        return 0
    today = timezone.localdate()
    for days, title, threat_class in (
        (40, "Web 服务器遭受 SQL 注入尝试，WAF 拦截", "network_attack"),
        (150, "办公终端感染勒索病毒，已隔离", "malicious_code"),
        (300, "机房 UPS 故障导致短时停机", "hw_sw_failure"),
    ):
        incidents.do_record_incident(
            user,
            system,
            occurred_on=today - dt.timedelta(days=days),
            title=title,
            threat_class=threat_class,
            description="详见事件处置报告",
        )
    a = steps.do_start_assessment(user, system, title=f"{system.name}2026年度信息安全风险评估")
    a = steps.do_complete_step(user, a, "assets", "资产清单已核对")
    for t in threats.do_seed_threats_from_catalogue(user, a):
        if t.threat_class == "network_attack":
            threats.do_update_threat(
                user,
                t,
                version=t.version,
                frequency=5,
                threat_class=t.threat_class,
                name=t.name,
                origin=t.origin,
                threat_actor="境外黑客组织、网络犯罪团伙",
                motive="窃取公文、破坏办公",
                timing="重要会议和节假日前后",
                evidence="互联网出口 IDS 每周多次告警，近一年发生过注入攻击（见安全事件）",
            )
    a = steps.do_complete_step(user, a, "threats", "按威胁分类逐类赋值")
    _answer_checklists(user, a)
    vulnerabilities.do_import_scan(
        user, system, SimpleUploadedFile("oa-2026q4.nessus", _nessus(), "application/xml")
    )
    a = steps.do_complete_step(user, a, "vulnerabilities", "检查表和漏洞扫描已完成")
    a = steps.do_complete_step(user, a, "measures", "现有安全措施已逐项评估")
    risk.do_compute_risk(user, a)
    a = steps.do_complete_step(user, a, "risk", "风险清单已计算")
    scenarios = Scenario.objects.filter(assessment=a)
    treatment.do_decide_bulk(
        user, a, Treatment.ACCEPT, "风险低，持续监视", filters={"levels": [1, 2], "undecided": True}
    )
    high = scenarios.filter(level__gte=4).order_by("-risk", "id").first()
    if high is not None:
        treatment.do_decide(
            user, high, Treatment.ACCEPT, "补丁需停机，年底统一窗口前临时接受并加强监测"
        )
    if scenarios.filter(decision__isnull=True).exists():
        treatment.do_decide_bulk(
            user,
            a,
            Treatment.REDUCE,
            "纳入本年度安全整改",
            filters={"levels": [3, 4, 5], "undecided": True},
        )
    rec = treatment.do_save_recommendation(
        user,
        a,
        title="及时安装安全补丁并关闭不必要的服务",
        kind="technical",
        text="建立补丁管理流程，每月评估并安装操作系统和中间件补丁。",
        effect=MeasureKind.PREVENTIVE,
    )
    treatment.do_link_recommendation(user, rec, filters={"levels": [3, 4, 5]})
    created = tasks.do_create_tasks_from_risks(user, a, owner=user)
    first = next((t for t in created if t.status == TaskStatus.OPEN), None)
    if first is not None:
        tasks.do_close_task(user, first, "已安装补丁并复测，见整改报告")
    return 1
