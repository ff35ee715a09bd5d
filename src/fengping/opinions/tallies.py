"""The counters behind the questionnaire and opinion statistics (issue 9).

`ResponseTally` (responses per questionnaire, group and stance) and `AnswerTally` (answers
per question: answered, per option, per score) are raised by `add` in the transaction that
writes the responses (`actions._save_responses`), so the pages read a few counter rows
instead of counting the answers on every view. `recount` rebuilds one questionnaire's
counters from the rows; the daily `fengping tick` job `repair_tallies` runs it where the
counters may have drifted (a bulk load or a manual fix in the database that bypassed
`add`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from fengping.core.counters import increment

from .models import (
    Answer,
    AnswerChoice,
    AnswerTally,
    Question,
    Questionnaire,
    Response,
    ResponseTally,
    TallyKind,
)

ResponseKey = tuple[int, str, str]  # (questionnaire id, group, stance)
AnswerKey = tuple[int, str, int]  # (question id, TallyKind, value)


def add(
    responses: Iterable[Response], answers: Iterable[Answer], choices: Iterable[AnswerChoice]
) -> None:
    """Count freshly written rows: a constant number of statements per distinct key."""
    by_response: Counter[ResponseKey] = Counter(
        (r.questionnaire_id, r.group, r.stance) for r in responses
    )
    by_answer: Counter[AnswerKey] = Counter()
    for a in answers:
        by_answer[(a.question_id, TallyKind.ANSWERED, 0)] += 1
        if a.scale is not None:
            by_answer[(a.question_id, TallyKind.SCALE, a.scale)] += 1
    for c in choices:
        by_answer[(c.question_id, TallyKind.CHOICE, c.index)] += 1
    increment(ResponseTally, ("questionnaire_id", "group", "stance"), by_response)
    increment(AnswerTally, ("question_id", "kind", "value"), by_answer)


def counted(
    responses: QuerySet[Any], answers: QuerySet[Any], choices: QuerySet[Any]
) -> tuple[dict[ResponseKey, int], dict[AnswerKey, int]]:
    """The counters the rows imply, by GROUP BY over the given querysets (live or, in a
    migration, historical models)."""
    by_response = {
        (row["questionnaire_id"], row["group"], row["stance"]): row["n"]
        for row in responses.order_by()
        .values("questionnaire_id", "group", "stance")
        .annotate(n=Count("id"))
    }
    by_answer: dict[AnswerKey, int] = {}
    for question, n in (
        answers.order_by()
        .values("question_id")
        .annotate(n=Count("id"))
        .values_list("question_id", "n")
    ):
        by_answer[(question, TallyKind.ANSWERED, 0)] = n
    for question, scale, n in (
        answers.filter(scale__isnull=False)
        .order_by()
        .values("question_id", "scale")
        .annotate(n=Count("id"))
        .values_list("question_id", "scale", "n")
    ):
        by_answer[(question, TallyKind.SCALE, scale)] = n
    for question, index, n in (
        choices.order_by()
        .values("question_id", "index")
        .annotate(n=Count("id"))
        .values_list("question_id", "index", "n")
    ):
        by_answer[(question, TallyKind.CHOICE, index)] = n
    return by_response, by_answer


def fill(
    response_tally: Any, answer_tally: Any, response: Any, answer: Any, answer_choice: Any
) -> None:
    """Create every counter from the rows (the data migration; tables start empty)."""
    by_response, by_answer = counted(
        response.objects.all(), answer.objects.all(), answer_choice.objects.all()
    )
    response_tally.objects.bulk_create(
        (
            response_tally(questionnaire_id=q, group=g, stance=s, count=n)
            for (q, g, s), n in by_response.items()
        ),
        batch_size=1000,
    )
    answer_tally.objects.bulk_create(
        (
            answer_tally(question_id=q, kind=k, value=v, count=n)
            for (q, k, v), n in by_answer.items()
        ),
        batch_size=1000,
    )


def _sync(model: Any, scope: Mapping[str, Any], fields: tuple[str, ...], want: Mapping) -> bool:
    """Make `model`'s rows in `scope` hold exactly `want` (key -> count)."""
    have = {
        tuple(row[:-1]): (row[-1], pk)
        for pk, *row in model.objects.filter(**scope).values_list("pk", *fields, "count")
    }
    changed = False
    stale = [pk for key, (_n, pk) in have.items() if key not in want]
    if stale:
        model.objects.filter(pk__in=stale).delete()
        changed = True
    for key, n in want.items():
        if key not in have:
            model.objects.create(**dict(zip(fields, key, strict=True)), count=n)
            changed = True
        elif have[key][0] != n:
            model.objects.filter(pk=have[key][1]).update(count=n)
            changed = True
    return changed


def recount(qn: Questionnaire) -> bool:
    """Rebuild one questionnaire's counters from its rows; True if any was wrong. The
    questionnaire row is locked, as every writer of responses locks it, so no response
    is written between the count and the correction."""
    with transaction.atomic():
        list(Questionnaire.objects.select_for_update().filter(pk=qn.pk).values_list("pk"))
        by_response, by_answer = counted(
            Response.objects.filter(questionnaire=qn),
            Answer.objects.filter(question__questionnaire=qn),
            AnswerChoice.objects.filter(question__questionnaire=qn),
        )
        wrong = _sync(
            ResponseTally,
            {"questionnaire": qn},
            ("questionnaire_id", "group", "stance"),
            by_response,
        )
        wrong |= _sync(
            AnswerTally,
            {"question__questionnaire": qn},
            ("question_id", "kind", "value"),
            by_answer,
        )
    return wrong


RECENT_DAYS = 2


def _differ(rows: Mapping[int, int], tallied: Mapping[int, int]) -> set[int]:
    return {pk for pk in rows.keys() | tallied.keys() if rows.get(pk, 0) != tallied.get(pk, 0)}


def repair(now: dt.datetime | None = None) -> tuple[int, int]:
    """Recount every questionnaire answered in the last `RECENT_DAYS` days and every one
    whose response total, or a question's answer total, differs from its counters (a
    GROUP BY over each table's foreign-key index); return (questionnaires checked,
    questionnaires repaired)."""
    since = (now or timezone.now()) - dt.timedelta(days=RECENT_DAYS)
    responses = dict(
        Response.objects.order_by()
        .values("questionnaire")
        .annotate(n=Count("id"))
        .values_list("questionnaire", "n")
    )
    response_tallies = dict(
        ResponseTally.objects.order_by()
        .values("questionnaire")
        .annotate(n=Sum("count"))
        .values_list("questionnaire", "n")
    )
    answers = dict(
        Answer.objects.order_by()
        .values("question")
        .annotate(n=Count("id"))
        .values_list("question", "n")
    )
    answer_tallies = dict(
        AnswerTally.objects.filter(kind=TallyKind.ANSWERED).values_list("question", "count")
    )
    suspect = _differ(responses, response_tallies)
    suspect |= set(
        Question.objects.filter(pk__in=_differ(answers, answer_tallies)).values_list(
            "questionnaire", flat=True
        )
    )
    suspect |= set(
        Response.objects.filter(submitted_at__gte=since)
        .order_by()
        .values_list("questionnaire", flat=True)
        .distinct()
    )
    repaired = 0
    for qn in Questionnaire.objects.filter(pk__in=suspect).order_by("pk"):
        repaired += recount(qn)
    return len(suspect), repaired
