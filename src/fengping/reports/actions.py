"""State changes of the reports app: generating a report into the 专项工作档案, and the
office's replacement of the DOCX template. One function each, in a transaction, audited."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zipfile
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from jinja2 import TemplateError
from lxml.etree import XMLSyntaxError

from fengping.assessments import actions as assessment_actions
from fengping.assessments.models import ArchiveDocument, Assessment
from fengping.audit.chain import record
from fengping.core.errors import ActionError
from fengping.org import access

from .context import report_context, sample_context
from .render import (
    DEFAULT_KEY,
    DOCX_MIME,
    is_docx,
    render_docx,
    sample_for,
    template_for,
    template_path,
)

# What a broken template raises while docxtpl renders it: a Jinja error, a tag that
# produces invalid XML, or a value used the wrong way (e.g. iterating a string's method).
RENDER_ERRORS = (TemplateError, XMLSyntaxError, TypeError, ValueError, KeyError, AttributeError)
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def safe_name(name: str, limit: int = 120) -> str:
    """A file name without path separators or characters Windows refuses."""
    cleaned = _UNSAFE.sub("_", name).strip(" .") or "file"
    if len(cleaned) <= limit:
        return cleaned
    stem, dot, ext = cleaned.rpartition(".")
    if dot and len(ext) <= 8:
        return stem[: limit - len(ext) - 1] + "." + ext
    return cleaned[:limit]


def render_report(assessment: Assessment, *, edition: int | None = None) -> tuple[bytes, dict]:
    """(DOCX bytes, context) of the report as it stands, with the scheme's template."""
    context = report_context(assessment, edition=edition)
    path, _origin = template_for(assessment.scheme_key)
    try:
        return render_docx(path, context), context
    except RENDER_ERRORS as exc:
        raise ActionError(
            _("报告模板无法生成报告（%(e)s），请管理员检查或恢复默认模板。") % {"e": exc}
        ) from exc


@transaction.atomic
def do_generate_report(actor: Any, assessment: Assessment) -> ArchiveDocument:
    """Render the report, archive it (with its SHA-256) and mark the assessment's report
    as generated — together or not at all. Only at the report step, once the grade step
    is complete (Assessment.report_refusal). The assessment row is locked first so two
    people generating at once get versions N and N+1, not two N's; the version number
    is printed in the report and stored on the archived copy."""
    access.require(actor, assessment, "change")
    a = Assessment.objects.select_for_update().select_related("matter").get(pk=assessment.pk)
    refused = a.report_refusal()
    if refused:
        raise ActionError(refused)
    edition = next_report_version(a)
    data, context = render_report(a, edition=edition)
    title = f"{context['title']}（第{edition}版）"
    upload = SimpleUploadedFile(
        safe_name(f"{a.matter.title}-{title}.docx"), data, content_type=DOCX_MIME
    )
    step = a.scheme.report.step or a.current_step
    doc = assessment_actions.do_archive_document(
        actor, a, upload, title=title, step_code=step, generated=True, report_version=edition
    )
    assessment_actions.do_mark_report_generated(actor, a, doc.sha256, version=edition)
    return doc


def next_report_version(a: Assessment) -> int:
    """The number the next generated report carries (archived reports from before
    versions were stored count too)."""
    generated = ArchiveDocument.objects.filter(assessment=a, generated=True).count()
    return max(a.report_version, generated) + 1


def latest_report(a: Assessment) -> ArchiveDocument | None:
    """The latest generated report in the archive (void or not)."""
    return (
        ArchiveDocument.objects.filter(assessment=a, generated=True)
        .order_by("-uploaded_at", "-id")
        .first()
    )


def report_bytes(a: Assessment) -> tuple[bytes, str]:
    """(DOCX, file name) for download: the current generated report; without one (none
    yet, or voided by a send-back) a draft rendered now, marked as such, not archived."""
    doc = latest_report(a) if a.report_is_current() else None
    if doc is not None:
        with doc.file.open("rb") as f:
            return f.read(), doc.name
    data, context = render_report(a, edition=None)
    draft = _("草稿")
    return data, safe_name(f"{a.matter.title}-{context['title']}（{draft}）.docx")


# ------------------------------------------------------------------ templates


def _require_admin(actor: Any) -> None:
    if not access.is_org_admin(actor):
        raise PermissionDenied(_("只有系统管理员可以更换报告模板"))


def check_template(data: bytes, key: str = DEFAULT_KEY) -> None:
    """Refuse anything that is not a DOCX or does not render against a sample report (of
    the key's own kind: render.OTHER_KINDS)."""
    if not is_docx(data):
        raise ActionError(_("文件不是 Word 文档（.docx）"), field="file")
    try:
        render_docx(data, sample_for(key) or sample_context())
    except (*RENDER_ERRORS, zipfile.BadZipFile, OSError) as exc:
        raise ActionError(
            _("模板无法用示例报告数据生成文档：%(e)s") % {"e": exc}, field="file"
        ) from exc


@transaction.atomic
def do_upload_template(actor: Any, key: str, upload: Any) -> dict[str, Any]:
    """Store an office's template for the scheme `key` ("default": every scheme)."""
    _require_admin(actor)
    if upload is None:
        raise ActionError(_("请选择文件"), field="file")
    if upload.size > settings.FENGPING_UPLOAD_MAX_BYTES:
        raise ActionError(_("文件过大"), field="file")
    if not (upload.name or "").lower().endswith(".docx"):
        raise ActionError(_("只接受 .docx 格式的模板"), field="file")
    data = upload.read()
    check_template(data, key)
    path = template_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename: a report generated meanwhile never reads half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    info = {"key": key, "name": upload.name[:200], "size": len(data)}
    info["sha256"] = hashlib.sha256(data).hexdigest()
    record(
        actor,
        "reports.template.upload",
        object_type="reports.template",
        object_id=key,
        object_repr=_("评估报告模板 %(k)s") % {"k": key},
        after=info,
    )
    return info


@transaction.atomic
def do_reset_template(actor: Any, key: str) -> None:
    """Remove the office's template for `key`: reports go back to the shipped default."""
    _require_admin(actor)
    path = template_path(key)
    if not path.is_file():
        raise ActionError(_("该方案没有上传的模板"))
    path.unlink()
    record(
        actor,
        "reports.template.reset",
        object_type="reports.template",
        object_id=key,
        object_repr=_("评估报告模板 %(k)s") % {"k": key},
        after={"key": key},
    )
