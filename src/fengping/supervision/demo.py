"""Loads the supervision demo data after the other apps' demos: plans, reports, incidents
and the rest, one module of `demos/` per area, in the order of their names."""

from __future__ import annotations

import pkgutil
from importlib import import_module

from . import demos


def load_demo() -> int:
    created = 0
    for info in sorted(pkgutil.iter_modules(demos.__path__), key=lambda m: m.name):
        created += import_module(f"{demos.__name__}.{info.name}").load()
    return created
