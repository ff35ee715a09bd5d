"""Reading uploaded workbooks and writing formula-safe exports."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.exceptions import InvalidFileException

from .errors import ActionError

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is run as a formula by spreadsheet programs
# (CSV/formula injection); exports prefix such text with an apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def safe_cell(value: Any) -> Any:
    """One stored value as an exportable cell.

    Never fails on a stored value: characters the XLSX format cannot hold (C0 controls
    such as \\x0b or \\x01, which an API client or an old import may have stored) are
    replaced by U+FFFD instead of making openpyxl raise; text that looks like a formula is
    neutralised with a leading apostrophe; an aware datetime is written in the local time
    zone (the format has no time zones and openpyxl refuses aware values); any other object
    is written as its text.
    """
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date | dt.time):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_workbook(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """Build an XLSX: each sheet is (title, header, rows); `sheets` may be a generator, read
    one sheet at a time. Every cell goes through `safe_cell`, so an exported name such as
    "=HYPERLINK(...)" stays text and a control character in a stored value never turns
    the export into a server error."""
    wb = Workbook(write_only=True)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title=safe_sheet_title(title))
        ws.append([safe_cell(str(h)) for h in header])
        for row in rows:
            ws.append([safe_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def safe_sheet_title(title: str) -> str:
    """A sheet title Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = ILLEGAL_CHARACTERS_RE.sub("", _SHEET_FORBIDDEN.sub("_", str(title)))[:31]
    return cleaned or "Sheet"


def check_upload(upload: Any, max_bytes: int) -> bytes:
    """Size and type check for an uploaded workbook; returns its bytes."""
    if upload is None:
        raise ActionError(_("请选择要导入的 XLSX 文件"), field="file")
    if upload.size > max_bytes:
        raise ActionError(
            _("文件过大（%(size)s MB），上限 %(max)s MB")
            % {"size": round(upload.size / 1048576, 1), "max": max_bytes // 1048576},
            field="file",
        )
    data: bytes = upload.read()
    # An XLSX is a ZIP archive; refuse anything else before handing it to a parser.
    if not data.startswith(b"PK\x03\x04") or not upload.name.lower().endswith(".xlsx"):
        raise ActionError(_("只接受 .xlsx 格式的 Excel 文件"), field="file")
    return data


def read_sheets(data: bytes) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """All sheets as lists of (row number, {header: value}); blank rows skipped."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise ActionError(
            _("无法读取该 Excel 文件：%(err)s") % {"err": exc}, field="file"
        ) from None
    sheets: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for ws in wb.worksheets:
        rows: Iterator[tuple[Any, ...]] = ws.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            sheets[ws.title] = []
            continue
        header = [str(h).strip() if h is not None else "" for h in header_row]
        items: list[tuple[int, dict[str, Any]]] = []
        for number, row in enumerate(rows, start=2):
            if row is None or all(v is None or str(v).strip() == "" for v in row):
                continue
            record = {
                header[i]: (v.strip() if isinstance(v, str) else v)
                for i, v in enumerate(row)
                if i < len(header) and header[i]
            }
            items.append((number, record))
        sheets[ws.title] = items
    wb.close()
    return sheets
