"""Two request or response schemas of the API with one name are one schema in the OpenAPI
document: django-ninja keeps one of them, and an operation then documents (and the
generated tests send) another operation's body. Every name must mean one shape."""

from __future__ import annotations

import pkgutil
from collections import defaultdict
from importlib import import_module

from ninja import Schema

import fengping.api as api_package


def schema_classes() -> dict[str, set[type[Schema]]]:
    by_name: dict[str, set[type[Schema]]] = defaultdict(set)
    for info in pkgutil.walk_packages(api_package.__path__, f"{api_package.__name__}."):
        if ".migrations" in info.name:
            continue
        module = import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Schema)
                and value.__module__ == module.__name__
            ):
                by_name[value.__name__].add(value)
    return by_name


def test_one_shape_per_schema_name():
    clashes = {
        name: sorted(c.__module__ for c in classes)
        for name, classes in schema_classes().items()
        if len({str(c.model_json_schema()) for c in classes}) > 1
    }
    assert clashes == {}
