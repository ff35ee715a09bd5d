from __future__ import annotations

import pkgutil
from importlib import import_module

from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "fengping.supervision"
    label = "supervision"
    verbose_name = "督促检查"

    def ready(self) -> None:
        from fengping.audit.labels import register as register_labels

        from . import actions

        # Each area keeps its actions in its own module of `actions/` with the audit labels
        # of what it records in LABELS; importing a module also registers its tick jobs,
        # home cards and registry contributions.
        for info in sorted(pkgutil.iter_modules(actions.__path__), key=lambda m: m.name):
            module = import_module(f"{actions.__name__}.{info.name}")
            labels = getattr(module, "LABELS", None)
            if labels:
                register_labels(labels)
