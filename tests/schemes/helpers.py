"""Helpers for the scheme tests: the built-in files as text and as data.

No database is needed: schemes are plain files and pydantic models.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from fengping.schemes import BUILTIN_DIR, Scheme, SchemeError, load_text

BUILTIN_KEYS = ("case-risk", "isra", "ssra-bureau", "ssra-town")


def builtin_text(key: str) -> str:
    return (BUILTIN_DIR / f"{key}.yaml").read_text(encoding="utf-8")


def builtin_data(key: str) -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(builtin_text(key)))


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def refuse(text: str, name: str = "broken.yaml") -> SchemeError:
    """Load ``text`` and return the SchemeError it must raise."""
    with pytest.raises(SchemeError) as info:
        load_text(text, name)
    return info.value


def mutate(key: str, change: Callable[[dict[str, Any]], object]) -> SchemeError:
    """Edit a copy of a built-in scheme with ``change`` and return the refusal."""
    data = builtin_data(key)
    change(data)
    return refuse(dump(data))


def load(data: dict[str, Any]) -> Scheme:
    return load_text(dump(data), "edited.yaml")
