"""The vulnerability list of a system and its scan imports, declared once (core.listing):
page, htmx partial, XLSX export and API filters."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fengping.core import listing
from fengping.core.listing import ChoiceFilter, Column, Context, ListSpec, SearchFilter
from fengping.org import access

from .models import (
    Aspect,
    Asset,
    ScanImport,
    Scanner,
    System,
    Vulnerability,
    VulnSource,
    VulnStatus,
)

STATUS_CSS = {
    VulnStatus.OPEN: "bg-red-lt",
    VulnStatus.CLOSED: "bg-green-lt",
    VulnStatus.FALSE_POSITIVE: "bg-secondary-lt",
    VulnStatus.ACCEPTED: "bg-yellow-lt",
}


def grade_choices(ctx: Context | None = None) -> list[tuple[str, str]]:
    from .scan_import import grading_for

    system = ctx.parents[0] if ctx and ctx.parents else None
    if system is None:
        from fengping.schemebook import registry

        grading = registry.get("isra").infosec.vulnerability_grading  # type: ignore[union-attr]
    else:
        grading = grading_for(system)
    return [(g.code, g.label) for g in grading.grades]


def grade_label(v: Vulnerability) -> str:
    return dict(grade_choices()).get(v.grade, v.grade)


def asset_choices(ctx: Context) -> list[tuple[int, str]]:
    system = ctx.parents[0]
    return [(a.pk, f"{a.code} {a.name}") for a in Asset.objects.filter(system=system)]


def system_vulnerabilities(user: Any, system: System) -> QuerySet[Vulnerability]:
    return access.visible(user, Vulnerability.objects.filter(system=system).select_related("asset"))


VULNERABILITIES = ListSpec(
    name="infosec-vulnerabilities",
    title=_("脆弱性"),
    queryset=system_vulnerabilities,
    order=("-severity", "id"),
    keyset=True,
    filters=(
        SearchFilter(
            "q",
            _("搜索"),
            ("title", "cves", "host", "plugin_id"),
            placeholder=_("按名称、CVE、主机或插件编号搜索"),
        ),
        ChoiceFilter("status", _("状态"), VulnStatus.choices),
        ChoiceFilter("grade", _("漏洞等级"), grade_choices),
        ChoiceFilter("source", _("来源"), VulnSource.choices),
        ChoiceFilter("aspect", _("方面"), Aspect.choices),
        ChoiceFilter("asset", _("资产"), asset_choices, field="asset_id"),
    ),
    columns=(
        Column(
            _("名称"),
            lambda v: v.title,
            html=lambda v: listing.link(reverse("infosec:vuln", args=[v.pk]), v.title),
        ),
        Column(_("严重程度"), lambda v: v.severity),
        Column(_("漏洞等级"), grade_label),
        Column(_("CVSS"), lambda v: v.cvss),
        Column(_("资产"), lambda v: v.asset.code if v.asset else ""),
        Column(_("主机"), lambda v: v.host),
        Column(_("端口"), lambda v: f"{v.port or 0}/{v.protocol}" if v.protocol else v.port),
        Column(_("CVE 编号"), lambda v: v.cves),
        Column(_("来源"), lambda v: v.get_source_display()),
        Column(_("方面"), lambda v: v.get_aspect_display(), page=False),
        Column(_("插件/NVT 编号"), lambda v: v.plugin_id, page=False),
        Column(
            _("状态"),
            lambda v: v.get_status_display(),
            html=lambda v: listing.badge(v.get_status_display(), STATUS_CSS.get(v.status, "")),
        ),
        Column(_("最近发现"), lambda v: v.last_seen, page=False),
        Column(_("描述"), lambda v: v.description, page=False),
        Column(_("修复建议"), lambda v: v.solution, page=False),
    ),
    empty_title=_("没有符合条件的脆弱性"),
    empty_hint=_("可导入漏洞扫描报告或登记人工审计发现"),
    page_template="infosec/vulns/list.html",
    export_url=lambda system: reverse("infosec:vulns_export", args=[system.pk]),
)


def system_scans(user: Any, system: System) -> QuerySet[ScanImport]:
    return access.visible(user, ScanImport.objects.filter(system=system).select_related("run_by"))


def _count(name: str) -> Any:
    return lambda s: (s.counts or {}).get(name, 0)


SCANS = ListSpec(
    name="infosec-scans",
    title=_("扫描记录"),
    queryset=system_scans,
    order=("-started_at", "-id"),
    keyset=True,
    filters=(
        SearchFilter("q", _("搜索"), ("file_name", "sha256"), placeholder=_("按文件名搜索")),
        ChoiceFilter("scanner", _("扫描器"), Scanner.choices),
    ),
    columns=(
        Column(
            _("导入时间"),
            lambda s: s.started_at,
            html=lambda s: listing.link(
                reverse("infosec:scan", args=[s.pk]), listing.display(s.started_at)
            ),
        ),
        Column(_("扫描器"), lambda s: s.get_scanner_display()),
        Column(_("文件名"), lambda s: s.file_name),
        Column(_("SHA-256"), lambda s: s.sha256, page=False),
        Column(_("主机数"), lambda s: len(s.scope or [])),
        Column(_("新增"), _count("created")),
        Column(_("关闭"), _count("closed")),
        Column(_("重新打开"), _count("reopened")),
        Column(_("未匹配主机"), _count("unmatched_hosts")),
        Column(_("导入人"), lambda s: s.run_by.real_name or s.run_by.username),
    ),
    empty_title=_("还没有导入过扫描报告"),
    page_template="infosec/vulns/scans.html",
    export_url=lambda system: reverse("infosec:scans_export", args=[system.pk]),
)
