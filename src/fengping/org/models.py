"""Departments (a tree), users, memberships with roles, and leadership groups (篇1 七(一)).

The department tree is stored as a materialised path ("0000001/0000005/0000012/": fixed-width segments, so sorting by path lists the tree in order) so that "this department
and everything under it" is one indexed prefix filter, whatever the depth.
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class DepartmentKind(models.TextChoices):
    DECIDING = "deciding", _("决策机关")
    FUNCTIONAL = "functional", _("职能部门")
    STABILITY_OFFICE = "stability_office", _("维稳办")
    JOINT_OFFICE = "joint_office", _("联席会议办公室")
    SUPERVISION = "supervision", _("监察室")
    POLITICAL_LEGAL = "political_legal", _("政法单位")
    TOWN = "town", _("镇/街道")
    IT = "it", _("信息化部门")
    OFFICE = "office", _("办公室")
    UNIT = "unit", _("科室/单位")
    OTHER = "other", _("其他")


class Role(models.TextChoices):
    HANDLER = "handler", _("承办人")
    ASSESSOR = "assessor", _("评估人员")
    LEADER = "leader", _("分管领导")
    HEAD = "head", _("主要负责人（第一责任人）")
    SUPERVISOR = "supervisor", _("督查")
    ADMIN = "admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


# Roles that may change the domain objects of their department (matters, assessments…).
WORK_ROLES = frozenset({Role.HANDLER, Role.ASSESSOR, Role.LEADER, Role.HEAD, Role.ADMIN})
# Organisation data (departments, users, memberships) is changed by administrators only.
ADMIN_ROLES = frozenset({Role.ADMIN})
# 三员分立 (GB/T 22239-2019 8.1.4.2, 8.1.5.1–8.1.5.3): the system administrator, the security
# administrator and the audit administrator. No one holds two of them; none of them is a
# work role, and the security and audit administrators see no business data.
THREE_ADMIN_ROLES = frozenset({Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})


class Scoped(models.Model):
    """A model whose rows belong to a department; `org.access` filters it by path."""

    # Lookup from this model to the owning department's materialised path.
    scope_path_lookup: ClassVar[str] = "department__path"
    # Roles that may change a row (view needs any membership in scope).
    change_roles: ClassVar[frozenset[str]] = WORK_ROLES
    # The organisation's own structure (departments, memberships): a 安全管理员 sees it in
    # their subtree though their role opens no business data (三员分立).
    org_model: ClassVar[bool] = False

    class Meta:
        abstract = True


class Department(Scoped):
    name = models.CharField(_("名称"), max_length=120)
    short_name = models.CharField(
        _("简称"),
        max_length=40,
        blank=True,
        db_index=True,
        help_text=_("方案中使用的简称，例如“住建局”“人社局”，用于按方案建议牵头部门"),
    )
    code = models.CharField(_("编码"), max_length=40, unique=True)
    kind = models.CharField(
        _("类型"), max_length=32, choices=DepartmentKind.choices, default=DepartmentKind.UNIT
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.TextField(_("备注"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = "path"
    change_roles = ADMIN_ROLES
    org_model = True
    audit_fields: ClassVar[tuple[str, ...]] = (
        "name",
        "code",
        "kind",
        "parent",
        "is_active",
        "note",
    )

    class Meta:
        ordering = ["path"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        indexes = [models.Index(fields=["kind"], name="org_dept_kind_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_scope_path(self) -> str:
        return self.path

    @property
    def root_path(self) -> str:
        return self.path.split("/", 1)[0] + "/" if self.path else ""

    @property
    def indent_range(self) -> range:
        return range(self.depth)


class User(AbstractUser):
    real_name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("手机"), max_length=30, blank=True)
    position = models.CharField(_("职务"), max_length=60, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    # Set when an administrator chose the password (reset, or generated at creation): the
    # administrator knows it, so the user must replace it before doing anything else.
    must_change_password = models.BooleanField(_("须修改密码"), default=False, editable=False)

    change_roles: ClassVar[frozenset[str]] = ADMIN_ROLES
    audit_fields: ClassVar[tuple[str, ...]] = (
        "username",
        "real_name",
        "phone",
        "position",
        "email",
        "is_active",
    )

    class Meta:
        ordering = ["username"]
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.real_name or self.username

    @property
    def display_name(self) -> str:
        return f"{self.real_name}（{self.username}）" if self.real_name else self.username

    @property
    def audit_scope_path(self) -> str:
        first = self.memberships.select_related("department").first()
        return first.department.path if first else ""


class Membership(Scoped):
    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    change_roles = ADMIN_ROLES
    org_model = True
    audit_fields: ClassVar[tuple[str, ...]] = ("user", "department", "role")

    class Meta:
        ordering = ["department__path", "role"]
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "department", "role"], name="org_membership_unique"
            )
        ]
        indexes = [models.Index(fields=["role"], name="org_membership_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.department} · {self.get_role_display()}"

    @property
    def audit_scope_path(self) -> str:
        return self.department.path


class LeaderPosition(models.TextChoices):
    HEAD = "head", _("组长")
    DEPUTY = "deputy", _("副组长")
    MEMBER = "member", _("成员")
    OFFICE_DIRECTOR = "office_director", _("办公室主任")
    OFFICE_DEPUTY = "office_deputy", _("办公室副主任")
    OFFICE_MEMBER = "office_member", _("办公室成员")


class LeadershipGroup(Scoped):
    """社会稳定风险评估工作领导小组 of one unit, with its office (篇1 七(一), 篇4 五1)."""

    department = models.OneToOneField(
        Department,
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        related_name="leadership_group",
    )
    name = models.CharField(_("名称"), max_length=120)
    office = models.ForeignKey(
        Department,
        verbose_name=_("办公室设在"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    duties = models.TextField(_("职责"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    change_roles = ADMIN_ROLES
    audit_fields: ClassVar[tuple[str, ...]] = ("department", "name", "office", "duties")

    class Meta:
        verbose_name = _("领导小组")
        verbose_name_plural = _("领导小组")

    def __str__(self) -> str:
        return self.name

    @property
    def audit_scope_path(self) -> str:
        return self.department.path


class LeadershipMember(Scoped):
    group = models.ForeignKey(
        LeadershipGroup,
        verbose_name=_("领导小组"),
        on_delete=models.CASCADE,
        related_name="members",
    )
    user = models.ForeignKey(
        User, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.CharField(_("职务"), max_length=20, choices=LeaderPosition.choices)
    title = models.CharField(
        _("本职"), max_length=80, blank=True, help_text=_("例如：局长、副局长")
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    scope_path_lookup = "group__department__path"
    change_roles = ADMIN_ROLES
    audit_fields: ClassVar[tuple[str, ...]] = ("group", "user", "position", "title", "order")

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("领导小组成员")
        verbose_name_plural = _("领导小组成员")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user", "position"], name="org_leader_member_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_position_display()}"

    @property
    def audit_scope_path(self) -> str:
        return self.group.department.path
