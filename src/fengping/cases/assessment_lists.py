"""本阶段待评估 (篇4 五3: 重大、疑难、复杂案件自受理之初就要先期评估; 在办案的每个阶段和工作
环节 …): the cases whose current stage has no assessment yet — a 重大、疑难、复杂 case, or a
case assessed before whose last assessment is resolved — declared once (core.listing):
page, htmx partial, XLSX export and API filters. The query is a constant number of SQL
statements whatever the size (Exists subqueries, the organ's kind read by a Subquery)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fengping.core import listing
from fengping.core.listing import BooleanFilter, ChoiceFilter, Column, ListSpec, SearchFilter
from fengping.org import access
from fengping.schemebook import registry

from .models import AssessmentStatus, Case, CaseAssessment, OrganProfile


@listing.versioned(registry.version)
def scheme_data() -> dict[str, Any]:
    """What the list reads of the case schemes — stage labels per (scheme, organ kind,
    stage), category labels, the 结案 stages — derived once per registry version."""
    stages: dict[tuple[str, str, str], str] = {}
    categories: dict[str, str] = {}
    closed: set[str] = set()
    for e in registry.entries():
        section = e.scheme.cases
        if section is None:
            continue
        for c in section.categories:
            categories.setdefault(c.code, c.label)
        for k in section.organ_kinds:
            for s in k.stages:
                stages[(e.scheme.key, k.code, s.code)] = s.label
                if s.gate == "close":
                    closed.add(s.code)
    return {"stages": stages, "categories": categories, "closed": sorted(closed)}


def closed_stages() -> list[str]:
    """Stage codes marked `close` (结案) in any case scheme: nothing is assessed there."""
    return list(scheme_data()["closed"])


def category_choices(ctx: Any = None) -> list[tuple[str, str]]:
    return list(scheme_data(ctx)["categories"].items())


def stage_label(case: Case, data: dict[str, Any] | None = None) -> str:
    data = data or scheme_data()
    key = (
        getattr(case, "scheme_key_", "") or "",
        getattr(case, "organ_kind_", "") or "",
        case.stage,
    )
    return data["stages"].get(key, case.stage)


def category_label(case: Case) -> str:
    return scheme_data()["categories"].get(case.category, case.category)


def due_cases(user: Any) -> QuerySet[Case]:
    """Cases visible to `user` whose current stage has no (non-void) assessment and no
    assessment is open: 重大、疑难、复杂 ones, and ones whose earlier assessment is resolved."""
    runs = CaseAssessment.objects.filter(case=OuterRef("pk")).exclude(status=AssessmentStatus.VOID)
    profile = OrganProfile.objects.filter(department=OuterRef("organ_id"))
    qs = (
        Case.objects.annotate(
            has_stage_run=Exists(runs.filter(stage=OuterRef("stage"))),
            has_open_run=Exists(runs.filter(status=AssessmentStatus.OPEN)),
            was_resolved=Exists(runs.filter(status=AssessmentStatus.RESOLVED)),
            organ_kind_=Subquery(profile.values("organ_kind")[:1]),
            scheme_key_=Subquery(profile.values("scheme_key")[:1]),
        )
        .filter(Q(major_complex=True) | Q(was_resolved=True))
        .filter(has_stage_run=False, has_open_run=False)
        .exclude(stage__in=closed_stages())
        .select_related("organ", "handler")
    )
    return access.visible(user, qs)


def _start_reason(case: Case) -> str:
    return str(_("办案阶段再评估") if case.was_resolved else _("重大、疑难、复杂案件受理先期评估"))


DUE = ListSpec(
    name="cases-assessments-due",
    title=_("本阶段待评估"),
    queryset=due_cases,
    order=("-id",),
    keyset=True,
    filters=(
        SearchFilter("q", _("搜索"), ("number", "title"), placeholder=_("按案号或案件名称搜索")),
        ChoiceFilter("category", _("案件类别"), category_choices),
        BooleanFilter("major_complex", _("重大、疑难、复杂")),
    ),
    columns=(
        Column(
            _("案号"),
            lambda c: c.number,
            html=lambda c: listing.link(reverse("cases:case_assessments", args=[c.pk]), c.number),
        ),
        Column(_("案件名称"), lambda c: c.title),
        Column(_("政法单位"), lambda c: c.organ.name),
        Column(_("案件类别"), category_label),
        Column(_("办理阶段"), stage_label),
        Column(_("重大、疑难、复杂"), lambda c: c.major_complex),
        Column(_("承办人"), lambda c: str(c.handler) if c.handler else ""),
        Column(_("上次评估等级"), lambda c: c.risk_level, page=False),
        Column(_("应开展的评估"), _start_reason),
    ),
    empty_title=_("没有待评估的案件"),
    empty_hint=_("重大、疑难、复杂案件及已评估案件进入新的办理阶段后列在这里"),
    export_url=lambda: reverse("cases:assessments_due_export"),
)
