"""具体实施办法和工作方案 pages: the list of filings one sees (filters year / department /
state, XLSX), registering one with its files, a filing with its documents and the two
offices' receipts, filing it and each office's 签收."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core import listing
from fengping.core.files import file_response
from fengping.core.forms import StyledForm
from fengping.core.listing import ChoiceFilter, Column, DepartmentFilter, ListSpec, YearFilter
from fengping.core.pages import form_page, run_action, submit
from fengping.core.policy import authenticated
from fengping.org import access
from fengping.org.forms import DepartmentChoiceField
from fengping.org.models import Department
from fengping.schemes.cite import cite

from ..actions import rules_filing as actions
from ..models import RulesFiling
from .plans import _years, can_create, date_text, own_departments


def rules_queryset(user: Any) -> QuerySet[RulesFiling]:
    return (
        actions.rules_visible(user)
        .select_related("department")
        .annotate(
            n_receipts=Count("receipts", distinct=True),
            n_acknowledged=Count(
                "receipts", filter=Q(receipts__acknowledged_at__isnull=False), distinct=True
            ),
        )
    )


def _state(r: RulesFiling) -> str:
    if r.filed_at is None:
        return str(_("未报送"))
    if r.n_receipts and r.n_acknowledged == r.n_receipts:  # type: ignore[attr-defined]
        return str(_("已签收"))
    return str(_("已报送待签收"))


RULES = ListSpec(
    name="supervision-rules",
    title=gettext_lazy("具体实施办法和工作方案"),
    queryset=rules_queryset,
    order=("-year", "department__path", "-number", "id"),
    filters=(
        YearFilter("year", gettext_lazy("年度"), "year", years=_years),
        DepartmentFilter("department", gettext_lazy("责任主体"), access.organisation_departments),
        ChoiceFilter(
            "state",
            gettext_lazy("状态"),
            [("draft", gettext_lazy("未报送")), ("filed", gettext_lazy("已报送"))],
            conditions={"draft": Q(filed_at__isnull=True), "filed": Q(filed_at__isnull=False)},
        ),
    ),
    columns=(
        Column(gettext_lazy("年度"), lambda r: r.year),
        Column(gettext_lazy("责任主体"), lambda r: r.department.name),
        Column(
            gettext_lazy("文件标题"),
            lambda r: r.title,
            html=lambda r: listing.link(reverse("supervision:rules", args=[r.pk]), r.title),
        ),
        Column(gettext_lazy("文号"), lambda r: r.doc_number),
        Column(gettext_lazy("版本"), lambda r: _("第%(n)s版") % {"n": r.number}),
        Column(gettext_lazy("报送时间"), lambda r: r.filed_at),
        Column(gettext_lazy("报送时限"), lambda r: r.due_on),
        Column(gettext_lazy("逾期报送"), lambda r: r.late if r.filed_at else None),
        Column(gettext_lazy("状态"), _state),
    ),
    empty_title=gettext_lazy("还没有登记实施办法和工作方案"),
    page_template="supervision/rules/list.html",
    export_url=lambda: reverse("supervision:rules_export"),
)


@authenticated
def rules_list(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, RULES, context={"can_create": can_create(request.user)})


@authenticated
def rules_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, RULES)


def _rule() -> str:
    try:
        return cite(actions.deadlines.supervising_scheme(), "具体实施办法", "3月30日")
    except LookupError:
        return ""


class RulesForm(StyledForm):
    department = DepartmentChoiceField(label=_("责任主体"), queryset=Department.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2999)
    title = forms.CharField(label=_("文件标题"), max_length=200)
    doc_number = forms.CharField(label=_("文号"), max_length=60, required=False)
    file = forms.FileField(label=_("文件"), help_text=_("其余文件可在登记后继续上传"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = own_departments(user)  # type: ignore[attr-defined]


@authenticated
def rules_create(request: HttpRequest) -> HttpResponse:
    form = RulesForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial={"year": timezone.localdate().year},
    )
    if done := submit(
        request,
        form,
        lambda d: actions.do_register_rules(
            request.user,
            d["department"],
            year=d["year"],
            title=d["title"],
            doc_number=d["doc_number"],
            uploads=[d["file"]],
        ),
        then=lambda r: reverse("supervision:rules", args=[r.pk]),
        success=_("已登记"),
    ):
        return done
    return form_page(
        request,
        form,
        _("登记具体实施办法和工作方案"),
        [(_("具体实施办法和工作方案"), reverse("supervision:rules_list"))],
        reverse("supervision:rules_list"),
        intro=_rule(),
    )


class DocumentForm(StyledForm):
    file = forms.FileField(label=_("文件"))


@authenticated
def rules_detail(request: HttpRequest, pk: int) -> HttpResponse:
    filing = actions.rules_for(request.user, pk)
    receipts = list(filing.receipts.select_related("office", "acknowledged_by"))
    for r in receipts:
        r.filing = filing
        r.refusal = actions.acknowledge_refusal(request.user, r)  # type: ignore[attr-defined]
        r.member = actions.office_member(request.user, r.office)  # type: ignore[attr-defined]
    return render(
        request,
        "supervision/rules/rules.html",
        {
            "filing": filing,
            "documents": filing.documents.select_related("uploaded_by"),
            "receipts": receipts,
            "can_change": access.can(request.user, filing, "change"),
            "file_refusal": actions.file_refusal(filing),
            "versions": RulesFiling.objects.filter(
                department=filing.department, year=filing.year
            ).order_by("-number"),
            "document_form": DocumentForm(),
            "rule": _rule(),
            "due_text": date_text(filing.due_on),
        },
    )


def rules_url(filing: RulesFiling) -> str:
    return reverse("supervision:rules", args=[filing.pk])


@authenticated
def document_add(request: HttpRequest, pk: int) -> HttpResponse:
    filing = actions.rules_for(request.user, pk, need="change")
    form = DocumentForm(request.POST or None, request.FILES or None)
    if done := submit(
        request,
        form,
        lambda d: actions.do_add_rules_document(request.user, filing, d["file"]),
        then=rules_url(filing),
        success=_("已上传"),
    ):
        return done
    return form_page(
        request,
        form,
        _("上传文件"),
        [
            (_("具体实施办法和工作方案"), reverse("supervision:rules_list")),
            (filing.title, rules_url(filing)),
        ],
        rules_url(filing),
    )


@authenticated
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    return file_response(actions.document_for(request.user, pk))


@authenticated
@require_POST
def document_remove(request: HttpRequest, pk: int) -> HttpResponse:
    doc = actions.document_for(request.user, pk, need="change")
    return run_action(
        request,
        lambda: actions.do_remove_rules_document(request.user, doc),
        then=rules_url(doc.filing),
        success=_("已删除"),
    )


@authenticated
@require_POST
def rules_file(request: HttpRequest, pk: int) -> HttpResponse:
    filing = actions.rules_for(request.user, pk, need="change")
    return run_action(
        request,
        lambda: actions.do_file_rules(request.user, filing),
        then=rules_url(filing),
        success=_("已报送维稳办、联席办"),
    )


@authenticated
@require_POST
def receipt_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = actions.receipt_for(request.user, pk)
    return run_action(
        request,
        lambda: actions.do_acknowledge_rules(request.user, receipt),
        then=rules_url(receipt.filing),
        success=_("已签收"),
    )


urlpatterns = [
    path("rules/", rules_list, name="rules_list"),
    path("rules/export/", rules_export, name="rules_export"),
    path("rules/new/", rules_create, name="rules_create"),
    path("rules/<int:pk>/", rules_detail, name="rules"),
    path("rules/<int:pk>/documents/add/", document_add, name="rules_document_add"),
    path("rules/<int:pk>/file/", rules_file, name="rules_file"),
    path("rules/documents/<int:pk>/", document_download, name="rules_document"),
    path("rules/documents/<int:pk>/remove/", document_remove, name="rules_document_remove"),
    path("rules/receipts/<int:pk>/acknowledge/", receipt_acknowledge, name="rules_acknowledge"),
]
