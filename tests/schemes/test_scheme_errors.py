"""A bad scheme file is refused with the file, the path inside it and what is wrong,
in Chinese and English."""

from __future__ import annotations

from typing import Any

import pytest

from fengping.schemes import Scheme, SchemeError, load_text, scheme_issues

from .helpers import builtin_data, builtin_text, dump, mutate, refuse


def paths(error: SchemeError) -> list[str]:
    return [issue.path for issue in error.issues]


def assert_reports(error: SchemeError, path: str, zh: str, en: str) -> None:
    """The message names the file, the path and the problem in both languages."""
    message = str(error)
    assert error.source in message
    matching = [i for i in error.issues if i.path == path]
    assert matching, f"no issue at {path!r}; got {paths(error)}"
    assert any(zh in i.zh and en in i.en for i in matching), matching
    assert f"{path}: " in message and zh in message and en in message


# -- structure (pydantic) -------------------------------------------------------------------


def test_missing_field() -> None:
    error = mutate("ssra-town", lambda d: d.pop("name"))
    assert_reports(error, "name", "缺少字段", "missing field")
    assert "broken.yaml" in str(error)


def test_missing_nested_field() -> None:
    error = mutate("ssra-town", lambda d: d["grades"][1].pop("decisions"))
    assert_reports(error, "grades[1].decisions", "缺少字段 decisions", "missing field decisions")


def test_wrong_type() -> None:
    def change(d: dict[str, Any]) -> None:
        d["grades"][0]["severity"] = "high"

    error = mutate("ssra-bureau", change)
    assert_reports(error, "grades[0].severity", "类型错误", "wrong type")


def test_string_where_number_expected_is_not_coerced() -> None:
    def change(d: dict[str, Any]) -> None:
        d["scales"][0]["levels"][0]["value"] = "0.2"

    error = mutate("ssra-bureau", change)
    assert_reports(error, "scales[0].levels[0].value", "类型错误", "wrong type")


def test_unknown_top_level_key() -> None:
    error = mutate("ssra-bureau", lambda d: d.update(colour="red"))
    assert_reports(error, "colour", "不允许的字段", "not allowed")


def test_unknown_nested_key() -> None:
    def change(d: dict[str, Any]) -> None:
        d["procedure"]["steps"][2]["deadline"] = "soon"

    error = mutate("ssra-town", change)
    assert_reports(error, "procedure.steps[2].deadline", "不允许的字段", "not allowed")


def test_invalid_literal_value() -> None:
    error = mutate("ssra-town", lambda d: d.update(kind="ssr"))
    assert_reports(error, "kind", "取值无效", "invalid value")


def test_unknown_method_kind_is_named_at_method() -> None:
    def change(d: dict[str, Any]) -> None:
        d["method"]["kind"] = "magic"

    error = mutate("ssra-town", change)
    assert_reports(error, "method", "未知的类型", "unknown kind")


def test_error_inside_a_tagged_union_has_no_tag_in_its_path() -> None:
    def change(d: dict[str, Any]) -> None:
        d["method"]["bands"]["levels"][0].pop("label")

    error = mutate("ssra-town", change)
    assert_reports(error, "method.bands.levels[0].label", "缺少字段", "missing field")


def test_negative_weight() -> None:
    def change(d: dict[str, Any]) -> None:
        d["method"]["factors"][0]["weight"] = -1

    error = mutate("case-risk", change)
    assert_reports(error, "method.factors[0].weight", "大于或等于 0", ">= 0")


def test_bad_code_format() -> None:
    def change(d: dict[str, Any]) -> None:
        d["dimensions"][0]["code"] = "合法性"

    error = mutate("ssra-town", change)
    assert_reports(error, "dimensions[0].code", "格式无效", "invalid format")


def test_empty_list_where_items_are_required() -> None:
    def change(d: dict[str, Any]) -> None:
        d["dimensions"][0]["items"] = []

    error = mutate("ssra-town", change)
    assert_reports(error, "dimensions[0].items", "至少需要 1 项", "at least 1")


# -- YAML -----------------------------------------------------------------------------------


def test_yaml_syntax_error_names_line_and_column() -> None:
    lines = builtin_text("ssra-bureau").splitlines()
    index = lines.index("kind: ssra")
    lines[index] = "kind: ssra: isra"
    error = refuse("\n".join(lines))
    message = str(error)
    line = index + 1
    assert f"YAML 语法错误（第 {line} 行，第 11 列）" in message
    assert f"YAML syntax error at line {line}, column 11" in message


def test_duplicate_key_is_refused_with_path_and_lines() -> None:
    text = builtin_text("ssra-bureau")
    text = text.replace("kind: ssra\n", "kind: ssra\nname: 另一个名称\n", 1)
    error = refuse(text)
    (issue,) = error.issues
    assert issue.path == "name"
    assert "重复的键" in issue.zh and "duplicate key" in issue.en
    assert "first at line" in issue.en


def test_duplicate_nested_key() -> None:
    text = builtin_text("ssra-bureau").replace(
        "    severity: 3\n", "    severity: 3\n    severity: 2\n", 1
    )
    error = refuse(text)
    assert paths(error) == ["grades[0].severity"]


def test_empty_file_and_non_mapping() -> None:
    assert "文件为空" in str(refuse(""))
    error = refuse("- a\n- b\n")
    assert "顶层必须是映射" in str(error) and "top level must be a mapping" in str(error)


def test_yaml_tags_that_build_objects_are_refused() -> None:
    error = refuse("key: !!python/object/apply:os.system ['true']\n")
    assert "YAML" in str(error)


# -- cross-field rules ----------------------------------------------------------------------


def test_grade_referencing_unknown_decision() -> None:
    def change(d: dict[str, Any]) -> None:
        d["grades"][2]["decisions"]["allowed"][0] = "implement_fully"

    error = mutate("ssra-town", change)
    assert_reports(error, "grades[2].decisions.allowed[0]", "未知的决定", "unknown decision")
    assert "implement_fully" in str(error)


def test_decision_both_allowed_and_forbidden() -> None:
    def change(d: dict[str, Any]) -> None:
        d["grades"][0]["decisions"]["forbidden"].append("reject")

    error = mutate("ssra-bureau", change)
    assert_reports(
        error, "grades[0].decisions.forbidden[2]", "同时被允许和禁止", "both allowed and forbidden"
    )


def test_condition_must_be_declared() -> None:
    def change(d: dict[str, Any]) -> None:
        d["grades"][1]["decisions"]["conditions"][0]["requires"] = ["plan_blessed"]

    error = mutate("ssra-bureau", change)
    assert_reports(
        error, "grades[1].decisions.conditions[0].requires[0]", "未知的条件", "unknown condition"
    )


def test_overlapping_bands() -> None:
    def change(d: dict[str, Any]) -> None:
        d["method"]["bands"]["levels"][1]["min"] = 0.3

    error = mutate("ssra-bureau", change)
    assert_reports(error, "method.bands.levels[1]", "重叠", "overlaps")


def test_bands_with_a_gap() -> None:
    def change(d: dict[str, Any]) -> None:
        d["method"]["bands"]["levels"][2]["min"] = 12

    error = mutate("isra", change)
    assert_reports(error, "method.bands.levels[2]", "空缺", "gap")


def test_bands_must_cover_the_domain() -> None:
    def change(d: dict[str, Any]) -> None:
        d["method"]["bands"]["levels"][-1]["max"] = 0.9

    error = mutate("ssra-bureau", change)
    assert_reports(error, "method.bands.levels[2].max", "未覆盖到区间上限", "do not reach")


def test_shared_boundary_must_belong_to_exactly_one_band() -> None:
    def change(d: dict[str, Any]) -> None:
        d["method"]["bands"]["levels"][1]["min_inclusive"] = True

    error = mutate("ssra-bureau", change)
    assert_reports(error, "method.bands.levels[1]", "重叠", "overlaps")


def test_band_mapped_to_unknown_grade() -> None:
    def change(d: dict[str, Any]) -> None:
        d["method"]["band_grades"]["high"] = "AA"

    error = mutate("ssra-bureau", change)
    assert_reports(error, "method.band_grades.high", "未知的等级", "unknown grade")
    # A is now unreachable, which is reported too.
    assert "grades[0].code" in paths(error)


def test_scale_values_must_increase() -> None:
    def change(d: dict[str, Any]) -> None:
        d["scales"][0]["levels"][2]["value"] = 0.3

    error = mutate("ssra-bureau", change)
    assert_reports(error, "scales[0].levels[2].value", "严格递增", "increase strictly")


def test_people_ranges_must_be_contiguous() -> None:
    def change(d: dict[str, Any]) -> None:
        d["scales"][2]["levels"][1]["min"] = 7

    error = mutate("ssra-town", change)
    assert_reports(error, "scales[2].levels[1].min", "有空缺", "gap")


def test_matrix_sized_to_its_scales() -> None:
    def change(d: dict[str, Any]) -> None:
        d["method"]["likelihood_matrix"]["cells"].pop()
        d["method"]["loss_matrix"]["cells"][1] = [1, 2, 2, 3]

    error = mutate("isra", change)
    assert_reports(error, "method.likelihood_matrix.cells", "应有 5 行", "needs 5 rows")
    assert_reports(error, "method.loss_matrix.cells[1]", "应有 5 列", "needs 5 columns")


def test_matrix_must_be_monotonic_and_in_range() -> None:
    def change(d: dict[str, Any]) -> None:
        d["method"]["risk_matrix"]["cells"][2][3] = 5
        d["method"]["likelihood_matrix"]["cells"][0][0] = 7

    error = mutate("isra", change)
    assert_reports(error, "method.risk_matrix.cells[2][3]", "单调", "monotonic")
    assert_reports(
        error, "method.likelihood_matrix.cells[0][0]", "不是结果量表的取值", "result scale"
    )


def test_duplicate_codes() -> None:
    def change(d: dict[str, Any]) -> None:
        d["dimensions"][1]["code"] = "legality"

    error = mutate("ssra-town", change)
    assert_reports(error, "dimensions[1].code", "代码重复", "duplicate dimension code")


def test_duplicate_category_code_across_groups() -> None:
    def change(d: dict[str, Any]) -> None:
        d["taxonomy"]["groups"][1]["categories"][0]["code"] = "scope_other"

    error = mutate("ssra-town", change)
    assert_reports(
        error, "taxonomy.groups[1].categories[0].code", "类别代码重复", "duplicate category"
    )


def test_duplicate_step_codes() -> None:
    def change(d: dict[str, Any]) -> None:
        d["procedure"]["steps"][3]["code"] = "plan"

    error = mutate("ssra-town", change)
    assert_reports(error, "procedure.steps[3].code", "步骤代码重复", "duplicate step code")


def test_step_may_only_require_earlier_outputs() -> None:
    def change(d: dict[str, Any]) -> None:
        d["procedure"]["steps"][0]["requires"] = ["report"]

    error = mutate("ssra-town", change)
    assert_reports(
        error, "procedure.steps[0].requires[0]", "不是前面步骤的代码或产出", "earlier step"
    )


def test_deadline_on_a_day_that_does_not_exist() -> None:
    def change(d: dict[str, Any]) -> None:
        d["deadlines"][0]["rule"] = {"kind": "yearly", "month": 2, "day": 30}

    error = mutate("ssra-town", change)
    assert_reports(error, "deadlines[0].rule.day", "2 月没有 30 日", "no day 30")


def test_deadline_after_an_unknown_event() -> None:
    def change(d: dict[str, Any]) -> None:
        d["deadlines"][2]["rule"]["event"] = "verdict"

    error = mutate("ssra-town", change)
    assert_reports(error, "deadlines[2].rule.event", "未知的事件", "unknown event")


def test_lead_department_with_unknown_category() -> None:
    def change(d: dict[str, Any]) -> None:
        d["responsibility"]["lead_departments"][0]["categories"].append("space_programme")

    error = mutate("ssra-town", change)
    assert_reports(
        error, "responsibility.lead_departments[0].categories[2]", "未知的类别", "unknown category"
    )


def test_majority_rule_and_gates_name_known_decisions() -> None:
    def change(d: dict[str, Any]) -> None:
        d["majority_rule"]["forbids"] = ["launch"]
        d["gates"][0]["unless"] = ["stars_align"]

    error = mutate("ssra-town", change)
    assert_reports(error, "majority_rule.forbids[0]", "未知的决定", "unknown decision")
    assert_reports(error, "gates[0].unless[0]", "未知的条件", "unknown condition")


def test_method_must_fit_the_scheme_kind() -> None:
    def change(d: dict[str, Any]) -> None:
        d["kind"] = "case"

    error = mutate("ssra-town", change)
    assert_reports(error, "method.kind", "方法应为 case_screening", "needs method case_screening")


def test_isra_needs_its_catalogues() -> None:
    error = mutate("isra", lambda d: d.pop("infosec"))
    assert_reports(error, "infosec", "缺少字段 infosec", "needs the infosec block")


def test_all_problems_are_reported_at_once() -> None:
    def change(d: dict[str, Any]) -> None:
        d["grades"][2]["decisions"]["allowed"][0] = "implement_fully"
        d["method"]["bands"]["levels"][1]["min"] = 0.3
        d["procedure"]["steps"][0]["requires"] = ["report"]

    error = mutate("ssra-town", change)
    assert {
        "grades[2].decisions.allowed[0]",
        "method.bands.levels[1]",
        "procedure.steps[0].requires[0]",
    } <= set(paths(error))
    assert str(error).count("\n  broken.yaml: ") == len(error.issues)


def test_python_construction_is_checked_the_same_way() -> None:
    data = builtin_data("ssra-bureau")
    data["grades"][0]["decisions"]["allowed"] = ["launch"]
    with pytest.raises(ValueError, match="unknown decision"):
        Scheme.model_validate(data)


def test_consistent_builtins_have_no_issues() -> None:
    for key in ("ssra-bureau", "ssra-town", "isra", "case-risk"):
        scheme = load_text(dump(builtin_data(key)), key)
        assert scheme_issues(scheme) == []
