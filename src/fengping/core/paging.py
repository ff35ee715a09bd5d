"""Page numbers for the lists that are not `core.listing` specs: the public index of
matters open for consultation (no user, so no org.access scope to declare). Every list
page of signed-in users pages through `core.listing`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, queryset: Any, per_page: int | None = None) -> Page:
    """`get_page` already turns a bad or too large number into the first or last page; the
    length check keeps a forty-digit number from being converted at all."""
    paginator = Paginator(queryset, per_page or settings.FENGPING_PAGE_SIZE)
    raw = (request.GET.get("page") or "")[:9]
    return paginator.get_page(raw if raw.isascii() and raw.isdigit() else 1)
