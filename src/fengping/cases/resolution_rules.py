"""The rules of a case's risk resolution (篇4 四3–4, 五2, 二3), read by the actions (which
refuse on them), the pages (which say why a button is off) and the API.

Each ``*_refusal`` answers why something may not happen now ("" when it may): the state of
the assessment or the case. Each ``may_*`` answers why this user may not do it ("" when
they may): the actions raise those as 403 (who may make a change), the others as 400.

* the 防范和处置预案 text belongs to the step that produces ``contingency_plan``: it is
  written up to that step and locked once the step is done (a send-back reopens it);
* measures, their status and evidence change while the assessment is open (a change voids
  a pending resolution proposal); nothing changes once the risk is resolved;
* the resolution is proposed at the step producing ``risk_resolution`` when every measure
  is 已落实 with evidence, by the case's handler, its 直接责任人 or a handler/assessor of
  the organ, and decided by a holder of ``cases.resolution_approver_roles`` over the
  organ who never proposed it;
* the head's second confirmation (二3) of a ruling most people would not understand or
  support: holders of ``cases.confirmation_roles`` over the organ, never the 直接责任人
  or the case's handler, once that assessment's risk is resolved.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.audit.models import Event
from fengping.org import access
from fengping.org.models import WORK_ROLES, Department, Membership, Role
from fengping.procedure import engine

from .models import (
    AccountabilityRecord,
    AssessmentStatus,
    Case,
    CaseAssessment,
    Measure,
    MeasureStatus,
    ResolutionState,
)
from .roles import holds_role

PLAN_OUTPUT = "contingency_plan"
RESOLUTION_OUTPUT = "risk_resolution"
PROPOSERS = (Role.HANDLER, Role.ASSESSOR)
LEADERS = (Role.LEADER, Role.HEAD)


# ------------------------------------------------------------------ steps


def _index(a: CaseAssessment, code: str) -> int:
    codes = a.scheme.procedure.step_codes()
    return codes.index(code) if code in codes else -1


def plan_step_code(a: CaseAssessment) -> str:
    return engine.step_producing(a.scheme, PLAN_OUTPUT).code


def resolve_step_code(a: CaseAssessment) -> str:
    return engine.step_producing(a.scheme, RESOLUTION_OUTPUT).code


def closed_refusal(a: CaseAssessment) -> str:
    """Nothing of an assessment changes once its risk is resolved or it is void."""
    if a.status == AssessmentStatus.RESOLVED:
        return _("本评估的风险已经批准化解，不能再修改")
    if a.status != AssessmentStatus.OPEN:
        return _("本评估已作废，不能再修改")
    return ""


# ------------------------------------------------------------------ plan and measures


def plan_refusal(a: CaseAssessment) -> str:
    """Why the plan text may not be written now."""
    if refusal := closed_refusal(a):
        return refusal
    plan = engine.step_producing(a.scheme, PLAN_OUTPUT)
    if _index(a, a.current_step) > _index(a, plan.code):
        return _("“%(s)s”步骤已完成，防范和处置预案已锁定；如需修改，请先将评估退回该步骤") % {
            "s": plan.label
        }
    return ""


def measure_refusal(a: CaseAssessment) -> str:
    """Why measures (and their status and evidence) may not change now."""
    return closed_refusal(a)


def organisation_units(organ: Department) -> Any:
    """The departments a measure's responsible unit, 协同单位 or a 责任查究 record may
    name: every active department of the organ's organisation."""
    root = organ.path.split("/", 1)[0] + "/"
    return Department.objects.filter(is_active=True, path__startswith=root).order_by("path")


def unit_members(unit: Department) -> Any:
    """Active users holding a work role in the unit or a unit under it."""
    from fengping.org.models import User

    return User.objects.filter(
        is_active=True,
        memberships__department__path__startswith=unit.path,
        memberships__department__is_active=True,
        memberships__role__in=WORK_ROLES,
    ).distinct()


def measure_has_evidence(m: Measure, files: int | None = None) -> bool:
    if m.evidence_note.strip():
        return True
    if files is None:
        files = m.evidence.count()
    return files > 0


def measures_with_evidence(a: CaseAssessment) -> list[Measure]:
    """The assessment's measures with `evidence_count` (one query)."""
    return list(
        a.measures.select_related("responsible_unit", "responsible_person")
        .prefetch_related("cooperating_units")
        .annotate(evidence_count=Count("evidence"))
        .order_by("due_on", "id")
    )


# ------------------------------------------------------------------ responsibility


def may_set_responsibility(user: Any, a: CaseAssessment) -> str:
    if not holds_role(user, a.case.organ, LEADERS):
        return _("只有本单位的分管领导或主要负责人可以明确责任人")
    return ""


def responsibility_refusal(a: CaseAssessment) -> str:
    return closed_refusal(a)


def chain_missing(a: CaseAssessment) -> list[str]:
    """The labels of the responsibility chain's empty places (谁办理、谁评估、谁化解)."""
    missing = []
    for name in ("first_responsible", "main_responsible", "direct_responsible"):
        if getattr(a, f"{name}_id") is None:
            missing.append(str(CaseAssessment._meta.get_field(name).verbose_name))
    return missing


def holds_in_organ(user: Any, organ: Department, roles: tuple[str, ...], *, below: bool) -> bool:
    """Does `user` (active) hold one of `roles` in the organ (or, with `below`, a unit
    under it)?"""
    if user is None or not user.is_active:
        return False
    where = Q(department__path__startswith=organ.path) if below else Q(department=organ)
    return Membership.objects.filter(
        where, user=user, role__in=roles, department__is_active=True
    ).exists()


# ------------------------------------------------------------------ 责任查究


def may_record_accountability(user: Any, a: CaseAssessment) -> str:
    """A leader or head of the organ, or a supervisor (督查) whose office lies above the
    organ (a supervision of the organ, not a reader inside it)."""
    organ = a.case.organ
    if holds_role(user, organ, LEADERS):
        return ""
    scope = access.scope_of(user)
    if any(
        organ.path.startswith(p) and organ.path != p
        for p in scope.role_paths.get(Role.SUPERVISOR, frozenset())
    ):
        return ""
    return _("只有本单位的分管领导、主要负责人或上级督查可以记录责任查究")


def accountability_refusal(a: CaseAssessment) -> str:
    """责任查究 may follow the resolution (problems found afterwards); not a void one."""
    if a.status == AssessmentStatus.VOID:
        return _("本评估已作废，不能再记录")
    return ""


def concerned_units(a: CaseAssessment) -> Any:
    """The units concerned with the assessment: the organ and its units, and every
    responsible or cooperating unit of its measures. A 责任查究 record names one of them;
    the pages offer their people as a measure's responsible person."""
    organ = a.case.organ
    named = Q(pk__in=a.measures.values("responsible_unit")) | Q(
        pk__in=Measure.cooperating_units.through.objects.filter(measure__assessment=a).values(
            "department"
        )
    )
    return Department.objects.filter(Q(path__startswith=organ.path) | named).order_by("path")


accountability_units = concerned_units


def accountability_kinds(a: CaseAssessment) -> list[tuple[str, str]]:
    return [(k.code, k.label) for k in a.cases_section().accountability_kinds]


def kind_label(a: CaseAssessment, code: str) -> str:
    return dict(accountability_kinds(a)).get(code, code)


def accountability_of(a: CaseAssessment) -> list[AccountabilityRecord]:
    return list(a.accountability.select_related("unit", "recorded_by").order_by("-recorded_at"))


# ------------------------------------------------------------------ the resolution


def may_propose(user: Any, a: CaseAssessment) -> str:
    """The case's handler, its 直接责任人, or a handler/assessor of the organ (谁办理、谁
    评估、谁化解); a leader approves instead."""
    if not access.can(user, a, "change"):
        return _("您没有修改此对象的权限")
    if user.pk in (a.case.handler_id, a.direct_responsible_id):
        return ""
    if holds_role(user, a.case.organ, PROPOSERS):
        return ""
    return _("化解情况由承办人或评估人员申请确认，领导审批")


def propose_refusal(a: CaseAssessment, measures: list[Measure] | None = None) -> str:
    """Why the resolution may not be proposed now: the step, a pending proposal, the
    measures (every one 已落实 with evidence), the responsibility chain."""
    if refusal := closed_refusal(a):
        return refusal
    resolve = engine.step_producing(a.scheme, RESOLUTION_OUTPUT)
    if a.current_step != resolve.code:
        return _("评估尚未进入“%(s)s”步骤，不能申请确认风险已化解") % {"s": resolve.label}
    if a.resolution_state == ResolutionState.PROPOSED:
        return _("化解申请已提交，正在等待领导审批")
    if measures is None:
        measures = measures_with_evidence(a)
    if not measures:
        return _("防范和处置预案还没有工作措施")
    undone = [m.title for m in measures if m.status != MeasureStatus.DONE]
    if undone:
        return _("以下措施尚未落实：%(m)s") % {"m": "、".join(undone[:5])}
    bare = [m.title for m in measures if not measure_has_evidence(m, m.evidence_count)]  # type: ignore[attr-defined]
    if bare:
        return _("以下措施没有落实证明（说明或材料）：%(m)s") % {"m": "、".join(bare[:5])}
    if missing := chain_missing(a):
        return _("责任人尚未明确：%(m)s") % {"m": "、".join(missing)}
    return ""


def reset_resolution(a: CaseAssessment) -> list[str]:
    """What a send-back does to the resolution (the ``reset`` of the output
    ``risk_resolution``): a pending proposal is void, the fields changed are returned."""
    if a.resolution_state != ResolutionState.PROPOSED:
        return []
    a.resolution_state = ResolutionState.NONE
    a.resolution_proposed_by = None
    a.resolution_proposed_at = None
    return ["resolution_state", "resolution_proposed_by", "resolution_proposed_at"]


def _ever_proposed(user: Any, a: CaseAssessment) -> bool:
    return Event.objects.filter(
        action="cases.resolution.propose",
        object_type=CaseAssessment._meta.label_lower,
        object_id=str(a.pk),
        actor_id=user.pk,
    ).exists()


def may_decide(user: Any, a: CaseAssessment) -> str:
    roles = a.cases_section().resolution_approver_roles
    if not holds_role(user, a.case.organ, roles):
        return _("只有本单位（或上级）的分管领导、主要负责人可以审批化解情况")
    if a.resolution_proposed_by_id == user.pk or _ever_proposed(user, a):
        return _("申请确认风险已化解的人不能审批自己的申请")
    return ""


def decide_refusal(a: CaseAssessment) -> str:
    if refusal := closed_refusal(a):
        return refusal
    if a.resolution_state != ResolutionState.PROPOSED:
        return _("没有待审批的化解申请")
    if a.current_step != resolve_step_code(a):
        return _("评估已退回到前面的步骤，化解申请须重新提出")
    return ""


# ------------------------------------------------------------------ 二3 the head's confirmation


def confirmation_target(case: Case) -> CaseAssessment | None:
    """The assessment the gate reads (the latest one not void, as `refresh_risk`)."""
    return (
        CaseAssessment.objects.filter(case=case)
        .exclude(status=AssessmentStatus.VOID)
        .select_related("confirmed_by", "direct_responsible")
        .order_by("-started_at", "-id")
        .first()
    )


def confirm_refusal(case: Case, a: CaseAssessment | None) -> str:
    if a is None or not a.majority_unsupportive:
        return _("评估未认为绝大多数群众可能不理解、不支持本案裁决，无需再次确认")
    if a.confirmed_at is not None:
        when = timezone.localtime(a.confirmed_at).strftime("%Y-%m-%d %H:%M")
        return _("主要负责人已于 %(t)s 再次确认") % {"t": when}
    if a.status != AssessmentStatus.RESOLVED:
        return _("本案风险尚未化解，须先经领导批准风险已化解，再由主要负责人确认裁决")
    return ""


def may_confirm(user: Any, case: Case, a: CaseAssessment | None) -> str:
    roles = a.cases_section().confirmation_roles if a is not None else [Role.HEAD]
    if not holds_role(user, case.organ, roles):
        return _("只有本单位的主要负责人可以再次确认裁决")
    if a is not None and user.pk in (a.direct_responsible_id, case.handler_id):
        return _("直接责任人（承办人）不能确认本案的裁决")
    return ""
