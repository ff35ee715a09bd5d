"""What every scanner reader produces: the hosts a report covers and its findings, checked
and graded, with nothing written yet.

A finding's severity comes from its CVSS base score through the scheme's
`infosec.vulnerability_grading` (GB/T 30279 grade → severity 1–5); without a score, from
the scanner's own rating through `scanner_ratings`. Informational findings (Nessus
severity 0 / risk factor None, GVM threat Log, a CSV risk of 信息/None — with no CVSS
above 0) are not vulnerabilities: they are skipped and counted as `skipped_info`; their
host still counts as scanned (a re-scan closes what it no longer shows there)."""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from fengping.core.errors import ActionError

# Ratings as the scanners and people write them -> the keys of `scanner_ratings`.
RATINGS = {
    "critical": "critical",
    "urgent": "critical",
    "超危": "critical",
    "严重": "critical",
    "紧急": "critical",
    "high": "high",
    "高": "high",
    "高危": "high",
    "高风险": "high",
    "medium": "medium",
    "moderate": "medium",
    "中": "medium",
    "中危": "medium",
    "中风险": "medium",
    "low": "low",
    "低": "low",
    "低危": "low",
    "低风险": "low",
    "none": "none",
    "info": "info",
    "informational": "info",
    "信息": "info",
    "提示": "info",
    "log": "log",
    "debug": "log",
    "false positive": "log",
}
INFORMATIONAL = frozenset({"none", "info", "log"})
NESSUS_SEVERITY = {"0": "none", "1": "low", "2": "medium", "3": "high", "4": "critical"}
CVE_RE = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)


class ScanError(ActionError):
    """The report cannot be imported; the message names the place."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="file")


def normalise_address(value: str) -> str:
    """An IP address or host name as AssetAddress stores it: lower case, no trailing dot,
    an IP in its canonical form."""
    value = (value or "").strip().lower().rstrip(".")
    if not value:
        return ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return value


def is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class Host:
    """One host of the report: its addresses (normalised, most specific first) and the
    address shown for it."""

    __slots__ = ("addresses", "ip", "name", "findings")

    def __init__(self, ip: str = "", name: str = "") -> None:
        self.ip = ""
        self.name = ""
        self.addresses: list[str] = []
        self.findings = 0
        self.add(ip, name)

    def add(self, *values: str) -> None:
        for raw in values:
            value = normalise_address(raw)
            if not value:
                continue
            if is_ip(value):
                self.ip = self.ip or value
            else:
                self.name = self.name or value
            if value not in self.addresses:
                self.addresses.append(value)
            if not is_ip(value) and "." in value:  # a FQDN also matches its short name
                short = value.split(".", 1)[0]
                if short and short not in self.addresses:
                    self.addresses.append(short)

    @property
    def primary(self) -> str:
        return self.ip or self.name

    @property
    def shown(self) -> str:
        return self.ip or self.name


class Finding:
    """One finding of the report, checked and graded."""

    cves: str
    cvss: Decimal | None
    grade: str
    host: Host
    line: int
    plugin_id: str
    port: int | None
    protocol: str
    service: str
    severity: int
    texts: tuple[str, str, str]
    title: str

    __slots__ = (
        "cves",
        "cvss",
        "grade",
        "host",
        "line",
        "plugin_id",
        "port",
        "protocol",
        "service",
        "severity",
        "texts",
        "title",
    )

    def __init__(self, **kw: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, kw.get(name))


class Report:
    """A report read and checked: its scanner, hosts (scope) and findings merged by
    host + plugin + port/protocol (the same finding twice in one file is one finding)."""

    def __init__(self, scanner: Any, grading: Any, limit: int = 0) -> None:
        self.scanner = scanner
        self.limit = limit
        self.grading = grading
        self.hosts: dict[str, Host] = {}
        self.findings: dict[tuple[str, str, int, str], Finding] = {}
        self.texts: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        self.values: dict[Any, Any] = {}
        self.read = 0
        self.skipped_info = 0
        self.merged = 0

    def host(self, ip: str = "", name: str = "") -> Host:
        probe = Host(ip, name)
        key = probe.primary
        if not key:
            return probe
        known = self.hosts.get(key)
        if known is None:
            self.hosts[key] = probe
            return probe
        known.add(ip, name)
        return known

    def shared(self, value: Any) -> Any:
        """One copy of a value repeated across findings (plugin ids, protocols, scores)."""
        return self.values.setdefault(value, value)

    def intern(self, title: str, description: str, solution: str) -> tuple[str, str, str]:
        """Texts repeat for every host a plugin fires on: keep one copy."""
        key = (title, description, solution)
        return self.texts.setdefault(key, key)

    def add(
        self,
        *,
        host: Host,
        where: str,
        plugin_id: str,
        title: str,
        port: int | None,
        protocol: str,
        service: str,
        cvss: Decimal | None,
        rating: str,
        cves: list[str] | tuple[str, ...],
        description: str,
        solution: str,
        line: int,
    ) -> None:
        self.read += 1
        if self.limit and self.read > self.limit:
            raise ScanError(
                _("%(where)s：扫描报告超过 %(n)s 条结果，请按网段或主机分批导出后分别导入")
                % {"where": where, "n": self.limit}
            )
        if not host.primary:
            raise ScanError(_("%(where)s：缺少主机地址") % {"where": where})
        informational = rating in INFORMATIONAL or (not rating and cvss == 0)
        if informational and (cvss is None or cvss == 0):
            self.skipped_info += 1
            return
        if cvss is not None and not (informational and cvss == 0):
            grade = self.grading.grade_for_cvss(float(cvss))
        else:
            if not rating:
                raise ScanError(
                    _("%(where)s：既没有 CVSS 评分也没有风险等级，无法定级") % {"where": where}
                )
            code = self.grading.scanner_ratings.get(rating)
            try:
                grade = self.grading.grade(code) if code else None
            except KeyError:
                grade = None
            if grade is None:
                raise ScanError(
                    _("%(where)s：方案中没有风险等级“%(r)s”对应的漏洞等级")
                    % {"where": where, "r": rating}
                )
        title = (title or plugin_id).strip()
        if not title:
            raise ScanError(_("%(where)s：缺少漏洞名称") % {"where": where})
        plugin_id = plugin_id.strip()
        ident = plugin_id or "title:" + title.lower()
        protocol = (protocol or "").strip().lower()[:16]
        merge_key = (host.primary, ident, port or 0, protocol)
        cve_text = self.shared(",".join(sorted({c.upper() for c in cves})))
        known = self.findings.get(merge_key)
        if known is not None:
            self.merged += 1
            if cve_text and cve_text != known.cves:
                merged = set(known.cves.split(",")) | set(cve_text.split(","))
                known.cves = self.shared(",".join(sorted(c for c in merged if c)))
            if grade.severity > known.severity or (
                cvss is not None and (known.cvss is None or cvss > known.cvss)
            ):
                known.cvss = cvss if cvss is not None else known.cvss
                known.grade = grade.code
                known.severity = max(grade.severity, known.severity)
            return
        host.findings += 1
        texts = self.intern(title[:255], description.strip(), solution.strip())
        self.findings[merge_key] = Finding(
            host=host,
            plugin_id=self.shared(plugin_id[:80]),
            title=texts[0],
            port=port or None,
            protocol=self.shared(protocol),
            service=self.shared((service or "").strip()[:64]),
            cvss=self.shared(cvss),
            grade=grade.code,
            severity=grade.severity,
            cves=cve_text,
            texts=texts,
            line=line,
        )


def parse_cvss(raw: str | None, where: str) -> Decimal | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not Decimal(0) <= value <= Decimal(10):
        raise ScanError(
            _("%(where)s：CVSS 评分“%(v)s”无效（应为 0–10 之间的数）")
            % {"where": where, "v": raw[:20]}
        )
    return value.quantize(Decimal("0.1"))


def parse_port(raw: str | None, where: str) -> tuple[int | None, str]:
    """ "443", "443/tcp", "general/tcp", "0" -> (port or None, protocol)."""
    raw = (raw or "").strip().lower()
    if not raw:
        return None, ""
    number, _sep, protocol = raw.partition("/")
    protocol = protocol.strip()
    number = number.strip()
    if number in ("general", "package", ""):
        return None, protocol
    if not number.isdigit() or int(number) > 65535:
        raise ScanError(_("%(where)s：端口“%(v)s”无效") % {"where": where, "v": raw[:20]})
    return int(number) or None, protocol


def rating_of(raw: str | None) -> str:
    """A scanner's or a person's rating -> a `scanner_ratings` key ("" when blank; the
    raw text, lower case, when unknown — the grading refuses it naming it)."""
    value = (raw or "").strip().lower()
    if not value:
        return ""
    return RATINGS.get(value, value)


def cves_in(raw: str | None) -> list[str]:
    return CVE_RE.findall(raw or "")
