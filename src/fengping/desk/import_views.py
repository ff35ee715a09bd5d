"""The import records: the list a user may see, one record (its result, errors, and what
a background import shows its importer once) and the progress partial htmx polls."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.module_loading import import_string
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy, ngettext

from fengping.core import listing
from fengping.core.imports import Importer
from fengping.core.listing import ChoiceFilter, Column, DateRangeFilter, ListSpec
from fengping.core.models import ImportRecord, ImportStatus
from fengping.core.policy import authenticated
from fengping.org import access


def visible_imports(user: Any) -> QuerySet[ImportRecord]:
    """Import records a user may open: their own, and those into departments they see."""
    scoped = access.visible(user, ImportRecord.objects.all()).values("pk")
    return ImportRecord.objects.filter(Q(actor_id=user.pk) | Q(pk__in=scoped)).select_related(
        "actor"
    )


def get_import_for_user(user: Any, pk: Any) -> ImportRecord:
    """Its importer may always open it; anyone else through org.access (404 outside)."""
    own = ImportRecord.objects.filter(pk=pk, actor_id=user.pk).select_related("actor").first()
    if own is not None:
        return own
    return access.get_for_user(user, ImportRecord.objects.select_related("actor"), pk)


@transaction.atomic
def take_reveal(user: Any, record: ImportRecord) -> list[list[str]]:
    """What a background import shows once (generated passwords): to its importer only,
    erased as it is shown."""
    if record.actor_id != user.pk or not record.reveal:
        return []
    fresh = ImportRecord.objects.select_for_update().get(pk=record.pk)
    rows = list(fresh.reveal)
    fresh.reveal = []
    fresh.save(update_fields=["reveal"])
    return rows


def _importer_class(record: ImportRecord) -> type[Importer] | None:
    try:
        cls = import_string(record.importer)
    except ImportError:
        return None
    return cls if isinstance(cls, type) and issubclass(cls, Importer) else None


def _status(r: ImportRecord) -> str:
    if r.status == ImportStatus.FAILED:
        return ngettext("%(s)s（%(n)s 处错误）", "%(s)s（%(n)s 处错误）", r.error_count) % {
            "s": r.get_status_display(),
            "n": r.error_count,
        }
    return str(r.get_status_display())


IMPORT_RECORDS = ListSpec(
    name="imports",
    title=gettext_lazy("导入记录"),
    # The errors and what a background import reveals once stay out of the list.
    queryset=lambda user: visible_imports(user).defer("errors", "reveal", "counts"),
    order=("-id",),
    keyset=True,
    filters=(
        ChoiceFilter(
            "status", gettext_lazy("状态"), ImportStatus.choices, all_label=gettext_lazy("全部状态")
        ),
        DateRangeFilter("created", gettext_lazy("时间"), field="created_at__date"),
    ),
    columns=(
        Column(
            gettext_lazy("时间"),
            lambda r: r.created_at,
            html=lambda r: listing.link(
                r.get_absolute_url(), date_format(localtime(r.created_at), "Y-m-d H:i")
            ),
        ),
        Column(gettext_lazy("导入内容"), lambda r: r.title),
        Column(gettext_lazy("文件"), lambda r: r.file_name),
        Column(gettext_lazy("SHA-256"), lambda r: r.sha256, page=False),
        Column(gettext_lazy("导入人"), lambda r: r.actor.real_name or r.actor.username),
        Column(gettext_lazy("行数"), lambda r: r.total_rows),
        Column(gettext_lazy("状态"), _status),
    ),
    empty_title=gettext_lazy("还没有导入记录"),
    export_url=lambda: reverse("import_records_export"),
)


@authenticated
def records(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, IMPORT_RECORDS)


@authenticated
def records_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, IMPORT_RECORDS)


@authenticated
def record(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_import_for_user(request.user, pk)
    cls = _importer_class(item)
    return render(
        request,
        "core/import_record.html",
        {
            "record": item,
            "summary": cls.summary(item.counts) if cls and item.status == ImportStatus.DONE else "",
            "reveal_header": cls.reveal_header if cls else (),
            "revealed": take_reveal(request.user, item) if item.finished else [],
        },
    )


@authenticated
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The polled partial. When the job has ended, htmx reloads the whole record page
    (HX-Refresh) so the result, and anything shown once, appears."""
    item = get_import_for_user(request.user, pk)
    response = render(request, "core/_import_progress.html", {"record": item})
    if item.finished:
        response["HX-Refresh"] = "true"
    return response
