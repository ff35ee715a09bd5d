"""Vulnerabilities and scan imports of a system."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

READ, CHANGE = False, True

REPORT = b"""<?xml version="1.0" ?>
<NessusClientData_v2><Report name="scope">
<ReportHost name="10.0.0.1"><HostProperties><tag name="host-ip">10.0.0.1</tag></HostProperties>
<ReportItem port="443" svc_name="www" protocol="tcp" severity="2" pluginID="42873"
 pluginName="SSL Medium Strength Cipher Suites Supported"><cvss3_base_score>7.5</cvss3_base_score>
</ReportItem></ReportHost>
<ReportHost name="192.168.9.9"><HostProperties><tag name="host-ip">192.168.9.9</tag></HostProperties>
<ReportItem port="80" svc_name="www" protocol="tcp" severity="4" pluginID="58987"
 pluginName="PHP Unsupported Version Detection"><cvss3_base_score>10.0</cvss3_base_score>
</ReportItem></ReportHost>
</Report></NessusClientData_v2>
"""


def objects(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    from fengping.infosec.actions.vulnerabilities import do_import_scan
    from fengping.infosec.models import System

    system = System.objects.get(pk=base["system"])
    scan = do_import_scan(org.rsj_handler, system, SimpleUploadedFile("scope.nessus", REPORT))
    vulnerability = system.vulnerabilities.order_by("id").first()
    return {"vulnerability": vulnerability.pk, "scan_import": scan.pk}


PAGES = {
    "system": {
        "infosec:vulns": READ,
        "infosec:vulns_export": READ,
        "infosec:vuln_audit_add": CHANGE,
        "infosec:scans": READ,
        "infosec:scans_export": READ,
        "infosec:scan_upload": CHANGE,
    },
    "vulnerability": {"infosec:vuln": READ, "infosec:vuln_status": CHANGE},
    "scan_import": {"infosec:scan": READ, "infosec:scan_map": CHANGE},
}
READERS = {"vulnerability": ("supervisor",), "scan_import": ("supervisor",)}
API_PARAMETERS = {
    "system_id": "system",
    "vulnerability_id": "vulnerability",
    "scan_id": "scan_import",
}
API_OPERATIONS: dict = {}
