"""Pages of a case's risk resolution: the assessment's tabs 防范和处置预案 (the plan text,
the measures with their status and evidence), 责任 (the responsibility chain and the
责任查究 records) and 风险化解 (propose, approve, refuse), and the case's tab 裁决确认
(the head's second confirmation, 篇4 二3). Every rule is read from
`cases.resolution_rules`; the actions refuse on the same rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core.files import file_response
from fengping.core.forms import StyledForm
from fengping.core.pages import submit
from fengping.core.policy import authenticated
from fengping.org import access
from fengping.org.models import WORK_ROLES, Department, Role, User

from .. import resolution_rules as rules
from ..actions import resolution as actions
from ..models import (
    Case,
    CaseAssessment,
    Measure,
    MeasureEvidence,
    MeasureStatus,
    ResolutionState,
)
from ..queries import assessment_for, case_for
from ..tabs import Tab, register, tabs_for

# ------------------------------------------------------------------ fetching


def _measure(request: HttpRequest, pk: int, need: Any = "view") -> Measure:
    return access.get_for_user(
        request.user,
        Measure.objects.select_related(
            "assessment__case__organ", "assessment__case__handler", "responsible_unit"
        ),
        pk,
        need,
    )


def _layout(host: str) -> str:
    """The host page's layout (drawn by the area that owns it)."""
    return "cases/_assessment_layout.html" if host == "assessment" else "cases/_case_layout.html"


def _page(
    request: HttpRequest, a: CaseAssessment, tab: str, template: str, **context: Any
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "layout": _layout("assessment"),
            "assessment": a,
            "case": a.case,
            "tabs": tabs_for("assessment", a, tab),
            **context,
        },
    )


# ------------------------------------------------------------------ forms


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class PlanForm(StyledForm):
    text = forms.CharField(
        label=gettext_lazy("防范和处置预案"), widget=forms.Textarea(attrs={"rows": 8})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


def measure_people(a: CaseAssessment) -> QuerySet[User]:
    """The people a page offers as a measure's 责任人: those of the units concerned (the
    organ's, and the units the measures name). The action accepts anyone of the measure's
    responsible unit (the API names them by user name)."""
    return User.objects.filter(
        is_active=True,
        memberships__department__in=rules.concerned_units(a),
        memberships__role__in=WORK_ROLES,
    ).distinct()


class MeasureForm(StyledForm):
    title = forms.CharField(label=gettext_lazy("工作措施"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("具体内容"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    responsible_unit = forms.ModelChoiceField(
        queryset=Department.objects.none(), label=gettext_lazy("责任单位")
    )
    cooperating_units = forms.ModelMultipleChoiceField(
        queryset=Department.objects.none(), label=gettext_lazy("协同单位"), required=False
    )
    responsible_person = PersonField(
        queryset=User.objects.none(), label=gettext_lazy("责任人"), required=False
    )
    due_on = forms.DateField(
        label=gettext_lazy("完成时限"), widget=forms.DateInput(attrs={"type": "date"})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, assessment: CaseAssessment, **kw: Any) -> None:
        super().__init__(*args, **kw)
        units = rules.organisation_units(assessment.case.organ)
        self.fields["responsible_unit"].queryset = units
        self.fields["cooperating_units"].queryset = units
        self.fields["responsible_person"].queryset = measure_people(assessment)


class StatusForm(StyledForm):
    status = forms.ChoiceField(label=gettext_lazy("落实情况"), choices=MeasureStatus.choices)
    evidence_note = forms.CharField(
        label=gettext_lazy("落实情况说明"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class EvidenceForm(StyledForm):
    file = forms.FileField(label=gettext_lazy("证明材料"))
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)


class ResponsibilityForm(StyledForm):
    first = PersonField(queryset=User.objects.none(), label=gettext_lazy("第一责任人"))
    main = PersonField(queryset=User.objects.none(), label=gettext_lazy("主要责任人"))
    direct = PersonField(queryset=User.objects.none(), label=gettext_lazy("直接责任人"))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, assessment: CaseAssessment, **kw: Any) -> None:
        super().__init__(*args, **kw)
        organ = assessment.case.organ

        def holders(roles: Any, below: bool) -> QuerySet[User]:
            where = (
                {"memberships__department__path__startswith": organ.path}
                if below
                else {"memberships__department": organ}
            )
            return User.objects.filter(
                is_active=True, memberships__role__in=roles, **where
            ).distinct()

        self.fields["first"].queryset = holders([Role.HEAD], False)
        self.fields["main"].queryset = holders([Role.LEADER, Role.HEAD], False)
        self.fields["direct"].queryset = holders(list(WORK_ROLES), True)


class AccountabilityForm(StyledForm):
    unit = forms.ModelChoiceField(queryset=Department.objects.none(), label=gettext_lazy("单位"))
    kind = forms.ChoiceField(label=gettext_lazy("问题"))
    description = forms.CharField(
        label=gettext_lazy("情况说明"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, assessment: CaseAssessment, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["unit"].queryset = rules.accountability_units(assessment)
        self.fields["kind"].choices = rules.accountability_kinds(assessment)


class NoteForm(StyledForm):
    note = forms.CharField(
        label=gettext_lazy("风险化解情况"), widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class DecideForm(StyledForm):
    decision = forms.ChoiceField(
        label=gettext_lazy("审批"),
        choices=[("approve", gettext_lazy("批准")), ("refuse", gettext_lazy("不批准"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("审批意见（不批准时必填）"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ConfirmForm(StyledForm):
    reason = forms.CharField(
        label=gettext_lazy("确认理由"), widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


# ------------------------------------------------------------------ 防范和处置预案


def _plan_page(
    request: HttpRequest,
    a: CaseAssessment,
    *,
    plan_form: PlanForm | None = None,
    measure_form: MeasureForm | None = None,
) -> HttpResponse:
    can_change = access.can(request.user, a, "change")
    return _page(
        request,
        a,
        "resolution_plan",
        "cases/resolution_plan.html",
        can_change=can_change,
        plan_off=rules.plan_refusal(a),
        measure_off=rules.measure_refusal(a),
        plan_form=plan_form or PlanForm(initial={"text": a.contingency_plan, "version": a.version}),
        measure_form=measure_form or MeasureForm(assessment=a),
        measures=rules.measures_with_evidence(a),
        proposed=a.resolution_state == ResolutionState.PROPOSED,
        today=timezone.localdate(),
    )


@authenticated
def plan_tab(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change" if request.method == "POST" else "view")
    form = PlanForm(request.POST or None)
    if done := submit(
        request,
        form,
        lambda d: actions.do_save_plan(request.user, a, text=d["text"], version=d["version"]),
        then=reverse("cases:resolution_plan", args=[a.pk]),
        success=_("防范和处置预案已保存"),
    ):
        return done
    return _plan_page(request, a, plan_form=form if request.method == "POST" else None)


def _measure_values(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": d["title"],
        "description": d["description"],
        "responsible_unit": d["responsible_unit"],
        "cooperating_units": list(d["cooperating_units"]),
        "responsible_person": d["responsible_person"],
        "due_on": d["due_on"],
    }


@authenticated
@require_POST
def measure_add(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change")
    form = MeasureForm(request.POST, assessment=a)
    if done := submit(
        request,
        form,
        lambda d: actions.do_add_measure(request.user, a, **_measure_values(d)),
        then=reverse("cases:resolution_plan", args=[a.pk]),
        success=_("已添加工作措施"),
    ):
        return done
    return _plan_page(request, a, measure_form=form)


def _measure_page(
    request: HttpRequest,
    m: Measure,
    *,
    form: MeasureForm | None = None,
    status_form: StatusForm | None = None,
    evidence_form: EvidenceForm | None = None,
) -> HttpResponse:
    a = m.assessment
    return _page(
        request,
        a,
        "resolution_plan",
        "cases/resolution_measure.html",
        measure=m,
        cooperating=list(m.cooperating_units.all()),
        evidence=list(m.evidence.select_related("uploaded_by")),
        can_change=access.can(request.user, m, "change"),
        measure_off=rules.measure_refusal(a),
        form=form
        or MeasureForm(
            assessment=a,
            initial={
                "title": m.title,
                "description": m.description,
                "responsible_unit": m.responsible_unit_id,
                "cooperating_units": [d.pk for d in m.cooperating_units.all()],
                "responsible_person": m.responsible_person_id,
                "due_on": m.due_on,
                "version": m.version,
            },
        ),
        status_form=status_form
        or StatusForm(
            initial={"status": m.status, "evidence_note": m.evidence_note, "version": m.version}
        ),
        evidence_form=evidence_form or EvidenceForm(),
        proposed=a.resolution_state == ResolutionState.PROPOSED,
    )


@authenticated
def measure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    m = _measure(request, pk, "change" if request.method == "POST" else "view")
    form = MeasureForm(request.POST or None, assessment=m.assessment)
    if done := submit(
        request,
        form,
        lambda d: actions.do_update_measure(
            request.user, m, version=d["version"], **_measure_values(d)
        ),
        then=reverse("cases:resolution_measure", args=[m.pk]),
        success=_("已保存"),
    ):
        return done
    return _measure_page(request, m, form=form if request.method == "POST" else None)


@authenticated
@require_POST
def measure_status(request: HttpRequest, pk: int) -> HttpResponse:
    m = _measure(request, pk, "change")
    form = StatusForm(request.POST)
    if done := submit(
        request,
        form,
        lambda d: actions.do_set_measure_status(
            request.user,
            m,
            version=d["version"],
            status=d["status"],
            evidence_note=d["evidence_note"],
        ),
        then=reverse("cases:resolution_measure", args=[m.pk]),
        success=_("落实情况已更新"),
    ):
        return done
    return _measure_page(request, m, status_form=form)


@authenticated
@require_POST
def evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    m = _measure(request, pk, "change")
    form = EvidenceForm(request.POST, request.FILES)
    if done := submit(
        request,
        form,
        lambda d: actions.do_add_evidence(request.user, m, d["file"], note=d["note"]),
        then=reverse("cases:resolution_measure", args=[m.pk]),
        success=_("证明材料已上传"),
    ):
        return done
    return _measure_page(request, m, evidence_form=form)


@authenticated
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    return file_response(access.get_for_user(request.user, MeasureEvidence, pk))


# ------------------------------------------------------------------ 责任


def _responsibility_page(
    request: HttpRequest,
    a: CaseAssessment,
    *,
    form: ResponsibilityForm | None = None,
    record_form: AccountabilityForm | None = None,
) -> HttpResponse:
    return _page(
        request,
        a,
        "resolution_responsibility",
        "cases/resolution_responsibility.html",
        chain_off=rules.may_set_responsibility(request.user, a) or rules.responsibility_refusal(a),
        record_off=rules.may_record_accountability(request.user, a)
        or rules.accountability_refusal(a),
        form=form
        or ResponsibilityForm(
            assessment=a,
            initial={
                "first": a.first_responsible_id,
                "main": a.main_responsible_id,
                "direct": a.direct_responsible_id,
                "version": a.version,
            },
        ),
        record_form=record_form or AccountabilityForm(assessment=a),
        records=[(r, rules.kind_label(a, r.kind)) for r in rules.accountability_of(a)],
        chain=[
            (CaseAssessment._meta.get_field(n).verbose_name, getattr(a, n)) for n in actions.CHAIN
        ],
    )


@authenticated
def responsibility_tab(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    if request.method == "POST" and (refusal := rules.may_set_responsibility(request.user, a)):
        raise PermissionDenied(refusal)
    form = ResponsibilityForm(request.POST or None, assessment=a)
    if done := submit(
        request,
        form,
        lambda d: actions.do_set_responsibility(
            request.user,
            a,
            first=d["first"],
            main=d["main"],
            direct=d["direct"],
            version=d["version"],
        ),
        then=reverse("cases:resolution_responsibility", args=[a.pk]),
        success=_("责任人已明确"),
    ):
        return done
    return _responsibility_page(request, a, form=form if request.method == "POST" else None)


@authenticated
@require_POST
def accountability_add(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    if refusal := rules.may_record_accountability(request.user, a):
        raise PermissionDenied(refusal)
    form = AccountabilityForm(request.POST, assessment=a)
    if done := submit(
        request,
        form,
        lambda d: actions.do_record_accountability(
            request.user, a, unit=d["unit"], kind=d["kind"], description=d["description"]
        ),
        then=reverse("cases:resolution_responsibility", args=[a.pk]),
        success=_("已记录责任查究"),
    ):
        return done
    return _responsibility_page(request, a, record_form=form)


# ------------------------------------------------------------------ 风险化解


def _resolution_page(
    request: HttpRequest,
    a: CaseAssessment,
    *,
    form: NoteForm | None = None,
    decide_form: DecideForm | None = None,
) -> HttpResponse:
    measures = rules.measures_with_evidence(a)
    user = request.user
    return _page(
        request,
        a,
        "resolution",
        "cases/resolution_resolve.html",
        measures=measures,
        propose_off=rules.may_propose(user, a) or rules.propose_refusal(a, measures),
        decide_off=rules.may_decide(user, a) or rules.decide_refusal(a),
        form=form or NoteForm(initial={"note": a.resolution_note, "version": a.version}),
        decide_form=decide_form or DecideForm(initial={"version": a.version}),
        people={
            "proposed_by": a.resolution_proposed_by,
            "decided_by": a.resolution_decided_by,
        },
    )


@authenticated
def resolution_tab(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change" if request.method == "POST" else "view")
    if request.method == "POST" and (refusal := rules.may_propose(request.user, a)):
        raise PermissionDenied(refusal)
    form = NoteForm(request.POST or None)
    if done := submit(
        request,
        form,
        lambda d: actions.do_propose_resolution(
            request.user, a, note=d["note"], version=d["version"]
        ),
        then=reverse("cases:resolution", args=[a.pk]),
        success=_("已申请确认风险已化解，等待领导审批"),
    ):
        return done
    return _resolution_page(request, a, form=form if request.method == "POST" else None)


@authenticated
@require_POST
def resolution_decide(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    if refusal := rules.may_decide(request.user, a):
        raise PermissionDenied(refusal)
    form = DecideForm(request.POST)
    if done := submit(
        request,
        form,
        lambda d: actions.do_decide_resolution(
            request.user,
            a,
            approve=d["decision"] == "approve",
            note=d["note"],
            version=d["version"],
        ),
        then=reverse("cases:resolution", args=[a.pk]),
        success=lambda r: (
            _("已批准：风险已化解")
            if r.resolution_state == ResolutionState.APPROVED
            else _("已退回承办人")
        ),
    ):
        return done
    return _resolution_page(request, a, decide_form=form)


# ------------------------------------------------------------------ 二3 裁决确认 (the case)


@authenticated
def confirm_tab(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk)
    target = rules.confirmation_target(case)
    if request.method == "POST" and (refusal := rules.may_confirm(request.user, case, target)):
        raise PermissionDenied(refusal)
    form = ConfirmForm(
        request.POST or None, initial={"version": target.version if target else None}
    )
    if done := submit(
        request,
        form,
        lambda d: actions.do_confirm_adjudication(
            request.user, case, reason=d["reason"], version=d["version"]
        ),
        then=reverse("cases:resolution_confirm", args=[case.pk]),
        success=_("已再次确认裁决"),
    ):
        return done
    return render(
        request,
        "cases/resolution_confirm.html",
        {
            "layout": _layout("case"),
            "case": case,
            "tabs": tabs_for("case", case, "resolution_confirm"),
            "target": target,
            "form": form,
            "confirm_off": rules.may_confirm(request.user, case, target)
            or rules.confirm_refusal(case, target),
        },
    )


def _pending(a: CaseAssessment) -> int | None:
    return 1 if a.resolution_state == ResolutionState.PROPOSED else None


def _needs_confirmation(case: Case) -> int | None:
    return 1 if case.confirmation_needed else None


register(
    "assessment",
    Tab("resolution_plan", gettext_lazy("防范和处置预案"), "cases:resolution_plan", 50),
)
register(
    "assessment",
    Tab(
        "resolution_responsibility",
        gettext_lazy("责任"),
        "cases:resolution_responsibility",
        60,
    ),
)
register(
    "assessment", Tab("resolution", gettext_lazy("风险化解"), "cases:resolution", 70, _pending)
)
register(
    "case",
    Tab(
        "resolution_confirm",
        gettext_lazy("裁决确认"),
        "cases:resolution_confirm",
        80,
        _needs_confirmation,
    ),
)

urlpatterns = [
    path("assessments/<int:pk>/plan/", plan_tab, name="resolution_plan"),
    path("assessments/<int:pk>/measures/new/", measure_add, name="resolution_measure_add"),
    path("measures/<int:pk>/", measure_detail, name="resolution_measure"),
    path("measures/<int:pk>/status/", measure_status, name="resolution_measure_status"),
    path("measures/<int:pk>/evidence/", evidence_add, name="resolution_evidence_add"),
    path("evidence/<int:pk>/", evidence_download, name="resolution_evidence"),
    path(
        "assessments/<int:pk>/responsibility/",
        responsibility_tab,
        name="resolution_responsibility",
    ),
    path(
        "assessments/<int:pk>/accountability/",
        accountability_add,
        name="resolution_accountability_add",
    ),
    path("assessments/<int:pk>/resolution/", resolution_tab, name="resolution"),
    path("assessments/<int:pk>/resolution/decide/", resolution_decide, name="resolution_decide"),
    path("<int:pk>/confirmation/", confirm_tab, name="resolution_confirm"),
]
