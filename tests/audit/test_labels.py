"""Every audit action the code records has a Chinese label (read from the source, so a
new action without a label fails here without a new test)."""

import ast
from pathlib import Path

import fengping
from fengping.audit import labels

ROOT = Path(fengping.__file__).parent
RECORDERS = {"record", "save_and_record"}
ACTION_ATTRIBUTES = {"audit_action", "action"}


def _constants(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _constants(node.body)
        yield from _constants(node.orelse)


def recorded_actions():
    found = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in RECORDERS and len(node.args) >= 2:
                    for value in _constants(node.args[1]):
                        found.setdefault(value, f"{path.relative_to(ROOT)}:{node.lineno}")
            elif isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and any(
                        getattr(t, "id", None) in ACTION_ATTRIBUTES for t in stmt.targets
                    ):
                        for value in _constants(stmt.value):
                            if "." in value:
                                found.setdefault(value, f"{path.relative_to(ROOT)}:{stmt.lineno}")
    return found


def test_the_scan_finds_the_actions_of_every_kind():
    actions = recorded_actions()
    # a plain record(), an IfExp, a stored-file model and an importer
    for code in (
        "matters.matter.register",
        "schemebook.scheme.deactivate",
        "matters.document.add",
        "org.import",
    ):
        assert code in actions


def test_every_recorded_action_has_a_label():
    missing = [
        f"{code} ({where})"
        for code, where in recorded_actions().items()
        if code not in labels.known()
    ]
    assert missing == [], "register a label in the app's AppConfig.ready(): " + ", ".join(missing)


def test_label_in_chinese_and_unknown_codes_shown_as_they_are():
    assert labels.label("matters.matter.register") == "登记评估事项"
    assert labels.label("legacy.something") == "legacy.something"
