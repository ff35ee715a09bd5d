"""安全整改 tasks through the API: the system's list (filters status/kind/overdue/owner),
creating from risks, a vulnerability or a recommendation, editing, start, close with
evidence and cancel with a reason. The same actions as the pages (infosec.actions.tasks)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Schema, Status

from fengping.core import listing
from fengping.core.errors import ActionError
from fengping.infosec.actions import tasks as actions
from fengping.infosec.models import (
    Recommendation,
    RemediationTask,
    SystemAssessment,
    Vulnerability,
)
from fengping.infosec.queries import system_for
from fengping.infosec.task_lists import ALL_TASKS, TASKS
from fengping.org import access
from fengping.org.models import User

from . import router


class TaskOut(Schema):
    id: int
    system_id: int
    assessment_id: int | None
    vulnerability_id: int | None
    recommendation_id: int | None
    title: str
    kind: str
    owner: str | None = Field(None, description="责任人用户名")
    severity: str
    deadline: dt.date
    status: str
    overdue: bool
    evidence: str
    closed_at: dt.datetime | None
    version: int


class OwnerIn(Schema):
    owner: str | None = Field(None, description="责任人用户名（须是系统主管部门人员）")


class FromVulnerabilityIn(OwnerIn):
    vulnerability_id: int
    title: str = ""
    kind: str = ""


class FromRecommendationIn(OwnerIn):
    recommendation_id: int
    title: str = ""
    kind: str = ""


class TaskIn(OwnerIn):
    title: str = Field(..., max_length=200)
    kind: str
    deadline: dt.date
    version: int | None = None


class TextIn(Schema):
    text: str = Field("", max_length=8000, description="整改证据（完成时）或撤销理由")
    version: int | None = None


class TaskVersionIn(Schema):
    version: int | None = None


def _out(t: RemediationTask) -> dict[str, Any]:
    return {
        "id": t.pk,
        "system_id": t.system_id,
        "assessment_id": t.assessment_id,
        "vulnerability_id": t.vulnerability_id,
        "recommendation_id": t.recommendation_id,
        "title": t.title,
        "kind": t.kind,
        "owner": t.owner.username if t.owner else None,
        "severity": t.severity,
        "deadline": t.deadline,
        "status": t.status,
        "overdue": t.is_overdue(),
        "evidence": t.evidence,
        "closed_at": t.closed_at,
        "version": t.version,
    }


def _task(request: HttpRequest, system_id: int, task_id: int) -> RemediationTask:
    system = system_for(request.user, system_id)
    return access.get_for_user(
        request.user,
        RemediationTask.objects.filter(system=system).select_related("system__department", "owner"),
        task_id,
    )


def _owner(username: str | None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ActionError(f"用户“{username}”不存在", field="owner")
    return user


TaskFilters = listing.api_filters(TASKS, "InfosecTaskFilters")


@router.get(
    "/systems/{system_id}/tasks", response=listing.api_page_schema(TaskOut, "InfosecTaskPage")
)
def list_tasks(
    request: HttpRequest,
    system_id: int,
    filters: Query[TaskFilters],  # type: ignore[valid-type]
) -> Any:
    """系统的整改任务，可按状态（unfinished=未完成）、类别、是否逾期（overdue=1）、责任人筛选。"""
    page = listing.api_page(
        TASKS, request.user, filters.model_dump(), system_for(request.user, system_id)
    )  # type: ignore[attr-defined]
    page["items"] = [_out(t) for t in page["items"]]
    return page


AllTaskFilters = listing.api_filters(ALL_TASKS, "InfosecAllTaskFilters")


@router.get("/tasks", response=listing.api_page_schema(TaskOut, "InfosecAllTaskPage"))
def list_all_tasks(
    request: HttpRequest,
    filters: Query[AllTaskFilters],  # type: ignore[valid-type]
) -> Any:
    """可见的全部系统的整改任务，可按系统、状态、是否逾期（overdue=1）筛选。"""
    page = listing.api_page(ALL_TASKS, request.user, filters.model_dump())  # type: ignore[attr-defined]
    page["items"] = [_out(t) for t in page["items"]]
    return page


@router.get("/systems/{system_id}/tasks/{task_id}", response=TaskOut)
def get_task(request: HttpRequest, system_id: int, task_id: int) -> Any:
    return _out(_task(request, system_id, task_id))


@router.post("/systems/{system_id}/tasks", response={201: TaskOut})
def create_task(request: HttpRequest, system_id: int, payload: FromVulnerabilityIn) -> Any:
    """为一项待处理的脆弱性创建整改任务（期限按其漏洞等级）。"""
    system = system_for(request.user, system_id)
    access.require(request.user, system, "change")
    v = access.get_for_user(
        request.user, Vulnerability.objects.filter(system=system), payload.vulnerability_id
    )
    task = actions.do_create_task_from_vulnerability(
        request.user, v, owner=_owner(payload.owner), title=payload.title, kind=payload.kind
    )
    return Status(201, _out(task))


@router.post("/systems/{system_id}/recommendation-tasks", response={201: TaskOut})
def create_from_recommendation(
    request: HttpRequest, system_id: int, payload: FromRecommendationIn
) -> Any:
    """据安全建议创建整改任务（期限按其针对的最高风险）。"""
    system = system_for(request.user, system_id)
    access.require(request.user, system, "change")
    rec = access.get_for_user(
        request.user,
        Recommendation.objects.filter(assessment__system=system),
        payload.recommendation_id,
    )
    task = actions.do_create_task_from_recommendation(
        request.user, rec, owner=_owner(payload.owner), title=payload.title, kind=payload.kind
    )
    return Status(201, _out(task))


@router.post("/assessments/{assessment_id}/tasks/from-risks", response={201: list[TaskOut]})
def create_from_risks(request: HttpRequest, assessment_id: int, payload: OwnerIn) -> Any:
    """为决策为“降低”且尚无任务的风险生成整改任务：同一脆弱性一项，期限按其中最高的风险。"""
    a = access.get_for_user(
        request.user, SystemAssessment.objects.select_related("system__department"), assessment_id
    )
    tasks = actions.do_create_tasks_from_risks(request.user, a, owner=_owner(payload.owner))
    return Status(201, [_out(t) for t in tasks[:500]])


@router.put("/systems/{system_id}/tasks/{task_id}", response=TaskOut)
def update_task(request: HttpRequest, system_id: int, task_id: int, payload: TaskIn) -> Any:
    task = _task(request, system_id, task_id)
    access.require(request.user, task, "change")
    task = actions.do_update_task(
        request.user,
        task,
        version=payload.version,
        title=payload.title,
        kind=payload.kind,
        owner=_owner(payload.owner),
        deadline=payload.deadline,
    )
    return _out(task)


@router.post("/systems/{system_id}/tasks/{task_id}/start", response=TaskOut)
def start_task(request: HttpRequest, system_id: int, task_id: int, payload: TaskVersionIn) -> Any:
    return _out(
        actions.do_start_task(
            request.user, _task(request, system_id, task_id), version=payload.version
        )
    )


@router.post("/systems/{system_id}/tasks/{task_id}/close", response=TaskOut)
def close_task(request: HttpRequest, system_id: int, task_id: int, payload: TextIn) -> Any:
    """整改完成（text = 整改证据，必填）；技术类任务同时关闭其脆弱性，剩余风险重新计算。"""
    task = _task(request, system_id, task_id)
    return _out(actions.do_close_task(request.user, task, payload.text, version=payload.version))


@router.post("/systems/{system_id}/tasks/{task_id}/cancel", response=TaskOut)
def cancel_task(request: HttpRequest, system_id: int, task_id: int, payload: TextIn) -> Any:
    """撤销整改任务（text = 撤销理由，必填）。"""
    task = _task(request, system_id, task_id)
    return _out(actions.do_cancel_task(request.user, task, payload.text, version=payload.version))
