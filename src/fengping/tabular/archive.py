"""The XLSX archive check: a sound ZIP workbook that does not inflate beyond the limits."""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

from .errors import ReadError


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
