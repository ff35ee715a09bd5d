"""The investigation of the assessment behind an incident (篇1 七(二): 查清事件经过、原因、损失
及重大决策社会稳定风险评估工作的开展落实情况; 篇3 七(四)).

`compile(link)` gathers, for the matter, case or system an incident is linked to, what
the investigators ask: was an assessment required and done, when it started and was
completed and how long it took; for a matter, whether opinions were really collected
(respondents, channels, 质疑 and how many went unanswered), whether the grade was changed
and by whom, the review approvals and the measures (due, done, overdue); for a case its
assessments, the monthly screening's flags and the level changes; for a system its
assessment, the risk decisions and the 安全整改 tasks. The result is plain JSON (dates as
ISO strings), stored as the link's `compiled` snapshot when the office adopts a finding.

`propose(history)` reads the history and proposes a finding with its signs — Chinese
sentences quoting the evidence ("征求意见仅 3 名受访者", "2 条质疑未答复"). The thresholds
are the module constants below, all [D] (the source names the faults, not the numbers):

- MIN_RESPONDENTS: fewer respondents than this (questionnaire answers + people at the
  hearings, symposia and other activities + comments) is a sign of formality;
- MIN_CHANNELS: opinions gathered through fewer channels than this (篇3 六(三) lists
  走访、抽样调查、媒体公示、听证、座谈、专家论证 …);
- MIN_ASSESSMENT_DAYS: an assessment completed in fewer days than this (start to report)
  was rushed.

The order of the findings: required and not done → 应评估而未评估; a sign of formality →
评估流于形式、弄虚作假; a measure overdue or done late → 防范化解工作不落实; otherwise →
已评估并落实措施 (酌情减轻). Not required and not done → 无须评估.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from fengping.supervision.models import Finding, IncidentLink

MIN_RESPONDENTS = 10
MIN_CHANNELS = 2
MIN_ASSESSMENT_DAYS = 3


def _d(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = timezone.localdate(value)
    return value.isoformat()


def _name(user: Any) -> str:
    if user is None:
        return ""
    return user.real_name or user.username


def _days(start: Any, end: Any) -> int | None:
    if start is None or end is None:
        return None
    s = timezone.localdate(start) if isinstance(start, dt.datetime) else start
    e = timezone.localdate(end) if isinstance(end, dt.datetime) else end
    return (e - s).days


def compile(link: IncidentLink, today: dt.date | None = None) -> dict[str, Any]:  # noqa: A001
    today = today or timezone.localdate()
    if link.matter_id:
        return _matter(link.matter, today)
    if link.case_id:
        return _case(link.case, today)
    return _system(link.system, today)


# ----------------------------------------------------------------------------- matter


def _matter(matter: Any, today: dt.date) -> dict[str, Any]:
    from fengping.assessments.models import (
        AssessmentStatus,
        Decision,
        MeasureStatus,
        OverrideState,
    )
    from fengping.opinions.models import Activity, Comment, Response
    from fengping.procedure.models import StepState

    history: dict[str, Any] = {
        "kind": "matter",
        "object": {
            "id": matter.pk,
            "title": matter.title,
            "department": matter.department.name,
            "category": matter.category_label,
        },
        "required": bool(matter.must_assess),
        "required_reason": (
            f"属于必须评估的范围（{matter.category_label}）"
            if matter.must_assess
            else "不属于必须评估的范围"
        ),
    }
    decisions = list(Decision.objects.filter(matter=matter).order_by("decided_on", "id"))
    history["decision"] = (
        {
            "decided_on": _d(decisions[0].decided_on),
            "doc_no": decisions[0].doc_no,
            "outcome": decisions[0].outcome_label,
            "with_assessment": decisions[0].assessment_id is not None,
        }
        if decisions
        else None
    )
    runs = list(matter.assessments.order_by("-started_at", "-id"))
    decided_ids = {d.assessment_id for d in decisions if d.assessment_id}
    run = next((r for r in runs if r.pk in decided_ids), None)
    run = run or next((r for r in runs if r.status != AssessmentStatus.IN_PROGRESS), None)
    run = run or (runs[0] if runs else None)
    done = run is not None and (run.pk in decided_ids or run.status != AssessmentStatus.IN_PROGRESS)
    history["done"] = done
    if run is None:
        history["assessment"] = None
    else:
        decide = run.decide_step()
        steps = [
            s
            for s in run.steps.filter(state=StepState.DONE)
            if decide is None or s.step_code != decide.code
        ]
        completed: Any = max((s.done_at for s in steps if s.done_at), default=None)
        decision = next((d for d in decisions if d.assessment_id == run.pk), None)
        label = _grade_labels(run)
        if completed is None and decision is not None:
            completed = decision.decided_on
        history["assessment"] = {
            "id": run.pk,
            "status": run.get_status_display(),
            "grade": label(run.grade),
            "computed_grade": label(run.computed_grade),
            "started": _d(run.started_at),
            "completed": _d(completed) if done else None,
            "days": _days(run.started_at, completed) if done else None,
        }
        history["overrides"] = [
            {
                "from": label(o.computed_grade),
                "to": label(o.proposed_grade),
                "reason": o.reason,
                "by": _name(o.proposed_by),
                "approved_by": _name(o.decided_by),
                "at": _d(o.decided_at or o.proposed_at),
                "state": o.state,
                "state_label": o.get_state_display(),
            }
            for o in run.overrides.select_related("proposed_by", "decided_by").order_by(
                "proposed_at", "id"
            )
            if o.state in (OverrideState.APPROVED, OverrideState.PROPOSED)
        ]
        history["reviews"] = [
            {
                "stage": r.stage,
                "reviewer": _name(r.reviewer),
                "result": r.get_result_display(),
                "at": _d(r.at),
            }
            for r in run.reviews.select_related("reviewer").filter(voided_at__isnull=True)
        ]
        measures = list(run.measures.order_by("due", "id"))
        history["measures"] = _measures(
            [
                (
                    m.title,
                    m.due,
                    m.status == MeasureStatus.DONE,
                    m.done_on(),
                )
                for m in measures
            ],
            today,
        )
    responses = Response.objects.filter(questionnaire__matter=matter)
    response_count = responses.count()
    response_channels = sorted(set(responses.values_list("channel", flat=True).distinct()))
    activities = list(Activity.objects.filter(matter=matter))
    comments = list(Comment.objects.filter(matter=matter).order_by("created_at", "id"))
    channels: list[str] = []
    labels = dict(Response._meta.get_field("channel").choices or [])
    for code in response_channels:
        channels.append(f"问卷（{labels.get(code, code)}）")
    for label in dict.fromkeys(a.get_kind_display() for a in activities):
        channels.append(str(label))
    for label in dict.fromkeys(c.get_channel_display() for c in comments):
        if str(label) not in channels:
            channels.append(str(label))
    queries = [c for c in comments if c.is_query]
    unanswered = [c for c in queries if c.replied_at is None]
    participants = sum(a.participant_count for a in activities)
    history["opinions"] = {
        "responses": response_count,
        "participants": participants,
        "comments": len(comments),
        "respondents": response_count + participants + len(comments),
        "channels": list(dict.fromkeys(str(c) for c in channels)),
        "queries": len(queries),
        "unanswered": len(unanswered),
        "unanswered_items": [c.content[:80] for c in unanswered],
    }
    return history


def _grade_labels(run: Any) -> Any:
    """code -> the frozen scheme's label of the grade (the code when it has none)."""
    try:
        labels = {g.code: g.label for g in run.scheme.grades}
    except Exception:  # noqa: BLE001 - an unreadable snapshot: show the codes
        labels = {}
    return lambda code: labels.get(code, code) if code else code


def _measures(rows: list[tuple[str, Any, bool, Any]], today: dt.date) -> dict[str, Any]:
    """rows: (title, due, done, done_on)."""
    items = []
    overdue = late = done_count = 0
    for title, due, done, done_on in rows:
        state = "open"
        if done:
            done_count += 1
            state = "done"
            if due is not None and done_on is not None and done_on > due:
                state = "late"
                late += 1
        elif due is not None and due < today:
            state = "overdue"
            overdue += 1
        items.append(
            {"title": title, "due": _d(due), "done": done, "done_on": _d(done_on), "state": state}
        )
    return {
        "total": len(rows),
        "done": done_count,
        "overdue": overdue,
        "late": late,
        "items": items,
    }


# ----------------------------------------------------------------------------- case


def _case(case: Any, today: dt.date) -> dict[str, Any]:
    from fengping.cases.models import (
        AssessmentStatus,
        ChangeState,
        LevelChange,
        MeasureStatus,
        ScreeningResult,
        TargetChoice,
        TargetDecision,
    )

    targeted = TargetDecision.objects.filter(case=case, choice=TargetChoice.TARGET).exists()
    reasons = []
    if case.major_complex:
        reasons.append("重大、疑难、复杂案件")
    if targeted:
        reasons.append("经月度排查列为评估对象")
    history: dict[str, Any] = {
        "kind": "case",
        "object": {
            "id": case.pk,
            "title": f"{case.number} {case.title}",
            "department": case.organ.name,
            "handler": _name(case.handler),
        },
        "required": bool(reasons),
        "required_reason": "、".join(reasons) or "非重大、疑难、复杂案件，未列为评估对象",
    }
    runs = list(case.assessments.exclude(status=AssessmentStatus.VOID).order_by("started_at", "id"))
    resolved = [r for r in runs if r.status == AssessmentStatus.RESOLVED]
    history["done"] = bool(resolved)
    run = resolved[-1] if resolved else (runs[-1] if runs else None)
    if run is None:
        history["assessment"] = None
    else:
        completed = run.finished_at or run.resolution_decided_at
        done = run.status == AssessmentStatus.RESOLVED
        history["assessment"] = {
            "id": run.pk,
            "status": run.get_status_display(),
            "grade": run.level,
            "computed_grade": run.computed_level,
            "started": _d(run.started_at),
            "completed": _d(completed) if done else None,
            "days": _days(run.started_at, completed) if done and completed else None,
        }
        history["level_changes"] = [
            {
                "from": c.from_level,
                "to": c.to_level,
                "reason": c.reason,
                "by": _name(c.proposed_by),
                "approved_by": _name(c.decided_by),
                "at": _d(c.decided_at or c.proposed_at),
                "state": c.state,
                "state_label": c.get_state_display(),
            }
            for c in LevelChange.objects.filter(assessment__case=case)
            .exclude(state=ChangeState.REFUSED)
            .select_related("proposed_by", "decided_by")
            .order_by("proposed_at", "id")
        ]
        measures = list(run.measures.order_by("due_on", "id"))
        history["measures"] = _measures(
            [
                (
                    m.title,
                    m.due_on,
                    m.status == MeasureStatus.DONE,
                    timezone.localdate(m.done_at) if m.done_at else None,
                )
                for m in measures
            ],
            today,
        )
    history["screening"] = [
        {"month": _d(r.run.month), "level": r.level, "flagged": r.flagged}
        for r in ScreeningResult.objects.filter(case=case)
        .select_related("run")
        .order_by("run__month")
    ]
    return history


# ----------------------------------------------------------------------------- system


def _system(system: Any, today: dt.date) -> dict[str, Any]:
    from fengping.infosec.models import (
        AssessmentStatus,
        RemediationTask,
        RiskDecision,
        TaskStatus,
    )

    from .unassessed import system_valid_days

    valid = system_valid_days()
    history: dict[str, Any] = {
        "kind": "system",
        "object": {"id": system.pk, "title": system.name, "department": system.department.name},
        "required": bool(system.is_active),
        "required_reason": (
            f"在用信息系统，须有 {valid} 天内完成的风险评估" if system.is_active else "已停用"
        ),
    }
    finished = list(
        system.assessments.filter(
            status=AssessmentStatus.FINISHED, finished_at__isnull=False
        ).order_by("-finished_at")
    )
    current = [a for a in finished if (today - timezone.localdate(a.finished_at)).days <= valid]
    history["done"] = bool(current)
    run = current[0] if current else (finished[0] if finished else system.assessments.first())
    if run is None:
        history["assessment"] = None
    else:
        done = run.status == AssessmentStatus.FINISHED
        history["assessment"] = {
            "id": run.pk,
            "status": run.get_status_display(),
            "title": run.title,
            "started": _d(run.started_at),
            "completed": _d(run.finished_at) if done else None,
            "days": _days(run.started_at, run.finished_at) if done else None,
            "current": run in current,
        }
        history["risk_decisions"] = [
            {
                "treatment": d.get_treatment_display(),
                "approval": d.get_approval_display(),
                "approved_by": _name(d.approved_by),
                "expires_on": _d(d.expires_on),
            }
            for d in RiskDecision.objects.filter(assessment=run).select_related("approved_by")
        ]
    tasks = list(
        RemediationTask.objects.filter(system=system)
        .exclude(status=TaskStatus.CANCELLED)
        .order_by("deadline", "id")
    )
    history["measures"] = _measures(
        [
            (
                t.title,
                t.deadline,
                t.status in (TaskStatus.DONE, TaskStatus.CLOSED_BY_SCAN),
                timezone.localdate(t.closed_at) if t.closed_at else None,
            )
            for t in tasks
        ],
        today,
    )
    return history


# ----------------------------------------------------------------------------- proposal


def formality_signs(history: dict[str, Any]) -> list[str]:
    signs: list[str] = []
    a = history.get("assessment") or {}
    days = a.get("days")
    if days is not None and days < MIN_ASSESSMENT_DAYS:
        signs.append(f"评估用时 {days} 天（少于 {MIN_ASSESSMENT_DAYS} 天）")
    o = history.get("opinions")
    if o is not None:
        if o["respondents"] < MIN_RESPONDENTS:
            signs.append(f"征求意见仅 {o['respondents']} 名受访者（少于 {MIN_RESPONDENTS} 名）")
        if len(o["channels"]) < MIN_CHANNELS:
            used = "、".join(o["channels"]) or "无"
            signs.append(f"征求意见渠道仅 {len(o['channels'])} 种（{used}）")
        if o["unanswered"]:
            signs.append(f"{o['unanswered']} 条质疑未答复")
    for c in (*history.get("overrides", []), *history.get("level_changes", [])):
        who = c["by"] + (f"提出，{c['approved_by']}批准" if c.get("approved_by") else "提出")
        signs.append(
            f"风险等级被改动（{c['from']}→{c['to']}，{who}，{c['at']}，{c['state_label']}）"
        )
    return signs


def implementation_signs(history: dict[str, Any]) -> list[str]:
    m = history.get("measures") or {}
    signs = []
    if m.get("overdue"):
        signs.append(f"应对措施 {m['overdue']} 项逾期未落实")
    if m.get("late"):
        signs.append(f"应对措施 {m['late']} 项逾期后才落实")
    return signs


def propose(history: dict[str, Any]) -> tuple[str, list[str]]:
    """(Finding code, signs): the finding the history supports, with its evidence."""
    if not history.get("done"):
        if not history.get("required"):
            return Finding.NOT_REQUIRED, [str(history.get("required_reason", ""))]
        a = history.get("assessment")
        signs = [f"{history.get('required_reason')}，未完成风险评估"]
        if a is not None:
            signs.append(f"评估{a['status']}，{a['started']}开始，未完成")
        d = history.get("decision")
        if d is not None:
            signs.append(f"{d['decided_on']} 作出决定（{d['doc_no']}）")
        return Finding.NOT_ASSESSED, signs
    formality = formality_signs(history)
    implementation = implementation_signs(history)
    if formality:
        return Finding.FORMALITY, formality + implementation
    if implementation:
        return Finding.NOT_IMPLEMENTED, implementation
    a = history.get("assessment") or {}
    m = history.get("measures") or {}
    return Finding.MITIGATED, [
        f"已于 {a.get('completed')} 完成风险评估",
        f"应对措施 {m.get('done', 0)}/{m.get('total', 0)} 项按期落实",
    ]


def history_of(link: IncidentLink) -> dict[str, Any]:
    """The history the page shows: the stored snapshot once a finding was adopted, the
    live compilation until then."""
    if link.finding and link.compiled:
        return link.compiled
    return compile(link)
