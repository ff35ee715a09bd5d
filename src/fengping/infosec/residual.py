"""Residual risk of an assessment's scenarios (3.5: 整改 lowers what it fixed).

A scenario whose vulnerability is closed (fixed, or closed by a re-scan) is eliminated
(`residual_risk` NULL, `residual_level` 0). Otherwise a recommendation linked to it whose
整改 tasks are all finished (at least one, none open) acts as the measure it names
(`Recommendation.effect`: preventive lowers the likelihood, protective the loss) by the
scheme's `effective_steps`, on top of the measures the scenario was computed with.

Called after a task closes, a vulnerability changes status or a re-scan closes findings;
the risk computation sets `residual_* = risk/level` for the rows it writes and then calls
this for the assessment."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import F, Q, QuerySet

from fengping.schemes.methods import isra_bands, isra_tables
from fengping.scoring.gbt20984 import risk_by_matrix, risk_by_multiplication

from .models import (
    OPEN_TASK_STATUSES,
    Calculation,
    Recommendation,
    Scenario,
    SystemAssessment,
    TaskStatus,
    VulnStatus,
)

FINISHED_TASKS = (TaskStatus.DONE, TaskStatus.CLOSED_BY_SCAN)


def completed_recommendations(assessment: SystemAssessment) -> dict[int, str]:
    """Recommendation id -> effect, for the recommendations whose tasks are all finished."""
    done: dict[int, str] = {}
    rows = Recommendation.objects.filter(assessment=assessment).exclude(effect="")
    for rec in rows.prefetch_related("tasks"):
        tasks = [t for t in rec.tasks.all() if t.status != TaskStatus.CANCELLED]
        if tasks and not any(t.status in OPEN_TASK_STATUSES for t in tasks):
            done[rec.pk] = rec.effect
    return done


CHUNK = 2000  # ids per IN (…): well under SQLite's limit of bound parameters


def refresh(
    assessment: SystemAssessment,
    scenario_ids: Iterable[int] | QuerySet[Any] | None = None,
    *,
    vulnerability_ids: Iterable[int] | None = None,
) -> int:
    """Recompute the residual risk of the assessment's scenarios — all, those of
    `scenario_ids` (ids or a queryset of ids, used as a subquery) or those resting on
    `vulnerability_ids` — and return how many rows changed. Only rows that can differ from
    what they hold are read: closed vulnerabilities, rows linked to a completed
    recommendation, and rows whose residual is not their risk."""
    qs = Scenario.objects.filter(assessment=assessment)
    if vulnerability_ids is not None:
        ids = list(vulnerability_ids)
        return sum(
            _refresh(assessment, qs.filter(vulnerability_id__in=ids[i : i + CHUNK]))
            for i in range(0, len(ids), CHUNK)
        )
    if scenario_ids is None:
        return _refresh(assessment, qs)
    if isinstance(scenario_ids, QuerySet):
        return _refresh(assessment, qs.filter(pk__in=scenario_ids))
    ids = list(scenario_ids)
    return sum(
        _refresh(assessment, qs.filter(pk__in=ids[i : i + CHUNK]))
        for i in range(0, len(ids), CHUNK)
    )


def _refresh(assessment: SystemAssessment, qs: QuerySet[Scenario]) -> int:
    scheme = assessment.scheme
    method = scheme.method
    steps = {m.kind: m.effective_steps for m in getattr(method, "measure_effects", [])}
    bands = isra_bands(scheme)
    tables = isra_tables(scheme)
    done = completed_recommendations(assessment)
    extra: dict[int, dict[str, int]] = defaultdict(lambda: {"preventive": 0, "protective": 0})
    linked = Q(pk__in=[])
    if done:
        links = Recommendation.scenarios.through.objects.filter(
            recommendation_id__in=list(done), scenario__in=qs.values("pk")
        )
        for scenario_id, rec_id in links.values_list("scenario_id", "recommendation_id"):
            effect = done[rec_id]
            extra[scenario_id][effect] = max(extra[scenario_id][effect], steps.get(effect, 0))
        linked = Q(pk__in=links.values("scenario_id"))
    closed = Q(vulnerability__status=VulnStatus.CLOSED)
    candidates = qs.filter(
        closed | linked | Q(residual_risk__isnull=True) | ~Q(residual_risk=F("risk"))
    ).values_list(
        "pk",
        "vulnerability__status",
        "asset_value",
        "frequency",
        "severity",
        "likelihood_steps",
        "loss_steps",
        "risk",
        "level",
        "residual_risk",
        "residual_level",
    )
    score = (
        risk_by_matrix if assessment.calculation == Calculation.MATRIX else risk_by_multiplication
    )
    changed: list[Scenario] = []
    for pk, status, ia, t, v, ls, fs, risk, level, old_risk, old_level in candidates.iterator(
        chunk_size=2000
    ):
        if status == VulnStatus.CLOSED:
            new_risk, new_level = None, 0
        elif pk in extra:
            kw: dict[str, Any] = {
                "measure_effect": ls + extra[pk]["preventive"],
                "loss_effect": fs + extra[pk]["protective"],
                "bands": bands,
            }
            if score is risk_by_matrix:
                kw["tables"] = tables
            result = score(ia, t, v, **kw)
            new_risk, new_level = result.risk, result.band_index + 1
        else:
            new_risk, new_level = risk, level
        if (new_risk, new_level) != (old_risk, old_level):
            changed.append(Scenario(pk=pk, residual_risk=new_risk, residual_level=new_level))
    Scenario.objects.bulk_update(changed, ["residual_risk", "residual_level"], batch_size=1000)
    return len(changed)


def refresh_for_vulnerabilities(vulnerability_ids: Iterable[int]) -> int:
    """After vulnerabilities closed or reopened: the residual risk of the scenarios of the
    open assessments that rest on them."""
    ids = list(vulnerability_ids)
    if not ids:
        return 0
    assessment_ids: set[int] = set()
    for i in range(0, len(ids), CHUNK):
        assessment_ids.update(
            Scenario.objects.filter(
                vulnerability_id__in=ids[i : i + CHUNK], assessment__status="open"
            )
            .values_list("assessment_id", flat=True)
            .distinct()
        )
    return sum(
        refresh(assessment, vulnerability_ids=ids)
        for assessment in SystemAssessment.objects.filter(pk__in=assessment_ids)
    )
