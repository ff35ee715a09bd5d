"""Checklists answered item by item with evidence (严禁漏项): the vulnerability checklists of
2.3 (管理/运维/技术) and the existing-measure checklists of 3.1–3.4.

A vulnerability item answered 存在脆弱性 creates or updates the system's Vulnerability
keyed `checklist:<item code>` (and reopens it when it was closed); answered otherwise
later, that vulnerability is closed. A measure answered 有效 or 部分有效 says whether it
is preventive (lowers likelihood) or protective (lowers loss), as GB/T 20984-2022
distinguishes, and may name the threat classes and assets it covers (none: all)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, snapshot
from fengping.core.concurrency import lock
from fengping.core.errors import ActionError
from fengping.org import access

from ..models import (
    MEASURE_RESULTS,
    VULNERABILITY_RESULTS,
    Asset,
    AssetLayer,
    Catalogue,
    ChecklistAnswer,
    CheckResult,
    MeasureKind,
    SystemAssessment,
    Vulnerability,
    VulnSource,
    VulnStatus,
)
from .assessments import require_open, touch_inputs, touch_system_inputs

LABELS = {
    "infosec.checklist.answer": gettext_lazy("评估检查表条目"),
}

NEEDS_EVIDENCE = frozenset({CheckResult.FOUND, CheckResult.INEFFECTIVE, CheckResult.PARTIAL})
MEASURE_TAKES_KIND = frozenset({CheckResult.EFFECTIVE, CheckResult.PARTIAL})


def vulnerability_key(item: str) -> str:
    return f"checklist:{item}"


def find_item(assessment: SystemAssessment, catalogue: str, item: str) -> tuple[Any, int]:
    """(checklist, 0-based index) of an item code such as "management.3"."""
    info = assessment.scheme.infosec
    if info is None or catalogue not in Catalogue.values:
        raise ActionError(_("检查表不存在"), field="catalogue")
    sets = info.vulnerabilities if catalogue == Catalogue.VULNERABILITY else info.measures
    for checklist in sets.checklists:
        codes = checklist.item_codes()
        if item in codes:
            return checklist, codes.index(item)
    raise ActionError(_("检查项“%(i)s”不在该检查表中") % {"i": item}, field="item")


def clean_value(kind: str, value: str) -> str:
    """Check `value` against the item's value kind (scheme `Checklist.value_kinds`)."""
    value = (value or "").strip()[:200]
    if not value or kind in ("", "text"):
        return value
    if kind == "date":
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise ActionError(_("检查值须为日期（如 2026-03-01）"), field="value") from None
        if day > timezone.localdate():
            raise ActionError(_("检查值的日期不能晚于今天"), field="value")
        return day.isoformat()
    if kind == "count":
        if not value.isdigit():
            raise ActionError(_("检查值须为不小于 0 的整数"), field="value")
        return str(int(value))
    if kind == "percent":
        try:
            number = Decimal(value.rstrip("%").strip())
        except InvalidOperation:
            raise ActionError(_("检查值须为 0–100 之间的百分数"), field="value") from None
        if not Decimal(0) <= number <= Decimal(100):
            raise ActionError(_("检查值须为 0–100 之间的百分数"), field="value")
        return f"{number.normalize():f}"
    return value


def _system_asset(assessment: SystemAssessment) -> Asset | None:
    return (
        Asset.objects.filter(system_id=assessment.system_id, layer=AssetLayer.SYSTEM)
        .order_by("code")
        .first()
    )


def _vulnerability_for(
    actor: Any,
    a: SystemAssessment,
    checklist: Any,
    index: int,
    item: str,
    found: bool,
    severity: int | None,
    asset: Asset | None,
    evidence: str,
) -> dict[str, Any] | None:
    """Create, update, reopen or close the item's Vulnerability; what happened (for the
    answer's audit event) or None when nothing changed."""
    key = vulnerability_key(item)
    vuln = Vulnerability.objects.select_for_update().filter(system_id=a.system_id, key=key).first()
    now = timezone.now()
    if not found:
        if vuln is None or vuln.status != VulnStatus.OPEN:
            return None
        vuln.status = VulnStatus.CLOSED
        vuln.closed_at = now
        vuln.status_at = now
        vuln.status_by = actor
        vuln.status_note = _("检查表复核：未发现该脆弱性")
        vuln.version += 1
        vuln.save()
        return {"vulnerability": vuln.pk, "status": vuln.status}
    title = checklist.items[index][:255]
    if vuln is None:
        vuln = Vulnerability.objects.create(
            system_id=a.system_id,
            asset=asset,
            source=VulnSource.CHECKLIST,
            aspect=checklist.code,
            key=key,
            title=title,
            description=evidence,
            severity=severity,
            checklist_item=item,
        )
        return {"vulnerability": vuln.pk, "status": "created", "severity": severity}
    reopened = vuln.status == VulnStatus.CLOSED
    vuln.title, vuln.severity, vuln.asset = title, severity, asset  # type: ignore[assignment]
    vuln.description = evidence
    vuln.last_seen = now
    if reopened:
        vuln.status = VulnStatus.OPEN
        vuln.closed_at = None
        vuln.status_at, vuln.status_by = now, actor
        vuln.status_note = ""
        vuln.reopened_count += 1
    vuln.version += 1
    vuln.save()
    return {
        "vulnerability": vuln.pk,
        "status": "reopened" if reopened else "updated",
        "severity": severity,
    }


@transaction.atomic
def do_answer_item(
    actor: Any,
    assessment: SystemAssessment,
    *,
    catalogue: str,
    item: str,
    result: str,
    method: str = "",
    value: str = "",
    evidence: str = "",
    measure_kind: str = "",
    covers_threats: Sequence[str] = (),
    covers_assets: Sequence[int] = (),
    severity: int | None = None,
    asset_id: int | None = None,
    version: int | None = None,
) -> ChecklistAnswer:
    """Answer one checklist item (again). `version` is the answer's version the caller
    saw (None for a first answer). For a vulnerability found: `severity` 1–5 and the
    asset (`asset_id`; default the system-layer asset)."""
    access.require(actor, assessment, "change")
    a = lock(assessment, related=("system__department",))
    require_open(a)
    checklist, index = find_item(a, catalogue, item)
    allowed = VULNERABILITY_RESULTS if catalogue == Catalogue.VULNERABILITY else MEASURE_RESULTS
    if result not in allowed:
        raise ActionError(_("请选择该检查表的结论"), field="result")
    method = (method or "").strip()[:40]
    if checklist.methods and method not in checklist.methods:
        raise ActionError(
            _("评估方式须为：%(m)s") % {"m": "、".join(checklist.methods)}, field="method"
        )
    evidence = (evidence or "").strip()
    if result in NEEDS_EVIDENCE and not evidence:
        raise ActionError(_("该结论须写明证据"), field="evidence")
    value = clean_value(checklist.value_kind(index), value)
    if (
        catalogue == Catalogue.MEASURE
        and result in MEASURE_TAKES_KIND
        and checklist.value_kind(index) not in ("", "text")
        and not value
    ):
        raise ActionError(_("请填写检查值"), field="value")
    threats: list[str] = []
    assets: list[Asset] = []
    if catalogue == Catalogue.MEASURE and result in MEASURE_TAKES_KIND:
        if measure_kind not in MeasureKind.values:
            raise ActionError(
                _("有效或部分有效的措施须说明是预防性措施还是保护性措施"), field="measure_kind"
            )
        codes = {c.code for c in a.scheme.infosec.threats.classes}  # type: ignore[union-attr]
        threats = sorted(set(covers_threats))
        if any(t not in codes for t in threats):
            raise ActionError(_("所覆盖的威胁须为方案威胁分类中的类别"), field="covers_threats")
        wanted = set(covers_assets)
        assets = list(Asset.objects.filter(system_id=a.system_id, pk__in=wanted))
        if len(assets) != len(wanted):
            raise ActionError(_("所覆盖的资产须为本系统的资产"), field="covers_assets")
    else:
        measure_kind = ""
    asset: Asset | None = None
    found = catalogue == Catalogue.VULNERABILITY and result == CheckResult.FOUND
    if found:
        try:
            severity = int(severity)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            severity = 0
        if not 1 <= severity <= 5:
            raise ActionError(_("存在脆弱性时须按严重程度赋值 1–5"), field="severity")
        if asset_id:
            asset = Asset.objects.filter(system_id=a.system_id, pk=asset_id).first()
            if asset is None:
                raise ActionError(_("资产须为本系统的资产"), field="asset")
        else:
            asset = _system_asset(a)

    answer = ChecklistAnswer.objects.filter(assessment=a, catalogue=catalogue, item=item).first()
    before: dict[str, Any] | None = None
    if answer is None:
        answer = ChecklistAnswer(assessment=a, catalogue=catalogue, item=item)
    else:
        answer = lock(answer, version)
        before = snapshot(answer, ChecklistAnswer.audit_fields)
        before["covers_assets"] = sorted(answer.covers_assets.values_list("pk", flat=True))
        answer.version += 1
    answer.checklist = checklist.code
    answer.result = result
    answer.method = method
    answer.value = value
    answer.evidence = evidence
    answer.measure_kind = measure_kind
    answer.covers_threats = threats
    answer.answered_by = actor
    answer.answered_at = timezone.now()
    answer.save()
    answer.covers_assets.set(assets)
    after = snapshot(answer, ChecklistAnswer.audit_fields)
    after["covers_assets"] = sorted(x.pk for x in assets)
    if catalogue == Catalogue.VULNERABILITY:
        change = _vulnerability_for(
            actor, a, checklist, index, item, found, severity, asset, evidence
        )
        if change is not None:
            after.update(change)
            touch_system_inputs(a.system)
    touch_inputs(a)
    record(
        actor,
        "infosec.checklist.answer",
        answer,
        before=before,
        after=after,
        object_repr=f"{checklist.label} {index + 1}. {checklist.items[index]}",
    )
    return answer
