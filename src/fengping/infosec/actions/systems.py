"""Systems and their inventory (篇2 2.1): the system, its business assets and its system
and component assets with their addresses and values.

Every change marks the open assessments of the system stale (`touch_system_inputs`): their
risk scenarios rest on the inventory as it was.

Removing an asset: refused when a finished assessment has risk scenarios on it (removing
it would rewrite that assessment's risk register); allowed while only open assessments
have, and their scenarios on the asset (with any decision on them) go with it — the
confirmation page says how many — and the risk must be computed again.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, save_and_record, snapshot
from fengping.core.concurrency import lock
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import WORK_ROLES, Department
from fengping.schemebook import registry
from fengping.schemes.model import Scheme

from ..models import (
    AddressKind,
    AssessmentStatus,
    Asset,
    AssetAddress,
    AssetLayer,
    BusinessAsset,
    ProtectionLevel,
    Scenario,
    System,
)
from ..valuation import Valuation, value_asset
from .assessments import touch_system_inputs

LABELS = {
    "infosec.system.create": gettext_lazy("登记信息系统"),
    "infosec.system.update": gettext_lazy("修改信息系统"),
    "infosec.business.create": gettext_lazy("登记业务资产"),
    "infosec.business.update": gettext_lazy("修改业务资产"),
    "infosec.business.remove": gettext_lazy("删除业务资产"),
    "infosec.asset.create": gettext_lazy("登记资产"),
    "infosec.asset.update": gettext_lazy("修改资产"),
    "infosec.asset.remove": gettext_lazy("删除资产"),
    "infosec.asset.import": gettext_lazy("导入资产清单"),
}

SYSTEM_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
# A host name: labels of letters, digits and hyphens (RFC 1123), dots between, ≤ 253.
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
ADDRESS_SPLIT = re.compile(r"[\s,，;；、]+")
SYSTEM_FIELDS = ("name", "business", "protection_level", "filing_number", "description")


def scheme_for(system: System) -> Scheme:
    """The scheme the system's inventory is valued by: that of its open assessment (frozen
    when it started), else the active isra scheme."""
    open_one = system.assessments.filter(status=AssessmentStatus.OPEN).first()
    if open_one is not None:
        return open_one.scheme  # type: ignore[no-any-return]
    return registry.get("isra")


def part_labels(scheme: Scheme) -> dict[str, str]:
    return {p.code: p.label for p in scheme.infosec.asset_model.parts}  # type: ignore[union-attr]


# ---------------------------------------------------------------- systems


def _require_department(actor: Any, department: Department) -> None:
    if not access.can_change_under(actor, department.path, WORK_ROLES):
        raise PermissionDenied(_("您在“%(d)s”没有登记信息系统的权限") % {"d": department})


def _system_values(values: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: (values.get(k) or "") for k in ("name", "business", "filing_number", "description")}
    out = {k: str(v).strip() for k, v in out.items()}
    if not out["name"]:
        raise ActionError(_("请填写系统名称"), field="name")
    if len(out["name"]) > 120:
        raise ActionError(_("系统名称不超过 120 字"), field="name")
    if len(out["filing_number"]) > 60:
        raise ActionError(_("备案编号不超过 60 字"), field="filing_number")
    try:
        level = int(values.get("protection_level") or 0)
    except (TypeError, ValueError):
        level = 0
    if level not in ProtectionLevel.values:
        raise ActionError(_("等级保护级别须为第一级至第五级"), field="protection_level")
    out["protection_level"] = level
    return out


@transaction.atomic
def do_create_system(actor: Any, *, department: Department, code: str, **values: Any) -> System:
    _require_department(actor, department)
    code = (code or "").strip()
    if not SYSTEM_CODE.match(code):
        raise ActionError(
            _("系统编号只能由字母、数字、“-”或“_”组成，不超过 40 个字符"), field="code"
        )
    if System.objects.filter(code__iexact=code).exists():
        raise ActionError(_("系统编号“%(c)s”已被使用") % {"c": code}, field="code")
    system = System.objects.create(
        department=department, code=code, created_by=actor, **_system_values(values)
    )
    record(
        actor,
        "infosec.system.create",
        system,
        after=snapshot(system, System.audit_fields),
    )
    return system


@transaction.atomic
def do_update_system(
    actor: Any, system: System, *, version: int | None = None, **values: Any
) -> System:
    access.require(actor, system, "change")
    s = lock(system, version, related=("department",))
    before = snapshot(s, System.audit_fields)
    for key, value in _system_values(values).items():
        setattr(s, key, value)
    if "is_active" in values and values["is_active"] is not None:
        s.is_active = bool(values["is_active"])
    save_and_record(actor, "infosec.system.update", s, before=before)
    touch_system_inputs(s)
    return s


# ---------------------------------------------------------------- business assets


def _level(value: Any, field: str, label: str) -> int:
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = 0
    if level not in range(1, 6):
        raise ActionError(_("%(f)s须为 1–5") % {"f": label}, field=field)
    return level


def _revalue(system: System, assets: Iterable[Asset], scheme: Scheme | None = None) -> int:
    """Value again the assets whose business changed; returns how many values changed."""
    scheme = scheme or scheme_for(system)
    changed = []
    for asset in assets:
        v = valuate(scheme, asset, asset.business)
        if v.value != asset.value or v.basis != asset.value_basis:
            asset.value, asset.value_basis = v.value, v.basis
            asset.version += 1
            changed.append(asset)
    Asset.objects.bulk_update(changed, ["value", "value_basis", "version"])
    return len(changed)


@transaction.atomic
def do_save_business(
    actor: Any,
    system: System,
    business: BusinessAsset | None = None,
    *,
    version: int | None = None,
    code: str,
    name: str,
    importance: Any,
    description: str = "",
    linked: Iterable[BusinessAsset | int] = (),
) -> BusinessAsset:
    access.require(actor, system, "change")
    system = lock(system, related=("department",))
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 60 or re.search(r"\s", code):
        raise ActionError(_("请填写业务编号（不含空格，不超过 60 字）"), field="code")
    if not name or len(name) > 120:
        raise ActionError(_("请填写业务名称（不超过 120 字）"), field="name")
    importance = _level(importance, "importance", _("业务重要性"))
    if business is not None:
        if business.system_id != system.pk:
            raise ActionError(_("该业务不属于此系统"))
        business = lock(business, version)
    clash = system.businesses.filter(code=code)
    if business is not None:
        clash = clash.exclude(pk=business.pk)
    if clash.exists():
        raise ActionError(_("业务编号“%(c)s”已被使用") % {"c": code}, field="code")
    ids = {x.pk if isinstance(x, BusinessAsset) else int(x) for x in linked}
    links = list(system.businesses.filter(pk__in=ids))
    if len(links) != len(ids):
        raise ActionError(_("关联业务只能是本系统的业务"), field="linked")
    if business is not None and business.pk in ids:
        raise ActionError(_("业务不能关联自身"), field="linked")
    if business is None:
        business = BusinessAsset.objects.create(
            system=system, code=code, name=name, importance=importance, description=description
        )
        business.linked.set(links)
        record(
            actor,
            "infosec.business.create",
            business,
            after={**snapshot(business, BusinessAsset.audit_fields), "linked": sorted(ids)},
        )
    else:
        before = {
            **snapshot(business, BusinessAsset.audit_fields),
            "linked": sorted(business.linked.values_list("pk", flat=True)),
        }
        old_importance = business.importance
        business.code, business.name = code, name
        business.importance, business.description = importance, description
        business.linked.set(links)
        save_and_record(
            actor,
            "infosec.business.update",
            business,
            before=before,
            audit_fields=BusinessAsset.audit_fields,
        )
        if old_importance != importance:
            _revalue(system, business.assets.select_related("business"))
    touch_system_inputs(system)
    return business


@transaction.atomic
def do_remove_business(actor: Any, business: BusinessAsset, *, version: int | None = None) -> None:
    access.require(actor, business, "change")
    b = lock(business, version, related=("system__department",))
    carried = list(b.assets.all())
    before = snapshot(b, BusinessAsset.audit_fields)
    record(
        actor,
        "infosec.business.remove",
        b,
        before=before,
        after={"assets": [a.code for a in carried]},
    )
    b.delete()
    for asset in carried:
        asset.business = None
    _revalue(b.system, carried)
    touch_system_inputs(b.system)


# ---------------------------------------------------------------- assets


@dataclass(frozen=True)
class Addresses:
    ips: list[str]
    hosts: list[str]

    def all(self) -> list[tuple[str, str]]:
        return [(AddressKind.IP, a) for a in self.ips] + [(AddressKind.HOST, h) for h in self.hosts]


def parse_ips(text: str) -> list[str]:
    """IPv4/IPv6 addresses separated by spaces, new lines, commas or 、; normalised."""
    out: list[str] = []
    for token in ADDRESS_SPLIT.split(text or ""):
        if not token:
            continue
        try:
            address = str(ipaddress.ip_address(token)).lower()
        except ValueError:
            raise ActionError(_("“%(a)s”不是有效的 IP 地址") % {"a": token}, field="ips") from None
        if address not in out:
            out.append(address)
    return out


def parse_hostnames(text: str) -> list[str]:
    out: list[str] = []
    for token in ADDRESS_SPLIT.split(text or ""):
        if not token:
            continue
        name = token.lower().rstrip(".")
        try:
            ipaddress.ip_address(name)
        except ValueError:
            pass
        else:
            raise ActionError(
                _("“%(a)s”是 IP 地址，请填在“IP 地址”中") % {"a": token}, field="hostnames"
            )
        if len(name) > 253 or not all(HOST_LABEL.match(p) for p in name.split(".")):
            raise ActionError(_("“%(a)s”不是有效的主机名") % {"a": token}, field="hostnames")
        if name not in out:
            out.append(name)
    return out


def parse_factors(scheme: Scheme, factors: Mapping[str, Any] | None) -> dict[str, int]:
    known = {f.code: f.label for f in scheme.infosec.asset_valuation.factors}  # type: ignore[union-attr]
    out: dict[str, int] = {}
    for code, value in (factors or {}).items():
        if value in (None, ""):
            continue
        if code not in known:
            raise ActionError(_("未知的赋值因素“%(c)s”") % {"c": code}, field="factors")
        out[code] = _level(value, f"factor_{code}", known[code])
    return out


def valuate(scheme: Scheme, asset: Asset, business: BusinessAsset | None) -> Valuation:
    return value_asset(
        scheme,
        confidentiality=asset.confidentiality,
        integrity=asset.integrity,
        availability=asset.availability,
        factors=asset.factors or {},
        business_importance=business.importance if business is not None else None,
    )


def check_layer_part(scheme: Scheme, layer: str, part: str) -> tuple[str, str]:
    if layer not in AssetLayer.values:
        raise ActionError(_("资产层次须为“系统资产”或“系统组件和单元资产”"), field="layer")
    part = (part or "").strip()
    parts = part_labels(scheme)
    if layer == AssetLayer.SYSTEM:
        if part:
            raise ActionError(_("系统资产不分功能部分，请留空"), field="part")
    elif part not in parts:
        raise ActionError(
            _("系统组件须属于一个功能部分：%(all)s") % {"all": "、".join(parts.values())},
            field="part",
        )
    return layer, part


def address_owners(system: System, values: Iterable[str], exclude: int | None) -> dict[str, str]:
    """value -> "code name" of the other asset of the system already holding it."""
    qs = AssetAddress.objects.filter(system=system, value__in=list(values)).select_related("asset")
    if exclude is not None:
        qs = qs.exclude(asset_id=exclude)
    return {a.value: str(a.asset) for a in qs}


def sync_addresses(asset: Asset, addresses: Addresses) -> None:
    wanted = dict((v, k) for k, v in addresses.all())
    current = {a.value: a for a in asset.addresses.all()}
    stale = [a.pk for v, a in current.items() if v not in wanted or a.kind != wanted[v]]
    if stale:
        AssetAddress.objects.filter(pk__in=stale).delete()
    AssetAddress.objects.bulk_create(
        [
            AssetAddress(system_id=asset.system_id, asset=asset, kind=k, value=v)
            for v, k in wanted.items()
            if v not in current or current[v].pk in stale
        ]
    )


@transaction.atomic
def do_save_asset(
    actor: Any,
    system: System,
    asset: Asset | None = None,
    *,
    version: int | None = None,
    code: str,
    name: str,
    layer: str = AssetLayer.COMPONENT,
    part: str = "",
    asset_type: str = "",
    hostnames: str = "",
    ips: str = "",
    location: str = "",
    confidentiality: Any,
    integrity: Any,
    availability: Any,
    factors: Mapping[str, Any] | None = None,
    value_reason: str = "",
    business: BusinessAsset | int | None = None,
) -> Asset:
    """Create (asset None) or update an asset; its value is computed by the scheme."""
    access.require(actor, system, "change")
    system = lock(system, related=("department",))
    if asset is not None:
        if asset.system_id != system.pk:
            raise ActionError(_("该资产不属于此系统"))
        asset = lock(asset, version)
    scheme = scheme_for(system)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 60 or re.search(r"\s", code):
        raise ActionError(_("请填写资产编号（不含空格，不超过 60 字）"), field="code")
    if not name or len(name) > 120:
        raise ActionError(_("请填写资产名称（不超过 120 字）"), field="name")
    layer, part = check_layer_part(scheme, layer, part)
    clash = system.assets.filter(code=code)
    if asset is not None:
        clash = clash.exclude(pk=asset.pk)
    if clash.exists():
        raise ActionError(_("资产编号“%(c)s”已被使用") % {"c": code}, field="code")
    addresses = Addresses(parse_ips(ips), parse_hostnames(hostnames))
    owners = address_owners(
        system, [v for _k, v in addresses.all()], asset.pk if asset is not None else None
    )
    if owners:
        value, owner = next(iter(owners.items()))
        field = "ips" if value in addresses.ips else "hostnames"
        raise ActionError(
            _("“%(a)s”已登记在资产“%(o)s”上，同一系统内地址不能重复") % {"a": value, "o": owner},
            field=field,
        )
    carried: BusinessAsset | None = None
    if business is not None:
        carried = (
            business
            if isinstance(business, BusinessAsset)
            else system.businesses.filter(pk=business).first()
        )
        if carried is None or carried.system_id != system.pk:
            raise ActionError(_("承载的业务只能是本系统的业务"), field="business")
    fields = {
        "code": code,
        "name": name,
        "layer": layer,
        "part": part,
        "asset_type": (asset_type or "").strip()[:60],
        "hostnames": "\n".join(addresses.hosts),
        "ips": "\n".join(addresses.ips),
        "location": (location or "").strip()[:120],
        "confidentiality": _level(confidentiality, "confidentiality", _("保密性")),
        "integrity": _level(integrity, "integrity", _("完整性")),
        "availability": _level(availability, "availability", _("可用性")),
        "factors": parse_factors(scheme, factors),
        "value_reason": (value_reason or "").strip(),
        "business": carried,
    }
    if asset is None:
        asset = Asset(system=system, value=1, **fields)
        before = None
    else:
        before = snapshot(asset, Asset.audit_fields)
        for key, new in fields.items():
            setattr(asset, key, new)
    v = valuate(scheme, asset, carried)
    asset.value, asset.value_basis = v.value, v.basis
    if before is None:
        asset.save()
        record(actor, "infosec.asset.create", asset, after=snapshot(asset, Asset.audit_fields))
    else:
        save_and_record(actor, "infosec.asset.update", asset, before=before)
    sync_addresses(asset, addresses)
    touch_system_inputs(system)
    return asset


def removal_effects(asset: Asset) -> dict[str, int]:
    """What removing the asset takes with it: scenarios of open and finished assessments."""
    scenarios = Scenario.objects.filter(asset=asset)
    return {
        "open": scenarios.filter(assessment__status=AssessmentStatus.OPEN).count(),
        "finished": scenarios.exclude(assessment__status=AssessmentStatus.OPEN).count(),
        "vulnerabilities": asset.vulnerabilities.count(),
    }


@transaction.atomic
def do_remove_asset(actor: Any, asset: Asset, *, version: int | None = None) -> None:
    access.require(actor, asset, "change")
    a = lock(asset, version, related=("system__department",))
    effects = removal_effects(a)
    if effects["finished"]:
        raise ActionError(
            _(
                "资产“%(a)s”已在已办结的风险评估中使用（%(n)s 个风险场景），删除会改变其风险登记，不能删除"
            )
            % {"a": a, "n": effects["finished"]}
        )
    record(
        actor,
        "infosec.asset.remove",
        a,
        before=snapshot(a, Asset.audit_fields),
        after={
            "scenarios_removed": effects["open"],
            "vulnerabilities_unlinked": effects["vulnerabilities"],
        },
    )
    system = a.system
    a.delete()
    touch_system_inputs(system)
