"""Pages of incidents, the investigation per linked matter, case or system, and the
accountability decisions (篇1 七(二), 篇3 七(四)). Thin: every rule is in
`supervision.actions.incidents`; the history and the proposal in `supervision.investigation`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core import listing
from fengping.core.forms import StyledForm
from fengping.core.pages import form_page, run_action, submit
from fengping.core.policy import authenticated
from fengping.org import access
from fengping.org.forms import DepartmentChoiceField
from fengping.org.models import Department, User

from .. import investigation
from ..actions import incidents as actions
from ..incident_lists import ACCOUNTABILITY, INCIDENTS, visible_decisions
from ..models import (
    AccountabilityMeasure,
    Discipline,
    Finding,
    Incident,
    IncidentKind,
    IncidentLink,
    PersonRole,
)

# ------------------------------------------------------------------ forms


class IncidentForm(StyledForm):
    office = forms.ModelChoiceField(
        queryset=Department.objects.none(), label=gettext_lazy("登记机关")
    )
    kind = forms.ChoiceField(label=gettext_lazy("事件类型"), choices=IncidentKind.choices)
    title = forms.CharField(label=gettext_lazy("事件名称"), max_length=200)
    occurred_at = forms.DateTimeField(
        label=gettext_lazy("发生时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    place = forms.CharField(label=gettext_lazy("发生地点"), max_length=200, required=False)
    people = forms.IntegerField(label=gettext_lazy("涉及人数"), min_value=0, initial=0)
    description = forms.CharField(
        label=gettext_lazy("事件经过"), widget=forms.Textarea(attrs={"rows": 4})
    )
    cause = forms.CharField(
        label=gettext_lazy("原因"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    losses = forms.CharField(
        label=gettext_lazy("损失"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    serious = forms.BooleanField(label=gettext_lazy("给社会稳定造成严重影响"), required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class LinkForm(StyledForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("类别"),
        choices=[
            ("matter", gettext_lazy("重大事项（编号）")),
            ("case", gettext_lazy("案件（案号）")),
            ("system", gettext_lazy("信息系统（系统编号）")),
        ],
    )
    ref = forms.CharField(label=gettext_lazy("编号、案号或系统编号"), max_length=80)


class FindingForm(StyledForm):
    finding = forms.ChoiceField(label=gettext_lazy("认定"), choices=Finding.choices)
    note = forms.CharField(
        label=gettext_lazy("认定意见"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=gettext_lazy("认定与建议认定不同，或改变已作出的认定时必填"),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return actions.person_label(obj)


def _offer(field: forms.ModelChoiceField, offered: QuerySet[Any]) -> None:
    """Show only `offered` in the field's select while it still reads any value of its
    own queryset: a value outside what is offered (a direct POST) reaches the action,
    which refuses it with its message — the rule is the action's, not the form's."""
    reading = field.queryset
    field.queryset = offered
    shown = field.widget.choices  # a ModelChoiceIterator over `offered`
    field.queryset = reading
    field.widget.choices = shown


class DecisionForm(StyledForm):
    link = forms.ModelChoiceField(
        queryset=IncidentLink.objects.none(),
        label=gettext_lazy("涉及事项/案件/系统"),
        required=False,
    )
    department = DepartmentChoiceField(
        queryset=Department.objects.none(), label=gettext_lazy("被追究单位")
    )
    person_role = forms.ChoiceField(label=gettext_lazy("责任类别"), choices=PersonRole.choices)
    person = PersonChoiceField(
        queryset=User.objects.none(),
        label=gettext_lazy("被追究人"),
        required=False,
        empty_label=gettext_lazy("（未选择）"),
        help_text=gettext_lazy("从被追究单位的人员中选择，可输入姓名查找；对单位的追究不选择"),
    )
    person_name = forms.CharField(
        label=gettext_lazy("被追究人姓名（非本系统用户）"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("只在被追究人不是本系统用户时填写"),
    )
    measure = forms.ChoiceField(
        label=gettext_lazy("追究方式"), choices=AccountabilityMeasure.choices
    )
    discipline = forms.ChoiceField(
        label=gettext_lazy("纪律处分"), choices=Discipline.choices, required=False
    )
    mitigated = forms.BooleanField(label=gettext_lazy("酌情减轻"), required=False)
    doc_number = forms.CharField(label=gettext_lazy("决定文号"), max_length=60)
    decided_on = forms.DateField(
        label=gettext_lazy("决定日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=gettext_lazy("追究事由"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["link"].queryset = incident.links.select_related(  # type: ignore[attr-defined]
            "matter", "case", "system"
        )
        departments = actions.decision_departments(user, incident)
        department = self.fields["department"]
        department.queryset = Department.objects.all()  # type: ignore[attr-defined]
        _offer(department, departments)  # type: ignore[arg-type]
        # The people of the department chosen (the picker fills the select as one is
        # chosen; without JavaScript the page shows them after submitting the department).
        chosen = departments.filter(pk=_pk(self.data.get("department"))).first()
        people = actions.decision_people(user, incident, chosen) if chosen else User.objects.none()
        person = self.fields["person"]
        person.queryset = access.visible(user, User.objects.all())  # type: ignore[attr-defined]
        _offer(person, people)  # type: ignore[arg-type]
        person.widget.attrs.update(
            {
                "data-picker-url": reverse(
                    "supervision:incident_accountability_people", args=[incident.pk]
                ),
                "data-picker-depends": "#id_department",
                "data-picker-exclusive": "#id_person_name",
                "data-picker-placeholder": _("输入姓名、用户名或职务查找"),
                "data-picker-choose": _("请先选择被追究单位"),
                "data-picker-none": _("该单位没有符合条件的系统用户"),
                "data-picker-more": _("只列出前 %(n)s 人，请输入姓名缩小范围")
                % {"n": PICKER_LIMIT},
            }
        )


def _pk(raw: Any) -> int | None:
    raw = str(raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


PICKER_LIMIT = 50


# ------------------------------------------------------------------ helpers


def _incident(request: HttpRequest, pk: int, need: Any = "view") -> Incident:
    return access.get_for_user(
        request.user, Incident.objects.select_related("office", "recorded_by"), pk, need
    )


def _link(request: HttpRequest, pk: int, need: Any = "view") -> IncidentLink:
    return access.get_for_user(
        request.user,
        IncidentLink.objects.select_related(
            "incident__office",
            "matter__department",
            "case__organ",
            "system__department",
            "department",
            "found_by",
        ),
        pk,
        need,
    )


def _crumbs(incident: Incident | None = None) -> list[Any]:
    crumbs = [(_("不稳定事件与责任追究"), reverse("supervision:incidents"))]
    if incident is not None:
        crumbs.append((incident.title, reverse("supervision:incident", args=[incident.pk])))
    return crumbs


def link_view(link: IncidentLink) -> dict[str, Any]:
    """What the page shows of a link: the history (the stored snapshot once a finding was
    adopted, live until then) and the proposal with its signs."""
    history = investigation.history_of(link)
    stored = history.get("proposal") if link.finding else None
    if stored:
        proposed, signs = stored["finding"], stored["signs"]
    else:
        proposed, signs = investigation.propose(history)
    return {
        "link": link,
        "history": history,
        "proposed": proposed,
        "proposed_label": Finding(proposed).label,
        "signs": signs,
    }


# ------------------------------------------------------------------ pages


@authenticated
def incident_list(request: HttpRequest) -> HttpResponse:
    return listing.render_list(
        request, INCIDENTS, context={"can_create": bool(actions.offices_for(request.user))}
    )


@authenticated
def incident_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, INCIDENTS)


@authenticated
def incident_new(request: HttpRequest) -> HttpResponse:
    offices = actions.offices_for(request.user)
    if not offices:
        raise PermissionDenied(_("只有维稳办、联席办或监察室的人员可以登记事件"))
    form = IncidentForm(request.POST or None, initial={"office": offices[0].pk})
    form.fields["office"].queryset = Department.objects.filter(pk__in=[o.pk for o in offices])
    form.fields.pop("version")

    def act(d: dict[str, Any]) -> Incident:
        return actions.do_record_incident(request.user, **d)

    if done := submit(
        request,
        form,
        act,
        then=lambda i: reverse("supervision:incident", args=[i.pk]),
        success=_("事件已登记"),
    ):
        return done
    return form_page(request, form, _("登记事件"), _crumbs(), reverse("supervision:incidents"))


@authenticated
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    can_change = access.can(request.user, incident, "change")
    links = list(
        incident.links.select_related(
            "matter__department", "case__organ", "system__department", "department", "found_by"
        )
    )
    decisions = list(visible_decisions(request.user, incident).select_related("person"))
    return render(
        request,
        "supervision/incidents/incident.html",
        {
            "incident": incident,
            "can_change": can_change and incident.closed_at is None,
            "links": [link_view(link) for link in links],
            "decisions": decisions,
            "link_form": LinkForm(),
            "close_refusal": actions.close_refusal(incident),
        },
    )


@authenticated
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk, "change")
    initial = {name: getattr(incident, name) for name in actions.INCIDENT_FIELDS}
    form = IncidentForm(request.POST or None, initial={**initial, "version": incident.version})
    form.fields.pop("office")
    if done := submit(
        request,
        form,
        lambda d: actions.do_update_incident(request.user, incident, **d),
        then=lambda i: reverse("supervision:incident", args=[i.pk]),
        success=_("已保存"),
    ):
        return done
    return form_page(
        request,
        form,
        _("修改事件"),
        _crumbs(incident),
        reverse("supervision:incident", args=[incident.pk]),
    )


@authenticated
def incident_link(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk, "change")
    form = LinkForm(request.POST or None)

    def act(d: dict[str, Any]) -> IncidentLink:
        target = actions.resolve_target(request.user, d["kind"], d["ref"])
        return actions.do_link(request.user, incident, **{d["kind"]: target})

    if done := submit(
        request,
        form,
        act,
        then=lambda link: reverse("supervision:incident_link_detail", args=[link.pk]),
        success=_("已关联"),
    ):
        return done
    return form_page(
        request,
        form,
        _("关联事项、案件或信息系统"),
        _crumbs(incident),
        reverse("supervision:incident", args=[incident.pk]),
        intro=_("事项填写事项编号，案件填写案号，信息系统填写系统编号。"),
    )


@authenticated
def link_detail(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link(request, pk)
    can_change = access.can(request.user, link, "change") and link.incident.closed_at is None
    view = link_view(link)
    form = None
    if can_change:
        form = FindingForm(
            initial={
                "finding": link.finding or view["proposed"],
                "note": link.finding_note,
                "version": link.version,
            }
        )
    return render(
        request,
        "supervision/incidents/link.html",
        {**view, "incident": link.incident, "form": form, "can_change": can_change},
    )


@authenticated
def link_find(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link(request, pk, "change")
    form = FindingForm(request.POST or None, initial={"version": link.version})
    if done := submit(
        request,
        form,
        lambda d: actions.do_adopt_finding(request.user, link, **d),
        then=lambda lk: reverse("supervision:incident_link_detail", args=[lk.pk]),
        success=_("已作出认定"),
    ):
        return done
    return render(
        request,
        "supervision/incidents/link.html",
        {**link_view(link), "incident": link.incident, "form": form, "can_change": True},
    )


@require_POST
@authenticated
def link_remove(request: HttpRequest, pk: int) -> HttpResponse:
    link = _link(request, pk, "change")
    incident_url = reverse("supervision:incident", args=[link.incident_id])
    return run_action(
        request,
        lambda: actions.do_unlink(request.user, link),
        then=incident_url,
        success=_("已取消关联"),
    )


@require_POST
@authenticated
def incident_close(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk, "change")
    url = reverse("supervision:incident", args=[incident.pk])
    return run_action(
        request,
        lambda: actions.do_close_incident(request.user, incident),
        then=url,
        success=_("调查已终结"),
    )


@authenticated
def accountability_new(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk, "change")
    form = DecisionForm(request.POST or None, user=request.user, incident=incident)
    if done := submit(
        request,
        form,
        lambda d: actions.do_record_decision(request.user, incident, **d),
        then=reverse("supervision:incident", args=[incident.pk]),
        success=_("已登记责任追究决定"),
    ):
        return done
    return render(
        request,
        "supervision/incidents/decision.html",
        {
            "form": form,
            "title": _("登记责任追究决定"),
            "crumbs": _crumbs(incident),
            "cancel_url": reverse("supervision:incident", args=[incident.pk]),
            "intro": _(
                "对应评估而未评估，或评估流于形式、弄虚作假，或防范化解工作不落实、不到位的，"
                "对有关单位及其主要责任人和直接责任人进行责任追究；构成违纪的，依照有关规定给予纪律处分。"
            ),
        },
    )


@authenticated
def accountability_people(request: HttpRequest, pk: int) -> HttpResponse:
    """The people picker of the decision form (JSON): the fengping users holding a role in
    the department asked for (`?department=`), found by name (`?q=`). Only for whoever may
    record a decision on the incident (404 outside it, 403 for its readers), and only for a
    department the office may see (404 otherwise): nobody enumerates another
    department's people through it."""
    incident = _incident(request, pk, "change")
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    raw = request.GET.get("department", "")
    if not raw:
        return JsonResponse({"results": [], "more": False})
    department = access.get_for_user(
        request.user, actions.decision_departments(request.user, incident), _pk(raw)
    )
    people = actions.search_people(
        actions.decision_people(request.user, incident, department), request.GET.get("q", "")
    )
    rows = list(people[: PICKER_LIMIT + 1])
    return JsonResponse(
        {
            "results": [{"id": u.pk, "text": actions.person_label(u)} for u in rows[:PICKER_LIMIT]],
            "more": len(rows) > PICKER_LIMIT,
        }
    )


@authenticated
def accountability_list(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, ACCOUNTABILITY)


@authenticated
def accountability_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, ACCOUNTABILITY)


urlpatterns = [
    path("incidents/", incident_list, name="incidents"),
    path("incidents/export/", incident_export, name="incident_export"),
    path("incidents/new/", incident_new, name="incident_new"),
    path("incidents/<int:pk>/", incident_detail, name="incident"),
    path("incidents/<int:pk>/edit/", incident_edit, name="incident_edit"),
    path("incidents/<int:pk>/link/", incident_link, name="incident_link"),
    path("incidents/<int:pk>/close/", incident_close, name="incident_close"),
    path(
        "incidents/<int:pk>/accountability/new/",
        accountability_new,
        name="incident_accountability_new",
    ),
    path(
        "incidents/<int:pk>/accountability/people/",
        accountability_people,
        name="incident_accountability_people",
    ),
    path("incidents/links/<int:pk>/", link_detail, name="incident_link_detail"),
    path("incidents/links/<int:pk>/find/", link_find, name="incident_link_find"),
    path("incidents/links/<int:pk>/remove/", link_remove, name="incident_link_remove"),
    path("accountability/", accountability_list, name="accountability"),
    path("accountability/export/", accountability_export, name="accountability_export"),
]
