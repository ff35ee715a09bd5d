"""Importing a scanner report into a system's vulnerabilities (篇2 2.3), re-import done
right.

`ScanImporter` is a `core.imports.DocumentImporter`: the report is read and checked first
(streamed, `infosec.scanners`), then written in one transaction under a lock on the
system's row, so two imports of one system queue instead of racing. Nothing is saved row
by row: new findings are bulk-inserted in batches, and what changes for known ones is
issued as set-based `UPDATE … WHERE id IN (…)` per batch.

Matching and keys. A host is matched to a component through `AssetAddress` (IP, host
name, FQDN or its short name; normalised). A finding's key is
`scanner:plugin:host:port/protocol`, host being the matched asset's code, else the
host's normalised address — never the plugin output — so the same finding has the same
key in every report of that scanner, XML or CSV export alike.

A re-scan closes what it no longer shows: its scope is the hosts present in the report
(also those with only informational findings, or none); an open finding of this system
and scanner on those hosts that the report does not show is closed (closed_by_scan = this
import) with its open 整改 tasks (`closed_by_scan`). A closed finding that reappears is
reopened (reopened_count + 1). A finding marked 误报 or 接受风险 keeps that status
(counted `kept`). Hosts no asset claims are listed on the import (`unmatched`) and their
findings kept with no asset and the host's address."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record as audit_record
from fengping.core.concurrency import lock
from fengping.core.imports import DocumentImporter
from fengping.core.models import ImportRecord
from fengping.org import access
from fengping.schemebook import registry

from .actions.assessments import touch_system_inputs
from .models import (
    OPEN_TASK_STATUSES,
    Aspect,
    AssessmentStatus,
    AssetAddress,
    RemediationTask,
    ScanImport,
    Scanner,
    System,
    TaskStatus,
    Vulnerability,
    VulnSource,
    VulnStatus,
)
from .residual import refresh_for_vulnerabilities
from .scanners import EXTENSIONS, Report, read_report

BATCH = 1000
# Findings one report may hold (settings.FENGPING_SCAN_MAX_FINDINGS overrides): what the
# import keeps in memory between reading and writing grows with it (≈ 1 KB a finding).
MAX_FINDINGS = 300_000
KEPT_STATUSES = (VulnStatus.FALSE_POSITIVE, VulnStatus.ACCEPTED)
COUNT_NAMES = (
    "created",
    "unchanged",
    "updated",
    "closed",
    "reopened",
    "kept",
    "skipped_info",
    "merged",
    "tasks_closed",
    "adopted",
    "hosts",
    "unmatched_hosts",
)


def grading_for(system: System) -> Any:
    """The open assessment's frozen scheme, else the current isra scheme."""
    open_one = system.assessments.filter(status=AssessmentStatus.OPEN).first()
    scheme = open_one.scheme if open_one is not None else registry.get("isra")
    return scheme.infosec.vulnerability_grading  # type: ignore[union-attr]


def finding_key(
    scanner: str, plugin_id: str, title: str, host: str, port: int | None, protocol: str
) -> str:
    plugin = plugin_id or "t-" + hashlib.sha256(title.lower().encode()).hexdigest()[:16]
    key = f"{scanner}:{plugin}:{host}:{port or 0}/{protocol}"
    if len(key) > 255:
        digest = hashlib.sha256(f"{plugin}:{host}".encode()).hexdigest()
        key = f"{scanner}:{digest}:{port or 0}/{protocol}"[:255]
    return key


def _chunks(ids: Sequence[int], size: int = BATCH) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


class ScanImporter(DocumentImporter):
    recorder = staticmethod(audit_record)
    title = gettext_lazy("扫描报告")
    action = "infosec.scan.import"
    types = {ext: (ctype, (b"",)) for ext, ctype in EXTENSIONS.items()}
    writes = (Vulnerability,)

    def __init__(self, system: System) -> None:
        self.system = system
        self.scan: ScanImport | None = None
        self.max_bytes = int(
            getattr(settings, "FENGPING_SCAN_UPLOAD_MAX_BYTES", 0) or 200 * 1024 * 1024
        )

    def authorize(self, actor: Any) -> None:
        access.require(actor, self.system, "change")

    def scope_path(self, actor: Any) -> str:
        return self.system.department.path

    def target_id(self) -> int | None:
        return self.system.pk

    def read(self, name: str, data: bytes) -> Report:
        limit = int(getattr(settings, "FENGPING_SCAN_MAX_FINDINGS", 0) or MAX_FINDINGS)
        return read_report(name, data, grading_for(self.system), limit=limit)

    def row_count(self, prepared: Report) -> int:
        return prepared.read

    def audit_object(self, record: ImportRecord) -> ScanImport:
        assert self.scan is not None
        return self.scan

    def audit_extra(self) -> dict[str, Any]:
        assert self.scan is not None
        return {
            "system": self.system.code,
            "scanner": self.scan.scanner,
            "hosts": len(self.scan.scope),
            "unmatched": [u["host"] for u in self.scan.unmatched][:50],
        }

    def commit(self, actor: Any, prepared: Report, record: ImportRecord) -> dict[str, int]:
        system = lock(self.system, related=("department",))
        self.system = system
        report = prepared
        now = timezone.now()
        scan = ScanImport.objects.create(
            system=system,
            import_record=record,
            scanner=report.scanner,
            file_name=record.file_name,
            sha256=record.sha256,
            size=record.file_size,
            run_by=actor,
            started_at=now,
        )
        self.scan = scan
        counts = dict.fromkeys(COUNT_NAMES, 0)
        counts["skipped_info"] = report.skipped_info
        counts["merged"] = report.merged

        # Hosts -> assets.
        addresses = {
            value: (asset_id, code)
            for value, asset_id, code in AssetAddress.objects.filter(system=system).values_list(
                "value", "asset_id", "asset__code"
            )
        }
        scope_assets: set[int] = set()
        scope_addresses: set[str] = set()
        host_match: dict[int, tuple[int | None, str]] = {}
        unmatched: list[dict[str, Any]] = []
        for host in report.hosts.values():
            match = next((addresses[a] for a in host.addresses if a in addresses), None)
            if match is not None:
                scope_assets.add(match[0])
                host_match[id(host)] = match
            else:
                host_match[id(host)] = (None, host.primary)
                unmatched.append(
                    {
                        "host": host.primary,
                        "ip": host.ip,
                        "name": host.name,
                        "findings": host.findings,
                    }
                )
        # Findings kept for a host before an asset claimed its address carry the address:
        # they are in the scope too, and are adopted by the asset when seen again.
        scope_addresses = {host.primary for host in report.hosts.values()}
        counts["hosts"] = len(report.hosts)
        counts["unmatched_hosts"] = len(unmatched)

        # The report's findings by key (two hosts of one asset may give one key: merged).
        incoming: dict[str, tuple[Any, int | None]] = {}
        for finding in report.findings.values():
            asset_id, ident = host_match[id(finding.host)]
            key = finding_key(
                report.scanner,
                finding.plugin_id,
                finding.title,
                ident,
                finding.port,
                finding.protocol,
            )
            known = incoming.get(key)
            if known is not None:
                counts["merged"] += 1
                if finding.severity > known[0].severity:
                    incoming[key] = (finding, asset_id)
                continue
            incoming[key] = (finding, asset_id)
        report.findings.clear()

        existing: dict[str, tuple[int, str, Any, str, int, int | None, str]] = {}
        rows = Vulnerability.objects.filter(
            system=system, source=VulnSource.SCAN, scanner=report.scanner
        ).values_list("key", "id", "status", "cvss", "grade", "severity", "asset_id", "host")
        for key, *rest in rows.iterator(chunk_size=5000):
            existing[key] = tuple(rest)  # type: ignore[assignment]

        seen: list[int] = []
        reopen: list[int] = []
        regrade: dict[tuple[Any, str, int], list[int]] = defaultdict(list)
        batch: list[Vulnerability] = []
        adopted: list[Vulnerability] = []
        for key, (f, asset_id) in incoming.items():
            row = existing.get(key)
            if row is None and asset_id is not None:
                legacy = finding_key(
                    report.scanner, f.plugin_id, f.title, f.host.primary, f.port, f.protocol
                )
                old = existing.get(legacy)
                if old is not None and old[5] is None and legacy not in incoming:
                    row = existing.pop(legacy)
                    existing[key] = row
                    adopted.append(Vulnerability(pk=row[0], key=key, asset_id=asset_id))
            if row is None:
                description, solution = f.texts[1], f.texts[2]
                batch.append(
                    Vulnerability(
                        system_id=system.pk,
                        asset_id=asset_id,
                        source=VulnSource.SCAN,
                        aspect=Aspect.TECHNICAL,
                        scanner=report.scanner,
                        key=key,
                        plugin_id=f.plugin_id,
                        cves=_cves(f.cves.split(",") if f.cves else ()),
                        title=f.title,
                        description=description,
                        solution=solution,
                        host=f.host.shown[:255],
                        port=f.port,
                        protocol=f.protocol,
                        service=f.service,
                        cvss=f.cvss,
                        grade=f.grade,
                        severity=f.severity,
                        status=VulnStatus.OPEN,
                        first_seen=now,
                        last_seen=now,
                        last_scan_id=scan.pk,
                    )
                )
                counts["created"] += 1
                if len(batch) >= BATCH:
                    Vulnerability.objects.bulk_create(batch)
                    batch = []
                continue
            pk, status, cvss, grade, severity = row[0], row[1], row[2], row[3], row[4]
            seen.append(pk)
            changed = (cvss, grade, severity) != (f.cvss, f.grade, f.severity)
            if changed and status != VulnStatus.CLOSED:
                regrade[(f.cvss, f.grade, f.severity)].append(pk)
            if status in KEPT_STATUSES:
                counts["kept"] += 1
            elif status == VulnStatus.CLOSED:
                reopen.append(pk)
                if changed:
                    regrade[(f.cvss, f.grade, f.severity)].append(pk)
            elif changed:
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        if batch:
            Vulnerability.objects.bulk_create(batch)
        del batch

        close = [
            row[0]
            for key, row in existing.items()
            if row[1] == VulnStatus.OPEN
            and key not in incoming
            and (row[5] in scope_assets if row[5] is not None else row[6] in scope_addresses)
        ]
        scope = sorted(
            {h.primary for h in report.hosts.values()},
        )
        del existing

        Vulnerability.objects.bulk_update(adopted, ["key", "asset_id"], batch_size=BATCH)
        counts["adopted"] = len(adopted)
        for ids in _chunks(seen):
            Vulnerability.objects.filter(pk__in=ids).update(last_seen=now, last_scan=scan)
        for (cvss, grade, severity), ids in regrade.items():
            for part in _chunks(ids):
                Vulnerability.objects.filter(pk__in=part).update(
                    cvss=cvss, grade=grade, severity=severity, version=F("version") + 1
                )
        note = _("扫描导入 #%(n)s 再次发现") % {"n": scan.pk}
        for ids in _chunks(reopen):
            Vulnerability.objects.filter(pk__in=ids).update(
                status=VulnStatus.OPEN,
                reopened_count=F("reopened_count") + 1,
                closed_at=None,
                closed_by_scan=None,
                status_note=note,
                status_by=actor,
                status_at=now,
                version=F("version") + 1,
            )
        counts["reopened"] = len(reopen)
        note = _("扫描导入 #%(n)s 未再发现，已关闭") % {"n": scan.pk}
        for ids in _chunks(close):
            Vulnerability.objects.filter(pk__in=ids).update(
                status=VulnStatus.CLOSED,
                closed_at=now,
                closed_by_scan=scan,
                status_note=note,
                status_by=actor,
                status_at=now,
                version=F("version") + 1,
            )
            counts["tasks_closed"] += RemediationTask.objects.filter(
                vulnerability_id__in=ids, status__in=list(OPEN_TASK_STATUSES)
            ).update(
                status=TaskStatus.CLOSED_BY_SCAN,
                closed_by_scan=scan,
                closed_at=now,
                version=F("version") + 1,
            )
        counts["closed"] = len(close)

        scan.scope = scope
        scan.unmatched = unmatched
        scan.counts = counts
        scan.finished_at = timezone.now()
        scan.save(update_fields=["scope", "unmatched", "counts", "finished_at"])
        refresh_for_vulnerabilities([*close, *reopen])
        if any(counts[k] for k in ("created", "closed", "reopened", "updated", "adopted")):
            touch_system_inputs(system)
        return counts


def _cves(cves: Iterable[str]) -> str:
    text = ""
    for cve in sorted(cves):
        candidate = f"{text},{cve}" if text else cve
        if len(candidate) > 500:
            break
        text = candidate
    return text


def summary(scan: ScanImport) -> str:
    c = scan.counts
    text = _(
        "已导入 %(file)s（%(scanner)s）：新增 %(created)s，未变 %(unchanged)s，更新 %(updated)s，"
        "关闭 %(closed)s，重新打开 %(reopened)s，保持误报/接受 %(kept)s，跳过信息项 %(info)s"
    ) % {
        "file": scan.file_name,
        "scanner": scan.get_scanner_display(),
        "created": c.get("created", 0),
        "unchanged": c.get("unchanged", 0),
        "updated": c.get("updated", 0),
        "closed": c.get("closed", 0),
        "reopened": c.get("reopened", 0),
        "kept": c.get("kept", 0),
        "info": c.get("skipped_info", 0),
    }
    if c.get("unmatched_hosts"):
        text += _("；未匹配主机 %(n)s 个") % {"n": c["unmatched_hosts"]}
    return text


def cli_import(user: Any, system: System, path: Path) -> str:
    """`fengping infosec import-scan`: the same import as the page; one summary line."""
    from .actions.vulnerabilities import do_import_scan

    with open(path, "rb") as handle:
        upload = File(handle, name=Path(path).name)
        scan = do_import_scan(user, system, upload)
    return summary(scan)


__all__ = ["ScanImporter", "Scanner", "cli_import", "finding_key", "grading_for", "summary"]
