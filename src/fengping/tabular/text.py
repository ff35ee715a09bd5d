"""Text files: decoding by strict attempts (UTF-8 with or without BOM, UTF-16, GB18030/GBK)
and CSV records."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import ReadError

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # "utf-8-sig", "utf-8", "utf-16" or "gb18030"


def decode_text(data: bytes) -> Decoded:
    """Decode an uploaded text file by strict attempts, never by guessing.

    A byte-order mark decides (UTF-8 or UTF-16, which Excel writes for "Unicode text").
    Otherwise strict UTF-8 is tried first: text in GBK/GB18030 (what Chinese Excel writes
    for "CSV") almost never forms valid UTF-8 multi-byte sequences, while UTF-8 Chinese text
    is frequently *also* valid GB18030 — so the opposite order would misread UTF-8 files.
    GB18030 is a superset of GBK and GB2312, so one attempt covers all three.
    """
    if data.startswith(UTF8_BOM):
        try:
            return Decoded(data[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _undecodable(exc) from None
    if data.startswith(UTF16_BOMS):
        try:
            return Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise _undecodable(exc) from None
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise _undecodable(exc) from None
    if "\x00" in text:
        # Binary content that happens to decode; a spreadsheet export never holds NUL.
        raise ReadError("encoding", "文件不是文本 / the file is not text")
    return Decoded(text, "gb18030")


def _undecodable(exc: UnicodeDecodeError) -> ReadError:
    return ReadError(
        "encoding",
        f"无法识别文件编码（第 {exc.start + 1} 字节），须为 UTF-8 或 GB18030/GBK"
        f" / unknown encoding at byte {exc.start + 1}; use UTF-8 or GB18030/GBK",
        position=exc.start + 1,
    )


def csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for each record, numbered as a spreadsheet program shows them
    (a quoted cell spanning lines is still one row). Cells are stripped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for number, row in enumerate(reader, start=1):
            yield number, [cell.strip() for cell in row]
    except csv.Error as exc:
        raise ReadError(
            "csv", f"CSV 格式错误：{exc} / malformed CSV: {exc}", detail=str(exc)
        ) from None
