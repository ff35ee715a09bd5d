"""The investigation of an incident's linked objects: what `compile` gathers and which
finding `propose` makes of it, with its signs (supervision.investigation)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fengping.assessments.models import FollowUpMeasure
from fengping.cases.models import AssessmentStatus as CaseStatus
from fengping.cases.models import CaseAssessment, Measure
from fengping.infosec.models import AssessmentStatus as SystemStatus
from fengping.infosec.models import RemediationTask, SystemAssessment
from fengping.supervision import investigation
from fengping.supervision.actions import incidents as actions
from fengping.supervision.models import Finding
from tests.cases.builders import build_courts, make_case
from tests.infosec.builders import make_system, start

from . import incident_builders as b


def _propose(org, **target):
    link = actions.do_link(org.supervisor, b.incident(org), **target)
    history = investigation.compile(link)
    return history, *investigation.propose(history)


def test_rushed_assessment_with_few_respondents_is_formality(org):
    m = b.matter(org)
    b.assessed(org, m, days=1, respondents=3, channels=("online",), queries=2, answered=1)
    history, finding, signs = _propose(org, matter=m)
    assert history["required"] and history["done"]
    assert history["assessment"]["days"] == 1
    assert history["opinions"]["responses"] == 3
    assert history["opinions"]["respondents"] == 5  # 3 answers + 2 comments
    assert history["opinions"]["unanswered"] == 1
    assert finding == Finding.FORMALITY
    assert "评估用时 1 天（少于 3 天）" in signs
    assert "征求意见仅 5 名受访者（少于 10 名）" in signs
    assert "1 条质疑未答复" in signs


def test_a_changed_grade_is_a_sign_with_who_changed_it(org):
    from fengping.assessments.models import GradeOverride, OverrideState

    m = b.matter(org)
    a = b.assessed(org, m)
    GradeOverride.objects.create(
        assessment=a,
        computed_grade="level2",
        proposed_grade="level3",
        reason="群众反映不大",
        proposed_by=org.rsj_handler,
        state=OverrideState.APPROVED,
        decided_by=org.rsj_head,
        decided_at=timezone.now(),
    )
    _history, finding, signs = _propose(org, matter=m)
    assert finding == Finding.FORMALITY
    assert any(
        s.startswith("风险等级被改动（二级→三级，rsj_handler提出，rsj_head批准") for s in signs
    ), signs


def test_no_assessment_is_not_assessed(org):
    m = b.matter(org)
    b.decide_without(org, m)
    history, finding, signs = _propose(org, matter=m)
    assert history["assessment"] is None and history["decision"]["with_assessment"] is False
    assert finding == Finding.NOT_ASSESSED
    assert signs[0].endswith("未完成风险评估")


def test_outside_the_must_assess_categories_is_not_required(org):
    m = b.matter(org, must_assess=False)
    b.decide_without(org, m)
    _history, finding, _signs = _propose(org, matter=m)
    assert finding == Finding.NOT_REQUIRED


def test_overdue_measures_are_not_implemented(org):
    m = b.matter(org)
    b.assessed(org, m, measures=((-5, False), (-2, False), (10, True)))
    history, finding, signs = _propose(org, matter=m)
    assert history["measures"]["overdue"] == 2
    assert finding == Finding.NOT_IMPLEMENTED
    assert signs == ["应对措施 2 项逾期未落实"]


def test_all_done_is_mitigated(org):
    m = b.matter(org)
    b.assessed(org, m, queries=1, answered=1, measures=((10, True), (20, True)))
    _history, finding, signs = _propose(org, matter=m)
    assert finding == Finding.MITIGATED
    assert signs[-1] == "应对措施 2/2 项按期落实"


def test_case_adjudicated_without_assessment_and_with_overdue_measures(org):
    courts = build_courts(org)
    bare = make_case(courts.fy, "（2026）示刑初1号", major_complex=True, stage="ruling")
    _h, finding, _s = _propose(org, case=bare)
    assert finding == Finding.NOT_ASSESSED
    plain = make_case(courts.fy, "（2026）示刑初2号", stage="ruling")
    _h, finding, _s = _propose(org, case=plain)
    assert finding == Finding.NOT_REQUIRED

    assessed = make_case(courts.fy, "（2026）示刑初3号", major_complex=True, stage="ruling")
    run = CaseAssessment.objects.create(
        case=assessed,
        stage="trial",
        reason="early",
        status=CaseStatus.RESOLVED,
        started_by=courts.fy_handler,
        started_at=timezone.now() - dt.timedelta(days=30),
        finished_at=timezone.now() - dt.timedelta(days=10),
        scheme_key="case-risk",
        scheme_version="1",
        scheme_hash="0" * 64,
        scheme_snapshot={},
        current_step="resolve",
    )
    Measure.objects.create(
        assessment=run,
        title="释法说理",
        responsible_unit=courts.fy,
        due_on=timezone.localdate() - dt.timedelta(days=3),
        created_by=courts.fy_handler,
    )
    history, finding, signs = _propose(org, case=assessed)
    assert history["done"] and history["assessment"]["days"] == 20
    assert finding == Finding.NOT_IMPLEMENTED
    assert signs == ["应对措施 1 项逾期未落实"]


def test_system_without_a_current_assessment_and_late_tasks(org):
    bare = make_system(org, "BARE")
    _h, finding, _s = _propose(org, system=bare)
    assert finding == Finding.NOT_ASSESSED

    system = make_system(org, "OA2", name="养老金发放系统")
    run = start(org, system)
    SystemAssessment.objects.filter(pk=run.pk).update(
        status=SystemStatus.FINISHED,
        started_at=timezone.now() - dt.timedelta(days=40),
        finished_at=timezone.now() - dt.timedelta(days=10),
    )
    RemediationTask.objects.create(
        system=system,
        assessment=run,
        title="修补漏洞",
        kind="technical",
        deadline=timezone.localdate() - dt.timedelta(days=1),
        created_by=org.rsj_handler,
    )
    history, finding, signs = _propose(org, system=system)
    assert history["done"] and history["assessment"]["current"]
    assert finding == Finding.NOT_IMPLEMENTED and signs == ["应对措施 1 项逾期未落实"]


def test_history_is_live_until_a_finding_is_adopted_then_stored(org):
    m = b.matter(org)
    b.assessed(org, m, measures=((10, False),))
    link = actions.do_link(org.supervisor, b.incident(org), matter=m)
    assert investigation.history_of(link)["measures"]["total"] == 1
    link = actions.do_adopt_finding(org.supervisor, link, finding=Finding.MITIGATED)
    assert link.compiled["proposal"] == {
        "finding": Finding.MITIGATED,
        "signs": link.compiled["proposal"]["signs"],
    }
    # Later data does not change the stored record; the live compilation sees it.
    FollowUpMeasure.objects.update(due=timezone.localdate() - dt.timedelta(days=9))
    assert investigation.history_of(link)["measures"]["overdue"] == 0
    assert investigation.compile(link)["measures"]["overdue"] == 1
