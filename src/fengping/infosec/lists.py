"""Lists of the infosec app declared once (core.listing): page, htmx partial, XLSX, API.
Each area adds its specs here or in its own module."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fengping.core import listing
from fengping.core.listing import ChoiceFilter, Column, DepartmentFilter, ListSpec, SearchFilter
from fengping.org import access
from fengping.org.models import Department

from .models import ProtectionLevel, System


def visible_departments(user: Any) -> QuerySet[Department]:
    return access.visible(user, Department.objects.all())


def visible_systems(user: Any) -> QuerySet[System]:
    return access.visible(user, System.objects.select_related("department"))


SYSTEMS = ListSpec(
    name="infosec-systems",
    title=_("信息系统"),
    queryset=visible_systems,
    order=("code", "id"),
    filters=(
        SearchFilter(
            "q", _("搜索"), ("code", "name", "business"), placeholder=_("按编号、名称或业务搜索")
        ),
        ChoiceFilter("level", _("等级保护级别"), ProtectionLevel.choices, field="protection_level"),
        DepartmentFilter("department", _("主管部门"), visible_departments),
    ),
    columns=(
        Column(_("系统编号"), lambda s: s.code),
        Column(
            _("系统名称"),
            lambda s: s.name,
            html=lambda s: listing.link(reverse("infosec:system", args=[s.pk]), s.name),
        ),
        Column(_("主管部门"), lambda s: s.department.name),
        Column(_("等级保护级别"), lambda s: s.get_protection_level_display()),
        Column(_("备案编号"), lambda s: s.filing_number),
        Column(_("承载的业务"), lambda s: s.business, page=False),
    ),
    empty_title=_("没有符合条件的信息系统"),
    page_template="infosec/systems.html",
    export_url=lambda: reverse("infosec:systems_export"),
)
