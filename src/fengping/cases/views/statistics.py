"""The statistics page of the cases app: per organ and month (table, trend charts) and per
screening criterion (which criteria predict petitions), with their XLSX export. Reads
only; the figures are those of `cases.statistics` for the organs the user sees."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from fengping.core.policy import authenticated
from fengping.core.xlsx import XLSX_MIME, write_workbook

from .. import statistics as st


def _report(request: HttpRequest) -> st.Report:
    q = request.GET
    return st.report(
        request.user,
        first=q.get("from"),
        last=q.get("to"),
        organ=q.get("organ"),
        run=q.get("run"),
        window=q.get("window"),
    )


def _month(m: dt.date) -> str:
    return m.strftime("%Y-%m")


def _run_label(run: Any, names: dict[int, str]) -> str:
    return _("%(organ)s %(month)s（排查日 %(day)s）") % {
        "organ": names.get(run.organ_id, ""),
        "month": _month(run.month),
        "day": run.as_of.isoformat(),
    }


def _chart(rep: st.Report) -> dict[str, Any]:
    """What stats.js draws: the months, one series per figure (all shown organs added up),
    the share of each criterion's cases that had a petition; texts translated here."""
    months = rep.period.months
    by_month = rep.monthly.by_month
    crit = rep.criteria
    return {
        "months": [_month(m) for m in months],
        "series": [
            {"code": code, "name": str(label), "data": [by_month[m][code] for m in months]}
            for code, label in st.FIGURES
        ],
        "criteria": {
            "labels": [r.label for r in crit.rows],
            "shares": [_percent(r.share) for r in crit.rows],
            "flagged": [r.flagged for r in crit.rows],
            "overall": _percent(crit.overall.share),
        },
        "text": {
            "screening": _("排查与列入研判"),
            "work": _("评估、化解、裁决与信访"),
            "share": _("其后 %(n)s 日内有信访的比例（%%）") % {"n": crit.window},
            "overall": _("全部列入研判案件"),
            "cases": _("列入研判案件数"),
        },
    }


def _rows(rep: st.Report) -> list[dict[str, Any]]:
    """The table: each organ's months and its subtotal; with several organs, every organ
    added up per month and the grand total."""
    rows: list[dict[str, Any]] = []
    organs = rep.monthly.organs
    for organ in organs:
        for i, (m, cell) in enumerate(organ.months.items()):
            rows.append(
                {
                    "organ": organ.name,
                    "first": i == 0,
                    "span": len(organ.months) + 1,
                    "month": _month(m),
                    "cells": [cell[c] for c in st.FIGURE_CODES],
                }
            )
        rows.append(
            {"organ": organ.name, "total": True, "month": _("小计"), "cells": _cells(organ.total)}
        )
    if len(organs) > 1:
        months = rep.monthly.by_month
        for i, (m, cell) in enumerate(months.items()):
            rows.append(
                {
                    "organ": _("全部单位"),
                    "first": i == 0,
                    "span": len(months) + 1,
                    "month": _month(m),
                    "cells": _cells(cell),
                    "all": True,
                }
            )
        rows.append(
            {
                "organ": _("全部单位"),
                "total": True,
                "all": True,
                "month": _("合计"),
                "cells": _cells(rep.monthly.total),
            }
        )
    return rows


def _criteria_rows(crit: st.CriteriaStats) -> list[dict[str, Any]]:
    """Each criterion with its share in percent and how it compares with every flagged
    case (`lift`: 1.5 = half as likely again to be followed by a petition)."""
    base = crit.overall.share
    return [
        {
            "label": r.label,
            "flagged": r.flagged,
            "petitioned": r.petitioned,
            "share": _percent(r.share),
            "lift": round(r.share / base, 1) if r.share is not None and base else None,
        }
        for r in crit.rows
    ]


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _cases_url() -> str:
    """The case list (the registry's page), or the app's root until it is there."""
    try:
        return reverse("cases:list")
    except NoReverseMatch:
        return "/cases/"


def _cells(cell: dict[str, int]) -> list[int]:
    return [cell[c] for c in st.FIGURE_CODES]


@authenticated
@require_safe
def statistics(request: HttpRequest) -> HttpResponse:
    rep = _report(request)
    names = dict(rep.organ_choices)
    crit = rep.criteria
    return render(
        request,
        "cases/statistics.html",
        {
            "rep": rep,
            "figures": [label for _code, label in st.FIGURES],
            "rows": _rows(rep),
            "criteria_rows": _criteria_rows(crit),
            "chart": _chart(rep),
            "run_choices": [(r.pk, _run_label(r, names)) for r in crit.choices],
            "chosen_run": crit.run.pk if crit.run else None,
            "chosen_run_label": _run_label(crit.run, names) if crit.run else "",
            "organ_id": rep.organ.department_id if rep.organ else None,
            "cases_url": _cases_url(),
            "from_value": _month(rep.period.first),
            "to_value": _month(rep.period.last),
            "export_url": reverse("cases:statistics_export")
            + ("?" + request.GET.urlencode() if request.GET else ""),
        },
    )


@authenticated
@require_safe
def statistics_export(request: HttpRequest) -> HttpResponse:
    """Both tables as a workbook of two sheets (every cell formula-safe)."""
    rep = _report(request)
    crit = rep.criteria

    def monthly_rows() -> Iterator[list[Any]]:
        for row in _rows(rep):
            yield [row["organ"], row["month"], *row["cells"]]

    def criteria_rows() -> Iterator[list[Any]]:
        for r in _criteria_rows(crit):
            yield [r["label"], r["flagged"], r["petitioned"], r["share"], r["lift"]]
        o = crit.overall
        yield [o.label, o.flagged, o.petitioned, _percent(o.share), 1.0 if o.share else None]

    petitioned = _("其后 %(n)s 日内有信访") % {"n": crit.window}
    sheets = [
        (_("按单位和月份"), [_("单位"), _("月份"), *map(str, (lb for _c, lb in st.FIGURES))],
         monthly_rows()),
        (_("按排查规则"), [_("排查规则"), _("列入研判案件数"), petitioned, _("比例（%）"),
          _("为全部列入研判案件的倍数")],
         criteria_rows()),
    ]  # fmt: skip
    response = HttpResponse(write_workbook(sheets), content_type=XLSX_MIME)
    name = f"fengping-cases-statistics-{_month(rep.period.first)}-{_month(rep.period.last)}"
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


urlpatterns = [
    path("statistics/", statistics, name="statistics"),
    path("statistics/export.xlsx", statistics_export, name="statistics_export"),
]
