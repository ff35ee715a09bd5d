"""A system's vulnerabilities (篇2 2.3): the list tab, a vulnerability's page with its
status forms and history, the scan upload, the scan records tab, a scan's page with its
unmatched hosts, and the manual audit finding form. Changes go through
infosec.actions.vulnerabilities, the same functions the API and the CLI call."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.models import Event
from fengping.core import listing
from fengping.core.forms import StyledForm
from fengping.core.pages import submit
from fengping.core.policy import authenticated
from fengping.org import access

from ..actions.vulnerabilities import (
    do_add_audit_finding,
    do_import_scan,
    do_map_unmatched_host,
    do_set_vulnerability_status,
)
from ..models import Aspect, Asset, ScanImport, System, Vulnerability, VulnStatus
from ..queries import system_for
from ..scan_import import summary
from ..tabs import Tab, register, tabs_for
from ..vuln_lists import SCANS, STATUS_CSS, VULNERABILITIES, grade_label

SYSTEMS = System.objects.select_related("department")
VULNS = Vulnerability.objects.select_related("system__department", "asset")
SCAN_QS = ScanImport.objects.select_related("system__department", "run_by", "import_record")


def _layout(system: System, tab: str, **extra: Any) -> dict[str, Any]:
    return {"system": system, "tabs": tabs_for("system", system, tab), **extra}


# ---------------------------------------------------------------- forms


class StatusForm(StyledForm):
    status = forms.ChoiceField(label=gettext_lazy("新状态"), choices=VulnStatus.choices)
    note = forms.CharField(
        label=gettext_lazy("理由或说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("标记为误报、接受风险或已关闭时必填"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ScanUploadForm(StyledForm):
    file = forms.FileField(
        label=gettext_lazy("扫描报告"),
        help_text=gettext_lazy(
            "Nessus（.nessus）、OpenVAS/GVM 报告（.xml）或 CSV（.csv）；扫描器按内容识别"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".nessus,.xml,.csv"}),
    )


class AuditFindingForm(StyledForm):
    title = forms.CharField(label=gettext_lazy("脆弱性名称"), max_length=255)
    aspect = forms.ChoiceField(label=gettext_lazy("方面"), choices=Aspect.choices)
    severity = forms.TypedChoiceField(
        label=gettext_lazy("严重程度"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        help_text=gettext_lazy("1（很低）– 5（很高）"),
    )
    asset = forms.ModelChoiceField(
        label=gettext_lazy("资产"), queryset=Asset.objects.none(), required=False
    )
    description = forms.CharField(
        label=gettext_lazy("描述"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.CharField(
        label=gettext_lazy("审计证据"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, system: System, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = Asset.objects.filter(system=system)  # type: ignore[attr-defined]


class MapHostForm(StyledForm):
    host = forms.CharField(widget=forms.HiddenInput)
    asset = forms.ModelChoiceField(label=gettext_lazy("资产"), queryset=Asset.objects.none())

    def __init__(self, *args: Any, system: System, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = Asset.objects.filter(system=system)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the list


@authenticated
def vulnerability_list(request: HttpRequest, pk: int) -> HttpResponse:
    system = system_for(request.user, pk)
    return listing.render_list(
        request,
        VULNERABILITIES,
        system,
        context=_layout(system, "vulnerabilities", can_change=access.can(request.user, system)),
    )


@authenticated
def vulnerability_export(request: HttpRequest, pk: int) -> HttpResponse:
    return listing.export(request, VULNERABILITIES, system_for(request.user, pk))


def _history(v: Vulnerability) -> list[Event]:
    return list(
        Event.objects.filter(object_type=v._meta.label_lower, object_id=str(v.pk)).order_by("-seq")[
            :100
        ]
    )


@authenticated
def vulnerability_detail(request: HttpRequest, pk: int) -> HttpResponse:
    v = access.get_for_user(request.user, VULNS, pk)
    can_change = access.can(request.user, v)
    form = StatusForm(initial={"version": v.version}) if can_change else None
    return render(
        request,
        "infosec/vulns/detail.html",
        _layout(
            v.system,
            "vulnerabilities",
            v=v,
            grade=grade_label(v),
            status_css=STATUS_CSS.get(v.status, ""),
            form=form,
            can_change=can_change,
            history=_history(v),
            tasks=v.tasks.all(),
        ),
    )


@authenticated
def vulnerability_status(request: HttpRequest, pk: int) -> HttpResponse:
    v = access.get_for_user(request.user, VULNS, pk, "change")
    form = StatusForm(request.POST or None, initial={"version": v.version})
    if done := submit(
        request,
        form,
        lambda d: do_set_vulnerability_status(
            request.user, v, d["status"], d["note"], d["version"]
        ),
        then=reverse("infosec:vuln", args=[v.pk]),
        success=_("状态已更新"),
    ):
        return done
    return render(
        request,
        "infosec/vulns/form.html",
        _layout(
            v.system,
            "vulnerabilities",
            form=form,
            title=_("变更状态：%(t)s") % {"t": v.title},
            cancel_url=reverse("infosec:vuln", args=[v.pk]),
        ),
    )


@authenticated
def audit_finding(request: HttpRequest, pk: int) -> HttpResponse:
    system = system_for(request.user, pk, "change")
    form = AuditFindingForm(request.POST or None, system=system)
    if done := submit(
        request,
        form,
        lambda d: do_add_audit_finding(request.user, system, **d),
        then=lambda v: reverse("infosec:vuln", args=[v.pk]),
        success=_("已登记人工审计发现"),
    ):
        return done
    return render(
        request,
        "infosec/vulns/form.html",
        _layout(
            system,
            "vulnerabilities",
            form=form,
            title=_("登记人工审计发现"),
            cancel_url=reverse("infosec:vulns", args=[system.pk]),
        ),
    )


# ---------------------------------------------------------------- scans


@authenticated
def scan_upload(request: HttpRequest, pk: int) -> HttpResponse:
    system = system_for(request.user, pk, "change")
    form = ScanUploadForm(request.POST or None, request.FILES or None)
    if done := submit(
        request,
        form,
        lambda d: do_import_scan(request.user, system, d["file"]),
        then=lambda scan: reverse("infosec:scan", args=[scan.pk]),
        success=summary,
    ):
        return done
    return render(
        request,
        "infosec/vulns/upload.html",
        _layout(system, "scans", form=form, cancel_url=reverse("infosec:scans", args=[system.pk])),
    )


@authenticated
def scan_list(request: HttpRequest, pk: int) -> HttpResponse:
    system = system_for(request.user, pk)
    return listing.render_list(
        request,
        SCANS,
        system,
        context=_layout(system, "scans", can_change=access.can(request.user, system)),
    )


@authenticated
def scan_export(request: HttpRequest, pk: int) -> HttpResponse:
    return listing.export(request, SCANS, system_for(request.user, pk))


SHOWN_HOSTS = 500
COUNT_LABELS = (
    ("created", gettext_lazy("新增")),
    ("unchanged", gettext_lazy("未变")),
    ("updated", gettext_lazy("等级更新")),
    ("closed", gettext_lazy("复测关闭")),
    ("reopened", gettext_lazy("重新打开")),
    ("kept", gettext_lazy("保持误报/接受风险")),
    ("skipped_info", gettext_lazy("跳过的信息项")),
    ("merged", gettext_lazy("文件内合并的重复项")),
    ("tasks_closed", gettext_lazy("复测关闭的整改任务")),
    ("adopted", gettext_lazy("归属到新匹配资产")),
    ("hosts", gettext_lazy("扫描主机")),
    ("unmatched_hosts", gettext_lazy("未匹配主机")),
)


def _scan_page(request: HttpRequest, scan: ScanImport, form: Any = None) -> HttpResponse:
    can_change = access.can(request.user, scan)
    counts = scan.counts or {}
    unmatched = scan.unmatched or []
    return render(
        request,
        "infosec/vulns/scan.html",
        _layout(
            scan.system,
            "scans",
            scan=scan,
            counts=[(label, counts.get(code, 0)) for code, label in COUNT_LABELS],
            can_change=can_change,
            assets=Asset.objects.filter(system=scan.system).only("code", "name")
            if can_change
            else [],
            unmatched=unmatched[:SHOWN_HOSTS],
            unmatched_more=len(unmatched) > SHOWN_HOSTS,
            shown_max=SHOWN_HOSTS,
            pending=[u for u in unmatched if not u.get("asset")][:SHOWN_HOSTS],
            form=form,
        ),
    )


@authenticated
def scan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _scan_page(request, access.get_for_user(request.user, SCAN_QS, pk))


@authenticated
def scan_map(request: HttpRequest, pk: int) -> HttpResponse:
    scan = access.get_for_user(request.user, SCAN_QS, pk, "change")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = MapHostForm(request.POST, system=scan.system)
    if done := submit(
        request,
        form,
        lambda d: do_map_unmatched_host(request.user, scan, d["host"], d["asset"]),
        then=reverse("infosec:scan", args=[scan.pk]),
        success=lambda n: _("已对应到资产，%(n)s 条脆弱性已归属该资产") % {"n": n},
    ):
        return done
    for error in [*form.non_field_errors(), *form.errors.get("asset", [])]:
        messages.error(request, error)
    if form.errors.get("host"):
        messages.error(request, form.errors["host"][0])
    return redirect("infosec:scan", scan.pk)


register("system", Tab("vulnerabilities", gettext_lazy("脆弱性"), "infosec:vulns", 30))
register("system", Tab("scans", gettext_lazy("扫描记录"), "infosec:scans", 35))

urlpatterns = [
    path("systems/<int:pk>/vulnerabilities/", vulnerability_list, name="vulns"),
    path("systems/<int:pk>/vulnerabilities/export.xlsx", vulnerability_export, name="vulns_export"),
    path("systems/<int:pk>/vulnerabilities/audit/", audit_finding, name="vuln_audit_add"),
    path("systems/<int:pk>/scans/", scan_list, name="scans"),
    path("systems/<int:pk>/scans/export.xlsx", scan_export, name="scans_export"),
    path("systems/<int:pk>/scans/upload/", scan_upload, name="scan_upload"),
    path("vulnerabilities/<int:pk>/", vulnerability_detail, name="vuln"),
    path("vulnerabilities/<int:pk>/status/", vulnerability_status, name="vuln_status"),
    path("scans/<int:pk>/", scan_detail, name="scan"),
    path("scans/<int:pk>/map/", scan_map, name="scan_map"),
]
