"""督办通知: the notices one may see (the department's own, every notice of an office one
acts for; XLSX), one notice with its DOCX, the issue form from an overdue obligation, and
an office's 发文字 (register) settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.core import listing
from fengping.core.forms import StyledForm
from fengping.core.listing import ChoiceFilter, Column, ListSpec, SearchFilter, YearFilter
from fengping.core.pages import form_page, submit
from fengping.core.policy import authenticated
from fengping.org import access
from fengping.org.models import Department
from fengping.reports.render import DOCX_MIME

from .. import notice_docx
from ..actions import notices as actions
from ..models import OFFICE_ROLES, DocumentRegister, Obligation, SupervisionNotice


def offices_acted_for(user: Any) -> QuerySet[Department]:
    """The supervising offices the user acts for (issues notices, keeps the register)."""
    scope = access.scope_of(user)
    qs = Department.objects.filter(kind__in=actions.SUPERVISING_KINDS, is_active=True)
    if scope.everything:
        return qs.order_by("path")
    q = Q(pk__in=[])
    for p in scope.change_paths(OFFICE_ROLES):
        q |= Q(path__startswith=p)
    return qs.filter(q).order_by("path")


def visible_notices(user: Any) -> QuerySet[SupervisionNotice]:
    base = SupervisionNotice.objects.select_related("office", "department", "issued_by")
    mine = base.filter(office__in=offices_acted_for(user).values("pk"))
    return access.visible(user, base) | mine


def notice_for(user: Any, pk: Any) -> SupervisionNotice:
    try:
        return visible_notices(user).select_related("obligation").get(pk=pk)
    except (SupervisionNotice.DoesNotExist, ValueError, TypeError):
        raise Http404(_("对象不存在或无权访问")) from None


def _years(ctx: listing.Context) -> list[int]:
    this = timezone.localdate().year
    return list(range(this, this - 6, -1))


def _office_options(ctx: listing.Context) -> list[tuple[Any, str]]:
    return [
        (d.pk, d.name)
        for d in Department.objects.filter(kind__in=actions.SUPERVISING_KINDS).order_by("path")
    ]


NOTICES = ListSpec(
    name="supervision-notices",
    title=gettext_lazy("督办通知"),
    queryset=visible_notices,
    order=("-issued_at", "-id"),
    keyset=True,
    filters=(
        SearchFilter("q", gettext_lazy("搜索"), ("doc_number", "title")),
        YearFilter("year", gettext_lazy("年度"), "year", years=_years),
        ChoiceFilter("office", gettext_lazy("督办机关"), _office_options, field="office_id"),
    ),
    columns=(
        Column(
            gettext_lazy("文号"),
            lambda n: n.doc_number,
            html=lambda n: listing.link(reverse("supervision:notice", args=[n.pk]), n.doc_number),
            css="text-nowrap",
        ),
        Column(gettext_lazy("标题"), lambda n: n.title),
        Column(gettext_lazy("被督办单位"), lambda n: n.department.name),
        Column(gettext_lazy("督办机关"), lambda n: n.office.name),
        Column(gettext_lazy("限期办结日期"), lambda n: n.reply_by),
        Column(gettext_lazy("签发人"), lambda n: str(n.issued_by), css="small"),
        Column(gettext_lazy("签发时间"), lambda n: n.issued_at, css="small text-nowrap"),
        Column(gettext_lazy("正文"), lambda n: n.body, page=False),
    ),
    empty_title=gettext_lazy("还没有督办通知"),
    empty_hint=gettext_lazy("督办机关可在逾期事项页面下发督办通知"),
    page_template="supervision/notices/list.html",
    export_url=lambda: reverse("supervision:notices_export"),
)


@authenticated
def notices(request: HttpRequest) -> HttpResponse:
    return listing.render_list(
        request, NOTICES, context={"offices": list(offices_acted_for(request.user))}
    )


@authenticated
def notices_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, NOTICES)


@authenticated
def notice(request: HttpRequest, pk: int) -> HttpResponse:
    n = notice_for(request.user, pk)
    return render(
        request,
        "supervision/notices/notice.html",
        {
            "notice": n,
            "issued_on": notice_docx.cn_upper_date(n.issued_at),
            "paragraphs": notice_docx.notice_context(n)["paragraphs"],
        },  # fmt: skip
    )


@authenticated
def notice_docx_download(request: HttpRequest, pk: int) -> HttpResponse:
    n = notice_for(request.user, pk)
    response = HttpResponse(notice_docx.notice_docx(n), content_type=DOCX_MIME)
    response["Content-Disposition"] = (
        content_disposition_header(True, notice_docx.file_name(n)) or "attachment"
    )
    return response


class NoticeForm(StyledForm):
    title = forms.CharField(label=gettext_lazy("标题"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("正文"), widget=forms.Textarea(attrs={"rows": 8}), max_length=10000
    )
    reply_by = forms.DateField(
        label=gettext_lazy("限期办结日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


def obligation_for_issue(user: Any, pk: int) -> Obligation:
    ob = access.get_for_user(
        user, Obligation.objects.select_related("department", "office", "owner"), pk
    )
    if not actions.may_issue(user, ob):
        raise PermissionDenied(_("只有督办机关的工作人员可以下发督办通知，且不能督办本单位的事项"))
    return ob


@authenticated
def notice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    ob = obligation_for_issue(request.user, pk)
    form = NoticeForm(
        request.POST or None,
        initial={
            "title": actions.default_title(ob),
            "body": actions.default_body(ob),
            "reply_by": timezone.localdate() + dt.timedelta(days=5),
        },
    )
    if done := submit(
        request,
        form,
        lambda d: actions.do_issue_notice(request.user, ob, **d),
        then=lambda n: reverse("supervision:notice", args=[n.pk]),
        success=_("督办通知已签发"),
    ):
        return done
    refusal = actions.issue_refusal(ob)
    if refusal and request.method != "POST":
        messages.warning(request, refusal)
    register = DocumentRegister.objects.filter(
        office=ob.office, year=timezone.localdate().year
    ).first()
    prefix = register.prefix if register else actions.default_prefix(ob.office)  # type: ignore[arg-type]
    upcoming = actions.doc_number(
        prefix, timezone.localdate().year, (register.last_number if register else 0) + 1
    )
    return form_page(
        request,
        form,
        _("下发督办通知"),
        [(_("督办通知"), reverse("supervision:notices"))],
        ob.url or reverse("supervision:notices"),
        intro=_(
            "督办事项：%(title)s（%(dept)s，截止日期%(due)s）。文号预计为%(number)s（以签发时登记的编号为准）；签发后不可撤回。"
        )
        % {
            "title": ob.title,
            "dept": ob.department.name,
            "due": f"{ob.due_on:%Y-%m-%d}",
            "number": upcoming,
        },
        submit_label=_("签发"),
    )


class PrefixForm(StyledForm):
    prefix = forms.CharField(
        label=gettext_lazy("发文字"),
        max_length=actions.PREFIX_MAX,
        help_text=gettext_lazy(
            "文号形如“发文字〔年度〕N号”，例如“维稳办督〔2026〕1号”；修改后仅影响此后签发的通知"
        ),
    )


def office_for_register(user: Any, pk: int) -> Department:
    office = access.get_for_user(user, Department, pk)
    if not actions.acts_for(user, office):
        raise PermissionDenied(_("只有督办机关的工作人员可以修改发文字"))
    return office


@authenticated
def register_settings(request: HttpRequest, pk: int) -> HttpResponse:
    office = office_for_register(request.user, pk)
    year = timezone.localdate().year
    register = DocumentRegister.objects.filter(office=office, year=year).first()
    form = PrefixForm(
        request.POST or None,
        initial={"prefix": register.prefix if register else actions.default_prefix(office)},
    )
    if done := submit(
        request,
        form,
        lambda d: actions.do_set_register_prefix(request.user, office, **d),
        then=reverse("supervision:notices"),
        success=_("发文字已保存"),
    ):
        return done
    last = register.last_number if register else 0
    return form_page(
        request,
        form,
        _("%(office)s督办通知发文字") % {"office": office.name},
        [(_("督办通知"), reverse("supervision:notices"))],
        reverse("supervision:notices"),
        intro=_("%(year)s年已签发%(n)s件督办通知，下一个文号为%(next)s。")
        % {
            "year": year,
            "n": last,
            "next": actions.doc_number(
                register.prefix if register else actions.default_prefix(office), year, last + 1
            ),
        },
    )


urlpatterns = [
    path("notices/", notices, name="notices"),
    path("notices/export.xlsx", notices_export, name="notices_export"),
    path("notices/<int:pk>/", notice, name="notice"),
    path("notices/<int:pk>/notice.docx", notice_docx_download, name="notice_docx"),
    path("notices/registers/<int:pk>/", register_settings, name="notice_register"),
    path("obligations/<int:pk>/notice/", notice_issue, name="notice_issue"),
]
