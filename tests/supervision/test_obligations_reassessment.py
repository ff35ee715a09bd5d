"""重新评估 obligations: an information system in service whose assessment stops being
current owes a new one on the day it lapses; a matter decided 暂缓实施 owes a
re-assessment within the supervising scheme's `reassess_postponed` days of the decision
(篇1 六(二), [D]). Each opens with its due date, department, owner and office, closes
when the work is done, syncs idempotently, and reaches the 待办 lists, the reminders and
the iCalendar feed through the generic code."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from fengping.assessments import actions as assessment_actions
from fengping.assessments.models import AssessmentStatus, Decision
from fengping.infosec.models import AssessmentStatus as SystemStatus
from fengping.infosec.models import System, SystemAssessment
from fengping.schemes import BUILTIN_DIR
from fengping.schemes.loader import SchemeError, load_text
from fengping.supervision import deadlines, unassessed
from fengping.supervision import obligations as ob
from fengping.supervision.actions import obligations as obligation_actions
from fengping.supervision.actions import reminders as reminder_actions
from fengping.supervision.models import Notification, Obligation, ObligationKind
from tests.assessments.test_follow_up import decided
from tests.dates import YEAR
from tests.infosec.builders import make_system, start

TODAY = timezone.localdate
KIND = ObligationKind.REASSESSMENT


def is_open(key: str) -> bool:
    return Obligation.objects.filter(key=key, done_at__isnull=True).exists()


def unchanged_by_a_second_sync() -> None:
    before = list(
        Obligation.objects.filter(kind=KIND)
        .values_list("pk", "key", "due_on", "synced_at", "done_at")
        .order_by("pk")
    )
    counts = ob.sync()
    assert {k: counts[k] for k in ("created", "updated", "closed", "reopened")} == dict.fromkeys(
        ("created", "updated", "closed", "reopened"), 0
    )
    assert before == list(
        Obligation.objects.filter(kind=KIND)
        .values_list("pk", "key", "due_on", "synced_at", "done_at")
        .order_by("pk")
    )


def finished(org, system: System, days_ago: int) -> SystemAssessment:
    """An assessment of `system` finished `days_ago` days ago (the infosec steps are
    tested in their own modules)."""
    run = start(org, system)
    SystemAssessment.objects.filter(pk=run.pk).update(
        status=SystemStatus.FINISHED, finished_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return SystemAssessment.objects.get(pk=run.pk)


def system_key(system: System, run: SystemAssessment) -> str:
    return f"reassessment:system:{system.pk}:{run.pk}"


# ------------------------------------------------------------------ information systems


def test_kind_has_a_provider():
    assert ob.PROVIDERS[KIND] is ob.reassessments


def test_a_system_owes_its_reassessment_the_day_its_assessment_lapses(org):
    system = make_system(org, "OA")
    run = finished(org, system, days_ago=30)
    never = make_system(org, "NEW", name="从未评估")  # owes a first assessment (应评未评)
    off = make_system(org, "OFF", name="已停用")
    finished(org, off, days_ago=30)
    System.objects.filter(pk=off.pk).update(is_active=False)

    ob.sync()
    o = Obligation.objects.get(key=system_key(system, run))
    lapses = timezone.localdate(run.finished_at) + dt.timedelta(days=unassessed.system_valid_days())
    assert o.kind == KIND and o.done_at is None
    assert o.base_due_on == lapses and o.due_on == deadlines.next_working_day(lapses)
    assert (o.department, o.owner, o.office) == (org.rsj, org.rsj_handler, org.wwb)
    assert o.url == reverse("infosec:system", args=[system.pk])
    assert "协同办公系统" in o.title
    assert (o.object_type, o.object_id) == ("infosec.system", str(system.pk))
    assert not Obligation.objects.filter(kind=KIND, object_id__in=[str(never.pk), str(off.pk)])
    unchanged_by_a_second_sync()


def test_a_new_finished_assessment_closes_it_and_opens_the_next(org):
    system = make_system(org, "OA")
    old = finished(org, system, days_ago=400)  # lapsed 35 days ago: overdue
    ob.sync()
    assert is_open(system_key(system, old))
    assert Obligation.objects.get(key=system_key(system, old)).days_overdue() > 0

    # Started, not finished: still owed.
    new = start(org, system)
    ob.sync()
    assert is_open(system_key(system, old))

    SystemAssessment.objects.filter(pk=new.pk).update(
        status=SystemStatus.FINISHED, finished_at=timezone.now()
    )
    counts = ob.sync()
    assert counts["closed"] >= 1 and not is_open(system_key(system, old))
    nxt = Obligation.objects.get(key=system_key(system, new))
    assert nxt.done_at is None
    assert nxt.base_due_on == TODAY() + dt.timedelta(days=unassessed.system_valid_days())
    unchanged_by_a_second_sync()

    # Out of service: nothing more is owed.
    System.objects.filter(pk=system.pk).update(is_active=False)
    ob.sync()
    assert not Obligation.objects.filter(kind=KIND, done_at__isnull=True).exists()


def test_the_system_obligation_is_in_the_owners_and_the_departments_lists(org, login):
    system = make_system(org, "OA", name="社保业务系统")
    finished(org, system, days_ago=10)
    ob.sync()
    mine = login(org.rsj_handler).get(reverse("supervision:todo"), {"kind": KIND})
    assert "社保业务系统" in mine.content.decode()
    department = login(org.rsj_head).get(reverse("supervision:todo_department"), {"kind": KIND})
    assert "社保业务系统" in department.content.decode()
    other = login(org.zjj_handler).get(reverse("supervision:todo_department"), {"kind": KIND})
    assert "社保业务系统" not in other.content.decode()


# ------------------------------------------------------------------ 暂缓实施


def postponed_key(decision: Decision) -> str:
    return f"reassessment:decision:{decision.pk}"


def test_a_postponed_matter_owes_a_reassessment_within_the_schemes_days(org):
    a = decided(org, "postpone")
    decision = Decision.objects.get(assessment=a)
    rule = deadlines.supervising_scheme().supervision.reassess_postponed
    assert rule is not None and rule.outcomes == ["postpone"] and rule.within_days == 180

    ob.sync()
    o = Obligation.objects.get(key=postponed_key(decision))
    base = decision.decided_on + dt.timedelta(days=180)
    assert o.kind == KIND and o.done_at is None
    assert (o.base_due_on, o.due_on) == (base, deadlines.next_working_day(base))
    assert (o.department, o.owner, o.office) == (org.rsj, None, org.wwb)
    assert o.url == reverse("matters:detail", args=[a.matter_id])
    assert a.matter.title in o.title and "暂缓实施" in o.title
    assert (o.object_type, o.object_id) == ("matters.matter", str(a.matter_id))
    unchanged_by_a_second_sync()


def test_other_outcomes_owe_none(org):
    decided(org, "reject")
    ob.sync()
    assert not Obligation.objects.filter(kind=KIND).exists()


def test_the_due_date_moves_off_a_holiday(org):
    a = decided(org, "postpone")
    decision = Decision.objects.get(assessment=a)
    # 2026-04-04 + 180 days = 2026-10-01, National Day: due on the 8th.
    Decision.objects.filter(pk=decision.pk).update(decided_on=dt.date(2026, 4, 4))
    ob.sync()
    o = Obligation.objects.get(key=postponed_key(decision))
    assert (o.base_due_on, o.due_on) == (dt.date(2026, 10, 1), dt.date(2026, 10, 8))


def test_a_new_decision_on_the_postponed_matter_closes_it(org):
    a = decided(org, "postpone")
    key = postponed_key(Decision.objects.get(assessment=a))
    ob.sync()
    assert is_open(key)
    assessment_actions.do_add_measure(
        org.rsj_handler, a, kind="counter", title="分批调整、先行试点", owner="养老保险科"
    )
    a = assessment_actions.do_complete_step(org.rsj_handler, a, "follow_up")
    assessment_actions.do_redecide(
        org.rsj_handler,
        a,
        outcome="reject",
        doc_no=f"株人社发〔{YEAR}〕2号",
        decided_on=TODAY(),
        reason="矛盾难以化解，不予实施",
    )
    ob.sync()
    assert not is_open(key)
    assert not Obligation.objects.filter(kind=KIND, done_at__isnull=True).exists()
    unchanged_by_a_second_sync()


def test_a_later_assessment_that_reaches_a_decision_closes_it(org):
    a = decided(org, "postpone")
    key = postponed_key(Decision.objects.get(assessment=a))
    # The matter is assessed again: the postponed assessment is ended (重新评估) and a new
    # one started on the matter.
    assessment_actions.do_record_incident(
        org.rsj_handler,
        a,
        occurred_on=TODAY(),
        description="矛盾已基本化解，重新评估",
        action="reopen",
    )
    a.refresh_from_db()
    assert a.status == AssessmentStatus.CLOSED
    again = assessment_actions.do_start_assessment(org.rsj_handler, a.matter)
    ob.sync()
    assert is_open(key)  # in progress is not done
    # Its decision (the steps to it are tested in the assessments app): done.
    later = Decision.objects.create(
        matter=a.matter,
        assessment=again,
        outcome="postpone",
        outcome_label="暂缓实施",
        doc_no=f"株人社发〔{YEAR}〕5号",
        decided_on=TODAY(),
        authority="市人社局党组",
        recorded_by=org.rsj_handler,
    )
    ob.sync()
    assert not is_open(key)
    # Postponed again: that decision owes its own re-assessment.
    assert is_open(postponed_key(later))
    unchanged_by_a_second_sync()


def test_the_postponed_obligation_is_in_the_departments_list_only(org, login):
    a = decided(org, "postpone")
    ob.sync()
    title = Obligation.objects.get(kind=KIND).title
    department = login(org.rsj_handler).get(reverse("supervision:todo_department"))
    assert title in department.content.decode()
    # Owed with no one named: in every member's own list too.
    assert title in login(org.rsj_head).get(reverse("supervision:todo")).content.decode()
    other = login(org.zjj_handler).get(reverse("supervision:todo_all"), {"kind": KIND})
    assert a.matter.title not in other.content.decode()


def test_the_days_and_outcomes_are_scheme_data(org):
    a = decided(org, "postpone")
    decision = Decision.objects.get(assessment=a)
    ctx = ob._context(TODAY())
    section = ctx.scheme.supervision
    assert section is not None and section.reassess_postponed is not None

    def with_rule(rule):
        supervision = section.model_copy(update={"reassess_postponed": rule})
        ctx.scheme = ctx.scheme.model_copy(update={"supervision": supervision})
        return list(ob.postponed_reassessments(ctx))

    (due,) = with_rule(section.reassess_postponed.model_copy(update={"within_days": 30}))
    assert due.base_due_on == decision.decided_on + dt.timedelta(days=30)
    assert with_rule(section.reassess_postponed.model_copy(update={"outcomes": ["reject"]})) == []
    assert with_rule(None) == []  # a scheme without the rule: no deadline, no obligation


def test_an_unknown_outcome_is_refused_with_its_path():
    data = yaml.safe_load((BUILTIN_DIR / "ssra-town.yaml").read_text(encoding="utf-8"))
    data["supervision"]["reassess_postponed"]["outcomes"] = ["postpone", "later"]
    with pytest.raises(SchemeError) as exc:
        load_text(yaml.safe_dump(data, allow_unicode=True), "ssra-town.yaml")
    assert "supervision.reassess_postponed.outcomes[1]" in str(exc.value)
    data["supervision"]["reassess_postponed"]["within_days"] = 0
    with pytest.raises(SchemeError):
        load_text(yaml.safe_dump(data, allow_unicode=True), "ssra-town.yaml")


# ------------------------------------------------------------------ reminders, feed


def test_reminders_pick_the_kind_up(org):
    system = make_system(org, "OA", name="社保业务系统")
    finished(org, system, days_ago=30)
    ob.sync()
    o = Obligation.objects.get(kind=KIND)
    seven_before = o.due_on - dt.timedelta(days=7)
    now = timezone.make_aware(dt.datetime.combine(seven_before, dt.time(9)))
    reminder_actions.run_reminders(now)
    notes = Notification.objects.filter(user=org.rsj_handler, title__contains="社保业务系统")
    assert notes.count() == 1


def test_a_reassessment_is_in_the_owners_calendar_feed(org, client):
    system = make_system(org, "OA", name="社保业务系统")
    run = finished(org, system, days_ago=30)
    ob.sync()
    o = Obligation.objects.get(key=system_key(system, run))
    _feed, token = obligation_actions.do_rotate_feed(org.rsj_handler)
    r = client.get(reverse("supervision:feed", args=[token]))
    assert r.status_code == 200
    evs = {str(e["uid"]): e for e in Calendar.from_ical(r.content).walk("VEVENT")}
    ev = evs[f"{o.key}@testserver"]
    assert ev.decoded("dtstart") == o.due_on
    assert "社保业务系统" in str(ev["summary"])
    # Not in another department's feed.
    _feed, other = obligation_actions.do_rotate_feed(org.zjj_handler)
    r = client.get(reverse("supervision:feed", args=[other]))
    assert f"{o.key}@testserver" not in r.content.decode()
