"""The demo's obligations: one sync over the demo data built before (plans, reports,
decided assessments, measures, infosec tasks and accepted risks, the court's screening),
as `fengping tick` would do within the hour. Idempotent like the sync."""

from __future__ import annotations


def load() -> int:
    from fengping.supervision import obligations

    return obligations.sync()["created"]
