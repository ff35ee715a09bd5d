"""Lists of the infosec app declared once (core.listing): page, htmx partial, XLSX, API.
Each area adds its specs here or in its own module."""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fengping.core import listing
from fengping.core.listing import ChoiceFilter, Column, DepartmentFilter, ListSpec, SearchFilter
from fengping.org import access
from fengping.org.models import Department

from .models import Asset, AssetLayer, BusinessAsset, ProtectionLevel, System


def visible_departments(user: Any) -> QuerySet[Department]:
    return access.visible(user, Department.objects.all())


def visible_systems(user: Any) -> QuerySet[System]:
    return access.visible(user, System.objects.select_related("department"))


def system_options(ctx: listing.Context) -> list[tuple[int, str]]:
    """The 系统 filter of the estate-wide lists (整改任务, 风险清单): the first 500 systems
    the user may see, by code."""
    rows = access.visible(ctx.user, System.objects.all()).order_by("code")
    return [
        (pk, f"{code} {name}") for pk, code, name in rows.values_list("pk", "code", "name")[:500]
    ]


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


# ---------------------------------------------------------------- a system's inventory


def _scheme_parts(ctx: listing.Context) -> list[tuple[str, Any]]:
    from .actions.systems import part_labels, scheme_for

    system = ctx.parents[0]
    return list(part_labels(scheme_for(system)).items())


def _system_businesses(ctx: listing.Context) -> list[tuple[str, Any]]:
    system = ctx.parents[0]
    return [
        (str(pk), f"{code} {name}")
        for pk, code, name in system.businesses.values_list("pk", "code", "name")
    ]


@functools.lru_cache(maxsize=1)
def _default_part_labels() -> dict[str, str]:
    """The four parts' labels (2.1) as the list shows them: read once per process, so a
    page of assets does not look the scheme up per row."""
    from fengping.schemebook import registry

    from .actions.systems import part_labels

    return part_labels(registry.get("isra"))


def _part_label(asset: Asset) -> str:
    return _default_part_labels().get(asset.part, asset.part) if asset.part else ""


def system_assets(user: Any, system: System) -> QuerySet[Asset]:
    return access.visible(user, Asset.objects.filter(system=system).select_related("business"))


def system_businesses(user: Any, system: System) -> QuerySet[BusinessAsset]:
    return access.visible(
        user, BusinessAsset.objects.filter(system=system).prefetch_related("linked")
    )


ASSETS = ListSpec(
    name="infosec-assets",
    title=_("资产"),
    queryset=system_assets,
    order=("code", "id"),
    filters=(
        SearchFilter(
            "q",
            _("搜索"),
            ("code", "name", "ips", "hostnames"),
            placeholder=_("按编号、名称、IP 或主机名搜索"),
        ),
        ChoiceFilter("layer", _("资产层次"), AssetLayer.choices),
        ChoiceFilter("part", _("功能部分"), _scheme_parts),
        ChoiceFilter("business", _("承载的业务"), _system_businesses, field="business_id"),
    ),
    columns=(
        Column(
            _("资产编号"),
            lambda a: a.code,
            html=lambda a: listing.link(reverse("infosec:asset", args=[a.pk]), a.code),
        ),
        Column(_("资产名称"), lambda a: a.name),
        Column(_("资产层次"), lambda a: a.get_layer_display()),
        Column(_("功能部分"), _part_label),
        Column(_("资产类型"), lambda a: a.asset_type),
        Column(_("承载的业务"), lambda a: a.business.name if a.business else ""),
        Column(_("IP 地址"), lambda a: a.ips.replace("\n", " ")),
        Column(_("主机名"), lambda a: a.hostnames.replace("\n", " ")),
        Column(_("保密性"), lambda a: a.confidentiality, page=False),
        Column(_("完整性"), lambda a: a.integrity, page=False),
        Column(_("可用性"), lambda a: a.availability, page=False),
        Column(_("资产价值"), lambda a: a.value),
        Column(_("赋值依据"), lambda a: (a.value_basis or {}).get("text", ""), page=False),
        Column(_("赋值理由"), lambda a: a.value_reason, page=False),
    ),
    empty_title=_("没有符合条件的资产"),
    empty_hint=_("可逐项登记，或下载模板填写后导入"),
    page_template="infosec/assets/list.html",
    export_url=lambda system: reverse("infosec:assets_list_export", args=[system.pk]),
)

BUSINESSES = ListSpec(
    name="infosec-businesses",
    title=_("业务资产"),
    queryset=system_businesses,
    order=("code", "id"),
    filters=(SearchFilter("q", _("搜索"), ("code", "name"), placeholder=_("按编号或名称搜索")),),
    columns=(
        Column(
            _("业务编号"),
            lambda b: b.code,
            html=lambda b: listing.link(reverse("infosec:business_edit", args=[b.pk]), b.code),
        ),
        Column(_("业务名称"), lambda b: b.name),
        Column(_("业务重要性"), lambda b: b.importance),
        Column(_("关联业务"), lambda b: "、".join(x.name for x in b.linked.all())),
        Column(_("说明"), lambda b: b.description),
    ),
    empty_title=_("尚未登记业务资产"),
    page_template="infosec/systems/businesses.html",
    export_url=lambda system: reverse("infosec:businesses_export", args=[system.pk]),
)
