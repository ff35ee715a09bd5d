"""Reading uploaded workbooks and writing formula-safe exports."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ActionError

# openpyxl (with numpy, ~30 MiB) loads on the first export or import, not in every worker.
# The characters an XLSX cell cannot hold: the C0 controls but tab, line feed and carriage
# return (XML 1.0), as openpyxl checks them.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

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
    from openpyxl import Workbook

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


def open_workbook(data: bytes) -> Any:
    """The workbook in read-only (streaming) mode; a file openpyxl cannot read is refused
    with a clear message. Call `fengping.tabular.check_xlsx_archive` first: it
    rejects archives that are not workbooks or inflate beyond the limits."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ActionError(
            _("无法读取该 Excel 文件：%(err)s") % {"err": exc}, field="file"
        ) from None


def declared_rows(ws: Any) -> int | None:
    """The last row number the sheet's <dimension> element claims, without reading cells."""
    try:
        max_row = ws.max_row
    except (ValueError, TypeError):
        return None
    return int(max_row) if max_row else None


def stream_rows(ws: Any, max_row: int, max_col: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, values) up to `max_row` (the header is row 1); a row beyond it raises
    RowLimitExceeded. Text cells are stripped.

    openpyxl stops at the rows and columns the sheet's <dimension> claims unless told
    otherwise, which would silently drop data of a file whose dimension lies. So the header
    is read up to `max_col` columns, the data rows up to the header's last named column,
    and one row past the limit is asked for explicitly."""
    try:
        first = next(ws.iter_rows(max_row=1, max_col=max_col, values_only=True), ())
        header = tuple(v.strip() if isinstance(v, str) else v for v in first)
        named = [i for i, v in enumerate(header) if v is not None and str(v) != ""]
        if not named:
            return
        width = named[-1] + 1
        yield 1, header[:width]
        rows = ws.iter_rows(min_row=2, max_row=max_row + 1, max_col=width, values_only=True)
        for number, row in enumerate(rows, start=2):
            if number > max_row:
                raise RowLimitExceeded(ws.title, max_row)
            yield number, tuple(v.strip() if isinstance(v, str) else v for v in row)
    except (zipfile.BadZipFile, zlib.error, KeyError, ValueError, OSError, EOFError) as exc:
        raise ActionError(
            _("无法读取工作表“%(sheet)s”：%(err)s") % {"sheet": ws.title, "err": exc},
            field="file",
        ) from None


class RowLimitExceeded(ActionError):
    def __init__(self, sheet: str, max_row: int) -> None:
        super().__init__(
            _("工作表“%(sheet)s”超过 %(n)s 行（含表头），一次导入不能更多；请分成几个文件导入")
            % {"sheet": sheet, "n": max_row},
            field="file",
        )
