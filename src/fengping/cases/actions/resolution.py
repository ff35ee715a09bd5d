"""Resolving a case's risk (篇4 四3–4, 五2) and the head's second confirmation (二3).

The 防范和处置预案 (text) with its measures — a responsible unit, 协同单位, a responsible
person, a due date, a status and the evidence of what was done —; the responsibility chain
(第一责任人, 主要责任人, 直接责任人: 谁办理、谁评估、谁化解); the 责任查究 records
(重视不够、配合不力、措施落不实, against a unit); the resolution, proposed by the handler
once every measure is done with evidence and approved by a leader who did not propose it
(which completes the step producing ``risk_resolution``, marks the assessment RESOLVED and
opens the adjudication gate); and the head's confirmation of a ruling most people would
not understand or support. The rules are in `cases.resolution_rules`.

Any change to the plan, the measures, their evidence or the responsibility chain while a
resolution is proposed voids the proposal (the change's audit event says so): what the
leader approves is what they saw."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, snapshot
from fengping.core import files
from fengping.core.concurrency import bump, lock
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import WORK_ROLES, Department, Role
from fengping.procedure import engine

from .. import resolution_rules as rules
from ..models import (
    AccountabilityRecord,
    AssessmentStatus,
    Case,
    CaseAssessment,
    Measure,
    MeasureEvidence,
    MeasureStatus,
    ResolutionState,
    refresh_risk,
)

LABELS = {
    "cases.plan.save": gettext_lazy("保存防范和处置预案"),
    "cases.measure.add": gettext_lazy("添加化解工作措施"),
    "cases.measure.update": gettext_lazy("修改化解工作措施"),
    "cases.measure.status": gettext_lazy("更新措施落实情况"),
    "cases.evidence.add": gettext_lazy("上传措施落实证明材料"),
    "cases.responsibility.set": gettext_lazy("明确风险化解责任人"),
    "cases.accountability.record": gettext_lazy("记录责任查究"),
    "cases.resolution.propose": gettext_lazy("申请确认风险已化解"),
    "cases.resolution.approve": gettext_lazy("批准风险已化解"),
    "cases.resolution.refuse": gettext_lazy("不批准风险已化解"),
    "cases.adjudication.confirm": gettext_lazy("主要负责人再次确认裁决"),
}

RELATED = ("case__organ", "case__handler")
CHAIN = ("first_responsible", "main_responsible", "direct_responsible")


def _refuse_if(message: str, field: str | None = None) -> None:
    if message:
        raise ActionError(message, field=field)


def _forbid_if(message: str) -> None:
    if message:
        raise PermissionDenied(message)


def _lock_assessment(a: CaseAssessment, version: int | None = None) -> CaseAssessment:
    return lock(a, version, related=RELATED)


def _void_proposal(a: CaseAssessment) -> list[str]:
    """Withdraw a pending proposal (what it rested on changed); the fields to save."""
    return rules.reset_resolution(a)


def _voided(a: CaseAssessment) -> bool:
    """Void a pending proposal and save the assessment; whether one was voided."""
    changed = _void_proposal(a)
    if changed:
        bump(a, *changed)
    return bool(changed)


# ------------------------------------------------------------------ the plan


@transaction.atomic
def do_save_plan(
    actor: Any, assessment: CaseAssessment, *, text: str, version: int | None = None
) -> CaseAssessment:
    """The 防范和处置预案 (text), written up to the step that produces it."""
    access.require(actor, assessment, "change")
    a = _lock_assessment(assessment, version)
    _refuse_if(rules.plan_refusal(a))
    text = (text or "").strip()
    if not text:
        raise ActionError(_("请填写防范和处置预案"), field="text")
    before = snapshot(a, ("contingency_plan",))
    a.contingency_plan = text
    fields = ["contingency_plan", *_void_proposal(a)]
    bump(a, *fields)
    record(
        actor,
        "cases.plan.save",
        a,
        before=before,
        after={"contingency_plan": text, "resolution_voided": len(fields) > 1},
    )
    return a


# ------------------------------------------------------------------ measures


def _check_measure(
    a: CaseAssessment,
    *,
    title: str,
    unit: Department | None,
    cooperating: Iterable[Department],
    person: Any,
    due_on: dt.date | None,
    old_due: dt.date | None,
) -> list[Department]:
    if not title:
        raise ActionError(_("请填写工作措施"), field="title")
    units = rules.organisation_units(a.case.organ)
    if unit is None or not units.filter(pk=unit.pk).exists():
        raise ActionError(_("责任单位须是本组织的部门"), field="responsible_unit")
    coop = {d.pk: d for d in cooperating if d.pk != unit.pk}
    if coop and units.filter(pk__in=list(coop)).count() != len(coop):
        raise ActionError(_("协同单位须是本组织的部门"), field="cooperating_units")
    if person is not None and not rules.unit_members(unit).filter(pk=person.pk).exists():
        raise ActionError(_("责任人须是责任单位的人员"), field="responsible_person")
    if due_on is None:
        raise ActionError(_("请填写完成时限"), field="due_on")
    if due_on != old_due and due_on < timezone.localdate():
        raise ActionError(_("完成时限不能早于今天"), field="due_on")
    return list(coop.values())


def _measure_after(m: Measure, coop: list[Department], voided: bool) -> dict[str, Any]:
    return {
        **snapshot(m, Measure.audit_fields),
        "cooperating_units": sorted(d.name for d in coop),
        "resolution_voided": voided,
    }


@transaction.atomic
def do_add_measure(
    actor: Any,
    assessment: CaseAssessment,
    *,
    title: str,
    responsible_unit: Department | None,
    due_on: dt.date | None,
    description: str = "",
    cooperating_units: Iterable[Department] = (),
    responsible_person: Any = None,
) -> Measure:
    access.require(actor, assessment, "change")
    a = _lock_assessment(assessment)
    _refuse_if(rules.measure_refusal(a))
    title = (title or "").strip()
    coop = _check_measure(
        a,
        title=title,
        unit=responsible_unit,
        cooperating=cooperating_units,
        person=responsible_person,
        due_on=due_on,
        old_due=None,
    )
    assert responsible_unit is not None and due_on is not None
    m = Measure.objects.create(
        assessment=a,
        title=title[:200],
        description=(description or "").strip(),
        responsible_unit=responsible_unit,
        responsible_person=responsible_person,
        due_on=due_on,
        created_by=actor,
    )
    m.cooperating_units.set(coop)
    voided = _voided(a)
    record(actor, "cases.measure.add", m, after=_measure_after(m, coop, voided))
    return m


def _lock_measure(measure: Measure, version: int | None) -> tuple[CaseAssessment, Measure]:
    """The assessment first (every change of the resolution serialises on it), then the
    measure at the version the user saw."""
    a = _lock_assessment(measure.assessment)
    m = lock(measure, version, related=("responsible_unit",))
    m.assessment = a
    return a, m


@transaction.atomic
def do_update_measure(
    actor: Any,
    measure: Measure,
    *,
    version: int | None,
    title: str,
    responsible_unit: Department | None,
    due_on: dt.date | None,
    description: str = "",
    cooperating_units: Iterable[Department] = (),
    responsible_person: Any = None,
) -> Measure:
    access.require(actor, measure, "change")
    a, m = _lock_measure(measure, version)
    _refuse_if(rules.measure_refusal(a))
    title = (title or "").strip()
    coop = _check_measure(
        a,
        title=title,
        unit=responsible_unit,
        cooperating=cooperating_units,
        person=responsible_person,
        due_on=due_on,
        old_due=m.due_on,
    )
    assert responsible_unit is not None and due_on is not None
    before = {
        **snapshot(m, Measure.audit_fields),
        "cooperating_units": sorted(d.name for d in m.cooperating_units.all()),
    }
    m.title = title[:200]
    m.description = (description or "").strip()
    m.responsible_unit = responsible_unit
    m.responsible_person = responsible_person
    m.due_on = due_on
    bump(m)
    m.cooperating_units.set(coop)
    voided = _voided(a)
    record(actor, "cases.measure.update", m, before=before, after=_measure_after(m, coop, voided))
    return m


@transaction.atomic
def do_set_measure_status(
    actor: Any,
    measure: Measure,
    *,
    version: int | None,
    status: str,
    evidence_note: str | None = None,
) -> Measure:
    """落实情况: 未开始, 落实中 or 已落实 — the last needs evidence (a note of what was done
    or an uploaded file)."""
    access.require(actor, measure, "change")
    a, m = _lock_measure(measure, version)
    _refuse_if(rules.measure_refusal(a))
    if status not in MeasureStatus.values:
        raise ActionError(_("未知的落实情况"), field="status")
    before = snapshot(m, Measure.audit_fields)
    if evidence_note is not None:
        m.evidence_note = evidence_note.strip()
    if status == MeasureStatus.DONE and not rules.measure_has_evidence(m):
        raise ActionError(
            _("标为“已落实”须有落实证明：请填写落实情况说明或上传证明材料"),
            field="evidence_note",
        )
    if status == MeasureStatus.DONE and m.status != MeasureStatus.DONE:
        m.done_at = timezone.now()
    elif status != MeasureStatus.DONE:
        m.done_at = None
    m.status = status
    bump(m)
    voided = _voided(a)
    record(
        actor,
        "cases.measure.status",
        m,
        before=before,
        after={**snapshot(m, Measure.audit_fields), "resolution_voided": voided},
    )
    return m


@transaction.atomic
def do_add_evidence(
    actor: Any, measure: Measure, upload: Any, *, note: str = ""
) -> MeasureEvidence:
    """A file proving a measure was carried out (checked and stored by core.files)."""
    access.require(actor, measure, "change")
    a, m = _lock_measure(measure, None)
    _refuse_if(rules.measure_refusal(a))
    voided = _voided(a)

    def audited(actor: Any, action: str, obj: Any = None, *, after: dict[str, Any]) -> Any:
        return record(actor, action, obj, after={**after, "resolution_voided": voided})

    return files.store(
        actor, MeasureEvidence, m, upload, record=audited, note=(note or "").strip()[:200]
    )


# ------------------------------------------------------------------ responsibility (五2)


def _names(a: CaseAssessment) -> dict[str, Any]:
    return {
        name: getattr(getattr(a, name), "username", None) if getattr(a, f"{name}_id") else None
        for name in CHAIN
    }


@transaction.atomic
def do_set_responsibility(
    actor: Any,
    assessment: CaseAssessment,
    *,
    first: Any,
    main: Any,
    direct: Any,
    version: int | None = None,
) -> CaseAssessment:
    """第一责任人 (the organ's 主要负责人), 主要责任人 (分管领导), 直接责任人 (承办人):
    set by a leader or head of the organ."""
    access.require(actor, assessment, "view")
    _forbid_if(rules.may_set_responsibility(actor, assessment))
    a = _lock_assessment(assessment, version)
    _refuse_if(rules.responsibility_refusal(a))
    organ = a.case.organ
    if not rules.holds_in_organ(first, organ, (Role.HEAD,), below=False):
        raise ActionError(_("第一责任人须是本单位的主要负责人"), field="first")
    if not rules.holds_in_organ(main, organ, (Role.LEADER, Role.HEAD), below=False):
        raise ActionError(_("主要责任人须是本单位的分管领导"), field="main")
    if not rules.holds_in_organ(direct, organ, tuple(WORK_ROLES), below=True):
        raise ActionError(_("直接责任人须是本单位的人员"), field="direct")
    before = _names(a)
    a.first_responsible, a.main_responsible, a.direct_responsible = first, main, direct
    fields = [*CHAIN, *_void_proposal(a)]
    bump(a, *fields)
    record(
        actor,
        "cases.responsibility.set",
        a,
        before=before,
        after={**_names(a), "resolution_voided": len(fields) > len(CHAIN)},
    )
    return a


# ------------------------------------------------------------------ 责任查究 (四4)


@transaction.atomic
def do_record_accountability(
    actor: Any, assessment: CaseAssessment, *, unit: Department | None, kind: str, description: str
) -> AccountabilityRecord:
    """重视不够、配合不力、措施落不实 recorded against a unit concerned: by a leader or head
    of the organ or a supervisor above it. Records are kept, never edited."""
    access.require(actor, assessment, "view")
    _forbid_if(rules.may_record_accountability(actor, assessment))
    a = _lock_assessment(assessment)
    _refuse_if(rules.accountability_refusal(a))
    if kind not in dict(rules.accountability_kinds(a)):
        raise ActionError(_("问题类别须是方案规定的一种"), field="kind")
    if unit is None or not rules.accountability_units(a).filter(pk=unit.pk).exists():
        raise ActionError(
            _("单位须是本单位（或其内设机构）或本评估措施的责任单位、协同单位"), field="unit"
        )
    description = (description or "").strip()
    if not description:
        raise ActionError(_("请填写情况说明"), field="description")
    row = AccountabilityRecord.objects.create(
        assessment=a, unit=unit, kind=kind, description=description, recorded_by=actor
    )
    record(
        actor,
        "cases.accountability.record",
        row,
        after={
            "assessment": a.pk,
            "unit": unit.name,
            "kind": kind,
            "kind_label": rules.kind_label(a, kind),
            "description": description,
        },
        object_repr=f"{a} · {unit.name}",
        scope_path=a.audit_scope_path,
    )
    return row


# ------------------------------------------------------------------ the resolution (四4, 二2)


@transaction.atomic
def do_propose_resolution(
    actor: Any, assessment: CaseAssessment, *, note: str, version: int | None = None
) -> CaseAssessment:
    """The handler asks a leader to confirm the risk resolved: at the step producing
    ``risk_resolution``, every measure done with evidence, with a note of what was done."""
    access.require(actor, assessment, "change")
    _forbid_if(rules.may_propose(actor, assessment))
    a = _lock_assessment(assessment, version)
    _refuse_if(rules.propose_refusal(a))
    note = (note or "").strip()
    if not note:
        raise ActionError(_("请填写风险化解情况"), field="note")
    before = snapshot(a, ("resolution_state", "resolution_note"))
    a.resolution_state = ResolutionState.PROPOSED
    a.resolution_note = note
    a.resolution_proposed_by = actor
    a.resolution_proposed_at = timezone.now()
    a.resolution_decided_by = None
    a.resolution_decided_at = None
    a.resolution_decision_note = ""
    bump(
        a,
        "resolution_state",
        "resolution_note",
        "resolution_proposed_by",
        "resolution_proposed_at",
        "resolution_decided_by",
        "resolution_decided_at",
        "resolution_decision_note",
    )
    record(
        actor,
        "cases.resolution.propose",
        a,
        before=before,
        after={
            "resolution_state": a.resolution_state,
            "resolution_note": note,
            "measures": a.measures.count(),
        },
    )
    return a


@transaction.atomic
def do_decide_resolution(
    actor: Any,
    assessment: CaseAssessment,
    *,
    approve: bool,
    note: str = "",
    version: int | None = None,
) -> CaseAssessment:
    """A leader (the scheme's resolution_approver_roles over the organ) who did not propose
    it approves — the step producing ``risk_resolution`` is completed, the assessment is
    RESOLVED and the case's gate recomputed — or refuses with a reason, which returns the
    resolution to the handler."""
    access.require(actor, assessment, "view")
    _forbid_if(rules.may_decide(actor, assessment))
    a = _lock_assessment(assessment, version)
    _forbid_if(rules.may_decide(actor, a))
    _refuse_if(rules.decide_refusal(a))
    note = (note or "").strip()
    if not approve and not note:
        raise ActionError(_("请填写不批准的理由"), field="note")
    now = timezone.now()
    before = snapshot(a, ("status", "resolution_state"))
    a.resolution_state = ResolutionState.APPROVED if approve else ResolutionState.REFUSED
    a.resolution_decided_by = actor
    a.resolution_decided_at = now
    a.resolution_decision_note = note
    fields = [
        "resolution_state",
        "resolution_decided_by",
        "resolution_decided_at",
        "resolution_decision_note",
    ]
    if approve:
        a.save(update_fields=fields)  # the engine reads the output from the row
        engine.complete_step(a, rules.resolve_step_code(a), actor, note or str(_("批准化解")))
        a.status = AssessmentStatus.RESOLVED
        a.finished_at = now
        fields += ["status", "finished_at"]
    bump(a, *fields)
    if approve:
        refresh_risk(a.case)
    record(
        actor,
        "cases.resolution.approve" if approve else "cases.resolution.refuse",
        a,
        before=before,
        after={
            "status": a.status,
            "resolution_state": a.resolution_state,
            "note": note,
            "proposed_by": getattr(a.resolution_proposed_by, "username", None),
        },
    )
    return a


# ------------------------------------------------------------------ 二3 the head's confirmation


@transaction.atomic
def do_confirm_adjudication(
    actor: Any, case: Case, *, reason: str, version: int | None = None
) -> CaseAssessment:
    """The head confirms, a second time and with the reason, a ruling the assessment found
    most people would not understand or support (慎之又慎); the gate then lets it pass.
    `version` is the assessment's, as the head saw it."""
    access.require(actor, case, "view")
    case = lock(case, related=("organ", "handler"))
    target = rules.confirmation_target(case)
    _forbid_if(rules.may_confirm(actor, case, target))
    _refuse_if(rules.confirm_refusal(case, target))
    assert target is not None
    a = _lock_assessment(target, version)
    _forbid_if(rules.may_confirm(actor, case, a))
    _refuse_if(rules.confirm_refusal(case, a))
    reason = (reason or "").strip()
    if not reason:
        raise ActionError(_("请说明确认裁决的理由"), field="reason")
    a.confirmed_by = actor
    a.confirmed_at = timezone.now()
    a.confirmation_reason = reason
    bump(a, "confirmed_by", "confirmed_at", "confirmation_reason")
    refresh_risk(case)
    record(
        actor,
        "cases.adjudication.confirm",
        case,
        after={"assessment": a.pk, "level": a.level, "reason": reason},
    )
    return a
