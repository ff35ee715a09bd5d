"""年度社会稳定风险评估计划表 pages: the list of the plans one sees (filters year / department
/ status, XLSX), a plan with its entries and filed versions (what changed between them),
the entry forms, filing with the 维稳办, the office's 签收 and the plan as a 计划表 XLSX."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core import listing
from fengping.core.forms import StyledForm
from fengping.core.listing import ChoiceFilter, Column, DepartmentFilter, ListSpec, YearFilter
from fengping.core.pages import form_page, run_action, submit
from fengping.core.policy import authenticated
from fengping.core.xlsx import XLSX_MIME, safe_cell
from fengping.matters.models import Matter
from fengping.org import access
from fengping.org.forms import DepartmentChoiceField
from fengping.org.models import WORK_ROLES, Department
from fengping.schemebook import registry
from fengping.schemes.cite import cite

from .. import obliged
from ..actions import plans as actions
from ..models import AnnualPlan, PlanEntry, PlanFiling, PlanStatus

STATUS_CSS = {
    PlanStatus.DRAFT: "bg-secondary-lt",
    PlanStatus.FILED: "bg-green-lt",
    PlanStatus.CHANGED: "bg-orange-lt",
}


def date_text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
    return f"{value.year}年{value.month}月{value.day}日"


def _last(field: str) -> Subquery:
    return Subquery(
        PlanFiling.objects.filter(plan=OuterRef("pk")).order_by("-number").values(field)[:1]
    )


def plans_queryset(user: Any) -> QuerySet[AnnualPlan]:
    return (
        actions.plans_visible(user)
        .select_related("department")
        .annotate(
            n_entries=Count("entries", distinct=True),
            last_number=_last("number"),
            last_filed_at=_last("filed_at"),
            last_late=_last("late"),
            last_acknowledged_at=_last("acknowledged_at"),
            last_office=_last("office__name"),
        )
    )


def _departments(user: Any) -> Any:
    return access.organisation_departments(user)


def _years(ctx: listing.Context) -> list[int]:
    this = timezone.localdate().year
    return list(range(this + 1, this - 6, -1))


PLANS = ListSpec(
    name="supervision-plans",
    title=gettext_lazy("年度评估计划表"),
    queryset=plans_queryset,
    order=("-year", "department__path", "id"),
    filters=(
        YearFilter("year", gettext_lazy("年度"), "year", years=_years),
        DepartmentFilter("department", gettext_lazy("责任主体"), _departments),
        ChoiceFilter("status", gettext_lazy("状态"), PlanStatus.choices, field="status"),
    ),
    columns=(
        Column(gettext_lazy("年度"), lambda p: p.year),
        Column(
            gettext_lazy("责任主体"),
            lambda p: p.department.name,
            html=lambda p: listing.link(reverse("supervision:plan", args=[p.pk]), p.department),
        ),
        Column(
            gettext_lazy("状态"),
            lambda p: p.get_status_display(),
            html=lambda p: listing.badge(p.get_status_display(), STATUS_CSS.get(p.status, "")),
        ),
        Column(gettext_lazy("事项数"), lambda p: p.n_entries),
        Column(
            gettext_lazy("最新版本"),
            lambda p: _("第%(n)s版") % {"n": p.last_number} if p.last_number else "",
        ),
        Column(gettext_lazy("备案机关"), lambda p: p.last_office or ""),
        Column(gettext_lazy("备案时间"), lambda p: p.last_filed_at),
        Column(gettext_lazy("逾期备案"), lambda p: p.last_late if p.last_number else None),
        Column(
            gettext_lazy("签收"),
            lambda p: (
                (_("已签收") if p.last_acknowledged_at else _("待签收")) if p.last_number else ""
            ),
        ),
    ),
    empty_title=gettext_lazy("还没有年度评估计划表"),
    page_template="supervision/plans/list.html",
    export_url=lambda: reverse("supervision:plans_export"),
)


@authenticated
def plan_list(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, PLANS, context={"can_create": can_create(request.user)})


@authenticated
def plans_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, PLANS)


# ------------------------------------------------------------------ create


class PlanForm(StyledForm):
    department = DepartmentChoiceField(label=_("责任主体"), queryset=Department.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2999)
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = own_departments(user)  # type: ignore[attr-defined]


def own_departments(user: Any) -> QuerySet[Department]:
    """The departments the user may draw up a plan (or register rules) for."""
    qs = Department.objects.filter(is_active=True).order_by("path")
    scope = access.scope_of(user)
    if scope.everything:
        return qs
    paths = scope.change_paths(WORK_ROLES)
    if not paths:
        return qs.none()
    q = Q()
    for p in paths:
        q |= Q(path__startswith=p)
    return qs.filter(q)


@authenticated
def plan_create(request: HttpRequest) -> HttpResponse:
    initial = {
        "department": request.GET.get("department"),
        "year": request.GET.get("year") or timezone.localdate().year,
    }
    form = PlanForm(request.POST or None, user=request.user, initial=initial)
    if done := submit(
        request,
        form,
        lambda d: actions.do_create_plan(request.user, d["department"], d["year"], note=d["note"]),
        then=lambda plan: reverse("supervision:plan", args=[plan.pk]),
        success=_("已编制年度评估计划表"),
    ):
        return done
    return form_page(
        request,
        form,
        _("编制年度评估计划表"),
        [(_("年度评估计划表"), reverse("supervision:plans"))],
        reverse("supervision:plans"),
        intro=_plan_rule(),
    )


def _plan_rule() -> str:
    try:
        scheme = actions.deadlines.supervising_scheme()
    except LookupError:
        return ""
    return cite(scheme, "计划表报", "一律不予审批")


# ------------------------------------------------------------------ one plan


def filings_with_changes(plan: AnnualPlan) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    previous: list[dict[str, Any]] | None = None
    for f in plan.filings.select_related("office", "filed_by", "acknowledged_by").order_by(
        "number"
    ):
        rows.append(
            {
                "filing": f,
                "changes": actions.changes(previous, f.entries) if previous is not None else None,
            }
        )
        previous = f.entries
    rows.reverse()
    return rows


def category_labels(plan: AnnualPlan) -> dict[str, str]:
    try:
        return {c.code: c.label for c in registry.get(plan.scheme_key).categories()}
    except LookupError:
        return {}


def entry_category(e: PlanEntry, labels: dict[str, str]) -> str:
    """A registered matter's own category label (its scheme may not be the plan's)."""
    if e.matter is not None and e.matter.category_label:
        return e.matter.category_label
    return labels.get(e.category_code, e.category_code)


@authenticated
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = actions.plan_for(request.user, pk)
    can_change = access.can(request.user, plan, "change")
    filings = filings_with_changes(plan)
    labels = category_labels(plan)
    entries = list(plan.entries.select_related("matter"))
    for e in entries:
        e.category_text = entry_category(e, labels)  # type: ignore[attr-defined]
    for row in filings:
        f = row["filing"]
        row["ack_refusal"] = actions.acknowledge_refusal(request.user, f)
        row["can_see_ack"] = actions.office_member(request.user, f.office)
    return render(
        request,
        "supervision/plans/plan.html",
        {
            "plan": plan,
            "entries": entries,
            "filings": filings,
            "latest": filings[0]["filing"] if filings else None,
            "can_change": can_change,
            "file_refusal": actions.file_refusal(plan),
            "rule": _plan_rule(),
            "due": actions.deadlines.yearly_due(
                actions.DEADLINE, plan.year, since=obliged.joined_on(plan.department)
            )[1],
        },
    )


def plan_xlsx_bytes(plan: AnnualPlan) -> bytes:
    """The plan in the 计划表 layout: title, department and version, then one row per
    matter (序号、事项名称、所属领域、计划评估月份、登记状态、备注)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("计划表")
    ws.append([safe_cell(_("%(y)s年度社会稳定风险评估计划表") % {"y": plan.year})])
    ws.merge_cells("A1:F1")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    last = actions.latest_filing(plan)
    state = (
        _("第%(n)s版 %(d)s报%(o)s备案")
        % {"n": last.number, "d": date_text(last.filed_at), "o": last.office.name}
        if last
        else _("未备案")
    )
    ws.append(
        [safe_cell(_("责任主体：%(d)s") % {"d": plan.department.name}), "", "", safe_cell(state)]
    )
    header = [_("序号"), _("事项名称"), _("所属领域"), _("计划评估月份"), _("登记状态"), _("备注")]
    ws.append(header)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    labels = category_labels(plan)
    for n, e in enumerate(plan.entries.select_related("matter").order_by("id"), start=1):
        ws.append(
            [
                n,
                safe_cell(e.title),
                safe_cell(entry_category(e, labels)),
                _("%(m)s月") % {"m": e.planned_month} if e.planned_month else "",
                safe_cell(e.matter.get_status_display() if e.matter else _("计划事项（未登记）")),
                safe_cell(e.note),
            ]
        )
    for col, width in zip("ABCDEF", (6, 40, 24, 14, 16, 30), strict=True):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@authenticated
def plan_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    plan = actions.plan_for(request.user, pk)
    response = HttpResponse(plan_xlsx_bytes(plan), content_type=XLSX_MIME)
    response["Content-Disposition"] = (
        f'attachment; filename="fengping-plan-{plan.year}-{plan.department_id}.xlsx"'
    )
    return response


# ------------------------------------------------------------------ entries


class EntryForm(StyledForm):
    matter = forms.ModelChoiceField(
        label=_("已登记的评估事项"), queryset=Matter.objects.none(), required=False
    )
    title = forms.CharField(
        label=_("事项名称"),
        max_length=200,
        required=False,
        help_text=_("尚未登记的计划事项填写名称；选择已登记事项时自动取事项名称"),
    )
    planned_month = forms.IntegerField(
        label=_("计划评估月份"), min_value=1, max_value=12, required=False
    )
    note = forms.CharField(label=_("备注"), max_length=300, required=False)

    def __init__(self, *args: Any, plan: AnnualPlan, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The department's (and its units') matters not yet in a plan.
        self.fields["matter"].queryset = (  # type: ignore[attr-defined]
            access.visible(user, Matter.objects.all(), "change")
            .filter(department__path__startswith=plan.department.path)
            .exclude(plan_entries__isnull=False)
            .order_by("-created_at")
        )


@authenticated
def entry_add(request: HttpRequest, pk: int) -> HttpResponse:
    plan = actions.plan_for(request.user, pk, need="change")
    initial = {"matter": request.GET.get("matter")}
    form = EntryForm(request.POST or None, plan=plan, user=request.user, initial=initial)
    if done := submit(
        request,
        form,
        lambda d: actions.do_add_entry(
            request.user,
            plan,
            matter=d["matter"],
            title=d["title"],
            planned_month=d["planned_month"],
            note=d["note"],
        ),
        then=reverse("supervision:plan", args=[plan.pk]),
        success=_("已列入计划表"),
    ):
        return done
    return form_page(
        request,
        form,
        _("计划表添加事项"),
        [(_("年度评估计划表"), reverse("supervision:plans")), (str(plan), plan_url(plan))],
        plan_url(plan),
        intro=_("已备案的计划表添加、修改或移除事项后须重新备案。"),
    )


def plan_url(plan: AnnualPlan) -> str:
    return reverse("supervision:plan", args=[plan.pk])


class EntryEditForm(StyledForm):
    matter = forms.ModelChoiceField(
        label=_("关联已登记的事项"), queryset=Matter.objects.none(), required=False
    )
    title = forms.CharField(label=_("事项名称"), max_length=200, required=False)
    planned_month = forms.IntegerField(
        label=_("计划评估月份"), min_value=1, max_value=12, required=False
    )
    note = forms.CharField(label=_("备注"), max_length=300, required=False)

    def __init__(self, *args: Any, entry: PlanEntry, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if entry.matter_id is not None:
            del self.fields["matter"]
            self.fields["title"].disabled = True
            return
        self.fields["matter"].queryset = (  # type: ignore[attr-defined]
            access.visible(user, Matter.objects.all(), "change")
            .filter(department__path__startswith=entry.plan.department.path)
            .exclude(plan_entries__isnull=False)
            .order_by("-created_at")
        )


def _entry(user: Any, pk: int, need: str = "change") -> PlanEntry:
    qs = PlanEntry.objects.filter(plan__in=actions.plans_visible(user)).select_related(
        "plan__department", "matter"
    )
    return access.get_for_user(user, qs, pk, need)  # type: ignore[arg-type]


@authenticated
def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request.user, pk)
    initial = {"title": entry.title, "planned_month": entry.planned_month, "note": entry.note}
    form = EntryEditForm(request.POST or None, entry=entry, user=request.user, initial=initial)
    if done := submit(
        request,
        form,
        lambda d: actions.do_edit_entry(
            request.user,
            entry,
            title=d.get("title") or entry.title,
            planned_month=d["planned_month"],
            note=d["note"],
            matter=d.get("matter"),
        ),
        then=plan_url(entry.plan),
        success=_("已修改计划表事项"),
    ):
        return done
    return form_page(
        request,
        form,
        _("修改计划表事项"),
        [
            (_("年度评估计划表"), reverse("supervision:plans")),
            (str(entry.plan), plan_url(entry.plan)),
        ],
        plan_url(entry.plan),
    )


@authenticated
@require_POST
def entry_remove(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request.user, pk)
    return run_action(
        request,
        lambda: actions.do_remove_entry(request.user, entry),
        then=plan_url(entry.plan),
        success=_("已从计划表移除"),
    )


# ------------------------------------------------------------------ filing


class FileForm(StyledForm):
    office = DepartmentChoiceField(label=_("备案机关"), queryset=Department.objects.none())
    reason = forms.CharField(
        label=_("修改原因"),
        max_length=300,
        required=False,
        help_text=_("重新备案时必填"),
    )

    def __init__(self, *args: Any, plan: AnnualPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offices = actions.offices_for(plan.department)
        self.fields["office"].queryset = offices  # type: ignore[attr-defined]
        self.fields["office"].initial = offices.first()
        if not plan.filings.exists():
            del self.fields["reason"]


@authenticated
def plan_file(request: HttpRequest, pk: int) -> HttpResponse:
    plan = actions.plan_for(request.user, pk, need="change")
    form = FileForm(request.POST or None, plan=plan)
    if done := submit(
        request,
        form,
        lambda d: actions.do_file_plan(
            request.user, plan, office=d["office"], reason=d.get("reason", "")
        ),
        then=plan_url(plan),
        success=lambda f: _("已报%(o)s备案（第%(n)s版）") % {"o": f.office.name, "n": f.number},
    ):
        return done
    due = actions.deadlines.yearly_due(
        actions.DEADLINE, plan.year, since=obliged.joined_on(plan.department)
    )[1]
    intro = _("备案时间以系统时间为准；本年度备案时限：%(d)s。") % {"d": date_text(due)}
    if refused := actions.file_refusal(plan):
        intro = f"{intro} {refused}"
    return form_page(
        request,
        form,
        _("报维稳办备案"),
        [(_("年度评估计划表"), reverse("supervision:plans")), (str(plan), plan_url(plan))],
        plan_url(plan),
        intro=intro,
        submit_label=_("报送备案"),
    )


@authenticated
@require_POST
def filing_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    filing = actions.filing_for(request.user, pk)
    return run_action(
        request,
        lambda: actions.do_acknowledge_plan(request.user, filing),
        then=plan_url(filing.plan),
        success=_("已签收"),
    )


def can_create(user: Any) -> bool:
    return own_departments(user).exists()


urlpatterns = [
    path("plans/", plan_list, name="plans"),
    path("plans/export/", plans_export, name="plans_export"),
    path("plans/new/", plan_create, name="plan_create"),
    path("plans/<int:pk>/", plan_detail, name="plan"),
    path("plans/<int:pk>/xlsx/", plan_xlsx, name="plan_xlsx"),
    path("plans/<int:pk>/entries/add/", entry_add, name="plan_entry_add"),
    path("plans/<int:pk>/file/", plan_file, name="plan_file"),
    path("plans/entries/<int:pk>/edit/", entry_edit, name="plan_entry_edit"),
    path("plans/entries/<int:pk>/remove/", entry_remove, name="plan_entry_remove"),
    path("plans/filings/<int:pk>/acknowledge/", filing_acknowledge, name="plan_acknowledge"),
]
