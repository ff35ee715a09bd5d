"""Nessus `.nessus` v2: NessusClientData_v2 / Report / ReportHost (HostProperties,
ReportItem …), streamed — no tree is kept, so a report of 100,000 findings reads in flat
memory. Plugin output (volatile) is not kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from .common import NESSUS_SEVERITY, Host, Report, ScanError, parse_cvss, parse_port, rating_of

ITEM_FIELDS = frozenset(
    {
        "cvss3_base_score",
        "cvss_base_score",
        "risk_factor",
        "description",
        "solution",
        "synopsis",
        "plugin_name",
    }
)
HOST_TAGS = frozenset({"host-ip", "host-fqdn", "netbios-name", "hostname"})


def read(events: Iterator[tuple[str, str, Any, int]], report: Report) -> None:
    host: Host | None = None
    host_name = ""
    props: dict[str, str] = {}
    item: dict[str, Any] | None = None
    tag_name = ""
    depth_in_item = 0
    in_host = False
    saw_host = False
    for event, tag, value, line in events:
        if event == "start":
            if item is not None:
                depth_in_item += 1
            elif tag == "ReportHost":
                host_name = str(value.get("name", ""))
                host, props, in_host, saw_host = None, {}, True, True
            elif tag == "tag":
                tag_name = str(value.get("name", ""))
            elif tag == "ReportItem":
                if not in_host:
                    raise ScanError(
                        _("第 %(line)s 行：ReportItem 不在 ReportHost 中") % {"line": line}
                    )
                item = {"attrs": value, "line": line, "cve": []}
                depth_in_item = 0
            continue
        if item is not None:  # an end inside a ReportItem
            if tag == "ReportItem" and depth_in_item == 0:
                if host is None:
                    host = _host(report, host_name, props)
                _finish_item(report, host, host_name, item)
                item = None
                continue
            if depth_in_item == 1:
                if tag == "cve":
                    item["cve"].append(value.strip())
                elif tag in ITEM_FIELDS:
                    item[tag] = value
            depth_in_item -= 1
        elif tag == "tag" and in_host and tag_name in HOST_TAGS:
            props[tag_name] = value.strip()
            if host is not None:
                host.add(value)
        elif tag == "ReportHost":
            if host is None:
                host = _host(report, host_name, props)
            host, in_host = None, False
    if not saw_host:
        raise ScanError(_("扫描报告中没有任何主机（ReportHost）"))


def _host(report: Report, host_name: str, props: dict[str, str]) -> Host:
    """The report's host for a ReportHost: name= (an IP or a host name) and the
    HostProperties addresses."""
    host = report.host(props.get("host-ip", ""), host_name)
    host.add(*(props.get(t, "") for t in ("host-fqdn", "hostname", "netbios-name")))
    return host


def _finish_item(report: Report, host: Host, host_name: str, item: dict[str, Any]) -> None:
    attrs = item["attrs"]
    line = item["line"]
    plugin = str(attrs.get("pluginID", "")).strip()
    where = _("第 %(line)s 行（主机 %(host)s，插件 %(plugin)s）") % {
        "line": line,
        "host": host.shown or host_name,
        "plugin": plugin or "—",
    }
    if not plugin:
        raise ScanError(_("%(where)s：缺少 pluginID") % {"where": where})
    cvss = parse_cvss(item.get("cvss3_base_score"), where)
    if cvss is None:
        cvss = parse_cvss(item.get("cvss_base_score"), where)
    severity = str(attrs.get("severity", "")).strip()
    if severity and severity not in NESSUS_SEVERITY:
        raise ScanError(
            _("%(where)s：severity“%(v)s”无效（应为 0–4）") % {"where": where, "v": severity[:10]}
        )
    rating = NESSUS_SEVERITY.get(severity) or rating_of(item.get("risk_factor"))
    port, protocol = parse_port(str(attrs.get("port", "")), where)
    report.add(
        host=host,
        where=where,
        plugin_id=plugin,
        title=str(attrs.get("pluginName", "")).strip() or item.get("plugin_name", ""),
        port=port,
        protocol=str(attrs.get("protocol", "")).strip() or protocol,
        service=str(attrs.get("svc_name", "")),
        cvss=cvss,
        rating=rating,
        cves=[c for c in item["cve"] if c],
        description=item.get("description") or item.get("synopsis") or "",
        solution=item.get("solution") or "",
        line=line,
    )
