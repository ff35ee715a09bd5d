"""The day a follow-up measure was carried out is its `completed_at`, not the time the row
last changed: the annual evaluation, the incident investigation and the monthly report's
figures keep their verdict when `updated_at` moves after the due date."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fengping.assessments import actions as assessment_actions
from fengping.assessments.models import FollowUpMeasure, MeasureStatus
from fengping.supervision import evaluation as ev
from fengping.supervision import figures as figs
from fengping.supervision import investigation
from fengping.supervision.actions import incidents as incident_actions
from fengping.supervision.models import Finding
from tests.assessments.test_follow_up import decided

from . import incident_builders as b

TODAY = timezone.localdate
LAST = TODAY().year - 1


def aware(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def done_measure(org, a, title: str) -> FollowUpMeasure:
    """A measure marked 已落实 by the action (its dates are set by the caller)."""
    m = assessment_actions.do_add_measure(
        org.rsj_handler, a, kind="response", title=title, owner="养老保险科", due=TODAY()
    )
    return assessment_actions.do_update_measure(
        org.rsj_handler, m, status="done", evidence="已落实，见台账", version=m.version
    )


def dated(m: FollowUpMeasure, *, due: dt.date, done: dt.date, touched: dt.date) -> None:
    FollowUpMeasure.objects.filter(pk=m.pk).update(
        due=due, completed_at=aware(done), updated_at=aware(touched)
    )


def measures_item(org, year: int) -> dict:
    results = ev.compute(org.root, year, today=dt.date(year + 1, 1, 10))
    rsj = next(r for r in results if r.department.pk == org.rsj.pk)
    return next(x for x in rsj.items if x["code"] == "measures")


def test_evaluation_judges_by_the_completion_day(org):
    a = decided(org, "postpone")
    on_time = done_measure(org, a, "分批兑现")
    late = done_measure(org, a, "政策解读")
    # Done on time, the row touched two months later; done late, touched the same day.
    dated(on_time, due=dt.date(LAST, 6, 30), done=dt.date(LAST, 6, 28), touched=dt.date(LAST, 9, 1))
    dated(late, due=dt.date(LAST, 6, 30), done=dt.date(LAST, 7, 5), touched=dt.date(LAST, 7, 5))
    item = measures_item(org, LAST)
    assert (item["due"], item["done"]) == (2, 1)
    texts = {r["text"]: r["ok"] for r in item["evidence"]}
    assert texts[
        f"措施“分批兑现”（《{a.matter.title}》，时限{LAST}年6月30日）{LAST}年6月28日已落实"
    ]
    assert not texts[f"措施“政策解读”（《{a.matter.title}》，时限{LAST}年6月30日）逾期5天落实"]


def test_investigation_reads_the_completion_day(org):
    m = b.matter(org)
    a = b.assessed(org, m, measures=((-10, True), (-10, True)))
    due = TODAY() - dt.timedelta(days=10)
    first, second = a.measures.order_by("pk")
    # The first was done the day before its due date; its row changed since.
    FollowUpMeasure.objects.filter(pk=first.pk).update(
        completed_at=aware(due - dt.timedelta(days=1)), updated_at=timezone.now()
    )
    # The second was done after it, whatever its row says.
    FollowUpMeasure.objects.filter(pk=second.pk).update(
        completed_at=aware(due + dt.timedelta(days=3)), updated_at=aware(due - dt.timedelta(days=2))
    )
    link = incident_actions.do_link(org.supervisor, b.incident(org), matter=m)
    history = investigation.compile(link)
    items = history["measures"]["items"]
    assert [(i["state"], i["done_on"]) for i in items] == [
        ("done", (due - dt.timedelta(days=1)).isoformat()),
        ("late", (due + dt.timedelta(days=3)).isoformat()),
    ]
    assert history["measures"]["late"] == 1
    # Both on time: the measures are no sign against the department.
    FollowUpMeasure.objects.filter(pk=second.pk).update(completed_at=aware(due))
    history = investigation.compile(link)
    assert history["measures"]["late"] == 0
    finding, signs = investigation.propose(history)
    assert finding == Finding.MITIGATED and signs[-1] == "应对措施 2/2 项按期落实"


def test_the_months_done_figure_counts_what_was_done_by_its_end(org):
    a = decided(org, "postpone")
    month = (TODAY().replace(day=1) - dt.timedelta(days=1)).replace(day=1)  # last month
    in_month = done_measure(org, a, "当月落实")
    after = done_measure(org, a, "次月才落实")
    dated(in_month, due=month.replace(day=10), done=month.replace(day=9), touched=TODAY())
    dated(after, due=month.replace(day=10), done=TODAY().replace(day=1), touched=TODAY())
    pulled = figs.pull(org.rsj, month)
    assert pulled["measures_due_month"]["value"] == 2
    assert pulled["measures_done_month"]["value"] == 1
    # Reopened: not done, whenever it was.
    FollowUpMeasure.objects.filter(pk=in_month.pk).update(
        status=MeasureStatus.IN_PROGRESS, completed_at=None
    )
    assert figs.pull(org.rsj, month)["measures_done_month"]["value"] == 0
