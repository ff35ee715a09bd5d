"""Starting a case assessment and moving it through the scheme's steps (四1–3, 五3).

The content of an assessment belongs to the step that produces it: the checklist of the
three dimensions, the prediction and the level to the step producing `risk_assessment` /
`risk_grade` (准确评估风险), the report fields to the step producing `report` (编制评估报告)
or an earlier one. Once that step is done the content is locked; changing it goes through
a send-back, which reopens the step. A resolved assessment is locked for good; a later
stage of the case gets a new assessment (`do_start_stage_assessment`), the earlier ones
are kept."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, snapshot
from fengping.core.concurrency import bump, lock
from fengping.core.errors import ActionError, ConflictError
from fengping.org import access
from fengping.org.models import Role
from fengping.procedure import engine
from fengping.schemes import to_json

from ..models import (
    AssessmentStatus,
    Case,
    CaseAssessment,
    ChangeState,
    ChecklistAnswer,
    LevelChange,
    StartReason,
    refresh_risk,
)
from ..outputs import REPORT_FIELDS
from ..queries import profile_of
from ..roles import first_holder, holds_role

LABELS = {
    "cases.assessment.start": gettext_lazy("开始办案风险评估"),
    "cases.step.complete": gettext_lazy("完成办案风险评估步骤"),
    "cases.step.send_back": gettext_lazy("退回办案风险评估步骤"),
    "cases.assessment.resolved": gettext_lazy("办案风险评估风险化解办结"),
    "cases.checklist.answer": gettext_lazy("办案风险评估逐项分析"),
    "cases.prediction.save": gettext_lazy("保存办案风险预测评估"),
    "cases.level.propose": gettext_lazy("提出变更办案风险评估等级"),
    "cases.level.decide": gettext_lazy("审批办案风险评估等级变更"),
    "cases.report.save": gettext_lazy("保存办案风险评估报告"),
}


# ------------------------------------------------------------------ starting


def start_refusal(case: Case) -> str | None:
    """Why no assessment of the case may be started now, or None (the start button and the
    actions read the same sentence)."""
    if case.assessments.filter(status=AssessmentStatus.OPEN).exists():
        return _("本案已有风险尚未化解的评估，请在该评估中继续")
    kind = profile_of(case).kind()
    stage = kind.stage(case.stage)
    if stage is not None and stage.gate == "close":
        return _("本案已结案，不能再开始评估")
    return None


def stage_refusal(case: Case) -> str | None:
    """Why no 办案阶段再评估 may be started now (五3: 在办案的每个阶段和工作环节), or None:
    the case's last assessment is resolved and its current stage has none yet."""
    refusal = start_refusal(case)
    if refusal:
        return refusal
    runs = case.assessments.exclude(status=AssessmentStatus.VOID)
    if not runs.exists():
        return _("本案尚未评估过，请先开始评估")
    if runs.filter(stage=case.stage).exists():
        return _("本案当前阶段已有评估，不需再评估")
    return None


def suggested_reason(case: Case) -> str:
    """The reason a start from the case page records: 办案阶段再评估 after an earlier
    assessment, 受理先期评估 for a 重大、疑难、复杂 case, otherwise 承办人发起."""
    if case.assessments.exclude(status=AssessmentStatus.VOID).exists():
        return str(StartReason.STAGE)
    if case.major_complex:
        return str(StartReason.EARLY)
    return str(StartReason.MANUAL)


@transaction.atomic
def do_start_assessment(
    actor: Any, case: Case, *, reason: str = str(StartReason.MANUAL), note: str = ""
) -> CaseAssessment:
    """Start an assessment of the case at its current stage. The first step (确定评估对象)
    is done by starting: the case was decided to be a 评估对象 (by the 研判, as a 重大、疑难、
    复杂 case at 受理, or at a later stage)."""
    access.require(actor, case, "change")
    case = lock(case)
    if reason not in StartReason.values:
        raise ActionError(_("未知的评估缘由"), field="reason")
    refusal = stage_refusal(case) if reason == StartReason.STAGE else start_refusal(case)
    if refusal:
        raise ActionError(refusal)
    profile = profile_of(case)
    scheme = profile.scheme()
    first = scheme.procedure.steps[0]
    assessment = CaseAssessment.objects.create(
        case=case,
        stage=case.stage,
        reason=reason,
        scheme_key=scheme.key,
        scheme_version=scheme.version,
        scheme_hash=scheme.content_hash,
        scheme_snapshot=to_json(scheme),
        current_step=first.code,
        status=AssessmentStatus.OPEN,
        started_by=actor,
        summary=case.brief_facts,
        persons=case.parties,
        direct_responsible=case.handler,
        main_responsible=first_holder(case.organ, str(Role.LEADER)),
        first_responsible=first_holder(case.organ, str(Role.HEAD)),
    )
    engine.start(assessment)
    engine.complete_step(assessment, first.code, actor, note or str(StartReason(reason).label))
    refresh_risk(case)
    record(
        actor,
        "cases.assessment.start",
        assessment,
        after={
            "case": case.number,
            "stage": case.stage,
            "reason": reason,
            "scheme": scheme.key,
            "version": scheme.version,
        },
    )
    return assessment


@transaction.atomic
def do_start_stage_assessment(actor: Any, case: Case, *, note: str = "") -> CaseAssessment:
    """A new assessment of the case at its current stage once the previous one is resolved
    (五3: 在办案的每个阶段和工作环节); the earlier assessments stay as they are."""
    access.require(actor, case, "change")
    fresh = lock(case)
    refusal = stage_refusal(fresh)
    if refusal:
        raise ActionError(refusal)
    return do_start_assessment(actor, fresh, reason=StartReason.STAGE, note=note)


# ------------------------------------------------------------------ steps


def require_open(a: CaseAssessment) -> None:
    if a.status == AssessmentStatus.RESOLVED:
        raise ActionError(_("该评估风险已化解、已办结，内容已锁定，不能再修改"))
    if not a.is_open():
        raise ActionError(_("该评估已作废，不能再修改"))


def _step_index(a: CaseAssessment, code: str) -> int:
    codes = a.scheme.procedure.step_codes()
    return codes.index(code) if code in codes else -1


def content_step(a: CaseAssessment, output: str) -> Any:
    """The step of the frozen scheme producing `output` (a clear refusal if none does)."""
    return engine.step_producing(a.scheme, output)


def step_refusal(a: CaseAssessment, output: str, *, or_earlier: bool = False) -> str | None:
    """Why the content produced as `output` may not be changed now, or None: only while
    the assessment is open and the step producing it is the current one (or, with
    `or_earlier`, a step before it is); after that step is done, only through a send-back."""
    if a.status == AssessmentStatus.RESOLVED:
        return _("该评估风险已化解、已办结，内容已锁定，不能再修改")
    if not a.is_open():
        return _("该评估已作废，不能再修改")
    s = engine.find_step_producing(a.scheme, output)
    if s is None:
        return _("评估方案没有产生该内容的步骤")
    here, there = _step_index(a, a.current_step), _step_index(a, s.code)
    if here == there or (or_earlier and 0 <= here < there):
        return None
    if here > there:
        return _("“%(s)s”步骤已完成，内容已锁定；如需修改，请先退回到该步骤") % {"s": s.label}
    return _("只能在“%(s)s”步骤中填写") % {"s": s.label}


def _require_step(a: CaseAssessment, output: str, *, or_earlier: bool = False) -> None:
    refusal = step_refusal(a, output, or_earlier=or_earlier)
    if refusal:
        raise ActionError(refusal)


def _lock(a: CaseAssessment, version: int | None = None) -> CaseAssessment:
    return lock(a, version, related=("case__organ",))


@transaction.atomic
def do_complete_step(
    actor: Any, assessment: CaseAssessment, step_code: str, note: str = ""
) -> CaseAssessment:
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    require_open(a)
    done = engine.complete_step(a, step_code, actor, note)
    finished = a.scheme.procedure.steps[-1].code == step_code
    record(
        actor,
        "cases.step.complete",
        a,
        after={"step": done.step.code, "next": a.current_step, "note": note},
    )
    if finished:
        a.status = AssessmentStatus.RESOLVED
        a.finished_at = timezone.now()
        a.save(update_fields=["status", "finished_at"])
        refresh_risk(a.case)
        record(actor, "cases.assessment.resolved", a, after={"status": a.status})
    return a


@transaction.atomic
def do_send_back(
    actor: Any, assessment: CaseAssessment, to_step: str, reason: str
) -> CaseAssessment:
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    require_open(a)
    back = engine.send_back(a, to_step, actor, reason)
    record(
        actor,
        "cases.step.send_back",
        a,
        after={"from": back.from_step, "to": back.to_step, "reason": reason},
    )
    return a


# ------------------------------------------------------------------ the checklist (四2)


def find_item(a: CaseAssessment, dimension: str, item: Any) -> tuple[Any, int]:
    d = next((d for d in a.scheme.dimensions if d.code == dimension), None)
    if d is None:
        raise ActionError(_("评估方面“%(d)s”不存在") % {"d": dimension}, field="dimension")
    try:
        index = int(item)
    except (TypeError, ValueError):
        index = -1
    if not 0 <= index < len(d.items):
        raise ActionError(_("分析事项不存在"), field="item")
    return d, index


@transaction.atomic
def do_answer_item(
    actor: Any,
    assessment: CaseAssessment,
    *,
    dimension: str,
    item: Any,
    has_issue: bool,
    finding: str,
    version: int | None = None,
) -> ChecklistAnswer:
    """Analyse one item of one dimension (严禁漏项): whether it shows a problem and the
    finding. `version` is the answer's version the caller saw (None for a first answer)."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    _require_step(a, "risk_assessment")
    d, index = find_item(a, dimension, item)
    finding = (finding or "").strip()
    if not finding:
        raise ActionError(_("请填写分析意见"), field="finding")
    answer = ChecklistAnswer.objects.filter(assessment=a, dimension=d.code, item=index).first()
    before: dict[str, Any] | None = None
    if answer is None:
        if version:
            raise ConflictError(_("该项分析已被删除或不存在，请刷新页面"))
        answer = ChecklistAnswer(assessment=a, dimension=d.code, item=index)
    else:
        if version is None:
            raise ConflictError(
                _("该项已由 %(u)s 分析过，请刷新页面查看后再修改") % {"u": answer.answered_by}
            )
        answer = lock(answer, version)
        before = snapshot(answer, ChecklistAnswer.audit_fields)
        answer.version += 1
    answer.has_issue = bool(has_issue)
    answer.finding = finding
    answer.answered_by = actor
    answer.answered_at = timezone.now()
    answer.save()
    record(
        actor,
        "cases.checklist.answer",
        answer,
        before=before,
        after=snapshot(answer, ChecklistAnswer.audit_fields),
        object_repr=f"{a}：{d.label} {index + 1}. {d.items[index]}",
        scope_path=a.audit_scope_path,
    )
    return answer


# ------------------------------------------------------------------ prediction and level


@dataclass(frozen=True)
class Computed:
    score: float
    band: str  # band code of method.bands
    level: str  # grade code
    triggers: list[str]  # hard-trigger factor codes present


def compute_level(scheme: Any, factors: Iterable[str]) -> Computed:
    """Σ weight of the factors present, banded by method.bands → band_grades; any hard
    trigger gives method.hard_trigger_grade whatever the score (scheme data)."""
    method = scheme.method
    chosen = set(factors)
    present = [f for f in method.factors if f.code in chosen]  # type: ignore[union-attr]
    score = float(sum(f.weight for f in present))
    levels = sorted(method.bands.levels, key=lambda b: b.min)
    band = levels[0]
    for b in levels:
        if score >= b.min:
            band = b
    triggers = [f.code for f in present if f.hard_trigger]
    level = method.hard_trigger_grade if triggers else method.band_grades.get(band.code, "")
    return Computed(score, band.code, level, triggers)


def grade_codes(a: CaseAssessment) -> list[str]:
    return [g.code for g in a.scheme.grades]


def approved_change(a: CaseAssessment) -> LevelChange | None:
    return a.level_changes.filter(state=ChangeState.APPROVED).order_by("-decided_at").first()


@transaction.atomic
def do_save_prediction(
    actor: Any,
    assessment: CaseAssessment,
    *,
    factors: Iterable[str],
    petition_probability: str,
    impact: str,
    prediction: str,
    majority_unsupportive: bool,
    version: int | None = None,
) -> CaseAssessment:
    """The prediction (重点对是否可能诱发不稳定事件或引起上访等进行预测评估): the factors
    present compute the level; the level held is the computed one unless a level change
    was approved on this assessment."""
    access.require(actor, assessment, "change")
    a = _lock(assessment, version)
    _require_step(a, "risk_assessment")
    scheme = a.scheme
    known = [f.code for f in scheme.method.factors]  # type: ignore[union-attr]
    chosen = [c for c in dict.fromkeys(factors) if c]
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise ActionError(
            _("风险因素“%(c)s”不在评估方案中") % {"c": "、".join(unknown)}, field="factors"
        )
    chosen = [c for c in known if c in chosen]
    scales = {s.code: s for s in scheme.scales}
    for name, value, label in (
        ("probability", petition_probability, _("引发上访的可能性")),
        ("impact", impact, _("影响程度")),
    ):
        scale = scales.get(name)
        if scale is None or value not in [lv.code for lv in scale.levels]:
            field = "petition_probability" if name == "probability" else name
            raise ActionError(_("请选择%(l)s") % {"l": label}, field=field)
    prediction = (prediction or "").strip()
    if not prediction:
        raise ActionError(_("请填写预测评估意见"), field="prediction")
    before = snapshot(
        a,
        (
            "factors",
            "computed_level",
            "level",
            "petition_probability",
            "impact",
            "prediction",
            "majority_unsupportive",
        ),
    )
    computed = compute_level(scheme, chosen)
    a.factors = chosen
    a.computed_score = computed.score
    a.computed_level = computed.level
    fields = [
        "factors",
        "computed_score",
        "computed_level",
        "petition_probability",
        "impact",
        "prediction",
        "majority_unsupportive",
    ]
    if approved_change(a) is None and a.level != computed.level:
        a.level = computed.level
        a.level_set_by = actor
        a.level_set_at = timezone.now()
        fields += ["level", "level_set_by", "level_set_at"]
    a.petition_probability = petition_probability
    a.impact = impact
    a.prediction = prediction
    majority_unsupportive = bool(majority_unsupportive)
    if majority_unsupportive != a.majority_unsupportive:
        # What the head confirmed was the earlier prediction: it needs confirming again.
        a.confirmed_by = None
        a.confirmed_at = None
        a.confirmation_reason = ""
        fields += ["confirmed_by", "confirmed_at", "confirmation_reason"]
    a.majority_unsupportive = majority_unsupportive
    bump(a, *fields)
    refresh_risk(a.case)
    after = snapshot(a, tuple(before))
    after["computed_score"] = computed.score
    after["hard_triggers"] = computed.triggers
    record(actor, "cases.prediction.save", a, before=before, after=after)
    return a


def level_change_refusal(a: CaseAssessment) -> str | None:
    """Why no level change may be proposed now (the propose form reads it)."""
    refusal = step_refusal(a, "risk_grade")
    if refusal:
        return refusal
    if not a.level:
        return _("请先完成预测评估，得出计算等级后再提出变更")
    if a.level_changes.filter(state=ChangeState.PENDING).exists():
        return _("已有待批准的等级变更，请等待审批")
    return None


@transaction.atomic
def do_propose_level_change(
    actor: Any, assessment: CaseAssessment, to_level: str, reason: str
) -> LevelChange:
    """Propose another level than the one held (computed, or approved earlier), with the
    reason; it holds only once a leader who did not propose it approves."""
    access.require(actor, assessment, "change")
    a = _lock(assessment)
    refusal = level_change_refusal(a)
    if refusal:
        raise ActionError(refusal)
    if to_level not in grade_codes(a):
        raise ActionError(_("请选择评估方案中的等级"), field="to_level")
    if to_level == a.level:
        raise ActionError(_("新等级与现等级相同"), field="to_level")
    reason = (reason or "").strip()
    if not reason:
        raise ActionError(_("变更评估等级须说明理由"), field="reason")
    change = LevelChange.objects.create(
        assessment=a, from_level=a.level, to_level=to_level, reason=reason, proposed_by=actor
    )
    bump(a)
    record(
        actor,
        "cases.level.propose",
        a,
        after={"change": change.pk, "from": a.level, "to": to_level, "reason": reason},
    )
    return change


def approver_roles(a: CaseAssessment) -> list[str]:
    return list(a.cases_section().level_change.approver_roles)


def decide_refusal(actor: Any, change: LevelChange) -> str | None:
    """Why `actor` may not decide the change now, or None (the decide form reads it)."""
    a = change.assessment
    if change.state != ChangeState.PENDING:
        return _("该等级变更已由 %(u)s 审批（%(s)s），不能再审批") % {
            "u": change.decided_by,
            "s": change.get_state_display(),
        }
    refusal = step_refusal(a, "risk_grade")
    if refusal:
        return refusal
    if change.proposed_by_id == getattr(actor, "pk", None):
        return _("提出变更的人不能审批自己的变更")
    if not holds_role(actor, a.case.organ, approver_roles(a)):
        return _("只有本单位的分管领导或主要负责人可以审批等级变更")
    return None


@transaction.atomic
def do_decide_level_change(
    actor: Any, change: LevelChange, approve: bool, note: str = ""
) -> LevelChange:
    """Approve (the level becomes the proposed one) or refuse (the level stays)."""
    access.require(actor, change.assessment, "change")
    a = _lock(change.assessment)
    change = (
        LevelChange.objects.select_for_update(of=("self",))
        .select_related("proposed_by", "decided_by")
        .get(pk=change.pk)
    )
    change.assessment = a
    refusal = decide_refusal(actor, change)
    if refusal:
        if change.state != ChangeState.PENDING:
            raise ConflictError(refusal)
        raise ActionError(refusal)
    note = (note or "").strip()
    if not approve and not note:
        raise ActionError(_("不批准须说明理由"), field="note")
    change.state = ChangeState.APPROVED if approve else ChangeState.REFUSED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_note = note
    change.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    before = {"level": a.level}
    if approve:
        a.level = change.to_level
        a.level_set_by = actor
        a.level_set_at = change.decided_at
        bump(a, "level", "level_set_by", "level_set_at")
        refresh_risk(a.case)
    else:
        bump(a)
    record(
        actor,
        "cases.level.decide",
        a,
        before=before,
        after={"change": change.pk, "state": change.state, "level": a.level, "note": note},
    )
    return change


# ------------------------------------------------------------------ the report (四3)


@transaction.atomic
def do_save_report(
    actor: Any,
    assessment: CaseAssessment,
    *,
    version: int | None = None,
    **values: str,
) -> CaseAssessment:
    """The report's fields (涉案人员情况、简要案情、案件办理情况、存在问题隐患、预防处置
    工作方案); 案件名称 is the case's own."""
    access.require(actor, assessment, "change")
    a = _lock(assessment, version)
    _require_step(a, "report", or_earlier=True)
    unknown = set(values) - set(REPORT_FIELDS)
    if unknown:
        raise ActionError(_("报告没有“%(f)s”一项") % {"f": "、".join(sorted(unknown))})
    before = snapshot(a, REPORT_FIELDS)
    changed = []
    for name in REPORT_FIELDS:
        if name in values:
            text = (values[name] or "").strip()
            if text != getattr(a, name):
                setattr(a, name, text)
                changed.append(name)
    if not changed:
        return a
    bump(a, *changed)
    record(
        actor,
        "cases.report.save",
        a,
        before={k: before[k] for k in changed},
        after={k: getattr(a, k) for k in changed},
    )
    return a
