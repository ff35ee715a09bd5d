"""Lists of the case registry declared once (core.listing): page, htmx partial, XLSX, API.

The case list pages by key on the newest case first (`-id`), so page 1 and page 10,000
cost the same at a million cases; labels come from the scheme registry once per version.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fengping.core import listing
from fengping.core.listing import (
    BooleanFilter,
    ChoiceFilter,
    Column,
    DepartmentFilter,
    ListSpec,
    SearchFilter,
)
from fengping.org import access
from fengping.org.models import Department
from fengping.schemebook import registry

from .models import Case, Petition, decode_codes

DEFAULT_SCHEME = "case-risk"


@listing.versioned(registry.version)
def case_labels() -> dict[str, Any]:
    """Labels of every case-risk scheme: categories, stages per organ kind, set options."""
    out: dict[str, Any] = {"category": {}, "stage": {}, "kind_stage": {}, "sets": {}, "kinds": {}}
    keys = [DEFAULT_SCHEME]
    for key in keys:
        try:
            section = registry.get(key).cases
        except Exception:  # noqa: BLE001, S112 - a missing scheme leaves codes unlabelled
            continue
        if section is None:
            continue
        out["category"].update({o.code: o.label for o in section.categories})
        for kind in section.organ_kinds:
            out["kinds"][kind.code] = kind.label
            for s in kind.stages:
                out["stage"].setdefault(s.code, s.label)
                out["kind_stage"][(kind.code, s.code)] = s.label
        for o in (*section.vulnerable_groups, *section.coercive_measures):
            out["sets"][o.code] = o.label
    return out


def category_label(code: str) -> str:
    return str(case_labels()["category"].get(code, code))


def stage_label(case: Case) -> str:
    labels = case_labels()
    profile = getattr(case.organ, "case_profile", None)
    kind = profile.organ_kind if profile is not None else ""
    return str(
        labels["kind_stage"].get((kind, case.stage)) or labels["stage"].get(case.stage, case.stage)
    )


def set_labels(text: str) -> str:
    labels = case_labels()["sets"]
    return "、".join(labels.get(c, c) for c in decode_codes(text))


def visible_organs(user: Any) -> QuerySet[Department]:
    """The organs (departments with a case profile) the user sees."""
    return access.visible(user, Department.objects.filter(case_profile__isnull=False))


def visible_cases(user: Any) -> QuerySet[Case]:
    return access.visible(user, Case.objects.select_related("organ__case_profile", "handler"))


def _categories(ctx: listing.Context) -> list[tuple[str, Any]]:
    return list(case_labels(ctx)["category"].items())


def _stages(ctx: listing.Context) -> list[tuple[str, Any]]:
    return list(case_labels(ctx)["stage"].items())


def _markers(case: Case) -> str:
    names = [
        (case.major_complex, "重大复杂"),
        (case.public_attention, "群众关注"),
        (case.socially_sensitive, "社会敏感"),
        (case.officer_misconduct, "干警违法违纪"),
    ]
    return "、".join(str(_(n)) for on, n in names if on)


def _risk(case: Case) -> str:
    if case.risk_open:
        return str(_("风险未化解"))
    if case.assessed:
        return str(_("风险已化解"))
    return ""


def _risk_html(case: Case) -> Any:
    if case.risk_open:
        return listing.badge(_("风险未化解"), "bg-red-lt")
    if case.assessed:
        return listing.badge(_("风险已化解"), "bg-green-lt")
    return listing.display("")


CASES = ListSpec(
    name="cases",
    title=_("案件"),
    queryset=visible_cases,
    order=("-id",),
    keyset=True,
    per_page=50,
    filters=(
        SearchFilter("q", _("搜索"), ("number", "title"), placeholder=_("按案号或案件名称搜索")),
        DepartmentFilter("organ", _("政法单位"), visible_organs, path_field="organ__path"),
        ChoiceFilter("category", _("案件类别"), _categories),
        ChoiceFilter("stage", _("办理阶段"), _stages),
        BooleanFilter("risk_open", _("风险未化解")),
        BooleanFilter("major_complex", _("重大、疑难、复杂")),
        BooleanFilter("public_attention", _("群众关注")),
        BooleanFilter("socially_sensitive", _("社会敏感")),
        BooleanFilter("officer_misconduct", _("政法干警违法违纪")),
    ),
    columns=(
        Column(
            _("案号"),
            lambda c: c.number,
            html=lambda c: listing.link(reverse("cases:case", args=[c.pk]), c.number),
        ),
        Column(_("案件名称"), lambda c: c.title),
        Column(_("政法单位"), lambda c: c.organ.name),
        Column(_("案件类别"), lambda c: category_label(c.category)),
        Column(_("办理阶段"), stage_label),
        Column(
            _("承办人"), lambda c: (c.handler.real_name or c.handler.username) if c.handler else ""
        ),
        Column(_("标记"), _markers),
        Column(_("评估"), _risk, html=_risk_html),
        Column(_("受理日期"), lambda c: c.accepted_on, page=False),
        Column(_("进入本阶段日期"), lambda c: c.stage_since, page=False),
        Column(_("涉案金额（元）"), lambda c: c.amount, page=False),
        Column(_("当事人人数"), lambda c: c.party_count, page=False),
        Column(_("涉案人数"), lambda c: c.involved_count, page=False),
        Column(_("弱势群体"), lambda c: set_labels(c.vulnerable_groups), page=False),
        Column(_("查封、扣押、冻结措施"), lambda c: set_labels(c.coercive_measures), page=False),
        Column(_("评估等级"), lambda c: c.risk_level, page=False),
        Column(_("简要案情"), lambda c: c.brief_facts, page=False),
    ),
    empty_title=_("没有符合条件的案件"),
    empty_hint=_("可逐件登记，或在政法单位设置页下载模板、导入办案系统导出的案件清单"),
    page_template="cases/case_list.html",
    export_url=lambda: reverse("cases:export"),
)


def case_petitions(user: Any, case: Case) -> QuerySet[Petition]:
    return access.visible(user, Petition.objects.filter(case=case).select_related("recorded_by"))


PETITIONS = ListSpec(
    name="case-petitions",
    title=_("信访记录"),
    queryset=case_petitions,
    order=("-date", "-id"),
    columns=(
        Column(_("信访日期"), lambda p: p.date),
        Column(_("信访形式"), lambda p: p.get_kind_display()),
        Column(_("人数"), lambda p: p.persons),
        Column(_("诉求内容"), lambda p: p.content),
        Column(
            _("登记人"),
            lambda p: (p.recorded_by.real_name or p.recorded_by.username) if p.recorded_by else "",
        ),
    ),
    empty_title=_("没有信访记录"),
    page_template="cases/petitions.html",
    rows_template="cases/_petition_rows.html",
    export_url=lambda case: reverse("cases:petitions_export", args=[case.pk]),
)
