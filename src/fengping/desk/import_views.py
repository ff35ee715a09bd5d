"""The import records: the list a user may see, one record (its result, errors, and what
a background import shows its importer once) and the progress partial htmx polls."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.module_loading import import_string

from fengping.core.imports import Importer
from fengping.core.models import ImportRecord, ImportStatus
from fengping.core.paging import paginate, query_without_page
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


@authenticated
def records(request: HttpRequest) -> HttpResponse:
    qs = visible_imports(request.user)
    status = request.GET.get("status", "")
    if status in ImportStatus.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "core/import_records.html",
        {
            "page": paginate(request, qs),
            "qs": query_without_page(request),
            "status": status,
            "statuses": ImportStatus.choices,
        },
    )


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
