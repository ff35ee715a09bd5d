import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from fengping.audit.models import Event
from fengping.core.imports import run_import
from fengping.core.models import ImportRecord
from fengping.core.xlsx import safe_cell
from fengping.org import actions
from fengping.org.imports import OrgImporter
from fengping.org.models import Department, Membership, Role, User


def import_org_workbook(actor, data, name="org.xlsx"):
    return run_import(actor, OrgImporter(), SimpleUploadedFile(name, data))


def messages(record):
    return [
        f"“{e['sheet']}”第 {e['row']} 行“{e['column']}”列：{e['message']}" for e in record.errors
    ]


def workbook(depts, users):
    wb = Workbook()
    ws = wb.active
    ws.title = "部门"
    ws.append(["编码", "名称", "类型", "上级编码", "备注"])
    for row in depts:
        ws.append(row)
    ws = wb.create_sheet("用户")
    ws.append(["用户名", "姓名", "部门编码", "角色", "手机", "职务", "邮箱", "初始密码"])
    for row in users:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_creates_everything(org):
    data = workbook(
        [
            ["RSJ-JY", "就业促进科", "科室/单位", "RSJ", ""],
            ["RSJ-JY-1", "就业服务股", "", "RSJ-JY", ""],
        ],
        [
            ["wang", "王五", "RSJ-JY", "承办人", "13900000000", "科员", "", ""],
            ["wang", "王五", "RSJ-JY-1", "评估人员", "", "", "", ""],
            ["zhao", "赵六", "RSJ-JY", "主要负责人", "", "科长", "", "Strong-pass-2026"],
        ],
    )
    events_before = Event.objects.count()
    result = import_org_workbook(org.admin, data)
    assert result.status == "done", result.errors
    assert result.counts == {"departments": 2, "users": 2, "memberships": 3}
    assert [u for u, _ in result.revealed] == ["wang"]
    assert User.objects.get(username="wang").check_password(result.revealed[0][1])
    assert Department.objects.get(code="RSJ-JY-1").parent.code == "RSJ-JY"
    assert Membership.objects.filter(user__username="wang").count() == 2
    assert User.objects.get(username="zhao").check_password("Strong-pass-2026")
    assert Department.objects.get(code="RSJ-JY-1").path.startswith(org.rsj.path)
    # One audit event for the whole import, none per row.
    event = Event.objects.get(action="org.import")
    assert event.after["counts"] == result.counts
    assert event.after["file"] == "org.xlsx" and event.after["sha256"] == result.sha256
    assert Event.objects.count() == events_before + 1


def test_one_bad_row_imports_nothing_and_names_rows(org):
    data = workbook(
        [
            ["RSJ-JY", "就业促进科", "科室/单位", "RSJ", ""],
            ["X", "坏部门", "不存在的类型", "RSJ", ""],
        ],
        [
            ["wang", "王五", "RSJ-JY", "承办人", "", "", "", ""],
            ["li", "李四", "NOPE", "承办人", "", "", "", ""],
        ],
    )
    result = import_org_workbook(org.admin, data)
    assert result.status == "failed" and result.error_count == 2
    assert {(e["sheet"], e["row"], e["column"]) for e in result.errors} == {
        ("部门", 3, "类型"),
        ("用户", 3, "部门编码"),
    }
    assert any("“部门”第 3 行" in e and "未知的部门类型" in e for e in messages(result))
    assert any("“用户”第 3 行" in e and "NOPE" in e for e in messages(result))
    assert not Event.objects.filter(action="org.import").exists()
    assert not Department.objects.filter(code="RSJ-JY").exists()
    assert not User.objects.filter(username="wang").exists()


def test_outside_admin_scope_refused(org):
    data = workbook([["ZJJ-1", "某科", "", "ZJJ", ""]], [])
    with pytest.raises(PermissionDenied, match="系统管理员"):
        import_org_workbook(org.rsj_head, data)
    rsj_admin = org.rsj_head
    actions.do_add_membership(org.admin, rsj_admin, org.rsj, Role.ADMIN)
    result = import_org_workbook(rsj_admin, data)
    assert result.status == "failed" and "系统管理员" in result.errors[0]["message"]
    assert not Department.objects.filter(code="ZJJ-1").exists()


def test_import_page_refuses_non_xlsx(org, login):
    client = login(org.admin)
    upload = SimpleUploadedFile("x.xlsx", b"not a zip", content_type="application/octet-stream")
    response = client.post("/org/import/", {"file": upload})
    assert response.status_code == 200
    assert "文件内容与扩展名 .xlsx 不符" in response.content.decode()
    upload = SimpleUploadedFile("x.csv", "编码,名称\n".encode())
    response = client.post("/org/import/", {"file": upload})
    assert "不接受该类型的文件（.csv）" in response.content.decode()
    assert not ImportRecord.objects.exists()


def test_import_page_end_to_end(org, login):
    client = login(org.admin)
    data = workbook([["RSJ-JY", "就业促进科", "科室/单位", "RSJ", ""]], [])
    upload = SimpleUploadedFile("org.xlsx", data)
    response = client.post("/org/import/", {"file": upload})
    page = response.content.decode()
    assert "导入成功" in page and "org.xlsx" in page
    assert "新建部门 1 个" in page
    assert Department.objects.filter(code="RSJ-JY").exists()
    assert login(org.rsj_head).get("/org/import/").status_code == 403


def test_template_downloads(org, login):
    response = login(org.admin).get("/org/import/template.xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["部门", "用户", "填写说明"]
    assert [c.value for c in wb["用户"][1]] == [
        "用户名",
        "姓名",
        "部门编码",
        "角色",
        "手机",
        "职务",
        "邮箱",
        "初始密码",
    ]
    notes = [row for row in wb["填写说明"].iter_rows(min_row=2, values_only=True)]
    by_column = {(sheet, column): required for sheet, column, required, _how in notes}
    assert by_column[("用户", "角色")] == "必填" and by_column[("用户", "邮箱")] == "选填"
    assert len(notes) == 5 + 8


def test_export_is_formula_safe(org, login):
    User.objects.filter(pk=org.rsj_handler.pk).update(real_name='=HYPERLINK("http://evil","x")')
    response = login(org.admin).get("/org/users/export.xlsx")
    ws = load_workbook(io.BytesIO(response.content)).active
    names = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://evil","x")' in names
    assert safe_cell("-1+2") == "'-1+2" and safe_cell(3) == 3
