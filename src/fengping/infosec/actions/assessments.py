"""Starting an assessment of a system and moving it through the scheme's steps."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record
from fengping.core.concurrency import lock
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.procedure import engine
from fengping.schemebook import registry
from fengping.schemes import to_json

from ..models import AssessmentStatus, Calculation, System, SystemAssessment

LABELS = {
    "infosec.assessment.start": gettext_lazy("开始信息安全风险评估"),
    "infosec.step.complete": gettext_lazy("完成信息安全评估步骤"),
    "infosec.step.send_back": gettext_lazy("退回信息安全评估步骤"),
    "infosec.assessment.finish": gettext_lazy("信息安全风险评估办结"),
}


def require_open(assessment: SystemAssessment) -> None:
    if not assessment.is_open():
        raise ActionError(_("该评估已办结，不能再修改"))


def touch_inputs(assessment: SystemAssessment) -> None:
    """An input of the risk calculation changed: the stored scenarios are no longer current
    (the risk step's output is missing until they are computed again)."""
    SystemAssessment.objects.filter(pk=assessment.pk).update(inputs_changed_at=timezone.now())


def touch_system_inputs(system: System) -> None:
    """The system's inventory changed: every open assessment of it must compute again."""
    SystemAssessment.objects.filter(system=system, status=AssessmentStatus.OPEN).update(
        inputs_changed_at=timezone.now()
    )


@transaction.atomic
def do_start_assessment(
    actor: Any,
    system: System,
    *,
    title: str,
    scheme_key: str = "isra",
    calculation: str = "",
) -> SystemAssessment:
    access.require(actor, system, "change")
    system = lock(system)
    if system.assessments.filter(status=AssessmentStatus.OPEN).exists():
        raise ActionError(_("该系统已有进行中的风险评估"))
    title = title.strip()
    if not title:
        raise ActionError(_("请填写评估名称"), field="title")
    try:
        scheme = registry.get(scheme_key)
    except LookupError:
        raise ActionError(_("评估方案“%(k)s”不存在") % {"k": scheme_key}, field="scheme") from None
    if scheme.kind != "isra":
        raise ActionError(
            _("评估方案“%(k)s”不是信息安全风险评估方案") % {"k": scheme_key}, field="scheme"
        )
    method = scheme.method
    calculation = calculation or method.calculation  # type: ignore[union-attr]
    if calculation not in method.calculations:  # type: ignore[union-attr]
        label = Calculation(calculation).label if calculation in Calculation.values else calculation
        raise ActionError(_("该方案不允许计算方法“%(c)s”") % {"c": label}, field="calculation")
    first = scheme.procedure.steps[0]
    assessment = SystemAssessment.objects.create(
        system=system,
        title=title,
        calculation=calculation,
        scheme_key=scheme.key,
        scheme_version=scheme.version,
        scheme_hash=scheme.content_hash,
        scheme_snapshot=to_json(scheme),
        current_step=first.code,
        status=AssessmentStatus.OPEN,
        started_by=actor,
    )
    engine.start(assessment)
    record(
        actor,
        "infosec.assessment.start",
        assessment,
        after={
            "system": system.code,
            "scheme": scheme.key,
            "version": scheme.version,
            "calculation": calculation,
            "step": first.code,
        },
    )
    return assessment


@transaction.atomic
def do_complete_step(
    actor: Any, assessment: SystemAssessment, step_code: str, note: str = ""
) -> SystemAssessment:
    access.require(actor, assessment, "change")
    a = lock(assessment, related=("system__department",))
    require_open(a)
    done = engine.complete_step(a, step_code, actor, note)
    finished = a.scheme.procedure.steps[-1].code == step_code
    if finished:
        a.status = AssessmentStatus.FINISHED
        a.finished_at = timezone.now()
        a.save(update_fields=["status", "finished_at"])
    record(
        actor,
        "infosec.step.complete",
        a,
        after={"step": done.step.code, "next": a.current_step, "note": note},
    )
    if finished:
        record(actor, "infosec.assessment.finish", a, after={"status": a.status})
    return a


@transaction.atomic
def do_send_back(
    actor: Any, assessment: SystemAssessment, to_step: str, reason: str
) -> SystemAssessment:
    access.require(actor, assessment, "change")
    a = lock(assessment, related=("system__department",))
    require_open(a)
    back = engine.send_back(a, to_step, actor, reason)
    record(
        actor,
        "infosec.step.send_back",
        a,
        after={"from": back.from_step, "to": back.to_step, "reason": reason},
    )
    return a
