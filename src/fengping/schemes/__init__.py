"""Risk-assessment schemes: YAML files validated by a typed model.

A scheme is data, not code (see DESIGN.md, "The four schemes"). This package imports
nothing from Django or ``fengping.scoring`` so both the web app and the CLI can use it.
"""

from .describe import describe, to_json
from .loader import (
    BUILTIN_DIR,
    SchemeEntry,
    SchemeError,
    UniqueKeySafeLoader,
    check_file,
    get,
    list_entries,
    list_schemes,
    load_builtin,
    load_file,
    load_text,
)
from .model import VERBATIM_FIELDS, Issue, Scheme, scheme_issues

__all__ = [
    "BUILTIN_DIR",
    "VERBATIM_FIELDS",
    "Issue",
    "Scheme",
    "SchemeEntry",
    "SchemeError",
    "UniqueKeySafeLoader",
    "check_file",
    "describe",
    "get",
    "list_entries",
    "list_schemes",
    "load_builtin",
    "load_file",
    "load_text",
    "scheme_issues",
    "to_json",
]
