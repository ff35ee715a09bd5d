"""Reminders and escalation (issue 12): the stages of the scheme's policy (7 and 1 days
before; the owner 1 day after, the 主要负责人 after 3, the office after 7), sent once —
however often the tick runs —, never for done work, in the app and by email; and the
notification centre (page, bell, API)."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from fengping.audit.models import Event
from fengping.core import tick
from fengping.org.models import Membership, Role
from fengping.supervision import reminders
from fengping.supervision.actions import reminders as actions
from fengping.supervision.models import (
    Channel,
    Notification,
    NotificationKind,
    Obligation,
    ObligationKind,
    Reminder,
)

DUE = dt.date(2026, 6, 15)  # a Monday, a working day
_keys = itertools.count(1)


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Asia/Shanghai"))


def day(offset: int) -> dt.date:
    return DUE + dt.timedelta(days=offset)


def obligation(org, *, owner="handler", due=DUE, office=True, **extra) -> Obligation:
    return Obligation.objects.create(
        kind=ObligationKind.MONTHLY_REPORT,
        key=f"test:{next(_keys)}",
        department=org.rsj,
        owner=org.rsj_handler if owner == "handler" else owner,
        office=org.wwb if office else None,
        title="5月工作进展情况报告表",
        url="/supervision/",
        base_due_on=due,
        due_on=due,
        **extra,
    )


@pytest.fixture(autouse=True)
def rows_as_built(monkeypatch):
    """The tests below build their obligations by hand: the tick's sync, which would close
    those rows and open the organisation's real ones, is left out here — and tested with
    the reminders at the end of the module."""
    from fengping.supervision import obligations

    monkeypatch.setattr(obligations, "sync", lambda now=None, kinds=None: {})
    return monkeypatch


@pytest.fixture
def people(org):
    for i, user in enumerate((org.rsj_handler, org.rsj_head, org.supervisor)):
        user.email = f"p{i}@example.cn"
        user.save(update_fields=["email"])
    return org


def notes(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("title", flat=True))


# ------------------------------------------------------------------ stages


def test_stage_by_day(org):
    ob = obligation(org)
    expected = {
        -8: None,
        -7: "before:7",
        -6: None,
        -2: None,  # no 7-day reminder on the second day before
        -1: "before:1",
        0: None,
        1: "after:1:owner",
        2: "after:1:owner",
        3: "after:3:head",
        6: "after:3:head",
        7: "after:7:office",
        40: "after:7:office",
    }
    got = {k: getattr(reminders.stage_due(ob, day(k)), "code", None) for k in expected}
    assert got == expected


def test_escalation_reaches_owner_then_head_then_office_on_their_days(people):
    org = people
    obligation(org)
    sent: dict[int, list[str]] = {}
    for offset in range(-9, 12):
        before = Notification.objects.count()
        actions.run_reminders(at(day(offset)))
        sent[offset] = [n.user.username for n in Notification.objects.order_by("pk")[before:]]
    assert {k: v for k, v in sent.items() if v} == {
        -7: ["rsj_handler"],
        -1: ["rsj_handler"],
        1: ["rsj_handler"],
        3: ["rsj_head"],
        7: ["supervisor"],
    }
    kinds = list(Notification.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == [
        NotificationKind.REMINDER,
        NotificationKind.REMINDER,
        NotificationKind.OVERDUE,
        NotificationKind.ESCALATION,
        NotificationKind.ESCALATION,
    ]
    # One email per notification, to the same people.
    assert [m.to for m in mail.outbox] == [
        ["p0@example.cn"],
        ["p0@example.cn"],
        ["p0@example.cn"],
        ["p1@example.cn"],
        ["p2@example.cn"],
    ]
    assert "还有7天" in mail.outbox[0].body
    assert "逾期7天" in mail.outbox[-1].body


def test_a_missed_day_still_escalates_to_the_latest_stage(people):
    org = people
    obligation(org)
    actions.run_reminders(at(day(5)))  # the tick did not run on day 3
    assert notes(org.rsj_head) and not notes(org.supervisor)
    actions.run_reminders(at(day(9)))  # nor on day 7
    assert notes(org.supervisor)


def test_running_twice_sends_nothing_twice(people):
    org = people
    obligation(org)
    first = actions.run_reminders(at(day(-7)))
    assert first.sent == {Channel.APP: 1, Channel.EMAIL: 1}
    counts = (Notification.objects.count(), Reminder.objects.count(), len(mail.outbox))
    again = actions.run_reminders(at(day(-7), hour=18))
    assert (Notification.objects.count(), Reminder.objects.count(), len(mail.outbox)) == counts
    assert again.already_sent == 1 and not again.sent
    assert counts == (1, 2, 1)
    assert set(Reminder.objects.values_list("channel", "ok", "detail")) == {
        (Channel.APP, True, ""),
        (Channel.EMAIL, True, ""),
    }


def test_done_work_gets_no_reminder_even_when_due(people):
    org = people
    obligation(org, done_at=timezone.now())
    for offset in (-7, -1, 1, 3, 7):
        actions.run_reminders(at(day(offset)))
    assert not Notification.objects.exists() and not mail.outbox


def test_work_done_after_the_list_was_read_is_skipped_under_the_lock(people):
    """The obligation is re-read FOR UPDATE inside the sending transaction."""
    org = people
    ob = obligation(org)
    stale = Obligation.objects.get(pk=ob.pk)  # read while open
    Obligation.objects.filter(pk=ob.pk).update(done_at=timezone.now())
    counts = reminders.RunCounts()
    stage = reminders.stage_due(stale, day(-7))
    outbox = reminders._stage(stale, stage, day(-7), counts)
    assert counts.skipped_done == 1 and not outbox.items
    assert not Notification.objects.exists() and not Reminder.objects.exists()


def test_without_owner_the_departments_handlers_and_head_are_told(people):
    org = people
    obligation(org, owner=None)
    actions.run_reminders(at(day(-1)))
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == [
        "rsj_handler",
        "rsj_head",
    ]


def test_without_office_the_office_stage_reaches_nobody_and_says_so(people):
    org = people
    obligation(org, office=False)
    counts = actions.run_reminders(at(day(8)))
    assert counts.no_recipient == 1 and not Notification.objects.exists()


def test_inactive_owner_falls_back_and_users_without_email_get_no_mail(people):
    org = people
    org.rsj_handler.is_active = False
    org.rsj_handler.save(update_fields=["is_active"])
    org.rsj_head.email = ""
    org.rsj_head.save(update_fields=["email"])
    obligation(org)
    actions.run_reminders(at(day(-7)))
    assert notes(org.rsj_head) and not notes(org.rsj_handler)
    assert not mail.outbox
    assert not Reminder.objects.filter(channel=Channel.EMAIL).exists()


class BrokenMail:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


@override_settings(EMAIL_BACKEND="tests.supervision.test_reminders.BrokenMail")
def test_a_failed_email_is_recorded_and_the_tick_goes_on(people):
    org = people
    obligation(org)
    obligation(org, owner=org.rsj_head)
    counts = actions.run_reminders(at(day(-7)))
    assert counts.failed == {Channel.EMAIL: 2}
    assert counts.sent == {Channel.APP: 2}
    rows = Reminder.objects.filter(channel=Channel.EMAIL)
    assert {(r.ok, r.detail) for r in rows} == {(False, "ConnectionRefusedError: smtp down")}
    # Not retried: a failed send is on the ledger, as sent-and-failed.
    actions.run_reminders(at(day(-7), 20))
    assert Reminder.objects.count() == 4


def test_an_interrupted_send_stays_pending_and_is_counted(people):
    org = people
    ob = obligation(org)
    Reminder.objects.create(
        obligation=ob, stage="before:7", channel=Channel.EMAIL, recipient_key="user:1",
        ok=False, detail=reminders.PENDING,
    )  # fmt: skip
    Reminder.objects.update(sent_at=timezone.now() - dt.timedelta(hours=2))
    counts = actions.run_reminders(at(day(-3)))
    assert counts.stale_pending == 1
    assert "pending sends interrupted" in counts.text()


def test_one_audit_event_per_run_with_the_counts(people):
    org = people
    obligation(org)
    obligation(org, owner=org.rsj_head)
    before = Event.objects.filter(action="supervision.reminders.run").count()
    actions.run_reminders(at(day(-7)))
    events = Event.objects.filter(action="supervision.reminders.run")
    assert events.count() == before + 1
    after = events.latest("seq").after
    assert after["sent"] == {"app": 2, "email": 2}
    assert after["day"] == "2026-06-08"


def test_the_tick_job_is_registered_and_runs_once_a_day(org):
    assert "supervision.reminders" in tick.JOBS
    assert tick.JOBS["supervision.reminders"].period is tick.daily
    assert "obligations due a stage" in actions.reminders_job()


def test_holiday_moved_due_dates_count_from_the_moved_date(people):
    """The stages count from `due_on` (the date that counts), not the rule's date."""
    org = people
    obligation(org, due=dt.date(2026, 10, 8))
    ob = Obligation.objects.get()
    ob.base_due_on = dt.date(2026, 10, 1)
    ob.save()
    assert reminders.stage_due(ob, dt.date(2026, 10, 7)).code == "before:1"


# ------------------------------------------------------------------ notification centre


@pytest.fixture
def inbox(org):
    ob = obligation(org)
    mine = [
        Notification.objects.create(
            user=org.rsj_head,
            kind=NotificationKind.REMINDER,
            title=f"提醒{i}",
            url="/supervision/notices/",
            obligation=ob,
        )  # fmt: skip
        for i in range(3)
    ]
    other = Notification.objects.create(
        user=org.zjj_handler, kind=NotificationKind.INFO, title="别人的通知"
    )
    return mine, other


def test_the_centre_lists_ones_own_and_the_bell_counts_unread(org, login, inbox):
    mine, _other = inbox
    client = login(org.rsj_head)
    page = client.get(reverse("supervision:notifications")).content.decode()
    assert "提醒2" in page and "别人的通知" not in page
    assert 'id="nav-unread">3<' in page
    unread = client.get(reverse("supervision:notifications"), {"unread": "1", "kind": "reminder"})
    assert unread.status_code == 200 and "提醒0" in unread.content.decode()
    xlsx = client.get(reverse("supervision:notifications_export"))
    assert xlsx.status_code == 200


def test_marking_read_one_all_and_not_others(org, login, inbox):
    mine, other = inbox
    client = login(org.rsj_head)
    response = client.post(reverse("supervision:notification_read", args=[mine[0].pk]))
    assert response.status_code == 302
    assert Notification.objects.get(pk=mine[0].pk).read_at is not None
    opened = client.post(reverse("supervision:notification_read", args=[mine[1].pk]), {"open": "1"})
    assert opened["Location"] == "/supervision/notices/"
    page = client.get(reverse("supervision:notifications"), {"unread": "0"}).content.decode()
    assert "提醒0" in page and "提醒2" not in page
    assert 'id="nav-unread">1<' in page
    assert client.post(reverse("supervision:notification_read", args=[other.pk])).status_code == 404
    assert (
        client.get(reverse("supervision:notification_read", args=[mine[2].pk])).status_code == 405
    )
    client.post(reverse("supervision:notifications_read_all"))
    assert not Notification.objects.filter(user=org.rsj_head, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=other.pk).read_at is None
    assert "nav-unread" not in client.get(reverse("supervision:notifications")).content.decode()


def test_an_open_link_off_site_is_not_followed(org, login):
    n = Notification.objects.create(
        user=org.rsj_head, kind="info", title="x", url="https://evil.example/"
    )
    client = login(org.rsj_head)
    response = client.post(reverse("supervision:notification_read", args=[n.pk]), {"open": "1"})
    assert response["Location"] == reverse("supervision:notifications")


def test_api_twins(org, api, inbox):
    mine, other = inbox
    call = api(org.rsj_head)
    listed = call("get", "/supervision/notifications?unread=1")
    assert listed.status_code == 200
    assert [n["title"] for n in listed.json()["items"]] == ["提醒2", "提醒1", "提醒0"]
    assert call("get", "/supervision/notifications/unread-count").json() == {"unread": 3}
    read = call("post", f"/supervision/notifications/{mine[0].pk}/read")
    assert read.status_code == 200 and read.json()["read_at"]
    again = call("post", f"/supervision/notifications/{mine[0].pk}/read")
    assert again.json()["read_at"] == read.json()["read_at"]
    assert call("post", f"/supervision/notifications/{other.pk}/read").status_code == 404
    assert call("post", "/supervision/notifications/read-all").json() == {"marked": 2}
    assert call("get", "/supervision/notifications/unread-count").json() == {"unread": 0}
    assert Notification.objects.get(pk=other.pk).read_at is None


def test_the_list_and_the_bell_cost_a_constant_number_of_queries(org, login):
    Notification.objects.bulk_create(
        Notification(user=org.rsj_head, kind="info", title=f"m{i}") for i in range(60)
    )
    client = login(org.rsj_head)
    url = reverse("supervision:notifications")
    client.get(url)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    Notification.objects.bulk_create(
        Notification(user=org.rsj_head, kind="info", title=f"n{i}") for i in range(200)
    )
    assert count() == few


def test_ones_memberships_do_not_matter_to_the_bell(org, login):
    """Notifications are personal: a user without memberships sees their own."""
    Membership.objects.filter(user=org.rsj_handler).delete()
    Notification.objects.create(user=org.rsj_handler, kind="info", title="仍然可见")
    client = login(org.rsj_handler)
    page = client.get(reverse("supervision:notifications")).content.decode()
    assert "仍然可见" in page
    assert Role.HANDLER  # the persona kept its account


# ------------------------------------------------------------------ with the real sync


def test_the_tick_syncs_first_so_work_done_is_never_reminded(people, rows_as_built):
    """The tick brings the obligations up to date before it sends: 人社局's report for
    next month is reminded 7 days before it is due; once submitted, its 1-day reminder
    never goes out and the obligation is closed."""
    from fengping.supervision import obligations
    from fengping.supervision.models import MonthlyReport, ReportStatus

    rows_as_built.undo()
    today = timezone.localdate()
    month = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)  # next month
    obligations.sync(at(month.replace(day=13)))
    ob = Obligation.objects.get(
        kind=ObligationKind.MONTHLY_REPORT, department=people.rsj, due_on__month=month.month
    )
    actions.run_reminders(at(ob.due_on - dt.timedelta(days=7)))
    stages = set(Reminder.objects.filter(obligation=ob).values_list("stage", flat=True))
    assert stages == {"before:7"}
    MonthlyReport.objects.create(
        department=people.rsj,
        month=month,
        status=ReportStatus.SUBMITTED,
        due_on=ob.due_on,
        submitted_at=timezone.now(),
        created_by=people.rsj_handler,
    )
    actions.run_reminders(at(ob.due_on - dt.timedelta(days=1)))
    ob.refresh_from_db()
    assert ob.done_at is not None
    stages = set(Reminder.objects.filter(obligation=ob).values_list("stage", flat=True))
    assert stages == {"before:7"}  # no "before:1" for work already done
