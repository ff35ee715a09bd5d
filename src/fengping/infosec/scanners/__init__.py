"""Scanner reports read into checked findings (篇2 2.3 脆弱性识别, 漏洞扫描): Nessus
`.nessus` v2, OpenVAS/GVM XML and CSV (generic, or a Nessus/GVM export).

The scanner is recognised from the content, not the name, and the content must be what
the extension says (`.nessus` a Nessus report, `.xml` a Nessus or GVM report, `.csv` a
CSV table). XML goes through defusedxml only, streamed: DTDs, entities and external
references are refused (XXE, billion laughs). Any fault raises ScanError (an ActionError)
naming the line, host and plugin; nothing is written by this package."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _

from fengping import tabular

from ..models import Scanner
from . import csvreport, nessus, openvas
from .common import Finding, Host, Report, ScanError, normalise_address

__all__ = [
    "EXTENSIONS",
    "Finding",
    "Host",
    "Report",
    "ScanError",
    "normalise_address",
    "read_report",
]

# extension -> content type; the content itself is checked by `read_report`.
EXTENSIONS = {".nessus": "application/xml", ".xml": "application/xml", ".csv": "text/csv"}
BINARY_MAGIC = (b"\x89PNG", b"PK\x03\x04", b"%PDF", b"\xff\xd8\xff", b"\xd0\xcf\x11\xe0", b"GIF8")


def _kind(data: bytes) -> str:
    head = data[:4096]
    if not head.strip():
        return "empty"
    if head.startswith(BINARY_MAGIC) or b"\x00" in head:
        return "binary"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        return "xml"
    return "text"


def _xml_root(events: Any) -> tuple[str, Any]:
    for event in events:
        if event[0] == "start":
            return event[1], event
    return "", None


def read_report(name: str, data: bytes, grading: Any, *, limit: int = 0) -> Report:
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = _kind(data)
    if kind == "empty":
        raise ScanError(_("文件是空的"))
    if kind == "binary":
        raise ScanError(
            _("文件内容与扩展名 %(ext)s 不符：不是文本格式的扫描报告") % {"ext": ext or "—"}
        )
    if ext == ".csv":
        if kind == "xml":
            raise ScanError(_("文件内容与扩展名 .csv 不符：内容是 XML"))
        try:
            text = tabular.decode_text(data).text
        except tabular.ReadError:
            raise ScanError(
                _("无法识别文件编码，请另存为 UTF-8 或 GB18030/GBK 编码的 CSV")
            ) from None
        report = Report(Scanner.CSV, grading, limit)
        csvreport.read_text(text, report)
        return report
    if kind != "xml":
        raise ScanError(_("文件内容与扩展名 %(ext)s 不符：内容不是 XML 扫描报告") % {"ext": ext})
    try:
        events = tabular.xml_events(io.BytesIO(data))
        root, first = _xml_root(events)
        if root == "NessusClientData_v2":
            scanner = Scanner.NESSUS
        elif root in ("report", "get_reports_response") and ext == ".xml":
            scanner = Scanner.OPENVAS
        elif root == "NessusClientData":
            raise ScanError(
                _("只支持 Nessus v2 格式（.nessus 文件的根元素应为 NessusClientData_v2）")
            )
        else:
            raise ScanError(
                _("文件内容与扩展名 %(ext)s 不符：不是 %(what)s（根元素为 <%(root)s>）")
                % {
                    "ext": ext,
                    "what": _("Nessus 报告")
                    if ext == ".nessus"
                    else _("Nessus 或 OpenVAS/GVM 报告"),
                    "root": root[:40] or "—",
                }
            )
        report = Report(scanner, grading, limit)

        def stream() -> Any:
            yield first
            yield from events

        (nessus if scanner == Scanner.NESSUS else openvas).read(stream(), report)
    except tabular.ReadError as exc:
        if exc.code == "xml_forbidden":
            raise ScanError(_("XML 文件含有 DTD 或实体引用，出于安全原因拒绝导入")) from None
        raise ScanError(
            _("XML 格式错误（第 %(line)s 行）：%(err)s，文件可能已损坏或不完整")
            % {"line": exc.params.get("line", "?"), "err": exc.params.get("detail", "")}
        ) from None
    return report
