"""The screening criteria of a case scheme: refused at load when malformed (naming the path
inside the file), and evaluated row by row as the reference of the compiled screening."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml
from pydantic import ValidationError

from fengping.schemes.case_rules import CASE_FIELDS, OPS_BY_TYPE, condition_text, evaluate
from fengping.schemes.model import Scheme

from .helpers import BUILTIN_DIR, mutate

DATA = yaml.safe_load((BUILTIN_DIR / "case-risk.yaml").read_text(encoding="utf-8"))


def load_with(when, index: int = 0) -> Scheme:
    data = copy.deepcopy(DATA)
    data["cases"]["screening"]["criteria"][index]["when"] = when
    return Scheme.model_validate(data)


@pytest.mark.parametrize(
    ("when", "path", "words"),
    [
        ({"field": "nosuch", "op": "is_true"}, "when.field", "未知的案件字段"),
        ({"field": "amount", "op": "is_true"}, "when.op", "不能用运算"),
        ({"field": "amount", "op": "gte"}, "when.value", "需要值"),
        ({"field": "amount", "op": "gte", "value": "many"}, "when.value", "应为数字"),
        ({"field": "amount", "op": "between", "value": [5, 1]}, "when.value", "between"),
        ({"field": "public_attention", "op": "is_true", "value": 1}, "when.value", "不带值"),
        ({"field": "stage", "op": "in", "value": ["nowhere"]}, "when.value[0]", "没有代码"),
        ({"field": "category", "op": "eq", "value": ["civil"]}, "when.value", "单个代码"),
        ({"field": "accepted_on", "op": "older_than_days", "value": -1}, "when.value", "天数"),
        ({"keywords": []}, "when.keywords", "非空的词语列表"),
        ({"keywords": ["讨薪"], "field": "amount"}, "when.field", "文字字段"),
        ({"petitions": {"within_days": 0, "at_least": 2}}, "when.petitions.within_days", "正整数"),
        (
            {"petitions": {"within_days": 30, "at_least": 1, "each": 2}},
            "when.petitions",
            "未知的键",
        ),
        ({"all": []}, "when.all", "非空列表"),
        ({"any": [{"field": "x", "op": "eq", "value": 1}]}, "when.any[0].field", "未知的案件字段"),
        ({"not": {"bogus": 1}}, "when.not", "无法识别的条件"),
        ({"field": "amount", "op": "gt", "value": 1, "extra": 2}, "when", "未知的键"),
        ({}, "when", "非空的映射"),
    ],
)
def test_malformed_criterion_refused_naming_its_path(when, path, words):
    def change(data):
        data["cases"]["screening"]["criteria"][2]["when"] = when

    text = str(mutate("case-risk", change))
    assert f"cases.screening.criteria[2].{path}" in text
    assert words in text


def test_unknown_category_and_flag_level_refused():
    def change(data):
        data["cases"]["screening"]["criteria"][0]["category"] = "nope"
        data["cases"]["screening"]["flag_at"] = "purple"

    text = str(mutate("case-risk", change))
    assert "cases.screening.criteria[0].category" in text
    assert "cases.screening.flag_at" in text


def test_organ_kind_needs_adjudication_and_closing_stage():
    data = copy.deepcopy(DATA)
    data["cases"]["organ_kinds"][0]["stages"] = [
        {"code": "accepted", "label": "受理"},
        {"code": "trial", "label": "审理"},
    ]
    with pytest.raises(ValidationError) as exc:
        Scheme.model_validate(data)
    assert "cases.organ_kinds[0].stages" in str(exc.value)
    assert "gate: adjudicate" in str(exc.value)


def test_case_scheme_needs_the_cases_block():
    assert "case 类方案缺少字段 cases" in str(mutate("case-risk", lambda d: d.pop("cases")))


def test_every_op_of_every_field_type_is_accepted_and_described():
    scheme = load_with({"field": "amount", "op": "gt", "value": 1})
    section = scheme.cases
    samples = {
        "int": 3,
        "number": 2.5,
        "choice": "civil",
        "set": ["elderly"],
        "date": 30,
    }
    for field, (ftype, label) in CASE_FIELDS.items():
        for op in OPS_BY_TYPE[ftype]:
            when = {"field": field, "op": op}
            if op not in ("is_true", "is_false", "empty", "not_empty", "blank", "not_blank"):
                value = samples[ftype]
                if field == "stage":
                    value = "accepted"
                if field in ("coercive_measures",):
                    value = ["seizure"]
                if op in ("in", "not_in") or (ftype == "set"):
                    value = value if isinstance(value, list) else [value]
                if op == "between":
                    value = [1, 5]
                when["value"] = value
            load_with(when)  # accepted
            assert label in condition_text(when, section)


AS_OF = dt.date(2026, 12, 1)
CASE = {
    "category": "civil",
    "stage": "trial",
    "amount": 1_500_000,
    "party_count": 3,
    "involved_count": 12,
    "vulnerable_groups": ["elderly", "migrant_worker"],
    "coercive_measures": [],
    "public_attention": True,
    "socially_sensitive": False,
    "officer_misconduct": False,
    "major_complex": False,
    "accepted_on": dt.date(2025, 11, 1),
    "stage_since": dt.date(2026, 11, 20),
    "title": "张某等 12 人追索劳动报酬纠纷",
    "brief_facts": "某公司拖欠工资，工人多次到现场聚集。",
}


def no_petitions(days, persons):
    return 0


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ({"field": "amount", "op": "gte", "value": 1_000_000}, True),
        ({"field": "amount", "op": "between", "value": [0, 1_000_000]}, False),
        ({"field": "involved_count", "op": "lt", "value": 12}, False),
        ({"field": "category", "op": "in", "value": ["civil", "criminal"]}, True),
        ({"field": "stage", "op": "ne", "value": "trial"}, False),
        ({"field": "vulnerable_groups", "op": "all_of", "value": ["elderly", "minor"]}, False),
        ({"field": "vulnerable_groups", "op": "none_of", "value": ["minor"]}, True),
        ({"field": "coercive_measures", "op": "empty"}, True),
        ({"field": "public_attention", "op": "is_true"}, True),
        ({"field": "socially_sensitive", "op": "is_true"}, False),
        ({"field": "accepted_on", "op": "older_than_days", "value": 365}, True),
        ({"field": "accepted_on", "op": "older_than_days", "value": 400}, False),
        ({"field": "stage_since", "op": "within_days", "value": 15}, True),
        ({"field": "stage_since", "op": "within_days", "value": 10}, False),
        ({"keywords": ["讨薪", "拖欠工资"]}, True),
        ({"keywords": ["追索"], "field": "title"}, True),
        ({"keywords": ["自焚"]}, False),
        ({"field": "brief_facts", "op": "blank"}, False),
        ({"all": [{"field": "public_attention", "op": "is_true"}, {"keywords": ["聚集"]}]}, True),
        ({"any": [{"field": "major_complex", "op": "is_true"}, {"keywords": ["自焚"]}]}, False),
        ({"not": {"field": "major_complex", "op": "is_true"}}, True),
    ],
)
def test_evaluate(when, expected):
    load_with(when)  # every example is a valid condition
    assert evaluate(when, CASE, AS_OF, no_petitions) is expected


def test_evaluate_petitions_asks_the_period_and_size():
    asked = []

    def counter(days, persons):
        asked.append((days, persons))
        return 2

    when = {"petitions": {"within_days": 180, "at_least": 2, "min_persons": 5}}
    assert evaluate(when, CASE, AS_OF, counter) is True
    assert asked == [(180, 5)]
    assert (
        evaluate({"petitions": {"within_days": 30, "at_least": 3}}, CASE, AS_OF, counter) is False
    )
