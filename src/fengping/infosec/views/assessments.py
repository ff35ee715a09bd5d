"""Starting an assessment of a system, and the assessment's overview: the scheme's steps
with the current one, what it still lacks, and the forms to complete it or send it back."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core.forms import StyledForm
from fengping.core.pages import form_page, run_action, submit
from fengping.core.policy import authenticated
from fengping.org import access
from fengping.procedure import engine
from fengping.schemebook import registry

from ..actions.assessments import do_complete_step, do_send_back, do_start_assessment
from ..models import Calculation, System
from ..queries import assessment_for
from ..tabs import Tab, register, tabs_for


def isra_schemes() -> list[tuple[str, str]]:
    return [
        (e.scheme.key, f"{e.scheme.name}（{e.scheme.key} {e.scheme.version}）")
        for e in registry.entries()
        if e.scheme.kind == "isra"
    ]


class StartForm(StyledForm):
    title = forms.CharField(label=gettext_lazy("评估名称"), max_length=200)
    scheme = forms.ChoiceField(label=gettext_lazy("评估方案"))
    calculation = forms.ChoiceField(
        label=gettext_lazy("风险计算方法"),
        choices=[("", gettext_lazy("按方案默认")), *Calculation.choices],
        required=False,
        help_text=gettext_lazy("须是所选方案允许的计算方法"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scheme"].choices = isra_schemes()


class CompleteStepForm(StyledForm):
    step = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label=gettext_lazy("说明"), max_length=500, required=False)


class SendBackForm(StyledForm):
    to_step = forms.ChoiceField(label=gettext_lazy("退回到"))
    reason = forms.CharField(
        label=gettext_lazy("退回理由"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, steps: list[tuple[str, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["to_step"].choices = list(steps)


@authenticated
def assessment_start(request: HttpRequest, pk: int) -> HttpResponse:
    system = access.get_for_user(
        request.user, System.objects.select_related("department"), pk, "change"
    )
    schemes = isra_schemes()
    form = StartForm(request.POST or None, initial={"scheme": schemes[0][0] if schemes else ""})
    if done := submit(
        request,
        form,
        lambda d: do_start_assessment(
            request.user,
            system,
            title=d["title"],
            scheme_key=d["scheme"],
            calculation=d["calculation"],
        ),
        then=lambda a: reverse("infosec:assessment", args=[a.pk]),
        success=_("已开始风险评估"),
    ):
        return done
    return form_page(
        request,
        form,
        _("开始风险评估"),
        [
            (_("信息系统"), reverse("infosec:systems")),
            (system.name, reverse("infosec:system", args=[system.pk])),
        ],
        reverse("infosec:system", args=[system.pk]),
        submit_label=_("开始评估"),
        intro=_("评估开始时冻结所选方案的当前版本；计算方法须是方案允许的方法之一。"),
    )


@authenticated
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    tracker = engine.tracker(a)
    current = tracker.current
    open_ = a.is_open()
    current_done = current is not None and current.is_done
    missing = tracker.missing if current is not None and open_ and not current_done else []
    earlier = [(s.code, s.label) for s in tracker.earlier()]
    return render(
        request,
        "infosec/assessment.html",
        {
            "assessment": a,
            "system": a.system,
            "scheme": a.scheme,
            "tabs": tabs_for("assessment", a, "overview"),
            "tracker": tracker,
            "current": current,
            "current_done": current_done,
            "missing": missing,
            "is_open": open_,
            "can_change": access.can(request.user, a, "change"),
            "complete_form": CompleteStepForm(initial={"step": a.current_step}),
            "send_back_form": SendBackForm(steps=earlier) if earlier else None,
        },
    )


@authenticated
@require_POST
def assessment_complete_step(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change")
    form = CompleteStepForm(request.POST)
    back = reverse("infosec:assessment", args=[a.pk])
    step = form.data.get("step", "") if not form.is_valid() else form.cleaned_data["step"]
    note = form.cleaned_data.get("note", "") if form.is_valid() else ""
    label = next((s.label for s in a.scheme.procedure.steps if s.code == step), step)
    return run_action(
        request,
        lambda: do_complete_step(request.user, a, step, note),
        then=back,
        success=_("已完成“%(s)s”") % {"s": label},
    )


@authenticated
@require_POST
def assessment_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change")
    return run_action(
        request,
        lambda: do_send_back(
            request.user, a, request.POST.get("to_step", ""), request.POST.get("reason", "")
        ),
        then=reverse("infosec:assessment", args=[a.pk]),
        success=_("已退回"),
    )


register("assessment", Tab("overview", gettext_lazy("概况"), "infosec:assessment", 0))

urlpatterns = [
    path("systems/<int:pk>/assessments/new/", assessment_start, name="assessment_start"),
    path("assessments/<int:pk>/", assessment_detail, name="assessment"),
    path(
        "assessments/<int:pk>/complete-step/",
        assessment_complete_step,
        name="assessment_complete_step",
    ),
    path("assessments/<int:pk>/send-back/", assessment_send_back, name="assessment_send_back"),
]
