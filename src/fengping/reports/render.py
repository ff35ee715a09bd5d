"""The DOCX report: which template (an office's uploaded one or the shipped default) and
rendering it with docxtpl. No database access here beyond what the context holds."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from jinja2 import Environment, StrictUndefined

from fengping.core.errors import ActionError

DOCX_DIR = Path(__file__).resolve().parent / "templates_docx"
DEFAULT_TEMPLATE = DOCX_DIR / "ssra_report.docx"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DEFAULT_KEY = "default"
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class ReportKind:
    """A report other than the 社会稳定风险评估报告, with its own context and therefore its
    own template key: an upload for its key replaces its shipped default, and the
    "default" upload (shaped for the ssra context) never applies to it. `sample` names
    the callable (dotted path, imported on use so this app imports no domain app)
    giving the context an uploaded template is tried against."""

    key: str
    label: str
    builtin: Path
    sample: str


OTHER_KINDS: dict[str, ReportKind] = {
    kind.key: kind
    for kind in (
        ReportKind(
            "isra",
            "信息安全风险评估报告（isra）",
            DOCX_DIR / "isra_report.docx",
            "fengping.infosec.report.sample_context",
        ),
        ReportKind(
            "isra-estate",
            "信息安全风险评估汇总报告（全部系统）",
            DOCX_DIR / "isra_estate.docx",
            "fengping.infosec.report.sample_estate_context",
        ),
        ReportKind(
            "case",
            "办案风险评估报告（case）",
            DOCX_DIR / "case_report.docx",
            "fengping.cases.report.sample_context",
        ),
        ReportKind(
            "evaluation",
            "年度社会稳定风险评估工作考核情况通报（evaluation）",
            DOCX_DIR / "evaluation_report.docx",
            "fengping.supervision.evaluation.sample_context",
        ),
        ReportKind(
            "sv-monthly",
            "工作进展情况报告表（月度报告）",
            DOCX_DIR / "sv_monthly_report.docx",
            "fengping.supervision.report_templates.monthly.sample_context",
        ),
        ReportKind(
            "supervision-notice",
            "督办通知（supervision-notice）",
            DOCX_DIR / "supervision_notice.docx",
            "fengping.supervision.notice_docx.sample_context",
        ),
    )
}


def sample_for(key: str) -> dict[str, Any] | None:
    """The sample context of a ReportKind's key (None: the ssra sample applies)."""
    kind = OTHER_KINDS.get(key)
    if kind is None:
        return None
    from django.utils.module_loading import import_string

    return import_string(kind.sample)()  # type: ignore[no-any-return]


def template_dir() -> Path:
    return Path(settings.DATA_DIR) / "report_templates"


def template_path(key: str) -> Path:
    """Where the uploaded template for `key` (a scheme key, or "default") is stored."""
    if not _KEY.match(key):
        raise ValueError(f"bad template key {key!r}")
    return template_dir() / f"{key}.docx"


def template_for(scheme_key: str) -> tuple[Path, str]:
    """(path, origin) of the template a report of `scheme_key` uses: the office's upload
    for that scheme, else its upload for every scheme, else the shipped default."""
    other = OTHER_KINDS.get(scheme_key)
    if other is not None:
        uploaded = template_path(other.key)
        return (uploaded, "scheme") if uploaded.is_file() else (other.builtin, "builtin")
    for key, origin in ((scheme_key, "scheme"), (DEFAULT_KEY, "uploaded_default")):
        if _KEY.match(key):
            path = template_path(key)
            if path.is_file():
                return path, origin
    return DEFAULT_TEMPLATE, "builtin"


def _environment() -> Environment:
    # Autoescape: the values are user text going into XML. Strict: a template naming a
    # key the context does not have fails loudly (at upload, against the sample context)
    # instead of printing an empty string into an official document.
    return Environment(autoescape=True, undefined=StrictUndefined)


def render_docx(template: Path | bytes, context: dict[str, Any]) -> bytes:
    source: Any = io.BytesIO(template) if isinstance(template, bytes) else str(template)
    from docxtpl import DocxTemplate  # ~20 MiB with python-docx: only where a report renders

    doc = DocxTemplate(source)
    doc.render(context, jinja_env=_environment())
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def is_docx(data: bytes) -> bool:
    """A ZIP (magic PK\\x03\\x04) holding word/document.xml."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "word/document.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


PDF_TIMEOUT_SECONDS = 120


class PdfUnavailable(ActionError):
    """No PDF can be made here now (no LibreOffice, or the conversion failed): the DOCX
    and the print view remain."""

    status = 409
    code = "pdf_unavailable"


def docx_to_pdf(data: bytes) -> bytes:
    """The DOCX converted by LibreOffice (`soffice --headless`) in a private temporary
    directory; PdfUnavailable with a Chinese reason when it cannot be done."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise PdfUnavailable(
            _("服务器上未安装 LibreOffice，无法生成 PDF；请下载 Word 版或使用打印版。")
        )
    with tempfile.TemporaryDirectory(prefix="fengping-pdf-") as tmp:
        source = Path(tmp) / "report.docx"
        source.write_bytes(data)
        try:
            subprocess.run(  # noqa: S603 - fixed argv, our own temp paths
                [
                    soffice,
                    # A private profile: concurrent conversions never share a lock file.
                    f"-env:UserInstallation=file://{tmp}/profile",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    tmp,
                    str(source),
                ],
                check=True,
                timeout=PDF_TIMEOUT_SECONDS,
                capture_output=True,
            )
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(_("PDF 转换超时，请稍后重试。")) from None
        except subprocess.CalledProcessError as exc:
            detail = exc.stderr.decode("utf-8", "replace")[-300:]
            raise PdfUnavailable(_("PDF 转换失败：%(e)s") % {"e": detail}) from None
        pdf = Path(tmp) / "report.pdf"
        if not pdf.is_file():
            raise PdfUnavailable(_("PDF 转换失败：未生成文件。"))
        return pdf.read_bytes()
