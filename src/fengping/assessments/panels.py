"""The assessment card on the matter page (core.registry.matter_panels)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from fengping.core.registry import matter_panels


def assessment_panel(request: Any, matter: Any) -> dict[str, Any] | None:
    assessment = matter.assessments.order_by("-started_at").first()
    if assessment is None and not matter.must_assess and not matter.decisions.exists():
        return {
            "label": _("社会稳定风险评估"),
            "value": _("非必须评估"),
            "note": _("开始评估，或不经评估登记决定"),
            "url": reverse("assessments:matter_decide", args=[matter.pk]),
        }
    if assessment is None:
        return {
            "label": _("社会稳定风险评估"),
            "value": _("尚未开始"),
            "note": _("点击开始评估"),
            "url": reverse("assessments:start", args=[matter.pk]),
        }
    step = next(
        (s for s in assessment.scheme.procedure.steps if s.code == assessment.current_step), None
    )
    note = _("当前步骤：%(s)s") % {"s": step.label if step else assessment.current_step}
    if assessment.redecision_triggers():
        # 篇1 六(二), 篇3 六(八): 实施 does not stand silently once opposition appears.
        note = _("实施中出现反对或新的不稳定情况，须作出终止实施或调整的新决定")
    late = [f.office.name for f in assessment.filings.filter(late=True).select_related("office")]
    if late:
        # A filing after the due day stays marked on the matter (篇3 六(七) 决定的次日).
        note = f"{note} · " + _("逾期备案：%(o)s") % {"o": "、".join(late)}
    return {
        "label": _("社会稳定风险评估"),
        "value": assessment.get_status_display(),
        "note": note,
        "url": reverse("assessments:detail", args=[assessment.pk]),
    }


matter_panels.add(assessment_panel)
