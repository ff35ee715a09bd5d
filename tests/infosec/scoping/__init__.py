"""The infosec rows of tests/test_url_scoping.py, one module per area of the app.

Each module `sNN_<area>.py` may define:
- `objects(org, base) -> dict`: the objects of its kinds (kind -> primary key), built after
  the base objects below and the modules before it (`base` holds them all so far);
- `PAGES`, `READERS`, `API_PARAMETERS`, `API_OPERATIONS`: rows in the shapes of
  tests/test_url_scoping.py, merged into its tables.
The base objects: `system` (人社局's system OA with assets) and `infosec_assessment` (an
open assessment of it)."""

from __future__ import annotations

import pkgutil
from importlib import import_module
from typing import Any

from ..builders import add_assets, make_system, start

AREAS = [
    import_module(f"{__name__}.{m.name}")
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
]


def objects(org: Any) -> dict[str, Any]:
    system = make_system(org, "SCOPE-OA")
    add_assets(system, 2)
    base: dict[str, Any] = {
        "system": system.pk,
        "infosec_assessment": start(org, system).pk,
    }
    for area in AREAS:
        if hasattr(area, "objects"):
            base.update(area.objects(org, dict(base)))
    return base


def merged(name: str) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for area in AREAS:
        for key, value in getattr(area, name, {}).items():
            if isinstance(value, dict) and isinstance(rows.get(key), dict):
                rows[key] = {**rows[key], **value}
            else:
                rows[key] = value
    return rows


PAGES = merged("PAGES")
READERS = merged("READERS")
API_PARAMETERS = merged("API_PARAMETERS")
API_OPERATIONS = merged("API_OPERATIONS")
KINDS = frozenset(PAGES) | frozenset(API_PARAMETERS.values()) | {"system", "infosec_assessment"}
