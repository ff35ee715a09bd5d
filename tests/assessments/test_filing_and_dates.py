"""Issue 8, loopholes 5 and 6: filing with EVERY recipient office, 签收 by each office, a
late filing needs its reason and stays marked; dates of decisions, filings, measures and
plans checked, and the 文号's year. Through the action, the page and the API."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from fengping.assessments import actions
from fengping.assessments.models import Decision, Filing
from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.matters.models import Matter

from .flow import approve_reviews, register, to_decide_step, to_grade_step

TODAY = timezone.localdate
LOW = ((1.0, "very_low", "negligible"),)


def decided(org, days_ago=0):
    """An assessment decided `days_ago` days ago, its reviews signed the day before."""
    a = approve_reviews(org, to_decide_step(org, to_grade_step(org, factors=LOW)))
    on = TODAY() - dt.timedelta(days=days_ago)
    a.reviews.update(at=timezone.now() - dt.timedelta(days=days_ago + 1))
    actions.do_decide(
        org.rsj_handler, a, outcome="reject", doc_no=f"示政发〔{on.year}〕9号", decided_on=on
    )
    return a


# ------------------------------------------------------------------ loophole 5


def test_filing_goes_to_every_office_and_each_acknowledges(org):
    a = decided(org)
    wwb = actions.do_file(org.rsj_handler, a, office=org.wwb, filed_on=TODAY())
    assert a.filings_missing() == ["镇联席办"]
    with pytest.raises(ActionError, match="尚缺：备案"):
        actions.do_complete_step(org.rsj_handler, a, "decide")
    lxb = actions.do_file(org.rsj_handler, a, office=org.lxb, filed_on=TODAY())
    assert a.filing_complete() and not wwb.late
    # 签收 by a member of the receiving office only, once.
    with pytest.raises(PermissionDenied, match="只有联席办的人员"):
        actions.do_acknowledge_filing(org.supervisor, lxb)
    with pytest.raises(PermissionDenied):
        actions.do_acknowledge_filing(org.rsj_handler, wwb)
    actions.do_acknowledge_filing(org.supervisor, wwb)
    actions.do_acknowledge_filing(org.lxb_supervisor, lxb)
    with pytest.raises(ActionError, match="已于"):
        actions.do_acknowledge_filing(org.lxb_supervisor, lxb)
    assert Filing.objects.filter(acknowledged_at__isnull=False).count() == 2
    assert Event.objects.filter(action="assessments.filing.acknowledge").count() == 2
    # A filing goes to a supervising office the scheme lists, not anywhere.
    with pytest.raises(ActionError, match="备案机关应为本组织的镇维稳办、镇联席办"):
        actions.do_file(org.rsj_handler, a, office=org.zjj, filed_on=TODAY())


def test_late_filing_needs_a_reason_and_stays_marked(org, login):
    a = decided(org, days_ago=3)
    with pytest.raises(ActionError, match="请说明逾期原因") as refused:
        actions.do_file(org.rsj_handler, a, office=org.wwb, filed_on=TODAY())
    assert refused.value.field == "late_reason"
    f = actions.do_file(
        org.rsj_handler, a, office=org.wwb, filed_on=TODAY(), late_reason="领导出差"
    )
    assert f.late and f.late_reason == "领导出差"
    # In the assessments list, on the assessment and in the office's view.
    page = login(org.rsj_handler).get(reverse("assessments:list")).content.decode()
    assert "逾期备案" in page
    page = (
        login(org.rsj_handler)
        .get(reverse("assessments:detail", args=[a.pk]) + "?tab=filing")
        .content.decode()
    )
    assert "逾期备案" in page and "领导出差" in page and "尚未向镇联席办备案" in page
    page = login(org.supervisor).get(reverse("assessments:filing_inbox")).content.decode()
    assert "逾期备案" in page and a.matter.title in page
    page = login(org.supervisor).get(reverse("matters:detail", args=[a.matter.pk]))
    assert "逾期备案：维稳办" in page.content.decode()
    # The other office receives nothing yet; an outsider's view is empty.
    page = login(org.lxb_supervisor).get(reverse("assessments:filing_inbox")).content.decode()
    assert a.matter.title not in page
    page = login(org.zjj_handler).get(reverse("assessments:filing_inbox")).content.decode()
    assert a.matter.title not in page


def test_acknowledge_through_page_and_api(org, login, api):
    a = decided(org)
    wwb = actions.do_file(org.rsj_handler, a, office=org.wwb, filed_on=TODAY())
    lxb = actions.do_file(org.rsj_handler, a, office=org.lxb, filed_on=TODAY())
    url = reverse("assessments:filing_acknowledge", args=[wwb.pk])
    assert login(org.lxb_supervisor).post(url).status_code == 403
    assert login(org.zjj_handler).post(url).status_code == 404
    response = login(org.supervisor).post(url, follow=True)
    assert "已签收" in response.content.decode()
    r = api(org.supervisor)("post", f"/filings/{lxb.pk}/acknowledge", {})
    assert r.status_code == 403
    r = api(org.zjj_handler)("post", f"/filings/{lxb.pk}/acknowledge", {})
    assert r.status_code == 404
    r = api(org.lxb_supervisor)("get", "/filings?pending=true")
    assert [f["id"] for f in r.json()] == [lxb.pk]
    r = api(org.lxb_supervisor)("post", f"/filings/{lxb.pk}/acknowledge", {})
    assert r.status_code == 200 and r.json()["acknowledged_by_id"] == org.lxb_supervisor.pk
    r = api(org.lxb_supervisor)("post", f"/filings/{lxb.pk}/acknowledge", {})
    assert r.status_code == 400
    r = api(org.rsj_handler)("get", f"/assessments/{a.pk}/filings")
    assert all(f["acknowledged_at"] for f in r.json())


def test_late_filing_through_the_api(org, api):
    a = decided(org, days_ago=2)
    body = {"office_id": org.wwb.pk, "filed_on": TODAY().isoformat()}
    r = api(org.rsj_handler)("post", f"/assessments/{a.pk}/filings", body)
    assert r.status_code == 400 and "逾期原因" in r.json()["detail"]
    r = api(org.rsj_handler)(
        "post", f"/assessments/{a.pk}/filings", {**body, "late_reason": "印发延迟"}
    )
    assert r.status_code == 201 and r.json()["late"] is True


# ------------------------------------------------------------------ loophole 6


def test_decision_date_between_the_last_approval_and_today(org, api):
    a = approve_reviews(org, to_decide_step(org, to_grade_step(org, factors=LOW)))
    today = TODAY()
    for bad in (dt.date(2020, 5, 1), today - dt.timedelta(days=1)):
        with pytest.raises(ActionError, match="不能早于最后一次审查通过的日期") as refused:
            actions.do_decide(
                org.rsj_handler,
                a,
                outcome="reject",
                doc_no=f"示政发〔{bad.year}〕1号",
                decided_on=bad,
            )
        assert refused.value.field == "decided_on"
    tomorrow = today + dt.timedelta(days=1)
    with pytest.raises(ActionError, match="不能晚于今天"):
        actions.do_decide(
            org.rsj_handler,
            a,
            outcome="reject",
            doc_no=f"示政发〔{tomorrow.year}〕1号",
            decided_on=tomorrow,
        )
    r = api(org.rsj_handler)(
        "post",
        f"/assessments/{a.pk}/decision",
        {"outcome": "reject", "doc_no": "示政发〔2020〕1号", "decided_on": "2020-05-01"},
    )
    assert r.status_code == 400 and "最后一次审查通过" in r.json()["detail"]
    assert not Decision.objects.exists()


def test_doc_no_year_must_match_the_decision_date(org, login):
    a = approve_reviews(org, to_decide_step(org, to_grade_step(org, factors=LOW)))
    today = TODAY()
    with pytest.raises(ActionError, match="文号中的年份") as refused:
        actions.do_decide(
            org.rsj_handler,
            a,
            outcome="reject",
            doc_no=f"示政发〔{today.year - 1}〕1号",
            decided_on=today,
        )
    assert refused.value.field == "doc_no"
    response = login(org.rsj_handler).post(
        reverse("assessments:decide", args=[a.pk]),
        {
            "outcome": "reject",
            "doc_no": f"示政发〔{today.year + 1}〕1号",
            "decided_on": today.isoformat(),
            "authority": "市政府",
        },
    )
    assert response.status_code == 200 and "文号中的年份" in response.content.decode()
    # Without an assessment too.
    matter = register(org, title="其他事项")
    Matter.objects.filter(pk=matter.pk).update(must_assess=False)
    matter.refresh_from_db()
    with pytest.raises(ActionError, match="文号中的年份"):
        actions.do_decide_without_assessment(
            org.rsj_handler,
            matter,
            outcome="reject",
            doc_no=f"示政发〔{today.year - 1}〕2号",
            decided_on=today,
            authority="市政府",
        )
    with pytest.raises(ActionError, match="不能晚于今天"):
        actions.do_decide_without_assessment(
            org.rsj_handler,
            matter,
            outcome="reject",
            doc_no=f"示政发〔{today.year}〕2号",
            decided_on=today + dt.timedelta(days=1),
            authority="市政府",
        )


def test_filing_and_measure_dates(org):
    a = decided(org, days_ago=1)
    decision = Decision.objects.get(assessment=a)
    with pytest.raises(ActionError, match="不能早于决定日期"):
        actions.do_file(
            org.rsj_handler,
            a,
            office=org.wwb,
            filed_on=decision.decided_on - dt.timedelta(days=1),
        )
    with pytest.raises(ActionError, match="不能晚于今天"):
        actions.do_file(org.rsj_handler, a, office=org.wwb, filed_on=TODAY() + dt.timedelta(days=1))
    with pytest.raises(ActionError, match="完成时限不能早于决定日期") as refused:
        actions.do_add_measure(
            org.rsj_handler,
            a,
            kind="response",
            title="回访",
            owner="养老保险科",
            due=decision.decided_on - dt.timedelta(days=30),
        )
    assert refused.value.field == "due"


def test_late_filing_on_the_page_keeps_the_input_and_asks_for_the_reason(org, login):
    a = decided(org, days_ago=2)
    client = login(org.rsj_handler)
    url = reverse("assessments:file", args=[a.pk])
    body = {"office": org.lxb.pk, "filed_on": TODAY().isoformat(), "note": "报送纸质件"}
    response = client.post(url, body)
    page = response.content.decode()
    assert response.status_code == 200 and "请说明逾期原因" in page and "报送纸质件" in page
    assert not a.filings.exists()
    response = client.post(url, {**body, "late_reason": "印发延迟"})
    assert response.status_code == 302
    assert a.filings.get().late_reason == "印发延迟"
