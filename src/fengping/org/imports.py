"""Bulk import of departments and users from one XLSX workbook, all or nothing.

Sheet 部门: 编码, 名称, 类型, 上级编码, 备注
Sheet 用户: 用户名, 姓名, 部门编码, 角色, 手机, 职务, 邮箱, 初始密码

An importer of the one framework (`fengping.core.imports`): `clean` checks each row
against the database and the rows above it (codes, parents, the administrator's scope,
roles, password rules) and hashes the password there — the slow part, done before any
write; `commit` creates everything in bulk, and the import writes one `org.import` event.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record
from fengping.core.errors import ActionError
from fengping.core.imports import CleanRow, Column, Importer, RowInvalid, Sheet

from . import access
from .actions import refuse_second_admin_role
from .models import (
    ADMIN_ROLES,
    THREE_ADMIN_ROLES,
    Department,
    DepartmentKind,
    Membership,
    Role,
    User,
)
from .passwords import temporary_password

DEPT_SHEET = "部门"
USER_SHEET = "用户"

_KIND_BY_LABEL = {str(label): value for value, label in DepartmentKind.choices}
_ROLE_BY_LABEL = {str(label): value for value, label in Role.choices}
# Short forms people actually type in a spreadsheet.
_ROLE_BY_LABEL.update({"主要负责人": Role.HEAD, "第一责任人": Role.HEAD})
USER_BATCH = 500
# The choices as the page's language shows them (evaluated when shown, not at import).
_kind_labels = lazy(lambda: "、".join(str(label) for _v, label in DepartmentKind.choices), str)
_role_labels = lazy(lambda: "、".join(str(r.label) for r in Role), str)


def _kind(value: Any) -> str:
    label = str(value).strip()
    kind = _KIND_BY_LABEL.get(label, label)
    if kind not in DepartmentKind.values:
        raise ValueError(
            _("未知的部门类型“%(k)s”，可选：%(all)s")
            % {"k": label, "all": "、".join(_KIND_BY_LABEL)}
        )
    return str(kind)


def _role(value: Any) -> str:
    label = str(value).strip()
    role = _ROLE_BY_LABEL.get(label, label)
    if role not in Role.values:
        raise ValueError(
            _("未知的角色“%(r)s”，可选：%(all)s")
            % {"r": label, "all": "、".join(str(r.label) for r in Role)}
        )
    return str(role)


class OrgImporter(Importer):
    title = gettext_lazy("部门和人员")
    action = "org.import"
    recorder = staticmethod(record)
    formats = ("xlsx",)
    template_filename = "fengping-org-template.xlsx"
    reveal_header = (gettext_lazy("用户名"), gettext_lazy("初始密码"))
    # Each new user's password is hashed with Argon2 (~0.1 s): a few hundred rows would
    # outlast the request, so larger files go to the worker.
    job_threshold = 100
    max_rows = 10_000
    writes = (Department, User, Membership)
    sheets = (
        Sheet(
            DEPT_SHEET,
            (
                Column(
                    "编码",
                    gettext_lazy("部门编码，全局唯一"),
                    required=True,
                    key="code",
                    example="RSJ-YL",
                ),
                Column(
                    "名称",
                    gettext_lazy("部门全称"),
                    required=True,
                    key="name",
                    example="养老保险科",
                ),
                Column(
                    "类型",
                    format_lazy("{}{}", gettext_lazy("留空为“科室/单位”；可选："), _kind_labels()),
                    parser=_kind,
                    key="kind",
                    example="科室/单位",
                ),
                Column(
                    "上级编码",
                    gettext_lazy("上级部门的编码；上级须已存在或在本表中排在前面"),
                    key="parent",
                    example="RSJ",
                ),
                Column("备注", gettext_lazy("部门的说明，可留空"), key="note", example=""),
            ),
            required=False,
        ),
        Sheet(
            USER_SHEET,
            (
                Column(
                    "用户名",
                    gettext_lazy("登录名；同一用户名出现多行表示兼任多个角色"),
                    required=True,
                    key="username",
                    example="zhangsan",
                ),
                Column("姓名", gettext_lazy("真实姓名"), key="real_name", example="张三"),
                Column(
                    "部门编码",
                    gettext_lazy("任职部门的编码（已存在或在“部门”表中）"),
                    required=True,
                    key="department",
                    example="RSJ-YL",
                ),
                Column(
                    "角色",
                    format_lazy("{}{}", gettext_lazy("可选："), _role_labels()),
                    required=True,
                    parser=_role,
                    key="role",
                    example="承办人",
                ),
                Column(
                    "手机", gettext_lazy("联系电话，可留空"), key="phone", example="13800000000"
                ),
                Column("职务", gettext_lazy("可留空"), key="position", example="科员"),
                Column("邮箱", gettext_lazy("用于找回密码等通知，可留空"), key="email", example=""),
                Column(
                    "初始密码",
                    gettext_lazy("留空则自动生成，导入后只显示一次"),
                    key="password",
                    example="",
                ),
            ),
            required=False,
        ),
    )

    def __init__(self) -> None:
        self.actor: Any = None
        self.paths: dict[str, str] = {}  # existing department code -> path
        self.new_codes: dict[
            str, str
        ] = {}  # code in this file -> path of nearest existing ancestor
        self.usernames: set[str] = set()  # lower-case, existing
        self.new_users: set[str] = set()  # lower-case, created by a row above
        self.pairs: set[tuple[str, str, str]] = set()  # (username, dept code, role) in this file
        # lower-case username -> the three administrator roles given in this file (三员分立)
        self.admin_roles: dict[str, set[str]] = {}
        self.generated: list[list[str]] = []
        self.users: dict[str, User] = {}  # lower-case username -> user, during commit

    def authorize(self, actor: Any) -> None:
        if not access.is_org_admin(actor):
            raise PermissionDenied(_("只有系统管理员可以批量导入"))

    def scope_path(self, actor: Any) -> str:
        paths = access.scope_of(actor).role_paths.get(Role.ADMIN, frozenset())
        return min(paths, key=lambda p: (len(p), p)) if paths else ""

    def start(self, actor: Any) -> None:
        self.actor = actor
        self.paths = dict(Department.objects.values_list("code", "path"))
        self.usernames = {u.lower() for u in User.objects.values_list("username", flat=True)}

    def _may_admin(self, path: str) -> bool:
        return access.can_change_under(self.actor, path, ADMIN_ROLES)

    def clean(self, sheet: Sheet, number: int, values: dict[str, Any]) -> dict[str, Any]:
        if sheet.name == DEPT_SHEET:
            return self._clean_department(values)
        return self._clean_user(values)

    def _clean_department(self, values: dict[str, Any]) -> dict[str, Any]:
        code, parent = values["code"], values["parent"]
        if code in self.paths or code in self.new_codes:
            raise RowInvalid(("编码", _("编码“%(c)s”已存在") % {"c": code}))
        if parent:
            if parent in self.paths:
                anchor = self.paths[parent]
            elif parent in self.new_codes:
                anchor = self.new_codes[parent]
            else:
                raise RowInvalid(
                    (
                        "上级编码",
                        _("上级编码“%(c)s”不存在（上级须在本表中排在前面或已存在）")
                        % {"c": parent},
                    )
                )
            if not self._may_admin(anchor):
                raise RowInvalid(("上级编码", _("您不是“%(dept)s”的系统管理员") % {"dept": parent}))
        else:
            anchor = ""
            if not getattr(self.actor, "is_superuser", False):
                raise RowInvalid(("上级编码", _("只有超级管理员可以创建新的顶级组织")))
        self.new_codes[code] = anchor
        return {**values, "kind": values["kind"] or DepartmentKind.UNIT}

    def _clean_user(self, values: dict[str, Any]) -> dict[str, Any]:
        username, dept, role = values["username"], values["department"], values["role"]
        if dept in self.paths:
            if not self._may_admin(self.paths[dept]):
                raise RowInvalid(("部门编码", _("您不是“%(dept)s”的系统管理员") % {"dept": dept}))
        elif dept not in self.new_codes:
            raise RowInvalid(("部门编码", _("部门编码“%(c)s”不存在") % {"c": dept}))
        key = username.lower()
        self._check_grant(username, key, dept, role)
        if (key, dept, role) in self.pairs or (
            key in self.usernames
            and dept in self.paths
            and Membership.objects.filter(
                user__username__iexact=username, department__code=dept, role=role
            ).exists()
        ):
            raise RowInvalid(("角色", _("用户“%(u)s”已在该部门担任该角色") % {"u": username}))
        self.pairs.add((key, dept, role))
        if key in self.usernames or key in self.new_users:
            # A second row for the same person adds another role.
            return {"username": username, "department": dept, "role": role, "create": False}
        password, generated = values["password"], ""
        if not password:
            generated = password = temporary_password()
        probe = User(
            username=username,
            real_name=values["real_name"],
            email=values["email"],
        )
        try:
            validate_password(password, probe)
        except ValidationError as exc:
            raise RowInvalid(("初始密码", "；".join(exc.messages))) from None
        self.new_users.add(key)
        return {
            **{k: values[k] for k in ("username", "real_name", "phone", "position", "email")},
            "department": dept,
            "role": role,
            "create": True,
            # Hashed here, before the write transaction: Argon2 is the slow part.
            "password_hash": make_password(password),
            "generated": generated,
        }

    def _check_grant(self, username: str, key: str, dept: str, role: str) -> None:
        """The rules of `actions.do_add_membership` for a row: a role for someone who
        already exists, or one of the three administrator roles, is a grant (the
        安全管理员's; the 系统管理员's only while the organisation has none); nobody
        changes their own roles; nobody holds two of the three administrator roles."""
        if key == getattr(self.actor, "username", "").lower():
            raise RowInvalid(("用户名", _("不能修改自己的任职和角色")))
        path = self.paths.get(dept) or self.new_codes.get(dept, "")
        existing = key in self.usernames
        if existing or role in THREE_ADMIN_ROLES:
            refusal = access.membership_refusal(self.actor, None, path)
            if refusal is None and existing:
                person = User.objects.filter(username__iexact=username)
                if not access.grantable_users(self.actor, person).exists():
                    refusal = _("该人员在您的范围之外还有任职，您不能修改其角色")
            if refusal:
                raise RowInvalid(("角色", refusal))
        if role not in THREE_ADMIN_ROLES:
            return
        held = set(self.admin_roles.get(key, set()))
        if existing:
            held |= set(
                Membership.objects.filter(
                    user__username__iexact=username, role__in=THREE_ADMIN_ROLES
                ).values_list("role", flat=True)
            )
        held.discard(role)
        if held:
            raise RowInvalid(
                (
                    "角色",
                    _("用户“%(u)s”已担任%(held)s，不能再担任%(role)s：三员不得兼任")
                    % {
                        "u": username,
                        "held": "、".join(str(Role(r).label) for r in sorted(held)),
                        "role": Role(role).label,
                    },
                )
            )
        self.admin_roles.setdefault(key, set()).add(role)

    # ------------------------------------------------------------ commit

    def commit(self, actor: Any, rows: Iterable[CleanRow]) -> dict[str, int]:
        counts = {"departments": 0, "users": 0, "memberships": 0}
        departments: list[dict[str, Any]] = []
        users: list[dict[str, Any]] = []
        by_code: dict[str, Department] = {}
        flushed = False
        for row in rows:
            if "username" not in row.data:
                departments.append(row.data)
                continue
            if not flushed:
                by_code = self._create_departments(departments)
                counts["departments"] = len(departments)
                flushed = True
            users.append(row.data)
            if len(users) >= USER_BATCH:
                self._create_users(users, by_code, counts)
                users = []
        if not flushed:
            self._create_departments(departments)
            counts["departments"] = len(departments)
        elif users:
            self._create_users(users, by_code, counts)
        return counts

    def _create_departments(self, rows: list[dict[str, Any]]) -> dict[str, Department]:
        """Create level by level (a parent before its children) so paths can be built."""
        parents = {r["parent"] for r in rows if r["parent"]}
        known = {d.code: d for d in Department.objects.filter(code__in=parents)}
        pending = list(rows)
        while pending:
            ready = [r for r in pending if not r["parent"] or r["parent"] in known]
            if not ready:  # clean() saw every parent; only a concurrent delete gets here
                raise ActionError(_("上级部门在导入期间被删除，请重新导入"))
            created = Department.objects.bulk_create(
                Department(
                    name=r["name"],
                    code=r["code"],
                    kind=r["kind"],
                    note=r["note"],
                    parent=known.get(r["parent"]) if r["parent"] else None,
                )
                for r in ready
            )
            for dept in created:
                parent = dept.parent
                dept.path = f"{parent.path if parent else ''}{dept.pk:07d}/"
                dept.depth = parent.depth + 1 if parent else 0
                known[dept.code] = dept
            Department.objects.bulk_update(created, ["path", "depth"])
            done = {id(r) for r in ready}
            pending = [r for r in pending if id(r) not in done]
        return known

    def _create_users(
        self, rows: list[dict[str, Any]], by_code: dict[str, Department], counts: dict[str, int]
    ) -> None:
        codes = {r["department"] for r in rows} - set(by_code)
        by_code.update({d.code: d for d in Department.objects.filter(code__in=codes)})
        fresh = [r for r in rows if r["create"]]
        created = User.objects.bulk_create(
            User(
                username=r["username"],
                real_name=r["real_name"],
                phone=r["phone"],
                position=r["position"],
                email=r["email"],
                password=r["password_hash"],
                # The importing administrator set (or was shown) the password: the person
                # chooses their own at the first login.
                must_change_password=True,
            )
            for r in fresh
        )
        self.users.update({u.username.lower(): u for u in created})
        wanted = {r["username"].lower() for r in rows} - set(self.users)
        if wanted:
            query = Q()
            for name in wanted:
                query |= Q(username__iexact=name)
            self.users.update({u.username.lower(): u for u in User.objects.filter(query)})
        by_name = self.users
        # Existing people given an administrator role: re-checked under their row lock, so
        # a grant on another page between clean() and now cannot make two of the three.
        granted = [r for r in rows if not r["create"] and r["role"] in THREE_ADMIN_ROLES]
        if granted:
            ids = [by_name[r["username"].lower()].pk for r in granted]
            locked = {u.pk: u for u in User.objects.select_for_update().filter(pk__in=ids)}
            for r in granted:
                user = locked[by_name[r["username"].lower()].pk]
                mine = self.admin_roles.get(r["username"].lower(), set())
                refuse_second_admin_role(user, r["role"], mine)
        Membership.objects.bulk_create(
            Membership(
                user=by_name[r["username"].lower()],
                department=by_code[r["department"]],
                role=r["role"],
            )
            for r in rows
        )
        counts["users"] += len(created)
        counts["memberships"] += len(rows)
        self.generated.extend([r["username"], r["generated"]] for r in fresh if r["generated"])

    @classmethod
    def summary(cls, counts: dict[str, int]) -> str:
        return _("新建部门 %(d)s 个，新建用户 %(u)s 名，任职 %(m)s 条。") % {
            "d": counts.get("departments", 0),
            "u": counts.get("users", 0),
            "m": counts.get("memberships", 0),
        }

    def revealed(self) -> list[list[str]]:
        return self.generated
