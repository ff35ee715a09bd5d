"""The monthly progress report (工作进展情况报告表): every refusal through the action, the
page and the API; the flow draft → submitted → returned → resubmitted → acknowledged; the
DOCX and XLSX; the list (scoped, query count pinned, XLSX with every figure) and the
month's overview."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from docx import Document

from fengping.audit.models import Event
from fengping.core.concurrency import StaleVersion
from fengping.core.errors import ActionError
from fengping.core.xlsx import open_workbook
from fengping.supervision import deadlines
from fengping.supervision.actions import reports as actions
from fengping.supervision.models import MonthlyReport, ReportStatus
from fengping.supervision.report_templates import monthly


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def last_month() -> dt.date:
    return (this_month() - dt.timedelta(days=1)).replace(day=1)


def next_month() -> dt.date:
    return (this_month() + dt.timedelta(days=32)).replace(day=1)


def create(org, month=None, dept=None, user=None) -> MonthlyReport:
    return actions.do_create_report(user or org.rsj_handler, dept or org.rsj, month or last_month())


def submitted(org, month=None, user=None) -> MonthlyReport:
    r = create(org, month, user=user)
    r = actions.do_update_report(
        user or org.rsj_handler, r, version=r.version, work_done="开展评估"
    )
    return actions.do_submit_report(user or org.rsj_handler, r, version=r.version)


def acknowledged(org) -> MonthlyReport:
    r = submitted(org)
    return actions.do_acknowledge_report(org.supervisor, r, version=r.version)


# ------------------------------------------------------------------ actions


def test_create_pulls_figures_and_sets_due_day_and_office(org):
    r = create(org)
    assert r.status == ReportStatus.DRAFT
    assert r.office == org.wwb
    assert r.due_on == deadlines.monthly_due("monthly_progress", last_month())[1]
    assert r.due_on >= last_month().replace(day=20)
    assert r.figures["matters_month"] == 0
    assert r.figures_pulled["matters_month"]["label"] == "本月登记评估事项"
    assert r.figures_at is not None
    r.refresh_from_db()  # jsonb keeps no key order; the table's order survives
    rows = monthly.figure_rows(r)
    assert [x["key"] for x in rows[:2]] == ["matters_month", "matters_total"]
    assert rows[-1]["key"] == "tasks_done_month"
    assert Event.objects.filter(action="supervision.report.create", object_id=str(r.pk)).exists()


def test_create_refuses_a_future_month(org):
    with pytest.raises(ActionError) as exc:
        create(org, next_month())
    assert exc.value.field == "month"
    assert "尚未到来" in exc.value.message
    create(org, this_month())  # the current month is allowed


def test_create_refuses_a_duplicate(org):
    create(org)
    with pytest.raises(ActionError) as exc:
        create(org)
    assert "已经存在" in exc.value.message
    assert MonthlyReport.objects.count() == 1


def test_create_refuses_another_department_and_the_supervisor(org):
    with pytest.raises(PermissionDenied):
        create(org, user=org.zjj_handler)
    with pytest.raises(PermissionDenied):
        create(org, user=org.supervisor)
    create(org, dept=org.rsj_unit)  # a department below one's own


def test_correcting_a_figure_keeps_the_pulled_value(org):
    r = create(org)
    r = actions.do_update_report(
        org.rsj_handler, r, version=r.version, figures={"matters_month": 5}, problems="人手不足"
    )
    assert r.figures["matters_month"] == 5
    assert r.figures_pulled["matters_month"]["value"] == 0
    assert r.problems == "人手不足"
    # a refresh keeps the correction and takes the other figures anew
    r = actions.do_refresh_figures(org.rsj_handler, r, version=r.version)
    assert r.figures["matters_month"] == 5


@pytest.mark.parametrize(
    "figures,text",
    [
        ({"nope": 1}, "没有数据项"),
        ({"matters_month": -1}, "不小于0"),
        ({"matters_month": "x"}, "整数"),
    ],
)
def test_bad_figures_are_refused(org, figures, text):
    r = create(org)
    with pytest.raises(ActionError) as exc:
        actions.do_update_report(org.rsj_handler, r, version=r.version, figures=figures)
    assert text in exc.value.message


def test_stale_version_is_refused(org):
    r = create(org)
    actions.do_update_report(org.rsj_handler, r, version=r.version, work_done="一")
    with pytest.raises(StaleVersion):
        actions.do_update_report(org.rsj_handler, r, version=r.version, work_done="二")
    with pytest.raises(StaleVersion):
        actions.do_submit_report(org.rsj_handler, r, version=r.version)


def test_submit_needs_the_narrative_and_marks_late(org):
    r = create(org)
    with pytest.raises(ActionError) as exc:
        actions.do_submit_report(org.rsj_handler, r, version=r.version)
    assert exc.value.field == "work_done"
    r = submitted(org, this_month())
    assert r.status == ReportStatus.SUBMITTED
    assert r.late is (timezone.localdate() > r.due_on)
    old = MonthlyReport.objects.get(month=last_month())
    old = actions.do_update_report(org.rsj_handler, old, version=old.version, work_done="补报")
    old = actions.do_submit_report(org.rsj_handler, old, version=old.version)
    assert old.late is True  # last month's, due on its 20th
    assert old.submitted_by == org.rsj_handler


def test_submitted_report_is_not_editable_until_returned(org):
    r = submitted(org)
    for act in (
        lambda: actions.do_update_report(org.rsj_handler, r, version=r.version, work_done="x"),
        lambda: actions.do_refresh_figures(org.rsj_handler, r, version=r.version),
        lambda: actions.do_submit_report(org.rsj_handler, r, version=r.version),
    ):
        with pytest.raises(ActionError) as exc:
            act()
        assert "等待签收" in exc.value.message


def test_return_and_resubmit_keep_the_first_late_flag(org):
    r = submitted(org)
    assert r.late
    with pytest.raises(ActionError) as exc:
        actions.do_return_report(org.supervisor, r, version=r.version, reason="  ")
    assert exc.value.field == "reason"
    r = actions.do_return_report(org.supervisor, r, version=r.version, reason="数据不全")
    assert r.status == ReportStatus.RETURNED and r.return_reason == "数据不全"
    r = actions.do_update_report(org.rsj_handler, r, version=r.version, work_done="已补全")
    r = actions.do_submit_report(org.rsj_handler, r, version=r.version)
    assert r.status == ReportStatus.SUBMITTED and r.late


def test_only_the_office_acknowledges(org):
    r = submitted(org)
    for user, text in (
        (org.rsj_head, "本单位人员"),
        (org.rsj_handler, "上报人"),
        (org.rsj_unit_assessor, ""),  # below 人社局: does not even see it
        (org.lxb_supervisor, "维稳办的人员"),
    ):
        with pytest.raises(PermissionDenied) as exc:
            actions.do_acknowledge_report(user, r, version=r.version)
        assert text in str(exc.value), user
        with pytest.raises(PermissionDenied):
            actions.do_return_report(user, r, version=r.version, reason="x")
    r = actions.do_acknowledge_report(org.supervisor, r, version=r.version)
    assert r.status == ReportStatus.ACKNOWLEDGED
    assert r.acknowledged_by == org.supervisor and r.acknowledged_at


def test_the_submitter_never_acknowledges(org):
    """The city's administrator may both write (a work role above 人社局) and act for the
    office; not on a report they submitted."""
    r = submitted(org, user=org.admin)
    with pytest.raises(PermissionDenied) as exc:
        actions.do_acknowledge_report(org.admin, r, version=r.version)
    assert "上报人" in str(exc.value)


def test_acknowledge_refuses_a_draft_and_twice(org):
    r = create(org)
    with pytest.raises(ActionError):
        actions.do_acknowledge_report(org.supervisor, r, version=r.version)
    r = actions.do_update_report(org.rsj_handler, r, version=r.version, work_done="x")
    r = actions.do_submit_report(org.rsj_handler, r, version=r.version)
    r = actions.do_acknowledge_report(org.supervisor, r, version=r.version)
    with pytest.raises(ActionError):
        actions.do_acknowledge_report(org.supervisor, r, version=r.version)
    with pytest.raises(ActionError):
        actions.do_return_report(org.supervisor, r, version=r.version, reason="x")


def test_acknowledged_report_is_locked(org):
    r = acknowledged(org)
    for act in (
        lambda: actions.do_update_report(org.rsj_handler, r, version=r.version, work_done="x"),
        lambda: actions.do_refresh_figures(org.rsj_handler, r, version=r.version),
        lambda: actions.do_submit_report(org.rsj_handler, r, version=r.version),
    ):
        with pytest.raises(ActionError) as exc:
            act()
        assert "已签收" in exc.value.message


# ------------------------------------------------------------------ pages


def test_new_page_refusals_and_create(org, login):
    c = login(org.rsj_handler)
    url = reverse("supervision:report_new")
    assert c.get(url).status_code == 200
    page = c.post(url, {"department": org.rsj.pk, "month": f"{next_month():%Y-%m}"})
    assert page.status_code == 200 and "尚未到来" in page.content.decode()
    done = c.post(url, {"department": org.rsj.pk, "month": f"{last_month():%Y-%m}"})
    r = MonthlyReport.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "supervision:report", args=[r.pk]
    )
    again = c.post(url, {"department": org.rsj.pk, "month": f"{last_month():%Y-%m}"})
    assert "已经存在" in again.content.decode()
    # another department is not among the choices
    other = c.post(url, {"department": org.zjj.pk, "month": f"{last_month():%Y-%m}"})
    assert other.status_code == 200 and MonthlyReport.objects.count() == 1


def test_report_page_edit_submit_return_acknowledge(org, login):
    r = create(org)
    c = login(org.rsj_handler)
    page = c.get(reverse("supervision:report", args=[r.pk])).content.decode()
    assert "本月登记评估事项" in page and "重新提取数据" in page
    edit = reverse("supervision:report_edit", args=[r.pk])
    form = c.get(edit).content.decode()
    assert "系统取数 0" in form
    keys = [row["key"] for row in monthly.figure_rows(r)]
    data = {"version": r.version, "work_done": "开展评估", "problems": "", "next_steps": ""}
    data.update({f"fig_{i}": 0 for i in range(len(keys))})
    data["fig_0"] = 7
    assert c.post(edit, data).status_code == 302
    r.refresh_from_db()
    assert r.figures[keys[0]] == 7 and r.work_done == "开展评估"
    page = c.get(reverse("supervision:report", args=[r.pk])).content.decode()
    assert "已更正" in page
    # stale version: the message is on the form, the input kept
    stale = c.post(edit, {**data, "work_done": "旧版本的修改"})
    assert stale.status_code == 200
    assert "已被他人修改" in stale.content.decode()
    assert "旧版本的修改" in stale.content.decode()
    sub = c.post(reverse("supervision:report_submit", args=[r.pk]), {"version": r.version})
    assert sub.status_code == 302
    r.refresh_from_db()
    assert r.status == ReportStatus.SUBMITTED and r.late
    # the department's head may not acknowledge (403), the supervisor sees the buttons
    head = login(org.rsj_head)
    ack = reverse("supervision:report_acknowledge", args=[r.pk])
    assert head.post(ack, {"version": r.version}).status_code == 403
    sup = login(org.supervisor)
    page = sup.get(reverse("supervision:report", args=[r.pk])).content.decode()
    assert "签收" in page and 'id="office-actions"' in page
    ret = reverse("supervision:report_return", args=[r.pk])
    empty = sup.post(ret, {"version": r.version, "reason": ""})
    assert empty.status_code == 200
    assert sup.post(ret, {"version": r.version, "reason": "数据不全"}).status_code == 302
    r.refresh_from_db()
    assert r.status == ReportStatus.RETURNED
    c = login(org.rsj_handler)
    assert "数据不全" in c.get(reverse("supervision:report", args=[r.pk])).content.decode()
    c.post(reverse("supervision:report_submit", args=[r.pk]), {"version": r.version})
    r.refresh_from_db()
    sup = login(org.supervisor)
    assert sup.post(ack, {"version": r.version}).status_code == 302
    r.refresh_from_db()
    assert r.status == ReportStatus.ACKNOWLEDGED


def test_pages_show_refusals_after_acknowledgement(org, login):
    r = acknowledged(org)
    c = login(org.rsj_handler)
    page = c.get(reverse("supervision:report", args=[r.pk])).content.decode()
    assert "报告已签收，不能再修改" in page and "重新提取数据" not in page
    edit = reverse("supervision:report_edit", args=[r.pk])
    form = c.post(edit, {"version": r.version, "work_done": "改"})
    assert form.status_code == 200 and "报告已签收，不能再修改" in form.content.decode()
    refresh = c.post(
        reverse("supervision:report_refresh", args=[r.pk]), {"version": r.version}, follow=True
    )
    assert "报告已签收，不能再修改" in refresh.content.decode()
    sup = login(org.supervisor)
    again = sup.post(
        reverse("supervision:report_acknowledge", args=[r.pk]), {"version": r.version}, follow=True
    )
    assert "只有已上报、待签收的报告" in again.content.decode()
    assert "不能签收或退回" in sup.get(reverse("supervision:report", args=[r.pk])).content.decode()


def test_page_stale_version_on_acknowledge(org, login):
    r = submitted(org)
    sup = login(org.supervisor)
    resp = sup.post(
        reverse("supervision:report_acknowledge", args=[r.pk]),
        {"version": r.version - 1},
        follow=True,
    )
    assert "已被他人修改" in resp.content.decode()
    r.refresh_from_db()
    assert r.status == ReportStatus.SUBMITTED


def test_other_department_and_supervisor_on_department_pages(org, login):
    r = create(org)
    out = login(org.zjj_handler)
    for name in ("report", "report_edit", "report_docx", "report_xlsx"):
        assert out.get(reverse(f"supervision:{name}", args=[r.pk])).status_code == 404
    sup = login(org.supervisor)
    assert sup.get(reverse("supervision:report_edit", args=[r.pk])).status_code == 403
    assert sup.post(reverse("supervision:report_submit", args=[r.pk])).status_code == 403


def test_docx_opens_and_holds_the_figures(org, login):
    r = create(org)
    r = actions.do_update_report(
        org.rsj_handler,
        r,
        version=r.version,
        figures={"matters_total": 12},
        work_done="第一行\n第二行",
    )
    resp = login(org.supervisor).get(reverse("supervision:report_docx", args=[r.pk]))
    assert resp.status_code == 200
    doc = Document(io.BytesIO(resp.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "工作进展情况报告表" in text
    assert f"{last_month().year}年{last_month().month}月" in text
    assert "人社局" in cells and "维稳办" in cells
    assert "本月登记评估事项" in cells and "累计登记评估事项" in cells
    assert "12" in cells and "系统取数0，本单位更正" in cells
    assert "第一行" in text and "第二行" in text
    due = r.due_on
    assert f"{due.year}年{due.month}月{due.day}日" in cells


def test_xlsx_of_one_report(org, login):
    r = create(org)
    resp = login(org.rsj_head).get(reverse("supervision:report_xlsx", args=[r.pk]))
    wb = open_workbook(resp.content)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:4] == ("类别", "数据项", "报告数", "系统取数")
    assert any(row[1] == "本月排查案件" for row in rows)


def test_list_is_scoped_pinned_and_exports_every_figure(org, login, django_assert_max_num_queries):
    create(org)
    create(org, this_month())
    create(org, dept=org.rsj_unit)
    actions.do_create_report(org.zjj_handler, org.zjj, last_month())
    url = reverse("supervision:reports")
    sup = login(org.supervisor)
    with django_assert_max_num_queries(12):
        page = sup.get(url)
    assert page.content.decode().count("/supervision/reports/") >= 4
    assert "住建局" in page.content.decode()
    own = login(org.rsj_handler).get(url).content.decode()
    assert "住建局" not in own and "养老保险科" in own
    zjj = login(org.zjj_handler).get(url).content.decode()
    assert "人社局" not in zjj
    filtered = login(org.supervisor).get(
        url, {"status": "draft", "month": last_month().isoformat()}
    )
    assert filtered.status_code == 200
    export = login(org.supervisor).get(reverse("supervision:reports_export"))
    wb = open_workbook(export.content)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert "本月登记评估事项" in rows[0] and "整改未完成" in rows[0] and "风险等级分布" in rows[0]
    assert len(rows) == 5


def test_list_query_count_does_not_grow(org, login, django_assert_max_num_queries):
    for i in range(6):
        m = (last_month() - dt.timedelta(days=31 * i)).replace(day=1)
        create(org, m)
    sup = login(org.supervisor)
    with django_assert_max_num_queries(12):
        sup.get(reverse("supervision:reports"))


def test_overview_shows_submitted_late_and_missing(org, login):
    r = submitted(org)  # late: last month's
    page = login(org.supervisor).get(
        reverse("supervision:report_overview"), {"month": f"{last_month():%Y-%m}"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-state="late"' in html  # 人社局
    assert 'data-state="overdue"' in html  # 住建局 never reported
    assert r.department.name in html
    own = login(org.zjj_handler).get(reverse("supervision:report_overview")).content.decode()
    assert "人社局" not in own


# ------------------------------------------------------------------ API


def test_api_flow_and_refusals(org, api):
    h = api(org.rsj_handler)
    future = h(
        "post",
        "/supervision/reports",
        {"department_id": org.rsj.pk, "month": f"{next_month():%Y-%m}"},
    )
    assert future.status_code == 400 and "尚未到来" in future.json()["detail"]
    made = h(
        "post",
        "/supervision/reports",
        {"department_id": org.rsj.pk, "month": f"{last_month():%Y-%m}"},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    rid, version = body["id"], body["version"]
    assert any(f["key"] == "tasks_open" for f in body["figures"])
    dup = h(
        "post",
        "/supervision/reports",
        {"department_id": org.rsj.pk, "month": f"{last_month():%Y-%m}"},
    )
    assert dup.status_code == 400 and "已经存在" in dup.json()["detail"]
    other = api(org.zjj_handler)(
        "post",
        "/supervision/reports",
        {"department_id": org.rsj.pk, "month": f"{last_month():%Y-%m}"},
    )
    assert other.status_code == 404
    sup_create = api(org.supervisor)(
        "post",
        "/supervision/reports",
        {"department_id": org.rsj.pk, "month": f"{last_month():%Y-%m}"},
    )
    assert sup_create.status_code == 403
    upd = h(
        "put",
        f"/supervision/reports/{rid}",
        {"version": version, "figures": {"matters_month": 3}, "work_done": "开展评估"},
    )
    assert upd.status_code == 200, upd.content
    fig = next(f for f in upd.json()["figures"] if f["key"] == "matters_month")
    assert fig == {**fig, "value": 3, "pulled": 0, "corrected": True}
    stale = h("put", f"/supervision/reports/{rid}", {"version": version, "work_done": "x"})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    version = upd.json()["version"]
    sub = h("post", f"/supervision/reports/{rid}/submit", {"version": version})
    assert sub.status_code == 200 and sub.json()["late"] is True
    version = sub.json()["version"]
    own = api(org.rsj_head)("post", f"/supervision/reports/{rid}/acknowledge", {"version": version})
    assert own.status_code == 403
    sup = api(org.supervisor)
    ret = sup(
        "post", f"/supervision/reports/{rid}/return", {"version": version, "reason": "数据不全"}
    )
    assert ret.status_code == 200 and ret.json()["status"] == "returned"
    version = ret.json()["version"]
    sub = h("post", f"/supervision/reports/{rid}/submit", {"version": version})
    version = sub.json()["version"]
    ack = sup("post", f"/supervision/reports/{rid}/acknowledge", {"version": version})
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    version = ack.json()["version"]
    locked = h("put", f"/supervision/reports/{rid}", {"version": version, "work_done": "改"})
    assert locked.status_code == 400 and "已签收" in locked.json()["detail"]
    refresh = h("post", f"/supervision/reports/{rid}/refresh", {"version": version})
    assert refresh.status_code == 400
    assert api(org.zjj_handler)("get", f"/supervision/reports/{rid}").status_code == 404
    listed = sup("get", "/supervision/reports?status=acknowledged")
    assert [x["id"] for x in listed.json()["items"]] == [rid]
    assert h("get", f"/supervision/reports/{rid}/report.docx").status_code == 200
    assert h("get", f"/supervision/reports/{rid}/report.xlsx").status_code == 200
    ov = sup("get", f"/supervision/reports/overview?month={last_month():%Y-%m}").json()
    states = {row["department"]: row["state"] for row in ov["rows"]}
    assert states["人社局"] == "late" and states["住建局"] == "overdue"
    assert ov["late"] == 1 and ov["acknowledged"] == 1


# ------------------------------------------------------------------ the DOCX template


def test_shipped_template_renders_its_sample_and_the_builder_writes_it(tmp_path):
    from fengping.reports import actions as report_actions
    from fengping.reports.render import OTHER_KINDS
    from fengping.supervision.report_templates import build

    kind = OTHER_KINDS["sv-monthly"]
    assert kind.builtin.name == "sv_monthly_report.docx"
    report_actions.check_template(kind.builtin.read_bytes(), "sv-monthly")
    assert build.main([str(tmp_path)]) == 0
    report_actions.check_template((tmp_path / build.NAME).read_bytes(), "sv-monthly")


def test_an_administrator_replaces_the_template(org, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fengping.reports import actions as report_actions

    document = Document()
    document.add_paragraph("本市格式：{{ department }}{{ month }}")
    out = io.BytesIO()
    document.save(out)
    report_actions.do_upload_template(
        org.admin, "sv-monthly", SimpleUploadedFile("m.docx", out.getvalue())
    )
    r = create(org)
    resp = login(org.rsj_head).get(reverse("supervision:report_docx", args=[r.pk]))
    text = "\n".join(p.text for p in Document(io.BytesIO(resp.content)).paragraphs)
    assert f"本市格式：人社局{last_month().year}年{last_month().month}月" in text
    report_actions.do_reset_template(org.admin, "sv-monthly")


def test_an_office_clerk_reads_and_signs_what_was_sent_to_the_office(org, login, api):
    """A 维稳办 handler who is not a 督查 sees no department's reports by role, yet signs
    the ones submitted to the office: they open them (page, list, API) once submitted,
    never a draft, and change nothing of the department's."""
    from fengping.org.models import Role
    from tests.conftest import _user

    clerk = _user(org.admin, "wwb_clerk", org.wwb, Role.HANDLER)
    r = submitted(org)
    draft = create(org, month=this_month())
    page = login(clerk)
    assert page.get(reverse("supervision:report", args=[r.pk])).status_code == 200
    assert page.get(reverse("supervision:report", args=[draft.pk])).status_code == 404
    listed = page.get(reverse("supervision:reports")).content.decode()
    assert str(r.department) in listed
    assert api(clerk)("get", f"/supervision/reports/{r.pk}").status_code == 200
    assert api(clerk)("get", f"/supervision/reports/{draft.pk}").status_code == 404
    assert page.get(reverse("supervision:report_edit", args=[r.pk])).status_code == 403
    response = page.post(
        reverse("supervision:report_acknowledge", args=[r.pk]), {"version": r.version}
    )
    assert response.status_code == 302
    assert MonthlyReport.objects.get(pk=r.pk).status == ReportStatus.ACKNOWLEDGED
    # An outsider still sees neither.
    outsider = login(org.zjj_handler)
    assert outsider.get(reverse("supervision:report", args=[r.pk])).status_code == 404
