"""督办通知 (issue 12): issued by the supervising office for an overdue, open obligation,
numbered 〔year〕N号 from the office's register without gaps or duplicates (two threads on
PostgreSQL), told to the department's head and the owner, as a 红头 DOCX; refused to
anyone else, for work not overdue or done — through the action, the page and the API."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from docx import Document

from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.org import actions as org_actions
from fengping.org.models import Role
from fengping.supervision import notice_docx
from fengping.supervision.actions import notices as actions
from fengping.supervision.models import (
    DocumentRegister,
    Notification,
    NotificationKind,
    Obligation,
    ObligationKind,
    SupervisionNotice,
)
from tests.conftest import PASSWORD, settled

_keys = itertools.count(1)


def overdue(org, *, days=5, office="wwb", **extra) -> Obligation:
    due = timezone.localdate() - dt.timedelta(days=days)
    return Obligation.objects.create(
        kind=ObligationKind.ANNUAL_PLAN,
        key=f"notice-test:{next(_keys)}",
        department=org.rsj,
        owner=org.rsj_handler,
        office=org.wwb if office == "wwb" else office,
        title="年度评估计划表备案",
        url="/supervision/",
        base_due_on=due,
        due_on=due,
        **extra,
    )


def issue(actor, ob, **kw):
    args = {"title": "关于督促备案的通知", "body": "请抓紧办理。", "reply_by": None, **kw}
    return actions.do_issue_notice(actor, ob, **args)


YEAR = timezone.localdate().year


def test_numbers_run_1_2_3_with_no_gaps_and_the_register_keeps_count(org):
    numbers = [issue(org.supervisor, overdue(org)).doc_number for _ in range(3)]
    assert numbers == [f"维稳办督〔{YEAR}〕{n}号" for n in (1, 2, 3)]
    reg = DocumentRegister.objects.get(office=org.wwb, year=YEAR)
    assert reg.last_number == 3


def test_a_refused_notice_takes_no_number(org):
    issue(org.supervisor, overdue(org))
    with pytest.raises(ActionError):
        issue(org.supervisor, overdue(org, days=-3))  # not overdue
    with pytest.raises(ActionError):
        issue(org.supervisor, overdue(org), title="  ")
    assert issue(org.supervisor, overdue(org)).number == 2


def test_the_prefix_is_the_offices_and_numbers_continue_after_a_change(org):
    issue(org.supervisor, overdue(org))
    reg = actions.do_set_register_prefix(org.supervisor, org.wwb, prefix="示维督")
    assert reg.prefix == "示维督"
    assert issue(org.supervisor, overdue(org)).doc_number == f"示维督〔{YEAR}〕2号"
    assert SupervisionNotice.objects.get(number=1).doc_number.startswith("维稳办督")
    assert Event.objects.filter(action="supervision.register.prefix").count() == 1
    with pytest.raises(ActionError):
        actions.do_set_register_prefix(org.supervisor, org.wwb, prefix="坏〔号")
    with pytest.raises(PermissionDenied):
        actions.do_set_register_prefix(org.lxb_supervisor, org.wwb, prefix="联席督")
    with pytest.raises(PermissionDenied):
        actions.do_set_register_prefix(org.rsj_head, org.wwb, prefix="人社督")


def test_a_new_year_keeps_last_years_prefix_and_starts_at_1(org):
    DocumentRegister.objects.create(office=org.wwb, year=YEAR - 1, prefix="旧督", last_number=41)
    assert issue(org.supervisor, overdue(org)).doc_number == f"旧督〔{YEAR}〕1号"


def test_the_department_is_told_and_the_event_recorded(org):
    ob = overdue(org)
    notice = issue(org.supervisor, ob, reply_by=timezone.localdate() + dt.timedelta(days=3))
    told = Notification.objects.filter(kind=NotificationKind.NOTICE)
    assert sorted(told.values_list("user__username", flat=True)) == ["rsj_handler", "rsj_head"]
    assert all(n.url == reverse("supervision:notice", args=[notice.pk]) for n in told)
    event = Event.objects.get(action="supervision.notice.issue")
    assert event.after["doc_number"] == notice.doc_number
    assert event.scope_path == org.rsj.path


def test_refusals_through_the_action(org):
    ob = overdue(org)
    for who in (org.rsj_head, org.rsj_handler, org.zjj_handler, org.lxb_supervisor, org.nobody):
        with pytest.raises(PermissionDenied):
            issue(who, ob)
    with pytest.raises(ActionError, match="尚未逾期"):
        issue(org.supervisor, overdue(org, days=0))
    with pytest.raises(ActionError, match="已完成"):
        issue(org.supervisor, overdue(org, done_at=timezone.now()))
    with pytest.raises(ActionError, match="没有督办机关"):
        issue(org.admin, overdue(org, office=None))
    with pytest.raises(ActionError, match="限期办结日期"):
        issue(org.supervisor, ob, reply_by=timezone.localdate() - dt.timedelta(days=1))
    assert not SupervisionNotice.objects.exists()


def test_a_member_of_both_the_office_and_the_department_may_not_issue(org):
    both, _ = org_actions.do_create_user(
        org.superuser, username="both", real_name="两头", department=org.wwb,
        role=Role.HANDLER, password=PASSWORD,
    )  # fmt: skip
    settled(both)
    org_actions.do_add_membership(org.superuser, both, department=org.rsj_unit, role=Role.ASSESSOR)
    with pytest.raises(PermissionDenied):
        issue(both, overdue(org))
    ob = overdue(org)
    ob.department = org.zjj
    ob.save()
    assert issue(both, ob).number == 1  # another department's work: fine


def test_an_office_handler_issues_and_sees_the_offices_notices(org, login):
    clerk, _ = org_actions.do_create_user(
        org.superuser, username="wwb_clerk", real_name="办事员", department=org.wwb,
        role=Role.HANDLER, password=PASSWORD,
    )  # fmt: skip
    settled(clerk)
    notice = issue(clerk, overdue(org))
    client = login(clerk)
    assert notice.doc_number in client.get(reverse("supervision:notices")).content.decode()
    assert client.get(reverse("supervision:notice", args=[notice.pk])).status_code == 200


def test_refusals_through_the_page(org, login):
    ob = overdue(org)
    url = reverse("supervision:notice_issue", args=[ob.pk])
    data = {"title": "关于督促的通知", "body": "请办理", "reply_by": ""}
    assert login(org.zjj_handler).post(url, data).status_code == 404
    assert login(org.rsj_head).post(url, data).status_code == 403
    assert login(org.lxb_supervisor).post(url, data).status_code == 403
    early = overdue(org, days=-2)
    client = login(org.supervisor)
    page = client.get(reverse("supervision:notice_issue", args=[early.pk]))
    assert "尚未逾期" in page.content.decode()
    response = client.post(reverse("supervision:notice_issue", args=[early.pk]), data)
    assert response.status_code == 200 and "尚未逾期" in response.content.decode()
    done = overdue(org, done_at=timezone.now())
    response = client.post(reverse("supervision:notice_issue", args=[done.pk]), data)
    assert "已完成" in response.content.decode()
    assert not SupervisionNotice.objects.exists()
    # The form prefills a title and body and says the number to come.
    form = client.get(url).content.decode()
    assert "关于督促办理“年度评估计划表备案”的通知" in form
    assert f"维稳办督〔{YEAR}〕1号" in form
    response = client.post(url, data)
    notice = SupervisionNotice.objects.get()
    assert response["Location"] == reverse("supervision:notice", args=[notice.pk])


def test_refusals_through_the_api(org, api):
    ob = overdue(org)
    body = {"title": "关于督促的通知", "body": "请办理"}
    path = f"/supervision/obligations/{ob.pk}/notices"
    assert api(org.zjj_handler)("post", path, body).status_code == 404
    assert api(org.rsj_head)("post", path, body).status_code == 403
    early = overdue(org, days=-2)
    refused = api(org.supervisor)("post", f"/supervision/obligations/{early.pk}/notices", body)
    assert refused.status_code == 400 and "尚未逾期" in refused.json()["detail"]
    done = overdue(org, done_at=timezone.now())
    refused = api(org.supervisor)("post", f"/supervision/obligations/{done.pk}/notices", body)
    assert refused.status_code == 400 and "已完成" in refused.json()["detail"]
    created = api(org.supervisor)("post", path, body)
    assert created.status_code == 201
    assert created.json()["doc_number"] == f"维稳办督〔{YEAR}〕1号"
    call = api(org.rsj_head)
    assert [n["doc_number"] for n in call("get", "/supervision/notices").json()["items"]] == [
        f"维稳办督〔{YEAR}〕1号"
    ]
    assert api(org.zjj_handler)("get", "/supervision/notices").json()["items"] == []
    docx = call("get", f"/supervision/notices/{created.json()['id']}/notice.docx")
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    reg = api(org.supervisor)(
        "put", f"/supervision/notice-registers/{org.wwb.pk}", {"prefix": "维督"}
    )
    assert reg.status_code == 200
    assert reg.json()["next_doc_number"] == f"维督〔{YEAR}〕2号"
    refused = api(org.lxb_supervisor)(
        "put", f"/supervision/notice-registers/{org.wwb.pk}", {"prefix": "联督"}
    )
    assert refused.status_code == 403


def test_list_page_export_and_visibility(org, login):
    notice = issue(org.supervisor, overdue(org))
    for who in (org.supervisor, org.rsj_head, org.admin):
        assert notice.doc_number in login(who).get(reverse("supervision:notices")).content.decode()
    assert (
        notice.doc_number
        not in login(org.zjj_handler).get(reverse("supervision:notices")).content.decode()
    )
    assert (
        login(org.zjj_handler).get(reverse("supervision:notice", args=[notice.pk])).status_code
        == 404
    )
    xlsx = login(org.supervisor).get(reverse("supervision:notices_export"))
    assert xlsx.status_code == 200
    page = login(org.supervisor).get(reverse("supervision:notices")).content.decode()
    assert reverse("supervision:notice_register", args=[org.wwb.pk]) in page


def test_register_settings_page(org, login):
    client = login(org.supervisor)
    url = reverse("supervision:notice_register", args=[org.wwb.pk])
    assert f"维稳办督〔{YEAR}〕1号" in client.get(url).content.decode()
    assert client.post(url, {"prefix": "稳督"}).status_code == 302
    assert DocumentRegister.objects.get(office=org.wwb, year=YEAR).prefix == "稳督"
    assert login(org.lxb_supervisor).post(url, {"prefix": "x"}).status_code == 403
    assert login(org.rsj_head).post(url, {"prefix": "x"}).status_code == 404
    # 人社局's head acts for 人社局, which is no supervising office: no register there.
    other = reverse("supervision:notice_register", args=[org.rsj.pk])
    refused = login(org.rsj_head).post(other, {"prefix": "x"})
    assert refused.status_code == 200 and "只有督办机关" in refused.content.decode()
    assert login(org.supervisor).post(other, {"prefix": "x"}).status_code == 403


def test_the_docx_is_a_red_header_notice(org, login):
    notice = issue(
        org.supervisor, overdue(org), body="人社局：\n请于五日内报送。",
        reply_by=dt.date(YEAR + 1, 1, 10),
    )  # fmt: skip
    response = login(org.rsj_head).get(reverse("supervision:notice_docx", args=[notice.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    doc = Document(io.BytesIO(response.content))
    texts = [p.text for p in doc.paragraphs if p.text.strip()]
    assert texts[0] == "维稳办"
    assert texts[2] == notice.doc_number  # right under the office's name
    assert "关于督促备案的通知" in texts
    assert "请于五日内报送。" in texts
    assert (
        f"请于{notice_docx.cn_upper_date(dt.date(YEAR + 1, 1, 10))}前将办理情况书面报送我办。"
        in texts
    )
    assert notice_docx.cn_upper_date(notice.issued_at) in texts
    assert "维稳办（盖章）" in texts
    red = doc.paragraphs[0].runs[0].font.color.rgb
    assert str(red) == "C00000"


def test_chinese_dates():
    assert notice_docx.cn_upper_date(dt.date(2026, 12, 6)) == "二〇二六年十二月六日"
    assert notice_docx.cn_upper_date(dt.date(2030, 10, 20)) == "二〇三〇年十月二十日"
    assert notice_docx.cn_upper_date(dt.date(2026, 1, 31)) == "二〇二六年一月三十一日"
    assert notice_docx.cn_upper_date(dt.date(2026, 11, 15)) == "二〇二六年十一月十五日"


def test_the_sample_context_renders_the_shipped_template():
    from fengping.reports.render import render_docx, template_for

    path, origin = template_for(notice_docx.REPORT_KEY)
    assert origin == "builtin"
    assert render_docx(path, notice_docx.sample_context()).startswith(b"PK")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_issuers_at_once_get_distinct_consecutive_numbers():
    from tests.conftest import build_org

    org = build_org()
    obligations = [overdue(org) for _ in range(6)]
    barrier = threading.Barrier(len(obligations))
    got: list[int] = []
    errors: list[BaseException] = []

    def run(ob):
        try:
            barrier.wait()
            got.append(issue(org.supervisor, ob).number)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(ob,)) for ob in obligations]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(got) == [1, 2, 3, 4, 5, 6]
    assert DocumentRegister.objects.get(office=org.wwb, year=YEAR).last_number == 6
