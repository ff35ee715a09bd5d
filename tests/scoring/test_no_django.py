"""The scoring library must stay free of Django (DESIGN.md: pure Python)."""

import ast
from pathlib import Path

import fengping.scoring

PACKAGE = Path(fengping.scoring.__file__).parent
ALLOWED_TOP_LEVEL = {
    "__future__",
    "bisect",
    "collections",
    "dataclasses",
    "decimal",
    "fractions",
    "functools",
    "itertools",
    "math",
    "numbers",
    "numpy",
    "typing",
}


def test_scoring_imports_only_stdlib_and_numpy() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] in ALLOWED_TOP_LEVEL, f"{path.name} imports {name}"
