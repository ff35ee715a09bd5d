"""Periodic work run by `fengping tick` (cron or a systemd timer calls it, e.g. every 10
minutes). Each job runs at most once per period; later issues register more jobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import TickRun


@dataclass(frozen=True)
class Job:
    name: str
    label: str
    period: Callable[[datetime], str]
    run: Callable[[], str]


JOBS: dict[str, Job] = {}


def hourly(now: datetime) -> str:
    return timezone.localtime(now).strftime("%Y-%m-%d %H")


def daily(now: datetime) -> str:
    return timezone.localtime(now).strftime("%Y-%m-%d")


def monthly(now: datetime) -> str:
    return timezone.localtime(now).strftime("%Y-%m")


def register(
    name: str, label: str, period: Callable[[datetime], str]
) -> Callable[[Callable[[], str]], Callable[[], str]]:
    def wrap(fn: Callable[[], str]) -> Callable[[], str]:
        JOBS[name] = Job(name, label, period, fn)
        return fn

    return wrap


@dataclass(frozen=True)
class TickOutcome:
    job: str
    period: str
    status: str  # "ran", "skipped", "failed"
    detail: str


def tick(now: datetime | None = None) -> list[TickOutcome]:
    now = now or timezone.now()
    outcomes = []
    for job in JOBS.values():
        period = job.period(now)
        try:
            with transaction.atomic():
                run = TickRun.objects.create(job=job.name, period=period)
        except IntegrityError:
            outcomes.append(TickOutcome(job.name, period, "skipped", ""))
            continue
        try:
            detail = job.run()
            run.ok = True
        except Exception as exc:  # noqa: BLE001 - recorded on the run and reported; the next period retries
            detail = f"{type(exc).__name__}: {exc}"
            run.ok = False
        run.detail = detail
        run.finished_at = timezone.now()
        run.save(update_fields=["ok", "detail", "finished_at"])
        outcomes.append(TickOutcome(job.name, period, "ran" if run.ok else "failed", detail))
    return outcomes
