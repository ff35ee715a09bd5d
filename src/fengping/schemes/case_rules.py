"""The `cases` block of a case-risk scheme (篇4): case categories, the stages of each kind of
political-legal organ, and the monthly screening criteria.

A screening criterion is a condition on the fields of a case, with a weight, the 评估范围
category (篇4 三) it stands for and whether it is a hard trigger. Conditions are plain data
(dicts) checked here field by field, so a criterion that names an unknown field or is
malformed is refused when the scheme is loaded, with its path in the file:

* ``{field: F, op: OP, value: V}`` — a comparison on one field of the case;
* ``{keywords: [..], field: brief_facts}`` — any of the words occurs in a text field;
* ``{petitions: {within_days: N, at_least: K, min_persons: P}}`` — at least K petitions
  (信访) dated within N days before the screening day (of at least P people each, if set);
* ``{all: [..]}``, ``{any: [..]}``, ``{not: {..}}`` — combinations.

The cases app evaluates the same data twice: compiled to one set-based SQL query for the
monthly run, and row by row (``evaluate``) to explain a single case and as the reference
the compiled form is tested against. Nothing here imports Django.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # pragma: no cover
    from .model import Scheme


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


CodeStr = str  # checked by the pattern of model.Code where it matters


class Option(_M):
    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", max_length=64)
    label: str = Field(min_length=1)
    note: str | None = None


class Stage(_M):
    """A stage of a case at one kind of organ. ``gate`` marks the stages 篇4 二 guards:
    ``adjudicate`` (裁决/决定) and ``close`` (结案)."""

    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", max_length=64)
    label: str = Field(min_length=1)
    gate: Literal["adjudicate", "close"] | None = None
    note: str | None = None


class OrganKind(_M):
    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", max_length=64)
    label: str = Field(min_length=1)
    stages: list[Stage] = Field(min_length=2)
    note: str | None = None

    def stage_codes(self) -> list[str]:
        return [s.code for s in self.stages]

    def stage(self, code: str) -> Stage | None:
        return next((s for s in self.stages if s.code == code), None)


class Criterion(_M):
    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", max_length=64)
    label: str = Field(min_length=1)
    weight: float = Field(ge=0)
    category: str | None = None  # 评估范围 category of the taxonomy it stands for
    hard_trigger: bool = False
    when: dict[str, Any]
    description: str | None = None
    tag: Literal["S", "R", "D"] | None = None


class Screening(_M):
    flag_at: str  # a grade code: cases screened at this grade or above are flagged
    day: int = Field(
        default=1, ge=1, le=28
    )  # `fengping tick` runs the month's screening from this day
    criteria: list[Criterion] = Field(min_length=1, max_length=63)
    tag: Literal["S", "R", "D"] | None = None
    note: str | None = None


class LevelChange(_M):
    """Who approves a change of an assessed level (a reason is always required)."""

    approver_roles: list[str] = Field(min_length=1)
    note: str | None = None


class CaseSection(_M):
    categories: list[Option] = Field(min_length=1)
    organ_kinds: list[OrganKind] = Field(min_length=1)
    coercive_measures: list[Option] = []
    vulnerable_groups: list[Option] = []
    screening: Screening
    level_change: LevelChange
    resolution_approver_roles: list[str] = Field(min_length=1)
    confirmation_roles: list[str] = Field(min_length=1)  # 篇4 二3 second confirmation
    accountability_kinds: list[Option] = Field(min_length=1)  # 篇4 四4 责任查究
    tag: Literal["S", "R", "D"] | None = None
    note: str | None = None

    def organ_kind(self, code: str) -> OrganKind | None:
        return next((k for k in self.organ_kinds if k.code == code), None)

    def all_stage_codes(self) -> list[str]:
        seen: list[str] = []
        for kind in self.organ_kinds:
            for s in kind.stages:
                if s.code not in seen:
                    seen.append(s.code)
        return seen


# ---------------------------------------------------------------------------------------
# The fields a condition may name
# ---------------------------------------------------------------------------------------

FieldType = Literal["bool", "int", "number", "choice", "set", "date", "text"]

# field -> (type, Chinese label). "choice" / "set" values are checked against the scheme.
CASE_FIELDS: dict[str, tuple[FieldType, str]] = {
    "category": ("choice", "案件类别"),
    "stage": ("choice", "办理阶段"),
    "amount": ("number", "涉案金额"),
    "party_count": ("int", "当事人人数"),
    "involved_count": ("int", "涉案人数"),
    "vulnerable_groups": ("set", "弱势群体"),
    "coercive_measures": ("set", "查封、扣押、冻结措施"),
    "public_attention": ("bool", "群众关注"),
    "socially_sensitive": ("bool", "社会敏感"),
    "officer_misconduct": ("bool", "政法干警违法违纪"),
    "major_complex": ("bool", "重大、疑难、复杂"),
    "accepted_on": ("date", "受理日期"),
    "stage_since": ("date", "进入本阶段日期"),
    "title": ("text", "案件名称"),
    "brief_facts": ("text", "简要案情"),
}

OPS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "bool": ("is_true", "is_false"),
    "int": ("eq", "ne", "gt", "gte", "lt", "lte", "between"),
    "number": ("eq", "ne", "gt", "gte", "lt", "lte", "between"),
    "choice": ("eq", "ne", "in", "not_in"),
    "set": ("any_of", "all_of", "none_of", "empty", "not_empty"),
    "date": ("older_than_days", "within_days"),
    "text": ("blank", "not_blank"),
}
NO_VALUE_OPS = frozenset({"is_true", "is_false", "empty", "not_empty", "blank", "not_blank"})
TEXT_FIELDS = tuple(f for f, (t, _l) in CASE_FIELDS.items() if t == "text")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


class ConditionProblem(Exception):
    def __init__(self, path: str, zh: str, en: str) -> None:
        super().__init__(f"{path}: {zh}")
        self.path, self.zh, self.en = path, zh, en


def check_condition(
    cond: Any, path: str, choices: Mapping[str, Iterable[str]], depth: int = 0
) -> list[ConditionProblem]:
    """Every problem of one condition (recursively); ``choices`` maps a choice/set field to
    its allowed codes."""
    out: list[ConditionProblem] = []

    def bad(p: str, zh: str, en: str) -> list[ConditionProblem]:
        out.append(ConditionProblem(p, zh, en))
        return out

    if depth > 6:
        return bad(path, "条件嵌套过深（最多 6 层）", "conditions nest too deep (6 levels at most)")
    if not isinstance(cond, dict) or not cond:
        return bad(path, "条件应为非空的映射", "a condition must be a non-empty mapping")
    keys = set(cond)
    if "all" in keys or "any" in keys:
        name = "all" if "all" in keys else "any"
        if keys != {name}:
            return bad(
                path, f"“{name}”条件不能再有其他键", f"an {name!r} condition takes no other key"
            )
        items = cond[name]
        if not isinstance(items, list) or not items:
            return bad(f"{path}.{name}", "应为非空列表", "must be a non-empty list")
        for i, sub in enumerate(items):
            out.extend(check_condition(sub, f"{path}.{name}[{i}]", choices, depth + 1))
        return out
    if "not" in keys:
        if keys != {"not"}:
            return bad(path, "“not”条件不能再有其他键", "a 'not' condition takes no other key")
        out.extend(check_condition(cond["not"], f"{path}.not", choices, depth + 1))
        return out
    if "keywords" in keys:
        extra = keys - {"keywords", "field"}
        if extra:
            return bad(
                path,
                f"关键词条件有未知的键：{'、'.join(sorted(extra))}",
                f"unknown keys {sorted(extra)}",
            )
        words = cond["keywords"]
        if (
            not isinstance(words, list)
            or not words
            or not all(isinstance(w, str) and w.strip() for w in words)
        ):
            return bad(
                f"{path}.keywords", "应为非空的词语列表", "must be a non-empty list of words"
            )
        fld = cond.get("field", "brief_facts")
        if fld not in TEXT_FIELDS:
            return bad(
                f"{path}.field",
                f"关键词只能查找文字字段：{'、'.join(TEXT_FIELDS)}，而不是 {fld!r}",
                f"keywords search a text field ({', '.join(TEXT_FIELDS)}), not {fld!r}",
            )
        return out
    if "petitions" in keys:
        if keys != {"petitions"}:
            return bad(
                path, "“petitions”条件不能再有其他键", "a 'petitions' condition takes no other key"
            )
        spec = cond["petitions"]
        p = f"{path}.petitions"
        if not isinstance(spec, dict):
            return bad(p, "应为映射：within_days、at_least、min_persons", "must be a mapping")
        extra = set(spec) - {"within_days", "at_least", "min_persons"}
        if extra:
            return bad(p, f"未知的键：{'、'.join(sorted(extra))}", f"unknown keys {sorted(extra)}")
        for key, required in (("within_days", True), ("at_least", True), ("min_persons", False)):
            v = spec.get(key)
            if v is None and not required:
                continue
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                bad(f"{p}.{key}", "应为正整数", "must be a positive integer")
        return out
    if "field" in keys:
        extra = keys - {"field", "op", "value"}
        if extra:
            return bad(
                path, f"未知的键：{'、'.join(sorted(extra))}", f"unknown keys {sorted(extra)}"
            )
        fld = cond["field"]
        if fld not in CASE_FIELDS:
            return bad(
                f"{path}.field",
                f"未知的案件字段 {fld!r}，应为：{'、'.join(CASE_FIELDS)}",
                f"unknown case field {fld!r}; expected one of: {', '.join(CASE_FIELDS)}",
            )
        ftype, _label = CASE_FIELDS[fld]
        op = cond.get("op")
        if op not in OPS_BY_TYPE[ftype]:
            return bad(
                f"{path}.op",
                f"字段 {fld} 不能用运算 {op!r}，应为：{'、'.join(OPS_BY_TYPE[ftype])}",
                f"field {fld} takes op one of {', '.join(OPS_BY_TYPE[ftype])}, not {op!r}",
            )
        value = cond.get("value")
        vp = f"{path}.value"
        if op in NO_VALUE_OPS:
            if "value" in cond:
                bad(vp, f"运算 {op} 不带值", f"op {op} takes no value")
            return out
        if "value" not in cond:
            return bad(vp, f"运算 {op} 需要值", f"op {op} needs a value")
        if ftype in ("int", "number"):
            if op == "between":
                if not (
                    isinstance(value, list)
                    and len(value) == 2
                    and all(_is_number(v) for v in value)
                    and value[0] <= value[1]
                ):
                    bad(vp, "between 的值应为 [下限, 上限] 两个数", "between needs [low, high]")
            elif not _is_number(value):
                bad(vp, "应为数字", "must be a number")
        elif ftype == "date":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                bad(vp, "应为天数（非负整数）", "must be a number of days")
        elif ftype in ("choice", "set"):
            allowed = list(choices.get(fld, ()))
            values = value if isinstance(value, list) else [value]
            if op in ("in", "not_in", "any_of", "all_of", "none_of") and not isinstance(
                value, list
            ):
                bad(vp, "应为列表", "must be a list")
            elif op in ("eq", "ne") and isinstance(value, list):
                bad(vp, "应为单个代码", "must be a single code")
            for i, v in enumerate(values):
                if v not in allowed:
                    bad(
                        f"{vp}[{i}]" if isinstance(value, list) else vp,
                        f"字段 {fld} 没有代码 {v!r}，应为：{'、'.join(allowed)}",
                        f"field {fld} has no code {v!r}; expected one of: {', '.join(allowed)}",
                    )
        return out
    return bad(
        path,
        "无法识别的条件：应有 field、keywords、petitions、all、any 或 not",
        "unrecognised condition: expected field, keywords, petitions, all, any or not",
    )


def field_choices(section: CaseSection) -> dict[str, list[str]]:
    return {
        "category": [c.code for c in section.categories],
        "stage": section.all_stage_codes(),
        "coercive_measures": [m.code for m in section.coercive_measures],
        "vulnerable_groups": [g.code for g in section.vulnerable_groups],
    }


def section_problems(scheme: Scheme) -> list[ConditionProblem]:
    """Cross-field problems of ``scheme.cases`` (paths from the top of the file)."""
    section = scheme.cases
    if section is None:
        return []
    out: list[ConditionProblem] = []
    grade_codes = [g.code for g in scheme.grades]
    category_codes = [c.code for c in scheme.categories()]
    choices = field_choices(section)

    def unique(path: str, codes: list[str]) -> None:
        seen: set[str] = set()
        for i, code in enumerate(codes):
            if code in seen:
                out.append(
                    ConditionProblem(
                        f"{path}[{i}].code", f"代码重复：{code}", f"duplicate code {code}"
                    )
                )
            seen.add(code)

    unique("cases.categories", [c.code for c in section.categories])
    unique("cases.organ_kinds", [k.code for k in section.organ_kinds])
    unique("cases.coercive_measures", [m.code for m in section.coercive_measures])
    unique("cases.vulnerable_groups", [m.code for m in section.vulnerable_groups])
    unique("cases.accountability_kinds", [m.code for m in section.accountability_kinds])
    unique("cases.screening.criteria", [r.code for r in section.screening.criteria])
    for i, kind in enumerate(section.organ_kinds):
        unique(f"cases.organ_kinds[{i}].stages", kind.stage_codes())
        gates = [s.gate for s in kind.stages]
        if "adjudicate" not in gates:
            out.append(
                ConditionProblem(
                    f"cases.organ_kinds[{i}].stages",
                    "须有一个裁决/决定阶段（gate: adjudicate）",
                    "needs a stage with gate: adjudicate",
                )
            )
        if kind.stages[-1].gate != "close":
            out.append(
                ConditionProblem(
                    f"cases.organ_kinds[{i}].stages[{len(kind.stages) - 1}]",
                    "最后一个阶段应为结案（gate: close）",
                    "the last stage must be the closing one (gate: close)",
                )
            )
    if section.screening.flag_at not in grade_codes:
        out.append(
            ConditionProblem(
                "cases.screening.flag_at",
                f"未知的等级 {section.screening.flag_at!r}，应为：{'、'.join(grade_codes)}",
                f"unknown grade {section.screening.flag_at!r}",
            )
        )
    for i, rule in enumerate(section.screening.criteria):
        path = f"cases.screening.criteria[{i}]"
        if rule.category is not None and rule.category not in category_codes:
            out.append(
                ConditionProblem(
                    f"{path}.category",
                    f"未知的评估范围类别 {rule.category!r}，应为：{'、'.join(category_codes)}",
                    f"unknown category {rule.category!r}",
                )
            )
        out.extend(check_condition(rule.when, f"{path}.when", choices))
    roles = {"handler", "assessor", "leader", "head", "supervisor", "admin"}
    for name in ("resolution_approver_roles", "confirmation_roles"):
        for j, role in enumerate(getattr(section, name)):
            if role not in roles:
                out.append(
                    ConditionProblem(
                        f"cases.{name}[{j}]", f"未知的角色 {role!r}", f"unknown role {role!r}"
                    )
                )
    for j, role in enumerate(section.level_change.approver_roles):
        if role not in roles:
            out.append(
                ConditionProblem(
                    f"cases.level_change.approver_roles[{j}]",
                    f"未知的角色 {role!r}",
                    f"unknown role {role!r}",
                )
            )
    return out


def criteria_version(scheme: Scheme) -> str:
    """The version of the screening rule set: a hash of the criteria, the flag level, the
    bands and the grades they map to. Stored on every screening run."""
    assert scheme.cases is not None
    data = {
        "criteria": [r.model_dump(mode="json") for r in scheme.cases.screening.criteria],
        "flag_at": scheme.cases.screening.flag_at,
        "method": scheme.method.model_dump(mode="json"),
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


# ---------------------------------------------------------------------------------------
# Keywords kept at arrival
# ---------------------------------------------------------------------------------------


def keyword_vocabulary(criteria: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """Every keyword the criteria look for in the brief facts (sorted, unique). A case keeps
    the ones its facts contain when it is written (`terms_mask`), so the monthly screening
    tests a few short codes instead of searching every case's text for every word."""
    words: set[str] = set()

    def walk(cond: Mapping[str, Any]) -> None:
        for key in ("all", "any"):
            for sub in cond.get(key, ()):
                walk(sub)
        if "not" in cond:
            walk(cond["not"])
        if "keywords" in cond and cond.get("field", "brief_facts") == "brief_facts":
            words.update(cond["keywords"])

    for criterion in criteria:
        walk(criterion["when"])
    return tuple(sorted(words))


def vocabulary_key(vocabulary: Iterable[str]) -> str:
    """Names a vocabulary: terms kept under another key are not trusted (the screening
    then searches the text itself)."""
    text = "\n".join(vocabulary)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


# A case keeps its keywords as a bitmask (bit i: vocabulary[i] occurs): one AND per criterion
# in SQL. A larger vocabulary is not kept (the screening searches the text).
MAX_TERMS = 62


def terms_mask(text: str, vocabulary: Sequence[str]) -> int:
    """Bit i set when ``vocabulary[i]`` occurs in ``text``."""
    text = text or ""
    return sum(1 << i for i, word in enumerate(vocabulary) if word in text)


def terms_words(mask: int, vocabulary: Sequence[str]) -> list[str]:
    return [word for i, word in enumerate(vocabulary) if mask >> i & 1]


# ---------------------------------------------------------------------------------------
# Row-by-row evaluation (the reference; explains one case)
# ---------------------------------------------------------------------------------------

PetitionCounter = Callable[[int, int | None], int]  # (within_days, min_persons) -> count


def evaluate(
    cond: Mapping[str, Any],
    case: Mapping[str, Any],
    as_of: dt.date,
    petitions: PetitionCounter,
) -> bool:
    """Whether ``cond`` holds for ``case`` (a mapping of CASE_FIELDS values; set fields as
    lists of codes, dates as ``date``) on the screening day ``as_of``."""
    if "all" in cond:
        return all(evaluate(c, case, as_of, petitions) for c in cond["all"])
    if "any" in cond:
        return any(evaluate(c, case, as_of, petitions) for c in cond["any"])
    if "not" in cond:
        return not evaluate(cond["not"], case, as_of, petitions)
    if "keywords" in cond:
        text = case.get(cond.get("field", "brief_facts")) or ""
        return any(word in text for word in cond["keywords"])
    if "petitions" in cond:
        spec = cond["petitions"]
        return bool(petitions(spec["within_days"], spec.get("min_persons")) >= spec["at_least"])
    field, op = cond["field"], str(cond["op"])
    value: Any = cond.get("value")
    v = case.get(field)
    ftype = CASE_FIELDS[field][0]
    if ftype == "bool":
        return bool(v) == (op == "is_true")
    if ftype in ("int", "number"):
        if v is None:
            return op == "ne"
        x = Decimal(str(v))
        if op == "between":
            return bool(Decimal(str(value[0])) <= x <= Decimal(str(value[1])))
        y = Decimal(str(value))
        return {
            "eq": x == y,
            "ne": x != y,
            "gt": x > y,
            "gte": x >= y,
            "lt": x < y,
            "lte": x <= y,
        }[op]
    if ftype == "choice":
        return bool(
            {
                "eq": v == value,
                "ne": v != value,
                "in": v in value,
                "not_in": v not in value,
            }[op]
        )
    if ftype == "set":
        have = set(v or ())
        return {
            "any_of": lambda: bool(have & set(value)),
            "all_of": lambda: set(value) <= have,
            "none_of": lambda: not (have & set(value)),
            "empty": lambda: not have,
            "not_empty": lambda: bool(have),
        }[op]()
    if ftype == "date":
        if v is None:
            return False
        days = (as_of - v).days
        return bool(days > value if op == "older_than_days" else 0 <= days <= value)
    # text
    return (not (v or "").strip()) if op == "blank" else bool((v or "").strip())


# ---------------------------------------------------------------------------------------
# Conditions in words (the scheme page, the screening run page)
# ---------------------------------------------------------------------------------------

_OP_WORDS = {
    "eq": "等于",
    "ne": "不等于",
    "gt": "大于",
    "gte": "不少于",
    "lt": "小于",
    "lte": "不超过",
    "in": "为",
    "not_in": "不为",
    "any_of": "含有其一：",
    "all_of": "全部含有：",
    "none_of": "均不含：",
}


def condition_text(cond: Mapping[str, Any], section: CaseSection) -> str:
    """A condition in Chinese, e.g. “涉案人数 不少于 10”, “简要案情含有：讨薪、欠薪”."""
    labels: dict[str, dict[str, str]] = {
        "category": {c.code: c.label for c in section.categories},
        "stage": {s.code: s.label for kind in reversed(section.organ_kinds) for s in kind.stages},
        "coercive_measures": {m.code: m.label for m in section.coercive_measures},
        "vulnerable_groups": {g.code: g.label for g in section.vulnerable_groups},
    }
    if "all" in cond:
        return "（" + "，且".join(condition_text(c, section) for c in cond["all"]) + "）"
    if "any" in cond:
        return "（" + "，或".join(condition_text(c, section) for c in cond["any"]) + "）"
    if "not" in cond:
        return "并非" + condition_text(cond["not"], section)
    if "keywords" in cond:
        field = CASE_FIELDS[cond.get("field", "brief_facts")][1]
        return f"{field}含有：{'、'.join(cond['keywords'])}"
    if "petitions" in cond:
        spec = cond["petitions"]
        who = f"（每次 {spec['min_persons']} 人以上）" if spec.get("min_persons") else ""
        return f"{spec['within_days']} 天内信访{who}不少于 {spec['at_least']} 次"
    field, op = cond["field"], cond["op"]
    value: Any = cond.get("value")
    name = CASE_FIELDS[field][1]
    names = labels.get(field, {})
    if op == "is_true":
        return f"{name}：是"
    if op == "is_false":
        return f"{name}：否"
    if op == "empty":
        return f"{name}：无"
    if op == "not_empty":
        return f"{name}：有"
    if op == "blank":
        return f"{name}为空"
    if op == "not_blank":
        return f"{name}不为空"
    if op == "older_than_days":
        return f"{name}距排查日超过 {value} 天"
    if op == "within_days":
        return f"{name}在排查日前 {value} 天内"
    if op == "between":
        return f"{name}在 {value[0]} 至 {value[1]} 之间"
    if isinstance(value, list):
        shown = "、".join(names.get(v, str(v)) for v in value)
    else:
        shown = (
            names.get(value, str(value))
            if isinstance(value, str)
            else f"{value:,}"
            if isinstance(value, int) or float(value).is_integer()
            else f"{value:g}"
        )
        if not isinstance(value, str) and float(value).is_integer():
            shown = f"{int(value):,}"
    return f"{name} {_OP_WORDS[op]} {shown}".replace("： ", "：")
