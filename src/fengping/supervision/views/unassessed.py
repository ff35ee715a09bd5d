"""应评未评 for the supervising offices: must-assess matters decided, cases adjudicated and
systems in service without a completed (current) assessment — one tab each, with the
department and the responsible people, exported to XLSX (`supervision.unassessed`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _

from fengping.core import listing
from fengping.core.policy import authenticated

from .. import unassessed
from ..incident_lists import UNASSESSED, UNASSESSED_TABS


def _check(request: HttpRequest) -> None:
    if not unassessed.may_see(request.user):
        raise PermissionDenied(_("只有维稳办、联席办、监察室的人员和督查可以查看应评未评"))


def _pages(kind: str) -> tuple[Any, Any]:
    spec = UNASSESSED[kind]

    @authenticated
    def page(request: HttpRequest) -> HttpResponse:
        _check(request)
        return listing.render_list(request, spec, context={"kind": kind, "tabs": UNASSESSED_TABS})

    @authenticated
    def export(request: HttpRequest) -> HttpResponse:
        _check(request)
        return listing.export(request, spec)

    page.__name__ = f"unassessed_{kind}"
    export.__name__ = f"unassessed_{kind}_export"
    return page, export


urlpatterns = []
for _code, _prefix in (("matters", ""), ("cases", "cases/"), ("systems", "systems/")):
    _page, _export = _pages(_code)
    urlpatterns += [
        path(f"unassessed/{_prefix}", _page, name=f"unassessed_{_code}"),
        path(f"unassessed/{_prefix}export/", _export, name=f"unassessed_{_code}_export"),
    ]
