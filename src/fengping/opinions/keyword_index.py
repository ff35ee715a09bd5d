"""群众关注的主要问题, kept as the texts arrive (issue 9).

A free-text answer or a comment is queued (`queue_answers`, `queue_comment`) in the
transaction that saves it, and a job is enqueued when that transaction commits. The job
worker (`fengping worker`) runs `extract_pending(matter_id)`: it tokenises each queued text
once with `keywords.keywords_of` and adds to the matter's `KeywordTally` (with each word's
first few texts, the evidence a page shows), in batches, each batch in one transaction. Pages and the API read
the tallies (`top`, `evidence`) and say how many texts still wait (`pending`): a view's cost
does not grow with the number of opinions, and the tokeniser (jieba, ~65 MiB) is never
loaded in a web worker.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django_tasks import task

from fengping.core.counters import increment
from fengping.matters.models import Matter

from . import keywords
from .models import Answer, Comment, KeywordTally, PendingText, QuestionKind

log = logging.getLogger(__name__)

BATCH = 500
WORD_MAX = KeywordTally._meta.get_field("word").max_length
EVIDENCE_PER_WORD = 20  # texts shown under each keyword


# ---------------------------------------------------------------- arrival


def queue_answers(matter_id: int, answers: Iterable[Answer]) -> int:
    """Queue the non-empty free-text answers among `answers` (saved rows). Returns how many."""
    rows = [
        PendingText(matter_id=matter_id, answer=a)
        for a in answers
        if a.text.strip() and a.question.kind == QuestionKind.TEXT
    ]
    if rows:
        PendingText.objects.bulk_create(rows, batch_size=1000)
        schedule(matter_id)
    return len(rows)


def queue_comment(comment: Comment) -> None:
    PendingText.objects.create(matter_id=comment.matter_id, comment=comment)
    schedule(comment.matter_id)


def schedule(matter_id: int) -> None:
    """Enqueue the extraction once the current transaction commits."""
    transaction.on_commit(lambda: extract_keywords.enqueue(matter_id))


@task()
def extract_keywords(matter_id: int) -> int:
    """The job: extract the matter's queued texts. Returns how many were done."""
    return extract_pending(matter_id)


# ---------------------------------------------------------------- the work (job worker)


def extract_pending(matter: Matter | int, batch: int = BATCH) -> int:
    """Tokenise every queued text of a matter, `batch` at a time, each batch in one
    transaction. Safe to run twice at once: a batch takes its rows with FOR UPDATE SKIP
    LOCKED (PostgreSQL) or under the write lock (SQLite)."""
    matter_id = matter if isinstance(matter, int) else matter.pk
    done = 0
    while True:
        n = _extract_batch(matter_id, batch)
        if not n:
            return done
        done += n


def extract_pending_all() -> int:
    """Every matter's queued texts (after a bulk load, or to catch up without the worker)."""
    ids = PendingText.objects.order_by().values_list("matter_id", flat=True).distinct()
    return sum(extract_pending(pk) for pk in list(ids))


def _extract_batch(matter_id: int, size: int) -> int:
    with transaction.atomic():
        taken = PendingText.objects.filter(matter_id=matter_id).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            taken = taken.select_for_update(skip_locked=True, of=("self",))
        rows = list(
            taken.values_list("id", "answer_id", "answer__text", "comment_id", "comment__content")[
                :size
            ]
        )
        if not rows:
            return 0
        counts: Counter[str] = Counter()
        first: dict[str, list[list[Any]]] = {}  # each word's first texts, in arrival order
        for _pk, answer_id, answer_text, comment_id, comment_text in rows:
            text = answer_text if answer_id else comment_text
            ref = ["a", answer_id] if answer_id else ["c", comment_id]
            for word in keywords.keywords_of(text or ""):
                if len(word) > WORD_MAX:
                    continue
                counts[word] += 1
                refs = first.setdefault(word, [])
                if len(refs) < EVIDENCE_PER_WORD:
                    refs.append(ref)
        _add_counts(matter_id, counts)
        _add_samples(matter_id, first)
        PendingText.objects.filter(id__in=[r[0] for r in rows]).delete()
    return len(rows)


def _add_counts(matter_id: int, counts: Counter[str]) -> None:
    domain = keywords.domain_terms()
    increment(
        KeywordTally,
        ("matter_id", "word"),
        {(matter_id, word): n for word, n in counts.items()},
        defaults=lambda key: {"domain": key[1] in domain},
    )


def _add_samples(matter_id: int, first: dict[str, list[list[Any]]]) -> None:
    """Keep with each word the first texts that mention it (the evidence a page shows),
    up to EVIDENCE_PER_WORD: the rows are locked, so two batches never drop one."""
    short = (
        KeywordTally.objects.select_for_update()
        .filter(matter_id=matter_id, word__in=list(first))
        .order_by("word")
        .only("id", "word", "sample")
    )
    changed = []
    for tally in short:
        room = EVIDENCE_PER_WORD - len(tally.sample)
        if room > 0:
            tally.sample = [*tally.sample, *first[tally.word][:room]]
            changed.append(tally)
    KeywordTally.objects.bulk_update(changed, ["sample"], batch_size=500)


def rebuild(matter: Matter | int) -> int:
    """Start a matter's keywords over: drop its mentions and counts and queue every text
    again (after the stop-word list or the domain dictionary changed). Returns how many
    texts were queued; the job worker does the rest."""
    matter_id = matter if isinstance(matter, int) else matter.pk
    with transaction.atomic():
        KeywordTally.objects.filter(matter_id=matter_id).delete()
        PendingText.objects.filter(matter_id=matter_id).delete()
        answers = (
            Answer.objects.filter(
                question__questionnaire__matter_id=matter_id, question__kind=QuestionKind.TEXT
            )
            .exclude(text="")
            .values_list("id", flat=True)
        )
        rows = [PendingText(matter_id=matter_id, answer_id=pk) for pk in answers.iterator()]
        rows += [
            PendingText(matter_id=matter_id, comment_id=pk)
            for pk in Comment.objects.filter(matter_id=matter_id).values_list("id", flat=True)
        ]
        PendingText.objects.bulk_create(rows, batch_size=1000)
        if rows:
            schedule(matter_id)
    return len(rows)


# ---------------------------------------------------------------- reading (web workers)


def top(matter: Matter, limit: int = keywords.KEYWORD_LIMIT) -> list[KeywordTally]:
    """The keywords most texts mention; among equals the domain dictionary's first (one
    query on the tally's index)."""
    return list(
        KeywordTally.objects.filter(matter=matter, count__gt=0).order_by(
            "-count", "-domain", "word"
        )[:limit]
    )


def pending(matter: Matter) -> int:
    """Texts of the matter still waiting for the job worker."""
    return PendingText.objects.filter(matter=matter).count()


def evidence(tallies: list[KeywordTally]) -> dict[str, list[tuple[Any, ...]]]:
    """{word: its first texts as (answer id, answer text, questionnaire title, comment
    channel, comment content)}, from the samples kept with the counts: two queries by
    primary key, whatever the number of words or opinions."""
    answer_ids = {pk for t in tallies for kind, pk in t.sample if kind == "a"}
    comment_ids = {pk for t in tallies for kind, pk in t.sample if kind == "c"}
    # An empty id list runs no query (Django answers `pk__in=[]` itself).
    answers = {
        pk: (text, title)
        for pk, text, title in Answer.objects.filter(pk__in=answer_ids).values_list(
            "pk", "text", "question__questionnaire__title"
        )
    }
    comments = {
        pk: (channel, content)
        for pk, channel, content in Comment.objects.filter(pk__in=comment_ids).values_list(
            "pk", "channel", "content"
        )
    }
    out: dict[str, list[tuple[Any, ...]]] = {}
    for t in tallies:
        rows = out.setdefault(t.word, [])
        for kind, pk in t.sample:
            if kind == "a" and pk in answers:
                rows.append((pk, *answers[pk], None, None))
            elif kind == "c" and pk in comments:
                rows.append((None, None, None, *comments[pk]))
    return out
