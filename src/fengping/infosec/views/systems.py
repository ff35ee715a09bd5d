"""The list of information systems and a system's overview page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from fengping.core import listing
from fengping.core.policy import authenticated
from fengping.org import access

from ..lists import SYSTEMS
from ..models import System
from ..tabs import Tab, register, tabs_for


@authenticated
def system_list(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, SYSTEMS)


@authenticated
def system_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, SYSTEMS)


@authenticated
def system_detail(request: HttpRequest, pk: int) -> HttpResponse:
    system = access.get_for_user(request.user, System.objects.select_related("department"), pk)
    return render(
        request,
        "infosec/system.html",
        {
            "system": system,
            "tabs": tabs_for("system", system, "overview"),
            "can_change": access.can(request.user, system, "change"),
            "assessments": system.assessments.order_by("-started_at", "-id")[:20],
        },
    )


register("system", Tab("overview", _("概况"), "infosec:system", 0))

urlpatterns = [
    path("", system_list, name="systems"),
    path("systems/export.xlsx", system_export, name="systems_export"),
    path("systems/<int:pk>/", system_detail, name="system"),
]
