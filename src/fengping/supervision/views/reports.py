"""The monthly progress reports (工作进展情况报告表, 篇3 六(一)): the list (supervisors see
every department's, a department its own; XLSX with every figure as a column), a new
report, the report page with its buttons (and why one is refused), the edit form (figures
with the pulled value beside each, the narrative), return with a reason, 签收, the DOCX and
XLSX of one report, and the supervisor's overview of a month (which obliged departments
submitted, late, or not at all)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.core import listing
from fengping.core.errors import ActionError
from fengping.core.forms import StyledForm
from fengping.core.listing import ChoiceFilter, Column, DepartmentFilter, ListSpec
from fengping.core.pages import form_page, run_action, submit
from fengping.core.policy import authenticated
from fengping.core.xlsx import XLSX_MIME
from fengping.org import access
from fengping.org.models import WORK_ROLES, Department

from .. import figures as figs
from ..actions import reports as actions
from ..actions.plans import member_office_paths
from ..models import MonthlyReport, ReportStatus
from ..obliged import obliged_by
from ..report_templates import monthly

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STATUS_CSS = {
    ReportStatus.DRAFT: "bg-secondary-lt",
    ReportStatus.SUBMITTED: "bg-blue-lt",
    ReportStatus.RETURNED: "bg-orange-lt",
    ReportStatus.ACKNOWLEDGED: "bg-green-lt",
}


def report_for(user: Any, pk: int, need: str = "view") -> MonthlyReport:
    """`access.get_for_user` over `visible_reports`: 404 outside them, 403 for a change
    the user's roles in the report's department do not allow."""
    qs = visible_reports(user).select_related("created_by")
    try:
        report = qs.get(pk=pk)
    except (MonthlyReport.DoesNotExist, ValueError, TypeError):
        raise Http404(_("对象不存在或无权访问")) from None
    if need != "view" and not access.can(user, report, need):
        raise PermissionDenied(_("您没有修改此对象的权限"))
    return report


def visible_reports(user: Any) -> QuerySet[MonthlyReport]:
    """The reports of the user's departments (a supervisor: the organisation's), and
    those submitted to an office the user acts for (OFFICE_ROLES: they sign or return
    them, so they read them, as with the annual plans filed with it)."""
    qs = MonthlyReport.objects.select_related(
        "department", "office", "submitted_by", "acknowledged_by"
    )
    mine = access.visible(user, qs)
    paths = member_office_paths(user)
    if not paths:
        return mine
    q = Q()
    for p in paths:
        q |= Q(office__path__startswith=p)
    sent = MonthlyReport.objects.filter(q).exclude(status=ReportStatus.DRAFT).values("pk")
    return qs.filter(Q(pk__in=mine.values("pk")) | Q(pk__in=sent))


def creatable_departments(user: Any) -> QuerySet[Department]:
    """The departments the user may create a report for (a work role there or above)."""
    qs = Department.objects.filter(is_active=True)
    scope = access.scope_of(user)
    if scope.everything:
        return qs
    q = Q()
    for p in scope.change_paths(WORK_ROLES):
        q |= Q(path__startswith=p)
    return qs.filter(q) if q else qs.none()


def _departments(user: Any) -> QuerySet[Department]:
    return access.visible(user, Department.objects.filter(is_active=True))


def _months(ctx: listing.Context) -> list[tuple[str, str]]:
    out = []
    month = timezone.localdate().replace(day=1)
    for _i in range(36):
        out.append((month.isoformat(), monthly.cn_month(month)))
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return out


def status_badge(r: MonthlyReport) -> Any:
    return listing.badge(r.get_status_display(), STATUS_CSS.get(r.status, "bg-secondary-lt"))


def _figure(key: str) -> Any:
    return lambda r: (r.figures or {}).get(key, "")


def _breakdown(prefix: str) -> Any:
    def value(r: MonthlyReport) -> str:
        pulled = r.figures_pulled or {}
        return "、".join(
            f"{row.get('label', k)} {(r.figures or {}).get(k, row.get('value'))}"
            for k, row in figs.ordered(pulled)
            if k.startswith(prefix)
        )

    return value


REPORTS = ListSpec(
    name="supervision-reports",
    title=gettext_lazy("工作进展情况报告表"),
    queryset=visible_reports,
    order=("-month", "department__path", "-id"),
    filters=(
        ChoiceFilter("month", gettext_lazy("月份"), _months),
        DepartmentFilter("department", gettext_lazy("责任主体"), _departments),
        ChoiceFilter("status", gettext_lazy("状态"), ReportStatus.choices),
    ),
    columns=(
        Column(
            gettext_lazy("月份"),
            lambda r: monthly.cn_month(r.month),
            html=lambda r: listing.link(
                reverse("supervision:report", args=[r.pk]), monthly.cn_month(r.month)
            ),
        ),
        Column(gettext_lazy("责任主体"), lambda r: r.department.name),
        Column(gettext_lazy("状态"), lambda r: r.get_status_display(), html=status_badge),
        Column(gettext_lazy("上报时限"), lambda r: r.due_on),
        Column(gettext_lazy("上报时间"), lambda r: r.submitted_at),
        Column(
            gettext_lazy("逾期上报"),
            lambda r: r.late,
            html=lambda r: listing.badge(_("逾期"), "bg-red-lt") if r.late else "",
        ),
        Column(gettext_lazy("签收时间"), lambda r: r.acknowledged_at),
        Column(gettext_lazy("报送机关"), lambda r: r.office.name if r.office else "", page=False),
        Column(
            gettext_lazy("上报人"),
            lambda r: monthly._person(r.submitted_by),
            page=False,
        ),
        Column(
            gettext_lazy("签收人"),
            lambda r: monthly._person(r.acknowledged_by),
            page=False,
        ),
        Column(gettext_lazy("退回原因"), lambda r: r.return_reason, page=False),
        Column(gettext_lazy("数据取数时间"), lambda r: r.figures_at, page=False),
        *(
            Column(f.label, _figure(f.key), page=False)
            for f in figs.FIXED
            if f.key not in ("grades_month", "decisions_month")
        ),
        Column(figs.BY_KEY["grades_month"].label, _figure("grades_month"), page=False),
        Column(gettext_lazy("风险等级分布"), _breakdown("grade:"), page=False),
        Column(figs.BY_KEY["decisions_month"].label, _figure("decisions_month"), page=False),
        Column(gettext_lazy("决定类别分布"), _breakdown("decision:"), page=False),
        Column(gettext_lazy("工作开展情况"), lambda r: r.work_done, page=False),
        Column(gettext_lazy("存在的问题"), lambda r: r.problems, page=False),
        Column(gettext_lazy("下一步工作"), lambda r: r.next_steps, page=False),
    ),
    empty_title=gettext_lazy("还没有月度工作进展情况报告表"),
    empty_hint=gettext_lazy("各责任主体每月20日前上报工作进展情况报告表（篇3 六(一)）"),
    page_template="supervision/reports/list.html",
    export_url=lambda: reverse("supervision:reports_export"),
)


@authenticated
def report_list(request: HttpRequest) -> HttpResponse:
    return listing.render_list(
        request,
        REPORTS,
        context={
            "can_create": creatable_departments(request.user).exists(),
            "can_overview": access.is_supervisor(request.user) or access.is_org_admin(request.user),
        },
    )


@authenticated
def report_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, REPORTS)


# ------------------------------------------------------------------ create


class NewReportForm(StyledForm):
    department = forms.ModelChoiceField(
        label=gettext_lazy("责任主体"), queryset=Department.objects.none()
    )
    month = forms.CharField(
        label=gettext_lazy("月份"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text=gettext_lazy("YYYY-MM；每月20日前上报本月工作进展情况报告表"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = creatable_departments(user).order_by("path")  # type: ignore[attr-defined]


@authenticated
def report_new(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {"month": f"{timezone.localdate():%Y-%m}"}
    if dept := request.GET.get("department"):
        initial["department"] = dept
    if month := request.GET.get("month"):
        initial["month"] = month[:7]
    form = NewReportForm(request.POST or None, user=request.user, initial=initial)
    if done := submit(
        request,
        form,
        lambda d: actions.do_create_report(request.user, d["department"], d["month"]),
        then=lambda r: reverse("supervision:report", args=[r.pk]),
        success=_("已编制报告并提取数据"),
    ):
        return done
    return form_page(
        request,
        form,
        _("编制工作进展情况报告表"),
        [(_("工作进展情况报告表"), reverse("supervision:reports"))],
        reverse("supervision:reports"),
        intro=_(
            "系统从本单位及下属单位的数据中提取本月数据；数据可由本单位更正，更正后仍显示系统取数。"
        ),
        submit_label=_("编制"),
    )


# ------------------------------------------------------------------ the report


def _page_context(request: HttpRequest, report: MonthlyReport) -> dict[str, Any]:
    user = request.user
    can_change = access.can(user, report, "change")
    office_refusal = actions.office_refusal(user, report)
    is_office = not office_refusal
    if is_office and report.status != ReportStatus.SUBMITTED:
        office_note = _("报告%(s)s，不能签收或退回。") % {"s": report.get_status_display()}
    else:
        office_note = ""
    return {
        "report": report,
        "rows": monthly.figure_rows(report),
        "can_change": can_change,
        "edit_refusal": actions.edit_refusal(report) if can_change else "",
        "is_office": is_office,
        "office_note": office_note,
        "office_refusal": office_refusal,
        "status_css": STATUS_CSS.get(report.status, ""),
        "past_due": report.status in (ReportStatus.DRAFT, ReportStatus.RETURNED)
        and timezone.localdate() > report.due_on,
        "return_form": ReturnForm(initial={"version": report.version}),
    }


@authenticated
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request.user, pk)
    return render(request, "supervision/reports/report.html", _page_context(request, report))


class EditForm(StyledForm):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    work_done = forms.CharField(
        label=gettext_lazy("工作开展情况"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    problems = forms.CharField(
        label=gettext_lazy("存在的问题"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    next_steps = forms.CharField(
        label=gettext_lazy("下一步工作"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, report: MonthlyReport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys: dict[str, str] = {}
        for i, row in enumerate(monthly.figure_rows(report)):
            name = f"fig_{i}"
            self.keys[name] = row["key"]
            self.fields[name] = forms.IntegerField(
                label=row["label"],
                min_value=0,
                max_value=actions.MAX_FIGURE,
                initial=row["value"],
                help_text=_("系统取数 %(n)s（截至%(t)s）")
                % {"n": row["pulled"], "t": row["as_of"]},
                widget=forms.NumberInput(attrs={"class": "form-control-sm"}),
            )
            self.fields[name].widget.attrs["class"] = "form-control"

    def figure_fields(self) -> list[Any]:
        return [self[name] for name in self.keys]

    def text_fields(self) -> list[Any]:
        return [self[n] for n in ("work_done", "problems", "next_steps")]

    def figures(self) -> dict[str, int]:
        return {
            self.keys[name]: self.cleaned_data[name]
            for name in self.keys
            if self.cleaned_data.get(name) is not None
        }


@authenticated
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request.user, pk, "change")
    form = EditForm(
        request.POST or None,
        report=report,
        initial={
            "version": report.version,
            "work_done": report.work_done,
            "problems": report.problems,
            "next_steps": report.next_steps,
        },
    )
    if done := submit(
        request,
        form,
        lambda d: actions.do_update_report(
            request.user,
            report,
            version=d["version"],
            figures=form.figures(),
            work_done=d["work_done"],
            problems=d["problems"],
            next_steps=d["next_steps"],
        ),
        then=lambda r: reverse("supervision:report", args=[r.pk]),
        success=_("已保存"),
    ):
        return done
    return render(
        request,
        "supervision/reports/edit.html",
        {"report": report, "form": form, "refusal": actions.edit_refusal(report)},
    )


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version") or "") or None
    except ValueError:
        return None


def _button(request: HttpRequest, pk: int, need: str, act: Any, success: str) -> HttpResponse:
    report = report_for(request.user, pk, need)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if need == "view":  # the office's steps: refuse a non-member before anything else
        actions.require_office(request.user, report)
    back = reverse("supervision:report", args=[report.pk])
    return run_action(
        request, lambda: act(report, _version(request)), then=back, success=success, back=back
    )


@authenticated
def report_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    return _button(
        request,
        pk,
        "change",
        lambda r, v: actions.do_refresh_figures(request.user, r, version=v),
        _("已重新提取数据"),
    )


@authenticated
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _button(
        request,
        pk,
        "change",
        lambda r, v: actions.do_submit_report(request.user, r, version=v),
        _("已上报"),
    )


@authenticated
def report_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _button(
        request,
        pk,
        "view",
        lambda r, v: actions.do_acknowledge_report(request.user, r, version=v),
        _("已签收"),
    )


class ReturnForm(StyledForm):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("退回原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


@authenticated
def report_return(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request.user, pk)
    if request.method == "POST":
        actions.require_office(request.user, report)
    form = ReturnForm(request.POST or None, initial={"version": report.version})
    if done := submit(
        request,
        form,
        lambda d: actions.do_return_report(
            request.user, report, version=d["version"], reason=d["reason"]
        ),
        then=lambda r: reverse("supervision:report", args=[r.pk]),
        success=_("已退回"),
    ):
        return done
    return form_page(
        request,
        form,
        _("退回报告"),
        [
            (_("工作进展情况报告表"), reverse("supervision:reports")),
            (str(report), reverse("supervision:report", args=[report.pk])),
        ],
        reverse("supervision:report", args=[report.pk]),
        intro=_("退回后，%(dept)s可修改并重新上报。") % {"dept": report.department.name},
        submit_label=_("退回"),
    )


def _download(data: bytes, mime: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=mime)
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    return response


@authenticated
def report_docx(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request.user, pk)
    try:
        data = monthly.report_docx(report)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("supervision:report", args=[report.pk]))
    return _download(data, DOCX_MIME, monthly.file_name(report))


@authenticated
def report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request.user, pk)
    return _download(monthly.report_xlsx(report), XLSX_MIME, monthly.file_name(report, "xlsx"))


# ------------------------------------------------------------------ the month's overview


def overview(user: Any, month: dt.date) -> dict[str, Any]:
    """The obliged departments the user sees (`obliged.obliged_by` the month's end) and
    their report of `month`: a fixed number of queries whatever the organisation's size."""
    month_end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    depts = list(_departments(user).filter(pk__in=obliged_by(month_end)).order_by("path"))
    reports = {
        r.department_id: r
        for r in MonthlyReport.objects.filter(month=month, department__in=[d.pk for d in depts])
    }
    due = actions.due_on(month)
    today = timezone.localdate()
    rows = []
    counts = {"submitted": 0, "late": 0, "missing": 0, "acknowledged": 0}
    for d in depts:
        r = reports.get(d.pk)
        submitted = r is not None and r.status in (
            ReportStatus.SUBMITTED,
            ReportStatus.ACKNOWLEDGED,
        )
        if submitted:
            counts["submitted"] += 1
            if r.late:  # type: ignore[union-attr]
                counts["late"] += 1
            if r.status == ReportStatus.ACKNOWLEDGED:  # type: ignore[union-attr]
                counts["acknowledged"] += 1
            state = "late" if r.late else "submitted"  # type: ignore[union-attr]
        else:
            counts["missing"] += 1
            state = "overdue" if today > due else "pending"
        rows.append({"department": d, "report": r, "state": state})
    return {
        "month": month,
        "due_on": due,
        "rows": rows,
        "counts": counts,
        "obliged": len(rows),
    }


STATE_LABELS = {
    "submitted": (gettext_lazy("按时上报"), "bg-green-lt"),
    "late": (gettext_lazy("逾期上报"), "bg-orange-lt"),
    "overdue": (gettext_lazy("逾期未报"), "bg-red-lt"),
    "pending": (gettext_lazy("未上报"), "bg-secondary-lt"),
}


@authenticated
def report_overview(request: HttpRequest) -> HttpResponse:
    try:
        month = actions.parse_month(request.GET.get("month") or f"{timezone.localdate():%Y-%m}")
    except ActionError as exc:
        month = timezone.localdate().replace(day=1)
        messages.error(request, exc.message)
    data = overview(request.user, month)
    for row in data["rows"]:
        row["label"], row["css"] = STATE_LABELS[row["state"]]
    return render(
        request,
        "supervision/reports/overview.html",
        {**data, "month_text": monthly.cn_month(month), "month_value": f"{month:%Y-%m}"},
    )


urlpatterns = [
    path("reports/", report_list, name="reports"),
    path("reports/export/", report_export, name="reports_export"),
    path("reports/new/", report_new, name="report_new"),
    path("reports/overview/", report_overview, name="report_overview"),
    path("reports/<int:pk>/", report_page, name="report"),
    path("reports/<int:pk>/edit/", report_edit, name="report_edit"),
    path("reports/<int:pk>/refresh/", report_refresh, name="report_refresh"),
    path("reports/<int:pk>/submit/", report_submit, name="report_submit"),
    path("reports/<int:pk>/return/", report_return, name="report_return"),
    path("reports/<int:pk>/acknowledge/", report_acknowledge, name="report_acknowledge"),
    path("reports/<int:pk>/docx/", report_docx, name="report_docx"),
    path("reports/<int:pk>/xlsx/", report_xlsx, name="report_xlsx"),
]
