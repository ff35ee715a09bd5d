"""How the procedure engine knows each output of an isra scheme's steps exists."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from fengping.procedure import outputs

from .models import (
    OPEN_TASK_STATUSES,
    ApprovalState,
    Catalogue,
    SystemAssessment,
    Treatment,
)


def answered_all(assessment: SystemAssessment, catalogue: str) -> bool:
    """Every item of every checklist of the catalogue is answered (严禁漏项)."""
    info = assessment.scheme.infosec
    if info is None:
        return False
    checklists = info.vulnerabilities if catalogue == Catalogue.VULNERABILITY else info.measures
    wanted = {code for c in checklists.checklists for code in c.item_codes()}
    answered = set(
        assessment.checklist_answers.filter(catalogue=catalogue, item__in=wanted).values_list(
            "item", flat=True
        )
    )
    return wanted <= answered


def treatment_planned(assessment: SystemAssessment) -> bool:
    """Every risk scenario has a decision, none waiting for or refused its approval."""
    if assessment.scenarios.filter(decision__isnull=True).exists():
        return False
    return not assessment.decisions.filter(
        approval__in=[ApprovalState.PENDING, ApprovalState.REJECTED]
    ).exists()


def remediation_recorded(assessment: SystemAssessment) -> bool:
    """No 整改 task of the assessment is still open, and a risk decided 降低 has a task."""
    if assessment.tasks.filter(status__in=OPEN_TASK_STATUSES).exists():
        return False
    reduce = assessment.decisions.filter(treatment=Treatment.REDUCE).exists()
    return not reduce or assessment.tasks.exists()


def register_outputs() -> None:
    outputs.register(
        SystemAssessment,
        "asset_register",
        _("资产清单"),
        lambda a: a.system.assets.exists(),
    )
    outputs.register(SystemAssessment, "threat_list", _("威胁清单"), lambda a: a.threats.exists())
    outputs.register(
        SystemAssessment,
        "vulnerability_list",
        _("脆弱性检查表全部逐项评估"),
        lambda a: answered_all(a, Catalogue.VULNERABILITY),
    )
    outputs.register(
        SystemAssessment,
        "measure_assessment",
        _("现有安全措施全部逐项评估"),
        lambda a: answered_all(a, Catalogue.MEASURE),
    )
    outputs.register(
        SystemAssessment,
        "risk_register",
        _("按当前数据计算的风险清单"),
        lambda a: a.risk_current(),
    )
    outputs.register(
        SystemAssessment,
        "treatment_plan",
        _("每项风险的处置决策（需批准的已批准）"),
        treatment_planned,
    )
    outputs.register(
        SystemAssessment,
        "remediation_record",
        _("整改任务全部完成"),
        remediation_recorded,
    )
