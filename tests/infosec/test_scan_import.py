"""Scanner reports imported into a system (篇2 2.3): Nessus, OpenVAS/GVM and CSV read,
matched to assets, graded by the scheme, keyed stably, re-imported without duplicates;
a re-scan closes what it no longer shows (with its 整改 tasks), reopens what comes back
and keeps what was marked 误报 or 接受风险."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fengping.audit.models import Event
from fengping.cli import main
from fengping.core.errors import ActionError
from fengping.core.models import ImportRecord
from fengping.infosec.actions.vulnerabilities import (
    do_import_scan,
    do_map_unmatched_host,
    do_set_vulnerability_status,
)
from fengping.infosec.models import (
    AssetAddress,
    RemediationTask,
    ScanImport,
    SystemAssessment,
    TaskStatus,
    Vulnerability,
    VulnStatus,
)

from .builders import add_assets, leader_of, make_system

DATA = Path(__file__).parent / "data"


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    if content is None:
        content = (DATA / name).read_bytes()
    return SimpleUploadedFile(name, content)


def nessus(hosts: dict[str, list[tuple[str, str, str]]]) -> bytes:
    """A small .nessus: host -> [(pluginID, port, cvss3)]."""
    parts = ['<?xml version="1.0" ?>\n<NessusClientData_v2><Report name="t">']
    for host, items in hosts.items():
        parts.append(
            f'<ReportHost name="{host}"><HostProperties><tag name="host-ip">{host}</tag>'
            "</HostProperties>"
        )
        for plugin, port, cvss in items:
            parts.append(
                f'<ReportItem port="{port}" svc_name="www" protocol="tcp" severity="2" '
                f'pluginID="{plugin}" pluginName="Plugin {plugin}">'
                f"<cvss3_base_score>{cvss}</cvss3_base_score><risk_factor>Medium</risk_factor>"
                f"<plugin_output>output {plugin} {host}</plugin_output></ReportItem>"
            )
        parts.append("</ReportHost>")
    parts.append("</Report></NessusClientData_v2>\n")
    return "".join(parts).encode()


@pytest.fixture
def system(org):
    s = make_system(org)
    add_assets(s, 4)
    return s


def test_nessus_report_is_matched_graded_and_keyed(org, system):
    scan = do_import_scan(org.rsj_handler, system, upload("scan.nessus"))
    assert scan.scanner == "nessus"
    c = scan.counts
    assert (c["created"], c["skipped_info"], c["merged"], c["unmatched_hosts"]) == (7, 2, 1, 1)
    assert scan.scope == ["10.0.0.1", "10.0.0.2", "192.168.9.9"]
    assert scan.unmatched == [
        {"host": "192.168.9.9", "ip": "192.168.9.9", "name": "printer-9.lan", "findings": 1}
    ]
    sweet = Vulnerability.objects.get(system=system, plugin_id="42873", host="10.0.0.1")
    assert sweet.asset.code == "OA-001"
    assert sweet.key == "nessus:42873:OA-001:443/tcp"
    assert (sweet.grade, sweet.severity) == ("high", 4)
    assert str(sweet.cvss) == "7.5" and sweet.cves == "CVE-2016-2183"
    assert sweet.service == "www" and sweet.port == 443 and sweet.protocol == "tcp"
    assert "DES-CBC3" not in sweet.description  # plugin output is not kept
    ms17 = Vulnerability.objects.get(system=system, plugin_id="97833")
    assert ms17.cves == "CVE-2017-0143,CVE-2017-0144,CVE-2017-0145"
    # no CVSS: the scanner's rating through scanner_ratings
    trace = Vulnerability.objects.get(system=system, plugin_id="11213")
    assert (trace.cvss, trace.grade, trace.severity) == (None, "medium", 3)
    php = Vulnerability.objects.get(system=system, plugin_id="58987")
    assert php.asset is None and php.host == "192.168.9.9"
    assert (php.grade, php.severity) == ("critical", 5)
    assert php.key == "nessus:58987:192.168.9.9:80/tcp"
    # one audit event for the whole import, with the counts; the core record is linked
    events = Event.objects.filter(action="infosec.scan.import")
    assert events.count() == 1 and events.get().after["counts"]["created"] == 7
    assert scan.import_record.sha256 == scan.sha256 and scan.import_record.status == "done"
    assert scan.size == len((DATA / "scan.nessus").read_bytes())


def test_reimport_creates_no_duplicates(org, system):
    do_import_scan(org.rsj_handler, system, upload("scan.nessus"))
    again = do_import_scan(org.rsj_handler, system, upload("scan.nessus"))
    assert again.counts["created"] == 0 and again.counts["unchanged"] == 7
    assert again.counts["closed"] == 0
    assert Vulnerability.objects.filter(system=system).count() == 7
    assert set(Vulnerability.objects.values_list("last_scan", flat=True)) == {again.pk}


def test_csv_export_of_the_same_scanner_gives_the_same_keys(org, system):
    do_import_scan(org.rsj_handler, system, upload("scan.nessus"))
    scan = do_import_scan(org.rsj_handler, system, upload("nessus_export.csv"))
    assert scan.scanner == "nessus"
    assert scan.counts["created"] == 0
    # 42873 and 97833 are the same findings; 57582 on the same host is no longer shown
    assert scan.counts["updated"] + scan.counts["unchanged"] == 2
    assert scan.counts["closed"] == 1
    assert Vulnerability.objects.get(plugin_id="57582").status == VulnStatus.CLOSED


def test_a_tenable_sc_csv_export_gives_the_nessus_keys(org, system):
    """Tenable.sc (and Nessus's console) export CSV with "Plugin", "Plugin Name", "IP
    Address" and both CVSS versions: the same keys as the .nessus file, CVSS v3 preferred,
    the blank rows such exports end with skipped."""
    do_import_scan(
        org.rsj_handler, system, upload("a.nessus", nessus({"10.0.0.1": [("35291", "443", "7.5")]}))
    )
    header = (
        "Plugin,Plugin Name,Family,Severity,IP Address,Protocol,Port,Exploit?,Repository,"
        "DNS Name,Plugin Text,Synopsis,Description,Solution,Risk Factor,"
        "CVSS V2 Base Score,CVSS V3 Base Score,CVE"
    )
    rows = [
        "35291,SSL Certificate Signed Using Weak Hashing Algorithm,General,Medium,10.0.0.1,"
        'TCP,443,Yes,Individual Scan,,"Plugin Output: \nweak hash",syn,desc,sol,Medium,5,7.5,'
        "CVE-2004-2761",
        ",,,,,,,,,,,,,,,,,",
    ]
    scan = do_import_scan(
        org.rsj_handler, system, upload("sc.csv", "\n".join([header, *rows, ""]).encode())
    )
    assert scan.scanner == "nessus"
    assert (scan.counts["created"], scan.counts["unchanged"] + scan.counts["updated"]) == (0, 1)
    v = Vulnerability.objects.get(plugin_id="35291")
    assert v.key == "nessus:35291:OA-001:443/tcp" and str(v.cvss) == "7.5"


def test_gvm_report(org, system):
    scan = do_import_scan(org.rsj_handler, system, upload("gvm_report.xml"))
    assert scan.scanner == "openvas"
    assert scan.counts["created"] == 4 and scan.counts["skipped_info"] == 1
    # hosts scanned without results are in the scope too
    assert "10.0.0.4" in scan.scope
    ssh = Vulnerability.objects.get(plugin_id="1.3.6.1.4.1.25623.1.0.810769")
    assert (ssh.grade, ssh.severity, ssh.cves) == ("critical", 5, "CVE-2016-10010")
    assert ssh.solution == "Upgrade to OpenSSH version 7.4 or later."
    assert ssh.key == "openvas:1.3.6.1.4.1.25623.1.0.810769:OA-001:22/tcp"
    tcp = Vulnerability.objects.get(title="TCP timestamps")
    assert tcp.port is None and tcp.protocol == "tcp" and tcp.asset.code == "OA-003"
    assert [u["host"] for u in scan.unmatched] == ["172.16.5.20"]


def test_plain_openvas_report_root(org, system):
    text = (DATA / "gvm_report.xml").read_text(encoding="utf-8")
    inner = text[text.index('<report id="9b1c4e1a-2f5c-4d6e-9a0e-3c1b2a4d5e6f">\n      <gmp>') :]
    inner = inner[: inner.rindex("</report>")]  # drop the wrapper's closing tags
    inner = inner[: inner.rindex("</report>") + len("</report>")]
    scan = do_import_scan(org.rsj_handler, system, upload("openvas.xml", inner.encode()))
    assert scan.scanner == "openvas" and scan.counts["created"] == 4


def test_generic_csv_with_chinese_headers(org, system):
    scan = do_import_scan(org.rsj_handler, system, upload("generic.csv"))
    assert scan.scanner == "csv"
    c = scan.counts
    assert (c["created"], c["merged"], c["skipped_info"]) == (3, 1, 1)
    tomcat = Vulnerability.objects.get(plugin_id="WEB-017")
    assert (tomcat.grade, tomcat.severity, tomcat.cves) == ("high", 4, "CVE-2020-1938")
    assert tomcat.asset.code == "OA-002"
    assert Vulnerability.objects.get(plugin_id="DB-001").grade == "critical"
    assert [u["host"] for u in scan.unmatched] == ["10.0.0.9"]


def test_rescan_closes_reopens_and_keeps(org, system):
    first = nessus(
        {
            "10.0.0.1": [("1001", "443", "7.5"), ("1002", "80", "5.0"), ("1003", "22", "9.1")],
            "10.0.0.2": [("1001", "443", "7.5")],
        }
    )
    do_import_scan(org.rsj_handler, system, upload("a.nessus", first))
    fixed = Vulnerability.objects.get(plugin_id="1002")
    task = RemediationTask.objects.create(
        system=system,
        vulnerability=fixed,
        title="关闭 80 端口",
        kind="technical",
        deadline=dt.date(2026, 12, 31),
        created_by=org.rsj_handler,
    )
    fp = Vulnerability.objects.get(plugin_id="1003")
    do_set_vulnerability_status(leader_of(org), fp, "false_positive", "版本号误判")
    # the re-scan covers 10.0.0.1 only: 1002 is gone, 1003 is still reported
    second = nessus({"10.0.0.1": [("1001", "443", "7.5"), ("1003", "22", "9.1")]})
    scan = do_import_scan(org.rsj_handler, system, upload("b.nessus", second))
    assert scan.counts["closed"] == 1 and scan.counts["kept"] == 1
    assert scan.counts["unchanged"] == 1 and scan.counts["tasks_closed"] == 1
    fixed.refresh_from_db()
    assert fixed.status == VulnStatus.CLOSED and fixed.closed_by_scan == scan
    assert fixed.closed_at is not None
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED_BY_SCAN and task.closed_by_scan == scan
    assert Vulnerability.objects.get(plugin_id="1003").status == VulnStatus.FALSE_POSITIVE
    # 10.0.0.2 was not scanned: its finding stays open
    other = Vulnerability.objects.get(plugin_id="1001", host="10.0.0.2")
    assert other.status == VulnStatus.OPEN
    # it comes back, graded higher: reopened
    third = nessus({"10.0.0.1": [("1001", "443", "7.5"), ("1002", "80", "7.2")]})
    scan = do_import_scan(org.rsj_handler, system, upload("c.nessus", third))
    assert scan.counts["reopened"] == 1
    fixed.refresh_from_db()
    assert fixed.status == VulnStatus.OPEN and fixed.reopened_count == 1
    assert fixed.closed_at is None and fixed.grade == "high"
    # 1003 is not in this report: a 误报 is not closed either
    assert Vulnerability.objects.get(plugin_id="1003").status == VulnStatus.FALSE_POSITIVE


def test_rescan_makes_open_assessments_stale(org, system):
    from .builders import start

    a = start(org, system)
    past = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    SystemAssessment.objects.filter(pk=a.pk).update(
        inputs_changed_at=past, computed_at=past + dt.timedelta(hours=1)
    )
    assert SystemAssessment.objects.get(pk=a.pk).risk_current()
    do_import_scan(org.rsj_handler, system, upload("scan.nessus"))
    a.refresh_from_db()
    assert not a.risk_current()


def test_map_unmatched_host(org, system):
    scan = do_import_scan(org.rsj_handler, system, upload("scan.nessus"))
    asset = system.assets.get(code="OA-004")
    n = do_map_unmatched_host(org.rsj_handler, scan, "192.168.9.9", asset)
    assert n == 1
    php = Vulnerability.objects.get(plugin_id="58987")
    assert php.asset == asset and php.key == "nessus:58987:OA-004:80/tcp"
    assert AssetAddress.objects.filter(system=system, value="192.168.9.9", asset=asset).exists()
    asset.refresh_from_db()
    assert "192.168.9.9" in asset.ips.split()
    scan.refresh_from_db()
    assert scan.unmatched[0]["asset"] == "OA-004"
    with pytest.raises(ActionError, match="已对应"):
        do_map_unmatched_host(org.rsj_handler, scan, "192.168.9.9", asset)
    # the next scan matches the host and finds the same finding
    again = do_import_scan(org.rsj_handler, system, upload("scan.nessus"))
    assert again.counts["created"] == 0 and again.counts["unmatched_hosts"] == 0


def test_map_refuses_an_asset_of_another_system(org, system):
    scan = do_import_scan(org.rsj_handler, system, upload("scan.nessus"))
    other = make_system(org, "HR", name="人事系统")
    foreign = add_assets(other, 1)[1]
    with pytest.raises(ActionError, match="请选择该系统的资产"):
        do_map_unmatched_host(org.rsj_handler, scan, "192.168.9.9", foreign)
    with pytest.raises(ActionError, match="没有未匹配的主机"):
        do_map_unmatched_host(org.rsj_handler, scan, "10.0.0.1", system.assets.first())


def test_only_unknown_hosts_imports_all_unmatched(org, system):
    data = nessus({"172.16.0.1": [("1", "80", "5.0")], "172.16.0.2": [("2", "80", "5.0")]})
    scan = do_import_scan(org.rsj_handler, system, upload("x.nessus", data))
    assert scan.counts["created"] == 2 and scan.counts["unmatched_hosts"] == 2
    assert not Vulnerability.objects.filter(asset__isnull=False).exists()
    assert [u["host"] for u in scan.unmatched] == ["172.16.0.1", "172.16.0.2"]


def test_the_command_imports_and_prints_the_counts(org, system, capsys):
    path = str(DATA / "scan.nessus")
    code = main(["infosec", "import-scan", "--system", "OA", "--user", "rsj_handler", path])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "新增 7" in out.out and "跳过信息项 2" in out.out and "未匹配主机 1 个" in out.out
    code = main(["infosec", "import-scan", "--system", "OA", "--user", "rsj_handler", path])
    assert code == 0 and "新增 0，未变 7" in capsys.readouterr().out
    assert ScanImport.objects.count() == 2 and ImportRecord.objects.count() == 2
    bad = DATA / "generic.csv"
    code = main(["infosec", "import-scan", "--system", "OA", "--user", "supervisor", str(bad)])
    assert code == 1
    assert Vulnerability.objects.count() == 7


def test_the_command_refuses_a_bad_file_naming_the_place(org, system, tmp_path, capsys):
    bad = tmp_path / "bad.nessus"
    bad.write_bytes(nessus({"10.0.0.1": [("1", "443", "11")]}))
    code = main(["infosec", "import-scan", "--system", "OA", "--user", "rsj_handler", str(bad)])
    assert code == 1
    err = capsys.readouterr().err
    assert "CVSS 评分“11”无效" in err and "10.0.0.1" in err and "插件 1" in err
    assert not Vulnerability.objects.exists() and not ScanImport.objects.exists()


def test_an_asset_registered_later_adopts_the_findings_of_its_host(org, system):
    data = nessus({"172.16.0.1": [("1", "80", "5.0"), ("2", "81", "6.0")]})
    do_import_scan(org.rsj_handler, system, upload("x.nessus", data))
    asset = add_assets(make_system(org, "TMP"), 1)[1]  # an asset row to copy from
    asset.pk, asset.system, asset.code = None, system, "OA-NEW"
    asset.save()
    AssetAddress.objects.create(system=system, asset=asset, kind="ip", value="172.16.0.1")
    data = nessus({"172.16.0.1": [("1", "80", "5.0")]})
    scan = do_import_scan(org.rsj_handler, system, upload("y.nessus", data))
    assert scan.counts["created"] == 0 and scan.counts["adopted"] == 1
    assert scan.counts["closed"] == 1  # plugin 2 is no longer shown on that host
    one = Vulnerability.objects.get(plugin_id="1")
    assert one.asset == asset and one.key == "nessus:1:OA-NEW:80/tcp"
    assert Vulnerability.objects.get(plugin_id="2").status == VulnStatus.CLOSED
