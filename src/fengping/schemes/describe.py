"""Human-readable and JSON views of a scheme (for the CLI, the API and the UI)."""

from __future__ import annotations

from typing import Any

from .model import (
    AfterEventRule,
    CaseScreeningMethod,
    CompositeMethod,
    DeadlineRule,
    Gbt20984Method,
    MonthlyRule,
    Scheme,
    YearlyRule,
)

_KIND_LABELS = {"ssra": "社会稳定风险评估", "isra": "信息安全风险评估", "case": "办案风险评估"}


def to_json(scheme: Scheme) -> dict[str, Any]:
    """The scheme as JSON-ready data, with its version and full content hash."""
    data = scheme.model_dump(mode="json")
    data["version"] = scheme.version
    data["content_hash"] = scheme.content_hash
    return data


def _num(value: float) -> str:
    return f"{value:g}"


def describe(scheme: Scheme) -> str:
    """A multi-line Chinese summary of a scheme."""
    out: list[str] = []
    add = out.append
    src = scheme.source
    add(f"{scheme.name}（{scheme.key}）")
    add(f"  类型：{_KIND_LABELS[scheme.kind]}（{scheme.kind}）  版本：{scheme.version}")
    ref = "，".join(x for x in (src.section, src.issuer, src.title, src.document) if x)
    add(f"  来源：{ref}")
    if scheme.principles:
        add("  基本原则：" + "、".join(p.title for p in scheme.principles))
    if scheme.responsibility and scheme.responsibility.rules:
        add("  责任原则：" + "；".join(scheme.responsibility.rules))
    if scheme.taxonomy:
        add("评估范围：")
        for group in scheme.taxonomy.groups:
            add(f"  {group.label}（{len(group.categories)} 类）")
            for cat in group.categories:
                flag = "【必须评估】" if cat.must_assess else ""
                add(f"    - {cat.label}{flag}")
    if scheme.dimensions:
        add("评估维度：")
        for dim in scheme.dimensions:
            add(f"  - {dim.label}（{dim.code}）：{len(dim.items)} 项检查")
        for note in scheme.dimension_notes:
            add(f"  - 另：{note.label}")
    add("量表：")
    for scale in scheme.scales:
        levels = " ".join(f"{lv.label}={_num(lv.value)}" for lv in scale.levels)
        add(f"  - {scale.label}：{levels}")
    add("评分方法：" + _method_line(scheme))
    bands = scheme.method.bands
    add(
        "  分段："
        + "；".join(
            f"{b.label} {_num(b.min)}–{_num(b.max)} → {_grade_label(scheme, b.code)}"
            for b in bands.levels
        )
    )
    add("风险等级：")
    for grade in sorted(scheme.grades, key=lambda g: -g.severity):
        allowed = "、".join(scheme.decision(d).label for d in grade.decisions.allowed)
        add(f"  - {grade.label}：可作决定 {allowed}")
        for cond in grade.decisions.conditions:
            needs = "、".join(_condition_label(scheme, r) for r in cond.requires)
            add(f"      {scheme.decision(cond.decision).label} 须先满足：{needs}")
    if scheme.majority_rule:
        rule = scheme.majority_rule
        forbids = "、".join(scheme.decision(d).label for d in rule.forbids)
        how = (
            "各渠道合计"
            if rule.combine == "pooled"
            else f"各渠道合计或任一渠道（不少于 {rule.min_channel_stated} 人表明态度）"
        )
        add(
            f"多数原则：反对比例（{how}）超过 {_num(rule.threshold)} 时不得{forbids}"
            f"（{rule.quote}）"
        )
    if scheme.grading:
        for floor in scheme.grading.public_reaction_floor:
            add(
                f"群众反映限定等级：各渠道合计反对比例超过 {_num(floor.oppose_rate_over)} 时"
                f"至少为{scheme.grade(floor.at_least).label}（{floor.quote}）"
            )
    add(f"评估程序（{len(scheme.procedure.steps)} 步）：")
    for n, step in enumerate(scheme.procedure.steps, 1):
        actor = f"（{step.actor}）" if step.actor else ""
        add(f"  {n}. {step.label}{actor}")
    if scheme.deadlines:
        add("时限：")
        for deadline in scheme.deadlines:
            add(f"  - {deadline.label}：{_rule_text(scheme, deadline.rule)}")
    add(f"{scheme.report.title}：" + "、".join(s.label for s in scheme.report.sections))
    if scheme.infosec:
        info = scheme.infosec
        vul = "，".join(f"{c.label} {len(c.items)} 项" for c in info.vulnerabilities.checklists)
        mea = "，".join(f"{c.label} {len(c.items)} 项" for c in info.measures.checklists)
        add(f"威胁分类：{len(info.threats.classes)} 类")
        add(f"脆弱性检查：{vul}")
        add(f"已有安全措施检查：{mea}")
    return "\n".join(out)


def _grade_label(scheme: Scheme, band: str) -> str:
    code = scheme.method.band_grades.get(band)
    return scheme.grade(code).label if code else "?"


def _condition_label(scheme: Scheme, code: str) -> str:
    for cond in scheme.conditions:
        if cond.code == code:
            return cond.label
    return code


def _method_line(scheme: Scheme) -> str:
    method = scheme.method
    if isinstance(method, CompositeMethod):
        return (
            "综合风险指数 R = Σ wᵢ·Pᵢ·Iᵢ"
            f"（可能性量表 {method.probability_scale}，影响量表 {method.impact_scale}，"
            f"专家意见汇总默认 {method.aggregation.default}）"
        )
    if isinstance(method, Gbt20984Method):
        calc = {"multiplication": "相乘法", "matrix": "矩阵法"}[method.calculation]
        return f"GB/T 20984 风险计算，默认{calc}（资产价值默认 {method.asset_value.default}）"
    assert isinstance(method, CaseScreeningMethod)
    hard = "、".join(f.label for f in method.factors if f.hard_trigger)
    return f"案件筛查计分（{len(method.factors)} 个因素；一票触发：{hard}）"


def _rule_text(scheme: Scheme, rule: DeadlineRule) -> str:
    if isinstance(rule, YearlyRule):
        return f"每年 {rule.month} 月 {rule.day} 日前"
    if isinstance(rule, MonthlyRule):
        return f"每月 {rule.day} 日前"
    if isinstance(rule, AfterEventRule):
        # Name the event by the step that produces it ("确定实施意见"), not by its code.
        event = rule.event
        for step in scheme.procedure.steps:
            if rule.event == step.code or rule.event in step.produces:
                event = step.label
                break
        when = {0: "当日", 1: "次日"}.get(rule.days, f"后 {rule.days} 日内")
        return f"{event}{when}"
    return "每月进行一次"
