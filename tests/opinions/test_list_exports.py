"""Every 征求意见 list exports its filtered rows with the page's columns; a control
character or a formula in a stored value never breaks the export."""

from __future__ import annotations

import datetime as dt
import io

from django.urls import reverse
from openpyxl import load_workbook

from fengping.opinions import actions
from fengping.opinions.models import Comment, Response
from tests.opinions.conftest import answers_for


def sheet_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_responses_export_takes_the_filters(org, login, qn):
    for n, stance in enumerate([0, 1, 1]):
        actions.submit_public_response(
            qn,
            group="企业",
            answers=answers_for(qn, stance, text=f"意见{n}"),
            browser_key=f"{n:064d}",
        )
    Response.objects.filter(pk=Response.objects.order_by("pk").first().pk).update(group="企\x0b业")
    client = login(org.rsj_head)
    url = reverse("opinions:responses_export", args=[qn.pk])
    rows = sheet_rows(client.get(url))
    assert rows[0][:2] == ["#", "群体"] and len(rows) == 4
    assert "企\ufffd业" in [r[1] for r in rows]
    oppose = sheet_rows(client.get(url + "?stance=oppose&year=²"))
    assert len(oppose) == 1 + Response.objects.filter(stance="oppose").count()
    assert "意见" in rows[1][5]
    page = client.get(reverse("opinions:responses", args=[qn.pk])).content.decode()
    assert url in page


def test_activities_export(org, login, matter):
    actions.do_record_activity(
        org.rsj_handler, matter, kind="symposium", date=dt.date(2026, 3, 1), minutes="=1+1"
    )
    actions.do_record_activity(
        org.rsj_handler, matter, kind="hearing", date=dt.date(2026, 5, 1), place="会议室\x01"
    )
    client = login(org.rsj_head)
    url = reverse("opinions:activities_export", args=[matter.pk])
    rows = sheet_rows(client.get(url))
    assert len(rows) == 3 and rows[1][2] == "会议室\ufffd" and rows[2][5] == "'=1+1"
    only = sheet_rows(client.get(url + "?date_from=2026-04-01&date_to=bad"))
    assert len(only) == 2 and only[1][0] == dt.datetime(2026, 5, 1)


def test_comments_export(org, login, matter):
    actions.do_add_comment(org.rsj_handler, matter, channel="letter", content="普通意见")
    actions.do_add_comment(
        org.rsj_handler, matter, channel="letter", content="为什么\x0b不公开", is_query=True
    )
    client = login(org.rsj_head)
    url = reverse("opinions:comments_export", args=[matter.pk])
    rows = sheet_rows(client.get(url))
    assert len(rows) == 3 and "为什么\ufffd不公开" in [r[4] for r in rows]
    queries = sheet_rows(client.get(url + "?show=unanswered"))
    assert len(queries) == 2 and queries[1][5] == "是"
    assert Comment.objects.count() == 2


def test_outsider_gets_404_on_the_exports(org, login, qn, matter):
    client = login(org.zjj_handler)
    for url in (
        reverse("opinions:responses_export", args=[qn.pk]),
        reverse("opinions:activities_export", args=[matter.pk]),
        reverse("opinions:comments_export", args=[matter.pk]),
    ):
        assert client.get(url).status_code == 404
