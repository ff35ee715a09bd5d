"""Hostile and broken scanner reports: every one is refused with a Chinese message naming
the place, and nothing at all is imported (no vulnerability, no scan, no record)."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from fengping.core.errors import ActionError
from fengping.core.models import ImportRecord
from fengping.infosec.actions.vulnerabilities import do_import_scan
from fengping.infosec.models import ScanImport, Vulnerability

from .builders import add_assets, make_system
from .test_scan_import import DATA, nessus, upload

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<NessusClientData_v2><Report><ReportHost name="&lol3;"/></Report></NessusClientData_v2>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<NessusClientData_v2><Report><ReportHost name="10.0.0.1"><ReportItem port="0" protocol="tcp"
 severity="3" pluginID="1" pluginName="&xxe;"/></ReportHost></Report></NessusClientData_v2>"""
DTD_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE NessusClientData_v2 SYSTEM "http://evil.example/x.dtd">
<NessusClientData_v2><Report/></NessusClientData_v2>"""
MALFORMED = b"""<?xml version="1.0"?>
<NessusClientData_v2><Report><ReportHost name="10.0.0.1">
<ReportItem port="0" protocol="tcp" severity="3" pluginID="1" pluginName="x">
</ReportHost></Report></NessusClientData_v2>"""


@pytest.fixture
def system(org):
    s = make_system(org)
    add_assets(s, 2)
    return s


def refused(org, system, name, content, *fragments):
    with pytest.raises(ActionError) as exc:
        do_import_scan(org.rsj_handler, system, SimpleUploadedFile(name, content))
    for fragment in fragments:
        assert fragment in exc.value.message, exc.value.message
    assert not Vulnerability.objects.exists()
    assert not ScanImport.objects.exists() and not ImportRecord.objects.exists()
    return exc.value.message


def test_malformed_xml_names_the_line(org, system):
    refused(org, system, "m.nessus", MALFORMED, "XML 格式错误", "第 4 行")


def test_truncated_file(org, system):
    data = (DATA / "scan.nessus").read_bytes()
    refused(org, system, "t.nessus", data[: len(data) // 2], "XML 格式错误", "不完整")


def test_external_entities_are_refused(org, system):
    refused(org, system, "x.nessus", XXE, "DTD 或实体引用")


def test_entity_expansion_is_refused(org, system):
    refused(org, system, "l.nessus", LAUGHS, "DTD 或实体引用")


def test_a_dtd_is_refused(org, system):
    refused(org, system, "d.nessus", DTD_ONLY, "DTD 或实体引用")


def test_a_png_named_nessus(org, system):
    refused(org, system, "scan.nessus", PNG, "文件内容与扩展名 .nessus 不符")


def test_a_csv_named_nessus(org, system):
    data = (DATA / "generic.csv").read_bytes()
    refused(org, system, "scan.nessus", data, "文件内容与扩展名 .nessus 不符")


def test_a_gvm_report_named_nessus(org, system):
    data = (DATA / "gvm_report.xml").read_bytes()
    refused(org, system, "scan.nessus", data, "不是 Nessus 报告", "get_reports_response")


def test_xml_named_csv_and_unknown_extension(org, system):
    refused(org, system, "scan.csv", (DATA / "scan.nessus").read_bytes(), "内容是 XML")
    refused(org, system, "scan.txt", b"host,title\n", "不接受该类型的文件")


def test_empty_and_hostless(org, system):
    refused(org, system, "e.nessus", b"", "文件是空的")
    refused(
        org,
        system,
        "h.nessus",
        b"<NessusClientData_v2><Report/></NessusClientData_v2>",
        "没有任何主机",
    )
    refused(org, system, "o.xml", b"<foo/>", "不是 Nessus 或 OpenVAS/GVM 报告")


@pytest.mark.parametrize("cvss", ["11", "-1", "abc"])
def test_a_bad_cvss_names_host_plugin_and_line(org, system, cvss):
    data = nessus({"10.0.0.2": [("2001", "443", "5.0"), ("2002", "80", cvss)]})
    message = refused(org, system, "c.nessus", data, f"CVSS 评分“{cvss}”无效", "10.0.0.2")
    assert "插件 2002" in message and "第 2 行" in message


def test_a_bad_cvss_in_gvm_and_csv(org, system):
    text = (DATA / "gvm_report.xml").read_text(encoding="utf-8")
    bad = text.replace("<severity>9.8</severity>", "<severity>12.5</severity>")
    refused(org, system, "g.xml", bad.encode(), "CVSS 评分“12.5”无效", "10.0.0.1", "810769")
    csv = "主机,漏洞名称,CVSS,插件ID\n10.0.0.1,弱口令,9.0,A\n10.0.0.2,注入,abc,B\n"
    refused(org, system, "c.csv", csv.encode(), "CSV 第 3 行", "10.0.0.2", "插件 B", "“abc”")


def test_csv_without_needed_columns_and_bad_ports(org, system):
    refused(org, system, "c.csv", "名称,CVSS\nx,5\n".encode(), "缺少“主机”或“IP”列")
    refused(org, system, "c.csv", b"ip,title\n10.0.0.1,x\n", "缺少“CVSS”或“风险等级”列")
    csv = "ip,title,cvss,port\n10.0.0.1,x,5,70000\n"
    refused(org, system, "c.csv", csv.encode(), "端口“70000”无效", "CSV 第 2 行")
    csv = "ip,title,severity\n10.0.0.1,x,\n"
    refused(org, system, "c.csv", csv.encode(), "既没有 CVSS 评分也没有风险等级")
    csv = "ip,title,severity\n10.0.0.1,x,catastrophic\n"
    refused(org, system, "c.csv", csv.encode(), "catastrophic")


def test_gbk_csv_is_read(org, system):
    csv = "主机,漏洞名称,风险等级\n10.0.0.1,弱口令,高危\n".encode("gbk")
    scan = do_import_scan(org.rsj_handler, system, SimpleUploadedFile("g.csv", csv))
    assert scan.counts["created"] == 1


def test_formula_cells_are_stored_as_text(org, system):
    scan = do_import_scan(org.rsj_handler, system, upload("formula.csv"))
    assert scan.counts["created"] == 1
    v = Vulnerability.objects.get()
    assert v.title == "=cmd|' /C calc'!A0"
    assert v.description.startswith("@SUM(1+1)")


def test_a_reader_and_an_outsider_cannot_import(org, system):
    from django.core.exceptions import PermissionDenied

    for user in (org.supervisor, org.zjj_handler):
        with pytest.raises(PermissionDenied):
            do_import_scan(user, system, upload("scan.nessus"))
    assert not Vulnerability.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a shared server")
def test_two_imports_at_once_create_no_duplicates(org, system):
    data = (DATA / "scan.nessus").read_bytes()
    errors: list[BaseException] = []

    def run() -> None:
        from django.db import connection as conn

        try:
            do_import_scan(org.rsj_handler, system, SimpleUploadedFile("s.nessus", data))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Vulnerability.objects.filter(system=system).count() == 7
    counts = sorted(s.counts["created"] for s in ScanImport.objects.all())
    assert counts == [0, 7]


def test_a_report_over_the_limit_is_refused(org, system, settings):
    settings.FENGPING_SCAN_MAX_FINDINGS = 2
    data = nessus({"10.0.0.1": [("1", "80", "5.0"), ("2", "81", "5.0"), ("3", "82", "5.0")]})
    refused(org, system, "big.nessus", data, "超过 2 条结果", "插件 3")
