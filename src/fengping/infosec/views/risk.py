"""The 风险分析 tab of an assessment: compute, the register (filters, XLSX), the heat
map, risk per asset / business / system, and the comparison with another assessment of
the same system; and the estate-wide 风险清单（全部系统）, the risks of every visible
system's latest assessment."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core import listing
from fengping.core.pages import run_action
from fengping.core.policy import authenticated
from fengping.core.xlsx import XLSX_MIME, write_workbook
from fengping.org import access

from .. import risk_lists
from ..actions.risk import do_compute_risk
from ..models import SystemAssessment
from ..queries import assessment_for
from ..tabs import Tab, register, tabs_for

TAB = "risk"


def head(request: HttpRequest, a: SystemAssessment, section: str) -> dict[str, Any]:
    """What every page of the tab shows above its content: the compute button, whether
    the register is current, and (when it is not) how many decisions a recompute drops."""
    can_change = a.is_open() and access.can(request.user, a, "change")
    current = a.risk_current()
    return {
        "assessment": a,
        "system": a.system,
        "tabs": tabs_for("assessment", a, TAB),
        "section": section,
        "can_compute": can_change,
        "risk_current": current,
        "decisions_lost": _decisions_at_risk(a) if can_change and not current else 0,
        "sections": [
            ("register", _("风险清单"), reverse("infosec:risk", args=[a.pk])),
            ("heatmap", _("风险热力图"), reverse("infosec:risk_heatmap", args=[a.pk])),
            ("assets", _("按资产"), reverse("infosec:risk_assets", args=[a.pk])),
            ("businesses", _("按业务和系统"), reverse("infosec:risk_businesses", args=[a.pk])),
            ("compare", _("对比评估"), reverse("infosec:risk_compare", args=[a.pk])),
        ],
    }


def _decisions_at_risk(a: SystemAssessment) -> int:
    from .. import risk  # numpy: loaded on first use

    return risk.decisions_at_risk(a)


@authenticated
def risk_register(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    return listing.render_list(
        request, risk_lists.REGISTER, a, context=head(request, a, "register")
    )


@authenticated
def risk_export(request: HttpRequest, pk: int) -> HttpResponse:
    return listing.export(request, risk_lists.REGISTER, assessment_for(request.user, pk))


@authenticated
def all_risks(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, risk_lists.ESTATE)


@authenticated
def all_risks_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, risk_lists.ESTATE)


@authenticated
@require_POST
def risk_compute(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change")
    return run_action(
        request,
        lambda: do_compute_risk(request.user, a),
        then=reverse("infosec:risk", args=[a.pk]),
        success=lambda r: (
            _("已计算 %(n)s 个风险场景：新增 %(c)s，变化 %(u)s，删除 %(d)s（含处置决策 %(x)s 项）")
            % {
                "n": r.total,
                "c": r.created,
                "u": r.updated,
                "d": r.removed,
                "x": r.decisions_removed,
            }
            + (
                _("；%(v)s 项风险的等级变了，原处置决策作废，须重新决策")
                % {"v": r.decisions_voided}
                if r.decisions_voided
                else ""
            )
        ),
    )


@authenticated
def risk_heatmap(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    cells = risk_lists.heat_cells(a)
    register_url = reverse("infosec:risk", args=[a.pk])
    return render(
        request,
        "infosec/risk/heatmap.html",
        {
            **head(request, a, "heatmap"),
            "cells": cells,
            "grid": risk_lists.heat_grid(cells),
            "levels": list(risk_lists.LEVELS),
            "chart": {
                "cells": cells,
                "register": register_url,
                **risk_lists.heat_zones(a),
                "text": {
                    "likelihood": _("可能性 L"),
                    "loss": _("损失 F"),
                    "cell": _("可能性 {l} × 损失 {f}：{level}"),
                    "count": _("风险场景 {n} 个"),
                },
            },
            "register_url": register_url,
        },
    )


@authenticated
def risk_assets(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    paginator = Paginator(risk_lists.by_asset(a), settings.FENGPING_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = risk_lists.name_assets(list(page.object_list), a)
    return render(
        request,
        "infosec/risk/assets.html",
        {
            **head(request, a, "assets"),
            "rows": rows,
            "page_obj": page,
            "labels": risk_lists.level_labels(a),
            "register_url": reverse("infosec:risk", args=[a.pk]),
        },
    )


def _summary_export(
    title: str,
    first: str,
    rows: list[tuple[str, dict[str, Any]]],
    labels: dict[int, str],
    name: str,
) -> HttpResponse:
    header = [first, _("最高风险值"), _("场景数"), *labels.values()]
    body = ([label, r["max_risk"], r["n"], *(r[f"l{n}"] for n in labels)] for label, r in rows)
    response = HttpResponse(write_workbook([(title, header, body)]), content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="fengping-{name}.xlsx"'
    return response


@authenticated
def risk_assets_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Every asset's max risk, count and counts per level (capped like every export)."""
    a = assessment_for(request.user, pk)
    cap = settings.FENGPING_EXPORT_MAX_ROWS
    rows = risk_lists.name_assets(list(risk_lists.by_asset(a)[:cap]), a)
    return _summary_export(
        str(_("按资产的风险")),
        _("资产"),
        [(f"{r['asset'].code} {r['asset'].name}" if r["asset"] else "", r) for r in rows],
        risk_lists.level_labels(a),
        "infosec-risk-assets",
    )


@authenticated
def risk_businesses_export(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    rows = [(r["name"] or _("未关联业务的资产"), r) for r in risk_lists.by_business(a)]
    rows.append((_("整个系统（%(name)s）") % {"name": a.system.name}, risk_lists.system_summary(a)))
    return _summary_export(
        str(_("按业务的风险")),
        _("业务"),
        rows,
        risk_lists.level_labels(a),
        "infosec-risk-businesses",
    )


@authenticated
def risk_businesses(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    return render(
        request,
        "infosec/risk/businesses.html",
        {
            **head(request, a, "businesses"),
            "rows": risk_lists.by_business(a),
            "total": risk_lists.system_summary(a),
            "labels": risk_lists.level_labels(a),
            "register_url": reverse("infosec:risk", args=[a.pk]),
        },
    )


def _other(request: HttpRequest, a: SystemAssessment) -> SystemAssessment | None:
    raw = request.GET.get("other", "")
    if not raw:
        return None
    other = access.get_for_user(request.user, risk_lists.comparable(a), raw)
    return other


@authenticated
def risk_compare(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    other = _other(request, a)
    only = request.GET.get("change", "")
    context: dict[str, Any] = {
        **head(request, a, "compare"),
        "choices": list(risk_lists.comparable(a)[:50]),
        "other": other,
        "only": only if only in risk_lists.CHANGE_ORDER else "",
        "changes": [(c, risk_lists.CHANGE_LABELS[c]) for c in risk_lists.CHANGE_ORDER],
    }
    if other is not None:
        cmp = risk_lists.compare(a, other)
        size = settings.FENGPING_PAGE_SIZE
        total = risk_lists.comparison_count(cmp, context["only"])
        paginator = Paginator(range(total), size)
        page = paginator.get_page(request.GET.get("page"))
        start = (page.number - 1) * size
        context.update(
            {
                "counts": [
                    (c, risk_lists.CHANGE_LABELS[c], cmp.counts[c]) for c in risk_lists.CHANGE_ORDER
                ],
                "rows": risk_lists.comparison_rows(cmp, start, start + size, context["only"]),
                "page_obj": page,
                "labels": risk_lists.level_labels(a),
            }
        )
    return render(request, "infosec/risk/compare.html", context)


@authenticated
def risk_compare_export(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    other = _other(request, a)
    cap = settings.FENGPING_EXPORT_MAX_ROWS
    cmp = risk_lists.compare(a, other) if other is not None else None
    rows = risk_lists.comparison_rows(cmp, 0, cap) if cmp is not None else []
    header = [
        _("变化"), _("资产"), _("威胁"), _("脆弱性"), _("脆弱性标识"),
        _("本次风险值"), _("本次等级"), _("对比评估风险值"), _("对比评估等级"),
    ]  # fmt: skip

    def sheets():  # type: ignore[no-untyped-def]
        yield (
            _("风险对比"),
            header,
            (
                [
                    str(r["change_label"]),
                    r["asset"],
                    r["threat"],
                    r["vulnerability"],
                    r["vulnerability_key"],
                    r["this_risk"],
                    r["this_level"],
                    r["other_risk"],
                    r["other_level"],
                ]  # fmt: skip
                for r in rows
            ),
        )
        if cmp is None or other is None:
            yield _("说明"), [_("说明")], [[_("请选择要对比的评估（参数 other）")]]
            return
        notes = [[_("对比：%(a)s 与 %(b)s") % {"a": a.title, "b": other.title}]]
        notes += [[f"{risk_lists.CHANGE_LABELS[c]}: {n}"] for c, n in cmp.counts.items()]
        if len(cmp) > cap:
            notes.insert(0, [_("超过 %(n)s 行，只导出了前 %(n)s 行。") % {"n": cap}])
        yield _("说明"), [_("说明")], notes

    response = HttpResponse(write_workbook(sheets()), content_type=XLSX_MIME)
    response["Content-Disposition"] = 'attachment; filename="fengping-infosec-risk-compare.xlsx"'
    return response


register("assessment", Tab(TAB, gettext_lazy("风险分析"), "infosec:risk", 50))

urlpatterns = [
    path("risks/", all_risks, name="all_risks"),
    path("risks/export.xlsx", all_risks_export, name="all_risks_export"),
    path("assessments/<int:pk>/risk/", risk_register, name="risk"),
    path("assessments/<int:pk>/risk/export.xlsx", risk_export, name="risk_export"),
    path("assessments/<int:pk>/risk/compute/", risk_compute, name="risk_compute"),
    path("assessments/<int:pk>/risk/heatmap/", risk_heatmap, name="risk_heatmap"),
    path("assessments/<int:pk>/risk/assets/", risk_assets, name="risk_assets"),
    path("assessments/<int:pk>/risk/businesses/", risk_businesses, name="risk_businesses"),
    path(
        "assessments/<int:pk>/risk/assets/export.xlsx",
        risk_assets_export,
        name="risk_assets_export",
    ),
    path(
        "assessments/<int:pk>/risk/businesses/export.xlsx",
        risk_businesses_export,
        name="risk_businesses_export",
    ),
    path("assessments/<int:pk>/risk/compare/", risk_compare, name="risk_compare"),
    path(
        "assessments/<int:pk>/risk/compare/export.xlsx",
        risk_compare_export,
        name="risk_compare_export",
    ),
]
