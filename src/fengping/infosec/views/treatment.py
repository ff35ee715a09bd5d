"""风险处置 (assessment tab): the decisions per risk level, a bulk decision by filter, one
risk's decision, the acceptances waiting for the current user's approval, and the
recommendations with their links. Every POST calls one action of actions.treatment."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core import listing
from fengping.core.forms import StyledForm
from fengping.core.pages import run_action, submit
from fengping.core.policy import authenticated
from fengping.org import access

from ..actions import tasks as task_actions
from ..actions import treatment as actions
from ..models import (
    ApprovalState,
    MeasureKind,
    Recommendation,
    RiskDecision,
    Scenario,
    SystemAssessment,
    Treatment,
)
from ..queries import assessment_for
from ..tabs import Tab, register, tabs_for
from ..task_lists import DECISIONS

REGISTER_ROWS = 50  # the highest risks shown for one-by-one decisions


def _tab_url(a: SystemAssessment) -> str:
    return reverse("infosec:treatment", args=[a.pk])


def _level_choices(a: SystemAssessment) -> list[tuple[str, str]]:
    return [
        (str(n), label) for n, label in sorted(actions.level_labels(a.scheme).items(), reverse=True)
    ]


class BulkDecideForm(StyledForm):
    levels = forms.MultipleChoiceField(
        label=gettext_lazy("风险等级"), widget=forms.CheckboxSelectMultiple
    )
    undecided = forms.BooleanField(
        label=gettext_lazy("只处理尚未决策的风险"), required=False, initial=True
    )
    treatment = forms.ChoiceField(label=gettext_lazy("处置方式"), choices=Treatment.choices)
    reason = forms.CharField(label=gettext_lazy("理由"), widget=forms.Textarea(attrs={"rows": 2}))
    confirmation = forms.CharField(
        label=gettext_lazy("书面确认记录"),
        required=False,
        help_text=gettext_lazy("方案要求书面确认的（如接受中等风险），填写确认人、时间和文件"),
    )

    def __init__(self, *args: Any, assessment: SystemAssessment, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["levels"].choices = _level_choices(assessment)
        self.fields["levels"].widget.attrs["class"] = "form-check-input"


class DecideForm(StyledForm):
    treatment = forms.ChoiceField(label=gettext_lazy("处置方式"), choices=Treatment.choices)
    reason = forms.CharField(label=gettext_lazy("理由"), widget=forms.Textarea(attrs={"rows": 3}))
    confirmation = forms.CharField(
        label=gettext_lazy("书面确认记录"),
        required=False,
        help_text=gettext_lazy("方案要求书面确认的（如接受中等风险），填写确认人、时间和文件"),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class RecommendationForm(StyledForm):
    title = forms.CharField(label=gettext_lazy("建议"), max_length=200)
    text = forms.CharField(
        label=gettext_lazy("内容"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label=gettext_lazy("类别"))
    effect = forms.ChoiceField(
        label=gettext_lazy("完成后的作用"),
        required=False,
        choices=[("", gettext_lazy("不计入剩余风险")), *MeasureKind.choices],
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, assessment: SystemAssessment, **kw: Any) -> None:
        super().__init__(*args, **kw)
        info = assessment.scheme.infosec
        self.fields["kind"].choices = (
            [(k.code, k.label) for k in info.remediation.kinds] if info is not None else []
        )


class LinkForm(StyledForm):
    levels = forms.MultipleChoiceField(
        label=gettext_lazy("风险等级"), widget=forms.CheckboxSelectMultiple
    )
    unlink = forms.BooleanField(label=gettext_lazy("取消关联"), required=False)

    def __init__(self, *args: Any, assessment: SystemAssessment, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["levels"].choices = _level_choices(assessment)
        self.fields["levels"].widget.attrs["class"] = "form-check-input"


class NoteForm(StyledForm):
    note = forms.CharField(
        label=gettext_lazy("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _summary(a: SystemAssessment) -> list[dict[str, Any]]:
    """Per level: how many risks, and how many of them take each treatment / none yet."""
    labels = actions.level_labels(a.scheme)
    rows = (
        Scenario.objects.filter(assessment=a)
        .values_list("level", "decision__treatment")
        .annotate(n=Count("id"))
    )
    table: dict[int, dict[str, int]] = {}
    for level, treatment, n in rows:
        table.setdefault(level, {})[treatment or ""] = n
    return [
        {
            "level": level,
            "label": labels.get(level, level),
            "total": sum(table[level].values()),
            "undecided": table[level].get("", 0),
            "by": [table[level].get(code, 0) for code in Treatment.values],
        }
        for level in sorted(table, reverse=True)
    ]


@authenticated
def treatment_tab(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    can_change = access.can(request.user, a, "change") and a.is_open()
    bulk = BulkDecideForm(request.POST or None, assessment=a, initial={"undecided": True})
    rec_form = RecommendationForm(None, assessment=a)
    if request.method == "POST":
        access.require(request.user, a, "change")
        if done := submit(
            request,
            bulk,
            lambda d: actions.do_decide_bulk(
                request.user,
                a,
                d["treatment"],
                d["reason"],
                confirmation=d["confirmation"],
                filters={"levels": [int(x) for x in d["levels"]], "undecided": d["undecided"]},
            ),
            then=_tab_url(a),
            success=lambda n: _("已记录 %(n)s 项风险的处置决策") % {"n": n},
        ):
            return done
    register_rows = (
        Scenario.objects.filter(assessment=a)
        .select_related("asset", "threat", "vulnerability", "decision")
        .order_by("-risk", "id")[:REGISTER_ROWS]
    )
    waiting = (
        actions.awaiting(request.user)
        .filter(assessment=a)
        .select_related("scenario__asset", "scenario__vulnerability", "proposed_by")[:100]
    )
    return render(
        request,
        "infosec/treatment/tab.html",
        {
            "assessment": a,
            "system": a.system,
            "tabs": tabs_for("assessment", a, "treatment"),
            "can_change": can_change,
            "summary": _summary(a),
            "treatments": Treatment.choices,
            "bulk": bulk,
            "rec_form": rec_form,
            "register": register_rows,
            "labels": actions.level_labels(a.scheme),
            "waiting": waiting,
            "pending": a.decisions.filter(approval=ApprovalState.PENDING).count(),
            "recommendations": actions.recommendation_summary(a),
            "link_form": LinkForm(assessment=a),
        },
    )


@authenticated
def decisions(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    return listing.render_list(
        request,
        DECISIONS,
        a,
        context={
            "assessment": a,
            "system": a.system,
            "tabs": tabs_for("assessment", a, "treatment"),
        },
    )


@authenticated
def decisions_export(request: HttpRequest, pk: int) -> HttpResponse:
    return listing.export(request, DECISIONS, assessment_for(request.user, pk))


@authenticated
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = access.get_for_user(
        request.user,
        Scenario.objects.select_related(
            "assessment__system__department", "asset", "threat", "vulnerability"
        ),
        pk,
    )
    a = scenario.assessment
    decision = RiskDecision.objects.filter(scenario=scenario).first()
    initial = (
        {
            "treatment": decision.treatment,
            "reason": decision.reason,
            "version": decision.version,
            "confirmation": decision.approval_note
            if decision.approval == ApprovalState.NOT_NEEDED
            else "",
        }
        if decision
        else {}
    )
    form = DecideForm(request.POST or None, initial=initial)
    if request.method == "POST":
        access.require(request.user, a, "change")
        if done := submit(
            request,
            form,
            lambda d: actions.do_decide(
                request.user,
                scenario,
                d["treatment"],
                d["reason"],
                confirmation=d["confirmation"],
                version=d["version"],
            ),
            then=_tab_url(a),
            success=_("已记录处置决策"),
        ):
            return done
    grade = actions.grade_of(a.scheme, scenario.level)
    return render(
        request,
        "infosec/treatment/decide.html",
        {
            "assessment": a,
            "system": a.system,
            "tabs": tabs_for("assessment", a, "treatment"),
            "scenario": scenario,
            "decision": decision,
            "grade": grade,
            "form": form,
            "can_change": access.can(request.user, a, "change") and a.is_open(),
            "needs_approval": actions.needs_approval(a.scheme, scenario.level, Treatment.ACCEPT),
            "confirmations": actions.confirmations_needed(
                a.scheme, scenario.level, Treatment.ACCEPT
            ),
            "may_approve": decision is not None
            and decision.approval == ApprovalState.PENDING
            and not actions.may_approve(request.user, decision),
            "note_form": NoteForm(initial={"version": decision.version} if decision else None),
        },
    )


def _decision(request: HttpRequest, pk: int) -> RiskDecision:
    return access.get_for_user(
        request.user,
        RiskDecision.objects.select_related("assessment__system__department", "scenario"),
        pk,
    )


def _approval(request: HttpRequest, pk: int, approve: bool) -> HttpResponse:
    d = _decision(request, pk)
    form = NoteForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")
    version = form.cleaned_data.get("version")
    act = actions.do_approve_acceptance if approve else actions.do_reject_acceptance
    return run_action(
        request,
        lambda: act(request.user, d, note, version=version),
        then=_tab_url(d.assessment),
        success=_("已批准接受该风险") if approve else _("已不批准接受该风险"),
        back=reverse("infosec:decide", args=[d.scenario_id]),
    )


@authenticated
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _approval(request, pk, True)


@authenticated
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _approval(request, pk, False)


# ------------------------------------------------------------------ recommendations


@authenticated
@require_POST
def recommendation_new(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change")
    form = RecommendationForm(request.POST, assessment=a)
    if done := submit(
        request,
        form,
        lambda d: actions.do_save_recommendation(
            request.user, a, title=d["title"], text=d["text"], kind=d["kind"], effect=d["effect"]
        ),
        then=lambda rec: reverse("infosec:recommendation", args=[rec.pk]),
        success=_("已保存安全建议，请关联它针对的风险"),
    ):
        return done
    return render(
        request,
        "infosec/treatment/recommendation.html",
        {
            "assessment": a,
            "system": a.system,
            "tabs": tabs_for("assessment", a, "treatment"),
            "form": form,
            "rec": None,
            "can_change": True,
        },
    )


def _rec(request: HttpRequest, pk: int, need: str = "view") -> Recommendation:
    return access.get_for_user(
        request.user,
        Recommendation.objects.select_related("assessment__system__department"),
        pk,
        need,
    )


@authenticated
def recommendation(request: HttpRequest, pk: int) -> HttpResponse:
    rec = _rec(request, pk)
    a = rec.assessment
    form = RecommendationForm(
        request.POST or None,
        assessment=a,
        initial={
            "title": rec.title,
            "text": rec.text,
            "kind": rec.kind,
            "effect": rec.effect,
            "version": rec.version,
        },
    )
    if request.method == "POST":
        access.require(request.user, rec, "change")
        if done := submit(
            request,
            form,
            lambda d: actions.do_save_recommendation(
                request.user,
                a,
                recommendation=rec,
                version=d["version"],
                title=d["title"],
                text=d["text"],
                kind=d["kind"],
                effect=d["effect"],
            ),
            then=reverse("infosec:recommendation", args=[rec.pk]),
            success=_("已保存"),
        ):
            return done
    summary = next((s for s in actions.recommendation_summary(a) if s["rec"].pk == rec.pk), None)
    return render(
        request,
        "infosec/treatment/recommendation.html",
        {
            "assessment": a,
            "system": a.system,
            "tabs": tabs_for("assessment", a, "treatment"),
            "form": form,
            "rec": rec,
            "summary": summary,
            "link_form": LinkForm(assessment=a),
            "tasks": rec.tasks.select_related("owner").order_by("deadline", "id"),
            "can_change": access.can(request.user, rec, "change") and a.is_open(),
        },
    )


@authenticated
@require_POST
def recommendation_link(request: HttpRequest, pk: int) -> HttpResponse:
    rec = _rec(request, pk, "change")
    form = LinkForm(request.POST, assessment=rec.assessment)
    ids = [int(x) for x in request.POST.getlist("scenario") if x.isdigit()]
    then = reverse("infosec:recommendation", args=[rec.pk])
    if ids:
        filters = None
        unlink = request.POST.get("unlink") == "on"
    elif form.is_valid():
        filters = {"levels": [int(x) for x in form.cleaned_data["levels"]]}
        unlink = form.cleaned_data["unlink"]
    else:
        filters, unlink = {}, False
    return run_action(
        request,
        lambda: actions.do_link_recommendation(
            request.user, rec, ids=ids or None, filters=filters, unlink=unlink
        ),
        then=then,
        success=lambda n: (
            (_("已取消 %(n)s 项风险的关联") if unlink else _("已关联 %(n)s 项风险")) % {"n": n}
        ),
    )


@authenticated
@require_POST
def recommendation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rec = _rec(request, pk, "change")
    return run_action(
        request,
        lambda: actions.do_delete_recommendation(request.user, rec),
        then=_tab_url(rec.assessment),
        success=_("已删除安全建议"),
        back=reverse("infosec:recommendation", args=[rec.pk]),
    )


@authenticated
@require_POST
def recommendation_task(request: HttpRequest, pk: int) -> HttpResponse:
    rec = _rec(request, pk, "change")
    return run_action(
        request,
        lambda: task_actions.do_create_task_from_recommendation(request.user, rec),
        then=lambda task: reverse("infosec:task", args=[task.pk]),
        success=_("已创建整改任务"),
        back=reverse("infosec:recommendation", args=[rec.pk]),
    )


@authenticated
@require_POST
def tasks_from_risks(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change")
    return run_action(
        request,
        lambda: task_actions.do_create_tasks_from_risks(request.user, a),
        then=reverse("infosec:tasks", args=[a.system_id]),
        success=lambda tasks: _("已生成 %(n)s 项整改任务") % {"n": len(tasks)},
        back=_tab_url(a),
    )


register(
    "assessment",
    Tab(
        "treatment",
        gettext_lazy("风险处置"),
        "infosec:treatment",
        60,
        count=lambda a: a.decisions.filter(approval=ApprovalState.PENDING).count() or None,
    ),
)

urlpatterns = [
    path("assessments/<int:pk>/treatment/", treatment_tab, name="treatment"),
    path("assessments/<int:pk>/decisions/", decisions, name="decisions"),
    path("assessments/<int:pk>/decisions.xlsx", decisions_export, name="decisions_export"),
    path(
        "assessments/<int:pk>/recommendations/new/", recommendation_new, name="recommendation_new"
    ),
    path("assessments/<int:pk>/tasks-from-risks/", tasks_from_risks, name="tasks_from_risks"),
    path("scenarios/<int:pk>/decision/", decide, name="decide"),
    path("decisions/<int:pk>/approve/", approve, name="decision_approve"),
    path("decisions/<int:pk>/reject/", reject, name="decision_reject"),
    path("recommendations/<int:pk>/", recommendation, name="recommendation"),
    path("recommendations/<int:pk>/link/", recommendation_link, name="recommendation_link"),
    path("recommendations/<int:pk>/delete/", recommendation_delete, name="recommendation_delete"),
    path("recommendations/<int:pk>/task/", recommendation_task, name="recommendation_task"),
]
