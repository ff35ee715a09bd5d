"""群众关注的主要问题: keywords of the public's free-text opinions (issue 8 loophole 15).

A keyword is a noun-like word (by jieba's part-of-speech tags: nouns, verbal nouns, set
phrases) that is not on the stop-word list, or any word of the domain dictionary (拆迁,
补偿, 安置, 征收 …). Both lists are data shipped with the package
(`opinions/data/stopwords.txt`, `opinions/data/domain_terms.txt`), so an office adjusts
them without touching code. Time words (早上, 半年), adverbs (就近) and vague nouns
(实际) do not pass.

`keywords_of(text)` is pure — a text in, its keywords out, no database — so it can run
when an opinion arrives as well as when a page is drawn.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

KEYWORD_LIMIT = 15
# jieba's tags kept: nouns (n), other proper nouns (nz), organisations (nt), noun phrases
# (nl), noun morphemes (ng), verbal nouns (vn), set phrases (l), place names (ns). Person
# names (nr) are left out: a name is personal data, not a concern.
NOUN_TAGS = frozenset({"n", "nz", "nt", "nl", "ng", "vn", "l", "ns"})
_WORD = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]*$")


def _data_lines(name: str) -> list[str]:
    text = resources.files("fengping.opinions").joinpath("data", name).read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(word for line in _data_lines("stopwords.txt") for word in line.split())


@lru_cache(maxsize=1)
def domain_terms() -> dict[str, tuple[int, str]]:
    """word -> (frequency, tag), in jieba's user-dictionary format."""
    terms: dict[str, tuple[int, str]] = {}
    for line in _data_lines("domain_terms.txt"):
        word, freq, tag = (line.split() + ["3000", "nz"])[:3]
        terms[word] = (int(freq), tag)
    return terms


@lru_cache(maxsize=1)
def _tagger() -> Any:
    """jieba's dictionary (with the domain terms) loads once per process, without its
    banner on stderr."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word, (freq, tag) in domain_terms().items():
        tokenizer.add_word(word, freq, tag)
    return jieba.posseg.POSTokenizer(tokenizer)


def keywords_of(text: str) -> list[str]:
    """The distinct keywords of one text, in the order they first appear."""
    if not text or not text.strip():
        return []
    stop, domain = stopwords(), domain_terms()
    seen: dict[str, None] = {}
    for pair in _tagger().cut(text):
        word = pair.word.strip()
        if word in seen or not _WORD.match(word):
            continue
        if word in domain or (len(word) >= 2 and pair.flag in NOUN_TAGS and word not in stop):
            seen[word] = None
    return list(seen)


@dataclass
class Keyword:
    word: str
    count: int  # number of texts that mention it
    texts: list[int] = field(default_factory=list)  # indices of those texts
    domain: bool = False


def rank(texts: Iterable[str], limit: int = KEYWORD_LIMIT) -> list[Keyword]:
    """The keywords most texts mention, with the texts behind each. Texts are counted,
    not occurrences, so one long letter cannot outweigh many people; among equals the
    domain dictionary's words come first."""
    behind: dict[str, list[int]] = {}
    counter: Counter[str] = Counter()
    for i, text in enumerate(texts):
        words = keywords_of(text)
        counter.update(words)
        for word in words:
            behind.setdefault(word, []).append(i)
    domain = domain_terms()
    ordered = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0] not in domain, kv[0]))
    return [Keyword(w, n, behind[w], w in domain) for w, n in ordered[:limit]]


def top_keywords(texts: Iterable[str], limit: int = KEYWORD_LIMIT) -> list[tuple[str, int]]:
    """(word, number of texts containing it), most mentioned first."""
    return [(k.word, k.count) for k in rank(texts, limit)]
