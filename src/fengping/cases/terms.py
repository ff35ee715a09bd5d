"""The screening keywords kept on each case at arrival (`Case.terms_mask`).

Every write of a case's brief facts (the create and update actions, the import) stamps the
words of the organ's scheme vocabulary that the facts contain; the monthly screening then
tests those short codes instead of searching a million texts for every word, and searches
the text itself for any case whose terms were kept under another vocabulary (the scheme's
keywords changed, or a row written by other means). A daily `fengping tick` job re-stamps
such cases in chunks, so the screening is fast again after a scheme change."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db import transaction

from fengping.core.tick import daily, register
from fengping.schemes.case_rules import MAX_TERMS, keyword_vocabulary, vocabulary_key

from .models import Case, OrganProfile

CHUNK = 2_000


@lru_cache(maxsize=32)
def _vocabulary(scheme_key: str, content_hash: str) -> tuple[str, ...]:
    from fengping.schemebook import registry

    scheme = registry.get(scheme_key)
    if scheme.cases is None:
        return ()
    return keyword_vocabulary(c.model_dump() for c in scheme.cases.screening.criteria)


def vocabulary_for(profile: OrganProfile) -> tuple[str, ...]:
    scheme = profile.scheme()
    return _vocabulary(scheme.key, scheme.content_hash)


def stale_cases(profile: OrganProfile) -> Any:
    vocabulary = vocabulary_for(profile)
    key = vocabulary_key(vocabulary) if len(vocabulary) <= MAX_TERMS else ""
    return Case.objects.filter(organ_id=profile.department_id).exclude(terms_key=key)


def restamp(profile: OrganProfile, limit: int | None = None) -> int:
    """Stamp the terms of the organ's cases kept under another vocabulary; returns how many."""
    vocabulary = vocabulary_for(profile)
    ids = list(stale_cases(profile).order_by("pk").values_list("pk", flat=True)[:limit])
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            rows = list(
                Case.objects.filter(pk__in=ids[start : start + CHUNK]).only("pk", "brief_facts")
            )
            for case in rows:
                case.stamp_terms(vocabulary)
            Case.objects.bulk_update(rows, ["terms_mask", "terms_key"])
    return len(ids)


@register("cases_restamp_terms", "案件简要案情关键词更新", daily)
def restamp_all() -> str:
    done = sum(
        restamp(profile, limit=200_000)
        for profile in OrganProfile.objects.select_related("department")
    )
    return f"{done} 件案件的关键词已按现行排查规则更新"
