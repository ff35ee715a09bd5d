from __future__ import annotations

import pkgutil
from importlib import import_module

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "fengping.cases"
    label = "cases"
    verbose_name = "办案风险评估"

    def ready(self) -> None:
        from fengping.audit.labels import register as register_labels

        from . import actions, outputs

        # Each area keeps its actions in its own module of `actions/` with the audit labels
        # of what it records in LABELS; a module may also register home cards etc. there.
        for info in sorted(pkgutil.iter_modules(actions.__path__), key=lambda m: m.name):
            module = import_module(f"{actions.__name__}.{info.name}")
            labels = getattr(module, "LABELS", None)
            if labels:
                register_labels(labels)
        outputs.register_outputs()
        from . import (
            home,  # noqa: F401 - home cards: cases to analyse, risks not resolved
            terms,  # noqa: F401 - the daily re-stamping of screening keywords
        )
