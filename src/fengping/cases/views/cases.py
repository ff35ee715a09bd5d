"""The case registry's pages: the organs and their settings (kind, column mapping, import),
the case list, a case's page, its forms, the stage move through the gate (the refusal is
shown before submitting and again on POST) and its 信访 records."""

from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.core import listing
from fengping.core.forms import StyledForm
from fengping.core.import_views import import_page, template_download
from fengping.core.pages import form_page, run_action, submit
from fengping.core.policy import authenticated
from fengping.org import access
from fengping.org.models import Department, Membership, User
from fengping.schemebook import registry

from ..actions import cases as actions
from ..case_import import CaseImporter
from ..lists import CASES, PETITIONS, case_labels, set_labels, stage_label
from ..models import Case, OrganProfile, Petition, PetitionKind, StageSource
from ..queries import case_for, organ_for, profile_of
from ..tabs import Tab, register, tabs_for

DEFAULT_SCHEME = "case-risk"


def _section(key: str = DEFAULT_SCHEME) -> Any:
    return registry.get(key).cases


def manageable_departments(user: Any) -> Any:
    ids = [
        d.pk
        for d in access.visible(user, Department.objects.filter(is_active=True))
        if actions.can_manage_organ(user, d)
    ]
    return Department.objects.filter(pk__in=ids).order_by("path")


def working_organs(user: Any) -> Any:
    """The organs the user may register cases in."""
    ids = [
        d.pk
        for d in access.visible(
            user, Department.objects.filter(is_active=True, case_profile__isnull=False)
        )
        if actions.can_work_in(user, d)
    ]
    return Department.objects.filter(pk__in=ids).order_by("path")


def _crumbs(case: Case) -> list[tuple[str, str]]:
    return [
        (_("案件"), reverse("cases:list")),
        (case.number[:30], reverse("cases:case", args=[case.pk])),
    ]


def _organ_crumbs(profile: OrganProfile) -> list[tuple[str, str]]:
    return [
        (_("政法单位"), reverse("cases:organs")),
        (profile.department.name, reverse("cases:organ", args=[profile.department_id])),
    ]


# ---------------------------------------------------------------- organs


@authenticated
def organ_list(request: HttpRequest) -> HttpResponse:
    profiles = access.visible(
        request.user, OrganProfile.objects.select_related("department")
    ).order_by("department__path")[:500]
    kinds = case_labels()["kinds"]
    return render(
        request,
        "cases/organs.html",
        {
            "profiles": [(p, kinds.get(p.organ_kind, p.organ_kind)) for p in profiles],
            "can_create": manageable_departments(request.user).exists(),
        },
    )


class OrganForm(StyledForm):
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), label=gettext_lazy("政法单位")
    )
    organ_kind = forms.ChoiceField(
        label=gettext_lazy("单位类别"),
        help_text=gettext_lazy("决定本单位案件的办理阶段（见评估方案）"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any = None, editing: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["organ_kind"].choices = [(k.code, k.label) for k in _section().organ_kinds]
        if editing:
            del self.fields["department"]
        else:
            del self.fields["version"]
            self.fields["department"].queryset = manageable_departments(user).filter(
                case_profile__isnull=True
            )


@authenticated
def organ_new(request: HttpRequest) -> HttpResponse:
    if not manageable_departments(request.user).exists():
        raise PermissionDenied(_("只有政法单位的系统管理员、分管领导或主要负责人可以启用"))
    form = OrganForm(request.POST or None, user=request.user)
    if done := submit(
        request,
        form,
        lambda d: actions.do_save_organ(request.user, d["department"], organ_kind=d["organ_kind"]),
        then=lambda p: reverse("cases:organ", args=[p.department_id]),
        success=_("已启用办案风险评估"),
    ):
        return done
    return form_page(
        request,
        form,
        _("启用办案风险评估"),
        [(_("政法单位"), reverse("cases:organs"))],
        reverse("cases:organs"),
    )


@authenticated
def organ_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The organ's settings: its kind (GET shows, POST changes), the column mapping and
    the import."""
    profile = organ_for(request.user, pk, "change" if request.method == "POST" else "view")
    can_manage = actions.can_manage_organ(request.user, profile.department)
    form = OrganForm(
        request.POST or None,
        editing=True,
        initial={"organ_kind": profile.organ_kind, "version": profile.version},
    )
    if done := submit(
        request,
        form,
        lambda d: actions.do_save_organ(
            request.user,
            profile.department,
            organ_kind=d["organ_kind"],
            scheme_key=profile.scheme_key,
            version=d.get("version"),
        ),
        then=reverse("cases:organ", args=[profile.department_id]),
        success=_("已保存"),
    ):
        return done
    kind = None
    with contextlib.suppress(LookupError):
        kind = profile.kind()
    return render(
        request,
        "cases/organ.html",
        {
            "profile": profile,
            "organ": profile.department,
            "kind": kind,
            "form": form,
            "can_manage": can_manage,
            "can_work": actions.can_work_in(request.user, profile.department),
            "mapping": [
                (h, actions.IMPORT_FIELDS.get(f, f))
                for h, f in sorted((profile.column_mapping or {}).items())
            ],
        },
    )


class MappingForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        for key, header in actions.IMPORT_FIELDS.items():
            self.fields[f"m_{key}"] = forms.CharField(
                label=header,
                required=False,
                max_length=actions.MAX_HEADER,
                help_text=_("本单位办案系统导出文件中对应“%(h)s”的列名；相同则留空")
                % {"h": header},
            )
        self.order_fields([*(f"m_{k}" for k in actions.IMPORT_FIELDS), "version"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        seen: dict[str, str] = {}
        for key in actions.IMPORT_FIELDS:
            header = (data.get(f"m_{key}") or "").strip()
            if not header:
                continue
            if header in seen:
                self.add_error(
                    f"m_{key}",
                    _("列名“%(h)s”已对应到“%(f)s”")
                    % {"h": header, "f": actions.IMPORT_FIELDS[seen[header]]},
                )
            seen[header] = key
        data["mapping"] = {h: k for h, k in seen.items()}
        return data


@authenticated
def organ_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    profile = organ_for(request.user, pk, "change")
    initial: dict[str, Any] = {"version": profile.version}
    for header, key in (profile.column_mapping or {}).items():
        initial[f"m_{key}"] = header
    form = MappingForm(request.POST or None, initial=initial)
    back = reverse("cases:organ", args=[profile.department_id])
    if done := submit(
        request,
        form,
        lambda d: actions.do_save_mapping(
            request.user, profile, mapping=d["mapping"], version=d.get("version")
        ),
        then=back,
        success=_("已保存导入列对应"),
    ):
        return done
    return form_page(
        request,
        form,
        _("导入列对应"),
        _organ_crumbs(profile),
        back,
        intro=_(
            "导入时先把本单位办案系统导出文件的列名换成本系统的列名再对应。"
            "在每个字段下填写导出文件中的列名；与本系统列名相同的留空。"
        ),
    )


@authenticated
def import_template(request: HttpRequest, pk: int) -> HttpResponse:
    return template_download(CaseImporter(organ_for(request.user, pk)))


@authenticated
def case_import(request: HttpRequest, pk: int) -> HttpResponse:
    profile = organ_for(request.user, pk)
    return import_page(
        request,
        CaseImporter(profile),
        crumbs=_organ_crumbs(profile),
        template_url=reverse("cases:import_template", args=[profile.department_id]),
        heading=_("导入案件：%(o)s") % {"o": profile.department.name},
        note=_(
            "每行一件案件，按“案号”对应：新案号新增，已有案号更新（留空的选填列保留原值），并记录改了什么。"
            "可另含“信访记录”表。办理阶段进入裁决/决定或结案须通过风险评估关口："
            "凡经风险评估的案件，风险未化解的不得裁决。任何一行有错时整个文件都不导入。"
        ),
    )


# ---------------------------------------------------------------- cases


@authenticated
def case_list(request: HttpRequest) -> HttpResponse:
    return listing.render_list(
        request, CASES, context={"can_create": working_organs(request.user).exists()}
    )


@authenticated
def case_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, CASES)


class CaseForm(StyledForm):
    organ = forms.ModelChoiceField(
        queryset=Department.objects.none(), label=gettext_lazy("政法单位")
    )
    number = forms.CharField(label=gettext_lazy("案号"), max_length=80)
    title = forms.CharField(label=gettext_lazy("案件名称"), max_length=200)
    category = forms.ChoiceField(label=gettext_lazy("案件类别"))
    stage = forms.ChoiceField(
        label=gettext_lazy("办理阶段"),
        required=False,
        help_text=gettext_lazy("留空为受理；须是本单位的办理阶段"),
    )
    handler = forms.ModelChoiceField(
        queryset=User.objects.none(), label=gettext_lazy("承办人"), required=False
    )
    accepted_on = forms.DateField(label=gettext_lazy("受理日期"), required=False)
    amount = forms.DecimalField(
        label=gettext_lazy("涉案金额（元）"), required=False, min_value=0, decimal_places=2
    )
    parties = forms.CharField(
        label=gettext_lazy("当事人及涉案人员"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    party_count = forms.IntegerField(label=gettext_lazy("当事人人数"), min_value=0, required=False)
    involved_count = forms.IntegerField(label=gettext_lazy("涉案人数"), min_value=0, required=False)
    vulnerable_groups = forms.MultipleChoiceField(
        label=gettext_lazy("弱势群体"), required=False, widget=forms.CheckboxSelectMultiple
    )
    coercive_measures = forms.MultipleChoiceField(
        label=gettext_lazy("查封、扣押、冻结措施"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    public_attention = forms.BooleanField(label=gettext_lazy("群众关注"), required=False)
    socially_sensitive = forms.BooleanField(label=gettext_lazy("社会敏感"), required=False)
    officer_misconduct = forms.BooleanField(label=gettext_lazy("政法干警违法违纪"), required=False)
    major_complex = forms.BooleanField(
        label=gettext_lazy("重大、疑难、复杂"),
        required=False,
        help_text=gettext_lazy("未经风险评估不得裁决；自受理之初就要先期评估"),
    )
    brief_facts = forms.CharField(
        label=gettext_lazy("简要案情"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any = None, case: Case | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        section = _section()
        self.fields["category"].choices = [(o.code, o.label) for o in section.categories]
        self.fields["vulnerable_groups"].choices = [
            (o.code, o.label) for o in section.vulnerable_groups
        ]
        self.fields["coercive_measures"].choices = [
            (o.code, o.label) for o in section.coercive_measures
        ]
        if case is not None:
            del self.fields["organ"]
            del self.fields["stage"]
            organs = Department.objects.filter(pk=case.organ_id)
        else:
            del self.fields["version"]
            organs = working_organs(user)
            self.fields["organ"].queryset = organs
            self.fields["stage"].choices = [("", "—"), *case_labels()["stage"].items()]
        paths = list(organs.values_list("path", flat=True))
        members = Membership.objects.none()
        for p in paths:
            members = members | Membership.objects.filter(department__path__startswith=p)
        self.fields["handler"].queryset = User.objects.filter(
            is_active=True, pk__in=members.values("user_id")
        ).order_by("username")
        self.fields["handler"].label_from_instance = lambda u: u.real_name or u.username


def _case_initial(case: Case) -> dict[str, Any]:
    initial = {f: getattr(case, f) for f in actions.CASE_FIELDS if f != "handler"}
    initial["handler"] = case.handler_id
    initial["vulnerable_groups"] = case.codes("vulnerable_groups")
    initial["coercive_measures"] = case.codes("coercive_measures")
    initial["version"] = case.version
    return initial


@authenticated
def case_new(request: HttpRequest) -> HttpResponse:
    if not working_organs(request.user).exists():
        raise PermissionDenied(_("您没有登记案件的权限"))
    form = CaseForm(request.POST or None, user=request.user)
    if done := submit(
        request,
        form,
        lambda d: actions.do_create_case(request.user, d.pop("organ"), **d),
        then=lambda c: reverse("cases:case", args=[c.pk]),
        success=_("已登记案件"),
    ):
        return done
    return form_page(
        request, form, _("登记案件"), [(_("案件"), reverse("cases:list"))], reverse("cases:list")
    )


@authenticated
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk, "change")
    form = CaseForm(request.POST or None, case=case, initial=_case_initial(case))
    if done := submit(
        request,
        form,
        lambda d: actions.do_update_case(request.user, case, **d),
        then=reverse("cases:case", args=[case.pk]),
        success=_("已保存"),
    ):
        return done
    return form_page(
        request, form, _("修改案件"), _crumbs(case), reverse("cases:case", args=[case.pk])
    )


def case_context(request: HttpRequest, case: Case, active: str) -> dict[str, Any]:
    """What `_case_layout.html` needs: the case, its tabs, whether the user may change it."""
    return {
        "case": case,
        "tabs": tabs_for("case", case, active),
        "can_change": access.can(request.user, case, "change"),
        "stage_label": stage_label(case),
    }


@authenticated
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk)
    labels = case_labels()
    kind = (
        OrganProfile.objects.filter(department_id=case.organ_id)
        .values_list("organ_kind", flat=True)
        .first()
    )
    stage_names = {
        **labels["stage"],
        **{code: label for (k, code), label in labels["kind_stage"].items() if k == kind},
    }
    return render(
        request,
        "cases/case.html",
        {
            **case_context(request, case, "overview"),
            "category": labels["category"].get(case.category, case.category),
            "groups": set_labels(case.vulnerable_groups),
            "measures": set_labels(case.coercive_measures),
            "stage_changes": [
                (
                    s,
                    stage_names.get(s.from_stage, s.from_stage),
                    stage_names.get(s.to_stage, s.to_stage),
                )
                for s in case.stage_changes.select_related("changed_by")[:20]
            ],
            "revisions": case.revisions.select_related("changed_by")[:20],
            "field_labels": {
                f: str(Case._meta.get_field(f).verbose_name) for f in actions.REVISION_FIELDS
            },
        },
    )


class StageForm(StyledForm):
    to_stage = forms.CharField(label=gettext_lazy("新阶段"), max_length=64)
    note = forms.CharField(label=gettext_lazy("说明"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


@authenticated
def case_stage(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the case through its stages. Every stage the gate refuses is shown disabled
    with the gate's reason; a POST is asked of the same action, which refuses again."""
    case = case_for(request.user, pk, "change")
    form = StageForm(request.POST or None, initial={"version": case.version})
    if done := submit(
        request,
        form,
        lambda d: actions.do_move_stage(request.user, case, source=StageSource.PAGE, **d),
        then=reverse("cases:case", args=[case.pk]),
        success=_("已变更办理阶段"),
    ):
        return done
    profile = profile_of(case)
    return render(
        request,
        "cases/case_stage.html",
        {
            **case_context(request, case, "overview"),
            "form": form,
            "stages": actions.stage_options(profile, case),
            "crumbs": _crumbs(case),
        },
    )


# ---------------------------------------------------------------- petitions


def _petition_count(case: Case) -> int | None:
    return case.petitions.count() or None


@authenticated
def petitions(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk)
    return listing.render_list(
        request, PETITIONS, case, context=case_context(request, case, "petitions")
    )


@authenticated
def petitions_export(request: HttpRequest, pk: int) -> HttpResponse:
    return listing.export(request, PETITIONS, case_for(request.user, pk))


class PetitionForm(StyledForm):
    date = forms.DateField(label=gettext_lazy("信访日期"))
    kind = forms.ChoiceField(label=gettext_lazy("信访形式"), choices=PetitionKind.choices)
    persons = forms.IntegerField(label=gettext_lazy("人数"), min_value=1, initial=1)
    content = forms.CharField(
        label=gettext_lazy("诉求内容"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


@authenticated
def petition_new(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk, "change")
    form = PetitionForm(request.POST or None)
    back = reverse("cases:petitions", args=[case.pk])
    if done := submit(
        request,
        form,
        lambda d: actions.do_record_petition(request.user, case, **d),
        then=back,
        success=_("已登记信访记录"),
    ):
        return done
    return form_page(
        request, form, _("登记信访记录"), [*_crumbs(case), (_("信访记录"), back)], back
    )


@authenticated
def petition_delete(request: HttpRequest, pk: int) -> HttpResponse:
    petition = access.get_for_user(
        request.user, Petition.objects.select_related("case__organ"), pk, "change"
    )
    case = petition.case
    back = reverse("cases:petitions", args=[case.pk])
    if request.method == "POST":
        return run_action(
            request,
            lambda: actions.do_delete_petition(request.user, petition),
            then=back,
            success=_("已删除信访记录"),
            back=back,
        )
    return render(
        request,
        "core/confirm.html",
        {
            "title": _("删除信访记录"),
            "crumbs": [*_crumbs(case), (_("信访记录"), back)],
            "question": _("确定删除 %(d)s 的这条信访记录吗？") % {"d": petition.date.isoformat()},
            "consequence": _(
                "信访记录计入月度排查规则（如一年内信访两次以上）；删除会记入审计日志。"
            ),
            "cancel_url": back,
        },
    )


register("case", Tab("overview", gettext_lazy("概况"), "cases:case", 0))
register("case", Tab("petitions", gettext_lazy("信访记录"), "cases:petitions", 60, _petition_count))

urlpatterns = [
    path("", case_list, name="list"),
    path("export.xlsx", case_export, name="export"),
    path("new/", case_new, name="case_new"),
    path("organs/", organ_list, name="organs"),
    path("organs/new/", organ_new, name="organ_new"),
    path("organs/<int:pk>/", organ_detail, name="organ"),
    path("organs/<int:pk>/mapping/", organ_mapping, name="organ_mapping"),
    path("organs/<int:pk>/import/", case_import, name="import"),
    path("organs/<int:pk>/import/template.xlsx", import_template, name="import_template"),
    path("<int:pk>/", case_detail, name="case"),
    path("<int:pk>/edit/", case_edit, name="case_edit"),
    path("<int:pk>/stage/", case_stage, name="case_stage"),
    path("<int:pk>/petitions/", petitions, name="petitions"),
    path("<int:pk>/petitions/export.xlsx", petitions_export, name="petitions_export"),
    path("<int:pk>/petitions/new/", petition_new, name="petition_new"),
    path("petitions/<int:pk>/delete/", petition_delete, name="petition_delete"),
]
