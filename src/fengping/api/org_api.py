"""Departments and users, scoped by org.access."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fengping.core import listing
from fengping.org import access, actions
from fengping.org.lists import DEPARTMENTS, USERS
from fengping.org.models import Department, DepartmentKind, Membership, User

router = Router(tags=["org"])


class DepartmentOut(Schema):
    id: int
    name: str
    code: str
    kind: str
    kind_label: str = Field(..., alias="get_kind_display")
    parent_id: int | None
    depth: int
    is_active: bool
    version: int


class DepartmentCreate(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    code: str = Field(..., min_length=1, max_length=40)
    kind: DepartmentKind = DepartmentKind.UNIT
    parent_id: int | None = None
    note: str = ""


class DepartmentUpdate(Schema):
    version: int = Field(..., description="读取时的版本号，用于防止覆盖他人的修改")
    name: str | None = Field(None, min_length=1, max_length=120)
    code: str | None = Field(None, min_length=1, max_length=40)
    kind: DepartmentKind | None = None
    parent_id: int | None = None
    is_active: bool | None = None
    note: str | None = None


class MembershipOut(Schema):
    department_id: int
    department_name: str = Field(..., alias="department.name")
    role: str
    role_label: str = Field(..., alias="get_role_display")


class UserOut(Schema):
    id: int
    username: str
    real_name: str
    position: str
    phone: str
    email: str
    is_active: bool
    memberships: list[MembershipOut]

    @staticmethod
    def resolve_memberships(obj: User) -> list[Membership]:
        return list(obj.memberships.all())


class MeOut(UserOut):
    is_superuser: bool


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> Any:
    """当前用户及其任职。"""
    return User.objects.prefetch_related(
        Prefetch("memberships", Membership.objects.select_related("department"))
    ).get(pk=request.user.pk)


DepartmentFilters = listing.api_filters(DEPARTMENTS, "DepartmentFilters")


@router.get("/departments", response=listing.api_page_schema(DepartmentOut, "DepartmentPage"))
def list_departments(request: HttpRequest, filters: Query[DepartmentFilters]) -> Any:  # type: ignore[valid-type]
    """可见的部门（按树形顺序），可按名称或编码、类型筛选。"""
    return listing.api_page(DEPARTMENTS, request.user, filters.model_dump())  # type: ignore[attr-defined]


@router.get("/departments/{dept_id}", response=DepartmentOut)
def get_department(request: HttpRequest, dept_id: int) -> Any:
    return access.get_for_user(request.user, Department, dept_id)


@router.post("/departments", response={201: DepartmentOut})
def create_department(request: HttpRequest, payload: DepartmentCreate) -> Any:
    """新建部门（须为上级部门的系统管理员）。"""
    parent = (
        access.get_for_user(request.user, Department, payload.parent_id)
        if payload.parent_id
        else None
    )
    dept = actions.do_create_department(
        request.user,
        name=payload.name,
        code=payload.code,
        kind=payload.kind,
        parent=parent,
        note=payload.note,
    )
    return Status(201, dept)


@router.patch("/departments/{dept_id}", response=DepartmentOut)
def update_department(request: HttpRequest, dept_id: int, payload: DepartmentUpdate) -> Any:
    dept = access.get_for_user(request.user, Department, dept_id, need="change")
    fields = payload.dict(exclude_unset=True)
    parent = dept.parent
    if "parent_id" in fields:
        parent = (
            access.get_for_user(request.user, Department, fields["parent_id"])
            if fields["parent_id"]
            else None
        )
    return actions.do_update_department(
        request.user,
        dept,
        version=payload.version,
        name=fields.get("name") or dept.name,
        code=fields.get("code") or dept.code,
        kind=fields.get("kind") or dept.kind,
        parent=parent,
        is_active=dept.is_active if fields.get("is_active") is None else fields["is_active"],
        note=dept.note if fields.get("note") is None else fields["note"],
    )


def _users(request: HttpRequest) -> Any:
    return access.visible(request.user, User.objects.all()).prefetch_related(
        Prefetch("memberships", Membership.objects.select_related("department"))
    )


UserFilters = listing.api_filters(USERS, "UserFilters")


@router.get("/users", response=listing.api_page_schema(UserOut, "UserPage"))
def list_users(
    request: HttpRequest,
    filters: Query[UserFilters],  # type: ignore[valid-type]
    department_id: int | None = None,
) -> Any:
    """可见的用户，可按姓名、用户名或手机，部门（含下级）、角色筛选；按用户名按键翻页。
    `department_id` 是 `department` 的旧名称，仍然有效。"""
    params = filters.model_dump()  # type: ignore[attr-defined]
    if department_id is not None and not params["department"]:
        params["department"] = str(department_id)
    return listing.api_page(USERS, request.user, params)


@router.get("/users/{user_id}", response=UserOut)
def get_user(request: HttpRequest, user_id: int) -> Any:
    return access.get_for_user(request.user, _users(request), user_id)
