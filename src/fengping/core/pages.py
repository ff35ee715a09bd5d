"""Rendering helpers shared by the apps' views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def form_page(
    request: HttpRequest, form: Any, title: str, crumbs: list[Any], cancel_url: str, **extra: Any
) -> HttpResponse:
    """The generic form page (templates/core/form.html): title, breadcrumbs, the form,
    a cancel link; `extra` may add `intro` and `submit_label`."""
    return render(
        request,
        "core/form.html",
        {"form": form, "title": title, "crumbs": crumbs, "cancel_url": cancel_url, **extra},
    )
