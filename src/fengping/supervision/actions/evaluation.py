"""The annual evaluation (纳入年度目标考核, 与评先评优挂钩): a supervising office computes
every obliged department's score for a year. Each computation is a new run; the latest
run of a year is the one shown, earlier ones stay as its history."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import Department, DepartmentKind

from .. import deadlines, evaluation
from ..models import OFFICE_ROLES, Evaluation, EvaluationRun

LABELS = {"supervision.evaluation.compute": gettext_lazy("计算年度考核得分")}

# The offices that evaluate (篇3 七(四) 镇维稳办、联席办 … 纳入年度目标考核; 篇1 七(二)).
EVALUATING_KINDS = (
    DepartmentKind.STABILITY_OFFICE,
    DepartmentKind.JOINT_OFFICE,
    DepartmentKind.SUPERVISION,
)
FIRST_YEAR = 2000


def may_compute(user: Any, office: Department) -> bool:
    return office.kind in EVALUATING_KINDS and access.can_change_under(
        user, office.path, OFFICE_ROLES
    )


def offices_for(user: Any) -> list[Department]:
    """The supervising offices in which `user` may compute the evaluation."""
    rows = Department.objects.filter(kind__in=EVALUATING_KINDS, is_active=True).order_by("path")
    return [d for d in access.visible(user, rows) if may_compute(user, d)]


@transaction.atomic
def do_compute_evaluation(actor: Any, office: Department, year: int) -> EvaluationRun:
    """Compute and store every obliged department's score for `year`, by `office`. A
    future year is refused; the current year gives a provisional (年中) result."""
    if not may_compute(actor, office):
        raise PermissionDenied(_("只有维稳办、联席办等督查机关的工作人员可以计算年度考核"))
    today = timezone.localdate()
    if year > today.year:
        raise ActionError(_("%(y)s年度尚未开始，不能考核") % {"y": year}, field="year")
    if year < FIRST_YEAR:
        raise ActionError(_("请填写正确的年度"), field="year")
    scheme = deadlines.supervising_scheme()
    results = evaluation.compute(office, year, scheme=scheme, today=today)
    run = EvaluationRun.objects.create(
        office=office,
        year=year,
        scheme_key=scheme.key,
        scheme_version=scheme.version,
        computed_by=actor,
    )
    Evaluation.objects.bulk_create(
        Evaluation(run=run, department=r.department, score=r.score, rank=r.rank, items=r.items)
        for r in results
    )
    record(
        actor,
        "supervision.evaluation.compute",
        run,
        after={
            "year": year,
            "office": office.pk,
            "scheme": f"{run.scheme_key}@{run.scheme_version}",
            "provisional": year == today.year,
            "departments": len(results),
            "scores": {str(r.department.pk): str(r.score) for r in results},
        },
    )
    return run
