"""Bulk import of departments and users from one XLSX workbook, all or nothing.

Sheet 部门: 编码, 名称, 类型, 上级编码, 备注
Sheet 用户: 用户名, 姓名, 部门编码, 角色, 手机, 职务, 邮箱, 初始密码

Every row goes through the same action functions as the pages, inside one transaction;
any bad row rolls the whole import back and every error is reported with its sheet and row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from fengping.core.errors import ActionError
from fengping.core.xlsx import read_sheets, write_workbook

from . import actions
from .models import Department, DepartmentKind, Membership, Role, User

DEPT_SHEET = "部门"
USER_SHEET = "用户"
DEPT_HEADER = ["编码", "名称", "类型", "上级编码", "备注"]
USER_HEADER = ["用户名", "姓名", "部门编码", "角色", "手机", "职务", "邮箱", "初始密码"]

_KIND_BY_LABEL = {str(label): value for value, label in DepartmentKind.choices}
_ROLE_BY_LABEL = {str(label): value for value, label in Role.choices}
# Short forms people actually type in a spreadsheet.
_ROLE_BY_LABEL.update({"主要负责人": Role.HEAD, "第一责任人": Role.HEAD})


@dataclass
class ImportResult:
    departments: int = 0
    users: int = 0
    memberships: int = 0
    errors: list[str] = field(default_factory=list)
    passwords: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    pass


def template_workbook() -> bytes:
    return write_workbook(
        [
            (
                DEPT_SHEET,
                DEPT_HEADER,
                [["RSJ-YL", "养老保险科", "科室/单位", "RSJ", ""]],
            ),
            (
                USER_SHEET,
                USER_HEADER,
                [["zhangsan", "张三", "RSJ-YL", "承办人", "13800000000", "科员", "", ""]],
            ),
        ]
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def import_org_workbook(actor: Any, data: bytes) -> ImportResult:
    sheets = read_sheets(data)
    result = ImportResult()
    if DEPT_SHEET not in sheets and USER_SHEET not in sheets:
        result.errors.append(
            _("工作簿中没有名为“%(a)s”或“%(b)s”的工作表") % {"a": DEPT_SHEET, "b": USER_SHEET}
        )
        return result
    try:
        with transaction.atomic():
            _import_departments(actor, sheets.get(DEPT_SHEET, []), result)
            _import_users(actor, sheets.get(USER_SHEET, []), result)
            if result.errors:
                raise _Rollback
    except _Rollback:
        result.departments = result.users = result.memberships = 0
        result.passwords = []
    return result


def _row_error(result: ImportResult, sheet: str, row: int, message: str) -> None:
    result.errors.append(
        _("“%(sheet)s”第 %(row)s 行：%(msg)s") % {"sheet": sheet, "row": row, "msg": message}
    )


def _import_departments(
    actor: Any, rows: list[tuple[int, dict[str, Any]]], result: ImportResult
) -> None:
    by_code = {d.code: d for d in Department.objects.all()}
    for number, row in rows:
        code, name = _text(row.get("编码")), _text(row.get("名称"))
        kind_label, parent_code = _text(row.get("类型")), _text(row.get("上级编码"))
        if not code or not name:
            _row_error(result, DEPT_SHEET, number, _("编码和名称必填"))
            continue
        kind = _KIND_BY_LABEL.get(kind_label, kind_label or DepartmentKind.UNIT)
        if kind not in DepartmentKind.values:
            _row_error(
                result,
                DEPT_SHEET,
                number,
                _("未知的部门类型“%(k)s”，可选：%(all)s")
                % {"k": kind_label, "all": "、".join(_KIND_BY_LABEL)},
            )
            continue
        parent = None
        if parent_code:
            parent = by_code.get(parent_code)
            if parent is None:
                _row_error(
                    result,
                    DEPT_SHEET,
                    number,
                    _("上级编码“%(c)s”不存在（上级须在本表中排在前面或已存在）")
                    % {"c": parent_code},
                )
                continue
        if code in by_code:
            _row_error(result, DEPT_SHEET, number, _("编码“%(c)s”已存在") % {"c": code})
            continue
        try:
            dept = actions.do_create_department(
                actor, name=name, code=code, kind=kind, parent=parent, note=_text(row.get("备注"))
            )
        except (ActionError, PermissionDenied) as exc:
            _row_error(
                result, DEPT_SHEET, number, str(getattr(exc, "message", exc)) or _("无权操作")
            )
            continue
        by_code[code] = dept
        result.departments += 1


def _import_users(actor: Any, rows: list[tuple[int, dict[str, Any]]], result: ImportResult) -> None:
    by_code = {d.code: d for d in Department.objects.all()}
    for number, row in rows:
        username, real_name = _text(row.get("用户名")), _text(row.get("姓名"))
        dept_code, role_label = _text(row.get("部门编码")), _text(row.get("角色"))
        if not username or not dept_code or not role_label:
            _row_error(result, USER_SHEET, number, _("用户名、部门编码和角色必填"))
            continue
        dept = by_code.get(dept_code)
        if dept is None:
            _row_error(result, USER_SHEET, number, _("部门编码“%(c)s”不存在") % {"c": dept_code})
            continue
        role = _ROLE_BY_LABEL.get(role_label, role_label)
        if role not in Role.values:
            _row_error(
                result,
                USER_SHEET,
                number,
                _("未知的角色“%(r)s”，可选：%(all)s")
                % {"r": role_label, "all": "、".join(str(r.label) for r in Role)},
            )
            continue
        try:
            existing = User.objects.filter(username__iexact=username).first()
            if existing is not None:
                # A second row for the same person adds another role.
                if Membership.objects.filter(user=existing, department=dept, role=role).exists():
                    _row_error(
                        result,
                        USER_SHEET,
                        number,
                        _("用户“%(u)s”已在该部门担任该角色") % {"u": username},
                    )
                    continue
                actions.do_add_membership(actor, existing, dept, role)
                result.memberships += 1
                continue
            _user, generated = actions.do_create_user(
                actor,
                username=username,
                real_name=real_name,
                department=dept,
                role=role,
                phone=_text(row.get("手机")),
                position=_text(row.get("职务")),
                email=_text(row.get("邮箱")),
                password=_text(row.get("初始密码")) or None,
            )
        except (ActionError, PermissionDenied) as exc:
            _row_error(
                result, USER_SHEET, number, str(getattr(exc, "message", exc)) or _("无权操作")
            )
            continue
        result.users += 1
        result.memberships += 1
        if generated:
            result.passwords.append((username, generated))
