"""A follow-up measure's completion time (`FollowUpMeasure.completed_at`): set by the
action that marks it 已落实, kept through a later edit of the row (a corrected 佐证, any
save), cleared when it is reopened; shown on the page (local date) and by the API; the
migration fills it for measures done before it existed."""

from __future__ import annotations

import datetime as dt
import importlib

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from fengping.assessments import actions
from fengping.assessments.models import FollowUpMeasure
from fengping.audit.models import Event

from .test_filing_and_dates import decided

UTC = dt.UTC


def measure(org, a) -> FollowUpMeasure:
    return actions.do_add_measure(
        org.rsj_handler,
        a,
        kind="response",
        title="分批兑现",
        owner="养老保险科",
        due=timezone.localdate(),
    )


def update(org, m, status, evidence="已兑现，见台账") -> FollowUpMeasure:
    m = FollowUpMeasure.objects.get(pk=m.pk)
    return actions.do_update_measure(
        org.rsj_handler, m, status=status, evidence=evidence, version=m.version
    )


def test_marking_done_sets_it_and_later_edits_keep_it(org):
    m = measure(org, decided(org))
    assert m.completed_at is None and m.done_on() is None
    m = update(org, m, "in_progress", "已启动")
    assert m.completed_at is None

    before = timezone.now()
    m = update(org, m, "done")
    assert before <= m.completed_at <= timezone.now()
    assert m.done_on() == timezone.localdate(m.completed_at)
    event = Event.objects.filter(action="assessments.measure.update").order_by("-seq").first()
    assert event.after["completed_at"] is not None and event.before["completed_at"] is None

    # Done five days ago (as it would be after time passed): a corrected 佐证 and an
    # unrelated save move updated_at, never the day it was done.
    done_at = timezone.now() - dt.timedelta(days=5)
    FollowUpMeasure.objects.filter(pk=m.pk).update(completed_at=done_at)
    m = update(org, m, "done", "更正佐证：见第2号台账")
    assert m.completed_at == done_at and m.updated_at > done_at
    m.detail = "补充说明"
    m.save()
    m.refresh_from_db()
    assert m.completed_at == done_at and m.updated_at > done_at + dt.timedelta(days=4)
    assert m.done_on() == timezone.localdate(done_at)


def test_reopening_clears_it_and_done_again_sets_a_new_time(org):
    m = update(org, measure(org, decided(org)), "done")
    first = timezone.now() - dt.timedelta(days=3)
    FollowUpMeasure.objects.filter(pk=m.pk).update(completed_at=first)
    m = update(org, m, "in_progress", "群众又有反映，重新落实")
    assert m.completed_at is None and m.done_on() is None
    m = update(org, m, "done")
    assert m.completed_at > first + dt.timedelta(days=2)


def test_the_page_shows_the_local_day_and_the_api_the_time(org, login, api):
    a = decided(org)
    m = update(org, measure(org, a), "done")
    # 17:30 UTC on 1 March is 2 March in Shanghai.
    FollowUpMeasure.objects.filter(pk=m.pk).update(
        completed_at=dt.datetime(2026, 3, 1, 17, 30, tzinfo=UTC)
    )
    url = reverse("assessments:detail", args=[a.pk]) + "?tab=follow"
    body = login(org.rsj_handler).get(url).content.decode()
    assert "落实于 2026年3月2日" in body and "2026年3月1日" not in body

    m = FollowUpMeasure.objects.get(pk=m.pk)
    r = api(org.rsj_handler)(
        "put",
        f"/measures/{m.pk}",
        {"status": "done", "evidence": "已兑现，见台账", "version": m.version},
    )
    assert r.status_code == 200
    assert dt.datetime.fromisoformat(r.json()["completed_at"]) == dt.datetime(
        2026, 3, 1, 17, 30, tzinfo=UTC
    )
    # Read-only: a completion time sent in is ignored.
    m = FollowUpMeasure.objects.get(pk=m.pk)
    r = api(org.rsj_handler)(
        "put",
        f"/measures/{m.pk}",
        {
            "status": "done",
            "evidence": "已兑现",
            "version": m.version,
            "completed_at": "2020-01-01T00:00:00+00:00",
        },
    )
    assert FollowUpMeasure.objects.get(pk=m.pk).completed_at == dt.datetime(
        2026, 3, 1, 17, 30, tzinfo=UTC
    )
    r = api(org.rsj_handler)(
        "put", f"/measures/{m.pk}", {"status": "planned", "version": m.version + 1}
    )
    assert r.status_code == 200 and r.json()["completed_at"] is None


def test_the_migration_fills_it_for_measures_already_done(org):
    a = decided(org)
    done = update(org, measure(org, a), "done")
    still_open = measure(org, a)
    last_change = timezone.now() - dt.timedelta(days=20)
    FollowUpMeasure.objects.filter(pk=done.pk).update(completed_at=None, updated_at=last_change)
    migration = importlib.import_module("fengping.assessments.migrations.0009_measure_completed_at")
    migration.backfill(apps, None)
    assert FollowUpMeasure.objects.get(pk=done.pk).completed_at == last_change
    assert FollowUpMeasure.objects.get(pk=still_open.pk).completed_at is None
