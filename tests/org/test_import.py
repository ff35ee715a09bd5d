import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from fengping.core.xlsx import safe_cell
from fengping.org.imports import import_org_workbook
from fengping.org.models import Department, Membership, User


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
    result = import_org_workbook(org.admin, data)
    assert result.ok, result.errors
    assert (result.departments, result.users, result.memberships) == (2, 2, 3)
    assert [u for u, _ in result.passwords] == ["wang"]
    assert Department.objects.get(code="RSJ-JY-1").parent.code == "RSJ-JY"
    assert Membership.objects.filter(user__username="wang").count() == 2
    assert User.objects.get(username="zhao").check_password("Strong-pass-2026")


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
    assert not result.ok
    assert any("“部门”第 3 行" in e and "未知的部门类型" in e for e in result.errors)
    assert any("“用户”第 3 行" in e and "NOPE" in e for e in result.errors)
    assert not Department.objects.filter(code="RSJ-JY").exists()
    assert not User.objects.filter(username="wang").exists()


def test_outside_admin_scope_refused(org):
    data = workbook([["ZJJ-1", "某科", "", "ZJJ", ""]], [])
    result = import_org_workbook(org.rsj_head, data)
    assert not result.ok and "系统管理员" in result.errors[0]


def test_import_page_refuses_non_xlsx(org, login):
    client = login(org.admin)
    upload = SimpleUploadedFile("x.xlsx", b"not a zip", content_type="application/octet-stream")
    response = client.post("/org/import/", {"file": upload})
    assert "只接受 .xlsx" in response.content.decode()


def test_import_page_end_to_end(org, login):
    client = login(org.admin)
    data = workbook([["RSJ-JY", "就业促进科", "科室/单位", "RSJ", ""]], [])
    upload = SimpleUploadedFile("org.xlsx", data)
    response = client.post("/org/import/", {"file": upload})
    assert "导入成功" in response.content.decode()
    assert Department.objects.filter(code="RSJ-JY").exists()
    assert login(org.rsj_head).get("/org/import/").status_code == 403


def test_template_downloads(org, login):
    response = login(org.admin).get("/org/import/template.xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["部门", "用户"]


def test_export_is_formula_safe(org, login):
    User.objects.filter(pk=org.rsj_handler.pk).update(real_name='=HYPERLINK("http://evil","x")')
    response = login(org.admin).get("/org/users/export.xlsx")
    ws = load_workbook(io.BytesIO(response.content)).active
    names = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://evil","x")' in names
    assert safe_cell("-1+2") == "'-1+2" and safe_cell(3) == 3
