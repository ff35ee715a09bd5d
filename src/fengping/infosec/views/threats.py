"""The assessment's 威胁评估 tab (2.2): the threats with the frequency set beside what the
incidents and the administrators' survey propose; adding, editing, seeding from the
catalogue, the survey and refreshing the proposals. Every change is one action of
`actions/threats.py`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core.forms import StyledForm
from fengping.core.pages import form_page, run_action, submit
from fengping.core.policy import authenticated
from fengping.opinions.models import ResponseTally
from fengping.org import access

from ..actions import threats as actions
from ..models import SystemAssessment, ThreatOrigin, ThreatRating
from ..queries import assessment_for
from ..tabs import Tab, register, tabs_for


def _crumbs(a: SystemAssessment, *more: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        (_("信息系统"), reverse("infosec:systems")),
        (a.system.name[:24], reverse("infosec:system", args=[a.system_id])),
        (a.title[:30], reverse("infosec:assessment_threats", args=[a.pk])),
        *more,
    ]


class ThreatForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    threat_class = forms.ChoiceField(label=gettext_lazy("威胁类别"))
    name = forms.CharField(
        label=gettext_lazy("威胁"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("不填则取威胁类别的名称"),
    )
    origin = forms.ChoiceField(
        label=gettext_lazy("威胁来源"),
        choices=[("", gettext_lazy("按威胁类别")), *ThreatOrigin.choices],
        required=False,
    )
    threat_actor = forms.CharField(label=gettext_lazy("威胁主体"), max_length=120, required=False)
    motive = forms.CharField(label=gettext_lazy("动机"), max_length=200, required=False)
    timing = forms.CharField(label=gettext_lazy("时机"), max_length=200, required=False)
    frequency = forms.TypedChoiceField(label=gettext_lazy("出现频率"), coerce=int)
    evidence = forms.CharField(
        label=gettext_lazy("赋值依据"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("与以往安全事件或管理员调查的建议值相差较大时须说明理由"),
    )

    def __init__(self, a: SystemAssessment, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["threat_class"].choices = [
            (c.code, c.label)
            for c in a.scheme.infosec.threats.classes  # type: ignore[union-attr]
        ]
        self.fields["frequency"].choices = [
            (int(level.value), f"{int(level.value)} {level.label}：{level.description or ''}")
            for level in actions.threat_scale(a).levels
        ]


def _rows(a: SystemAssessment) -> list[dict[str, Any]]:
    rule = actions._rule(a)
    classes = {c.code: c for c in a.scheme.infosec.threats.classes}  # type: ignore[union-attr]
    rows = []
    for t in a.threats.all():
        offered = dict(actions.proposals(t, rule))
        rows.append(
            {
                "t": t,
                "class_label": classes[t.threat_class].label
                if t.threat_class in classes
                else t.threat_class,
                "incident_level": offered.get(_("以往安全事件")),
                "survey_level": offered.get(_("管理员调查")),
                "far": any(
                    rule is not None and abs(t.frequency - p) >= rule.evidence_gap
                    for p in offered.values()
                ),
            }
        )
    return rows


@authenticated
def threat_tab(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk)
    survey = actions.latest_survey(a)
    responses = 0
    if survey is not None:
        responses = (
            ResponseTally.objects.filter(questionnaire=survey).aggregate(n=Sum("count"))["n"] or 0
        )
    rule = actions._rule(a)
    return render(
        request,
        "infosec/threats/tab.html",
        {
            "assessment": a,
            "system": a.system,
            "tabs": tabs_for("assessment", a, "threats"),
            "rows": _rows(a),
            "survey": survey,
            "survey_url": request.build_absolute_uri(
                reverse("opinions:public_form", args=[survey.token])
            )
            if survey is not None
            else "",
            "survey_responses": responses,
            "rule": rule,
            "can_change": a.is_open() and access.can(request.user, a, "change"),
        },
    )


def _save(request: HttpRequest, a: SystemAssessment, threat: ThreatRating | None) -> HttpResponse:
    initial: dict[str, Any] = {"frequency": 3}
    if threat is not None:
        initial = {
            "version": threat.version,
            "threat_class": threat.threat_class,
            "name": threat.name,
            "origin": threat.origin,
            "threat_actor": threat.actor,
            "motive": threat.motive,
            "timing": threat.timing,
            "frequency": threat.frequency,
            "evidence": threat.evidence,
        }
    form = ThreatForm(a, request.POST or None, initial=initial)
    back = reverse("infosec:assessment_threats", args=[a.pk])

    def act(data: dict[str, Any]) -> ThreatRating:
        fields = {k: v for k, v in data.items() if k != "version"}
        if threat is None:
            return actions.do_add_threat(request.user, a, **fields)
        return actions.do_update_threat(request.user, threat, version=data["version"], **fields)

    if done := submit(request, form, act, then=back, success=_("已保存威胁")):
        return done
    title = _("添加威胁") if threat is None else _("编辑威胁")
    intro = ""
    if threat is not None:
        offered = actions.proposals(threat, actions._rule(a))
        intro = "；".join(f"{src}建议 {level}" for src, level in offered)
    return form_page(request, form, title, _crumbs(a), back, intro=intro)


@authenticated
def threat_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _save(request, assessment_for(request.user, pk, "change"), None)


def _threat(request: HttpRequest, pk: int, need: str = "change") -> ThreatRating:
    return access.get_for_user(
        request.user,
        ThreatRating.objects.select_related("assessment__system__department"),
        pk,
        need,  # type: ignore[arg-type]
    )


@authenticated
def threat_edit(request: HttpRequest, pk: int) -> HttpResponse:
    threat = _threat(request, pk)
    return _save(request, threat.assessment, threat)


@authenticated
@require_POST
def threat_delete(request: HttpRequest, pk: int) -> HttpResponse:
    threat = _threat(request, pk)
    return run_action(
        request,
        lambda: actions.do_remove_threat(request.user, threat),
        then=reverse("infosec:assessment_threats", args=[threat.assessment_id]),
        success=_("已删除威胁"),
    )


@authenticated
@require_POST
def threat_seed(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change")
    return run_action(
        request,
        lambda: actions.do_seed_threats_from_catalogue(request.user, a),
        then=reverse("infosec:assessment_threats", args=[a.pk]),
        success=lambda made: _("已按威胁分类添加 %(n)s 项威胁，请逐项赋值") % {"n": len(made)},
    )


@authenticated
@require_POST
def threat_survey(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change")
    return run_action(
        request,
        lambda: actions.do_create_threat_survey(request.user, a),
        then=lambda qn: reverse("opinions:questionnaire", args=[qn.pk]),
        back=reverse("infosec:assessment_threats", args=[a.pk]),
        success=_("已发布管理员威胁调查问卷，请将链接发给网络、系统管理员"),
    )


@authenticated
@require_POST
def threat_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    a = assessment_for(request.user, pk, "change")
    return run_action(
        request,
        lambda: actions.do_refresh_proposals(request.user, a),
        then=reverse("infosec:assessment_threats", args=[a.pk]),
        success=lambda n: _("已更新建议值（%(n)s 项有变化）") % {"n": n},
    )


register("assessment", Tab("threats", gettext_lazy("威胁评估"), "infosec:assessment_threats", 20))

urlpatterns = [
    path("assessments/<int:pk>/threats/", threat_tab, name="assessment_threats"),
    path("assessments/<int:pk>/threats/add/", threat_add, name="threat_add"),
    path("assessments/<int:pk>/threats/seed/", threat_seed, name="threat_seed"),
    path("assessments/<int:pk>/threats/survey/", threat_survey, name="threat_survey"),
    path("assessments/<int:pk>/threats/refresh/", threat_refresh, name="threat_refresh"),
    path("threats/<int:pk>/edit/", threat_edit, name="threat_edit"),
    path("threats/<int:pk>/delete/", threat_delete, name="threat_delete"),
]
