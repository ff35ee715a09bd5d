"""Every list page has an XLSX export of its filtered rows: the button is on the page,
a control character stored anywhere never breaks it, and an export without an object id
holds only what the person may see."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from fengping.assessments import actions as assessments
from fengping.matters import actions as matters
from fengping.matters.models import Matter
from fengping.org.models import Department, User


def rows(response):
    assert response.status_code == 200, response.status_code
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def start(org, user, department, title, category="focus_social_security"):
    # The category's proposed lead department (篇3 五) also sees the matter (issue 8
    # loophole 11): 人社局 leads social security, 住建局 urban matters.
    matter = matters.do_register_matter(
        user,
        title=title,
        scheme_key="ssra-town",
        category_code=category,
        department=department,
    )
    return assessments.do_start_assessment(user, matter)


@pytest.mark.parametrize(
    "page, export",
    [
        ("/matters/", "/matters/export.xlsx"),
        ("/assessments/", "/assessments/export.xlsx"),
        ("/org/users/", "/org/users/export.xlsx"),
        ("/org/departments/", "/org/departments/export.xlsx"),
        ("/audit/", "/audit/export.xlsx"),
        ("/org/leadership/", "/org/leadership/export.xlsx"),
        ("/imports/", "/imports/export.xlsx"),
    ],
)
def test_each_list_page_links_its_export_with_the_filters(org, login, page, export):
    from tests.conftest import audit_admin

    # The audit log is the 审计管理员's (三员分立); the other lists the 系统管理员's.
    reader = audit_admin(org) if page == "/audit/" else org.admin
    html = login(reader).get(page + "?q=x").content.decode()
    assert f'href="{export}' in html
    assert rows(login(reader).get(export))[0]


def test_users_export_survives_a_control_character_in_a_profile(org, login):
    User.objects.filter(pk=org.rsj_handler.pk).update(real_name="张\x01三", position="科员\x0b")
    table = rows(login(org.admin).get("/org/users/export.xlsx"))
    assert table[0][:3] == ["用户名", "姓名", "职务"]
    assert ["rsj_handler", "张\ufffd三", "科员\ufffd"] in [r[:3] for r in table]
    only = rows(login(org.admin).get(f"/org/users/export.xlsx?department={org.zjj.pk}&role=²"))
    assert [r[0] for r in only[1:]] == ["zjj_handler"]
    User.objects.filter(pk=org.zjj_handler.pk).update(is_active=False)
    inactive = rows(login(org.admin).get("/org/users/export.xlsx?active=0"))
    assert [r[0] for r in inactive[1:]] == ["zjj_handler"] and inactive[1][-1] == "否"


def test_users_filter_matches_department_and_role_on_one_membership(org, login):
    from fengping.org import actions

    actions.do_add_membership(org.admin, org.zjj_handler, org.rsj_unit, "assessor")
    client = login(org.admin)
    both = rows(client.get(f"/org/users/export.xlsx?department={org.rsj.pk}&role=handler"))
    assert [r[0] for r in both[1:]] == ["rsj_handler"]


def test_departments_export(org, login):
    Department.objects.filter(pk=org.zjj.pk).update(name="住建局\x0b")
    table = rows(login(org.admin).get("/org/departments/export.xlsx?q=局"))
    assert table[0] == ["名称", "编码", "类型", "上级部门", "任职人数", "状态"]
    assert {r[0] for r in table[1:]} == {"人社局", "住建局\ufffd"}
    outsider = rows(login(org.zjj_handler).get("/org/departments/export.xlsx"))
    assert "人社局" not in {r[0] for r in outsider[1:]}


def test_audit_export_is_for_readers_and_filters(org, login):
    from tests.conftest import audit_admin

    assert login(org.admin).get("/audit/export.xlsx").status_code == 403  # 三员分立
    table = rows(login(audit_admin(org)).get("/audit/export.xlsx?action=org.user.create"))
    head = table[0]
    assert head[:6] == ["序号", "时间", "操作人", "操作人用户名", "操作", "操作代码"]
    code, label = head.index("操作代码"), head.index("操作")
    assert table[1:] and all(r[code] == "org.user.create" for r in table[1:])
    # people read the action's label; the code stays beside it for machines
    assert {r[label] for r in table[1:]} == {"新建用户"}
    assert login(org.rsj_handler).get("/audit/export.xlsx").status_code == 403


def test_assessments_export_holds_only_visible_rows(org, login):
    start(org, org.rsj_handler, org.rsj, "人社局的事项")
    start(org, org.zjj_handler, org.zjj, "住建局的事项", "focus_urban")
    Matter.objects.filter(title="人社局的事项").update(title="人社局的事项\x0b")
    mine = rows(login(org.rsj_handler).get("/assessments/export.xlsx"))
    assert [r[0] for r in mine[1:]] == ["人社局的事项\ufffd"]
    theirs = rows(login(org.zjj_handler).get("/assessments/export.xlsx?step=²"))
    assert [r[0] for r in theirs[1:]] == ["住建局的事项"]
    everyone = rows(login(org.supervisor).get(f"/assessments/export.xlsx?department={org.zjj.pk}"))
    assert [r[0] for r in everyone[1:]] == ["住建局的事项"]


def test_leadership_export_lists_members(org, login):
    from fengping.org import actions
    from fengping.org.models import LeaderPosition

    group = actions.do_save_leadership_group(
        org.admin, org.rsj, name="人社局领导小组", office=org.rsj_unit
    )
    actions.do_add_leader(org.admin, group, org.rsj_head, LeaderPosition.HEAD, title="局长")
    table = rows(login(org.admin).get("/org/leadership/export.xlsx"))
    assert table[0] == ["领导小组", "单位", "办公室", "成员"]
    assert table[1][0] == "人社局领导小组" and "局长" in table[1][3]
    assert rows(login(org.zjj_handler).get("/org/leadership/export.xlsx"))[1:] == []


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_and_exports_run_the_same_queries_for_3_rows_as_for_30(org, login):
    from fengping.opinions import actions as opinions

    def add(n, offset, matter=None):
        for i in range(offset, offset + n):
            a = start(org, org.rsj_handler, org.rsj, f"事项{i}")
            target = matter or a.matter
            opinions.do_add_comment(org.rsj_handler, target, channel="letter", content="意见")
        return target

    matter = add(3, 0)
    client = login(org.rsj_handler)
    urls = [
        "/assessments/",
        "/assessments/export.xlsx",
        "/matters/export.xlsx",
        f"/matters/{matter.pk}/opinions/comments/",
        f"/matters/{matter.pk}/opinions/comments/export.xlsx",
    ]
    _queries(client, urls[0])  # warm the versioned options
    few = [_queries(client, u) for u in urls]
    add(27, 3, matter)
    assert [_queries(client, u) for u in urls] == few


def test_import_records_export_is_scoped_and_leaves_out_what_is_revealed_once(org, login):
    from fengping.core.models import ImportRecord

    ImportRecord.objects.create(
        importer="fengping.org.imports.OrgImporter",
        title="导入部门和人员",
        actor=org.rsj_handler,
        scope_path=org.rsj.path,
        file_name="=人员\x01.xlsx",
        sha256="0" * 64,
        status="failed",
        error_count=3,
        reveal=[["rsj_new", "Secret-password-1"]],
    )
    table = rows(login(org.rsj_head).get("/imports/export.xlsx?status=failed"))
    assert table[0] == ["时间", "导入内容", "文件", "SHA-256", "导入人", "行数", "状态"]
    assert table[1][2] == "'=人员\ufffd.xlsx" and "3 处错误" in table[1][6]
    assert "Secret-password-1" not in str(table)
    assert rows(login(org.zjj_handler).get("/imports/export.xlsx"))[1:] == []


def test_dates_in_exports_are_local_dates_not_utc(org, login):
    """Registered at 07:30 in Shanghai is 23:30 the day before in UTC: the export says the
    local day, as the office saw it."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from fengping.assessments.models import Assessment

    a = start(org, org.rsj_handler, org.rsj, "清晨登记的事项")
    early = dt.datetime(2026, 3, 2, 7, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    Matter.objects.filter(pk=a.matter_id).update(created_at=early)
    Assessment.objects.filter(pk=a.pk).update(started_at=early)
    client = login(org.rsj_handler)
    matters_table = rows(client.get("/matters/export.xlsx"))
    column = matters_table[0].index("登记日期")
    assert matters_table[1][column].date() == dt.date(2026, 3, 2)
    assessments_table = rows(client.get("/assessments/export.xlsx"))
    column = assessments_table[0].index("开始日期")
    assert assessments_table[1][column].date() == dt.date(2026, 3, 2)
