"""Checked file uploads: size limit, type by extension AND content, SHA-256, generated name."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from .errors import ActionError

# extension -> (content type, accepted leading bytes); b"" means text checked as UTF-8.
DOCUMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        (b"PK\x03\x04",),
    ),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    ".xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    ".wps": ("application/vnd.ms-works", (b"\xd0\xcf\x11\xe0",)),
    ".ofd": ("application/ofd", (b"PK\x03\x04",)),
    ".zip": ("application/zip", (b"PK\x03\x04",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".txt": ("text/plain", (b"",)),
    ".csv": ("text/csv", (b"",)),
}


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content: ContentFile  # type: ignore[type-arg]
    sha256: str
    size: int
    content_type: str
    token: str


def check_file(
    upload: Any,
    types: dict[str, tuple[str, tuple[bytes, ...]]],
    *,
    max_bytes: int | None = None,
    utf8_text: bool = True,
) -> CheckedFile:
    """The one upload check: present, within the size limit, an accepted
    extension whose leading bytes match it, hashed. Text types (magic b"") must be UTF-8
    unless `utf8_text` is off — the import readers decode GB18030 as well and report an
    unreadable encoding themselves."""
    if upload is None:
        raise ActionError(_("请选择文件"), field="file")
    max_bytes = max_bytes or settings.FENGPING_UPLOAD_MAX_BYTES
    if upload.size > max_bytes:
        raise ActionError(
            _("文件过大（%(size)s MB），上限 %(max)s MB")
            % {"size": round(upload.size / 1048576, 1), "max": max_bytes // 1048576},
            field="file",
        )
    name = upload.name.replace("\\", "/").rsplit("/", 1)[-1][:200]
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in types:
        raise ActionError(
            _("不接受该类型的文件（%(ext)s）；可上传：%(all)s")
            % {"ext": ext or "—", "all": " ".join(sorted(types))},
            field="file",
        )
    data = upload.read()
    content_type, magics = types[ext]
    if magics == (b"",):
        if utf8_text:
            try:
                data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ActionError(_("文本文件须为 UTF-8 编码"), field="file") from None
    elif not any(data.startswith(m) for m in magics):
        raise ActionError(_("文件内容与扩展名 %(ext)s 不符") % {"ext": ext}, field="file")
    return CheckedFile(
        name=name,
        content=ContentFile(data),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content_type=content_type,
        token=secrets.token_hex(8),
    )


def check_document(
    upload: Any, types: dict[str, tuple[str, tuple[bytes, ...]]] | None = None
) -> CheckedFile:
    """An attachment: any of DOCUMENT_TYPES (or `types`), text in UTF-8."""
    return check_file(upload, types or DOCUMENT_TYPES)
