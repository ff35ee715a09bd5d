"""The registry: built-in schemes, an office's own directory, lookup, and the CLI helpers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fengping.schemes
from fengping.schemes import (
    Scheme,
    SchemeError,
    check_file,
    get,
    list_entries,
    list_schemes,
    load_builtin,
    load_file,
)

from .helpers import BUILTIN_KEYS, builtin_data, builtin_text, dump


def office_scheme(directory: Path, key: str = "ssra-office") -> Path:
    data = builtin_data("ssra-town")
    data["key"] = key
    data["name"] = "某区重大事项社会稳定风险评估"
    path = directory / f"{key}.yaml"
    path.write_text(dump(data), encoding="utf-8")
    return path


def test_load_builtin() -> None:
    schemes = load_builtin()
    assert tuple(sorted(schemes)) == BUILTIN_KEYS
    assert all(isinstance(s, Scheme) for s in schemes.values())
    # A fresh dict each time: a caller cannot change the registry by mutating it.
    schemes.clear()
    assert len(load_builtin()) == 4


def test_list_schemes_is_sorted_by_key() -> None:
    assert [s.key for s in list_schemes()] == list(BUILTIN_KEYS)


def test_an_office_directory_adds_its_schemes(tmp_path: Path) -> None:
    office_scheme(tmp_path)
    keys = [s.key for s in list_schemes(extra_dirs=[tmp_path])]
    assert keys == sorted([*BUILTIN_KEYS, "ssra-office"])
    entry = next(e for e in list_entries([tmp_path]) if e.scheme.key == "ssra-office")
    assert not entry.builtin and entry.path == tmp_path / "ssra-office.yaml"
    assert get("ssra-office", extra_dirs=[tmp_path]).name == "某区重大事项社会稳定风险评估"
    assert all(e.builtin for e in list_entries() if e.scheme.key in BUILTIN_KEYS)


def test_an_office_cannot_shadow_a_builtin_key(tmp_path: Path) -> None:
    office_scheme(tmp_path, key="ssra-town")
    with pytest.raises(SchemeError) as info:
        list_schemes(extra_dirs=[tmp_path])
    assert "已被" in str(info.value) and "already used" in str(info.value)


def test_file_name_must_match_the_key(tmp_path: Path) -> None:
    path = office_scheme(tmp_path, key="ssra-office")
    path.rename(tmp_path / "other-name.yaml")
    with pytest.raises(SchemeError) as info:
        list_schemes(extra_dirs=[tmp_path])
    assert "other-name.yaml" in str(info.value)


def test_a_bad_file_in_an_office_directory_is_reported(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("key: broken\n", encoding="utf-8")
    with pytest.raises(SchemeError) as info:
        list_schemes(extra_dirs=[tmp_path])
    assert str(tmp_path / "broken.yaml") in str(info.value)
    assert "缺少字段" in str(info.value)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(SchemeError, match="does not exist"):
        list_schemes(extra_dirs=[tmp_path / "nope"])


def test_get() -> None:
    assert get("isra").kind == "isra"
    with pytest.raises(KeyError, match="nothing"):
        get("nothing")


def test_check_file(tmp_path: Path) -> None:
    good = office_scheme(tmp_path)
    assert check_file(good).key == "ssra-office"
    bad = tmp_path / "bad.yaml"
    bad.write_text(builtin_text("isra").replace("kind: isra", "kind: isra\nkind: ssra"), "utf-8")
    with pytest.raises(SchemeError) as info:
        check_file(bad)
    assert info.value.source == str(bad)
    assert [i.path for i in info.value.issues] == ["kind"]


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(SchemeError, match="无法读取文件"):
        load_file(tmp_path / "missing.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(SchemeError, match="UTF-8"):
        load_file(latin)


PURE = ("fengping.scoring", "fengping.tabular")


def test_package_imports_no_django() -> None:
    # DESIGN.md: schemes/ and scoring/ import nothing from Django, so the CLI and any other
    # program can use them. The bridge to the scoring library (methods.py, isra_csv.py) may
    # import fengping.scoring, which is itself pure, and isra_csv.py the pure file readers
    # of the import framework (fengping.tabular); nothing else.
    package = Path(fengping.schemes.__file__).parent
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith("django"), f"{path.name}: {name}"
                if name.startswith("fengping"):
                    assert name.startswith(PURE), f"{path.name}: {name}"
