"""Where each domain app declares how fengping knows one of its output codes exists.

A scheme's step ``produces`` output codes; before the step can be completed, every code
registered here for the run's model must be present (``check(run)``). A code no app
registers — one a custom scheme invents — is satisfied by completing the step that
produces it: the person completing it attests to it, and the completion is audited.

An output the app stores on the run itself (e.g. the generated report) may also declare
``reset``: when a send-back reopens the step that produces it, the output is void again;
``reset(run)`` clears it and returns the names of the fields it changed, which the
engine saves with the run.

Apps register from their ``AppConfig.ready()``::

    outputs.register(Assessment, "report", _("评估报告"), lambda a: a.report_generated_at is not None)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models


@dataclass(frozen=True)
class Output:
    code: str
    label: Any  # str or a lazy translation
    check: Callable[[Any], bool]
    reset: Callable[[Any], Sequence[str]] | None = None


# run model label ("assessments.assessment") -> output code -> Output
_REGISTRY: dict[str, dict[str, Output]] = {}


def _key(run_model: type[models.Model] | models.Model) -> str:
    return str(run_model._meta.label_lower)


def register(
    run_model: type[models.Model],
    code: str,
    label: Any,
    check: Callable[[Any], bool],
    *,
    reset: Callable[[Any], Sequence[str]] | None = None,
) -> Output:
    """Declare how output `code` of `run_model`'s runs is checked (and cleared)."""
    outputs = _REGISTRY.setdefault(_key(run_model), {})
    if code in outputs:
        raise ImproperlyConfigured(f"output {code!r} of {_key(run_model)} is registered twice")
    output = Output(code, label, check, reset)
    outputs[code] = output
    return output


def registered(run_model: type[models.Model] | models.Model) -> dict[str, Output]:
    """The outputs registered for a run model (or a run), by code."""
    return dict(_REGISTRY.get(_key(run_model), {}))


def get(run: models.Model, code: str) -> Output | None:
    return _REGISTRY.get(_key(run), {}).get(code)


def label_of(run: models.Model, code: str) -> str:
    """The label the app gave an output; the code itself for one it does not know."""
    output = get(run, code)
    return str(output.label) if output is not None else code
