"""Starting a case assessment and moving it through the scheme's steps (四1–3)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record
from fengping.core.concurrency import lock
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import Role
from fengping.procedure import engine
from fengping.schemes import to_json

from ..models import AssessmentStatus, Case, CaseAssessment, StartReason, refresh_risk
from ..queries import profile_of
from ..roles import first_holder

LABELS = {
    "cases.assessment.start": gettext_lazy("开始办案风险评估"),
}


@transaction.atomic
def do_start_assessment(
    actor: Any, case: Case, *, reason: str = StartReason.MANUAL, note: str = ""
) -> CaseAssessment:
    """Start an assessment of the case at its current stage. The first step (确定评估对象)
    is done by starting: the case was decided to be a 评估对象 (by the 研判, as a 重大、疑难、
    复杂 case at 受理, or at a later stage)."""
    access.require(actor, case, "change")
    case = lock(case)
    if reason not in StartReason.values:
        raise ActionError(_("未知的评估缘由"), field="reason")
    if case.assessments.filter(status=AssessmentStatus.OPEN).exists():
        raise ActionError(_("本案已有风险尚未化解的评估，请在该评估中继续"))
    profile = profile_of(case)
    scheme = profile.scheme()
    kind = profile.kind()
    stage = kind.stage(case.stage)
    if stage is not None and stage.gate == "close":
        raise ActionError(_("本案已结案，不能再开始评估"))
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
        main_responsible=first_holder(case.organ, Role.LEADER),
        first_responsible=first_holder(case.organ, Role.HEAD),
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
