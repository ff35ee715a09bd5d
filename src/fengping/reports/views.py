"""Pages of the assessment report: generate (into the archive), download DOCX or PDF,
an A4 print view, the 专项工作档案 as a ZIP, and the office's report template."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.assessments.models import Assessment
from fengping.core.errors import ActionError
from fengping.core.pages import run_action, submit
from fengping.core.policy import authenticated
from fengping.org import access
from fengping.org.policy import org_admin
from fengping.schemebook import registry

from . import actions
from .actions import latest_report, report_bytes
from .archive import build_archive_zip
from .context import report_context
from .forms import TemplateUploadForm
from .render import (
    DEFAULT_KEY,
    DOCX_MIME,
    OTHER_KINDS,
    PdfUnavailable,
    docx_to_pdf,
    template_for,
    template_path,
)


def _assessment_url(a: Assessment) -> str:
    """The assessment page when the assessments app has one, else the print view."""
    try:
        return reverse("assessments:detail", args=[a.pk])
    except NoReverseMatch:
        return reverse("reports:print", args=[a.pk])


@authenticated
@require_POST
def generate(request: HttpRequest, pk: int) -> HttpResponse:
    a = access.get_for_user(request.user, Assessment.objects.select_related("matter"), pk, "change")
    return run_action(
        request,
        lambda: actions.do_generate_report(request.user, a),
        then=_assessment_url(a),
        success=lambda doc: _("已生成“%(t)s”并归入专项工作档案") % {"t": doc.title},
    )


@authenticated
def report_docx(request: HttpRequest, pk: int) -> HttpResponse:
    a = access.get_for_user(request.user, Assessment.objects.select_related("matter"), pk)
    data, name = _bytes_or_404(a)
    response = HttpResponse(data, content_type=DOCX_MIME)
    response["Content-Disposition"] = _attachment(name)
    return response


def _bytes_or_404(a: Assessment) -> tuple[bytes, str]:
    try:
        return report_bytes(a)
    except ActionError as exc:  # a broken template: said plainly, never a 500
        raise Http404(exc.message) from exc


def _attachment(name: str) -> str:
    return content_disposition_header(True, name) or "attachment"


@authenticated
def report_print(request: HttpRequest, pk: int) -> HttpResponse:
    a = access.get_for_user(request.user, Assessment.objects.select_related("matter"), pk)
    # The current report's version, the same number as its archived copy; a draft
    # (marked so) when none was generated or a send-back voided it.
    latest = latest_report(a) if a.report_is_current() else None
    context = report_context(a, edition=None)
    return render(
        request,
        "reports/print.html",
        {
            "r": context,
            "a": a,
            "latest": latest,
            "back_url": _assessment_url(a),
            "can_generate": access.can(request.user, a, "change") and a.can_generate_report(),
            "report_refusal": a.report_refusal() if access.can(request.user, a, "change") else "",
        },
    )


@authenticated
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    a = access.get_for_user(request.user, Assessment.objects.select_related("matter"), pk)
    data, name = _bytes_or_404(a)
    try:
        body = docx_to_pdf(data)
    except PdfUnavailable as exc:
        return _pdf_unavailable(request, a, exc.message)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = _attachment(name.rsplit(".", 1)[0] + ".pdf")
    return response


def _pdf_unavailable(request: HttpRequest, a: Assessment, reason: str) -> HttpResponse:
    return render(
        request,
        "reports/pdf_unavailable.html",
        {"a": a, "reason": reason, "back_url": _assessment_url(a)},
        status=503,
    )


@authenticated
def archive_zip(request: HttpRequest, pk: int) -> HttpResponse:
    a = access.get_for_user(request.user, Assessment.objects.select_related("matter"), pk)
    name = actions.safe_name(f"{a.matter.title}-专项工作档案.zip")
    return FileResponse(
        build_archive_zip(a, request.user),
        as_attachment=True,
        filename=name,
        content_type="application/zip",
    )


# ------------------------------------------------------------------ templates


def _template_keys() -> list[tuple[str, str]]:
    keys = [(DEFAULT_KEY, _("全部方案（默认）"))]
    for entry in registry.entries():
        if entry.scheme.kind == "ssra":
            keys.append((entry.key, f"{entry.scheme.name}（{entry.key}）"))
    keys += [(kind.key, kind.label) for kind in OTHER_KINDS.values()]
    return keys


@org_admin(gettext_lazy("只有系统管理员可以更换报告模板"))
def template_page(request: HttpRequest) -> HttpResponse:
    keys = _template_keys()
    posted = request.method == "POST"
    if posted and request.POST.get("reset"):
        try:
            actions.do_reset_template(request.user, request.POST["reset"])
        except (ActionError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        else:
            messages.success(request, _("已恢复为系统默认模板"))
        return redirect("reports:template")
    form = TemplateUploadForm(
        request.POST if posted else None, request.FILES if posted else None, keys=keys
    )
    if done := submit(
        request,
        form,
        lambda d: actions.do_upload_template(request.user, d["key"], d["file"]),
        then="reports:template",
        success=_("模板已通过检查并启用"),
    ):
        return done
    uses = {
        "scheme": _("已上传的模板"),
        "uploaded_default": _("“全部方案”的上传模板"),
        "builtin": _("系统默认模板"),
    }
    rows = [
        {
            "key": key,
            "label": label,
            "uploaded": template_path(key).is_file(),
            "uses": uses[template_for(key)[1]],
        }
        for key, label in keys
    ]
    return render(request, "reports/template.html", {"form": form, "rows": rows})


@authenticated
def template_download(request: HttpRequest) -> HttpResponse:
    """The template a scheme's reports use now (any logged-in user: it is a blank form)."""
    key = request.GET.get("key") or DEFAULT_KEY
    if key not in {k for k, _label in _template_keys()}:
        raise Http404(_("没有该方案"))
    path, _origin = template_for(key)
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"report-template-{key}.docx",
        content_type=DOCX_MIME,
    )
