"""Pages of matters: list with filters and export, register, detail, edit, designate,
public consultation settings, plan filing and documents."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core import listing
from fengping.core.errors import ActionError
from fengping.core.files import file_response
from fengping.core.pages import form_page, run_action, submit
from fengping.core.policy import authenticated
from fengping.core.registry import matter_panels as matter_panel_registry
from fengping.org import access
from fengping.org.models import WORK_ROLES, Department
from fengping.schemebook import registry
from fengping.schemes.cite import cite

from . import actions
from .forms import (
    ConsultationForm,
    DesignateForm,
    DocumentForm,
    MatterForm,
    ResponsibilityForm,
)
from .lists import MATTERS
from .models import Matter, MatterDocument

CRUMB = (gettext_lazy("评估事项"), "/matters/")


def category_choices() -> list[tuple[str, Any]]:
    """Grouped choices "scheme/category" for every social-stability scheme."""
    groups: list[tuple[str, Any]] = []
    for entry in registry.entries():
        scheme = entry.scheme
        if scheme.kind != "ssra":
            continue
        for group in scheme.taxonomy.groups:
            options = [
                (
                    f"{scheme.key}/{cat.code}",
                    f"{cat.label}{'（必须评估）' if cat.must_assess else ''}",
                )
                for cat in group.categories
            ]
            groups.append((f"{scheme.name} · {group.label}", options))
    return groups


def _form(request: HttpRequest, initial: dict[str, Any]) -> MatterForm:
    departments = [
        d.pk
        for d in access.visible(request.user, Department.objects.filter(is_active=True))
        if access.can_change_under(request.user, d.path, WORK_ROLES)
    ]
    return MatterForm(
        request.POST or None,
        initial=initial,
        categories=category_choices(),
        departments=Department.objects.filter(pk__in=departments),
        org_departments=access.organisation_departments(request.user),
    )


@authenticated
def matter_list(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, MATTERS)


@authenticated
def matter_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, MATTERS)


@authenticated
def matter_create(request: HttpRequest) -> HttpResponse:
    form = _form(request, {"kind": "decision"})

    def register(data: dict[str, Any]) -> Matter:
        scheme_key, _sep, category_code = data["category"].partition("/")
        return actions.do_register_matter(
            request.user,
            title=data["title"],
            kind=data["kind"],
            description=data["description"],
            scheme_key=scheme_key,
            category_code=category_code,
            department=data["department"],
            lead_department=data["lead_department"],
            assisting_departments=list(data["assisting_departments"]),
            deciding_authority=data["deciding_authority"],
            planned_decision_date=data["planned_decision_date"],
            confidential=data["confidential"],
            complex_difficult=data["complex_difficult"],
            contested=data["contested"],
            approving_department=data["approving_department"],
            deciding_organ=data["deciding_organ"],
        )

    if done := submit(
        request,
        form,
        register,
        then=lambda matter: reverse("matters:detail", args=[matter.pk]),
        success=lambda matter: _("已登记评估事项“%(m)s”") % {"m": matter},
    ):
        return done
    form.fields.pop("version")
    return render(
        request,
        "matters/matter_form.html",
        {"form": form, "title": _("登记评估事项"), "cancel_url": reverse("matters:list")},
    )


@authenticated
def lead_proposal(request: HttpRequest) -> HttpResponse:
    """htmx: the scheme's lead-department rule (篇3 五) for the chosen category."""
    scheme_key, _sep, code = (request.GET.get("category") or "").partition("/")
    text, dept = "", None
    try:
        scheme = registry.get(scheme_key)
    except LookupError:
        scheme = None
    if scheme is not None:
        text, dept = actions.propose_lead(
            scheme, code, access.organisation_departments(request.user)
        )
    return render(request, "matters/_lead_proposal.html", {"text": text, "dept": dept})


@authenticated
def matter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    matter = access.get_for_user(
        request.user,
        Matter.objects.select_related(
            "department",
            "lead_department",
            "designated_by",
            "responsibility_designated_by",
            "created_by",
        ),
        pk,
    )
    proposal_text, proposal_dept, responsibility_refusal = "", None, ""
    try:
        scheme = registry.get(matter.scheme_key)
        proposal_text, proposal_dept = actions.propose_lead(
            scheme, matter.category_code, access.organisation_departments(request.user)
        )
        responsibility_refusal = actions.cross_department_refusal(scheme, matter)
    except LookupError:
        scheme = None
    return render(
        request,
        "matters/matter_detail.html",
        {
            "matter": matter,
            "scheme": scheme,
            "assisting": matter.assisting_departments.all(),
            "documents": matter.documents.select_related("uploaded_by"),
            "can_change": access.can(request.user, matter, "change"),
            "can_work": access.can(request.user, matter, "work"),
            "proposal_text": proposal_text,
            "proposal_dept": proposal_dept,
            "responsibility_refusal": responsibility_refusal,
            "document_form": DocumentForm(),
            "extra_panels": matter_panels(request, matter),
        },
    )


def matter_panels(request: HttpRequest, matter: Matter) -> list[dict[str, Any]]:
    """Links to the other apps' pages about this matter (opinions, assessments), added by
    those apps through `core.registry.matter_panels` so this app does not import them."""
    return matter_panel_registry.collect(request, matter)


@authenticated
def matter_edit(request: HttpRequest, pk: int) -> HttpResponse:
    matter = access.get_for_user(request.user, Matter, pk, need="change")
    initial = {
        "title": matter.title,
        "kind": matter.kind,
        "category": f"{matter.scheme_key}/{matter.category_code}",
        "department": matter.department_id,
        "lead_department": matter.lead_department_id,
        "assisting_departments": list(matter.assisting_departments.values_list("pk", flat=True)),
        "deciding_authority": matter.deciding_authority,
        "approving_department": matter.approving_department_id,
        "deciding_organ": matter.deciding_organ_id,
        "planned_decision_date": matter.planned_decision_date,
        "description": matter.description,
        "confidential": matter.confidential,
        "complex_difficult": matter.complex_difficult,
        "contested": matter.contested,
        "version": matter.version,
    }
    form = _form(request, initial)
    form.fields["department"].disabled = True
    form.fields["department"].required = False

    def update(data: dict[str, Any]) -> None:
        scheme_key, _sep, category_code = data["category"].partition("/")
        if scheme_key != matter.scheme_key:
            raise ActionError(
                _("登记后不能更换评估方案；如需更换，请重新登记事项"), field="category"
            )
        actions.do_update_matter(
            request.user,
            matter,
            version=data["version"],
            title=data["title"],
            kind=data["kind"],
            description=data["description"],
            category_code=category_code,
            lead_department=data["lead_department"],
            assisting_departments=list(data["assisting_departments"]),
            deciding_authority=data["deciding_authority"],
            planned_decision_date=data["planned_decision_date"],
            confidential=data["confidential"],
            complex_difficult=data["complex_difficult"],
            contested=data["contested"],
            approving_department=data["approving_department"],
            deciding_organ=data["deciding_organ"],
        )

    if done := submit(
        request, form, update, then=reverse("matters:detail", args=[matter.pk]), success=_("已保存")
    ):
        return done
    return render(
        request,
        "matters/matter_form.html",
        {
            "form": form,
            "title": _("编辑评估事项"),
            "matter": matter,
            "cancel_url": reverse("matters:detail", args=[matter.pk]),
        },
    )


def _simple(
    request: HttpRequest, matter: Matter, form: Any, title: str, intro: str = ""
) -> HttpResponse:
    url = reverse("matters:detail", args=[matter.pk])
    return form_page(request, form, title, [CRUMB, (matter.title, url)], url, intro=intro)


def _scheme(matter: Matter) -> Any:
    """The matter's scheme, whose own passages its pages quote (None when it is gone)."""
    try:
        return registry.get(matter.scheme_key)
    except LookupError:
        return None


@authenticated
def matter_responsibility(request: HttpRequest, pk: int) -> HttpResponse:
    """篇3 五: record the 党委/政府 designation of a cross-department matter's 责任主体."""
    matter = access.get_for_user(request.user, Matter, pk, need="change")
    form = ResponsibilityForm(
        request.POST or None,
        initial={"body": matter.responsibility_body, "note": matter.responsibility_note},
    )
    if done := submit(
        request,
        form,
        lambda data: actions.do_designate_responsibility(request.user, matter, **data),
        then=reverse("matters:detail", args=[matter.pk]),
        success=_("已登记指定责任主体"),
    ):
        return done
    try:
        scheme = registry.get(matter.scheme_key)
    except LookupError:
        scheme = None
    rule = scheme.responsibility.cross_department if scheme and scheme.responsibility else None
    return _simple(
        request,
        matter,
        form,
        _("登记党委/政府指定责任主体"),
        rule.quote
        if rule
        else _("涉及多个部门、难以界定责任主体的事项，由党委、政府指定责任主体。"),
    )


@authenticated
def matter_designate(request: HttpRequest, pk: int) -> HttpResponse:
    matter = access.get_for_user(request.user, Matter, pk, need="change")
    form = DesignateForm(
        request.POST or None,
        initial={"body": matter.designated_by_body, "note": matter.designation_note},
    )
    if done := submit(
        request,
        form,
        lambda data: actions.do_designate(request.user, matter, **data),
        then=reverse("matters:detail", args=[matter.pk]),
        success=_("已登记指定评估"),
    ):
        return done
    return _simple(
        request,
        matter,
        form,
        _("登记党组/党委/政府指定评估"),
        " ".join(
            t
            for t in (
                cite(_scheme(matter), "指定或建议确定", "指定评估责任主体"),
                _("指定后该事项必须评估。"),
            )
            if t
        ),
    )


@authenticated
def matter_consultation(request: HttpRequest, pk: int) -> HttpResponse:
    matter = access.get_for_user(request.user, Matter, pk, need="change")
    form = ConsultationForm(
        request.POST or None,
        initial={
            "version": matter.version,
            "open": matter.consultation_open,
            "summary": matter.consultation_summary or matter.description,
            "channels": matter.consultation_channels,
            "until": matter.consultation_until,
        },
    )
    if done := submit(
        request,
        form,
        lambda data: actions.do_set_consultation(request.user, matter, **data),
        then=reverse("matters:detail", args=[matter.pk]),
        success=_("公开征求意见设置已保存"),
    ):
        return done
    return _simple(
        request,
        matter,
        form,
        _("公开征求意见"),
        cite(_scheme(matter), "依法向社会公开", "公开征求")
        or _("涉及国家秘密、商业秘密和个人隐私的事项不公开征求意见。"),
    )


@authenticated
@require_POST
def document_add(request: HttpRequest, pk: int) -> HttpResponse:
    matter = access.get_for_user(request.user, Matter, pk, need="work")
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择文件"))
        return redirect("matters:detail", matter.pk)
    return run_action(
        request,
        lambda: actions.do_add_document(
            request.user, matter, form.cleaned_data["file"], form.cleaned_data["note"]
        ),
        then=reverse("matters:detail", args=[matter.pk]),
        success=_("文件已上传"),
    )


@authenticated
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    return file_response(access.get_for_user(request.user, MatterDocument, pk))


@authenticated
def document_remove(request: HttpRequest, pk: int) -> HttpResponse:
    doc = access.get_for_user(
        request.user, MatterDocument.objects.select_related("matter"), pk, need="work"
    )
    url = reverse("matters:detail", args=[doc.matter_id])
    if request.method == "POST":
        actions.do_remove_document(request.user, doc)
        messages.success(request, _("已移除文件"))
        return redirect(url)
    return render(
        request,
        "core/confirm.html",
        {
            "title": _("移除文件"),
            "crumbs": [CRUMB, (doc.matter.title, url)],
            "question": _("移除文件“%(n)s”吗？") % {"n": doc.name},
            "consequence": _("移除后该文件不再列在事项中；移除操作记入审计日志。"),
            "cancel_url": url,
            "confirm_label": _("确认移除"),
        },
    )
