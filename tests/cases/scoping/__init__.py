"""The cases rows of tests/test_url_scoping.py, one module per area of the app.

Each module `sNN_<area>.py` may define:
- `objects(org, base) -> dict`: the objects of its kinds (kind -> primary key), built after
  the base objects below and the modules before it (`base` holds them all so far);
- `PAGES`, `READERS`, `API_PARAMETERS`, `API_OPERATIONS`: rows in the shapes of
  tests/test_url_scoping.py, merged into its tables.
The base objects (all of the court 示范市人民法院, FY; the module's outsider 住建局's handler
sees none of them and the 维稳办 supervisor reads them): `case_organ` (the court's
department pk, which the organ pages take), `case` (a 重大、疑难、复杂 case at 受理) and
`case_assessment` (an open assessment of it, started by the court's handler). `base["courts"]`
holds the court's people (tests/cases/builders.Courts)."""

from __future__ import annotations

import pkgutil
from importlib import import_module
from typing import Any

from fengping.cases.actions.assessments import do_start_assessment

from ..builders import build_courts, make_case

AREAS = [
    import_module(f"{__name__}.{m.name}")
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
]


def objects(org: Any) -> dict[str, Any]:
    courts = build_courts(org)
    case = make_case(courts.fy, "（2026）示刑初1号", major_complex=True, handler=courts.fy_handler)
    base: dict[str, Any] = {
        "courts": courts,
        "case_organ": courts.fy.pk,
        "case": case.pk,
        "case_assessment": do_start_assessment(courts.fy_handler, case).pk,
    }
    for area in AREAS:
        if hasattr(area, "objects"):
            base.update(area.objects(org, dict(base)))
    base.pop("courts")
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
KINDS = (
    frozenset(PAGES)
    | frozenset(API_PARAMETERS.values())
    | {
        "case_organ",
        "case",
        "case_assessment",
    }
)
