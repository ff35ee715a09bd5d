"""The list of assessments, declared once (see core.listing).

Labels of steps, grades and schemes come from `schemebook.options`, computed once per
registry version: reading each row's frozen snapshot would parse a whole scheme per row."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from fengping.core import listing
from fengping.core.listing import ChoiceFilter, Column, DepartmentFilter, ListSpec
from fengping.matters.lists import visible_departments
from fengping.org import access
from fengping.schemebook.options import ssra_options

from .models import Assessment, AssessmentStatus, Filing


def _label(kind: str, a: Assessment) -> str:
    code = a.current_step if kind == "step" else a.grade
    if not code:
        return ""
    label = ssra_options().label(kind, a.scheme_key, code)
    if label is not None:
        return str(label)
    # A scheme no longer in the registry: its frozen snapshot still knows the label.
    return a.grade_label if kind == "grade" else code


def _matter(a: Assessment) -> SafeString:
    name = ssra_options().scheme_name(a.scheme_key)
    return format_html(
        '<a href="{}">{}</a><div class="small text-secondary">{} · {}</div>',
        reverse("assessments:detail", args=[a.pk]),
        a.matter.title,
        name,
        a.scheme_version,
    )


def _grade(a: Assessment) -> SafeString:
    if not a.grade:
        return SafeString("—")
    return format_html(
        '<span class="badge grade-badge grade-{}">{}</span>', a.grade, _label("grade", a)
    )


def visible_assessments(user: Any) -> QuerySet[Assessment]:
    return (
        access.visible(user, Assessment.objects.all())
        .select_related("matter__department")
        .defer("scheme_snapshot")
        .annotate(late_filing=Exists(Filing.objects.filter(assessment=OuterRef("pk"), late=True)))
    )


def _filing(a: Assessment) -> str:
    """A filing made after the due day stays marked late (篇3 六(七) 决定的次日)."""
    return str(_("逾期备案")) if getattr(a, "late_filing", False) else ""


def _options(key: str) -> Any:
    return lambda ctx: getattr(ssra_options(ctx), key)


ASSESSMENTS = ListSpec(
    name="assessments",
    title=_("风险评估"),
    queryset=visible_assessments,
    order=("-id",),
    keyset=True,
    filters=(
        ChoiceFilter("status", _("状态"), AssessmentStatus.choices, all_label=_("全部状态")),
        ChoiceFilter(
            "step", _("当前步骤"), _options("steps"), field="current_step", all_label=_("全部步骤")
        ),
        ChoiceFilter("grade", _("风险等级"), _options("grades"), all_label=_("全部等级")),
        DepartmentFilter(
            "department", _("部门"), visible_departments, path_field="matter__department__path"
        ),
    ),
    columns=(
        Column(_("评估事项"), lambda a: a.matter.title, html=_matter),
        Column(_("评估方案"), lambda a: f"{a.scheme_key} · {a.scheme_version}", page=False),
        Column(_("责任主体"), lambda a: a.matter.department.name),
        Column(_("当前步骤"), lambda a: _label("step", a)),
        Column(
            _("状态"),
            lambda a: a.get_status_display(),
            html=lambda a: listing.badge(a.get_status_display()),
        ),
        Column(_("风险等级"), lambda a: _label("grade", a), html=_grade),
        Column(_("开始日期"), lambda a: timezone.localdate(a.started_at), css="text-nowrap"),
        Column(
            _("备案"),
            _filing,
            html=lambda a: listing.badge(_filing(a), "bg-orange-lt"),
        ),
    ),
    empty_title=_("没有符合条件的风险评估"),
    empty_hint=_("在评估事项页面开始一项评估。"),
    page_template="assessments/list.html",
    export_url=lambda: reverse("assessments:export"),
)
