"""A scanner's findings as CSV: the generic columns (host/ip, hostname, port, protocol,
plugin_id, title, cvss, severity/risk, cve, description, solution; Chinese headers such as
主机/IP/端口/插件ID/漏洞名称/CVSS/CVE/描述/解决方案 too), and the CSV exports of Nessus
(Plugin ID, CVE, CVSS v2.0/v3.0 Base Score, Risk, Host, Protocol, Port, Name, …; one row per
CVE) and of GVM (IP, Hostname, Port, Port Protocol, CVSS, Severity, NVT Name, NVT OID,
CVEs, …). A Nessus or GVM export gets that scanner's keys, so its findings are the same
findings as in the scanner's XML report; other CSV files are the scanner "通用 CSV"
(unless a `scanner` column says nessus/openvas). Cells are kept as text, never evaluated."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from fengping import tabular

from ..models import Scanner
from .common import Report, ScanError, cves_in, parse_cvss, parse_port, rating_of

# field -> accepted headers (lower case, spaces collapsed), preferred first
HEADERS: dict[str, tuple[str, ...]] = {
    "host": (
        "host",
        "ip",
        "ip address",
        "host ip",
        "主机",
        "ip地址",
        "ip 地址",
        "主机地址",
        "主机ip",
        "资产ip",
    ),
    "hostname": ("hostname", "host name", "fqdn", "dns name", "主机名", "主机名称", "域名"),
    "port": ("port", "端口"),
    "protocol": ("protocol", "port protocol", "协议"),
    "plugin_id": (
        "plugin_id",
        "plugin id",
        "pluginid",
        "plugin",  # Tenable.sc (SecurityCenter) exports
        "nvt oid",
        "oid",
        "插件id",
        "插件 id",
        "插件编号",
        "漏洞编号",
    ),
    "title": (
        "title",
        "name",
        "plugin name",
        "nvt name",
        "vulnerability",
        "漏洞名称",
        "名称",
        "漏洞",
    ),
    "cvss": (
        "cvss",
        "cvss v3.0 base score",
        "cvss3",
        "cvss v3 base score",
        "cvss base score",
        "cvss v2.0 base score",
        "cvss评分",
        "cvss 评分",
        "cvss分值",
    ),
    "severity": (
        "severity",
        "risk",
        "risk factor",
        "threat",
        "风险等级",
        "危险等级",
        "严重程度",
        "等级",
        "风险",
    ),
    "cve": ("cve", "cves", "cve编号", "cve 编号"),
    "description": ("description", "summary", "synopsis", "描述", "漏洞描述", "详细描述"),
    "solution": ("solution", "解决方案", "修复建议", "解决办法", "整改建议"),
    "service": ("service", "svc_name", "服务"),
    "scanner": ("scanner", "扫描器"),
}
SCANNERS = {
    "nessus": Scanner.NESSUS,
    "openvas": Scanner.OPENVAS,
    "gvm": Scanner.OPENVAS,
    "csv": Scanner.CSV,
    "通用": Scanner.CSV,
}


def _norm(header: str) -> str:
    return " ".join(str(header or "").replace("\ufeff", "").strip().lower().split())


def columns(header: list[str]) -> dict[str, int]:
    names = [_norm(h) for h in header]
    found: dict[str, int] = {}
    for field, accepted in HEADERS.items():
        for candidate in accepted:
            if candidate in names:
                found[field] = names.index(candidate)
                break
    return found


def scanner_of(header: list[str]) -> Any:
    names = set(_norm(h) for h in header)
    if {"plugin id", "risk", "host"} <= names:
        return Scanner.NESSUS
    if {"plugin", "plugin name", "ip address"} <= names:  # Tenable.sc, Nessus's console
        return Scanner.NESSUS
    if {"nvt oid", "ip"} <= names:
        return Scanner.OPENVAS
    return Scanner.CSV


def read_text(text: str, report: Report) -> None:
    rows = tabular.csv_rows(text)
    try:
        first = next(rows, None)
        if first is None:
            raise ScanError(_("CSV 文件是空的"))
        header = list(first[1])
        cols = columns(header)
        if "host" not in cols and "hostname" not in cols:
            raise ScanError(_("CSV 第 1 行：缺少“主机”或“IP”列（host/ip）"))
        if "title" not in cols and "plugin_id" not in cols:
            raise ScanError(_("CSV 第 1 行：缺少“漏洞名称”或“插件ID”列（title/plugin_id）"))
        if "cvss" not in cols and "severity" not in cols:
            raise ScanError(_("CSV 第 1 行：缺少“CVSS”或“风险等级”列（cvss/severity）"))
        fixed = scanner_of(header)
        seen_scanner: Any = ""
        for number, cells in rows:

            def cell(field: str, cells=cells) -> str:
                index = cols.get(field)
                if index is None or index >= len(cells):
                    return ""
                return str(cells[index] or "").strip()

            if not any(str(c or "").strip() for c in cells):
                continue
            row_scanner = fixed
            if fixed == Scanner.CSV and cell("scanner"):
                row_scanner = SCANNERS.get(cell("scanner").lower(), "")
                if not row_scanner:
                    raise ScanError(
                        _("CSV 第 %(n)s 行：扫描器“%(v)s”无法识别（nessus 或 openvas）")
                        % {"n": number, "v": cell("scanner")[:30]}
                    )
            if seen_scanner and row_scanner != seen_scanner:
                raise ScanError(
                    _("CSV 第 %(n)s 行：一个文件只能是同一扫描器的结果") % {"n": number}
                )
            seen_scanner = row_scanner
            address = cell("host") or cell("hostname")
            plugin = cell("plugin_id")
            where = _("CSV 第 %(n)s 行（主机 %(host)s，插件 %(plugin)s）") % {
                "n": number,
                "host": address or "—",
                "plugin": plugin or "—",
            }
            if len(plugin) > 80:
                raise ScanError(_("%(where)s：插件编号过长") % {"where": where})
            port, protocol = parse_port(cell("port"), where)
            host = report.host(cell("host"), cell("hostname"))
            report.add(
                host=host,
                where=where,
                plugin_id=plugin,
                title=cell("title"),
                port=port,
                protocol=cell("protocol") or protocol,
                service=cell("service"),
                cvss=parse_cvss(cell("cvss"), where),
                rating=rating_of(cell("severity")),
                cves=cves_in(cell("cve")),
                description=cell("description"),
                solution=cell("solution"),
                line=number,
            )
        if seen_scanner:
            report.scanner = seen_scanner
    except tabular.ReadError as exc:
        raise ScanError(_("CSV 格式错误：%(e)s") % {"e": exc.params.get("detail", exc)}) from None
