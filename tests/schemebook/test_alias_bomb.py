"""A YAML alias bomb is refused by the loader itself, wherever the file comes from: the
web upload, a file dropped into the data directory, or `fengping scheme check`."""

from __future__ import annotations

import time

import pytest

from fengping.cli import main
from fengping.schemebook import registry
from fengping.schemes import SchemeError, load_text
from fengping.schemes.loader import MAX_EXPANDED_NODES, expanded_size

# key: plus ten levels of ten aliases each: 10^10 nodes once expanded, a few hundred bytes.
BOMB = "\n".join(
    ["key: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)]
)


def test_expanded_size_counts_every_copy_without_expanding():
    import yaml

    assert expanded_size(yaml.compose("[a, b, {c: d}]")) == 6
    started = time.monotonic()
    assert expanded_size(yaml.compose(BOMB)) > 10**9 > MAX_EXPANDED_NODES
    assert time.monotonic() - started < 1


def test_load_text_refuses_quickly():
    started = time.monotonic()
    with pytest.raises(SchemeError, match="展开后过大"):
        load_text(BOMB, "bomb.yaml")
    assert time.monotonic() - started < 2


def test_scheme_check_refuses(db, tmp_path, capsys):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    assert main(["scheme", "check", str(path)]) == 1
    assert "展开后过大" in capsys.readouterr().err


def test_dropped_file_is_a_problem_not_a_hang(db, drop_dir):
    (drop_dir / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    problems = registry.problems()
    assert any("展开后过大" in issue.zh for p in problems for issue in p.issues)
    assert "bomb" not in {e.key for e in registry.entries()}
