"""The registry merges built-in files, files dropped into DATA_DIR/schemes and uploads."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from fengping.schemebook import actions, registry
from fengping.schemes import load_builtin
from tests.schemes.helpers import builtin_data, builtin_text, dump


def drop(directory, key: str, name: str = "某区重大事项社会稳定风险评估") -> str:
    data = builtin_data("ssra-town")
    data["key"] = key
    data["name"] = name
    text = dump(data)
    (directory / f"{key}.yaml").write_text(text, encoding="utf-8")
    return text


def test_builtins_only(db):
    entries = registry.entries()
    assert [e.key for e in entries] == sorted(load_builtin())
    assert {e.origin for e in entries} == {"builtin"}
    assert registry.problems() == []
    assert registry.get("isra").kind == "isra"
    with pytest.raises(LookupError):
        registry.get("nope")


def test_a_dropped_file_appears(org, login, drop_dir):
    drop(drop_dir, "ssra-district")
    entry = registry.entry("ssra-district")
    assert entry.origin == "file" and entry.path == drop_dir / "ssra-district.yaml"
    html = login(org.rsj_handler).get(reverse("schemebook:schemes")).content.decode()
    assert "某区重大事项社会稳定风险评估" in html and "数据目录文件" in html
    detail = login(org.rsj_handler).get(reverse("schemebook:scheme", args=["ssra-district"]))
    assert detail.status_code == 200


def test_an_edited_file_is_read_again(db, drop_dir):
    drop(drop_dir, "ssra-district")
    before = registry.get("ssra-district")
    drop(drop_dir, "ssra-district", name="某区方案（修订版，文件更长以改变大小）")
    after = registry.get("ssra-district")
    assert after.name.startswith("某区方案") and after.version != before.version


def test_a_dropped_file_cannot_take_a_builtin_key(db, drop_dir, caplog):
    (drop_dir / "isra.yaml").write_text(
        builtin_text("ssra-town").replace("key: ssra-town", "key: isra"), encoding="utf-8"
    )
    with caplog.at_level(logging.WARNING, logger="fengping.schemebook.registry"):
        entries, problems = registry.scan()
    assert registry.get("isra").kind == "isra"  # still the built-in one
    assert [e.origin for e in entries if e.key == "isra"] == ["builtin"]
    assert problems[0].source == "isra.yaml" and "内置方案" in problems[0].issues[0].zh
    assert "already taken" in caplog.text


def test_a_bad_dropped_file_is_reported_not_fatal(org, login, drop_dir):
    data = builtin_data("ssra-town")
    data["key"] = "ssra-broken"
    data["grades"][0]["decisions"]["allowed"] = ["approve"]
    (drop_dir / "ssra-broken.yaml").write_text(dump(data), encoding="utf-8")
    (drop_dir / "wrong-name.yaml").write_text(dump(builtin_data("case-risk")), encoding="utf-8")
    (drop_dir / "notes.txt").write_text("not a scheme", encoding="utf-8")
    assert "ssra-broken" not in [e.key for e in registry.entries()]
    sources = {p.source: p for p in registry.problems()}
    assert set(sources) == {"ssra-broken.yaml", "wrong-name.yaml"}
    assert sources["ssra-broken.yaml"].issues[0].path == "grades[0].decisions.allowed[0]"

    # Everyone still gets the page; administrators see why the files are left out.
    html = login(org.rsj_handler).get(reverse("schemebook:schemes")).content.decode()
    assert "ssra-broken.yaml" not in html
    html = login(org.admin).get(reverse("schemebook:schemes")).content.decode()
    assert "ssra-broken.yaml" in html and "grades[0].decisions.allowed[0]" in html
    assert "与文件名" in html


def test_an_upload_cannot_take_a_dropped_files_key(org, drop_dir):
    text = drop(drop_dir, "ssra-district")
    with pytest.raises(actions.ActionError) as info:
        actions.do_upload_scheme(org.admin, "d.yaml", text)
    assert "数据目录" in info.value.message


def test_a_new_upload_is_seen_at_once(org):
    assert "ssra-city" not in [e.key for e in registry.entries()]
    data = builtin_data("ssra-town")
    data["key"] = "ssra-city"
    actions.do_upload_scheme(org.admin, "c.yaml", dump(data))
    assert registry.get("ssra-city").key == "ssra-city"
    data["name"] = "改名"
    actions.do_upload_scheme(org.admin, "c.yaml", dump(data))
    assert registry.get("ssra-city").name == "改名"


def test_get_version(db):
    isra = registry.get("isra")
    assert registry.get_version("isra", isra.version) is isra
    assert registry.get_version("isra", isra.content_hash) is isra
    with pytest.raises(LookupError):
        registry.get_version("isra", "0" * 12)
    with pytest.raises(LookupError):
        registry.get_version("isra", "abc")
