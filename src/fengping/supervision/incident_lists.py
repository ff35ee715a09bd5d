"""The lists of the incidents area, declared once (core.listing): page, htmx partial, XLSX
export and API — incidents, accountability decisions and the three 应评未评 lists."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fengping.core import listing
from fengping.core.listing import (
    BooleanFilter,
    ChoiceFilter,
    Column,
    DateRangeFilter,
    DepartmentFilter,
    ListSpec,
    SearchFilter,
    YearFilter,
)
from fengping.org import access
from fengping.org.models import Department

from . import unassessed
from .models import (
    AccountabilityDecision,
    AccountabilityMeasure,
    Incident,
    IncidentKind,
)


def _offices(user: Any) -> QuerySet[Department]:
    return access.visible(
        user, Department.objects.filter(kind__in=unassessed.SUPERVISING_KINDS, is_active=True)
    )


def _departments(user: Any) -> QuerySet[Department]:
    return access.visible(user, Department.objects.filter(is_active=True))


def visible_incidents(user: Any) -> QuerySet[Incident]:
    return access.visible(
        user,
        Incident.objects.select_related("office").annotate(
            link_count=Count("links", distinct=True),
            found_count=Count("links", filter=~Q(links__finding=""), distinct=True),
        ),
    )


def _date(value: Any) -> Any:
    from django.utils import timezone

    return timezone.localtime(value).date() if value else None


INCIDENTS = ListSpec(
    name="incidents",
    title=_("不稳定事件与责任追究"),
    queryset=visible_incidents,
    order=("-occurred_at", "-id"),
    filters=(
        SearchFilter("q", _("搜索"), ("title", "place"), placeholder=_("按事件名称或地点搜索")),
        ChoiceFilter("kind", _("事件类型"), IncidentKind.choices),
        DateRangeFilter("occurred", _("发生日期"), "occurred_at__date"),
        DepartmentFilter("office", _("登记机关"), _offices, path_field="office__path"),
        BooleanFilter("serious", _("给社会稳定造成严重影响")),
    ),
    columns=(
        Column(
            _("事件名称"),
            lambda i: i.title,
            html=lambda i: listing.link(reverse("supervision:incident", args=[i.pk]), i.title),
        ),
        Column(_("事件类型"), lambda i: i.get_kind_display()),
        Column(_("发生时间"), lambda i: _date(i.occurred_at)),
        Column(_("发生地点"), lambda i: i.place),
        Column(_("涉及人数"), lambda i: i.people),
        Column(_("登记机关"), lambda i: i.office.name),
        Column(_("已认定/关联"), lambda i: f"{i.found_count}/{i.link_count}"),
        Column(
            _("调查"),
            lambda i: str(_("已终结")) if i.closed_at else str(_("调查中")),
            html=lambda i: (
                listing.badge(_("已终结"), "bg-green-lt")
                if i.closed_at
                else listing.badge(_("调查中"), "bg-orange-lt")
            ),
        ),
        Column(_("事件经过"), lambda i: i.description, page=False),
        Column(_("原因"), lambda i: i.cause, page=False),
        Column(_("损失"), lambda i: i.losses, page=False),
    ),
    empty_title=_("没有登记的事件"),
    page_template="supervision/incidents/list.html",
    export_url=lambda: reverse("supervision:incident_export"),
)


def visible_decisions(
    user: Any, incident: Incident | None = None
) -> QuerySet[AccountabilityDecision]:
    qs = AccountabilityDecision.objects.select_related(
        "incident", "department", "link__matter", "link__case", "link__system"
    )
    if incident is not None:
        qs = qs.filter(incident=incident)
    return access.visible(user, qs)


def _target(d: AccountabilityDecision) -> str:
    return str(d.link.target) if d.link_id else ""


ACCOUNTABILITY = ListSpec(
    name="accountability",
    title=_("责任追究"),
    queryset=visible_decisions,
    order=("-decided_on", "-id"),
    filters=(
        SearchFilter(
            "q", _("搜索"), ("doc_number", "person_name"), placeholder=_("按文号或姓名搜索")
        ),
        DepartmentFilter("department", _("被追究单位"), _departments),
        ChoiceFilter("measure", _("追究方式"), AccountabilityMeasure.choices),
        YearFilter("year", _("年度"), "decided_on__year"),
        BooleanFilter("mitigated", _("酌情减轻")),
    ),
    columns=(
        Column(_("决定文号"), lambda d: d.doc_number),
        Column(_("决定日期"), lambda d: d.decided_on),
        Column(
            _("事件"),
            lambda d: d.incident.title,
            html=lambda d: listing.link(
                reverse("supervision:incident", args=[d.incident_id]), d.incident.title
            ),
        ),
        Column(_("涉及事项/案件/系统"), _target),
        Column(_("被追究单位"), lambda d: d.department.name),
        Column(_("被追究人"), lambda d: d.person_name),
        Column(_("责任类别"), lambda d: d.get_person_role_display()),
        Column(_("追究方式"), lambda d: d.get_measure_display()),
        Column(_("纪律处分"), lambda d: d.get_discipline_display() if d.discipline else ""),
        Column(_("酌情减轻"), lambda d: d.mitigated),
        Column(_("追究事由"), lambda d: d.reason, page=False),
    ),
    empty_title=_("没有责任追究决定"),
    export_url=lambda: reverse("supervision:accountability_export"),
)


# ----------------------------------------------------------------------------- 应评未评


def _people(handler: Any, head: str | None) -> str:
    parts = []
    if handler is not None:
        parts.append(f"{_('承办')}：{unassessed.person(handler)}")
    if head:
        parts.append(f"{_('主要负责人')}：{head}")
    return "；".join(parts)


UNASSESSED_MATTERS = ListSpec(
    name="unassessed-matters",
    title=_("应评未评：重大事项"),
    queryset=lambda user: unassessed.visible(user, "matters"),
    order=("-id",),
    keyset=True,
    per_page=50,
    filters=(
        SearchFilter("q", _("搜索"), ("title",), placeholder=_("按事项名称搜索")),
        DepartmentFilter("department", _("责任单位"), _departments),
        YearFilter("year", _("年度"), "year"),
    ),
    columns=(
        Column(
            _("事项"),
            lambda m: m.title,
            html=lambda m: listing.link(reverse("matters:detail", args=[m.pk]), m.title),
        ),
        Column(_("所属领域"), lambda m: m.category_label),
        Column(_("责任单位"), lambda m: m.department.name),
        Column(_("责任人"), lambda m: _people(m.created_by, m.head_name)),
        Column(_("决定日期"), lambda m: m.decided_on),
        Column(_("状态"), lambda m: m.get_status_display()),
    ),
    empty_title=_("没有应评未评的事项"),
    page_template="supervision/unassessed/list.html",
    export_url=lambda: reverse("supervision:unassessed_matters_export"),
)

UNASSESSED_CASES = ListSpec(
    name="unassessed-cases",
    title=_("应评未评：案件"),
    queryset=lambda user: unassessed.visible(user, "cases"),
    order=("-id",),
    keyset=True,
    per_page=50,
    filters=(
        SearchFilter("q", _("搜索"), ("number", "title"), placeholder=_("按案号或案件名称搜索")),
        DepartmentFilter("department", _("政法单位"), _departments, path_field="organ__path"),
    ),
    columns=(
        Column(
            _("案件"),
            lambda c: f"{c.number} {c.title}",
            html=lambda c: listing.link(
                reverse("cases:case", args=[c.pk]), f"{c.number} {c.title}"
            ),
        ),
        Column(_("政法单位"), lambda c: c.organ.name),
        Column(_("责任人"), lambda c: _people(c.handler, c.head_name)),
        Column(_("裁决日期"), lambda c: c.adjudicated_on),
        Column(
            _("须评估的缘由"),
            lambda c: str(_("重大、疑难、复杂")) if c.major_complex else str(_("列为评估对象")),
        ),
    ),
    empty_title=_("没有应评未评的案件"),
    page_template="supervision/unassessed/list.html",
    export_url=lambda: reverse("supervision:unassessed_cases_export"),
)

UNASSESSED_SYSTEMS = ListSpec(
    name="unassessed-systems",
    title=_("应评未评：信息系统"),
    queryset=lambda user: unassessed.visible(user, "systems"),
    order=("-id",),
    keyset=True,
    per_page=50,
    filters=(
        SearchFilter("q", _("搜索"), ("name", "code"), placeholder=_("按系统名称或编号搜索")),
        DepartmentFilter("department", _("主管部门"), _departments),
    ),
    columns=(
        Column(
            _("信息系统"),
            lambda s: s.name,
            html=lambda s: listing.link(reverse("infosec:system", args=[s.pk]), s.name),
        ),
        Column(_("主管部门"), lambda s: s.department.name),
        Column(_("责任人"), lambda s: _people(s.created_by, s.head_name)),
        Column(
            _("最近一次评估完成"),
            lambda s: listing_date(s.last_finished),
        ),
        Column(_("评估失效/登记日期"), unassessed.lapsed_on),
    ),
    empty_title=_("没有缺少有效评估的在用系统"),
    page_template="supervision/unassessed/list.html",
    export_url=lambda: reverse("supervision:unassessed_systems_export"),
)


def listing_date(value: Any) -> Any:
    return _date(value)


UNASSESSED = {
    "matters": UNASSESSED_MATTERS,
    "cases": UNASSESSED_CASES,
    "systems": UNASSESSED_SYSTEMS,
}
UNASSESSED_TABS = (
    ("matters", _("重大事项")),
    ("cases", _("案件")),
    ("systems", _("信息系统")),
)
