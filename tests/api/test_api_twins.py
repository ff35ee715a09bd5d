"""Every page action has an API twin: the action functions the views use are all used by
the API too. A new page action without an endpoint fails here, naming itself."""

from __future__ import annotations

import ast
from pathlib import Path

import fengping

ROOT = Path(fengping.__file__).resolve().parent


def _package(path: Path) -> str:
    return ".".join(("fengping", *path.relative_to(ROOT).parts[:-1]))


def action_refs(paths: list[Path]) -> dict[str, set[str]]:
    """`module.do_name` -> the files that refer to it, for every `do_*` function of an
    `actions` module a file imports (as a module or by name, absolutely or relatively)."""
    found: dict[str, set[str]] = {}
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: dict[str, str] = {}  # local name -> actions module
        functions: dict[str, str] = {}  # local name -> module.do_name
        package = _package(path).split(".")
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            in_actions = "actions" in base.split(".")
            for alias in node.names:
                local = alias.asname or alias.name
                if alias.name == "actions":
                    modules[local] = f"{base}.actions"
                elif in_actions and alias.name.startswith("do_"):
                    functions[local] = f"{base}.{alias.name}"
                elif in_actions:
                    # A module of an actions package (`from ..actions import plans`).
                    modules[local] = f"{base}.{alias.name}"
        for node in ast.walk(tree):
            name = None
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and node.attr.startswith("do_")
            ):
                name = f"{modules[node.value.id]}.{node.attr}"
            elif isinstance(node, ast.Name) and node.id in functions:
                name = functions[node.id]
            if name:
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def view_files() -> list[Path]:
    """Every view module: `views.py`, `*_views.py` and the modules of a `views` package."""
    return sorted(
        p
        for p in ROOT.rglob("*.py")
        if ("views" in p.name or "views" in p.parts) and "api" not in p.parts
    )


def api_files() -> list[Path]:
    """The api package, and an app's own `api.py` router (the security app's)."""
    return sorted({*(ROOT / "api").rglob("*.py"), *ROOT.glob("*/api.py")})


# Page actions that are steps of a browser sign-in and cannot be API calls: the second
# factor is enrolled, passed and its recovery codes shown in the session that logs in
# (tests/security).
BROWSER_ONLY = {
    "fengping.security.actions.do_enrol_totp",
    "fengping.security.actions.do_verify_second_factor",
    "fengping.security.actions.do_regenerate_recovery_codes",
}


def test_every_page_action_has_an_api_twin():
    pages = action_refs(view_files())
    api = action_refs(api_files())
    missing = sorted(
        f"{name} (used by {', '.join(sorted(pages[name]))})"
        for name in pages
        if name not in api and name not in BROWSER_ONLY
    )
    assert set(pages) >= BROWSER_ONLY, "BROWSER_ONLY names an action no page uses"
    assert not missing, "page actions without an API endpoint:\n" + "\n".join(missing)


def test_the_scan_finds_the_page_actions():
    """The scan itself: it sees actions imported as a module, by name and relatively."""
    pages = action_refs(view_files())
    assert "fengping.assessments.actions.do_review" in pages
    assert "fengping.org.actions.do_create_user" in pages
    assert "fengping.matters.actions.do_add_document" in pages
    # Views and actions kept as packages, one module per area (cases, supervision).
    assert "fengping.cases.actions.screening.do_run_screening" in pages
    assert any(name.startswith("fengping.supervision.actions.plans.") for name in pages)
    assert len(pages) >= 50
