"""Vulnerabilities of a system (篇2 2.3): scanner reports imported, statuses set by hand
(误报 / 接受风险 with a reason, closed, reopened), manual audit findings, unmatched scan
hosts mapped to assets. Each writes one audit event; a scan import writes ONE for the
whole import, with its counts."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, save_and_record, snapshot
from fengping.core.concurrency import lock
from fengping.core.errors import ActionError
from fengping.core.imports import run_document_import
from fengping.org import access
from fengping.org.models import Role

from ..models import (
    AddressKind,
    Aspect,
    Asset,
    AssetAddress,
    ScanImport,
    System,
    Vulnerability,
    VulnSource,
    VulnStatus,
)
from ..residual import refresh_for_vulnerabilities
from .assessments import touch_system_inputs

LABELS = {
    "infosec.scan.import": gettext_lazy("导入扫描报告"),
    "infosec.scan.map_host": gettext_lazy("将扫描主机对应到资产"),
    "infosec.vulnerability.status": gettext_lazy("变更脆弱性状态"),
    "infosec.vulnerability.audit": gettext_lazy("登记人工审计发现的脆弱性"),
}
REASON_NEEDED = (VulnStatus.FALSE_POSITIVE, VulnStatus.ACCEPTED, VulnStatus.CLOSED)


def do_import_scan(actor: Any, system: System, upload: Any) -> ScanImport:
    """Import a scanner report (Nessus, OpenVAS/GVM XML, CSV) into the system: all or
    nothing; refusals raise ActionError naming the place."""
    from ..scan_import import ScanImporter

    importer = ScanImporter(system)
    run_document_import(actor, importer, upload)
    assert importer.scan is not None
    return importer.scan


# Who may take a 高危/超危 finding out of the register by hand.
APPROVER_ROLES = frozenset({Role.LEADER, Role.HEAD})


@transaction.atomic
def do_set_vulnerability_status(
    actor: Any,
    vulnerability: Vulnerability,
    status: str,
    note: str = "",
    version: int | None = None,
) -> Vulnerability:
    access.require(actor, vulnerability, "change")
    v = lock(vulnerability, version, related=("system__department",))
    if status not in VulnStatus.values:
        raise ActionError(_("状态“%(s)s”无效") % {"s": status}, field="status")
    if status == v.status:
        raise ActionError(
            _("该脆弱性已是“%(s)s”状态") % {"s": v.get_status_display()}, field="status"
        )
    # A 高危/超危 finding declared 误报 or closed by hand leaves the risk register: the
    # assessor who finds it may not make it disappear alone (a task closed with its
    # evidence, or a re-scan, closes it otherwise).
    if (
        status in (VulnStatus.FALSE_POSITIVE, VulnStatus.CLOSED)
        and v.severity >= 4
        and not access.can_change_under(actor, v.system.department.path, APPROVER_ROLES)
    ):
        raise ActionError(
            _(
                "严重程度为 4 级及以上（高危、超危）的脆弱性，须由系统主管部门的分管领导或主要负责人标记为“%(s)s”"
            )
            % {"s": VulnStatus(status).label},
            field="status",
        )
    note = (note or "").strip()
    if status in REASON_NEEDED and not note:
        raise ActionError(
            _("标记为“%(s)s”须填写理由") % {"s": VulnStatus(status).label}, field="note"
        )
    before = snapshot(v, Vulnerability.audit_fields)
    now = timezone.now()
    fields = ["status", "status_note", "status_by", "status_at", "closed_at", "closed_by_scan"]
    if status == VulnStatus.OPEN and v.status == VulnStatus.CLOSED:
        v.reopened_count = F("reopened_count") + 1
        fields.append("reopened_count")
    v.status = status
    v.status_note = note
    v.status_by = actor
    v.status_at = now
    v.closed_at = now if status == VulnStatus.CLOSED else None
    v.closed_by_scan = None
    save_and_record(actor, "infosec.vulnerability.status", v, *fields, before=before)
    v.refresh_from_db()
    touch_system_inputs(v.system)
    refresh_for_vulnerabilities([v.pk])
    return v


def _grade_for_severity(system: System, severity: int) -> str:
    from ..scan_import import grading_for

    grading = grading_for(system)
    return next((g.code for g in grading.grades if g.severity == severity), "")


@transaction.atomic
def do_add_audit_finding(
    actor: Any,
    system: System,
    *,
    title: str,
    aspect: str,
    severity: int,
    asset: Asset | int | None = None,
    description: str = "",
    evidence: str = "",
) -> Vulnerability:
    """A vulnerability found by a manual audit (人工审计). The evidence is kept in the
    description under 审计证据."""
    access.require(actor, system, "change")
    system = lock(system, related=("department",))
    title = (title or "").strip()
    if not title:
        raise ActionError(_("请填写脆弱性名称"), field="title")
    if len(title) > 255:
        raise ActionError(_("名称不能超过 255 字"), field="title")
    if aspect not in Aspect.values:
        raise ActionError(_("请选择方面（管理、运维或技术）"), field="aspect")
    try:
        severity = int(severity)
    except (TypeError, ValueError):
        severity = 0
    if not 1 <= severity <= 5:
        raise ActionError(_("严重程度须在 1–5 之间"), field="severity")
    asset_obj: Asset | None = None
    if asset not in (None, ""):
        asset_id = asset.pk if isinstance(asset, Asset) else asset
        asset_obj = Asset.objects.filter(system=system, pk=asset_id).first()
        if asset_obj is None:
            raise ActionError(_("资产不属于该系统"), field="asset")
    text = (description or "").strip()
    evidence = (evidence or "").strip()
    if evidence:
        text = (text + "\n\n" if text else "") + _("审计证据：") + evidence
    now = timezone.now()
    v = Vulnerability.objects.create(
        system=system,
        asset=asset_obj,
        source=VulnSource.AUDIT,
        aspect=aspect,
        key=f"audit:{secrets.token_hex(8)}",
        title=title,
        description=text,
        host="",
        grade=_grade_for_severity(system, severity),
        severity=severity,
        status=VulnStatus.OPEN,
        status_by=actor,
        status_at=now,
        first_seen=now,
        last_seen=now,
    )
    record(
        actor,
        "infosec.vulnerability.audit",
        v,
        after={**snapshot(v, Vulnerability.audit_fields), "source": v.source, "aspect": aspect},
    )
    touch_system_inputs(system)
    return v


@transaction.atomic
def do_map_unmatched_host(actor: Any, scan: ScanImport, host: str, asset: Asset | int) -> int:
    """Map a host a scan could not match to an asset of the system: the address becomes
    the asset's (AssetAddress, and the asset's IP/host name list), the findings kept for
    that host get the asset and the asset's keys, so the next scan matches them. Returns
    how many findings were assigned."""
    from ..scan_import import finding_key
    from ..scanners import normalise_address
    from ..scanners.common import is_ip

    access.require(actor, scan, "change")
    system = lock(scan.system, related=("department",))
    scan = ScanImport.objects.select_for_update().get(pk=scan.pk)
    value = normalise_address(host)
    entry = next((u for u in scan.unmatched if u.get("host") == value), None)
    if not value or entry is None:
        raise ActionError(_("该扫描没有未匹配的主机“%(h)s”") % {"h": host}, field="host")
    if entry.get("asset"):
        raise ActionError(
            _("主机“%(h)s”已对应到资产 %(a)s") % {"h": value, "a": entry["asset"]}, field="host"
        )
    asset_id = asset.pk if isinstance(asset, Asset) else asset
    target = Asset.objects.filter(system=system, pk=asset_id).first() if asset_id else None
    if target is None:
        raise ActionError(_("请选择该系统的资产"), field="asset")
    taken = AssetAddress.objects.filter(system=system, value=value).select_related("asset").first()
    if taken is not None:
        raise ActionError(
            _("地址“%(h)s”已属于资产 %(a)s") % {"h": value, "a": taken.asset}, field="host"
        )
    kind = AddressKind.IP if is_ip(value) else AddressKind.HOST
    AssetAddress.objects.create(system=system, asset=target, kind=kind, value=value)
    target = lock(target)
    field = "ips" if kind == AddressKind.IP else "hostnames"
    listed = getattr(target, field).split()
    if value not in (a.lower() for a in listed):
        setattr(target, field, "\n".join([*listed, value]))
        target.version += 1
        target.save(update_fields=[field, "version", "updated_at"])
    assigned = 0
    taken_keys = set(
        Vulnerability.objects.filter(system=system, asset=target).values_list("key", flat=True)
    )
    rows = Vulnerability.objects.filter(
        system=system, source=VulnSource.SCAN, asset__isnull=True, host=value
    )
    for v in rows:
        key = finding_key(v.scanner, v.plugin_id, v.title, target.code, v.port, v.protocol)
        changes: dict[str, Any] = {"asset": target, "version": F("version") + 1}
        if key not in taken_keys:
            changes["key"] = key
            taken_keys.add(key)
        Vulnerability.objects.filter(pk=v.pk).update(**changes)
        assigned += 1
    entry["asset"] = target.code
    scan.save(update_fields=["unmatched"])
    record(
        actor,
        "infosec.scan.map_host",
        scan,
        after={"host": value, "asset": target.code, "findings": assigned},
    )
    touch_system_inputs(system)
    return assigned
