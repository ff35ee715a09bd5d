"""Computing and storing the risk scenarios of an assessment (篇2 一 风险计算和分析)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record
from fengping.core.concurrency import lock
from fengping.core.errors import ActionError
from fengping.org import access

from .. import residual
from ..models import SystemAssessment
from .assessments import require_open

if TYPE_CHECKING:
    from .. import risk

LABELS = {
    "infosec.risk.compute": gettext_lazy("计算信息安全风险"),
}

# Above this many recommendation-linked scenarios the residual refresh reads the whole
# register instead of a list of ids (a list that long is no cheaper than the scan).
_REFRESH_IDS_MAX = 20_000


@transaction.atomic
def do_compute_risk(actor: Any, assessment: SystemAssessment) -> risk.Stored:
    """Compute every scenario of the assessment from its current inputs and store the
    register: new combinations inserted, changed ones updated, gone ones deleted (with
    their decisions). The assessment row is locked, so two computations of one
    assessment run one after the other; the second finds nothing left to change."""
    from .. import risk  # numpy: loaded on first use, not when a web worker starts

    access.require(actor, assessment, "change")
    a = lock(assessment, related=("system__department",))
    require_open(a)
    if not a.threats.exists():
        raise ActionError(_("尚未识别威胁，不能计算风险"))
    # Taken before the inputs are read: an input changed while this runs leaves the
    # register stale (inputs_changed_at later than computed_at), never wrongly current.
    started = timezone.now()
    computed = risk.compute(a)
    result = risk.store(a, computed)
    SystemAssessment.objects.filter(pk=a.pk).update(
        computed_at=started, scenario_count=result.total
    )
    a.computed_at, a.scenario_count = started, result.total
    # Only rows a completed recommendation may lower, or lowered before, can have a
    # residual other than the risk just written (refresh(a) would read every row).
    linked: list[int] = []
    if result.created < result.total:  # rows that were there before may hang on to a residual
        linked = list(risk.residual_candidates(a)[: _REFRESH_IDS_MAX + 1])
    if len(linked) > _REFRESH_IDS_MAX:
        residual.refresh(a)
    elif linked:
        residual.refresh(a, linked)
    record(
        actor,
        "infosec.risk.compute",
        a,
        after={
            "calculation": a.calculation,
            **{k: v for k, v in asdict(result).items() if k != "by_level"},
            "by_level": {str(k): v for k, v in result.by_level.items()},
        },
    )
    assessment.computed_at, assessment.scenario_count = started, result.total
    return result
