"""Departments and users, scoped by org.access."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fengping.core import listing
from fengping.org import access, actions
from fengping.org.lists import DEPARTMENTS, USERS
from fengping.org.models import (
    Department,
    DepartmentKind,
    LeaderPosition,
    LeadershipGroup,
    LeadershipMember,
    Membership,
    Role,
    User,
)

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


def _account(request: HttpRequest, user_id: int) -> User:
    """A user whose account the caller manages: 404 out of sight, else 403 with the reason
    (`access.account_refusal`; the action checks again)."""
    target = access.get_for_user(request.user, _users(request), user_id)
    if refusal := access.account_refusal(request.user, target):
        raise PermissionDenied(refusal)
    return target


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


@router.delete("/departments/{dept_id}", response={204: None})
def delete_department(request: HttpRequest, dept_id: int) -> Any:
    """删除部门（有下级部门、任职人员或领导小组的部门不能删除，只能停用）。"""
    dept = access.get_for_user(request.user, Department, dept_id, need="change")
    actions.do_delete_department(request.user, dept)
    return Status(204, None)


class UserCreate(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    real_name: str = Field(..., min_length=1, max_length=60)
    department_id: int
    role: Role
    phone: str = ""
    position: str = ""
    email: str = ""
    password: str | None = Field(
        None, description="不填则生成一次性临时密码，在响应中返回一次，本人首次登录须修改"
    )


class UserCreated(UserOut):
    temporary_password: str | None = None


class UserUpdate(Schema):
    version: int = Field(..., description="读取时的版本号，用于防止覆盖他人的修改")
    real_name: str | None = Field(None, min_length=1, max_length=60)
    phone: str | None = None
    position: str | None = None
    email: str | None = None
    is_active: bool | None = None


class PasswordOut(Schema):
    temporary_password: str


class MembershipIn(Schema):
    department_id: int
    role: Role


class MembershipCreated(MembershipOut):
    id: int
    user_id: int


@router.post("/users", response={201: UserCreated})
def create_user(request: HttpRequest, payload: UserCreate) -> Any:
    """新建用户并分配首个部门角色（须为该部门的系统管理员）。"""
    department = access.get_for_user(request.user, Department, payload.department_id)
    user, generated = actions.do_create_user(
        request.user,
        username=payload.username,
        real_name=payload.real_name,
        department=department,
        role=payload.role,
        phone=payload.phone,
        position=payload.position,
        email=payload.email,
        password=payload.password,
    )
    user = _users(request).get(pk=user.pk)
    user.temporary_password = generated
    return Status(201, user)


@router.patch("/users/{user_id}", response=UserOut)
def update_user(request: HttpRequest, user_id: int, payload: UserUpdate) -> Any:
    target = _account(request, user_id)
    fields = payload.dict(exclude_unset=True)
    actions.do_update_user(
        request.user,
        target,
        version=payload.version,
        real_name=fields.get("real_name") or target.real_name,
        phone=target.phone if fields.get("phone") is None else fields["phone"],
        position=target.position if fields.get("position") is None else fields["position"],
        email=target.email if fields.get("email") is None else fields["email"],
        is_active=target.is_active if fields.get("is_active") is None else fields["is_active"],
    )
    return _users(request).get(pk=target.pk)


@router.post("/users/{user_id}/reset-password", response=PasswordOut)
def reset_password(request: HttpRequest, user_id: int) -> Any:
    """生成一次性临时密码（只返回一次）；原密码和该用户的 API 令牌立即失效。"""
    target = _account(request, user_id)
    return {"temporary_password": actions.do_reset_password(request.user, target)}


@router.post("/users/{user_id}/memberships", response={201: MembershipCreated})
def add_membership(request: HttpRequest, user_id: int, payload: MembershipIn) -> Any:
    """分配角色：安全管理员（本组织尚无安全管理员时为系统管理员）；三员不得兼任。"""
    # The action decides who grants (access.membership_refusal), as on the page.
    target = access.get_for_user(request.user, _users(request), user_id)
    department = access.get_for_user(request.user, Department, payload.department_id)
    membership = actions.do_add_membership(request.user, target, department, payload.role)
    return Status(201, membership)


@router.delete("/memberships/{membership_id}", response={204: None})
def remove_membership(request: HttpRequest, membership_id: int) -> Any:
    membership = access.get_for_user(
        request.user,
        Membership.objects.select_related("user", "department"),
        membership_id,
        need="change",
    )
    actions.do_remove_membership(request.user, membership)
    return Status(204, None)


class ProfileIn(Schema):
    version: int | None = Field(None, description="读取时的版本号，用于防止覆盖他人的修改")
    real_name: str = Field(..., min_length=1, max_length=60)
    phone: str = ""
    email: str = ""


class PasswordChangeIn(Schema):
    old_password: str
    new_password: str


@router.put("/me", response=MeOut)
def update_profile(request: HttpRequest, payload: ProfileIn) -> Any:
    """修改本人的姓名、电话和邮箱。"""
    actions.do_update_own_profile(
        request.user,
        real_name=payload.real_name,
        phone=payload.phone,
        email=payload.email,
        version=payload.version,
    )
    return me(request)


@router.post("/me/password", response={204: None})
def change_password(request: HttpRequest, payload: PasswordChangeIn) -> Any:
    """修改本人密码（须提供原密码）。"""
    actions.do_change_own_password(request.user, payload.old_password, payload.new_password)
    return Status(204, None)


class LeaderOut(Schema):
    id: int
    user_id: int
    user_name: str = Field(..., alias="user.display_name")
    position: str
    position_label: str = Field(..., alias="get_position_display")
    title: str
    order: int


class LeadershipGroupOut(Schema):
    id: int
    department_id: int
    name: str
    office_id: int | None
    duties: str
    version: int
    members: list[LeaderOut]

    @staticmethod
    def resolve_members(obj: LeadershipGroup) -> list[LeadershipMember]:
        return list(obj.members.select_related("user").order_by("order", "pk"))


class LeadershipGroupIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    office_id: int | None = None
    duties: str = ""
    version: int | None = Field(None, description="修改时须提供读取时的版本号")


class LeaderIn(Schema):
    user_id: int
    position: LeaderPosition
    title: str = ""
    order: int = 0


@router.get("/departments/{dept_id}/leadership-group", response=LeadershipGroupOut)
def get_leadership_group(request: HttpRequest, dept_id: int) -> Any:
    """部门的社会稳定风险评估工作领导小组（篇1 七(一)）。"""
    dept = access.get_for_user(request.user, Department, dept_id)
    return _group_of(request, dept)


def _group_of(request: HttpRequest, dept: Department) -> LeadershipGroup:
    group = access.visible(request.user, LeadershipGroup.objects.filter(department=dept)).first()
    if group is None:
        raise Http404
    return group


@router.put("/departments/{dept_id}/leadership-group", response=LeadershipGroupOut)
def save_leadership_group(request: HttpRequest, dept_id: int, payload: LeadershipGroupIn) -> Any:
    """成立或修改部门的领导小组（须为该部门的系统管理员）。"""
    dept = access.get_for_user(request.user, Department, dept_id)
    office = (
        access.get_for_user(request.user, Department, payload.office_id)
        if payload.office_id
        else None
    )
    return actions.do_save_leadership_group(
        request.user,
        dept,
        name=payload.name,
        office=office,
        duties=payload.duties,
        version=payload.version,
    )


@router.post("/departments/{dept_id}/leadership-group/members", response={201: LeaderOut})
def add_leader(request: HttpRequest, dept_id: int, payload: LeaderIn) -> Any:
    dept = access.get_for_user(request.user, Department, dept_id)
    group = _group_of(request, dept)
    access.require(request.user, group, "change")
    user = access.get_for_user(request.user, User, payload.user_id)
    leader = actions.do_add_leader(
        request.user, group, user, payload.position, title=payload.title, order=payload.order
    )
    return Status(201, leader)


@router.delete("/leaders/{leader_id}", response={204: None})
def remove_leader(request: HttpRequest, leader_id: int) -> Any:
    member = access.get_for_user(
        request.user, LeadershipMember.objects.select_related("group"), leader_id, need="change"
    )
    actions.do_remove_leader(request.user, member)
    return Status(204, None)
