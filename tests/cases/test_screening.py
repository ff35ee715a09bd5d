"""The monthly screening (篇4 四1): criteria compiled to one set-based query agree with the
row-by-row reference on random cases and random criteria (every op, keywords, petitions,
all/any/not); levels, hard triggers and flags by the scheme; changes since last month;
re-running a month; the 逐案分析研判 decisions; who may run and decide; the tick job; the
CLI; the pages and the API."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from fengping.cases import screening as sc
from fengping.cases.models import (
    Case,
    OrganProfile,
    Petition,
    ScreeningResult,
)
from fengping.schemebook import registry
from fengping.schemes.case_rules import (
    CASE_FIELDS,
    OPS_BY_TYPE,
    Criterion,
    check_condition,
    field_choices,
)

from .builders import build_courts, make_case

THIS_MONTH = timezone.localdate().replace(day=1)
LAST_MONTH = (THIS_MONTH - dt.timedelta(days=1)).replace(day=1)


@pytest.fixture
def courts(org):
    return build_courts(org)


def scheme_with(criteria: list[dict[str, Any]]):
    """The builtin case scheme with other criteria."""
    base = registry.get("case-risk")
    section = base.cases
    screening = section.screening.model_copy(
        update={"criteria": [Criterion(**c) for c in criteria]}
    )
    return base.model_copy(update={"cases": section.model_copy(update={"screening": screening})})


# ---------------------------------------------------------------------------------------
# Compiled == reference, on random data
# ---------------------------------------------------------------------------------------

WORDS = ["讨薪", "拆迁", "自杀", "媒体", "群体", "APP", "app", "征地", "欠薪", " ", "\u3000"]
FILLER = ["原告", "被告", "合同纠纷", "借款", "工程款", "。", "，", "\n", "\t", "x"]


def random_condition(rng: random.Random, choices: dict[str, list[str]], depth: int = 0) -> dict:
    kind = rng.random()
    if depth < 2 and kind < 0.18:
        name = rng.choice(["all", "any"])
        return {name: [random_condition(rng, choices, depth + 1) for _ in range(rng.randint(1, 3))]}
    if depth < 2 and kind < 0.25:
        return {"not": random_condition(rng, choices, depth + 1)}
    if kind < 0.35:
        cond: dict[str, Any] = {"keywords": rng.sample(WORDS[:9], rng.randint(1, 3))}
        if rng.random() < 0.3:
            cond["field"] = rng.choice(["title", "brief_facts"])
        return cond
    if kind < 0.45:
        spec = {"within_days": rng.choice([1, 30, 180, 365]), "at_least": rng.randint(1, 3)}
        if rng.random() < 0.5:
            spec["min_persons"] = rng.randint(1, 6)
        return {"petitions": spec}
    field = rng.choice(list(CASE_FIELDS))
    ftype = CASE_FIELDS[field][0]
    op = rng.choice(OPS_BY_TYPE[ftype])
    cond = {"field": field, "op": op}
    if op in ("is_true", "is_false", "empty", "not_empty", "blank", "not_blank"):
        return cond
    if ftype in ("int", "number"):
        pick = (
            (lambda: rng.choice([0, 1, 5, 10, 9.5, 100000, 1000000, 999999.99]))
            if ftype == "number"
            else (lambda: rng.choice([0, 1, 2, 5, 9.5, 10, 11]))
        )
        if op == "between":
            a, b = sorted([pick(), pick()])
            cond["value"] = [a, b]
        else:
            cond["value"] = pick()
    elif ftype == "date":
        cond["value"] = rng.choice([0, 1, 30, 365, 400])
    elif ftype in ("choice", "set"):
        codes = choices[field]
        if op in ("eq", "ne"):
            cond["value"] = rng.choice(codes)
        else:
            cond["value"] = rng.sample(codes, rng.randint(1, min(3, len(codes))))
    return cond


def random_case(rng: random.Random, organ, n: int, choices, today: dt.date) -> Case:
    def maybe_date():
        return None if rng.random() < 0.15 else today - dt.timedelta(days=rng.randint(-3, 800))

    def text():
        return "".join(rng.choice(WORDS + FILLER * 2) for _ in range(rng.randint(0, 6)))

    case = make_case(
        organ,
        f"（2026）随{n}号",
        title=text() or " ",
        category=rng.choice(choices["category"]),
        stage=rng.choice(choices["stage"]),
        amount=None
        if rng.random() < 0.2
        else rng.choice([Decimal("0"), Decimal("9.50"), Decimal("999999.99"), Decimal("1000000")]),
        party_count=rng.randint(0, 12),
        involved_count=rng.choice([0, 9, 10, 11]),
        vulnerable_groups=rng.sample(choices["vulnerable_groups"], rng.randint(0, 2)),
        coercive_measures=rng.sample(choices["coercive_measures"], rng.randint(0, 2)),
        public_attention=rng.random() < 0.3,
        socially_sensitive=rng.random() < 0.3,
        officer_misconduct=rng.random() < 0.1,
        major_complex=rng.random() < 0.2,
        accepted_on=maybe_date(),
        stage_since=maybe_date(),
        brief_facts=text(),
    )
    for _ in range(rng.choice([0, 0, 1, 2, 3, 4])):
        Petition.objects.create(
            case=case,
            date=today - dt.timedelta(days=rng.randint(-5, 400)),
            persons=rng.randint(1, 8),
        )
    return case


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compiled_screening_equals_the_row_by_row_reference(courts, seed):
    rng = random.Random(seed)
    section = registry.get("case-risk").cases
    choices = field_choices(section)
    today = timezone.localdate()
    for n in range(120):
        random_case(rng, courts.fy, n, choices, today)
    make_case(courts.jcy, "（2026）检1号", officer_misconduct=True)  # another organ: not screened
    criteria = []
    for i in range(60):
        when = random_condition(rng, choices)
        assert check_condition(when, "when", choices) == []
        criteria.append(
            {
                "code": f"c{i}",
                "label": f"规则{i}",
                "weight": rng.choice([0, 0.5, 1, 2, 3]),
                "hard_trigger": rng.random() < 0.1,
                "when": when,
            }
        )
    # every op of every field type occurs at least once
    for field, (ftype, _l) in CASE_FIELDS.items():
        for op in OPS_BY_TYPE[ftype]:
            when = random_condition(random.Random(f"{field}{op}"), choices)
            cond = {"field": field, "op": op}
            if op not in ("is_true", "is_false", "empty", "not_empty", "blank", "not_blank"):
                while "field" not in when or when.get("op") != op or when["field"] != field:
                    when = random_condition(rng, choices)
                cond = when
            criteria.append({"code": f"op_{field}_{op}", "label": op, "weight": 1, "when": cond})
    profile = OrganProfile.objects.get(department=courts.fy)
    for start in range(0, len(criteria), 63):
        chunk = criteria[start : start + 63]
        scheme = scheme_with(chunk)
        run = sc.screen(profile, THIS_MONTH, scheme=scheme)
        grading = sc.grading_of(scheme)
        expected = sc.screen_naive(
            run.criteria, grading, run.as_of, Case.objects.filter(organ=courts.fy)
        )
        stored = {
            r.case_id: (r.score, r.fired, r.severity)
            for r in ScreeningResult.objects.filter(run=run)
        }
        assert set(stored) == set(expected)
        for case_id, (score, fired, severity) in expected.items():
            got = stored[case_id]
            assert got[1] == fired, (
                case_id,
                [c["when"] for i, c in enumerate(chunk) if (got[1] ^ fired) >> i & 1],
            )
            assert got[0] == pytest.approx(score) and got[2] == severity
        assert run.screened == 120
        assert run.flagged == sum(1 for v in expected.values() if v[2] >= grading.flag_at)
