"""The system's 安全事件 tab (2.2 以往发生的信息安全事件): the list (page, htmx, XLSX),
recording, editing and removing an incident."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengping.core import listing
from fengping.core.forms import StyledForm
from fengping.core.listing import ChoiceFilter, Column, DateRangeFilter, ListSpec, SearchFilter
from fengping.core.pages import form_page, run_action, submit
from fengping.core.policy import authenticated
from fengping.org import access
from fengping.schemebook import registry

from ..actions import incidents as actions
from ..models import Incident, System
from ..queries import system_for
from ..tabs import Tab, register, tabs_for


def _class_choices() -> list[tuple[str, str]]:
    return [(c.code, c.label) for c in registry.get("isra").infosec.threats.classes]  # type: ignore[union-attr]


def _class_label(code: str) -> str:
    return dict(_class_choices()).get(code, code)


def _incidents(user: Any, system: System) -> QuerySet[Incident]:
    return system.incidents.select_related("recorded_by")


INCIDENTS = ListSpec(
    name="infosec-incidents",
    title=gettext_lazy("安全事件"),
    queryset=_incidents,
    order=("-occurred_on", "-id"),
    filters=(
        SearchFilter("q", gettext_lazy("搜索"), ("title", "description")),
        ChoiceFilter(
            "threat_class",
            gettext_lazy("威胁类别"),
            lambda ctx: _class_choices(),
            all_label=gettext_lazy("全部类别"),
        ),
        DateRangeFilter("occurred_on", gettext_lazy("发生日期")),
    ),
    columns=(
        Column(
            gettext_lazy("发生日期"),
            lambda i: i.occurred_on,
            html=lambda i: listing.link(
                reverse("infosec:incident_edit", args=[i.pk]), listing.display(i.occurred_on)
            ),
            css="text-nowrap",
        ),
        Column(gettext_lazy("事件"), lambda i: i.title),
        Column(gettext_lazy("威胁类别"), lambda i: _class_label(i.threat_class)),
        Column(gettext_lazy("经过和影响"), lambda i: i.description, page=False),
        Column(gettext_lazy("登记人"), lambda i: str(i.recorded_by)),
    ),
    empty_title=gettext_lazy("尚未登记安全事件"),
    page_template="infosec/incidents/list.html",
    export_url=lambda system: reverse("infosec:incidents_export", args=[system.pk]),
)


class IncidentForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    occurred_on = forms.DateField(
        label=gettext_lazy("发生日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    title = forms.CharField(label=gettext_lazy("事件"), max_length=200)
    threat_class = forms.ChoiceField(label=gettext_lazy("威胁类别"))
    description = forms.CharField(
        label=gettext_lazy("经过和影响"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, system: System, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["threat_class"].choices = [
            (c.code, c.label) for c in actions.threat_classes(system)
        ]


def _crumbs(system: System) -> list[tuple[str, str]]:
    return [
        (_("信息系统"), reverse("infosec:systems")),
        (system.name[:24], reverse("infosec:system", args=[system.pk])),
        (_("安全事件"), reverse("infosec:system_incidents", args=[system.pk])),
    ]


@authenticated
def incident_list(request: HttpRequest, pk: int) -> HttpResponse:
    system = system_for(request.user, pk)
    return listing.render_list(
        request,
        INCIDENTS,
        system,
        context={
            "system": system,
            "tabs": tabs_for("system", system, "incidents"),
            "can_change": access.can(request.user, system, "change"),
        },
    )


@authenticated
def incident_export(request: HttpRequest, pk: int) -> HttpResponse:
    return listing.export(request, INCIDENTS, system_for(request.user, pk))


@authenticated
def incident_add(request: HttpRequest, pk: int) -> HttpResponse:
    system = system_for(request.user, pk, "change")
    form = IncidentForm(system, request.POST or None)
    form.fields.pop("version")
    back = reverse("infosec:system_incidents", args=[system.pk])
    if done := submit(
        request,
        form,
        lambda data: actions.do_record_incident(request.user, system, **data),
        then=back,
        success=_("已登记安全事件"),
    ):
        return done
    return form_page(request, form, _("登记安全事件"), _crumbs(system), back)


@authenticated
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    inc = access.get_for_user(
        request.user, Incident.objects.select_related("system__department"), pk, "change"
    )
    form = IncidentForm(
        inc.system,
        request.POST or None,
        initial={
            "version": inc.version,
            "occurred_on": inc.occurred_on,
            "title": inc.title,
            "threat_class": inc.threat_class,
            "description": inc.description,
        },
    )
    back = reverse("infosec:system_incidents", args=[inc.system_id])
    if done := submit(
        request,
        form,
        lambda data: actions.do_update_incident(request.user, inc, **data),
        then=back,
        success=_("已保存"),
    ):
        return done
    return render(
        request,
        "infosec/incidents/form.html",
        {
            "form": form,
            "title": _("编辑安全事件"),
            "crumbs": _crumbs(inc.system),
            "cancel_url": back,
            "incident": inc,
        },
    )


@authenticated
@require_POST
def incident_delete(request: HttpRequest, pk: int) -> HttpResponse:
    inc = access.get_for_user(
        request.user, Incident.objects.select_related("system__department"), pk, "change"
    )
    return run_action(
        request,
        lambda: actions.do_remove_incident(request.user, inc),
        then=reverse("infosec:system_incidents", args=[inc.system_id]),
        success=_("已删除安全事件"),
    )


register("system", Tab("incidents", gettext_lazy("安全事件"), "infosec:system_incidents", 50))

urlpatterns = [
    path("systems/<int:pk>/incidents/", incident_list, name="system_incidents"),
    path("systems/<int:pk>/incidents/export.xlsx", incident_export, name="incidents_export"),
    path("systems/<int:pk>/incidents/add/", incident_add, name="incident_add"),
    path("incidents/<int:pk>/edit/", incident_edit, name="incident_edit"),
    path("incidents/<int:pk>/delete/", incident_delete, name="incident_delete"),
]
