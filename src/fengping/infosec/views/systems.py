"""The list of information systems, a system's overview, and its inventory (篇2 2.1):
registering and editing systems, the business assets tab and the assets tab (list,
export, import, each asset's page with its value and how it was computed)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.core import listing
from fengping.core.forms import StyledForm
from fengping.core.import_views import import_page, template_download
from fengping.core.pages import form_page, run_action, submit
from fengping.core.policy import authenticated
from fengping.core.xlsx import XLSX_MIME
from fengping.org import access
from fengping.org.models import WORK_ROLES, Department

from ..actions import systems as actions
from ..asset_import import AssetImporter
from ..lists import ASSETS, BUSINESSES, SYSTEMS
from ..models import Asset, AssetLayer, BusinessAsset, ProtectionLevel, System
from ..queries import system_for
from ..tabs import Tab, register, tabs_for

LEVELS = [("", "—"), *((str(n), str(n)) for n in range(1, 6))]
REQUIRED_LEVELS = [(str(n), str(n)) for n in range(1, 6)]


def creatable_departments(user: Any) -> Any:
    """The departments the user may register a system in."""
    ids = [
        d.pk
        for d in access.visible(user, Department.objects.filter(is_active=True))
        if access.can_change_under(user, d.path, WORK_ROLES)
    ]
    return Department.objects.filter(pk__in=ids).order_by("path")


def _crumbs(system: System) -> list[tuple[str, str]]:
    return [
        (_("信息系统"), reverse("infosec:systems")),
        (system.name[:24], reverse("infosec:system", args=[system.pk])),
    ]


# ---------------------------------------------------------------- systems


@authenticated
def system_list(request: HttpRequest) -> HttpResponse:
    return listing.render_list(
        request, SYSTEMS, context={"can_create": creatable_departments(request.user).exists()}
    )


@authenticated
def system_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, SYSTEMS)


@authenticated
def system_detail(request: HttpRequest, pk: int) -> HttpResponse:
    system = system_for(request.user, pk)
    return render(
        request,
        "infosec/system.html",
        {
            "system": system,
            "tabs": tabs_for("system", system, "overview"),
            "can_change": access.can(request.user, system, "change"),
            "assessments": system.assessments.order_by("-started_at", "-id")[:20],
            "has_open_assessment": system.assessments.filter(status="open").exists(),
            "counts": {
                "businesses": system.businesses.count(),
                "assets": system.assets.count(),
            },
        },
    )


class SystemForm(StyledForm):
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), label=gettext_lazy("主管部门")
    )
    code = forms.CharField(
        label=gettext_lazy("系统编号"),
        max_length=40,
        help_text=gettext_lazy("字母、数字、“-”或“_”，命令行导入时用它指明系统"),
    )
    name = forms.CharField(label=gettext_lazy("系统名称"), max_length=120)
    protection_level = forms.TypedChoiceField(
        label=gettext_lazy("等级保护级别"), choices=ProtectionLevel.choices, coerce=int
    )
    filing_number = forms.CharField(
        label=gettext_lazy("等级保护备案编号"), max_length=60, required=False
    )
    business = forms.CharField(
        label=gettext_lazy("承载的业务"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    description = forms.CharField(
        label=gettext_lazy("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any = None, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["department"]
            del self.fields["code"]
        else:
            del self.fields["version"]
            self.fields["department"].queryset = creatable_departments(user)


@authenticated
def system_new(request: HttpRequest) -> HttpResponse:
    if not creatable_departments(request.user).exists():
        raise PermissionDenied(_("您没有登记信息系统的权限"))
    form = SystemForm(request.POST or None, user=request.user)
    if done := submit(
        request,
        form,
        lambda d: actions.do_create_system(request.user, **d),
        then=lambda s: reverse("infosec:system", args=[s.pk]),
        success=_("已登记信息系统"),
    ):
        return done
    return form_page(
        request,
        form,
        _("登记信息系统"),
        [(_("信息系统"), reverse("infosec:systems"))],
        reverse("infosec:systems"),
    )


@authenticated
def system_edit(request: HttpRequest, pk: int) -> HttpResponse:
    system = system_for(request.user, pk, "change")
    form = SystemForm(
        request.POST or None,
        editing=True,
        initial={f: getattr(system, f) for f in actions.SYSTEM_FIELDS}
        | {"version": system.version},
    )
    if done := submit(
        request,
        form,
        lambda d: actions.do_update_system(request.user, system, **d),
        then=reverse("infosec:system", args=[system.pk]),
        success=_("已保存"),
    ):
        return done
    return form_page(
        request,
        form,
        _("修改信息系统"),
        _crumbs(system),
        reverse("infosec:system", args=[system.pk]),
    )


# ---------------------------------------------------------------- business assets


@authenticated
def businesses(request: HttpRequest, pk: int) -> HttpResponse:
    system = system_for(request.user, pk)
    return listing.render_list(
        request,
        BUSINESSES,
        system,
        context={
            "system": system,
            "tabs": tabs_for("system", system, "businesses"),
            "can_change": access.can(request.user, system, "change"),
        },
    )


@authenticated
def businesses_export(request: HttpRequest, pk: int) -> HttpResponse:
    return listing.export(request, BUSINESSES, system_for(request.user, pk))


class BusinessForm(StyledForm):
    code = forms.CharField(label=gettext_lazy("业务编号"), max_length=60)
    name = forms.CharField(label=gettext_lazy("业务名称"), max_length=120)
    importance = forms.TypedChoiceField(
        label=gettext_lazy("业务重要性"),
        choices=REQUIRED_LEVELS,
        coerce=int,
        help_text=gettext_lazy("1–5，5 为最重要；计入其承载资产的价值"),
    )
    linked = forms.ModelMultipleChoiceField(
        queryset=BusinessAsset.objects.none(),
        label=gettext_lazy("关联业务"),
        required=False,
        help_text=gettext_lazy("与本业务相互依赖的本系统业务"),
    )
    description = forms.CharField(
        label=gettext_lazy("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, system: System, business: BusinessAsset | None = None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        qs = system.businesses.all()
        if business is not None:
            qs = qs.exclude(pk=business.pk)
        self.fields["linked"].queryset = qs


def _business_form_page(
    request: HttpRequest, system: System, business: BusinessAsset | None
) -> HttpResponse:
    initial: dict[str, Any] = {}
    if business is not None:
        initial = {
            "code": business.code,
            "name": business.name,
            "importance": business.importance,
            "description": business.description,
            "linked": list(business.linked.all()),
            "version": business.version,
        }
    form = BusinessForm(request.POST or None, initial=initial, system=system, business=business)
    back = reverse("infosec:businesses", args=[system.pk])
    if done := submit(
        request,
        form,
        lambda d: actions.do_save_business(request.user, system, business, **d),
        then=back,
        success=_("已保存业务资产"),
    ):
        return done
    crumbs = [*_crumbs(system), (_("业务资产"), back)]
    title = _("修改业务资产") if business else _("登记业务资产")
    return render(
        request,
        "infosec/systems/form.html",
        {
            "form": form,
            "title": title,
            "crumbs": crumbs,
            "cancel_url": back,
            "delete_url": reverse("infosec:business_delete", args=[business.pk])
            if business
            else "",
        },
    )


@authenticated
def business_new(request: HttpRequest, pk: int) -> HttpResponse:
    return _business_form_page(request, system_for(request.user, pk, "change"), None)


def _business(request: HttpRequest, pk: int, need: str = "view") -> BusinessAsset:
    return access.get_for_user(
        request.user,
        BusinessAsset.objects.select_related("system__department"),
        pk,
        need,  # type: ignore[arg-type]
    )


@authenticated
def business_edit(request: HttpRequest, pk: int) -> HttpResponse:
    business = _business(request, pk)
    if request.method != "POST" and not access.can(request.user, business, "change"):
        # A reader has the whole record in the list.
        return redirect("infosec:businesses", business.system_id)
    business = _business(request, pk, "change")
    return _business_form_page(request, business.system, business)


@authenticated
def business_delete(request: HttpRequest, pk: int) -> HttpResponse:
    business = _business(request, pk, "change")
    system = business.system
    back = reverse("infosec:businesses", args=[system.pk])
    if request.method == "POST":
        return run_action(
            request,
            lambda: actions.do_remove_business(request.user, business),
            then=back,
            success=_("已删除业务资产“%(b)s”") % {"b": business.name},
            back=reverse("infosec:business_edit", args=[business.pk]),
        )
    carried = business.assets.count()
    return render(
        request,
        "core/confirm.html",
        {
            "title": _("删除业务资产"),
            "crumbs": [*_crumbs(system), (_("业务资产"), back)],
            "question": _("确定删除业务资产“%(b)s”吗？") % {"b": business.name},
            "consequence": _(
                "承载该业务的 %(n)s 项资产将不再关联业务，其资产价值按不含业务重要性重新计算；进行中的评估需重新计算风险。删除会记入审计日志。"
            )
            % {"n": carried},
            "cancel_url": back,
        },
    )


# ---------------------------------------------------------------- assets


def _asset_context(request: HttpRequest, system: System) -> dict[str, Any]:
    return {
        "system": system,
        "tabs": tabs_for("system", system, "assets"),
        "can_change": access.can(request.user, system, "change"),
    }


@authenticated
def assets(request: HttpRequest, pk: int) -> HttpResponse:
    system = system_for(request.user, pk)
    return listing.render_list(request, ASSETS, system, context=_asset_context(request, system))


@authenticated
def assets_list_export(request: HttpRequest, pk: int) -> HttpResponse:
    return listing.export(request, ASSETS, system_for(request.user, pk))


@authenticated
def assets_export(request: HttpRequest, pk: int) -> HttpResponse:
    """All the system's assets and businesses in the import format (edit, import again)."""
    system = system_for(request.user, pk)
    response = HttpResponse(AssetImporter(system).export_workbook(), content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="fengping-assets-{system.code}.xlsx"'
    return response


@authenticated
def assets_template(request: HttpRequest, pk: int) -> HttpResponse:
    return template_download(AssetImporter(system_for(request.user, pk)))


@authenticated
def assets_import(request: HttpRequest, pk: int) -> HttpResponse:
    system = system_for(request.user, pk, "change")
    return import_page(
        request,
        AssetImporter(system),
        crumbs=[*_crumbs(system), (_("资产"), reverse("infosec:assets", args=[system.pk]))],
        template_url=reverse("infosec:assets_template", args=[system.pk]),
        heading=_("导入资产清单：%(s)s") % {"s": system.name},
        note=_(
            "每行一项资产，按“资产编号”对应：新编号新增，已有编号在内容变化时更新，未变化的不改动，文件中没有的资产保留。"
            "可先“导出（可编辑后导入）”，在 Excel 中修改后再导入。工作簿可另含“业务”表，一并导入业务资产。"
            "任何一行有错时整个文件都不导入。"
        ),
    )


class AssetForm(StyledForm):
    code = forms.CharField(label=gettext_lazy("资产编号"), max_length=60)
    name = forms.CharField(label=gettext_lazy("资产名称"), max_length=120)
    layer = forms.ChoiceField(label=gettext_lazy("资产层次"), choices=AssetLayer.choices)
    part = forms.ChoiceField(
        label=gettext_lazy("功能部分"),
        required=False,
        help_text=gettext_lazy("系统组件和单元资产须选择；系统资产留空"),
    )
    asset_type = forms.CharField(label=gettext_lazy("资产类型"), max_length=60, required=False)
    business = forms.ModelChoiceField(
        queryset=BusinessAsset.objects.none(), label=gettext_lazy("承载的业务"), required=False
    )
    hostnames = forms.CharField(
        label=gettext_lazy("主机名"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=gettext_lazy("每行一个，或以逗号分隔"),
    )
    ips = forms.CharField(
        label=gettext_lazy("IP 地址"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=gettext_lazy("IPv4 或 IPv6，每行一个；同一系统内不能重复"),
    )
    location = forms.CharField(
        label=gettext_lazy("部署位置"),
        max_length=120,
        required=False,
        help_text=gettext_lazy("机房、网络区域等（其对资产价值的影响在下面的赋值因素中评定）"),
    )
    confidentiality = forms.TypedChoiceField(
        label=gettext_lazy("保密性"), choices=REQUIRED_LEVELS, coerce=int
    )
    integrity = forms.TypedChoiceField(
        label=gettext_lazy("完整性"), choices=REQUIRED_LEVELS, coerce=int
    )
    availability = forms.TypedChoiceField(
        label=gettext_lazy("可用性"), choices=REQUIRED_LEVELS, coerce=int
    )
    value_reason = forms.CharField(
        label=gettext_lazy("赋值理由"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, system: System, **kw: Any) -> None:
        super().__init__(*args, **kw)
        scheme = actions.scheme_for(system)
        self.factor_codes = []
        self.fields["part"].choices = [("", "—"), *actions.part_labels(scheme).items()]
        self.fields["business"].queryset = system.businesses.all()
        for factor in scheme.infosec.asset_valuation.factors:  # type: ignore[union-attr]
            name = f"factor_{factor.code}"
            self.fields[name] = forms.TypedChoiceField(
                label=_("赋值因素：%(f)s") % {"f": factor.label},
                choices=LEVELS,
                coerce=int,
                empty_value=None,
                required=False,
                help_text=_("1–5；不评定则不计入"),
            )
            self.fields[name].widget.attrs["class"] = "form-select"
            self.factor_codes.append(factor.code)
        # the reason last, the hidden version after it
        self.order_fields(
            [
                *(f for f in self.fields if f not in ("value_reason", "version")),
                "value_reason",
                "version",
            ]
        )

    def action_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["factors"] = {c: data.pop(f"factor_{c}", None) for c in self.factor_codes}
        return data


def _asset(request: HttpRequest, pk: int, need: str = "view") -> Asset:
    return access.get_for_user(
        request.user,
        Asset.objects.select_related("system__department", "business"),
        pk,
        need,  # type: ignore[arg-type]
    )


def _asset_form_page(request: HttpRequest, system: System, asset: Asset | None) -> HttpResponse:
    initial: dict[str, Any] = {"layer": AssetLayer.COMPONENT}
    if asset is not None:
        initial = {
            f: getattr(asset, f)
            for f in (
                "code",
                "name",
                "layer",
                "part",
                "asset_type",
                "hostnames",
                "ips",
                "location",
                "confidentiality",
                "integrity",
                "availability",
                "value_reason",
                "version",
            )
        }
        initial["business"] = asset.business_id
        initial |= {f"factor_{c}": v for c, v in (asset.factors or {}).items()}
    form = AssetForm(request.POST or None, initial=initial, system=system)
    list_url = reverse("infosec:assets", args=[system.pk])
    if done := submit(
        request,
        form,
        lambda _d: actions.do_save_asset(request.user, system, asset, **form.action_values()),
        then=lambda a: reverse("infosec:asset", args=[a.pk]),
        success=lambda a: (
            _("已保存；资产价值 %(v)s（%(t)s）")
            % {"v": a.value, "t": a.value_basis.get("text", "")}
        ),
    ):
        return done
    crumbs = [*_crumbs(system), (_("资产"), list_url)]
    if asset is not None:
        crumbs.append((asset.code, reverse("infosec:asset", args=[asset.pk])))
    return form_page(
        request,
        form,
        _("修改资产") if asset else _("登记资产"),
        crumbs,
        reverse("infosec:asset", args=[asset.pk]) if asset else list_url,
        intro=_(
            "资产价值由保密性、完整性、可用性，2.1 所列的赋值因素（资产的使命、本身价值、重要程度、依赖程度、部署位置、影响范围）"
            "和所承载业务的重要性按评估方案计算，保存后显示计算过程。"
        ),
    )


@authenticated
def asset_new(request: HttpRequest, pk: int) -> HttpResponse:
    return _asset_form_page(request, system_for(request.user, pk, "change"), None)


@authenticated
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _asset(request, pk)
    system = asset.system
    scheme = actions.scheme_for(system)
    factors = [
        (f.label, (asset.factors or {}).get(f.code))
        for f in scheme.infosec.asset_valuation.factors  # type: ignore[union-attr]
    ]
    return render(
        request,
        "infosec/assets/detail.html",
        {
            **_asset_context(request, system),
            "asset": asset,
            "part_label": actions.part_labels(scheme).get(asset.part, asset.part),
            "factors": factors,
            "addresses": asset.addresses.order_by("kind", "value"),
        },
    )


@authenticated
def asset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _asset(request, pk, "change")
    return _asset_form_page(request, asset.system, asset)


@authenticated
def asset_delete(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _asset(request, pk, "change")
    system = asset.system
    if request.method == "POST":
        return run_action(
            request,
            lambda: actions.do_remove_asset(request.user, asset),
            then=reverse("infosec:assets", args=[system.pk]),
            success=_("已删除资产“%(a)s”") % {"a": asset},
            back=reverse("infosec:asset", args=[asset.pk]),
        )
    effects = actions.removal_effects(asset)
    consequence = _("删除后不可恢复，删除会记入审计日志。")
    if effects["finished"]:
        consequence = _("该资产已在已办结的风险评估中使用（%(n)s 个风险场景），不能删除。") % {
            "n": effects["finished"]
        }
    elif effects["open"]:
        consequence += _(
            "进行中的评估中该资产的 %(n)s 个风险场景（及其风险决策）将一并删除，需重新计算风险。"
        ) % {"n": effects["open"]}
    if effects["vulnerabilities"]:
        consequence += _("该资产的 %(n)s 个脆弱性将不再关联资产。") % {
            "n": effects["vulnerabilities"]
        }
    return render(
        request,
        "core/confirm.html",
        {
            "title": _("删除资产"),
            "crumbs": [
                *_crumbs(system),
                (_("资产"), reverse("infosec:assets", args=[system.pk])),
                (asset.code, reverse("infosec:asset", args=[asset.pk])),
            ],
            "question": _("确定删除资产“%(a)s”吗？") % {"a": asset},
            "consequence": consequence,
            "cancel_url": reverse("infosec:asset", args=[asset.pk]),
        },
    )


register("system", Tab("overview", _("概况"), "infosec:system", 0))
register("system", Tab("businesses", gettext_lazy("业务资产"), "infosec:businesses", 10))
register("system", Tab("assets", gettext_lazy("资产"), "infosec:assets", 20))

urlpatterns = [
    path("", system_list, name="systems"),
    path("systems/export.xlsx", system_export, name="systems_export"),
    path("systems/new/", system_new, name="system_new"),
    path("systems/<int:pk>/", system_detail, name="system"),
    path("systems/<int:pk>/edit/", system_edit, name="system_edit"),
    path("systems/<int:pk>/businesses/", businesses, name="businesses"),
    path("systems/<int:pk>/businesses/export.xlsx", businesses_export, name="businesses_export"),
    path("systems/<int:pk>/businesses/new/", business_new, name="business_new"),
    path("businesses/<int:pk>/edit/", business_edit, name="business_edit"),
    path("businesses/<int:pk>/delete/", business_delete, name="business_delete"),
    path("systems/<int:pk>/assets/", assets, name="assets"),
    path("systems/<int:pk>/assets/list.xlsx", assets_list_export, name="assets_list_export"),
    path("systems/<int:pk>/assets/export.xlsx", assets_export, name="assets_export"),
    path("systems/<int:pk>/assets/template.xlsx", assets_template, name="assets_template"),
    path("systems/<int:pk>/assets/import/", assets_import, name="assets_import"),
    path("systems/<int:pk>/assets/new/", asset_new, name="asset_new"),
    path("assets/<int:pk>/", asset_detail, name="asset"),
    path("assets/<int:pk>/edit/", asset_edit, name="asset_edit"),
    path("assets/<int:pk>/delete/", asset_delete, name="asset_delete"),
]
