"""The scoring library and the scheme loader must stay free of Django (DESIGN.md: pure
Python; STYLE.md: `scoring/` and `schemes/` import nothing from Django), so they can be
used and tested without a project, a database or settings."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import fengping.schemes
import fengping.scoring
import fengping.tabular

# package -> the third-party and first-party packages its modules may import (the standard
# library is always allowed)
ALLOWED = {
    "fengping.scoring": {"numpy"},
    "fengping.schemes": {
        "numpy",
        "pydantic",
        "pydantic_core",
        "yaml",
        "fengping.scoring",
        "fengping.tabular",
    },
    "fengping.tabular": {"defusedxml"},
}
PACKAGES = {
    "fengping.scoring": fengping.scoring,
    "fengping.schemes": fengping.schemes,
    "fengping.tabular": fengping.tabular,
}


def modules(package: str) -> dict[str, Path]:
    """Module name -> source file, for every module of the package (subpackages too)."""
    root = Path(PACKAGES[package].__file__).parent
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((package, *parts))] = path
    return found


def imports_of(path: Path) -> list[str]:
    """Every absolute import in the file, at any depth (a function's late import too)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def allowed(package: str, name: str) -> bool:
    top = name.split(".")[0]
    if top in sys.stdlib_module_names:
        return True
    return any(name == a or name.startswith(a + ".") for a in ALLOWED[package] | {package})


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_imports_only_the_standard_library_and_allowed_packages(package):
    found = modules(package)
    assert len(found) > 3, found
    refused = [
        f"{module} imports {name}"
        for module, path in found.items()
        for name in imports_of(path)
        if not allowed(package, name)
    ]
    assert not refused, refused


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_imports_in_a_process_without_django(package):
    """Every module imports with Django unavailable: `import django` fails there."""
    code = (
        "import sys\n"
        "sys.modules['django'] = None\n"
        "import importlib\n"
        f"for name in {sorted(modules(package))!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = [m for m, v in sys.modules.items() if m.startswith('django') and v]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_the_checks_see_django():
    assert not allowed("fengping.scoring", "django.db")
    assert not allowed("fengping.schemes", "fengping.org.models")
    assert not allowed("fengping.scoring", "yaml")
    assert allowed("fengping.schemes", "fengping.scoring.matrix")
    assert allowed("fengping.scoring", "fractions")
