"""The supervision API (`/api/supervision/…`): one router, one module per area of the app;
each module registers its operations on `router`."""

import pkgutil
from importlib import import_module

from ninja import Router

router = Router(tags=["supervision"])

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    import_module(f"{__name__}.{_info.name}")
