"""Pure readers for imported files: text encoding, CSV rows, the XLSX archive check.

No Django here (and nothing that imports it): `fengping.schemes.isra_csv` reads its CSV
through this module, and `schemes/` must stay Django-free and clean under mypy --strict.
`fengping.core.imports` wraps these readers and turns their errors into translated
messages; the messages here are the bilingual plain text the command line prints.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class ReadError(ValueError):
    """The file cannot be read at all; `code` names the reason for callers that translate."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


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


def xml_records(data: bytes, tag: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(ordinal from 1, fields) for each element named `tag` (any namespace), streamed with
    defusedxml's iterparse: a DTD, entity or external reference is refused (billion laughs,
    XXE), and each record is cleared once read, so memory stays flat. The fields are the
    element's attributes and the text of its direct children, by local name."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    def local(name: str) -> str:
        return name.rsplit("}", 1)[-1]

    number = 0
    try:
        for _event, element in iterparse(io.BytesIO(data), events=("end",), forbid_dtd=True):
            if local(str(element.tag)) != tag:
                continue
            number += 1
            fields = {local(str(k)): str(v).strip() for k, v in element.attrib.items()}
            for child in element:
                fields[local(str(child.tag))] = (child.text or "").strip()
            element.clear()
            yield number, fields
    except DefusedXmlException as exc:
        raise ReadError(
            "xml_forbidden",
            f"XML 含有不允许的 DTD 或实体引用 / XML with a DTD or entity refused: {exc}",
            detail=str(exc),
        ) from None
    except ParseError as exc:
        raise ReadError(
            "xml", f"XML 格式错误：{exc} / malformed XML: {exc}", detail=str(exc)
        ) from None


@dataclass(frozen=True)
class ArchiveSize:
    compressed: int
    uncompressed: int
    members: int

    @property
    def ratio(self) -> float:
        return self.uncompressed / max(self.compressed, 1)


def check_xlsx_archive(data: bytes, *, max_ratio: int, max_uncompressed: int) -> ArchiveSize:
    """Refuse a file that is not a workbook, is damaged, or would inflate beyond the limits —
    before any XML parser sees it. The sizes come from the ZIP directory; the members are
    then CRC-checked while inflating, which reads at most `max_uncompressed` bytes, so a
    directory that lies about sizes is caught too."""
    if not data.startswith(b"PK\x03\x04"):
        raise ReadError("not_xlsx", "文件不是 .xlsx 工作簿 / the file is not an .xlsx workbook")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadError("damaged", f"文件已损坏 / damaged file: {exc}", detail=str(exc)) from None
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise ReadError("not_xlsx", "文件不是 .xlsx 工作簿 / the file is not an .xlsx workbook")
        size = ArchiveSize(len(data), sum(info.file_size for info in infos), len(infos))
        if size.uncompressed > max_uncompressed or size.ratio > max_ratio:
            raise ReadError(
                "bomb",
                f"解压后过大（{size.uncompressed} 字节，压缩比 {size.ratio:.0f}）"
                f" / inflates too much ({size.uncompressed} bytes, ratio {size.ratio:.0f})",
                uncompressed=size.uncompressed,
                ratio=round(size.ratio),
            )
        inflated = 0
        for info in infos:
            try:
                with archive.open(info) as member:
                    while chunk := member.read(1 << 20):
                        inflated += len(chunk)
                        if inflated > max_uncompressed:
                            raise ReadError(
                                "bomb",
                                f"解压后过大（超过 {max_uncompressed} 字节）"
                                f" / inflates beyond {max_uncompressed} bytes",
                                uncompressed=inflated,
                                ratio=round(inflated / max(len(data), 1)),
                            )
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
                raise ReadError(
                    "damaged", f"文件已损坏 / damaged file: {exc}", detail=str(exc)
                ) from None
    return size
