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
from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.audit.chain import record, save_and_record, snapshot
from fengping.core import files
from fengping.core.concurrency import bump, lock
from fengping.core.errors import ActionError, ConflictError
from fengping.matters import actions as matter_actions
from fengping.matters.models import Matter, MatterStatus
from fengping.org import access
from fengping.org.models import Department, Role, User
from fengping.procedure import engine
from fengping.schemebook import registry
from fengping.schemes import to_json
from fengping.schemes.methods import composite_spec
from fengping.schemes.model import CompositeMethod
from fengping.scoring import FactorScore as ScoringFactor
from fengping.scoring import aggregate, score_factors

from . import rules
from .models import (
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
    Incident,
    IncidentAction,
    MeasureKind,
    MeasureStatus,
    MemberKind,
    Mitigation,
    Review,
    ReviewResult,
    RiskFactor,
    TeamMember,
)

LEADER_ROLES = frozenset({Role.LEADER, Role.HEAD, Role.ADMIN})


def _lock(assessment: Assessment, version: int | None = None) -> Assessment:
    """The assessment row locked with its matter (core.concurrency.lock)."""
    return lock(assessment, version, related=("matter__department",))


def _require_open(a: Assessment) -> None:
    """The content of an assessment (plan, factors, grade …) is frozen once decided."""
    if not a.is_content_open():
        raise ActionError(
            _("评估已作出决定，不能再修改评估内容；如出现新情况，请登记不稳定情况并重新评估。")
        )


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
    done = engine.complete_step(a, step_code, actor, note)
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
    back = engine.send_back(a, to_step, actor, reason)
    matter_actions.set_status(actor, a.matter, MatterStatus.ASSESSING)
    record(
        actor,
        "assessments.step.send_back",
        a,
        after={"from": back.from_step, "to": back.to_step, "reason": reason},
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
    _require_open(a)
    _require_step_reached(a, "plan")
    if schedule_start and schedule_end and schedule_end < schedule_start:
        raise ActionError(_("完成日期不能早于开始日期"), field="schedule_end")
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
    _require_open(a)
    if kind not in MemberKind.values:
        raise ActionError(_("请选择成员身份"), field="kind")
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
    _require_open(member.assessment)
    path, pk, name = member.assessment.matter.department.path, member.pk, member.name
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
) -> ArchiveDocument:
    access.require(actor, assessment, "change")
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
    _require_open(a)
    if dimension not in {d.code for d in a.scheme.dimensions}:
        raise ActionError(_("请选择评估维度"), field="dimension")
    if not (title or "").strip():
        raise ActionError(_("请填写风险因素"), field="title")
    if weight is None or weight < 0 or weight > 100:
        raise ActionError(_("权重应在 0 到 100 之间"), field="weight")
    if people_involved is not None and people_involved < 0:
        raise ActionError(_("涉及人数不能为负数"), field="people_involved")
    values = {
        "dimension": dimension,
        "title": title.strip(),
        "description": description,
        "people_involved": people_involved,
        "scope": scope,
        "manner": manner,
        "intensity": intensity,
        "negative_impact": negative_impact,
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
    _require_open(a)
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
    _require_open(a)
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
    _require_open(a)
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
    _require_open(a)
    dim = next((d for d in a.scheme.dimensions if d.code == dimension), None)
    if dim is None or not 0 <= item_no < len(dim.items):
        raise ActionError(_("清单条目不存在"), field="item_no")
    if answer not in Answer.values:
        raise ActionError(_("请选择：符合、部分符合、不符合或不适用"), field="answer")
    if answer in (Answer.PARTLY, Answer.FAILS) and not note.strip():
        raise ActionError(_("“部分符合”或“不符合”须说明情况"), field="note")
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
    _require_open(a)
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
    a.grade = chosen
    a.grade_override_reason = reason.strip() if chosen != result.grade else ""
    a.graded_by, a.graded_at = actor, timezone.now()
    a.written_opinion, a.recommendation = written_opinion.strip(), recommendation.strip()
    a.major_stability_issue = major_stability_issue
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


@transaction.atomic
def do_confirm_condition(
    actor: Any, assessment: Assessment, code: str, note: str
) -> ConditionRecord:
    """E.g. 明确责任，制定化解矛盾方案后方可实施 (B级): the plan is approved by a leader."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    if code not in {c.code for c in a.scheme.conditions} or code in (
        "assessment_completed",
        "plan_filed",
    ):
        raise ActionError(_("未知的条件"), field="code")
    if code == "mitigation_plan_approved":
        if not access.can_change_under(actor, a.matter.department.path, LEADER_ROLES):
            raise PermissionDenied(_("化解矛盾方案须由分管领导或主要负责人批准"))
        if not a.mitigation_plan.strip():
            raise ActionError(_("请先在定级时填写化解矛盾方案"), field="code")
    if not note.strip():
        raise ActionError(_("请说明落实情况或批准依据"), field="note")
    try:
        with transaction.atomic():
            row = ConditionRecord.objects.create(
                assessment=a, code=code, note=note.strip(), confirmed_by=actor
            )
    except IntegrityError:
        raise ActionError(_("该条件已确认")) from None
    record(actor, "assessments.condition.confirm", a, after={"condition": code, "note": note})
    return row


@transaction.atomic
def do_mark_report_generated(actor: Any, assessment: Assessment, sha256: str) -> Assessment:
    """Called by the report generator after it archived the DOCX."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    a.report_generated_at, a.report_sha256 = timezone.now(), sha256
    bump(a, "report_generated_at", "report_sha256")
    record(actor, "assessments.report.generate", a, after={"sha256": sha256})
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
        a.reviews.filter(result=ReviewResult.APPROVED, round=a.review_round()).values_list(
            "stage", flat=True
        )
    )
    return next((stage for stage in review_chain(a) if stage.code not in approved), None)


@transaction.atomic
def do_review(
    actor: Any, assessment: Assessment, *, stage: str, result: str, opinion: str
) -> Review:
    access.require(actor, assessment, "view")
    # Who may review is decided before anything about the review's state is revealed.
    if not access.can_change_under(
        actor, assessment.matter.department.path, LEADER_ROLES
    ) and not access.is_supervisor(actor):
        raise PermissionDenied(_("审查须由分管领导、主要负责人或督查人员进行"))
    a = _lock(assessment)
    _require_open(a)
    if not a.at_decide_step():
        raise ActionError(_("报告尚未提交审查"))
    expected = pending_review(a)
    if expected is None:
        raise ActionError(_("审查已全部完成"))
    if stage != expected.code:
        raise ConflictError(_("当前应由“%(a)s”%(b)s") % {"a": expected.actor, "b": expected.action})
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
    record(
        actor,
        "matters.decide_without_assessment",
        decision,
        after={"outcome": outcome, "doc_no": decision.doc_no},
    )
    return decision


@transaction.atomic
def do_file(
    actor: Any, assessment: Assessment, *, office: Department, filed_on: dt.date, note: str = ""
) -> Filing:
    """篇3 六(七): 在决定的次日将评估报告及审定意见分别报镇维稳办、镇联席办备案."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    decision = Decision.objects.filter(assessment=a).first()
    if decision is None:
        raise ActionError(_("作出决定后才能备案"))
    if (
        office.kind not in matter_actions.SUPERVISING_KINDS
        or office.root_path != a.matter.department.root_path
    ):
        raise ActionError(_("备案机关应为本组织的维稳办或联席会议办公室"), field="office")
    if filed_on < decision.decided_on or filed_on > timezone.localdate():
        raise ActionError(_("备案日期应在决定日期之后、今天之前"), field="filed_on")
    try:
        with transaction.atomic():
            filing = Filing.objects.create(
                assessment=a, office=office, filed_on=filed_on, note=note.strip(), filed_by=actor
            )
    except IntegrityError:
        raise ActionError(_("已向%(o)s备案") % {"o": office.name}) from None
    record(
        actor,
        "assessments.file",
        filing,
        after={"office": office.pk, "filed_on": filed_on, "due": decision.filing_due},
        scope_path=a.matter.department.path,
    )
    return filing


def filing_state(a: Assessment) -> dict[str, Any]:
    """Due the day after the decision; overdue when a supervising office has no filing by then."""
    decision = Decision.objects.filter(assessment=a).first()
    if decision is None:
        return {"due": None, "overdue": False, "late": []}
    filings = list(a.filings.select_related("office"))
    late = [f for f in filings if f.filed_on > decision.filing_due]
    overdue = not filings and timezone.localdate() > decision.filing_due
    return {"due": decision.filing_due, "overdue": overdue, "late": late, "filings": filings}


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
    access.require(actor, measure, "change")
    if status not in MeasureStatus.values:
        raise ActionError(_("请选择状态"), field="status")
    if status == MeasureStatus.DONE and not evidence.strip():
        raise ActionError(_("标记“已落实”须填写落实情况与佐证"), field="evidence")
    measure = lock(measure, version, related=("assessment__matter__department",))
    if not measure.assessment.is_open():
        raise ActionError(_("评估已办结，措施的落实情况不能再修改"))
    before = snapshot(measure, FollowUpMeasure.audit_fields)
    measure.status, measure.evidence = status, evidence.strip()
    save_and_record(
        actor,
        "assessments.measure.update",
        measure,
        "status",
        "evidence",
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
