"""The demo's annual evaluation: after the other supervision demos (plans, reports,
incidents …), the 市维稳办's 督查 computes last year's and this year's (年中) scores.
Idempotent: a year the office has already computed is left alone."""

from __future__ import annotations

from django.utils import timezone

from fengping.org.models import Department, User

from ..actions.evaluation import do_compute_evaluation
from ..models import EvaluationRun

OFFICE_CODE = "SFS-WWB"
ACTOR = "sunli"


def load() -> int:
    office = Department.objects.filter(code=OFFICE_CODE).first()
    actor = User.objects.filter(username=ACTOR).first()
    if office is None or actor is None:
        return 0
    created = 0
    year = timezone.localdate().year
    for y in (year - 1, year):
        if EvaluationRun.objects.filter(office=office, year=y).exists():
            continue
        run = do_compute_evaluation(actor, office, y)
        created += 1 + run.scores.count()
    return created
