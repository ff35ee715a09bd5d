"""A scheme's version is a hash of its content, not of its file's layout."""

from __future__ import annotations

import hashlib
import re

import pytest
import yaml

from fengping.schemes import load_text

from .helpers import BUILTIN_KEYS, builtin_data, builtin_text, dump


@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_version_is_a_prefix_of_the_content_hash(key: str) -> None:
    scheme = load_text(builtin_text(key), key)
    assert re.fullmatch(r"[0-9a-f]{64}", scheme.content_hash)
    assert scheme.version == scheme.content_hash[:12]
    expected = hashlib.sha256(scheme.canonical_json().encode("utf-8")).hexdigest()
    assert scheme.content_hash == expected


@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_comments_and_blank_lines_keep_the_version(key: str) -> None:
    text = builtin_text(key)
    original = load_text(text, key).content_hash
    lines = []
    for line in text.splitlines():
        # A blank line and a comment before each top-level key; both are layout only.
        if line and not line.startswith((" ", "#", "-")):
            lines += ["", f"# note added before {line.split(':')[0]}"]
        lines.append(line.rstrip() + ("   # trailing" if line.startswith("format:") else ""))
    edited = "\n".join(lines) + "\n\n"
    assert edited != text
    assert load_text(edited, key).content_hash == original


@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_key_order_and_flow_style_keep_the_version(key: str) -> None:
    original = load_text(builtin_text(key), key).content_hash
    data = builtin_data(key)
    reordered = dict(reversed(list(data.items())))
    for text in (
        dump(reordered),
        yaml.safe_dump(data, allow_unicode=True, default_flow_style=True, width=10_000),
    ):
        assert load_text(text, key).content_hash == original


def test_spelling_out_a_default_keeps_the_version() -> None:
    data = builtin_data("ssra-town")
    original = load_text(dump(data), "a").content_hash
    data["procedure"]["steps"][0]["channels"] = []  # the default, written out
    data.pop("format")  # the default, left out
    assert load_text(dump(data), "b").content_hash == original


def test_a_content_change_changes_the_version() -> None:
    data = builtin_data("ssra-bureau")
    original = load_text(dump(data), "a")
    data["grades"][1]["decisions"]["recommended"] = "implement"
    data["grades"][1]["decisions"]["conditions"] = []
    changed = load_text(dump(data), "b")
    assert changed.content_hash != original.content_hash
    assert changed.version != original.version


def test_one_character_of_text_changes_the_version() -> None:
    text = builtin_text("ssra-town")
    edited = text.replace("一级为风险大", "一级为风险很大", 1)
    assert load_text(edited, "x").version != load_text(text, "x").version


def test_a_number_change_changes_the_version() -> None:
    data = builtin_data("isra")
    before = load_text(dump(data), "a").version
    data["method"]["measure_effects"][0]["effective_steps"] = 2
    assert load_text(dump(data), "b").version != before


def test_canonical_json_is_sorted_and_keeps_chinese() -> None:
    scheme = load_text(builtin_text("case-risk"), "case-risk")
    canonical = scheme.canonical_json()
    assert "谁办理、谁评估、谁化解" in canonical  # ensure_ascii=False
    assert canonical.index('"conditions"') < canonical.index('"decisions"')
