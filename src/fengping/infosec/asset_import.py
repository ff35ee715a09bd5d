"""A system's asset list as XLSX (or CSV of the first sheet), imported all or nothing, and
the export in exactly the import format: export, edit in Excel, import again — only the
rows that changed change.

Sheet 资产: one row per asset; 资产编号 is the key a row is matched on (a new code creates
an asset, a known one updates it when anything differs, else it is left alone). Sheet 业务
(optional): the business assets, matched on 业务编号. An asset missing from the file is
kept (the import never deletes).

Refused, each naming its row: an asset or business code twice in the file; an IP address
or host name twice in the file, or held by another asset of the system that the file does
not list; a layer, part, rating or factor outside the scheme; a business code that neither
the system nor the file's 业务 sheet has. The import writes one `infosec.asset.import`
event with its counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record
from fengping.core.errors import ActionError
from fengping.core.imports import (
    CleanRow,
    Column,
    Importer,
    RowError,
    RowInvalid,
    Sheet,
    integer,
    run_import,
    run_import_job,
    text,
)
from fengping.core.models import ImportRecord, ImportStatus
from fengping.core.xlsx import write_workbook
from fengping.org import access

from .actions.assessments import touch_system_inputs
from .actions.systems import (
    Addresses,
    check_layer_part,
    parse_factors,
    parse_hostnames,
    parse_ips,
    part_labels,
    scheme_for,
    valuate,
)
from .models import Asset, AssetAddress, AssetLayer, BusinessAsset, System

ASSET_SHEET = "资产"
BUSINESS_SHEET = "业务"
FACTOR_PREFIX = "因素："
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LIST_SPLIT = re.compile(r"[\s,，;；、]+")

# Columns as the file names them (errors name them too) and the action's field names.
FIELD_COLUMNS = {
    "code": "资产编号",
    "name": "资产名称",
    "layer": "资产层次",
    "part": "功能部分",
    "asset_type": "资产类型",
    "business": "承载业务编号",
    "hostnames": "主机名",
    "ips": "IP 地址",
    "location": "部署位置",
    "confidentiality": "保密性",
    "integrity": "完整性",
    "availability": "可用性",
    "value_reason": "赋值理由",
}
# What an update compares: a row whose values all equal the stored ones is unchanged.
COMPARED = (
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
    "factors",
    "value_reason",
    "business_id",
    "value",
    "value_basis",
)


def cell_text(value: Any) -> str:
    """A cell as text, undoing the apostrophe the export puts before text that a
    spreadsheet would run as a formula (core.xlsx.safe_cell)."""
    raw = text(value)
    if raw.startswith("'") and raw[1:].startswith(_FORMULA_START):
        return raw[1:]
    return raw


def _layer(value: Any) -> str:
    raw = cell_text(value)
    for code, label in AssetLayer.choices:
        if raw in (code, str(label)):
            return str(code)
    raise ValueError(
        _("须为“%(a)s”或“%(b)s”") % {"a": AssetLayer.SYSTEM.label, "b": AssetLayer.COMPONENT.label}
    )


class AssetImporter(Importer):
    title = gettext_lazy("资产清单")
    action = "infosec.asset.import"
    recorder = staticmethod(record)
    formats = ("xlsx", "csv")
    # The workbook names its sheets (the export and the template do); a CSV is the 资产 sheet.
    first_sheet_fallback = False
    max_rows = 20_000
    writes = (Asset, AssetAddress, BusinessAsset)

    def __init__(self, system: System) -> None:
        self.system = system
        self.scheme = scheme_for(system)
        self.parts = part_labels(self.scheme)
        self.factors = [(f.code, f.label) for f in self.scheme.infosec.asset_valuation.factors]  # type: ignore[union-attr]
        self.template_filename = f"fengping-assets-{system.code}.xlsx"
        self.sheets = self._sheets()

    @classmethod
    def for_record(cls, record: ImportRecord) -> AssetImporter:
        return cls(System.objects.select_related("department").get(pk=record.target_id))

    def _part(self, value: Any) -> str:
        raw = cell_text(value)
        for code, label in self.parts.items():
            if raw in (code, label):
                return code
        raise ValueError(_("须为以下之一：%(all)s") % {"all": "、".join(self.parts.values())})

    def _sheets(self) -> tuple[Sheet, ...]:
        level = integer(1, 5)
        parts = "、".join(self.parts.values())
        asset_columns = [
            Column(
                "资产编号",
                _("本系统内唯一；再次导入时按它对应到已有资产"),
                True,
                cell_text,
                "code",
                "OA-DB01",
            ),
            Column("资产名称", _("必填"), True, cell_text, "name", "DB2数据库服务器"),
            Column(
                "资产层次",
                _("系统资产 或 系统组件和单元资产；留空为系统组件和单元资产"),
                False,
                _layer,
                "layer",
                str(AssetLayer.COMPONENT.label),
            ),
            Column(
                "功能部分",
                _("系统组件须填：%(p)s；系统资产留空") % {"p": parts},
                False,
                self._part,
                "part",
                self.parts.get("data_storage", ""),
            ),
            Column(
                "资产类型",
                _("如 服务器、数据库、中间件、终端"),
                False,
                cell_text,
                "asset_type",
                "数据库服务器",
            ),
            Column(
                "承载业务编号",
                _("本系统业务资产的编号（可在“业务”表中一并导入）"),
                False,
                cell_text,
                "business",
                "GWLZ",
            ),
            Column(
                "主机名",
                _("可填多个，以换行、逗号或顿号分隔"),
                False,
                cell_text,
                "hostnames",
                "oa-db01",
            ),
            Column(
                "IP 地址",
                _("IPv4 或 IPv6，可填多个；同一系统内不能重复"),
                False,
                cell_text,
                "ips",
                "10.10.1.40",
            ),
            Column(
                "部署位置", _("机房、网络区域等"), False, cell_text, "location", "核心机房 数据区"
            ),
            Column("保密性", _("1–5"), True, level, "confidentiality", 4),
            Column("完整性", _("1–5"), True, level, "integrity", 4),
            Column("可用性", _("1–5"), True, level, "availability", 4),
            *(
                Column(
                    f"{FACTOR_PREFIX}{label}",
                    _("1–5，可留空（不计入）"),
                    False,
                    level,
                    f"factor_{code}",
                )
                for code, label in self.factors
            ),
            Column("赋值理由", _("资产价值的赋值理由"), False, cell_text, "value_reason", ""),
            Column(
                "资产价值",
                _("导出时为按方案计算的结果；导入时忽略，由系统重新计算"),
                False,
                cell_text,
                "ignored_value",
            ),
        ]
        business_columns = (
            Column("业务编号", _("本系统内唯一"), True, cell_text, "code", "GWLZ"),
            Column("业务名称", _("必填"), True, cell_text, "name", "公文流转"),
            Column("业务重要性", _("1–5"), True, level, "importance", 5),
            Column(
                "关联业务编号",
                _("本系统其他业务的编号，以顿号或逗号分隔"),
                False,
                cell_text,
                "linked",
                "",
            ),
            Column("说明", "", False, cell_text, "description", ""),
        )
        return (
            Sheet(ASSET_SHEET, tuple(asset_columns)),
            Sheet(BUSINESS_SHEET, business_columns, required=False),
        )

    # ------------------------------------------------------------ checks

    def authorize(self, actor: Any) -> None:
        access.require(actor, self.system, "change")

    def scope_path(self, actor: Any) -> str:
        return str(self.system.department.path)

    def target_id(self) -> int | None:
        return self.system.pk

    def audit_extra(self) -> dict[str, Any]:
        return {"system": self.system.code}

    def start(self, actor: Any) -> None:
        self.businesses = {b.code: b for b in self.system.businesses.all()}
        self.owner_of: dict[str, str] = dict(
            AssetAddress.objects.filter(system=self.system).values_list("value", "asset__code")
        )
        self.asset_rows: dict[str, int] = {}  # code -> row number
        self.address_rows: dict[str, tuple[int, str]] = {}  # address -> (row, code)
        self.business_rows: dict[str, int] = {}
        self.pending_addresses: list[tuple[int, str, str]] = []  # (row, address, owner code)
        self.pending_businesses: list[tuple[int, str]] = []  # (row, business code)

    def clean(self, sheet: Sheet, number: int, values: dict[str, Any]) -> dict[str, Any]:
        if sheet.name == BUSINESS_SHEET:
            return self._clean_business(number, values)
        return self._clean_asset(number, values)

    def _clean_business(self, number: int, values: dict[str, Any]) -> dict[str, Any]:
        code = values["code"]
        if re.search(r"\s", code) or len(code) > 60:
            raise RowInvalid(("业务编号", _("不含空格，不超过 60 字")))
        if code in self.business_rows:
            raise RowInvalid(("业务编号", _("与第 %(n)s 行重复") % {"n": self.business_rows[code]}))
        self.business_rows[code] = number
        linked = [c for c in LIST_SPLIT.split(values.get("linked") or "") if c]
        if code in linked:
            raise RowInvalid(("关联业务编号", _("业务不能关联自身")))
        return {
            "kind": "business",
            "code": code,
            "name": values["name"][:120],
            "importance": values["importance"],
            "description": values.get("description") or "",
            "linked": linked,
        }

    def _clean_asset(self, number: int, values: dict[str, Any]) -> dict[str, Any]:
        problems: list[tuple[str, str]] = []
        code = values["code"]
        if re.search(r"\s", code) or len(code) > 60:
            problems.append(("资产编号", _("不含空格，不超过 60 字")))
        elif code in self.asset_rows:
            problems.append(("资产编号", _("与第 %(n)s 行重复") % {"n": self.asset_rows[code]}))
        else:
            self.asset_rows[code] = number
        if len(values["name"]) > 120:
            problems.append(("资产名称", _("不超过 120 字")))
        layer = values.get("layer") or AssetLayer.COMPONENT
        part = values.get("part") or ""
        try:
            check_layer_part(self.scheme, layer, part)
        except ActionError as exc:
            problems.append((FIELD_COLUMNS.get(exc.field or "", "功能部分"), exc.message))
        ips: list[str] = []
        hosts: list[str] = []
        try:
            ips = parse_ips(values.get("ips") or "")
        except ActionError as exc:
            problems.append(("IP 地址", exc.message))
        try:
            hosts = parse_hostnames(values.get("hostnames") or "")
        except ActionError as exc:
            problems.append(("主机名", exc.message))
        for column, group in (("IP 地址", ips), ("主机名", hosts)):
            for address in group:
                seen = self.address_rows.get(address)
                if seen is not None and seen[1] != code:
                    problems.append(
                        (column, _("“%(a)s”与第 %(n)s 行重复") % {"a": address, "n": seen[0]})
                    )
                    continue
                self.address_rows[address] = (number, code)
                owner = self.owner_of.get(address)
                if owner is not None and owner != code:
                    if owner in self.asset_rows:
                        continue  # that asset is in the file above, without this address
                    self.pending_addresses.append((number, address, owner))
        business = values.get("business") or ""
        if business and business not in self.businesses:
            self.pending_businesses.append((number, business))
        factors = {c: values.get(f"factor_{c}") for c, _label in self.factors}
        if problems:
            raise RowInvalid(*problems)
        return {
            "kind": "asset",
            "code": code,
            "name": values["name"],
            "layer": layer,
            "part": part,
            "asset_type": (values.get("asset_type") or "")[:60],
            "business": business,
            "hostnames": "\n".join(hosts),
            "ips": "\n".join(ips),
            "location": (values.get("location") or "")[:120],
            "confidentiality": values["confidentiality"],
            "integrity": values["integrity"],
            "availability": values["availability"],
            "factors": {c: v for c, v in factors.items() if v is not None},
            "value_reason": values.get("value_reason") or "",
        }

    def _late_problems(self) -> list[str]:
        """What only the whole file can tell: addresses held by assets the file does not
        list, and business codes neither the system nor the 业务 sheet has."""
        problems = [
            _(
                "“%(s)s”第 %(n)s 行：“%(a)s”已登记在资产“%(o)s”上（该资产不在本文件中），同一系统内地址不能重复"
            )
            % {"s": ASSET_SHEET, "n": n, "a": address, "o": owner}
            for n, address, owner in self.pending_addresses
            if owner not in self.asset_rows
        ]
        problems += [
            _("“%(s)s”第 %(n)s 行：本系统没有编号为“%(c)s”的业务（也不在“业务”表中）")
            % {"s": ASSET_SHEET, "n": n, "c": code}
            for n, code in self.pending_businesses
            if code not in self.business_rows
        ]
        return problems

    # ------------------------------------------------------------ writing

    def commit(self, actor: Any, rows: Iterable[CleanRow]) -> dict[str, int]:
        problems = self._late_problems()
        asset_rows: list[dict[str, Any]] = []
        business_rows: list[dict[str, Any]] = []
        for row in rows:
            (business_rows if row.data["kind"] == "business" else asset_rows).append(row.data)
        known = set(self.businesses) | {r["code"] for r in business_rows}
        for r in business_rows:
            for code in r["linked"]:
                if code not in known:
                    problems.append(
                        _("“%(s)s”业务“%(b)s”：关联业务“%(c)s”不存在")
                        % {"s": BUSINESS_SHEET, "b": r["code"], "c": code}
                    )
        if problems:
            raise ActionError("；".join(problems[:20]))
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        changed_businesses = self._commit_businesses(business_rows, counts)
        counts.update(self._commit_assets(asset_rows, changed_businesses))
        if (
            counts["created"]
            or counts["updated"]
            or counts.get("businesses_created")
            or counts.get("businesses_updated")
        ):
            touch_system_inputs(self.system)
        return counts

    def _commit_businesses(self, rows: list[dict[str, Any]], counts: dict[str, int]) -> set[int]:
        """Create and update the 业务 sheet's businesses; returns the ids whose importance
        changed (their assets are valued again)."""
        if not rows:
            return set()
        existing = self.businesses
        new = [
            BusinessAsset(
                system=self.system,
                code=r["code"],
                name=r["name"],
                importance=r["importance"],
                description=r["description"],
            )
            for r in rows
            if r["code"] not in existing
        ]
        BusinessAsset.objects.bulk_create(new)
        changed: list[BusinessAsset] = []
        revalue: set[int] = set()
        for r in rows:
            b = existing.get(r["code"])
            if b is None:
                continue
            if (b.name, b.importance, b.description) != (
                r["name"],
                r["importance"],
                r["description"],
            ):
                if b.importance != r["importance"]:
                    revalue.add(b.pk)
                b.name, b.importance, b.description = r["name"], r["importance"], r["description"]
                b.version += 1
                changed.append(b)
        BusinessAsset.objects.bulk_update(changed, ["name", "importance", "description", "version"])
        by_code = {b.code: b for b in self.system.businesses.all()}
        self.businesses = by_code
        through = BusinessAsset.linked.through
        current: dict[int, set[int]] = {}
        for f, t in through.objects.filter(from_businessasset__system=self.system).values_list(
            "from_businessasset_id", "to_businessasset_id"
        ):
            current.setdefault(f, set()).add(t)
        relinked = 0
        for r in rows:
            b = by_code[r["code"]]
            wanted = {by_code[c].pk for c in r["linked"]}
            if wanted != current.get(b.pk, set()):
                through.objects.filter(from_businessasset=b).delete()
                through.objects.bulk_create(
                    [through(from_businessasset_id=b.pk, to_businessasset_id=t) for t in wanted]
                )
                relinked += 1
        counts["businesses_created"] = len(new)
        counts["businesses_updated"] = len(changed)
        counts["businesses_relinked"] = relinked
        return revalue

    def _commit_assets(self, rows: list[dict[str, Any]], revalue: set[int]) -> dict[str, int]:
        existing = {a.code: a for a in self.system.assets.select_related("business").order_by("pk")}
        created: list[Asset] = []
        updated: list[Asset] = []
        unchanged = 0
        readdress: list[tuple[Asset, Addresses]] = []
        in_file: set[str] = set()
        for r in rows:
            in_file.add(r["code"])
            business = self.businesses.get(r["business"]) if r["business"] else None
            values = {
                "name": r["name"],
                "layer": r["layer"],
                "part": r["part"],
                "asset_type": r["asset_type"],
                "hostnames": r["hostnames"],
                "ips": r["ips"],
                "location": r["location"],
                "confidentiality": r["confidentiality"],
                "integrity": r["integrity"],
                "availability": r["availability"],
                "factors": parse_factors(self.scheme, r["factors"]),
                "value_reason": r["value_reason"],
                "business": business,
            }
            addresses = Addresses(
                [a for a in r["ips"].split("\n") if a], [h for h in r["hostnames"].split("\n") if h]
            )
            asset = existing.get(r["code"])
            if asset is None:
                asset = Asset(system=self.system, code=r["code"], value=1, **values)
                v = valuate(self.scheme, asset, business)
                asset.value, asset.value_basis = v.value, v.basis
                created.append(asset)
                readdress.append((asset, addresses))
                continue
            before = tuple(getattr(asset, f) for f in COMPARED)
            old_addresses = (asset.ips, asset.hostnames)
            for key, value in values.items():
                setattr(asset, key, value)
            v = valuate(self.scheme, asset, business)
            asset.value, asset.value_basis = v.value, v.basis
            if tuple(getattr(asset, f) for f in COMPARED) == before:
                unchanged += 1
                continue
            asset.version += 1
            updated.append(asset)
            if old_addresses != (asset.ips, asset.hostnames):
                readdress.append((asset, addresses))
        Asset.objects.bulk_create(created, batch_size=500)
        Asset.objects.bulk_update(
            updated,
            [
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
                "factors",
                "value_reason",
                "business",
                "value",
                "value_basis",
                "version",
            ],
            batch_size=500,
        )
        AssetAddress.objects.filter(asset__in=[a for a, _x in readdress if a.pk]).delete()
        AssetAddress.objects.bulk_create(
            [
                AssetAddress(system=self.system, asset=a, kind=kind, value=value)
                for a, addresses in readdress
                for kind, value in addresses.all()
            ],
            batch_size=1000,
        )
        # Assets not in the file whose business's importance the 业务 sheet changed.
        revalued = 0
        if revalue:
            others = [
                a
                for code, a in existing.items()
                if code not in in_file and a.business_id in revalue
            ]
            for a in others:
                a.business = self.businesses_by_pk().get(a.business_id)
                v = valuate(self.scheme, a, a.business)
                if v.value != a.value or v.basis != a.value_basis:
                    a.value, a.value_basis = v.value, v.basis
                    a.version += 1
                    revalued += 1
            Asset.objects.bulk_update(others, ["value", "value_basis", "version"])
        counts = {"created": len(created), "updated": len(updated), "unchanged": unchanged}
        if revalued:
            counts["revalued"] = revalued
        return counts

    def businesses_by_pk(self) -> dict[int, BusinessAsset]:
        return {b.pk: b for b in self.businesses.values()}

    @classmethod
    def summary(cls, counts: dict[str, int]) -> str:
        text = _("资产：新增 %(c)s 项，更新 %(u)s 项，未变 %(n)s 项") % {
            "c": counts.get("created", 0),
            "u": counts.get("updated", 0),
            "n": counts.get("unchanged", 0),
        }
        if counts.get("revalued"):
            text += _("；因业务重要性变化重新赋值 %(r)s 项") % {"r": counts["revalued"]}
        if any(
            counts.get(k)
            for k in ("businesses_created", "businesses_updated", "businesses_relinked")
        ):
            text += _("；业务：新增 %(c)s 项，更新 %(u)s 项，调整关联 %(l)s 项") % {
                "c": counts.get("businesses_created", 0),
                "u": counts.get("businesses_updated", 0),
                "l": counts.get("businesses_relinked", 0),
            }
        return text

    # ------------------------------------------------------------ export

    def export_workbook(self) -> bytes:
        """The system's assets and businesses in exactly the import format."""
        asset_header = [c.name for c in self.sheets[0].columns]
        business_header = [c.name for c in self.sheets[1].columns]
        layers = dict(AssetLayer.choices)

        def asset_rows() -> Iterable[list[Any]]:
            qs = self.system.assets.select_related("business").order_by("code")
            for a in qs.iterator(chunk_size=1000):
                yield [
                    a.code,
                    a.name,
                    str(layers.get(a.layer, a.layer)),
                    self.parts.get(a.part, a.part),
                    a.asset_type,
                    a.business.code if a.business else "",
                    a.hostnames,
                    a.ips,
                    a.location,
                    a.confidentiality,
                    a.integrity,
                    a.availability,
                    *((a.factors or {}).get(code) for code, _label in self.factors),
                    a.value_reason,
                    a.value,
                ]

        def business_rows() -> Iterable[list[Any]]:
            for b in self.system.businesses.prefetch_related("linked").order_by("code"):
                yield [
                    b.code,
                    b.name,
                    b.importance,
                    "、".join(sorted(x.code for x in b.linked.all())),
                    b.description,
                ]

        return write_workbook(
            [
                (ASSET_SHEET, asset_header, asset_rows()),
                (BUSINESS_SHEET, business_header, business_rows()),
            ]
        )


def import_assets(actor: Any, system: System, upload: Any) -> ImportRecord:
    """Import an uploaded asset list into the system (see AssetImporter)."""
    return run_import(actor, AssetImporter(system), upload)


def cli_import(user: Any, system: System, path: Path) -> str:
    """`fengping infosec import-assets`: the same import; one summary line, or ActionError
    with the reasons when refused. A large file runs here too, not in the worker."""
    path = Path(path)
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    importer = AssetImporter(system)
    result = run_import(user, importer, upload)
    if result.background:
        run_import_job.call(result.pk)
        result.refresh_from_db()
    if result.status != ImportStatus.DONE:
        errors = [str(RowError(**e)) for e in (result.errors or [])]
        text = _("导入被拒绝，未写入任何数据：") + "；".join(errors[:20])
        more = result.error_count - min(len(errors), 20)
        if more > 0:
            text += _("（另有 %(n)s 处错误）") % {"n": more}
        raise ActionError(text)
    return AssetImporter.summary(result.counts)
