"""The supervision rows of tests/test_url_scoping.py, one module per area of the app.

Each module `sNN_<area>.py` may define:
- `objects(org, base) -> dict`: the objects of its kinds (kind -> primary key), built after
  the modules before it (`base` holds what they built);
- `PAGES`, `READERS`, `API_PARAMETERS`, `API_OPERATIONS`: rows in the shapes of
  tests/test_url_scoping.py, merged into its tables;
- `MEMBER_READERS`: kind -> the personas of tests/conftest.Org who read an object of the
  kind (default: 人社局's head and the 督查, for the objects 人社局 owes — plans, reports,
  obligations). Objects a supervising office owns (incidents, their links, accountability
  decisions, evaluation runs) are read by the office's 督查 and the 联席办's
  (`"supervisor", "lxb_supervisor"`); 人社局 does not see them.
The module's objects belong to 人社局 (the 责任主体) or to the 维稳办; the outsider
住建局's handler sees none of them."""

from __future__ import annotations

import pkgutil
from importlib import import_module
from typing import Any

AREAS = [
    import_module(f"{__name__}.{m.name}")
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
]


def objects(org: Any, base_objects: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {"base": base_objects}
    for area in AREAS:
        if hasattr(area, "objects"):
            base.update(area.objects(org, dict(base)))
    base.pop("base")
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
MEMBER_READERS = merged("MEMBER_READERS")
KINDS = frozenset(PAGES) | frozenset(API_PARAMETERS.values())
