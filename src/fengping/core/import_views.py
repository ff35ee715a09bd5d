"""The import page every importer shares (one template for all) and the template download.
The list of import records, a record and its progress partial need `org.access`, so they
live above core, in `fengping.desk.import_views`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ActionError
from .forms import StyledForm
from .imports import Importer, run_import
from .pages import submit
from .xlsx import XLSX_MIME


class ImportFileForm(StyledForm):
    file = forms.FileField(label=gettext_lazy("文件"))

    def __init__(self, *args: Any, importer: Importer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        accept = ",".join(f".{ext}" for ext in importer.formats)
        self.fields["file"].widget.attrs["accept"] = accept
        self.fields["file"].help_text = _("可上传：%(types)s") % {
            "types": " ".join(f".{ext}" for ext in importer.formats)
        }


def import_page(
    request: HttpRequest,
    importer: Importer,
    *,
    crumbs: list[tuple[str, str]],
    template_url: str,
    heading: str,
    note: str = "",
) -> HttpResponse:
    """GET shows the form and the column documentation; POST imports. A small file is
    imported at once and its result shown here; a large one becomes a background job and
    the browser goes to its record, which shows the progress."""
    form = ImportFileForm(request.POST or None, request.FILES or None, importer=importer)
    refused = ""
    try:
        importer.authorize(request.user)  # PermissionDenied is a 403
    except ActionError as exc:  # e.g. a questionnaire still in draft: say why, import nothing
        refused = exc.message

    def page(record: Any) -> HttpResponse:
        return render(
            request,
            "core/import.html",
            {
                "importer": importer,
                "form": form,
                "record": record,
                "revealed": getattr(record, "revealed", []) if record else [],
                "reveal_header": importer.reveal_header,
                "summary": importer.summary(record.counts) if record else "",
                "crumbs": crumbs,
                "template_url": template_url,
                "heading": heading,
                "note": note,
                "refused": refused,
            },
        )

    # A background job goes to its record (which shows the progress); a small file's
    # result is shown here at once.
    if not refused and (
        done := submit(
            request,
            form,
            lambda data: run_import(request.user, importer, data["file"]),
            then=lambda record: record if record.background else page(record),
        )
    ):
        return done
    return page(None)


def template_download(importer: Importer) -> HttpResponse:
    response = HttpResponse(importer.template_workbook(), content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="{importer.template_filename}"'
    return response
