"""OpenVAS / GVM XML report: `<report>` (or the `<get_reports_response><report><report>`
wrapper) … `<results><result>` with `<host>` (text: the IP; child `<hostname>`), `<port>`
("443/tcp", "general/tcp"), `<nvt oid=…>` (`<name>`, `<cvss_base>`, `<tags>` with
`summary=…|solution=…`, `<solution>`, `<refs><ref type="cve" id=…/>`), `<severity>` and
`<threat>` (High/Medium/Low/Log). The report's own `<host><ip>` elements name hosts scanned
without results, which belong to the scope as well. The result's `<description>` is the
scanner's output for that host (volatile) and is not kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from .common import INFORMATIONAL, Report, ScanError, cves_in, parse_cvss, parse_port, rating_of

RESULT_FIELDS = frozenset({"name", "port", "severity", "threat", "host"})
NVT_FIELDS = frozenset({"name", "cvss_base", "tags", "solution", "cve"})


def tags_of(raw: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (raw or "").split("|"):
        key, sep, value = part.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def read(events: Iterator[tuple[str, str, Any, int]], report: Report) -> None:
    stack: list[str] = []
    result: dict[str, Any] | None = None
    result_depth = 0
    saw_report = False
    report_host_ip = False
    for event, tag, value, line in events:
        if event == "start":
            stack.append(tag)
            if tag == "report":
                saw_report = True
            if result is None and tag == "result" and len(stack) >= 2 and stack[-2] == "results":
                result = {"line": line, "cves": [], "oid": ""}
                result_depth = len(stack)
            elif result is not None:
                rel = stack[result_depth:]
                if rel == ["nvt"]:
                    result["oid"] = str(value.get("oid", "")).strip()
                elif (
                    rel[-1:] == ["ref"]
                    and "refs" in rel
                    and str(value.get("type", "")).lower() == "cve"
                ):
                    result["cves"].append(str(value.get("id", "")))
            elif tag == "host" and len(stack) >= 2 and stack[-2] == "report":
                report_host_ip = True
            continue
        # end
        if result is not None:
            rel = stack[result_depth:]
            if not rel:  # the result itself
                _finish(report, result)
                result = None
            elif len(rel) == 1 and rel[0] in RESULT_FIELDS:
                result[rel[0]] = value
            elif len(rel) == 2 and rel[0] == "host" and rel[1] == "hostname":
                result["hostname"] = value
            elif len(rel) == 2 and rel[0] == "nvt" and rel[1] in NVT_FIELDS:
                result["nvt_" + rel[1]] = value
        elif report_host_ip and tag == "ip" and len(stack) >= 2 and stack[-2] == "host":
            report.host(value, "")
        elif tag == "host" and report_host_ip and len(stack) >= 2 and stack[-2] == "report":
            report_host_ip = False
        stack.pop()
    if not saw_report:
        raise ScanError(_("不是 OpenVAS/GVM 扫描报告：没有 <report> 元素"))


def _finish(report: Report, result: dict[str, Any]) -> None:
    line = result["line"]
    ip = (result.get("host") or "").strip()
    oid = result.get("oid", "")
    where = _("第 %(line)s 行（主机 %(host)s，NVT %(plugin)s）") % {
        "line": line,
        "host": ip or "—",
        "plugin": oid or "—",
    }
    host = report.host(ip, result.get("hostname", "") or "")
    severity = (result.get("severity") or "").strip()
    rating = rating_of(result.get("threat"))
    if severity.startswith("-") and rating in INFORMATIONAL:  # GVM: -1 false positive, -3 error
        severity = ""
    cvss = parse_cvss(severity, where)
    if cvss is None:
        cvss = parse_cvss(result.get("nvt_cvss_base"), where)
    tags = tags_of(result.get("nvt_tags", ""))
    cves = [c for c in result["cves"] if c]
    if not cves:
        cves = cves_in(result.get("nvt_cve", ""))
    description = tags.get("summary", "")
    if tags.get("insight"):
        description = f"{description}\n\n{tags['insight']}".strip()
    port, protocol = parse_port(result.get("port"), where)
    report.add(
        host=host,
        where=where,
        plugin_id=oid,
        title=(result.get("name") or result.get("nvt_name") or "").strip(),
        port=port,
        protocol=protocol,
        service="",
        cvss=cvss,
        rating=rating,
        cves=cves,
        description=description,
        solution=(result.get("nvt_solution") or tags.get("solution", "")),
        line=line,
    )
