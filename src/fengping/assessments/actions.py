"""Every state change of an assessment: one function each. Each checks access and the
frozen scheme's rules inside a transaction (the assessment row locked, so two people
completing the same step at once cannot both succeed), and writes an audit event."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, save_and_record, snapshot
from fengping.core import files
from fengping.core.concurrency import bump, lock
from fengping.core.errors import ActionError, ConflictError
from fengping.matters import actions as matter_actions
from fengping.matters.models import Matter, MatterStatus
from fengping.opinions import actions as opinion_actions
from fengping.org import access
from fengping.org.models import Department, DepartmentKind, Membership, Role, User
from fengping.procedure import engine
from fengping.procedure.models import StepState
from fengping.schemebook import registry
from fengping.schemes import to_json
from fengping.schemes.methods import composite_spec
from fengping.schemes.model import CompositeMethod
from fengping.scoring import FactorScore as ScoringFactor
from fengping.scoring import aggregate, score_factors

from . import rules
from .models import (
    ANSWERS_BY_TYPE,
    Answer,
    ArchiveDocument,
    Assessment,
    AssessmentStatus,
    ChecklistAnswer,
    ConditionRecord,
    Decision,
    FactorScore,
    Filing,
    FollowUpMeasure,
    FollowUpSurvey,
    GradeOverride,
    Incident,
    IncidentAction,
    LaterDecision,
    MeasureKind,
    MeasureStatus,
    MemberKind,
    Mitigation,
    OverrideState,
    Review,
    ReviewResult,
    RiskFactor,
    TeamMember,
    answer_failed,
)

LEADER_ROLES = frozenset({Role.LEADER, Role.HEAD, Role.ADMIN})
# 分管领导 and 主要负责人: who approves a grade override and confirms a decision's condition.
APPROVER_ROLES = frozenset({Role.LEADER, Role.HEAD})


def is_responsible_leader(actor: Any, a: Assessment) -> bool:
    """A 分管领导 or 主要负责人 of the matter's responsible department (or of a department
    above it). Administrators and superusers are not leaders of anything."""
    scope = access.scope_of(actor)
    path = a.matter.department.path
    return any(
        path.startswith(p) for role in APPROVER_ROLES for p in scope.role_paths.get(role, ())
    )


def _lock(assessment: Assessment, version: int | None = None) -> Assessment:
    """The assessment row locked with its matter (core.concurrency.lock)."""
    return lock(assessment, version, related=("matter__department",))


def _require_open(a: Assessment) -> None:
    """The content of an assessment (plan, factors, grade …) is frozen once decided."""
    if not a.is_content_open():
        raise ActionError(
            _("评估已作出决定，不能再修改评估内容；如出现新情况，请登记不稳定情况并重新评估。")
        )


def _require_conditions_open(a: Assessment) -> None:
    if not a.conditions_open():
        raise ActionError(
            _("评估已作出决定，实施条件只能在作出决定前（或暂缓实施的事项再次决定前）登记和确认。")
        )


def _require_unlocked(a: Assessment) -> None:
    """What the generated report rests on is locked until a send-back with a reason
    voids the report (Assessment.lock_refusal; also refused once decided)."""
    refused = a.lock_refusal()
    if refused:
        raise ActionError(refused)


def _require_step_reached(a: Assessment, step_code: str) -> None:
    """Work of a step may be done once the step is open or was done before (then it is
    being revised after a send-back). Schemes without such a step impose nothing."""
    if not engine.has_step(a.scheme, step_code):
        return
    if not a.steps.filter(step_code=step_code).exists():
        s = engine.step(a.scheme, step_code)
        raise ActionError(_("“%(s)s”步骤尚未开始") % {"s": s.label})


def _scheme_method(a: Assessment) -> CompositeMethod:
    method = a.scheme.method
    if not isinstance(method, CompositeMethod):
        raise ActionError(_("该方案不使用综合风险指数法"))
    return method


# ------------------------------------------------------------------ lifecycle


@transaction.atomic
def do_start_assessment(actor: Any, matter: Matter) -> Assessment:
    access.require(actor, matter, "change")
    matter = lock(matter)
    if matter.assessments.filter(
        status__in=[AssessmentStatus.IN_PROGRESS, AssessmentStatus.FOLLOW_UP]
    ).exists():
        raise ActionError(_("该事项已有进行中的评估"))
    try:
        scheme = registry.get(matter.scheme_key)
    except LookupError:
        raise ActionError(_("评估方案“%(k)s”已不存在") % {"k": matter.scheme_key}) from None
    first = scheme.procedure.steps[0]
    assessment = Assessment.objects.create(
        matter=matter,
        scheme_key=scheme.key,
        scheme_version=scheme.version,
        scheme_hash=scheme.content_hash,
        scheme_snapshot=to_json(scheme),
        current_step=first.code,
        lead_department=matter.lead_department,
        started_by=actor,
    )
    assessment.assisting_departments.set(matter.assisting_departments.all())
    engine.start(assessment)
    matter_actions.set_status(actor, matter, MatterStatus.ASSESSING)
    record(
        actor,
        "assessments.assessment.start",
        assessment,
        after={
            "matter": matter.pk,
            "scheme": scheme.key,
            "version": scheme.version,
            "step": first.code,
        },
    )
    return assessment


@transaction.atomic
def do_complete_step(
    actor: Any, assessment: Assessment, step_code: str, note: str = ""
) -> Assessment:
    access.require(actor, assessment, "change")
    a = lock(assessment, related=("matter__department",))
    if a.status not in (AssessmentStatus.IN_PROGRESS, AssessmentStatus.FOLLOW_UP):
        raise ActionError(_("评估已办结"))
    if a.status == AssessmentStatus.FOLLOW_UP and step_code in {
        s.code for s in a.follow_up_steps()
    }:
        # 篇1 六(二): what the decision in force needs is recorded before its step is done,
        # and opposition during implementation needs a new decision first.
        refused = a.redecision_pending() or (
            a.follow_up_missing_text() if a.follow_up_rules_apply() else ""
        )
        if refused:
            missing = engine.missing_message(a, engine.step(a.scheme, step_code))
            raise ActionError(f"{missing}；{refused}" if missing else refused)
    # 篇3 五: also when the bureaus were added to the matter after the plan was saved.
    if step_code == "plan" and (
        refusal := matter_actions.cross_department_refusal(
            a.scheme, a.matter, list(a.assisting_departments.all())
        )
    ):
        raise ActionError(refusal)
    if step_code == a.current_step and engine.has_step(a.scheme, step_code):
        # The plan and consultation rules of the scheme, each refusal quoting its rule,
        # after the outputs the step still lacks (named by the engine).
        current = engine.step(a.scheme, step_code)
        step_refused = rules.step_refusals(a, current)
        if step_refused:
            missing = engine.missing_message(a, current)
            raise ActionError(
                "；".join([*([missing] if missing else []), *(r.message for r in step_refused)])
            )
    _require_analysis(a, step_code)
    done = engine.complete_step(a, step_code, actor, note)
    if "opinions" in done.step.produces:
        # 征求意见 ends with its step: the questionnaires close (a send-back reopens them).
        opinion_actions.close_consultation(actor, a.matter)
    if "report" in done.step.produces:
        matter_actions.set_status(actor, a.matter, MatterStatus.REVIEWING)
    if "decision" in done.step.produces:
        # Decided and filed: what follows is implementation and follow-up (篇3 六(八)).
        a.status = AssessmentStatus.FOLLOW_UP
        bump(a, "status")
        decision = Decision.objects.get(assessment=a)
        implementing = decision.outcome in ("implement", "implement_partially")
        matter_actions.set_status(
            actor, a.matter, MatterStatus.IMPLEMENTING if implementing else MatterStatus.DECIDED
        )
    record(
        actor,
        "assessments.step.complete",
        a,
        after={"step": step_code, "next": a.current_step, "note": note},
    )
    return a


def _require_analysis(a: Assessment, step_code: str) -> None:
    """The step producing the risk analysis is refused with the rule that is unmet (a
    factor without the estimates the scheme requires, the checklist), not only the
    output's label."""
    if step_code != a.current_step or not engine.has_step(a.scheme, step_code):
        return
    current = engine.step(a.scheme, step_code)
    if "risk_analysis" in current.produces and (why := rules.analysis_refusal(a)):
        missing = engine.missing_message(a, current)
        raise ActionError(f"{missing}；{why}" if missing else why)


@transaction.atomic
def do_send_back(actor: Any, assessment: Assessment, to_step: str, reason: str) -> Assessment:
    """Return the assessment to an earlier step with a reason (e.g. a reviewer's)."""
    access.require(actor, assessment, "change")
    a = lock(assessment, related=("matter__department",))
    _require_open(a)
    _send_back(actor, a, to_step, reason)
    return a


def _send_back(actor: Any, a: Assessment, to_step: str, reason: str) -> None:
    """The one send-back of an assessment (by hand or by a reviewer): the engine reopens
    `to_step` (voiding the report when its step is reopened) and the matter is being
    assessed again."""
    had_report, version = a.report_is_current(), a.report_version
    back = engine.send_back(a, to_step, actor, reason)
    matter_actions.set_status(actor, a.matter, MatterStatus.ASSESSING)
    consult = engine.find_step_producing(a.scheme, "opinions")
    codes = a.scheme.procedure.step_codes()
    if consult is not None and codes.index(consult.code) >= codes.index(back.to_step):
        # The consultation step is open again: so are the questionnaires it closed.
        opinion_actions.reopen_consultation(actor, a.matter)
    record(
        actor,
        "assessments.step.send_back",
        a,
        after={"from": back.from_step, "to": back.to_step, "reason": reason},
    )
    _void_round(actor, a, reason, report_version=version if had_report else None)


def _void_round(actor: Any, a: Assessment, reason: str, *, report_version: int | None) -> None:
    """A send-back voids the report version it returns from and every review of the
    round (kept and shown as void): the chain starts again with a new report."""
    # The latest round (a reviewer's send-back has just ended it; the send-back itself
    # stays the record of why).
    last = a.reviews.order_by("-round").values_list("round", flat=True).first()
    reviews = a.reviews.filter(round=last, voided_at__isnull=True).exclude(
        result=ReviewResult.SENT_BACK
    )
    voided = list(reviews.values_list("pk", flat=True))
    if voided:
        reviews.update(voided_at=timezone.now(), void_reason=reason.strip())
    if report_version is None and not voided:
        return
    if report_version is not None and a.report_is_current():
        # Sent back to the report step or later (nothing the report rests on reopens):
        # the report is void all the same and must be generated again.
        a.report_generated_at = None
        bump(a, "report_generated_at")
    record(
        actor,
        "assessments.report.void",
        a,
        after={"report_version": report_version, "reviews_voided": voided, "reason": reason},
    )


# ------------------------------------------------------------------ plan, team, archive


@transaction.atomic
def do_save_plan(
    actor: Any,
    assessment: Assessment,
    *,
    version: int | None,
    lead_department: Department | None,
    assisting_departments: list[Department],
    plan_content: str,
    plan_methods: str,
    schedule_start: dt.date | None,
    schedule_end: dt.date | None,
) -> Assessment:
    access.require(actor, assessment, "change")
    a = _lock(assessment, version)
    _require_unlocked(a)
    _require_step_reached(a, "plan")
    if schedule_start and schedule_end and schedule_end < schedule_start:
        raise ActionError(_("完成日期不能早于开始日期"), field="schedule_end")
    # 篇3 五: a cross-department matter has its 责任主体 designated before its plan.
    if refusal := matter_actions.cross_department_refusal(
        a.scheme, a.matter, assisting_departments
    ):
        raise ActionError(refusal, field="assisting_departments")
    before = snapshot(a, Assessment.audit_fields)
    a.lead_department = lead_department
    a.plan_content, a.plan_methods = plan_content.strip(), plan_methods.strip()
    a.schedule_start, a.schedule_end = schedule_start, schedule_end
    save_and_record(
        actor,
        "assessments.plan.save",
        a,
        "lead_department",
        "plan_content",
        "plan_methods",
        "schedule_start",
        "schedule_end",
        before=before,
    )
    a.assisting_departments.set(assisting_departments)
    return a


def team_departments(a: Assessment) -> list[Department]:
    """The departments whose people may sit on the team: the 责任主体 and the lead and
    assisting departments (of the plan and of the matter) — 篇3 六(二) 明确评估牵头和协助
    部门责任."""
    matter = a.matter
    found = {matter.department_id: matter.department}
    for dept in (a.lead_department, matter.lead_department):
        if dept is not None:
            found.setdefault(dept.pk, dept)
    for dept in [*a.assisting_departments.all(), *matter.assisting_departments.all()]:
        found.setdefault(dept.pk, dept)
    return list(found.values())


def team_candidates(a: Assessment) -> Any:
    """The active users holding a role in (or under) one of `team_departments`: the team
    picker of the page and the check of `do_add_member` (one query)."""
    q = Q()
    for dept in team_departments(a):
        q |= Q(department__path__startswith=dept.path)
    members = Membership.objects.filter(q, department__is_active=True).values("user_id")
    return User.objects.filter(is_active=True, pk__in=members).order_by("real_name", "username")


@transaction.atomic
def do_add_member(
    actor: Any,
    assessment: Assessment,
    *,
    kind: str,
    name: str,
    user: User | None = None,
    organisation: str = "",
    duty: str = "",
) -> TeamMember:
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    _require_unlocked(a)
    if kind not in MemberKind.values:
        raise ActionError(_("请选择成员身份"), field="kind")
    if user is not None and not team_candidates(a).filter(pk=user.pk).exists():
        raise ActionError(_("评估组的系统用户须来自责任主体或评估牵头、协助部门"), field="user")
    name = (name or (user.real_name or user.username if user else "")).strip()
    if not name:
        raise ActionError(_("请填写姓名"), field="name")
    member = TeamMember.objects.create(
        assessment=a,
        kind=kind,
        user=user,
        name=name,
        organisation=organisation.strip(),
        duty=duty.strip(),
    )
    record(
        actor,
        "assessments.team.add",
        member,
        after={"kind": kind, "name": name, "user": user.pk if user else None},
        scope_path=a.matter.department.path,
    )
    return member


@transaction.atomic
def do_remove_member(actor: Any, member: TeamMember) -> None:
    access.require(actor, member, "change")
    a = _lock(member.assessment)
    _require_unlocked(a)
    path, pk, name = member.assessment.matter.department.path, member.pk, member.name
    # Once the plan is done, the team keeps the experts and public representatives its
    # scheme requires (篇1 七(三)): removing the last one is refused.
    plan = engine.find_step_producing(a.scheme, "assessment_plan")
    plan_done = (
        plan is not None
        and a.step_records().filter(step_code=plan.code, state=StepState.DONE).exists()
    )
    if plan_done and (short := rules.team_refusals(a, without=member)):
        raise ActionError(
            _("评估方案已确定，不能移出“%(n)s”：") % {"n": name}
            + "；".join(r.message for r in short)
        )
    member.delete()
    record(
        actor,
        "assessments.team.remove",
        None,
        object_type="assessments.teammember",
        object_id=str(pk),
        object_repr=name,
        scope_path=path,
    )


@transaction.atomic
def do_archive_document(
    actor: Any,
    assessment: Assessment,
    upload: Any,
    *,
    title: str,
    step_code: str = "",
    generated: bool = False,
    report_version: int | None = None,
) -> ArchiveDocument:
    # The archive is work the lead and assisting departments share (`org.access` "work").
    access.require(actor, assessment, "work")
    a = _lock(assessment)
    if not (title or "").strip() and upload is not None:
        # Without a title the document is listed under its file name.
        title = upload.name.replace("\\", "/").rsplit("/", 1)[-1]
    return files.store(
        actor,
        ArchiveDocument,
        a,
        upload,
        record=record,
        title=(title or "").strip()[:200],
        step_code=step_code or a.current_step,
        generated=generated,
        report_version=report_version,
    )


# ------------------------------------------------------------------ factors and scores


def _level_value(a: Assessment, scale_code: str, level_code: str, field: str) -> float:
    scale = next((s for s in a.scheme.scales if s.code == scale_code), None)
    level = next((lv for lv in scale.levels if lv.code == level_code), None) if scale else None
    if level is None:
        raise ActionError(_("“%(v)s”不是该方案量表中的等级") % {"v": level_code}, field=field)
    return float(level.value)


@transaction.atomic
def do_save_factor(
    actor: Any,
    assessment: Assessment,
    *,
    factor: RiskFactor | None = None,
    dimension: str,
    title: str,
    version: int | None = None,
    description: str = "",
    people_involved: int | None = None,
    scope: str = "",
    manner: str = "",
    intensity: str = "",
    negative_impact: str = "",
    weight: float = 1.0,
) -> RiskFactor:
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    _require_unlocked(a)
    if dimension not in {d.code for d in a.scheme.dimensions}:
        raise ActionError(_("请选择评估维度"), field="dimension")
    if not (title or "").strip():
        raise ActionError(_("请填写风险因素"), field="title")
    if weight is None or weight < 0 or weight > 100:
        raise ActionError(_("权重应在 0 到 100 之间"), field="weight")
    if people_involved is not None and people_involved < 0:
        raise ActionError(_("涉及人数不能为负数"), field="people_involved")
    estimates = {
        "people_involved": people_involved,
        "scope": (scope or "").strip(),
        "manner": (manner or "").strip(),
        "intensity": (intensity or "").strip(),
        "negative_impact": (negative_impact or "").strip(),
    }
    # 篇1 六(一)3 / 篇3 六(四): the estimates the scheme requires of every factor.
    for field in a.scheme.factor_estimates.required:
        if estimates[field] in (None, ""):
            raise ActionError(
                _("请填写“%(f)s”。方案规定：%(q)s")
                % {"f": rules.estimate_label(field), "q": a.scheme.factor_estimates.quote or ""},
                field=field,
            )
    values = {
        "dimension": dimension,
        "title": title.strip(),
        "description": description,
        **estimates,
        "weight": weight,
    }
    if factor is None:
        factor = RiskFactor.objects.create(assessment=a, created_by=actor, **values)
        record(
            actor, "assessments.factor.add", factor, after=snapshot(factor, RiskFactor.audit_fields)
        )
    else:
        if factor.assessment_id != a.pk:
            raise ActionError(_("风险因素不属于该评估"))
        factor = lock(factor, version, related=("assessment__matter__department",))
        before = snapshot(factor, RiskFactor.audit_fields)
        for key, value in values.items():
            setattr(factor, key, value)
        save_and_record(actor, "assessments.factor.update", factor, before=before)
    _reaggregate(a, factor)
    return factor


@transaction.atomic
def do_remove_factor(actor: Any, factor: RiskFactor) -> None:
    access.require(actor, factor, "change")
    a = _lock(factor.assessment)
    _require_unlocked(a)
    before = snapshot(factor, RiskFactor.audit_fields)
    path, pk, name = a.matter.department.path, factor.pk, factor.title
    factor.delete()
    record(
        actor,
        "assessments.factor.remove",
        None,
        object_type="assessments.riskfactor",
        object_id=str(pk),
        object_repr=name,
        scope_path=path,
        before=before,
    )


def _is_assessor(actor: Any, a: Assessment) -> bool:
    return a.team.filter(user=actor).exists()


@transaction.atomic
def do_score_factor(
    actor: Any, factor: RiskFactor, *, probability_level: str, impact_level: str, note: str = ""
) -> FactorScore:
    """Each assessor of the team scores separately; the aggregate and spread follow."""
    access.require(actor, factor, "view")
    a = _lock(factor.assessment)
    _require_unlocked(a)
    if not _is_assessor(actor, a):
        raise PermissionDenied(_("只有评估组成员可以评分；请先将您加入评估组"))
    method = _scheme_method(a)
    p = _level_value(a, method.probability_scale, probability_level, "probability_level")
    i = _level_value(a, method.impact_scale, impact_level, "impact_level")
    score, created = FactorScore.objects.update_or_create(
        factor=factor,
        assessor=actor,
        defaults={
            "probability_level": probability_level,
            "impact_level": impact_level,
            "probability": p,
            "impact": i,
            "note": note,
        },
    )
    record(
        actor,
        "assessments.factor.score",
        factor,
        after={
            "assessor": actor.pk,
            "probability": probability_level,
            "impact": impact_level,
            "new": created,
        },
    )
    _reaggregate(a, factor)
    return score


@transaction.atomic
def do_add_mitigation(
    actor: Any,
    factor: RiskFactor,
    *,
    measure: str,
    owner: str = "",
    due: dt.date | None = None,
    residual_probability_level: str,
    residual_impact_level: str,
) -> Mitigation:
    access.require(actor, factor, "change")
    a = _lock(factor.assessment)
    _require_unlocked(a)
    method = _scheme_method(a)
    _level_value(
        a, method.probability_scale, residual_probability_level, "residual_probability_level"
    )
    _level_value(a, method.impact_scale, residual_impact_level, "residual_impact_level")
    if not (measure or "").strip():
        raise ActionError(_("请填写化解措施"), field="measure")
    mitigation = Mitigation.objects.create(
        factor=factor,
        measure=measure.strip(),
        owner=owner.strip(),
        due=due,
        residual_probability_level=residual_probability_level,
        residual_impact_level=residual_impact_level,
        created_by=actor,
    )
    record(
        actor,
        "assessments.factor.mitigation",
        factor,
        after={
            "measure": mitigation.measure,
            "residual": [residual_probability_level, residual_impact_level],
        },
    )
    _reaggregate(a, factor)
    return mitigation


def _reaggregate(a: Assessment, factor: RiskFactor) -> None:
    """Aggregate the assessors' scores by the scheme's method and keep the spread; the
    residual risk is the last mitigation's re-estimate (practice: measures → re-estimate)."""
    method = _scheme_method(a)
    scores = list(factor.scores.all())
    if scores:
        kind = method.aggregation.default
        trim = method.aggregation.trim_fraction
        pa = aggregate([s.probability for s in scores], kind, trim)
        ia = aggregate([s.impact for s in scores], kind, trim)
        pi = aggregate([s.probability * s.impact for s in scores], kind, trim)
        factor.probability, factor.impact = pa.value, ia.value
        factor.score = round(pa.value * ia.value, 6)
        factor.spread = {
            "method": kind,
            "n": pa.n,
            "probability": [pa.minimum, pa.maximum, round(pa.stdev, 4)],
            "impact": [ia.minimum, ia.maximum, round(ia.stdev, 4)],
            "score": [round(pi.minimum, 4), round(pi.maximum, 4), round(pi.stdev, 4)],
        }
    else:
        factor.probability = factor.impact = factor.score = None
        factor.spread = {}
    last = factor.mitigations.order_by("-id").first()
    if last is not None and factor.score is not None:
        factor.residual_probability = _level_value(
            a, method.probability_scale, last.residual_probability_level, "p"
        )
        factor.residual_impact = _level_value(
            a, method.impact_scale, last.residual_impact_level, "i"
        )
        factor.residual_score = round(factor.residual_probability * factor.residual_impact, 6)
    else:
        factor.residual_probability, factor.residual_impact, factor.residual_score = (
            factor.probability,
            factor.impact,
            factor.score,
        )
    factor.save(
        update_fields=[
            "probability",
            "impact",
            "score",
            "spread",
            "residual_probability",
            "residual_impact",
            "residual_score",
        ]
    )


# ------------------------------------------------------------------ checklists


@transaction.atomic
def do_answer_checklist(
    actor: Any,
    assessment: Assessment,
    *,
    dimension: str,
    item_no: int,
    answer: str,
    note: str = "",
    evidence: str = "",
    version: int | None = None,
) -> ChecklistAnswer:
    """Answer one item, or change the answer. `version` is the answer's version the form
    showed (0 when it showed the item unanswered), so two people answering the same item
    at once do not overwrite each other silently."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    _require_unlocked(a)
    dim = next((d for d in a.scheme.dimensions if d.code == dimension), None)
    if dim is None or not 0 <= item_no < len(dim.items):
        raise ActionError(_("清单条目不存在"), field="item_no")
    # The scheme gives each item its answer type (compliance, yes/no, written).
    answer_type = dim.answer_type(item_no)
    accepted = ANSWERS_BY_TYPE[answer_type]
    if answer not in accepted:
        raise ActionError(
            _("该条应回答：%(a)s") % {"a": "、".join(str(Answer(x).label) for x in accepted)},
            field="answer",
        )
    if answer == Answer.WRITTEN and not note.strip():
        raise ActionError(_("该条须写出评估意见"), field="note")
    if answer_failed(answer_type, answer) and not note.strip():
        raise ActionError(
            _("结论为“%(a)s”的须说明情况") % {"a": Answer(answer).label}, field="note"
        )
    values = {
        "item_text": dim.items[item_no],
        "answer": answer,
        "note": note.strip(),
        "evidence": evidence.strip(),
        "answered_by": actor,
    }
    row = ChecklistAnswer.objects.filter(assessment=a, dimension=dimension, item_no=item_no).first()
    if row is None:
        row = ChecklistAnswer.objects.create(
            assessment=a, dimension=dimension, item_no=item_no, **values
        )
        before = None
    else:
        row = lock(row, version, related=("assessment__matter__department",))
        before = snapshot(row, ChecklistAnswer.audit_fields)
        for key, value in values.items():
            setattr(row, key, value)
        bump(row)
    record(
        actor,
        "assessments.checklist.answer",
        row,
        before=before,
        after={"dimension": dimension, "item": item_no, "answer": answer},
    )
    return row


# ------------------------------------------------------------------ grading


def compute_grade(a: Assessment) -> dict[str, Any]:
    """The scheme's method applied to the factors: the index and grade before and after
    measures. Raises ActionError when a factor has no score yet."""
    factors = list(a.factors.all())
    if not factors or any(f.score is None for f in factors):
        raise ActionError(_("所有风险因素须先评分，才能计算风险等级"))
    if not any(f.weight for f in factors):
        # Σ wᵢ·Pᵢ·Iᵢ is normalised by Σ wᵢ: with every weight 0 there is no index at all.
        raise ActionError(
            _(
                "所有风险因素的权重均为 0，无法计算综合风险指数：请至少为一个风险因素设置大于 0 的权重"
            ),
            field="weight",
        )
    spec = composite_spec(a.scheme)
    initial = score_factors(
        [ScoringFactor(f.title, f.probability, f.impact, f.weight) for f in factors], spec
    )
    residual = score_factors(
        [
            ScoringFactor(f.title, f.residual_probability, f.residual_impact, f.weight)
            for f in factors
        ],
        spec,
    )
    use = residual if _scheme_method(a).reassess_after_measures else initial
    # The public's reaction may bound the grade (scheme grading.public_reaction_floor).
    floor = rules.reaction_floor(a, use.grade)
    if floor is not None:
        use = dataclasses.replace(use, grade=floor.grade)
    return {"initial": initial, "residual": residual, "result": use, "floor": floor}


def grade_floor_reason(a: Assessment) -> str:
    """Why the public's reaction lifted the stored computed grade, or "" (the grade page,
    the API and the report read this one check)."""
    if not a.computed_grade:
        return ""
    try:
        floor = compute_grade(a)["floor"]
    except ActionError:
        return ""
    return floor.reason if floor is not None and floor.grade == a.computed_grade else ""


def major_stability_reasons(a: Assessment, grade: str | None = None) -> list[str]:
    """Why the matter has 涉稳重大问题 whatever the department ticks: the grade (or the
    computed one) is the scheme's highest or second-highest, the majority rule is
    triggered, or an incident was recorded on the matter. Set by hand it may also be."""
    reasons: list[str] = []
    ranked = sorted(a.scheme.grades, key=lambda g: -g.severity)[:2]
    top = {g.code: g.label for g in ranked}
    for code in dict.fromkeys([grade if grade is not None else a.grade, a.computed_grade]):
        if code and code in top:
            reasons.append(
                _("风险等级为%(g)s（方案中最高的两个等级之一：%(t)s）")
                % {"g": top[code], "t": "、".join(top.values())}
            )
            break
    rule = a.scheme.majority_rule
    if rule is not None:
        summary = rules.opinion_summary(a)
        if rule.breached(summary.oppose_rate):
            reasons.append(
                _("征求意见中反对的占 %(r).1f%%，超过 %(t).0f%%（%(q)s）")
                % {"r": summary.oppose_rate * 100, "t": rule.threshold * 100, "q": rule.quote}
            )
    n = Incident.objects.filter(assessment__matter=a.matter).count()
    if n:
        reasons.append(_("事项已登记 %(n)s 起不稳定情况") % {"n": n})
    return [str(r) for r in reasons]


@transaction.atomic
def do_grade(
    actor: Any,
    assessment: Assessment,
    *,
    version: int | None = None,
    grade: str = "",
    reason: str = "",
    written_opinion: str,
    recommendation: str,
    major_stability_issue: bool = False,
    mitigation_plan: str = "",
    contingency_plan: str = "",
) -> Assessment:
    """篇1 六(一)4 由责任主体 … 核准确定重大决策事项的风险等级，并出据书面意见.
    The computed grade stands unless the responsible department changes it with a reason,
    which is audited and printed on the report."""
    access.require(actor, assessment, "change")
    a = _lock(assessment, version)
    _require_unlocked(a)
    _require_step_reached(a, "grade")
    computed = compute_grade(a)
    result = computed["result"]
    chosen = grade or result.grade
    if chosen not in {g.code for g in a.scheme.grades}:
        raise ActionError(_("未知的风险等级"), field="grade")
    if chosen != result.grade and not reason.strip():
        raise ActionError(_("调整计算得出的风险等级须说明理由"), field="reason")
    if not written_opinion.strip():
        raise ActionError(_("请填写责任主体的书面意见"), field="written_opinion")
    before = snapshot(a, Assessment.audit_fields)
    a.initial_index, a.initial_grade = computed["initial"].index, computed["initial"].grade
    a.computed_index, a.computed_band, a.computed_grade = result.index, result.band, result.grade
    # A grade other than the computed one is only proposed here (`_propose_override`); the
    # computed grade governs until a leader approves the proposal.
    override = _keep_or_propose_override(actor, a, chosen, reason)
    a.grade = a.effective_grade()
    a.grade_override_reason = override.reason if override and a.grade != a.computed_grade else ""
    a.graded_by, a.graded_at = actor, timezone.now()
    a.written_opinion, a.recommendation = written_opinion.strip(), recommendation.strip()
    # 涉稳重大问题 is fengping's when a reason exists (never cleared by the department).
    a.major_stability_issue = major_stability_issue or bool(major_stability_reasons(a, chosen))
    a.mitigation_plan, a.contingency_plan = mitigation_plan.strip(), contingency_plan.strip()
    save_and_record(
        actor,
        "assessments.grade",
        a,
        "initial_index",
        "initial_grade",
        "computed_index",
        "computed_band",
        "computed_grade",
        "grade",
        "grade_override_reason",
        "graded_by",
        "graded_at",
        "written_opinion",
        "recommendation",
        "major_stability_issue",
        "mitigation_plan",
        "contingency_plan",
        before=before,
    )
    label = a.grade_label
    matter_actions.set_status(actor, a.matter, a.matter.status, grade=a.grade, grade_label=label)
    return a


def _keep_or_propose_override(
    actor: Any, a: Assessment, chosen: str, reason: str
) -> GradeOverride | None:
    """Grading again keeps a live proposal (or approval) for the same change of the same
    computed grade; any other choice voids it, and a new change is proposed."""
    live = a.overrides.filter(state__in=[OverrideState.PROPOSED, OverrideState.APPROVED]).first()
    if (
        live is not None
        and chosen != a.computed_grade
        and live.proposed_grade == chosen
        and live.computed_grade == a.computed_grade
    ):
        return live
    _void_overrides(actor, a)
    if chosen == a.computed_grade:
        return None
    return _propose_override(actor, a, chosen, reason)


def _void_overrides(actor: Any, a: Assessment) -> None:
    for old in a.overrides.filter(state__in=[OverrideState.PROPOSED, OverrideState.APPROVED]):
        old.state = OverrideState.VOID
        old.save(update_fields=["state"])
        record(
            actor,
            "assessments.grade.override.void",
            old,
            after={"computed": old.computed_grade, "proposed": old.proposed_grade},
            scope_path=a.matter.department.path,
        )


def _propose_override(actor: Any, a: Assessment, grade: str, reason: str) -> GradeOverride:
    if grade not in {g.code for g in a.scheme.grades}:
        raise ActionError(_("未知的风险等级"), field="grade")
    if not (reason or "").strip():
        raise ActionError(_("调整计算得出的风险等级须说明理由"), field="reason")
    override = GradeOverride.objects.create(
        assessment=a,
        computed_grade=a.computed_grade,
        proposed_grade=grade,
        reason=reason.strip(),
        proposed_by=actor,
    )
    record(
        actor,
        "assessments.grade.override.propose",
        override,
        after={"computed": a.computed_grade, "proposed": grade, "reason": override.reason},
        scope_path=a.matter.department.path,
    )
    return override


@transaction.atomic
def do_propose_override(
    actor: Any, assessment: Assessment, *, grade: str, reason: str
) -> GradeOverride:
    """Propose changing the computed grade, with a reason. It changes nothing until a
    分管领导 or 主要负责人 of the responsible department other than the proposer approves it."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    _require_open(a)
    if not a.computed_grade:
        raise ActionError(_("请先确定风险等级，再提出调整"), field="grade")
    if a.report_generated_at is not None:
        raise ActionError(str(REPORT_RESTS_ON_GRADE))
    if grade == a.computed_grade:
        raise ActionError(_("拟调整的等级与计算等级相同"), field="grade")
    _void_overrides(actor, a)
    override = _propose_override(actor, a, grade, reason)
    _apply_effective_grade(actor, a)
    return override


# The report rests on the grade: once generated, the grade changes only after a send-back.
REPORT_RESTS_ON_GRADE = gettext_lazy(
    "评估报告已依据现有风险等级生成，不能再调整等级；如确需调整，请先退回到定级步骤并说明理由"
)


def override_refusal(actor: Any, override: GradeOverride) -> str:
    """Why `actor` may not approve or reject the proposal now ("" when they may)."""
    a = override.assessment
    if override.state != OverrideState.PROPOSED:
        return str(_("该调整已%(s)s") % {"s": override.get_state_display()})
    if not is_responsible_leader(actor, a):
        return str(
            _("调整风险等级须由责任主体（%(d)s）的分管领导或主要负责人批准")
            % {"d": a.matter.department.name}
        )
    if override.proposed_by_id == actor.pk:
        return str(_("提出调整的人不能批准自己的调整"))
    if not a.is_content_open():
        return str(_("评估已作出决定，不能再调整风险等级"))
    if a.report_generated_at is not None:
        return str(REPORT_RESTS_ON_GRADE)
    return ""


def _decide_override(actor: Any, override: GradeOverride, state: str, note: str) -> GradeOverride:
    access.require(actor, override, "view")
    if not is_responsible_leader(actor, override.assessment):
        raise PermissionDenied(override_refusal(actor, override) or _("您没有批准的权限"))
    a = _lock(override.assessment)
    override = lock(override, related=("assessment__matter__department",))
    refused = override_refusal(actor, override)
    if refused:
        raise ActionError(refused)
    if override.computed_grade != a.computed_grade:
        raise ActionError(_("计算等级已变化，该调整已失效，请重新提出"))
    if state == OverrideState.REJECTED and not note.strip():
        raise ActionError(_("不批准须说明理由"), field="note")
    override.state, override.decided_by, override.decided_at = state, actor, timezone.now()
    override.decision_note = note.strip()
    override.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    record(
        actor,
        "assessments.grade.override.approve"
        if state == OverrideState.APPROVED
        else "assessments.grade.override.reject",
        override,
        after={
            "computed": override.computed_grade,
            "proposed": override.proposed_grade,
            "proposed_by": override.proposed_by_id,
            "note": override.decision_note,
        },
        scope_path=a.matter.department.path,
    )
    _apply_effective_grade(actor, a)
    return override


def _apply_effective_grade(actor: Any, a: Assessment) -> None:
    """Keep the stored grade (lists, the matter) equal to `Assessment.effective_grade`."""
    grade = a.effective_grade()
    approved = a.approved_override() if grade != a.computed_grade else None
    reason = approved.reason if approved else ""
    if (a.grade, a.grade_override_reason) == (grade, reason):
        return
    before = snapshot(a, Assessment.audit_fields)
    a.grade, a.grade_override_reason = grade, reason
    save_and_record(actor, "assessments.grade", a, "grade", "grade_override_reason", before=before)
    matter_actions.set_status(
        actor, a.matter, a.matter.status, grade=a.grade, grade_label=a.grade_label
    )


@transaction.atomic
def do_approve_override(actor: Any, override: GradeOverride, note: str = "") -> GradeOverride:
    return _decide_override(actor, override, OverrideState.APPROVED, note)


@transaction.atomic
def do_reject_override(actor: Any, override: GradeOverride, note: str = "") -> GradeOverride:
    return _decide_override(actor, override, OverrideState.REJECTED, note)


# Conditions that rest on a plan of the assessment: the condition's record carries it.
CONDITION_PLANS = {
    "mitigation_plan_approved": ("mitigation_plan", gettext_lazy("化解矛盾方案")),
    "prevention_work_done": ("contingency_plan", gettext_lazy("预案")),
}
AUTOMATIC_CONDITIONS = frozenset({"assessment_completed", "plan_filed"})


def _confirmable(a: Assessment, code: str) -> Any:
    cond = next((c for c in a.scheme.conditions if c.code == code), None)
    if cond is None or code in AUTOMATIC_CONDITIONS:
        raise ActionError(_("未知的条件"), field="code")
    return cond


@transaction.atomic
def do_record_condition(
    actor: Any, assessment: Assessment, code: str, *, note: str, plan: str = ""
) -> ConditionRecord:
    """The person who did the work records it, with the 方案 or 预案 it rests on
    (C级: 承办部门应根据相关预案 … 做好矛盾防范和化解工作); a leader then confirms it."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    _require_conditions_open(a)
    cond = _confirmable(a, code)
    row = ConditionRecord.objects.filter(assessment=a, code=code).first()
    if row is not None and row.confirmed:
        raise ActionError(_("该条件已确认"))
    if code in CONDITION_PLANS:
        field, label = CONDITION_PLANS[code]
        plan = (plan or "").strip() or getattr(a, field).strip()
        if not plan:
            raise ActionError(
                _("“%(c)s”须先记录其所依据的%(p)s。方案规定：%(q)s")
                % {"c": cond.label, "p": label, "q": cond.quote or ""},
                field="plan",
            )
    if not (note or "").strip():
        raise ActionError(_("请说明落实情况"), field="note")
    if row is None:
        row = ConditionRecord(assessment=a, code=code)
    row.note, row.plan = note.strip(), (plan or "").strip()
    row.recorded_by, row.recorded_at = actor, timezone.now()
    row.save()
    record(
        actor,
        "assessments.condition.record",
        a,
        after={"condition": code, "note": row.note, "plan": row.plan},
    )
    return row


def condition_confirm_refusal(actor: Any, a: Assessment, code: str) -> str:
    """Why `actor` may not confirm the condition now ("" when they may)."""
    if not is_responsible_leader(actor, a):
        return str(
            _("实施条件须由责任主体（%(d)s）的分管领导或主要负责人确认")
            % {"d": a.matter.department.name}
        )
    row = a.conditions.filter(code=code).first()
    if row is None or row.recorded_by_id is None:
        return str(_("须先由承办人登记落实情况及所依据的方案或预案，再由领导确认"))
    if row.confirmed:
        return str(_("该条件已确认"))
    if row.recorded_by_id == actor.pk:
        return str(_("登记落实情况的人不能自己确认该条件"))
    return ""


@transaction.atomic
def do_confirm_condition(
    actor: Any, assessment: Assessment, code: str, note: str = ""
) -> ConditionRecord:
    """A leader of the responsible department confirms a recorded condition (e.g.
    明确责任，制定化解矛盾方案后方可实施: the plan approved), never the recorder."""
    access.require(actor, assessment, "view")
    if not is_responsible_leader(actor, assessment):
        raise PermissionDenied(condition_confirm_refusal(actor, assessment, code))
    a = _lock(assessment)
    _require_conditions_open(a)
    _confirmable(a, code)
    refused = condition_confirm_refusal(actor, a, code)
    if refused:
        raise ActionError(refused)
    row = lock(a.conditions.get(code=code), related=("assessment__matter__department",))
    if row.confirmed:
        raise ActionError(_("该条件已确认"))
    row.confirmed_by, row.confirmed_at, row.confirm_note = actor, timezone.now(), note.strip()
    row.save(update_fields=["confirmed_by", "confirmed_at", "confirm_note"])
    record(
        actor,
        "assessments.condition.confirm",
        a,
        after={"condition": code, "recorded_by": row.recorded_by_id, "note": row.confirm_note},
    )
    return row


@transaction.atomic
def do_mark_report_generated(
    actor: Any, assessment: Assessment, sha256: str, *, version: int | None = None
) -> Assessment:
    """Called by the report generator after it archived the DOCX as report `version`
    (by default the next one). Refused unless the report may be generated now
    (Assessment.report_refusal: at the report step, after the grade step)."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    refused = a.report_refusal()
    if refused:
        raise ActionError(refused)
    a.report_version = version or a.report_version + 1
    a.report_generated_at, a.report_sha256 = timezone.now(), sha256
    bump(a, "report_generated_at", "report_sha256", "report_version")
    record(
        actor,
        "assessments.report.generate",
        a,
        after={"sha256": sha256, "report_version": a.report_version},
    )
    return a


# ------------------------------------------------------------------ review and decision


def review_chain(a: Assessment) -> list[Any]:
    """The stages this assessment's report must pass: the decide step's review chain,
    with the escalation stage only for 涉稳重大问题."""
    s = a.decide_step()
    if s is None:
        return []
    return [stage for stage in s.review_chain if not stage.when or a.major_stability_issue]


def pending_review(a: Assessment) -> Any:
    approved = set(
        a.reviews.filter(
            result=ReviewResult.APPROVED, round=a.review_round(), voided_at__isnull=True
        ).values_list("stage", flat=True)
    )
    return next((stage for stage in review_chain(a) if stage.code not in approved), None)


# 篇3 五: 镇维稳办、信访联席会议办公室负责 … 督促、检查、指导和协调 — with 篇1 七(二)'s
# 监察室 they supervise: they receive the filing and never sign a review.
SUPERVISING_OFFICE_KINDS = frozenset(
    {DepartmentKind.STABILITY_OFFICE, DepartmentKind.JOINT_OFFICE, DepartmentKind.SUPERVISION}
)
# [D] A stage without a signer in the scheme (older files) is signed by these roles.
DEFAULT_SIGNER_ROLES = frozenset({Role.LEADER, Role.HEAD})


def _ancestors_and_self(dept: Department) -> list[Department]:
    """The department and the ones above it, nearest first."""
    ids = [int(x) for x in dept.path.strip("/").split("/") if x.isdigit()]
    by_id = Department.objects.in_bulk(ids)
    return [by_id[i] for i in reversed(ids) if i in by_id] or [dept]


def approving_department(matter: Matter) -> Department:
    """审批、审议部门: as the matter names it; [D] otherwise the functional department (局)
    the 责任主体 belongs to, or the 责任主体 itself."""
    if matter.approving_department_id:
        return matter.approving_department  # type: ignore[return-value]
    for dept in _ancestors_and_self(matter.department):
        if dept.kind == DepartmentKind.FUNCTIONAL:
            return dept
    return matter.department


def deciding_organ(matter: Matter) -> Department | None:
    """决策机关 (有权作出决定的机关): as the matter names it; [D] otherwise the nearest
    unit above the 责任主体 that is a deciding organ or a town government."""
    if matter.deciding_organ_id:
        return matter.deciding_organ
    for dept in _ancestors_and_self(matter.department):
        if dept.kind in (DepartmentKind.DECIDING, DepartmentKind.TOWN):
            return dept
    return None


def signing_unit(a: Assessment, stage: Any) -> Department | None:
    """The unit whose leader signs `stage` (the scheme's `signer.unit`)."""
    signer = getattr(stage, "signer", None)
    if signer is None or signer.unit == "approving_department":
        return approving_department(a.matter)
    return deciding_organ(a.matter)


def signer_roles(stage: Any) -> frozenset[str]:
    signer = getattr(stage, "signer", None)
    return frozenset(signer.roles) if signer is not None else DEFAULT_SIGNER_ROLES


def stage_signers(a: Assessment, stage: Any) -> list[User]:
    """The people who may sign `stage`: the named roles held in the signing unit."""
    unit = signing_unit(a, stage)
    if unit is None or unit.kind in SUPERVISING_OFFICE_KINDS:
        return []
    return list(
        User.objects.filter(
            is_active=True,
            memberships__department=unit,
            memberships__role__in=signer_roles(stage),
        )
        .distinct()
        .order_by("real_name", "username")
    )


def stage_signer_text(a: Assessment, stage: Any) -> str:
    """E.g. “人社局的分管领导或主要负责人（张三、李四）”: who may sign the stage."""
    unit = signing_unit(a, stage)
    if unit is None:
        return str(_("事项的决策机关（尚未指定）"))
    roles = _("或").join(str(Role(r).label) for r in sorted(signer_roles(stage), reverse=True))
    people = "、".join(u.real_name or u.username for u in stage_signers(a, stage))
    text = _("%(u)s的%(r)s") % {"u": unit.name, "r": roles}
    return f"{text}（{people}）" if people else str(text)


def _chain_quote(a: Assessment) -> str:
    step = a.decide_step()
    return (step.text or "") if step is not None else ""


def review_refusal(actor: Any, a: Assessment, stage: Any = None) -> str:
    """Why `actor` may not sign the pending stage now ("" when they may): the stage's
    signer from the scheme (unit and role), never a supervising office, never the same
    person twice in one round. The page shows the form only when this is empty."""
    if not a.at_decide_step() or not a.is_content_open():
        return str(_("报告尚未提交审查"))
    stage = stage or pending_review(a)
    if stage is None:
        return str(_("审查已全部完成"))
    quote = _chain_quote(a)
    unit = signing_unit(a, stage)
    if unit is None:
        return str(
            _("事项未指定决策机关，无法确定“%(s)s%(a)s”由谁签署：请在事项登记中指定决策机关。")
            % {"s": stage.actor, "a": stage.action}
        )
    if unit.kind in SUPERVISING_OFFICE_KINDS:
        return str(
            _(
                "%(u)s是督查机关，只接收备案，不签署审查；请在事项登记中指定审批、审议部门和决策机关。"
            )
            % {"u": unit.name}
        )
    may = Membership.objects.filter(
        user=actor,
        department=unit,
        department__is_active=True,
        role__in=signer_roles(stage),
    ).exists()
    if not may:
        return str(
            _("“%(s)s%(a)s”须由%(who)s签署。方案规定：%(q)s")
            % {"s": stage.actor, "a": stage.action, "who": stage_signer_text(a, stage), "q": quote}
        )
    signed = a.reviews.filter(round=a.review_round(), reviewer=actor).first()
    if signed is not None:
        earlier = next((s for s in review_chain(a) if s.code == signed.stage), None)
        return str(
            _(
                "您已签署本轮的“%(e)s”，同一人不能签署同一轮审查的两个环节；"
                "“%(s)s%(a)s”须由%(who)s中的其他人签署。方案规定：%(q)s"
            )
            % {
                "e": f"{earlier.actor}{earlier.action}" if earlier else signed.stage,
                "s": stage.actor,
                "a": stage.action,
                "who": stage_signer_text(a, stage),
                "q": quote,
            }
        )
    return ""


def may_sign_some_stage(actor: Any, a: Assessment) -> bool:
    """Holds a signing role in a unit of the chain — decided before anything about the
    review's state is revealed."""
    for stage in review_chain(a):
        unit = signing_unit(a, stage)
        if unit is None or unit.kind in SUPERVISING_OFFICE_KINDS:
            continue
        if Membership.objects.filter(
            user=actor, department=unit, role__in=signer_roles(stage)
        ).exists():
            return True
    return False


@transaction.atomic
def do_review(
    actor: Any, assessment: Assessment, *, stage: str, result: str, opinion: str
) -> Review:
    """篇3 六(七) 评估报告经审批、审议部门审查后，报送镇级分管领导审定 … 对存在涉稳重大问题
    的应报镇委、镇政府审定: each stage signed by the scheme's signer, one person one stage."""
    access.require(actor, assessment, "view")
    # Who may review is decided before anything about the review's state is revealed.
    if not may_sign_some_stage(actor, assessment):
        raise PermissionDenied(
            _(
                "审查须由方案规定的签署人进行（审批、审议部门或决策机关的领导）；"
                "督查机关只接收备案，不签署审查"
            )
        )
    a = _lock(assessment)
    _require_open(a)
    if not a.at_decide_step():
        raise ActionError(_("报告尚未提交审查"))
    expected = pending_review(a)
    if expected is None:
        raise ActionError(_("审查已全部完成"))
    if stage != expected.code:
        raise ConflictError(_("当前应由“%(a)s”%(b)s") % {"a": expected.actor, "b": expected.action})
    refused = review_refusal(actor, a, expected)
    if refused:
        raise ActionError(refused)
    if not opinion.strip():
        raise ActionError(_("请填写审查意见"), field="opinion")
    if result not in ReviewResult.values:
        raise ActionError(_("请选择审查结论"), field="result")
    review = Review.objects.create(
        assessment=a,
        stage=stage,
        reviewer=actor,
        opinion=opinion.strip(),
        result=result,
        round=a.review_round(),
        report_version=a.report_version or None,
    )
    record(
        actor, "assessments.review", a, after={"stage": stage, "result": result, "opinion": opinion}
    )
    if result == ReviewResult.SENT_BACK:
        report_step = engine.step_producing(a.scheme, "report").code
        # Sent back: the assessment returns to the report step with the reviewer's reason.
        _send_back(
            actor,
            a,
            report_step,
            _("审查退回（%(s)s）：%(o)s") % {"s": expected.actor, "o": opinion},
        )
    return review


_DOC_NO = re.compile(r"^\S+[〔\[（(]\s*(\d{4})\s*[〕\]）)]\s*\d+\s*号$")


def normalise_doc_no(doc_no: str) -> str:
    """文号 as offices write it: 机关代字〔年份〕序号号, e.g. 株政发〔2026〕12号."""
    text = re.sub(r"\s+", "", doc_no or "")
    if not _DOC_NO.match(text):
        raise ActionError(
            _("文号格式应为“机关代字〔年份〕序号号”，例如：株政发〔2026〕12号"), field="doc_no"
        )
    return re.sub(r"[\[（(](\d{4})[\]）)]", r"〔\1〕", text)


def _check_doc_no_year(doc_no: str, decided_on: dt.date) -> None:
    """The year in a 文号 is the year the document is issued: it matches the decision date."""
    match = _DOC_NO.match(doc_no)
    if match and int(match.group(1)) != decided_on.year:
        raise ActionError(
            _("文号中的年份（%(y)s）与决定日期（%(d)s）的年份不一致，请核对文号或决定日期")
            % {"y": match.group(1), "d": decided_on.isoformat()},
            field="doc_no",
        )


def earliest_decision_date(a: Assessment) -> tuple[dt.date, str]:
    """A decision is dated on or after the last review approval of the round (or, without
    a review chain, the day the assessment started); with what that date is."""
    last = (
        a.reviews.filter(result=ReviewResult.APPROVED, round=a.review_round())
        .order_by("-at")
        .first()
    )
    if last is not None:
        return timezone.localdate(last.at), str(_("最后一次审查通过的日期"))
    return timezone.localdate(a.started_at), str(_("评估开始的日期"))


@transaction.atomic
def do_decide(
    actor: Any,
    assessment: Assessment,
    *,
    outcome: str,
    doc_no: str,
    decided_on: dt.date,
    authority: str = "",
    note: str = "",
) -> Decision:
    """Record the deciding authority's decision. Refused, with the rule quoted, when the
    grade, a condition, the majority rule or a gate of the frozen scheme forbids it."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    _require_open(a)
    if not a.at_decide_step():
        raise ActionError(_("评估报告尚未完成，不能作出决定"))
    if Decision.objects.filter(assessment=a).exists():
        raise ConflictError(_("该评估已登记决定"))
    waiting = pending_review(a)
    if waiting is not None:
        raise ActionError(_("评估报告尚待“%(a)s”%(b)s") % {"a": waiting.actor, "b": waiting.action})
    if outcome not in {d.code for d in a.scheme.decisions}:
        raise ActionError(_("请选择决定"), field="outcome")
    if decided_on > timezone.localdate():
        raise ActionError(_("决定日期不能晚于今天"), field="decided_on")
    floor, what = earliest_decision_date(a)
    if decided_on < floor:
        raise ActionError(
            _("决定日期不能早于%(w)s（%(d)s）：评估报告经审查、审定后才能作出决定")
            % {"w": what, "d": floor.isoformat()},
            field="decided_on",
        )
    doc_no = normalise_doc_no(doc_no)
    _check_doc_no_year(doc_no, decided_on)
    refused = rules.refusals(a, outcome)
    if refused:
        raise ActionError("\n".join(r.message for r in refused), field="outcome")
    decision = Decision.objects.create(
        matter=a.matter,
        assessment=a,
        outcome=outcome,
        outcome_label=rules.decision_label(a, outcome),
        doc_no=normalise_doc_no(doc_no),
        decided_on=decided_on,
        authority=(authority or a.matter.deciding_authority).strip() or _("（未填写）"),
        note=note.strip(),
        recorded_by=actor,
    )
    record(
        actor,
        "assessments.decide",
        decision,
        after={
            "outcome": outcome,
            "doc_no": decision.doc_no,
            "decided_on": decided_on,
            "grade": a.grade,
        },
    )
    matter_actions.set_status(actor, a.matter, MatterStatus.DECIDED)
    return decision


@transaction.atomic
def do_decide_without_assessment(
    actor: Any,
    matter: Matter,
    *,
    outcome: str,
    doc_no: str,
    decided_on: dt.date,
    authority: str = "",
    note: str = "",
) -> Decision:
    """Only matters outside the must-assess categories may be decided without an assessment:
    篇3 六(一) 严禁漏项; 七(二) 坚决杜绝未进行社会稳定风险评估而盲目进行重大事项或项目决策.
    The outcome is one of the scheme's decisions (its label comes from the scheme), dated
    no later than today, by a named authority (the matter's 决定机关 when none is given)."""
    access.require(actor, matter, "change")
    matter = lock(matter)
    if matter.must_assess:
        raise ActionError(
            _(
                "该事项属于必须评估的范围，未完成社会稳定风险评估不得作出决定。方案规定：凡属于本《实施方案》确定的评估事项，都要纳入评估范围，严禁漏项；坚决杜绝未进行社会稳定风险评估而盲目进行重大事项或项目决策。"
            )
        )
    if matter.decisions.exists():
        raise ConflictError(_("该事项已登记决定"))
    scheme = matter_actions.scheme_of(matter.scheme_key)
    labels = {d.code: d.label for d in scheme.decisions}
    if outcome not in labels:
        raise ActionError(
            _("“%(o)s”不是该方案中的决定，应为：%(c)s")
            % {"o": outcome, "c": "、".join(labels.values())},
            field="outcome",
        )
    if decided_on > timezone.localdate():
        raise ActionError(_("决定日期不能晚于今天"), field="decided_on")
    doc_no = normalise_doc_no(doc_no)
    _check_doc_no_year(doc_no, decided_on)
    authority = (authority or "").strip() or matter.deciding_authority.strip()
    if not authority:
        raise ActionError(_("请填写作出决定的决定机关"), field="authority")
    decision = Decision.objects.create(
        matter=matter,
        outcome=outcome,
        outcome_label=labels[outcome],
        doc_no=normalise_doc_no(doc_no),
        decided_on=decided_on,
        authority=authority,
        note=note.strip(),
        recorded_by=actor,
    )
    matter_actions.set_status(actor, matter, MatterStatus.DECIDED)
    if matter.consultation_closed_at is None:
        # Decided: its questionnaires take no more answers (issue 8, loophole 12).
        opinion_actions.close_consultation(actor, matter)
    record(
        actor,
        "matters.decide_without_assessment",
        decision,
        after={"outcome": outcome, "doc_no": decision.doc_no},
    )
    return decision


FILING_QUOTE = _(
    "评估报告一经审定，责任主体应在决定的次日将评估报告及审定意见分别报镇维稳办、镇联席办备案。"
)


def _filing_quote(a: Assessment) -> str:
    d = a.filing_deadline()
    return d.quote if d is not None else str(FILING_QUOTE)


@transaction.atomic
def do_file(
    actor: Any,
    assessment: Assessment,
    *,
    office: Department,
    filed_on: dt.date,
    note: str = "",
    late_reason: str = "",
) -> Filing:
    """篇3 六(七): 在决定的次日将评估报告及审定意见分别报镇维稳办、镇联席办备案. Each
    office the scheme lists gets its own filing; one filed after the due day needs the
    reason and stays marked late."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    decision = Decision.objects.filter(assessment=a).first()
    if decision is None:
        raise ActionError(_("作出决定后才能备案"))
    recipients = a.filing_recipients()
    kinds = [k for k, _n in recipients] or list(matter_actions.SUPERVISING_KINDS)
    if office.kind not in kinds or office.root_path != a.matter.department.root_path:
        names = "、".join(n for _k, n in recipients) or _("维稳办或联席会议办公室")
        raise ActionError(
            _("备案机关应为本组织的%(n)s。方案规定：%(q)s") % {"n": names, "q": _filing_quote(a)},
            field="office",
        )
    if filed_on < decision.decided_on:
        raise ActionError(
            _("备案日期不能早于决定日期（%(d)s）") % {"d": decision.decided_on.isoformat()},
            field="filed_on",
        )
    if filed_on > timezone.localdate():
        raise ActionError(_("备案日期不能晚于今天"), field="filed_on")
    late = filed_on > decision.filing_due
    if late and not late_reason.strip():
        raise ActionError(
            _("备案已逾期（应于 %(due)s 前备案），请说明逾期原因。方案规定：%(q)s")
            % {"due": decision.filing_due.isoformat(), "q": _filing_quote(a)},
            field="late_reason",
        )
    try:
        with transaction.atomic():
            filing = Filing.objects.create(
                assessment=a,
                office=office,
                filed_on=filed_on,
                note=note.strip(),
                filed_by=actor,
                late=late,
                late_reason=late_reason.strip() if late else "",
            )
    except IntegrityError:
        raise ActionError(_("已向%(o)s备案") % {"o": office.name}) from None
    record(
        actor,
        "assessments.file",
        filing,
        after={
            "office": office.pk,
            "filed_on": filed_on,
            "due": decision.filing_due,
            "late": late,
            "late_reason": filing.late_reason,
        },
        scope_path=a.matter.department.path,
    )
    return filing


def office_member(actor: Any, office: Department) -> bool:
    """A member (any role) of the office or a unit under it."""
    return Membership.objects.filter(
        user=actor, department__path__startswith=office.path, department__is_active=True
    ).exists()


def acknowledge_refusal(actor: Any, filing: Filing) -> str:
    """Why `actor` may not 签收 the filing ("" when they may): only a member of the
    receiving office, once."""
    if not office_member(actor, filing.office):
        return str(_("只有%(o)s的人员可以签收该备案") % {"o": filing.office.name})
    if filing.acknowledged_at is not None:
        who = filing.acknowledged_by
        return str(
            _("%(o)s已于 %(t)s 签收（%(u)s）")
            % {
                "o": filing.office.name,
                "t": timezone.localtime(filing.acknowledged_at).strftime("%Y-%m-%d %H:%M"),
                "u": (who.real_name or who.username) if who else "",
            }
        )
    return ""


@transaction.atomic
def do_acknowledge_filing(actor: Any, filing: Filing, note: str = "") -> Filing:
    """签收: a member of the receiving office confirms it has the report and the 审定意见."""
    if not office_member(actor, filing.office):
        raise PermissionDenied(acknowledge_refusal(actor, filing))
    filing = lock(filing, related=("assessment__matter__department", "office"))
    refused = acknowledge_refusal(actor, filing)
    if refused:
        raise ActionError(refused)
    filing.acknowledged_by, filing.acknowledged_at = actor, timezone.now()
    filing.save(update_fields=["acknowledged_by", "acknowledged_at"])
    record(
        actor,
        "assessments.filing.acknowledge",
        filing,
        after={"office": filing.office_id, "note": note.strip()},
        scope_path=filing.assessment.matter.department.path,
    )
    return filing


def filings_received(actor: Any) -> Any:
    """The filings made with the offices (and units under them) the actor belongs to —
    the supervising offices' view, newest first."""
    scope = access.scope_of(actor)
    qs = Filing.objects.select_related(
        "office", "assessment__matter__department", "acknowledged_by", "filed_by"
    ).order_by("acknowledged_at", "-filed_on", "-id")
    if scope.everything:
        return qs
    # 三员分立: a 安全管理员 or 审计管理员 membership opens no business data.
    paths = list(
        Membership.objects.filter(user=actor, department__is_active=True)
        .exclude(role__in=access.SEPARATED_ROLES)
        .values_list("department__path", flat=True)
    )
    if not paths:
        return qs.none()
    q = Q()
    for path in paths:
        q |= Q(office__path__startswith=path)
    return qs.filter(q)


def filing_for_user(actor: Any, pk: Any) -> Filing:
    """A filing the actor may see: through the matter (org.access) or as a member of the
    receiving office; otherwise 404, the same answer as for a filing that does not exist."""
    try:
        found = access.visible(actor, Filing.objects.all()).filter(pk=pk).first()
        if found is None:
            found = filings_received(actor).filter(pk=pk).first()
    except (ValueError, TypeError):
        found = None
    if found is None:
        raise Http404(_("对象不存在或无权访问"))
    return found


def filing_state(a: Assessment) -> dict[str, Any]:
    """Due the day after the decision; overdue while a recipient office has no filing after
    that day; every late filing stays marked."""
    decision = Decision.objects.filter(assessment=a).first()
    if decision is None:
        return {"due": None, "overdue": False, "late": [], "missing": [], "filings": []}
    filings = list(a.filings.select_related("office", "acknowledged_by", "filed_by"))
    missing = a.filings_missing()
    return {
        "due": decision.filing_due,
        "overdue": bool(missing) and timezone.localdate() > decision.filing_due,
        "late": [f for f in filings if f.late],
        "missing": missing,
        "filings": filings,
        "unacknowledged": [f for f in filings if f.acknowledged_at is None],
    }


# ------------------------------------------------------------------ follow-up


@transaction.atomic
def do_add_measure(
    actor: Any,
    assessment: Assessment,
    *,
    kind: str,
    title: str,
    owner: str,
    due: dt.date | None = None,
    detail: str = "",
) -> FollowUpMeasure:
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    if kind not in MeasureKind.values:
        raise ActionError(_("请选择类别"), field="kind")
    if not title.strip() or not owner.strip():
        raise ActionError(_("请填写措施和责任单位/人"), field="title")
    decision = Decision.objects.filter(assessment=a).first()
    if due is not None and decision is not None and due < decision.decided_on:
        raise ActionError(
            _("完成时限不能早于决定日期（%(d)s）") % {"d": decision.decided_on.isoformat()},
            field="due",
        )
    measure = FollowUpMeasure.objects.create(
        assessment=a,
        kind=kind,
        title=title.strip(),
        owner=owner.strip(),
        due=due,
        detail=detail,
        created_by=actor,
    )
    record(
        actor,
        "assessments.measure.add",
        measure,
        after={"kind": kind, "title": measure.title, "owner": measure.owner, "due": due},
        scope_path=a.matter.department.path,
    )
    return measure


@transaction.atomic
def do_update_measure(
    actor: Any,
    measure: FollowUpMeasure,
    *,
    status: str,
    evidence: str,
    version: int | None = None,
) -> FollowUpMeasure:
    """落实情况: the measure's status and its 佐证. The completion time is the moment it
    became 已落实 (the evaluation and the investigation judge 按期 by it)."""
    access.require(actor, measure, "change")
    if status not in MeasureStatus.values:
        raise ActionError(_("请选择状态"), field="status")
    if status == MeasureStatus.DONE and not evidence.strip():
        raise ActionError(_("标记“已落实”须填写落实情况与佐证"), field="evidence")
    measure = lock(measure, version, related=("assessment__matter__department",))
    if not measure.assessment.is_open():
        raise ActionError(_("评估已办结，措施的落实情况不能再修改"))
    before = snapshot(measure, FollowUpMeasure.audit_fields)
    if status != MeasureStatus.DONE:
        measure.completed_at = None  # reopened (or never done): not carried out yet
    elif measure.status != MeasureStatus.DONE:
        measure.completed_at = timezone.now()  # the day it was carried out
    # Done before and still done (the 佐证 corrected): the completion time stays.
    measure.status, measure.evidence = status, evidence.strip()
    save_and_record(
        actor,
        "assessments.measure.update",
        measure,
        "status",
        "evidence",
        "completed_at",
        "updated_at",
        before=before,
    )
    return measure


@transaction.atomic
def do_record_incident(
    actor: Any,
    assessment: Assessment,
    *,
    occurred_on: dt.date,
    description: str,
    action: str,
    people_involved: int | None = None,
    handling: str = "",
) -> Incident:
    """New instability during implementation: handled by the plan, or the assessment is
    reopened (back to analysis), or the matter is adjusted."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    refused = a.incident_refusal()
    if refused:
        raise ActionError(refused)
    if action not in IncidentAction.values:
        raise ActionError(_("请选择处理方式"), field="action")
    if not description.strip():
        raise ActionError(_("请描述情况"), field="description")
    incident = Incident.objects.create(
        assessment=a,
        occurred_on=occurred_on,
        description=description.strip(),
        action=action,
        people_involved=people_involved,
        handling=handling.strip(),
        recorded_by=actor,
    )
    record(
        actor,
        "assessments.incident",
        incident,
        after={"action": action, "occurred_on": occurred_on},
        scope_path=a.matter.department.path,
    )
    if not a.major_stability_issue:
        # An incident makes the matter one with 涉稳重大问题 (issue 8, loophole 4).
        before = snapshot(a, ("major_stability_issue",))
        a.major_stability_issue = True
        save_and_record(
            actor,
            "assessments.major_stability.set",
            a,
            "major_stability_issue",
            before=before,
            audit_fields=("major_stability_issue",),
        )
    if action == IncidentAction.REOPEN:
        # This assessment is superseded; a new one (with the scheme's current version)
        # can be started on the matter.
        a.status = AssessmentStatus.CLOSED
        bump(a, "status")
        matter_actions.set_status(actor, a.matter, MatterStatus.REGISTERED)
    elif action == IncidentAction.ADJUST:
        matter_actions.set_status(actor, a.matter, MatterStatus.IMPLEMENTING)
    return incident


@transaction.atomic
def do_finish_follow_up(actor: Any, assessment: Assessment) -> Assessment:
    """办结: only a decided, filed assessment whose follow-up is done (Assessment.can_finish)."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    refused = a.finish_refusal()
    if refused:
        raise ActionError(refused)
    a.status = AssessmentStatus.CLOSED
    save_and_record(actor, "assessments.close", a, "status", audit_fields=("status",))
    matter_actions.set_status(actor, a.matter, MatterStatus.CLOSED)
    return a


@transaction.atomic
def do_record_survey(
    actor: Any,
    assessment: Assessment,
    *,
    held_on: dt.date,
    method: str,
    support: int = 0,
    oppose: int = 0,
    neutral: int = 0,
    no_stance: int = 0,
    note: str = "",
) -> FollowUpSurvey:
    """A follow-up survey while the decided matter is followed up (篇1 六(二) 全程跟踪 …
    及时发现和化解遇到的矛盾和问题). When its oppose rate breaches the scheme's majority
    rule during implementation, the matter needs a new decision (Assessment.redecision_pending)."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    if a.status != AssessmentStatus.FOLLOW_UP:
        raise ActionError(_("只有已作出决定、正在跟踪落实的评估才能登记跟踪调查"))
    if not method.strip():
        raise ActionError(_("请填写调查方式，例如：抽样调查、走访群众"), field="method")
    counts = {"support": support, "oppose": oppose, "neutral": neutral, "no_stance": no_stance}
    if any(v is None or v < 0 for v in counts.values()):
        raise ActionError(_("人数不能为负数"), field="oppose")
    if not sum(counts.values()):
        raise ActionError(_("请填写各态度的人数"), field="support")
    current = a.current_decision()
    if held_on > timezone.localdate() or (current is not None and held_on < current.decided_on):
        raise ActionError(
            _("调查日期应在现行决定的日期（%(d)s）之后、今天之前")
            % {"d": current.decided_on.isoformat() if current else "—"},
            field="held_on",
        )
    survey = FollowUpSurvey.objects.create(
        assessment=a,
        held_on=held_on,
        method=method.strip(),
        note=note.strip(),
        recorded_by=actor,
        **counts,
    )
    record(
        actor,
        "assessments.survey",
        survey,
        after={
            "held_on": held_on,
            "method": survey.method,
            **counts,
            "breaches_majority": survey.breaches_majority(),
        },
        scope_path=a.matter.department.path,
    )
    return survey


def redecision_refusals(a: Assessment, outcome: str) -> list[str]:
    """Why `outcome` may not be recorded now as a later decision (the pages show them
    next to the options; do_redecide raises them)."""
    options = dict(a.redecision_options())
    if a.status != AssessmentStatus.FOLLOW_UP:
        return [_("只有已作出决定、正在跟踪落实的评估才能作出新的决定")]
    if not options:
        return [
            _(
                "现行决定无须重新决定：新的决定用于实施中出现反对或不稳定情况（终止实施或调整），"
                "或暂缓实施的事项在研究对策、时机成熟后再行决定。"
            )
        ]
    if outcome not in options:
        if outcome == "adjust" and a.majority_breached_since_decision() is not None:
            survey = a.majority_breached_since_decision()
            return [
                _("跟踪调查中%(t)s，多数群众不理解、不支持，不能调整后继续实施。方案规定：%(q)s")
                % {"t": survey.trigger_text(), "q": a.scheme.majority_rule.quote}
            ]
        return [_("请选择：%(o)s") % {"o": "、".join(options.values())}]
    if a.current_outcome() == "postpone":
        # 篇1 六(二): 对经评估决定暂缓实施的事项，要及时研究对策，待化解矛盾、时机成熟后再行实施
        missing = a.follow_up_missing_text()
        if missing:
            return [missing]
        return [r.message for r in rules.refusals(a, outcome)]
    return []


@transaction.atomic
def do_redecide(
    actor: Any,
    assessment: Assessment,
    *,
    outcome: str,
    doc_no: str,
    decided_on: dt.date,
    reason: str,
    authority: str = "",
) -> LaterDecision:
    """A new decision on a decided matter, with its own 文号 and date: 终止实施 or 调整 when
    opposition appears during implementation (an incident, a follow-up survey over the
    majority rule's threshold), or the new decision on a postponed matter once its 对策
    are recorded (the grade's, conditions' and majority rules apply as at the decision)."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    refused = redecision_refusals(a, outcome)
    if refused:
        raise ActionError("\n".join(refused), field="outcome")
    if not reason.strip():
        raise ActionError(_("请写明作出新决定的理由"), field="reason")
    doc_no = normalise_doc_no(doc_no)
    history = a.decision_history()
    if doc_no in {d.doc_no for d in history}:
        raise ActionError(_("新的决定须另行发文，文号不能与此前的决定相同"), field="doc_no")
    current = a.current_decision()
    if decided_on > timezone.localdate() or decided_on < current.decided_on:
        raise ActionError(
            _("决定日期应在现行决定的日期（%(d)s）之后、今天之前")
            % {"d": current.decided_on.isoformat()},
            field="decided_on",
        )
    labels = dict(a.redecision_options())
    later = LaterDecision.objects.create(
        assessment=a,
        outcome=outcome,
        outcome_label=labels[outcome],
        doc_no=doc_no,
        decided_on=decided_on,
        authority=(authority or current.authority).strip(),
        reason=reason.strip(),
        recorded_by=actor,
    )
    record(
        actor,
        "assessments.redecide",
        later,
        after={
            "outcome": outcome,
            "doc_no": doc_no,
            "decided_on": decided_on,
            "reason": later.reason,
            "previous": current.doc_no,
        },
        scope_path=a.matter.department.path,
    )
    implementing = outcome in ("implement", "implement_partially", "adjust")
    matter_actions.set_status(
        actor, a.matter, MatterStatus.IMPLEMENTING if implementing else MatterStatus.DECIDED
    )
    return later
