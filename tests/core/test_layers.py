"""The bottom of the house has no cycle: `core` imports no other fengping package,
`audit` imports only `core`, `org` only `core` and `audit`. Domain apps plug into
shared pages through `core.registry`, so nothing below them needs to import them."""

import ast
from pathlib import Path

import pytest

import fengping

ROOT = Path(fengping.__file__).parent

# package -> the fengping packages it may import (besides itself)
ALLOWED = {
    "core": {"conf", "tabular"},
    "audit": {"core", "conf"},
    "org": {"core", "audit", "conf"},
    "scoring": set(),
    "schemes": {"scoring", "tabular"},
    "tabular": set(),
}


def fengping_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "fengping" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_lower_layers_import_only_what_lies_below(package):
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        extra = fengping_imports(path) - ALLOWED[package] - {package}
        if extra:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(extra)}")
    assert not offenders, "\n".join(offenders)


def test_the_import_scan_sees_imports():
    # The check above is worth something only if the scanner finds a real import.
    assert "org" in fengping_imports(ROOT / "desk" / "views.py")
