"""The assessment's 脆弱性检查 (2.3) and 现有安全措施 (3.1–3.4) tabs: every checklist item
answered in place (htmx, like the assessments app's checklist), with the progress
"已评估 N / M 项". Each save is `actions.checklists.do_answer_item`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core.errors import ActionError
from fengping.core.policy import authenticated
from fengping.org import access

from ..actions import checklists as actions
from ..models import (
    MEASURE_RESULTS,
    VULNERABILITY_RESULTS,
    AssetLayer,
    Catalogue,
    ChecklistAnswer,
    CheckResult,
    MeasureKind,
    SystemAssessment,
    Vulnerability,
)
from ..queries import assessment_for
from ..tabs import Tab, register, tabs_for

TAB = {Catalogue.VULNERABILITY: "vuln_checklists", Catalogue.MEASURE: "measures"}
URL = {
    Catalogue.VULNERABILITY: "infosec:assessment_vuln_checklists",
    Catalogue.MEASURE: "infosec:assessment_measures",
}
VALUE_HINTS = {
    "date": gettext_lazy("日期，如 2026-03-01"),
    "count": gettext_lazy("整数"),
    "percent": gettext_lazy("0–100"),
    "text": gettext_lazy("检查值"),
}


def _results(catalogue: str) -> list[tuple[str, str]]:
    wanted = VULNERABILITY_RESULTS if catalogue == Catalogue.VULNERABILITY else MEASURE_RESULTS
    return [(c, str(label)) for c, label in CheckResult.choices if c in wanted]


class Page:
    """What the tab's items need, read once per request (answers, vulnerabilities,
    assets, classes) whatever the number of items."""

    def __init__(self, a: SystemAssessment, catalogue: str) -> None:
        self.a = a
        self.catalogue = catalogue
        info = a.scheme.infosec
        sets = info.vulnerabilities if catalogue == Catalogue.VULNERABILITY else info.measures  # type: ignore[union-attr]
        self.set = sets
        self.answers = {
            x.item: x
            for x in ChecklistAnswer.objects.filter(assessment=a, catalogue=catalogue)
            .select_related("answered_by")
            .prefetch_related("covers_assets")
        }
        self.vulns: dict[str, Vulnerability] = {}
        if catalogue == Catalogue.VULNERABILITY:
            self.vulns = {
                v.checklist_item: v
                for v in Vulnerability.objects.filter(
                    system_id=a.system_id, key__startswith="checklist:"
                )
            }
        self.assets = list(
            a.system.assets.order_by("layer", "code").only("pk", "code", "name", "layer")
        )
        self.classes = list(info.threats.classes)  # type: ignore[union-attr]
        self.severity = a.scheme.scale(a.scheme.method.vulnerability_scale).levels  # type: ignore[union-attr]
        self.total = sum(len(c.items) for c in sets.checklists)
        wanted = {code for c in sets.checklists for code in c.item_codes()}
        self.done = len(wanted & set(self.answers))

    def item(self, checklist: Any, index: int, data: Any = None) -> dict[str, Any]:
        code = checklist.item_codes()[index]
        row = self.answers.get(code)
        vuln = self.vulns.get(code)
        if data is not None:
            values = {
                "result": data.get("result", ""),
                "method": data.get("method", ""),
                "value": data.get("value", ""),
                "evidence": data.get("evidence", ""),
                "measure_kind": data.get("measure_kind", ""),
                "covers_threats": data.getlist("covers_threats"),
                "covers_assets": [int(x) for x in data.getlist("covers_assets") if x.isdigit()],
                "severity": data.get("severity", ""),
                "asset": data.get("asset", ""),
                "version": data.get("version", ""),
            }
        else:
            values = {
                "result": row.result if row else "",
                "method": row.method if row else "",
                "value": row.value if row else "",
                "evidence": row.evidence if row else "",
                "measure_kind": row.measure_kind if row else "",
                "covers_threats": row.covers_threats if row else [],
                "covers_assets": [x.pk for x in row.covers_assets.all()] if row else [],
                "severity": str(vuln.severity) if vuln else "",
                "asset": str(vuln.asset_id or "") if vuln else "",
                "version": row.version if row else "",
            }
        kind = checklist.value_kind(index)
        return {
            "code": code,
            "no": index + 1,
            "text": checklist.items[index],
            "checklist": checklist,
            "row": row,
            "vuln": vuln,
            "values": values,
            "value_kind": kind,
            "value_hint": VALUE_HINTS.get(kind, ""),
            "anchor": "cl-" + code.replace(".", "-"),
        }

    def groups(self) -> list[dict[str, Any]]:
        out = []
        for c in self.set.checklists:
            items = [self.item(c, i) for i in range(len(c.items))]
            out.append(
                {
                    "checklist": c,
                    "items": items,
                    "done": sum(1 for it in items if it["row"] is not None),
                }
            )
        return out

    def context(self, request: HttpRequest) -> dict[str, Any]:
        return {
            "assessment": self.a,
            "system": self.a.system,
            "catalogue": self.catalogue,
            "is_vuln": self.catalogue == Catalogue.VULNERABILITY,
            "results": _results(self.catalogue),
            "kinds": MeasureKind.choices,
            "classes": self.classes,
            "assets": self.assets,
            "system_layer": AssetLayer.SYSTEM,
            "severity_levels": self.severity,
            "done": self.done,
            "total": self.total,
            "answer_url": reverse("infosec:checklist_answer", args=[self.a.pk]),
            "can_change": self.a.is_open() and access.can(request.user, self.a, "change"),
        }


def _tab(request: HttpRequest, pk: int, catalogue: str) -> HttpResponse:
    a = assessment_for(request.user, pk)
    page = Page(a, catalogue)
    return render(
        request,
        "infosec/checklists/tab.html",
        {
            **page.context(request),
            "tabs": tabs_for("assessment", a, TAB[catalogue]),
            "groups": page.groups(),
            "set": page.set,
        },
    )


@authenticated
def vulnerability_tab(request: HttpRequest, pk: int) -> HttpResponse:
    return _tab(request, pk, Catalogue.VULNERABILITY)


@authenticated
def measure_tab(request: HttpRequest, pk: int) -> HttpResponse:
    return _tab(request, pk, Catalogue.MEASURE)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@authenticated
@require_POST
def checklist_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer one item. With htmx the item is saved in place; a plain POST goes back to
    the tab at the item (a refusal flashed)."""
    from django.contrib import messages

    a = assessment_for(request.user, pk, "change")
    post = request.POST
    catalogue = post.get("catalogue", "")
    if catalogue not in TAB:
        catalogue = Catalogue.VULNERABILITY
    item = post.get("item", "")
    error = ""
    try:
        actions.do_answer_item(
            request.user,
            a,
            catalogue=catalogue,
            item=item,
            result=post.get("result", ""),
            method=post.get("method", ""),
            value=post.get("value", ""),
            evidence=post.get("evidence", ""),
            measure_kind=post.get("measure_kind", ""),
            covers_threats=post.getlist("covers_threats"),
            covers_assets=[x for x in (_int(v) for v in post.getlist("covers_assets")) if x],
            severity=_int(post.get("severity")),
            asset_id=_int(post.get("asset")),
            version=_int(post.get("version")),
        )
    except ActionError as exc:
        error = exc.message
    anchor = "cl-" + item.replace(".", "-")
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("已保存"))
        return redirect(reverse(URL[catalogue], args=[a.pk]) + f"#{anchor}")
    a = SystemAssessment.objects.select_related("system__department").get(pk=a.pk)
    page = Page(a, catalogue)
    found = None
    for c in page.set.checklists:
        if item in c.item_codes():
            found = page.item(c, c.item_codes().index(item), post if error else None)
    if found is None:
        return HttpResponse(_("检查项不存在"), status=404)
    if error:
        current = page.answers.get(item)
        # Lost a race: what they typed stays; the next save is deliberate.
        found["values"]["version"] = current.version if current else ""
    return render(
        request,
        "infosec/checklists/_item.html",
        {**page.context(request), "it": found, "error": error, "saved": not error, "oob": True},
    )


register(
    "assessment",
    Tab("vuln_checklists", gettext_lazy("脆弱性检查"), "infosec:assessment_vuln_checklists", 30),
)
register(
    "assessment", Tab("measures", gettext_lazy("现有安全措施"), "infosec:assessment_measures", 40)
)

urlpatterns = [
    path(
        "assessments/<int:pk>/vulnerability-checklists/",
        vulnerability_tab,
        name="assessment_vuln_checklists",
    ),
    path("assessments/<int:pk>/measures/", measure_tab, name="assessment_measures"),
    path("assessments/<int:pk>/checklists/answer/", checklist_answer, name="checklist_answer"),
]
