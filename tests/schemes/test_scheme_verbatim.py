"""Verbatim fields of the built-in schemes are copied exactly from the source document.

The seed file is read only when it exists (it lives outside the package); otherwise the
full check is skipped and the literal-string checks in test_scheme_builtins.py remain.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fengping.schemes import VERBATIM_FIELDS, Scheme, load_builtin
from fengping.schemes.model import walk_strings

from .helpers import BUILTIN_KEYS

SEED = Path("/work/shared/seeds/000_209192033c27291c.txt")

# The only corrections the YAML files make, each stated in the file's header comment:
# stray characters in the source, and line breaks that split a word.
SOURCE_FIXES = (
    ("`", ""),
    ("发生的.信息", "发生的信息"),
    ("的'第一手", "的第一手"),
    ("问题的.案件", "问题的案件"),
    ("(二对", "(二)对"),
    ("评审、。", "评审。"),
)


def normalised_source() -> str:
    text = SEED.read_text(encoding="utf-8").replace("\n", "")
    for old, new in SOURCE_FIXES:
        text = text.replace(old, new)
    return text


def not_verbatim(scheme: Scheme, source: str) -> list[str]:
    return [
        f"{path}: {text[:40]}"
        for path, field, text in walk_strings(scheme.model_dump(mode="json"))
        if field in VERBATIM_FIELDS and text not in source
    ]


needs_seed = pytest.mark.skipif(not SEED.exists(), reason="source document not available")


@needs_seed
@pytest.mark.parametrize("key", BUILTIN_KEYS)
def test_verbatim_fields_appear_in_source(key: str) -> None:
    scheme = load_builtin()[key]
    assert not_verbatim(scheme, normalised_source()) == []


@needs_seed
def test_the_check_notices_an_edited_sentence() -> None:
    scheme = load_builtin()["ssra-bureau"]
    data = scheme.model_dump()
    data["grades"][0]["definition"] = "群众反映强烈,可能引发重大不稳定事件的,评为A级"
    edited = Scheme.model_validate(data)
    assert not_verbatim(edited, normalised_source()) == [
        "grades[0].definition: 群众反映强烈,可能引发重大不稳定事件的,评为A级"
    ]


@needs_seed
def test_fixes_are_needed_and_used() -> None:
    # Each listed fix must match something in the source, or the list has gone stale.
    raw = SEED.read_text(encoding="utf-8").replace("\n", "")
    for old, _ in SOURCE_FIXES:
        assert old in raw


@needs_seed
def test_split_words_are_joined() -> None:
    # The source breaks "重大决策" and "维稳部门" across lines; the schemes keep the words.
    source = normalised_source()
    town = load_builtin()["ssra-town"]
    assert "对拟做出的重大决策和重大项目进行修订完善" in (town.procedure.steps[2].text or "")
    assert "对拟做出的重大决策和重大项目进行修订完善" in source
