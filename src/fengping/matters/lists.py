"""The list of matters, declared once: page, htmx partial, XLSX export and API filters
all come from `MATTERS` (see core.listing)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from fengping.core import listing
from fengping.core.listing import (
    ChoiceFilter,
    Column,
    DepartmentFilter,
    ListSpec,
    SearchFilter,
    YearFilter,
)
from fengping.org import access
from fengping.org.models import Department
from fengping.schemebook.options import ssra_options

from . import queries
from .models import Matter, MatterStatus


def visible_departments(user: Any) -> QuerySet[Department]:
    return access.visible(user, Department.objects.filter(is_active=True))


def _decided(qs: QuerySet[Matter], outcome: str, values: Any) -> QuerySet[Matter]:
    """Matters with a decision (`assessments.Decision`) of this outcome: a subquery on the
    decision index (outcome, matter), so the page still reads its rows in the list's order
    and a matter decided twice alike appears once. The model is reached through the reverse
    relation because matters imports no app above it."""
    decision = Matter._meta.get_field("decisions").related_model
    return qs.filter(pk__in=decision.objects.filter(outcome=outcome).values("matter_id"))


def _title(m: Matter) -> SafeString:
    html = listing.link(reverse("matters:detail", args=[m.pk]), m.title)
    if m.must_assess:
        html += format_html(' <span class="badge bg-red-lt">{}</span>', _("必须评估"))
    if m.confidential:
        html += format_html(' <span class="badge bg-secondary-lt">{}</span>', _("不公开"))
    return html


def _grade(m: Matter) -> SafeString:
    if not m.grade:
        return SafeString("—")
    return format_html('<span class="badge grade-badge grade-{}">{}</span>', m.grade, m.grade_label)


MATTERS = ListSpec(
    name="matters",
    title=_("评估事项"),
    queryset=lambda user: queries.visible_matters(user),
    order=("-id",),
    keyset=True,
    filters=(
        SearchFilter("q", _("搜索"), ("title", "description"), placeholder=_("搜索事项名称或概况")),
        ChoiceFilter("status", _("状态"), MatterStatus.choices, all_label=_("全部状态")),
        ChoiceFilter(
            "grade",
            _("风险等级"),
            lambda ctx: ssra_options(ctx).grades,
            all_label=_("全部等级"),
        ),
        ChoiceFilter(
            "decision",
            _("决定"),
            lambda ctx: ssra_options(ctx).decisions,
            all_label=_("全部决定"),
            apply=_decided,
        ),
        DepartmentFilter("department", _("部门"), visible_departments),
        ChoiceFilter(
            "category",
            _("领域"),
            lambda ctx: ssra_options(ctx).categories,
            field="category_code",
            all_label=_("全部领域"),
        ),
        ChoiceFilter(
            "scheme",
            _("评估方案"),
            lambda ctx: ssra_options(ctx).schemes,
            field="scheme_key",
            all_label=_("全部方案"),
        ),
        YearFilter("year", _("年度"), years=lambda ctx: queries.year_options(ctx.user)),
    ),
    columns=(
        Column(_("年度"), lambda m: m.year, page=False),
        Column(_("事项名称"), lambda m: m.title, html=_title),
        Column(_("类型"), lambda m: m.get_kind_display(), page=False),
        Column(_("所属领域"), lambda m: m.category_label, css="text-secondary"),
        Column(_("必须评估"), lambda m: m.must_assess, page=False),
        Column(_("责任主体"), lambda m: m.department.name),
        Column(
            _("牵头部门"),
            lambda m: m.lead_department.name if m.lead_department else "",
            page=False,
        ),
        Column(_("决定机关"), lambda m: m.deciding_authority, page=False),
        Column(_("计划决策日期"), lambda m: m.planned_decision_date, css="text-nowrap"),
        Column(
            _("状态"),
            lambda m: m.get_status_display(),
            html=lambda m: listing.badge(m.get_status_display()),
        ),
        Column(_("风险等级"), lambda m: m.grade_label, html=_grade),
        Column(_("登记日期"), lambda m: timezone.localdate(m.created_at), page=False),
    ),
    empty_title=_("没有符合条件的评估事项"),
    empty_hint=_("可以调整筛选条件，或登记新的事项。"),
    page_template="matters/matter_list.html",
    export_url=lambda: reverse("matters:export"),
)
