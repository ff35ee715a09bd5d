"""A scheme turned into what its page shows: labels instead of codes, coloured grids.

Templates cannot look codes up, so everything they print is prepared here. Nothing in
this module changes anything; the colour of a cell is a CSS class (`risk-1` … `risk-5`,
low to high), never an inline style, because the Content-Security-Policy forbids those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.schemes.case_rules import condition_text
from fengping.schemes.model import (
    AfterEventRule,
    Band,
    Banding,
    CaseScreeningMethod,
    CompositeMethod,
    Deadline,
    Gbt20984Method,
    Matrix,
    MonthlyRule,
    Scale,
    Scheme,
    YearlyRule,
)

KIND_LABELS = {
    "ssra": gettext_lazy("社会稳定风险评估"),
    "isra": gettext_lazy("信息安全风险评估"),
    "case": gettext_lazy("办案风险评估"),
}
ORIGIN_LABELS = {
    "builtin": gettext_lazy("内置"),
    "file": gettext_lazy("数据目录文件"),
    "upload": gettext_lazy("上传"),
}
METHOD_LABELS = {
    "composite": gettext_lazy("综合风险指数法"),
    "gbt20984": gettext_lazy("GB/T 20984 风险计算"),
    "case_screening": gettext_lazy("案件筛查计分"),
}
THREAT_ORIGINS = {
    "environmental": gettext_lazy("环境因素"),
    "human_malicious": gettext_lazy("人为因素（恶意）"),
    "human_non_malicious": gettext_lazy("人为因素（非恶意）"),
}
TAG_LABELS = {
    "S": gettext_lazy("已核对来源"),
    "R": gettext_lazy("依据标准"),
    "D": gettext_lazy("系统默认"),
}
AGGREGATION_LABELS = {
    "mean": gettext_lazy("平均值"),
    "median": gettext_lazy("中位数"),
    "trimmed": gettext_lazy("截尾平均"),
}
WEIGHTING_LABELS = {
    "equal": gettext_lazy("等权"),
    "expert": gettext_lazy("专家赋权"),
    "ahp": gettext_lazy("层次分析法（AHP）"),
}
CALCULATION_LABELS = {"multiplication": gettext_lazy("相乘法"), "matrix": gettext_lazy("矩阵法")}
ASSET_VALUE_LABELS = {
    "max": gettext_lazy("取 C、I、A 最大值"),
    "weighted": gettext_lazy("C、I、A 加权平均"),
}
LOWERS_LABELS = {"likelihood": gettext_lazy("可能性"), "loss": gettext_lazy("损失")}


def num(value: float) -> str:
    return f"{value:g}"


def level_class(index: int, count: int) -> str:
    """`risk-1` (lowest) … `risk-5` (highest) for item `index` of `count` ordered levels."""
    if count <= 1:
        return "risk-3"
    return f"risk-{1 + round(index * 4 / (count - 1))}"


def band_index(banding: Banding, value: float) -> int | None:
    for i, band in enumerate(banding.levels):
        above = value > band.min or (band.min_inclusive and value == band.min)
        below = value < band.max or (band.max_inclusive and value == band.max)
        if above and below:
            return i
    return None


def band_range(band: Band, integer: bool, symbol: str = "R") -> str:
    if integer:
        lo = band.min if band.min_inclusive else band.min + 1
        hi = band.max if band.max_inclusive else band.max - 1
        return f"{num(lo)}–{num(hi)}"
    left = "≤" if band.min_inclusive else "<"
    right = "≤" if band.max_inclusive else "<"
    return f"{num(band.min)} {left} {symbol} {right} {num(band.max)}"


@dataclass
class Cell:
    text: str
    css: str


@dataclass
class Grid:
    """A matrix as rows of coloured cells, with its axis labels."""

    label: str
    row_title: str
    column_title: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]]
    result_title: str = ""
    note: str | None = None
    example: bool = False
    tag: str | None = None


@dataclass
class Labels:
    """Code → label lookups for one scheme."""

    scheme: Scheme
    decisions: dict[str, str] = field(default_factory=dict)
    conditions: dict[str, str] = field(default_factory=dict)
    grades: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    steps: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)  # output code -> step label
    dimensions: dict[str, str] = field(default_factory=dict)
    deadlines: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, s: Scheme) -> Labels:
        labels = cls(s)
        labels.decisions = {d.code: d.label for d in s.decisions}
        labels.conditions = {c.code: c.label for c in s.conditions}
        labels.grades = {g.code: g.label for g in s.grades}
        labels.categories = {c.code: c.label for c in s.categories()}
        labels.steps = {st.code: st.label for st in s.procedure.steps}
        labels.outputs = {o: st.label for st in s.procedure.steps for o in st.produces}
        labels.dimensions = {d.code: d.label for d in s.dimensions}
        labels.deadlines = {d.code: d.label for d in s.deadlines}
        return labels

    def many(self, table: dict[str, str], codes: list[str]) -> list[str]:
        return [table.get(code, code) for code in codes]


def grade_classes(s: Scheme) -> dict[str, str]:
    """Colour per grade: by severity rank, least severe green, most severe red."""
    ordered = sorted(s.grades, key=lambda g: g.severity)
    return {g.code: level_class(i, len(ordered)) for i, g in enumerate(ordered)}


def rule_text(rule: Any, labels: Labels) -> str:
    if isinstance(rule, YearlyRule):
        return _("每年 %(m)s 月 %(d)s 日前") % {"m": rule.month, "d": rule.day}
    if isinstance(rule, MonthlyRule):
        return _("每月 %(d)s 日前") % {"d": rule.day}
    if isinstance(rule, AfterEventRule):
        event = labels.steps.get(rule.event) or labels.outputs.get(rule.event) or rule.event
        if rule.days == 0:
            return _("“%(e)s”当日") % {"e": event}
        if rule.days == 1:
            return _("“%(e)s”次日") % {"e": event}
        return _("“%(e)s”后 %(n)s 日内") % {"e": event, "n": rule.days}
    return _("每月进行一次")


def deadline_rows(s: Scheme, labels: Labels) -> list[dict[str, Any]]:
    return [
        {"d": d, "when": rule_text(d.rule, labels), "step": labels.steps.get(d.step or "", "")}
        for d in s.deadlines
    ]


def _deadlines_by_step(s: Scheme, labels: Labels) -> dict[str, list[tuple[Deadline, str]]]:
    by_step: dict[str, list[tuple[Deadline, str]]] = {}
    for d in s.deadlines:
        if d.step:
            by_step.setdefault(d.step, []).append((d, rule_text(d.rule, labels)))
    return by_step


def step_rows(s: Scheme, labels: Labels) -> list[dict[str, Any]]:
    by_step = _deadlines_by_step(s, labels)
    rows = []
    for n, st in enumerate(s.procedure.steps, 1):
        requires = []
        for code in st.requires:
            if code in labels.steps:
                requires.append(_("步骤“%(s)s”") % {"s": labels.steps[code]})
            else:
                requires.append(
                    _("%(o)s（由“%(s)s”产出）") % {"o": code, "s": labels.outputs.get(code, "?")}
                )
        rows.append(
            {"n": n, "step": st, "requires": requires, "deadlines": by_step.get(st.code, [])}
        )
    return rows


def grade_rows(s: Scheme, labels: Labels) -> list[dict[str, Any]]:
    css = grade_classes(s)
    rows = []
    for g in sorted(s.grades, key=lambda g: -g.severity):
        d = g.decisions
        rows.append(
            {
                "g": g,
                "css": css[g.code],
                "allowed": labels.many(labels.decisions, d.allowed),
                "forbidden": labels.many(labels.decisions, d.forbidden),
                "recommended": labels.decisions.get(d.recommended or "", ""),
                "conditions": [
                    (
                        labels.decisions.get(c.decision, c.decision),
                        labels.many(labels.conditions, c.requires),
                    )
                    for c in d.conditions
                ],
            }
        )
    return rows


def band_rows(banding: Banding, band_grades: dict[str, str], labels: Labels) -> list[dict]:
    css = grade_classes(labels.scheme)
    n = len(banding.levels)
    return [
        {
            "b": b,
            "range": band_range(b, banding.domain.integer),
            "grade": labels.grades.get(band_grades.get(b.code, ""), "—"),
            "css": css.get(band_grades.get(b.code, ""), level_class(i, n)),
        }
        for i, b in enumerate(banding.levels)
    ]


def _scale_values(scale: Scale) -> list[str]:
    return [f"{lv.label}（{num(lv.value)}）" for lv in scale.levels]


def matrix_grid(s: Scheme, matrix: Matrix, banding: Banding, band_css: list[str]) -> Grid:
    """A matrix of the scheme; a cell is coloured by its level on the result scale, or,
    for the risk matrix, like the band (and so the grade) its value falls in."""
    rows_scale = s.scale(matrix.rows)
    cols_scale = s.scale(matrix.columns)
    result: Scale | None = s.scale(matrix.result_scale) if matrix.result_scale else None
    grid_rows: list[tuple[str, list[Cell]]] = []
    for level, values in zip(rows_scale.levels, matrix.cells, strict=False):
        cells = []
        for value in values:
            if result is not None:
                vals = result.values()
                idx = vals.index(value) if value in vals else None
                count = len(vals)
                text = num(value)
                if idx is not None:
                    text = f"{num(value)} {result.levels[idx].label}"
            else:
                idx = band_index(banding, value)
                text = num(value)
                if idx is not None:
                    text = f"{num(value)} {banding.levels[idx].label}"
                cells.append(Cell(text, band_css[idx] if idx is not None else ""))
                continue
            cells.append(Cell(text, level_class(idx, count) if idx is not None else ""))
        grid_rows.append((f"{level.label}（{num(level.value)}）", cells))
    return Grid(
        label=matrix.label,
        row_title=rows_scale.label,
        column_title=cols_scale.label,
        columns=_scale_values(cols_scale),
        rows=grid_rows,
        result_title=result.label if result else _("风险值"),
        note=matrix.note,
        example=matrix.example,
        tag=matrix.tag,
    )


def composite_grid(s: Scheme, method: CompositeMethod) -> Grid:
    """Probability × impact, each cell the factor score P·I coloured by its band."""
    p_scale = s.scale(method.probability_scale)
    i_scale = s.scale(method.impact_scale)
    css = grade_classes(s)
    rows = []
    for p in p_scale.levels:
        cells = []
        for i in i_scale.levels:
            value = round(p.value * i.value, 6)
            idx = band_index(method.bands, value)
            if idx is None:
                cells.append(Cell(num(value), ""))
                continue
            band = method.bands.levels[idx]
            grade = method.band_grades.get(band.code, "")
            cells.append(
                Cell(
                    f"{num(value)} {band.label}",
                    css.get(grade, level_class(idx, len(method.bands.levels))),
                )
            )
        rows.append((f"{p.label}（{num(p.value)}）", cells))
    return Grid(
        label=_("单因素风险矩阵（可能性 × 影响程度 = P·I）"),
        row_title=p_scale.label,
        column_title=i_scale.label,
        columns=_scale_values(i_scale),
        rows=rows,
        result_title=_("风险分值"),
    )


def method_context(s: Scheme, labels: Labels) -> dict[str, Any]:
    m = s.method
    ctx: dict[str, Any] = {
        "m": m,
        "method_label": METHOD_LABELS[m.kind],
        "bands": band_rows(m.bands, m.band_grades, labels),
    }
    if isinstance(m, CompositeMethod):
        ctx["grid"] = composite_grid(s, m)
        ctx["probability_scale"] = s.scale(m.probability_scale).label
        ctx["impact_scale"] = s.scale(m.impact_scale).label
        ctx["weighting"] = WEIGHTING_LABELS[m.weighting.default]
        ctx["aggregations"] = [AGGREGATION_LABELS[a] for a in m.aggregation.methods]
        ctx["aggregation_default"] = AGGREGATION_LABELS[m.aggregation.default]
        band_labels = {b.code: b.label for b in m.bands.levels}
        ctx["overrides"] = [
            (o, band_labels.get(o.band, o.band), labels.grades.get(o.grade, o.grade))
            for o in m.overrides
        ]
        ctx["factors"] = [
            (f, labels.dimensions.get(f.dimension or "", "")) for f in m.factor_catalogue
        ]
    elif isinstance(m, Gbt20984Method):
        band_css = [row["css"] for row in ctx["bands"]]
        ctx["grids"] = [
            matrix_grid(s, matrix, m.bands, band_css)
            for matrix in (m.likelihood_matrix, m.loss_matrix, m.risk_matrix)
        ]
        ctx["calculation"] = CALCULATION_LABELS[m.calculation]
        ctx["calculations"] = [CALCULATION_LABELS[c] for c in m.calculations]
        av = m.asset_value
        ctx["asset_value"] = {
            "rule": av,
            "rating_scale": s.scale(av.rating_scale).label,
            "value_scale": s.scale(av.value_scale).label,
            "default": ASSET_VALUE_LABELS[av.default],
            "allowed": [ASSET_VALUE_LABELS[a] for a in av.allowed],
        }
        ctx["scales_used"] = [
            (_("威胁"), s.scale(m.threat_scale).label),
            (_("脆弱性"), s.scale(m.vulnerability_scale).label),
            (_("可能性"), s.scale(m.likelihood_scale).label),
            (_("损失"), s.scale(m.loss_scale).label),
        ]
        ctx["measure_effects"] = [(e, LOWERS_LABELS[e.lowers]) for e in m.measure_effects]
    else:
        assert isinstance(m, CaseScreeningMethod)
        ctx["factors"] = [(f, labels.categories.get(f.category or "", "")) for f in m.factors]
        ctx["hard_trigger_grade"] = labels.grades.get(m.hard_trigger_grade, m.hard_trigger_grade)
        ctx["hard_trigger_css"] = grade_classes(s).get(m.hard_trigger_grade, "")
        ctx["screening_deadline"] = labels.deadlines.get(m.screening_deadline, m.screening_deadline)
        if m.early_assessment:
            ctx["early_categories"] = labels.many(labels.categories, m.early_assessment.categories)
        ctx["weight_total"] = num(sum(f.weight for f in m.factors))
        if s.cases is not None:
            section = s.cases
            ctx["criteria"] = [
                (r, condition_text(r.when, section), labels.categories.get(r.category or "", ""))
                for r in section.screening.criteria
            ]
            ctx["flag_at"] = labels.grades.get(section.screening.flag_at, "")
            ctx["screening_day"] = section.screening.day
            ctx["organ_kinds"] = section.organ_kinds
            ctx["case_categories"] = [c.label for c in section.categories]
    return ctx


def scheme_context(s: Scheme) -> dict[str, Any]:
    """Everything the detail page prints about `s`."""
    labels = Labels.of(s)
    lead_rows = []
    if s.responsibility:
        lead_rows = [
            (lead, labels.many(labels.categories, lead.categories))
            for lead in s.responsibility.lead_departments
        ]
    majority = None
    if s.majority_rule:
        r = s.majority_rule
        majority = {
            "rule": r,
            "percent": num(r.threshold * 100),
            "forbids": labels.many(labels.decisions, r.forbids),
            "suggests": labels.decisions.get(r.suggests or "", ""),
            "pooled": r.combine == "pooled",
            "min_channel_stated": r.min_channel_stated,
        }
    floors = []
    if s.grading:
        grade_labels = {g.code: g.label for g in s.grades}
        floors = [
            {
                "floor": f,
                "percent": num(f.oppose_rate_over * 100),
                "grade": grade_labels.get(f.at_least, f.at_least),
            }
            for f in s.grading.public_reaction_floor
        ]
    gates = [
        {
            "gate": g,
            "blocks": labels.many(labels.decisions, g.blocks),
            "unless": labels.many(labels.conditions, g.unless),
            "applies_to": labels.many(labels.categories, g.applies_to),
        }
        for g in s.gates
    ]
    follow_up = [(f, labels.decisions.get(f.decision or "", "")) for f in s.procedure.follow_up]
    threats = []
    if s.infosec:
        threats = [(t, THREAT_ORIGINS[t.origin]) for t in s.infosec.threats.classes]
    return {
        "s": s,
        "kind_label": KIND_LABELS[s.kind],
        "lead_rows": lead_rows,
        "must_assess_count": sum(1 for c in s.categories() if c.must_assess),
        "category_count": len(s.categories()),
        "question_count": sum(len(d.items) for d in s.dimensions),
        "grades": grade_rows(s, labels),
        "majority": majority,
        "floors": floors,
        "gates": gates,
        "steps": step_rows(s, labels),
        "follow_up": follow_up,
        "deadlines": deadline_rows(s, labels),
        "report_step": labels.steps.get(s.report.step or "", ""),
        "threats": threats,
        "tag_labels": TAG_LABELS,
        **method_context(s, labels),
    }
