"""风险决策和安全建议 (篇2 一): a treatment with its reason for every risk scenario, the
approval of accepted high risks by the system department's 分管领导, and recommendations
written once and linked to every risk they address.

Rules, all from the assessment's frozen scheme:

* the treatment must be allowed for the scenario's level (`grades[].decisions.allowed`);
* accepting a risk of a level in `infosec.acceptance.approval_grades` (or whose grade
  requires `leader_acceptance`) waits for approval; any other condition the grade names
  for the treatment (e.g. `acceptance_approved` for a medium risk) needs a written
  confirmation, kept in the decision's `approval_note`;
* an approval is given by a holder of a role in `infosec.acceptance.approver_roles` in the
  system's department or above it who never proposed the decision, and holds for
  `valid_days`; changing a decided risk voids its approval (it waits again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, save_and_record, snapshot
from fengping.audit.models import Event
from fengping.core.concurrency import lock
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.schemes.model import Scheme

from .. import residual
from ..models import (
    ApprovalState,
    MeasureKind,
    Recommendation,
    RiskDecision,
    Scenario,
    SystemAssessment,
    Treatment,
)
from .assessments import require_open

LABELS = {
    "infosec.decision.save": gettext_lazy("记录风险处置决策"),
    "infosec.decision.bulk": gettext_lazy("批量记录风险处置决策"),
    "infosec.decision.approve": gettext_lazy("批准接受风险"),
    "infosec.decision.reject": gettext_lazy("不批准接受风险"),
    "infosec.recommendation.save": gettext_lazy("保存安全建议"),
    "infosec.recommendation.delete": gettext_lazy("删除安全建议"),
    "infosec.recommendation.link": gettext_lazy("安全建议关联风险"),
    "infosec.recommendation.unlink": gettext_lazy("安全建议取消关联风险"),
}

LEADER_CONDITION = "leader_acceptance"
BATCH = 1000


# ------------------------------------------------------------------ scheme look-ups


def level_grades(scheme: Scheme) -> dict[int, str]:
    """Scenario level (1 = the lowest band) -> the scheme's grade code."""
    method = scheme.method
    bands = sorted(method.bands.levels, key=lambda b: b.min)  # type: ignore[union-attr]
    return {
        n: method.band_grades.get(b.code, b.code)  # type: ignore[union-attr]
        for n, b in enumerate(bands, start=1)
    }


def level_labels(scheme: Scheme) -> dict[int, str]:
    labels = {g.code: g.label for g in scheme.grades}
    return {n: labels.get(code, code) for n, code in level_grades(scheme).items()}


def grade_of(scheme: Scheme, level: int) -> Any:
    return scheme.grade(level_grades(scheme)[level])


def needs_approval(scheme: Scheme, level: int, treatment: str) -> bool:
    """Accepting a risk of this level waits for a leader's approval."""
    if treatment != Treatment.ACCEPT:
        return False
    grade = grade_of(scheme, level)
    info = scheme.infosec
    if info is not None and grade.code in info.acceptance.approval_grades:
        return True
    return any(
        LEADER_CONDITION in c.requires
        for c in grade.decisions.conditions
        if c.decision == treatment
    )


def confirmations_needed(scheme: Scheme, level: int, treatment: str) -> list[str]:
    """Labels of the conditions (other than the leader's approval) that the treatment of a
    risk of this level needs in writing."""
    grade = grade_of(scheme, level)
    labels = {c.code: c.label for c in scheme.conditions}
    return [
        labels.get(code, code)
        for c in grade.decisions.conditions
        if c.decision == treatment
        for code in c.requires
        if code != LEADER_CONDITION
    ]


def _check_allowed(scheme: Scheme, level: int, treatment: str) -> None:
    if treatment not in Treatment.values:
        raise ActionError(_("处置方式“%(t)s”不存在") % {"t": treatment}, field="treatment")
    grade = grade_of(scheme, level)
    if treatment not in grade.decisions.allowed or treatment in grade.decisions.forbidden:
        raise ActionError(
            _("方案不允许对“%(g)s”风险采取“%(t)s”")
            % {"g": grade.label, "t": Treatment(treatment).label},
            field="treatment",
        )


# ------------------------------------------------------------------ scenario selection


def select_scenarios(
    assessment: SystemAssessment,
    *,
    ids: Iterable[int] | None = None,
    filters: Mapping[str, Any] | None = None,
) -> QuerySet[Scenario]:
    """The assessment's scenarios named by `ids` or by a register filter: `levels` (list
    of levels), `asset`, `threat`, `vulnerability` (ids), `undecided` (bool), `treatment`."""
    qs = Scenario.objects.filter(assessment=assessment)
    if ids is not None:
        return qs.filter(pk__in=[int(i) for i in ids])
    f = dict(filters or {})
    if f.get("levels"):
        qs = qs.filter(level__in=[int(x) for x in f["levels"]])
    for name in ("asset", "threat", "vulnerability"):
        if f.get(name):
            qs = qs.filter(**{f"{name}_id": int(f[name])})
    if f.get("undecided"):
        qs = qs.filter(decision__isnull=True)
    if f.get("treatment"):
        qs = qs.filter(decision__treatment=f["treatment"])
    return qs


# ------------------------------------------------------------------ decisions


def _decision_state(
    scheme: Scheme, level: int, treatment: str, reason: str, confirmation: str
) -> dict[str, Any]:
    """The checked fields of a decision (refuses what the scheme does not allow)."""
    _check_allowed(scheme, level, treatment)
    reason = (reason or "").strip()
    if not reason:
        raise ActionError(_("请填写处置理由"), field="reason")
    confirmation = (confirmation or "").strip()
    wanted = confirmations_needed(scheme, level, treatment)
    if wanted and not confirmation:
        raise ActionError(
            _("“%(t)s”该风险须书面确认（%(c)s），请填写确认记录")
            % {"t": Treatment(treatment).label, "c": "；".join(wanted)},
            field="confirmation",
        )
    pending = needs_approval(scheme, level, treatment)
    return {
        "treatment": treatment,
        "reason": reason,
        "approval": ApprovalState.PENDING if pending else ApprovalState.NOT_NEEDED,
        "approval_note": confirmation if wanted else "",
    }


def _apply(decision: RiskDecision, state: dict[str, Any], actor: Any, now: dt.datetime) -> None:
    for key, value in state.items():
        setattr(decision, key, value)
    decision.proposed_by = actor
    decision.proposed_at = now
    decision.approved_by = None
    decision.approved_at = None
    decision.expires_on = None


def _same(decision: RiskDecision, state: dict[str, Any]) -> bool:
    """Nothing to change: the same treatment and reason (and confirmation). An approval
    given or awaited for exactly this stays; a refused one is asked for again."""
    if decision.treatment != state["treatment"] or decision.reason != state["reason"]:
        return False
    if state["approval"] == ApprovalState.PENDING:
        return decision.approval in (ApprovalState.PENDING, ApprovalState.APPROVED)
    return (
        decision.approval == ApprovalState.NOT_NEEDED
        and decision.approval_note == state["approval_note"]
    )


@transaction.atomic
def do_decide(
    actor: Any,
    scenario: Scenario,
    treatment: str,
    reason: str,
    *,
    confirmation: str = "",
    version: int | None = None,
) -> RiskDecision:
    """Decide (or change the decision on) one risk. A changed decision voids its approval:
    what was approved is what the approver saw."""
    assessment = scenario.assessment
    access.require(actor, assessment, "change")
    assessment = lock(assessment, related=("system__department",))
    require_open(assessment)
    scenario = Scenario.objects.get(pk=scenario.pk)
    state = _decision_state(assessment.scheme, scenario.level, treatment, reason, confirmation)
    now = timezone.now()
    existing = RiskDecision.objects.filter(scenario=scenario).first()
    if existing is None:
        decision = RiskDecision(assessment=assessment, scenario=scenario)
        _apply(decision, state, actor, now)
        decision.save()
        record(
            actor,
            "infosec.decision.save",
            decision,
            after={**snapshot(decision, RiskDecision.audit_fields), "level": scenario.level},
        )
        return decision
    decision = lock(existing, version)
    if _same(decision, state):
        return decision
    before = snapshot(decision, RiskDecision.audit_fields)
    _apply(decision, state, actor, now)
    save_and_record(actor, "infosec.decision.save", decision, before=before)
    return decision


@transaction.atomic
def do_decide_bulk(
    actor: Any,
    assessment: SystemAssessment,
    treatment: str,
    reason: str,
    *,
    ids: Iterable[int] | None = None,
    filters: Mapping[str, Any] | None = None,
    confirmation: str = "",
) -> int:
    """The same treatment and reason for many risks at once (e.g. every undecided 低 risk):
    every scenario is checked like do_decide; one audit event with the count. Returns how
    many decisions were written (unchanged ones are not)."""
    access.require(actor, assessment, "change")
    assessment = lock(assessment, related=("system__department",))
    require_open(assessment)
    if ids is None and not filters:
        raise ActionError(_("请选择风险或筛选条件"))
    scheme = assessment.scheme
    ids = [int(i) for i in ids] if ids is not None else None
    selection = select_scenarios(assessment, ids=ids, filters=filters)
    levels = sorted(set(selection.order_by().values_list("level", flat=True).distinct()))
    if not levels:
        raise ActionError(_("没有符合条件的风险"))
    states = {
        level: _decision_state(scheme, level, treatment, reason, confirmation) for level in levels
    }
    # An acceptance that needs a leader's approval is proposed one risk at a time: each is
    # reviewed on its own, and who proposed it stays on record per decision (the approver
    # must never be its proposer).
    needing = [lv for lv, st in states.items() if st["approval"] == ApprovalState.PENDING]
    if needing:
        labels = level_labels(scheme)
        raise ActionError(
            _("接受“%(g)s”风险须逐项决策并经批准，不能批量接受")
            % {"g": "、".join(labels[lv] for lv in sorted(needing, reverse=True))},
            field="treatment",
        )
    now = timezone.now()
    changed: list[RiskDecision] = []
    for decision in (
        RiskDecision.objects.select_for_update()
        .filter(assessment=assessment, scenario__in=selection.values("pk"))
        .select_related("scenario")
    ):
        state = states[decision.scenario.level]
        if not _same(decision, state):
            _apply(decision, state, actor, now)
            decision.version += 1
            changed.append(decision)
    fields = [
        "treatment",
        "reason",
        "approval",
        "approval_note",
        "proposed_by",
        "proposed_at",
        "approved_by",
        "approved_at",
        "expires_on",
        "version",
    ]
    RiskDecision.objects.bulk_update(changed, fields, batch_size=BATCH)
    pending = sum(1 for d in changed if d.approval == ApprovalState.PENDING)
    new = 0
    for level, state in states.items():
        added = _insert_decisions(
            assessment,
            selection.filter(level=level, decision__isnull=True).values("pk"),
            state,
            actor,
            now,
        )
        new += added
        if state["approval"] == ApprovalState.PENDING:
            pending += added
    count = new + len(changed)
    record(
        actor,
        "infosec.decision.bulk",
        assessment,
        after={
            "treatment": treatment,
            "reason": reason.strip(),
            "count": count,
            "new": new,
            "changed": len(changed),
            "pending": pending,
            "filters": dict(filters or {}),
            "ids": len(ids) if ids is not None else None,
        },
    )
    return count


def _insert_decisions(
    assessment: SystemAssessment,
    source: QuerySet[Any],
    state: dict[str, Any],
    actor: Any,
    now: dt.datetime,
) -> int:
    """INSERT … SELECT: a decision for every scenario of `source` (a values("pk") query)
    in one statement — 500,000 model instances would take minutes in Python."""
    sub, params = source.query.sql_with_params()
    qn = connection.ops.quote_name
    columns = (
        "assessment_id",
        "scenario_id",
        "treatment",
        "reason",
        "proposed_by_id",
        "proposed_at",
        "approval",
        "approval_note",
        "version",
    )
    # Only quoted model names and Django's own compiled subquery go into the text; every
    # value is a parameter.
    scenarios = qn(Scenario._meta.db_table)
    sql = (
        f"INSERT INTO {qn(RiskDecision._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608
        f"SELECT %s, {scenarios}.{qn('id')}, %s, %s, %s, %s, %s, %s, 1 FROM {scenarios} "
        f"WHERE {scenarios}.{qn('id')} IN ({sub})"
    )
    values = [
        assessment.pk,
        state["treatment"],
        state["reason"],
        actor.pk,
        connection.ops.adapt_datetimefield_value(now),
        state["approval"],
        state["approval_note"],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *params])
        return max(cursor.rowcount, 0)


# ------------------------------------------------------------------ approvals


def approver_paths(user: Any, scheme: Scheme) -> frozenset[str]:
    """Department paths where `user` holds a role that may approve an acceptance."""
    info = scheme.infosec
    roles = info.acceptance.approver_roles if info is not None else ["leader", "head"]
    scope = access.scope_of(user)
    paths: set[str] = set()
    for role in roles:
        paths |= scope.role_paths.get(role, frozenset())
    return frozenset(paths)


def may_approve(user: Any, decision: RiskDecision) -> str:
    """Why `user` may not approve the decision ("" when they may). Access (403) first."""
    assessment = decision.assessment
    path = assessment.system.department.path
    if not any(path.startswith(p) for p in approver_paths(user, assessment.scheme)):
        return _("只有系统主管部门（或其上级）的分管领导、主要负责人可以批准接受风险")
    if decision.proposed_by_id == user.pk or _ever_proposed(user, decision):
        return _("提出风险接受的人不能批准自己提出的决策")
    return ""


def _ever_proposed(user: Any, decision: RiskDecision) -> bool:
    return Event.objects.filter(
        action="infosec.decision.save",
        object_type=RiskDecision._meta.label_lower,
        object_id=str(decision.pk),
        actor_id=user.pk,
    ).exists()


def _approval(
    actor: Any, decision: RiskDecision, version: int | None, note: str, approve: bool
) -> RiskDecision:
    access.require(actor, decision, "view")
    decision = lock(decision, version, related=("assessment__system__department",))
    require_open(decision.assessment)
    refusal = may_approve(actor, decision)
    if refusal:
        raise PermissionDenied(refusal)
    if decision.approval != ApprovalState.PENDING:
        raise ActionError(
            _("该决策现为“%(s)s”，不在待批准状态") % {"s": decision.get_approval_display()}
        )
    note = (note or "").strip()
    if not approve and not note:
        raise ActionError(_("请填写不批准的理由"), field="note")
    before = snapshot(decision, RiskDecision.audit_fields)
    decision.approval = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
    decision.approved_by = actor
    decision.approved_at = timezone.now()
    decision.approval_note = note
    if approve:
        info = decision.assessment.scheme.infosec
        days = info.acceptance.valid_days if info is not None else 365
        decision.expires_on = timezone.localdate() + dt.timedelta(days=days)
    else:
        decision.expires_on = None
    action = "infosec.decision.approve" if approve else "infosec.decision.reject"
    save_and_record(actor, action, decision, before=before)
    return decision


@transaction.atomic
def do_approve_acceptance(
    actor: Any, decision: RiskDecision, note: str = "", *, version: int | None = None
) -> RiskDecision:
    """The leader approves accepting the risk as decided (`version`: the one they saw)."""
    return _approval(actor, decision, version, note, True)


@transaction.atomic
def do_reject_acceptance(
    actor: Any, decision: RiskDecision, note: str, *, version: int | None = None
) -> RiskDecision:
    return _approval(actor, decision, version, note, False)


def awaiting(user: Any) -> QuerySet[RiskDecision]:
    """Acceptances waiting for `user`'s approval (open assessments, not their own)."""
    qs = access.visible(
        user,
        RiskDecision.objects.filter(
            approval=ApprovalState.PENDING, assessment__status="open"
        ).exclude(proposed_by=user),
    )
    paths = access.scope_of(user).role_paths
    mine: set[str] = set()
    for role in ("leader", "head"):
        mine |= paths.get(role, frozenset())
    if not mine:
        return qs.none()
    q = Q()
    for p in mine:
        q |= Q(assessment__system__department__path__startswith=p)
    return qs.filter(q)


def due_for_review(user: Any, today: dt.date | None = None) -> QuerySet[RiskDecision]:
    """Approved acceptances whose term has ended: due for review (a new decision)."""
    today = today or timezone.localdate()
    return access.visible(
        user,
        RiskDecision.objects.filter(
            treatment=Treatment.ACCEPT, approval=ApprovalState.APPROVED, expires_on__lt=today
        ),
    )


# ------------------------------------------------------------------ recommendations


def _check_recommendation(scheme: Scheme, title: str, kind: str, effect: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ActionError(_("请填写建议"), field="title")
    info = scheme.infosec
    kinds = {k.code for k in info.remediation.kinds} if info is not None else set()
    if kind not in kinds:
        raise ActionError(_("建议类别“%(k)s”不在方案中") % {"k": kind}, field="kind")
    if effect and effect not in MeasureKind.values:
        raise ActionError(_("完成后的作用“%(e)s”无效") % {"e": effect}, field="effect")
    return title


@transaction.atomic
def do_save_recommendation(
    actor: Any,
    assessment: SystemAssessment,
    *,
    title: str,
    text: str = "",
    kind: str,
    effect: str = "",
    recommendation: Recommendation | None = None,
    version: int | None = None,
) -> Recommendation:
    """Write a recommendation (or change one: `recommendation` with the `version` read)."""
    access.require(actor, assessment, "change")
    assessment = lock(assessment, related=("system__department",))
    require_open(assessment)
    title = _check_recommendation(assessment.scheme, title, kind, effect or "")
    if recommendation is None:
        rec = Recommendation.objects.create(
            assessment=assessment,
            title=title,
            text=(text or "").strip(),
            kind=kind,
            effect=effect or "",
            created_by=actor,
        )
        record(
            actor,
            "infosec.recommendation.save",
            rec,
            after=snapshot(rec, Recommendation.audit_fields),
        )
        return rec
    if recommendation.assessment_id != assessment.pk:
        raise ActionError(_("该建议不属于此评估"))
    rec = lock(recommendation, version)
    before = snapshot(rec, Recommendation.audit_fields)
    effect_changed = rec.effect != (effect or "")
    rec.title, rec.text, rec.kind, rec.effect = title, (text or "").strip(), kind, effect or ""
    save_and_record(actor, "infosec.recommendation.save", rec, before=before)
    if effect_changed:
        residual.refresh(assessment, rec.scenarios.values_list("pk", flat=True))
    return rec


@transaction.atomic
def do_delete_recommendation(
    actor: Any, recommendation: Recommendation, *, version: int | None = None
) -> None:
    access.require(actor, recommendation, "change")
    rec = lock(recommendation, version, related=("assessment",))
    require_open(rec.assessment)
    if rec.tasks.exists():
        raise ActionError(_("该建议已有整改任务，不能删除"))
    ids = list(rec.scenarios.values_list("pk", flat=True))
    record(
        actor,
        "infosec.recommendation.delete",
        rec,
        before={**snapshot(rec, Recommendation.audit_fields), "scenarios": len(ids)},
    )
    rec.delete()


@transaction.atomic
def do_link_recommendation(
    actor: Any,
    recommendation: Recommendation,
    *,
    ids: Iterable[int] | None = None,
    filters: Mapping[str, Any] | None = None,
    unlink: bool = False,
) -> int:
    """Link the recommendation to every scenario named (or filtered) — 500 or 50,000 in
    one action and one audit event; `unlink` removes the links. Returns how many links
    were added (or removed)."""
    access.require(actor, recommendation, "change")
    rec = lock(recommendation, related=("assessment__system__department",))
    require_open(rec.assessment)
    if ids is None and not filters:
        raise ActionError(_("请选择风险或筛选条件"))
    wanted = list(
        select_scenarios(rec.assessment, ids=ids, filters=filters).values_list("pk", flat=True)
    )
    through = Recommendation.scenarios.through
    have = set(
        through.objects.filter(recommendation_id=rec.pk, scenario_id__in=wanted).values_list(
            "scenario_id", flat=True
        )
        if len(wanted) <= 5000
        else through.objects.filter(recommendation_id=rec.pk).values_list("scenario_id", flat=True)
    )
    if unlink:
        touched = [pk for pk in wanted if pk in have]
        for start in range(0, len(touched), BATCH):
            through.objects.filter(
                recommendation_id=rec.pk, scenario_id__in=touched[start : start + BATCH]
            ).delete()
    else:
        touched = [pk for pk in wanted if pk not in have]
        through.objects.bulk_create(
            [through(recommendation_id=rec.pk, scenario_id=pk) for pk in touched],
            batch_size=BATCH,
        )
    if not touched:
        raise ActionError(_("所选风险均未关联该建议") if unlink else _("所选风险均已关联该建议"))
    record(
        actor,
        "infosec.recommendation.unlink" if unlink else "infosec.recommendation.link",
        rec,
        after={"count": len(touched), "filters": dict(filters or {})},
    )
    # Only a recommendation whose tasks are all finished lowers residual risk.
    if rec.pk in residual.completed_recommendations(rec.assessment):
        residual.refresh(rec.assessment, touched)
    return len(touched)


def recommendation_summary(assessment: SystemAssessment) -> list[dict[str, Any]]:
    """Each recommendation once, with how many risks it addresses and their levels (count
    per level, highest first) — the plan never repeats one recommendation per risk."""
    through = Recommendation.scenarios.through
    counts: dict[int, dict[int, int]] = {}
    rows = (
        through.objects.filter(recommendation__assessment=assessment)
        .values_list("recommendation_id", "scenario__level")
        .annotate(n=Count("id"))
    )
    for rec_id, level, n in rows:
        counts.setdefault(rec_id, {})[level] = n
    labels = level_labels(assessment.scheme)
    out = []
    recs = assessment.recommendations.annotate(worst=Max("scenarios__level")).order_by(
        "-worst", "id"
    )
    for rec in recs:
        by_level = counts.get(rec.pk, {})
        out.append(
            {
                "rec": rec,
                "count": sum(by_level.values()),
                "levels": [
                    {"level": lv, "label": labels.get(lv, str(lv)), "count": by_level[lv]}
                    for lv in sorted(by_level, reverse=True)
                ],
            }
        )
    return out
