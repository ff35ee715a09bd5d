"""Chinese labels of audit actions, for the audit log, exports and reports.

An action is recorded by its code (`matters.matter.register`) so the chain never depends
on wording; people read the label (登记评估事项). Each app registers the labels of the
actions it records from its AppConfig.ready(); `tests/audit/test_labels.py` reads the
source for every recorded action and fails on one without a label."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_LABELS: dict[str, Any] = {}


def register(labels: Mapping[str, Any]) -> None:
    _LABELS.update(labels)


def label(action: str) -> str:
    """The label in the active language, or the code itself for an action no app knows
    (an event recorded by an older version keeps showing)."""
    found = _LABELS.get(action)
    return str(found) if found is not None else action


def known() -> frozenset[str]:
    return frozenset(_LABELS)
