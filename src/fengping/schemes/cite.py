"""Cite a scheme's own text: a page about an assessment quotes the frozen scheme it runs
on (篇1 for a bureau's matter, 篇3 for a town's), never a passage of another scheme."""

from __future__ import annotations

import re

from .model import VERBATIM_FIELDS, Scheme, walk_strings

_SENTENCE_END = re.compile(r"(?<=[。；;！？])")
_cache: dict[tuple[str, tuple[str, ...]], str] = {}


def _texts(scheme: Scheme) -> list[str]:
    return [
        text
        for _path, name, text in walk_strings(scheme.model_dump(mode="json"))
        if name in VERBATIM_FIELDS
    ]


def cite(scheme: Scheme | None, *needles: str) -> str:
    """The scheme's own sentence holding the first of `needles` found in it, prefixed with
    the scheme's section ("篇3：…"), or "" when the scheme says nothing of the kind."""
    if scheme is None:
        return ""
    key = (scheme.content_hash, needles)
    if key in _cache:
        return _cache[key]
    found = ""
    texts = _texts(scheme)
    for needle in needles:
        text = next((t for t in texts if needle in t), None)
        if text is None:
            continue
        sentence = next(s for s in _SENTENCE_END.split(text) if needle in s).strip()
        found = f"{scheme.source.section}：{sentence}"
        break
    _cache[key] = found
    return found


def step_text(scheme: Scheme | None, step_code: str) -> str:
    """The scheme's text of one procedure step, prefixed with its section and label."""
    if scheme is None:
        return ""
    step = next((s for s in scheme.procedure.steps if s.code == step_code), None)
    if step is None or not step.text:
        return ""
    return f"{scheme.source.section}「{step.label}」：{step.text}"
