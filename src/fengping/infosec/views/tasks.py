"""安全整改 (system tab): the system's tasks (filters status/kind/逾期/owner, XLSX), one
task's page (edit, start, close with evidence, cancel with a reason), and a task for an
open vulnerability."""

from __future__ import annotations

from typing import Any

from django import forms
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
from fengping.org.models import WORK_ROLES, User

from ..actions import tasks as actions
from ..models import OPEN_TASK_STATUSES, RemediationTask, System, Vulnerability, VulnStatus
from ..queries import system_for
from ..tabs import Tab, register, tabs_for
from ..task_lists import ALL_TASKS, AWAITING, DUE_REVIEWS, TASKS, overdue_q


def _task(request: HttpRequest, pk: int, need: str = "view") -> RemediationTask:
    return access.get_for_user(
        request.user,
        RemediationTask.objects.select_related(
            "system__department", "owner", "vulnerability", "recommendation", "assessment"
        ),
        pk,
        need,
    )


def department_people(system: System) -> Any:
    return User.objects.filter(
        is_active=True,
        memberships__department__path__startswith=system.department.path,
        memberships__role__in=WORK_ROLES,
    ).distinct()


class OwnerField(forms.ModelChoiceField):
    """The department's people; anyone else (a forged POST) meets the action's message."""

    default_error_messages = {"invalid_choice": gettext_lazy("责任人须是系统主管部门的人员")}

    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class TaskForm(StyledForm):
    title = forms.CharField(label=gettext_lazy("整改事项"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("类别"))
    owner = OwnerField(queryset=User.objects.none(), label=gettext_lazy("责任人"), required=False)
    deadline = forms.DateField(
        label=gettext_lazy("整改期限"), widget=forms.DateInput(attrs={"type": "date"})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, system: System, **kw: Any) -> None:
        super().__init__(*args, **kw)
        info = actions.system_scheme(system).infosec
        self.fields["kind"].choices = (
            [(k.code, k.label) for k in info.remediation.kinds] if info is not None else []
        )
        # Only the department's people are offered (no names of other departments leak
        # into the page); the action refuses an owner outside the department in any case.
        self.fields["owner"].queryset = department_people(system)


class FromVulnerabilityForm(StyledForm):
    vulnerability = forms.IntegerField(label=gettext_lazy("脆弱性"))
    owner = OwnerField(queryset=User.objects.none(), label=gettext_lazy("责任人"), required=False)

    def __init__(self, *args: Any, system: System, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["owner"].queryset = department_people(system)
        open_vulns = (
            Vulnerability.objects.filter(system=system, status=VulnStatus.OPEN)
            .exclude(tasks__status__in=list(OPEN_TASK_STATUSES))
            .order_by("-severity", "id")
            .values_list("pk", "title")[:300]
        )
        self.fields["vulnerability"].widget = forms.Select(
            choices=list(open_vulns), attrs={"class": "form-select"}
        )


class TextForm(StyledForm):
    text = forms.CharField(label="", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _layout(system: System) -> dict[str, Any]:
    return {"system": system, "tabs": tabs_for("system", system, "tasks")}


def _overdue_count(system: System) -> int:
    return RemediationTask.objects.filter(overdue_q(), system=system).count()


@authenticated
def tasks_tab(request: HttpRequest, pk: int) -> HttpResponse:
    system = system_for(request.user, pk)
    can_change = access.can(request.user, system, "change")
    form = FromVulnerabilityForm(request.POST or None, system=system)
    if request.method == "POST":
        access.require(request.user, system, "change")

        def create(d: dict[str, Any]) -> RemediationTask:
            v = access.get_for_user(
                request.user,
                Vulnerability.objects.filter(system=system),
                d["vulnerability"],
                "change",
            )
            return actions.do_create_task_from_vulnerability(request.user, v, owner=d["owner"])

        if done := submit(
            request,
            form,
            create,
            then=lambda task: reverse("infosec:task", args=[task.pk]),
            success=_("已创建整改任务"),
        ):
            return done
    return listing.render_list(
        request,
        TASKS,
        system,
        context={
            **_layout(system),
            "can_change": can_change,
            "form": form,
            "overdue": _overdue_count(system),
        },
    )


@authenticated
def tasks_export(request: HttpRequest, pk: int) -> HttpResponse:
    return listing.export(request, TASKS, system_for(request.user, pk))


@authenticated
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    system = task.system
    form = TaskForm(
        request.POST or None,
        system=system,
        initial={
            "title": task.title,
            "kind": task.kind,
            "owner": task.owner_id,
            "deadline": task.deadline,
            "version": task.version,
        },
    )
    if request.method == "POST":
        access.require(request.user, task, "change")
        if done := submit(
            request,
            form,
            lambda d: actions.do_update_task(
                request.user,
                task,
                version=d["version"],
                title=d["title"],
                kind=d["kind"],
                owner=d["owner"],
                deadline=d["deadline"],
            ),
            then=reverse("infosec:task", args=[task.pk]),
            success=_("已保存"),
        ):
            return done
    return render(
        request,
        "infosec/tasks/task.html",
        {
            **_layout(system),
            "task": task,
            "form": form,
            "text_form": TextForm(initial={"version": task.version}),
            "can_change": access.can(request.user, task, "change") and task.is_open(),
        },
    )


def _status_action(request: HttpRequest, pk: int, act: Any, success: str) -> HttpResponse:
    task = _task(request, pk)
    form = TextForm(request.POST)
    form.is_valid()
    text = form.cleaned_data.get("text", "")
    version = form.cleaned_data.get("version")
    url = reverse("infosec:task", args=[task.pk])
    return run_action(request, lambda: act(task, text, version), then=url, success=success)


@authenticated
@require_POST
def task_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_action(
        request,
        pk,
        lambda t, _text, v: actions.do_start_task(request.user, t, version=v),
        _("已开始整改"),
    )


@authenticated
@require_POST
def task_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_action(
        request,
        pk,
        lambda t, text, v: actions.do_close_task(request.user, t, text, version=v),
        _("整改已完成，剩余风险已重新计算"),
    )


@authenticated
@require_POST
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_action(
        request,
        pk,
        lambda t, text, v: actions.do_cancel_task(request.user, t, text, version=v),
        _("已撤销整改任务"),
    )


@authenticated
def all_tasks(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, ALL_TASKS)


@authenticated
def all_tasks_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, ALL_TASKS)


@authenticated
def awaiting(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, AWAITING)


@authenticated
def awaiting_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, AWAITING)


@authenticated
def due_reviews(request: HttpRequest) -> HttpResponse:
    return listing.render_list(request, DUE_REVIEWS)


@authenticated
def due_reviews_export(request: HttpRequest) -> HttpResponse:
    return listing.export(request, DUE_REVIEWS)


register(
    "system", Tab("tasks", gettext_lazy("安全整改"), "infosec:tasks", 60, count=_overdue_count)
)

urlpatterns = [
    path("tasks/", all_tasks, name="all_tasks"),
    path("tasks/export.xlsx", all_tasks_export, name="all_tasks_export"),
    path("acceptances/waiting/", awaiting, name="awaiting"),
    path("acceptances/waiting/export.xlsx", awaiting_export, name="awaiting_export"),
    path("acceptances/due/", due_reviews, name="due_reviews"),
    path("acceptances/due/export.xlsx", due_reviews_export, name="due_reviews_export"),
    path("systems/<int:pk>/tasks/", tasks_tab, name="tasks"),
    path("systems/<int:pk>/tasks.xlsx", tasks_export, name="tasks_export"),
    path("tasks/<int:pk>/", task_detail, name="task"),
    path("tasks/<int:pk>/start/", task_start, name="task_start"),
    path("tasks/<int:pk>/close/", task_close, name="task_close"),
    path("tasks/<int:pk>/cancel/", task_cancel, name="task_cancel"),
]
