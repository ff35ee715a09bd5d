"""The private iCalendar feed: the token is the access (only its hash kept), the feed
parses back with `icalendar` and holds the user's obligations as all-day events with
stable UIDs and alarms by the reminder policy; a wrong, rotated or revoked token is 404;
another user's obligations never appear."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from fengping.assessments import actions as assessment_actions
from fengping.audit.models import Event
from fengping.supervision import deadlines
from fengping.supervision import obligations as ob
from fengping.supervision.actions import obligations as actions
from fengping.supervision.models import CalendarFeed, Obligation
from tests.assessments.test_filing_and_dates import decided

TODAY = timezone.localdate


def feed_path(token: str) -> str:
    return reverse("supervision:feed", args=[token])


def events(response) -> dict[str, object]:
    cal = Calendar.from_ical(response.content)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


@pytest.fixture
def data(org):
    """The organisation's plans and reports (synced), and one measure of 人社局 written
    directly (the providers are tested in test_obligations.py)."""
    ob.sync()
    return Obligation.objects.create(
        kind="measure",
        key="measure:999",
        department=org.rsj,
        title="走访解释",
        url="/assessments/",
        base_due_on=TODAY(),
        due_on=deadlines.next_working_day(TODAY()),
    )


def test_the_feed_parses_back_with_the_users_obligations(org, client):
    a = decided(org, days_ago=1)
    m = assessment_actions.do_add_measure(
        org.rsj_handler, a, kind="response", title="走访解释", owner="科", due=TODAY()
    )
    ob.sync()
    _feed, token = actions.do_rotate_feed(org.rsj_handler)
    r = client.get(feed_path(token))
    assert r.status_code == 200
    assert r["Content-Type"] == "text/calendar; charset=utf-8"
    evs = events(r)
    host = "testserver"
    uid = f"measure:{m.pk}@{host}"
    assert uid in evs and f"filing:{a.pk}:joint_office@{host}" in evs
    ev = evs[uid]
    due = Obligation.objects.get(key=f"measure:{m.pk}").due_on  # today, or after a day off
    assert due == deadlines.next_working_day(TODAY())
    assert ev.decoded("dtstart") == due
    assert ev.decoded("dtend") == due + dt.timedelta(days=1)
    assert "走访解释" in str(ev["summary"]) and "人社局" in str(ev["description"])
    assert str(ev["url"]).startswith("http://testserver/")
    assert "dtstamp" in ev
    triggers = sorted(al.decoded("trigger") for al in ev.walk("VALARM"))
    assert triggers == [dt.timedelta(days=-7), dt.timedelta(days=-1)]
    # The same UIDs on the next fetch (a calendar updates events, never duplicates them).
    assert set(events(client.get(feed_path(token)))) == set(evs)
    assert CalendarFeed.objects.get(user=org.rsj_handler).last_used_at is not None


def test_done_obligations_stay_a_while_without_alarms(org, client, data):
    Obligation.objects.filter(pk=data.pk).update(done_at=timezone.now())
    _feed, token = actions.do_rotate_feed(org.rsj_handler)
    ev = events(client.get(feed_path(token)))["measure:999@testserver"]
    assert str(ev["summary"]).startswith("【已完成】") and not ev.walk("VALARM")
    Obligation.objects.filter(pk=data.pk).update(done_at=timezone.now() - dt.timedelta(days=40))
    assert "measure:999@testserver" not in events(client.get(feed_path(token)))


def test_only_the_hash_is_stored_and_a_wrong_token_is_404(org, client, data):
    _feed, token = actions.do_rotate_feed(org.rsj_handler)
    row = CalendarFeed.objects.get(user=org.rsj_handler)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash
    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", row.token_hash):
        assert client.get(feed_path(wrong)).status_code == 404


def test_rotating_ends_the_old_url_and_revoking_ends_all(org, client, data):
    _feed, old = actions.do_rotate_feed(org.rsj_handler)
    _feed, new = actions.do_rotate_feed(org.rsj_handler)
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200
    assert actions.do_revoke_feed(org.rsj_handler) is True
    assert client.get(feed_path(new)).status_code == 404
    assert actions.do_revoke_feed(org.rsj_handler) is False
    codes = list(
        Event.objects.filter(action__startswith="supervision.feed.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert codes == [
        "supervision.feed.create",
        "supervision.feed.rotate",
        "supervision.feed.revoke",
    ]


def test_an_inactive_users_feed_is_404(org, client, data):
    _feed, token = actions.do_rotate_feed(org.rsj_handler)
    type(org.rsj_handler).objects.filter(pk=org.rsj_handler.pk).update(is_active=False)
    assert client.get(feed_path(token)).status_code == 404


def test_another_users_obligations_never_in_my_feed(org, client, data):
    _feed, token = actions.do_rotate_feed(org.zjj_handler)
    evs = events(client.get(feed_path(token)))
    assert "measure:999@testserver" not in evs
    assert any(uid.startswith(f"annual_plan:{org.zjj.pk}:") for uid in evs)
    assert not any(uid.startswith(f"annual_plan:{org.rsj.pk}:") for uid in evs)


def test_the_page_shows_the_url_once_and_rotates_and_revokes(org, login, data):
    c = login(org.rsj_handler)
    page = c.get(reverse("supervision:feed_settings")).content.decode()
    assert "生成订阅地址" in page
    r = c.post(reverse("supervision:feed_rotate"))
    body = r.content.decode()
    assert r.status_code == 200 and "只显示这一次" in body
    token = re.search(r'value="http://testserver/supervision/feed/([A-Za-z0-9_-]+)\.ics"', body)[1]
    assert c.get(feed_path(token)).status_code == 200
    again = c.get(reverse("supervision:feed_settings")).content.decode()
    assert token not in again and "更换订阅地址" in again
    c.post(reverse("supervision:feed_rotate"))
    assert c.get(feed_path(token)).status_code == 404
    assert c.get(reverse("supervision:feed_rotate")).status_code == 405
    r = c.post(reverse("supervision:feed_revoke"))
    assert r.status_code == 302
    assert not CalendarFeed.objects.filter(user=org.rsj_handler).exists()


def test_the_api_creates_rotates_and_revokes(org, api, client):
    call = api(org.rsj_handler)
    r = call("post", "/supervision/calendar-feed")
    assert r.status_code == 200
    url = r.json()["url"]
    path = url.replace("http://testserver", "")
    assert client.get(path).status_code == 200
    r2 = call("post", "/supervision/calendar-feed")
    assert client.get(path).status_code == 404
    assert client.get(r2.json()["url"].replace("http://testserver", "")).status_code == 200
    assert call("delete", "/supervision/calendar-feed").json() == {"revoked": True}
    assert call("delete", "/supervision/calendar-feed").json() == {"revoked": False}
