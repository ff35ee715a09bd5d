"""Typed model of a risk-assessment scheme (one YAML file per scheme).

A scheme is data, not code: the subject taxonomy, dimensions and checklists, scales,
scoring method, grades and the decisions they allow, the procedure, deadlines and the
report outline. This module holds the pydantic models and the rules that span fields.

Conventions
-----------
* Every model is frozen, strict and refuses unknown keys, so a typo in a YAML file is an
  error rather than a silently ignored setting.
* Fields whose names are in ``VERBATIM_FIELDS`` hold text copied from the source document;
  our own explanations go into ``note`` / ``description`` so the two never mix (the tests
  check the verbatim fields of the built-in schemes against the source).
* Structural checks are pydantic's. Rules across fields live in ``scheme_issues()`` and run
  as the Scheme's after-validator, so a Scheme built in Python is checked exactly like one
  loaded from YAML. Each problem carries its path inside the file and a Chinese and an
  English message.
* Nothing here imports Django or ``fengping.scoring``: the scheme package is a leaf.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from .case_rules import CaseSection, section_problems

# Field names whose values are copied verbatim from the source document.
VERBATIM_FIELDS = frozenset(
    {
        "text",
        "quote",
        "definition",
        "recommendation",
        "items",
        "channels",
        "rules",
        "leadership",
        "value_factors",
        "example",
        "consequence",
    }
)

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", max_length=64)]
SchemeKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1)]
# Provenance of a number, as in METHODS.md: checked source, recalled standard, our default.
Tag = Literal["S", "R", "D"]


class _Model(BaseModel):
    # strict: YAML already yields typed values, so "1" where a number is expected is a
    # mistake worth reporting, not something to coerce.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# ---------------------------------------------------------------------------------------
# Problems found by the cross-field rules
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One problem in a scheme: where (path inside the file) and what, in both languages."""

    path: str
    zh: str
    en: str


class SchemeRuleError(ValueError):
    """Raised by the Scheme's after-validator; carries every issue with its own path.

    pydantic wraps it into a ValidationError at the Scheme's location; the loader unwraps
    it (``ctx["error"]``) so each issue keeps its precise path.
    """

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = tuple(issues)
        super().__init__("; ".join(f"{i.path}: {i.en}" for i in self.issues))


# ---------------------------------------------------------------------------------------
# Metadata, principles, responsibility
# ---------------------------------------------------------------------------------------


class SourceRef(_Model):
    """Where the scheme comes from: the section of the seed and the document it cites."""

    section: Text  # e.g. 篇1
    document: str | None = None  # e.g. 株办发〔20xx〕14号
    title: str | None = None
    issuer: str | None = None
    note: str | None = None


class Passage(_Model):
    """A verbatim paragraph kept for display (preamble, 指导思想, 工作要求 …)."""

    code: Code
    label: Text
    text: Text


class Principle(_Model):
    code: Code
    title: Text
    text: Text


class Role(_Model):
    """A named responsibility, e.g. 第一责任人 held by 政法单位主要领导."""

    code: Code
    label: Text
    holder: Text
    note: str | None = None


class AreaLead(_Model):
    """One row of a lead-department table: who leads which area, and the categories it covers.

    ``categories`` lets the application propose a lead department once a matter's category
    is chosen.
    """

    code: Code
    departments: list[Text] = Field(min_length=1)
    area: Text
    text: Text
    categories: list[Code] = []
    note: str | None = None


class Supervisor(_Model):
    code: Code
    label: Text
    text: Text


class CrossDepartmentRule(_Model):
    """篇3 五: a matter across several bureaus has its 责任主体 designated (by 党委 or 政府)
    before its plan; `quote` is the sentence quoted when the plan is refused."""

    quote: str


class Responsibility(_Model):
    rules: list[Text] = []  # e.g. 谁主管、谁负责
    quote: str | None = None  # the sentence stating the rules
    text: str | None = None  # 责任主体 paragraph
    roles: list[Role] = []
    lead_departments: list[AreaLead] = []
    # None: the scheme says nothing about matters across departments.
    cross_department: CrossDepartmentRule | None = None
    supervisors: list[Supervisor] = []
    leadership: str | None = None
    note: str | None = None


# ---------------------------------------------------------------------------------------
# Subject taxonomy, dimensions
# ---------------------------------------------------------------------------------------


class Category(_Model):
    code: Code
    label: Text
    text: str | None = None
    items: list[Text] = []
    # True when every matter of this kind must be assessed (篇3 六(一): 严禁漏项).
    must_assess: bool = False
    note: str | None = None


class CategoryGroup(_Model):
    code: Code
    label: Text
    text: str | None = None
    categories: list[Category] = Field(min_length=1)


class Taxonomy(_Model):
    quote: str | None = None
    groups: list[CategoryGroup] = Field(min_length=1)

    def categories(self) -> Iterator[Category]:
        for group in self.groups:
            yield from group.categories


# How a checklist question is answered (the question's own wording decides):
# compliance  符合 / 部分符合 / 不符合 (是否符合…、是否坚持…)
# yes_good    是 / 否, 是 is the good answer (是否经过民主决策)
# no_good     是 / 否, 否 is the good answer (是否与现行政策…相抵触)
# written     a written assessment (对生态环境有何重大影响、反映如何)
# Every type also takes 不适用.
AnswerType = Literal["compliance", "yes_good", "no_good", "written"]
ANSWER_TYPES: tuple[str, ...] = ("compliance", "yes_good", "no_good", "written")


class Dimension(_Model):
    """An assessment dimension (合法性 …) with its checklist questions, one per item.

    ``answers`` gives each item its answer type, in the order of ``items``; empty means
    every item is a compliance question (schemes and frozen snapshots written before
    answer types existed)."""

    code: Code
    label: Text
    text: Text
    items: list[Text] = Field(min_length=1)
    answers: list[AnswerType] = []
    note: str | None = None

    def item_codes(self) -> list[str]:
        # Item codes are positional; an assessment freezes the scheme version, so a later
        # reordering never re-labels a past answer.
        return [f"{self.code}.{n}" for n in range(1, len(self.items) + 1)]

    def answer_type(self, item_no: int) -> str:
        """The answer type of item ``item_no`` (0-based)."""
        if 0 <= item_no < len(self.answers):
            return self.answers[item_no]
        return "compliance"

    def typed_items(self) -> list[tuple[str, str]]:
        """(question, answer type) for every item, in order."""
        return [(text, self.answer_type(i)) for i, text in enumerate(self.items)]


class DimensionNote(_Model):
    """A further aspect the source names without a paragraph of its own (篇1 五 其他…)."""

    code: Code
    label: Text
    text: Text
    items: list[Text] = []
    note: str | None = None


# ---------------------------------------------------------------------------------------
# Scales and bands
# ---------------------------------------------------------------------------------------


class ScaleLevel(_Model):
    code: Code
    label: Text
    value: float
    description: str | None = None
    # For count scales (people involved): inclusive range; max None = open-ended.
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class Scale(_Model):
    """An ordinal scale; levels are listed from lowest to highest value."""

    code: Code
    label: Text
    levels: list[ScaleLevel] = Field(min_length=2)
    tag: Tag | None = None
    note: str | None = None

    def values(self) -> list[float]:
        return [level.value for level in self.levels]


class Domain(_Model):
    min: float
    max: float
    integer: bool = False


class Band(_Model):
    code: Code
    label: Text
    min: float
    max: float
    min_inclusive: bool = True
    max_inclusive: bool = True


class Banding(_Model):
    """Bands that must cover ``domain`` exactly, listed from low to high."""

    domain: Domain
    levels: list[Band] = Field(min_length=1)
    tag: Tag | None = None
    note: str | None = None


# ---------------------------------------------------------------------------------------
# Decisions, conditions, grades, gates
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# Risk factor estimates
# ---------------------------------------------------------------------------------------

# What may be estimated for each risk factor besides its probability and impact.
EstimateField = Literal["people_involved", "scope", "manner", "intensity", "negative_impact"]
ESTIMATE_FIELDS: tuple[str, ...] = (
    "people_involved",
    "scope",
    "manner",
    "intensity",
    "negative_impact",
)


class FactorEstimates(_Model):
    """The estimates every risk factor must carry (篇1 六(一)3: 人员数量、范围、方式;
    篇3 六(四): 人员数量、范围和激烈程度，以及可能带来的负面影响). ``quote`` is the sentence
    that requires them; the analysis refuses a factor without them."""

    required: list[EstimateField] = []
    quote: str | None = None
    note: str | None = None


class Decision(_Model):
    code: Code
    label: Text
    text: str | None = None
    note: str | None = None


class Condition(_Model):
    """A named precondition a decision may require (e.g. an approved 化解矛盾方案)."""

    code: Code
    label: Text
    quote: str | None = None
    note: str | None = None


class DecisionCondition(_Model):
    decision: Code
    requires: list[Code] = Field(min_length=1)


class GradeDecisions(_Model):
    allowed: list[Code] = Field(min_length=1)
    forbidden: list[Code] = []
    recommended: Code | None = None
    conditions: list[DecisionCondition] = []


class Grade(_Model):
    code: Code
    label: Text
    severity: int = Field(ge=1)  # higher = more severe; unique within a scheme
    definition: str | None = None
    recommendation: str | None = None
    description: str | None = None
    decisions: GradeDecisions
    # A colour shown with the grade (e.g. red, orange, yellow, blue for case levels).
    colour: Literal["red", "orange", "yellow", "blue", "green", "grey"] | None = None
    note: str | None = None


class MajorityRule(_Model):
    """When the share of people opposed exceeds ``threshold``, ``forbids`` are refused.

    The share is counted over every consultation channel (questionnaires, each kind of
    activity — 座谈会、听证会、走访群众、抽样调查、专家论证 … — and the registered comments);
    ``combine`` says how the channels combine:

    * ``pooled``: the stances of all channels are added up and the one share is judged;
    * ``any_channel``: as pooled, and also each channel on its own once at least
      ``min_channel_stated`` people in it stated a stance — a hearing where most objected
      is not outvoted by a friendly questionnaire.

    Those who stated no stance (未表态) are not in the denominator.
    """

    measure: Literal["oppose_rate"] = "oppose_rate"
    threshold: float = Field(ge=0, le=1)
    combine: Literal["pooled", "any_channel"] = "any_channel"  # [D]
    min_channel_stated: int = Field(3, ge=1)  # [D]
    forbids: list[Code] = Field(min_length=1)
    suggests: Code | None = None
    quote: Text
    tag: Tag | None = None
    note: str | None = None

    def over(self, oppose_rate: float | None) -> bool:
        return oppose_rate is not None and oppose_rate > self.threshold

    def verdict(self, figures: Any) -> MajorityVerdict:
        """Judge ``figures``: an object with ``all_channels`` (pooled counts) and ``channels``
        (one per channel), each with ``oppose_rate`` and ``with_stance`` — the opinion
        summary — or, from older callers, a bare pooled oppose rate (float or None)."""
        if figures is None or isinstance(figures, int | float):
            return MajorityVerdict(self.over(figures), self.over(figures), None, ())
        pooled = figures.all_channels
        pooled_over = self.over(pooled.oppose_rate)
        channels: tuple[Any, ...] = ()
        if self.combine == "any_channel":
            channels = tuple(
                ch
                for ch in figures.channels
                if ch.with_stance >= self.min_channel_stated and self.over(ch.oppose_rate)
            )
        return MajorityVerdict(pooled_over or bool(channels), pooled_over, pooled, channels)

    def breached(self, figures: Any) -> bool:
        """More than ``threshold`` of those who stated a stance oppose, combined over the
        channels as ``combine`` says (no stance anywhere: no). The one check every caller
        uses — the decision refusals, the page warning, the report."""
        return self.verdict(figures).breached


@dataclass(frozen=True)
class MajorityVerdict:
    breached: bool
    pooled_over: bool  # the pooled share is over the threshold
    pooled: Any  # the pooled figures (None when judged from a bare rate)
    channels: tuple[Any, ...]  # the channels over the threshold on their own


class ReactionFloor(_Model):
    """The public's reaction bounds the grade: with more than ``oppose_rate_over`` of those
    who stated a stance opposed (pooled over every channel), the grade is at least
    ``at_least`` whatever the factor scores give (篇1 defines A/B/C by 群众反映)."""

    oppose_rate_over: float = Field(ge=0, le=1)
    at_least: Code
    quote: Text
    tag: Tag | None = None
    note: str | None = None


class Grading(_Model):
    public_reaction_floor: list[ReactionFloor] = []


# The consultation activity kinds a scheme may name (the opinions app's activity kinds).
ACTIVITY_KINDS = ("visit", "sampling", "publicity", "hearing", "symposium", "expert", "superior")


class ConsultRule(_Model):
    """One rule of the consultation the steps must satisfy, quoted from the source.

    ``cite`` says where the quote stands (e.g. 篇3 六(三)), shown with the refusal."""

    quote: Text
    cite: str | None = None
    tag: Tag | None = None
    note: str | None = None


class GroupRule(ConsultRule):
    """The group that must have been consulted (a response group or an activity's group)."""

    group: Text = "直接利益群体"


class FlaggedMatterRule(ConsultRule):
    """A matter flagged so needs one of these activity kinds."""

    activities: list[Literal[ACTIVITY_KINDS]] = Field(min_length=1)  # type: ignore[valid-type]


class TeamRule(ConsultRule):
    """The assessment team includes invited experts and public representatives."""

    min_experts: int = Field(default=1, ge=0)
    min_public: int = Field(default=1, ge=0)


class ConsultationMinimum(_Model):
    """What the step producing ``opinions`` needs at least, whatever else is recorded."""

    min_responses: int = Field(default=0, ge=0)
    min_activities: int = Field(default=0, ge=0)
    tag: Tag | None = None
    note: str | None = None


class Consultation(_Model):
    """How the consultation (征求意见) and the plan that sets it up are checked. Every rule
    is optional: a scheme without it checks nothing of that kind."""

    queries_answered: ConsultRule | None = None
    interest_group: GroupRule | None = None
    complex_matter: FlaggedMatterRule | None = None
    contested_matter: FlaggedMatterRule | None = None
    team: TeamRule | None = None
    plan_methods: ConsultRule | None = None
    minimum: ConsultationMinimum = ConsultationMinimum()


class Gate(_Model):
    """A decision that is blocked unless conditions hold, e.g. 未经风险评估不得裁决."""

    code: Code
    label: Text
    blocks: list[Code] = Field(min_length=1)
    unless: list[Code] = Field(min_length=1)
    applies_to: list[Code] = []  # taxonomy categories; empty = every matter
    quote: Text
    note: str | None = None


# ---------------------------------------------------------------------------------------
# Methods
# ---------------------------------------------------------------------------------------

AggregationKind = Literal["mean", "median", "trimmed"]


class Aggregation(_Model):
    """How several assessors' scores for one factor are combined."""

    methods: list[AggregationKind] = Field(min_length=1)
    default: AggregationKind
    trim_fraction: float = Field(default=0.2, ge=0, lt=0.5)
    tag: Tag | None = None
    note: str | None = None


class Weighting(_Model):
    default: Literal["equal", "expert", "ahp"]
    normalise: bool = True
    ahp_max_cr: float = Field(default=0.1, gt=0)
    tag: Tag | None = None
    note: str | None = None


class WithinBandOverride(_Model):
    """Grade ``grade`` when every factor score lies within band ``band``."""

    kind: Literal["all_factors_within_band"]
    band: Code
    grade: Code
    tag: Tag | None = None
    note: str | None = None


class FactorTemplate(_Model):
    code: Code
    label: Text
    dimension: Code | None = None
    note: str | None = None


class CompositeMethod(_Model):
    """Factor score P·I, composite Σ wᵢ·Pᵢ·Iᵢ (Σ w = 1), banded, band → grade."""

    kind: Literal["composite"]
    probability_scale: Code
    impact_scale: Code
    factor_score: Literal["product"] = "product"
    weighting: Weighting
    aggregation: Aggregation
    bands: Banding
    band_grades: dict[Code, Code]
    overrides: list[WithinBandOverride] = []
    reassess_after_measures: bool = True
    factor_catalogue: list[FactorTemplate] = []
    tag: Tag | None = None
    note: str | None = None


class CiaWeights(_Model):
    confidentiality: float = Field(ge=0)
    integrity: float = Field(ge=0)
    availability: float = Field(ge=0)


class AssetValueRule(_Model):
    rating_scale: Code  # scale each of C, I and A is rated on
    value_scale: Code
    default: Literal["max", "weighted"]
    allowed: list[Literal["max", "weighted"]] = Field(min_length=1)
    weights: CiaWeights
    rounding: Literal["half_up"] = "half_up"
    tag: Tag | None = None
    note: str | None = None


class MultiplicationRule(_Model):
    """L = √(T·V), F = √(Ia·Va), R = L·F; rounding applies to L and F."""

    rounding: Literal["half_up", "none"] = "half_up"
    tag: Tag | None = None
    note: str | None = None


class Matrix(_Model):
    code: Code
    label: Text
    rows: Code  # scale code
    columns: Code  # scale code
    result_scale: Code | None = None  # None: results lie in the method's band domain
    cells: list[list[float]] = Field(min_length=1)
    example: bool = False
    tag: Tag | None = None
    note: str | None = None


class MeasureEffect(_Model):
    kind: Literal["preventive", "protective"]
    label: Text
    lowers: Literal["likelihood", "loss"]
    effective_steps: int = Field(ge=0)
    partial_steps: int = Field(ge=0)
    tag: Tag | None = None
    note: str | None = None


class Gbt20984Method(_Model):
    kind: Literal["gbt20984"]
    calculation: Literal["multiplication", "matrix"]
    calculations: list[Literal["multiplication", "matrix"]] = Field(min_length=1)
    asset_value: AssetValueRule
    threat_scale: Code
    vulnerability_scale: Code
    likelihood_scale: Code
    loss_scale: Code
    multiplication: MultiplicationRule
    likelihood_matrix: Matrix
    loss_matrix: Matrix
    risk_matrix: Matrix
    bands: Banding
    band_grades: dict[Code, Code]
    measure_effects: list[MeasureEffect] = []
    tag: Tag | None = None
    note: str | None = None


class ScreeningFactor(_Model):
    code: Code
    label: Text
    weight: float = Field(ge=0)
    hard_trigger: bool = False
    category: Code | None = None  # taxonomy category this factor stands for
    description: str | None = None
    tag: Tag | None = None


class EarlyAssessment(_Model):
    categories: list[Code] = Field(min_length=1)
    quote: Text


class CaseScreeningMethod(_Model):
    """Score = Σ weight of the factors present; banded; any hard trigger → hard_trigger_grade."""

    kind: Literal["case_screening"]
    factors: list[ScreeningFactor] = Field(min_length=1)
    score: Literal["sum"] = "sum"
    bands: Banding
    band_grades: dict[Code, Code]
    hard_trigger_grade: Code
    screening_deadline: Code
    early_assessment: EarlyAssessment | None = None
    tag: Tag | None = None
    note: str | None = None


Method = Annotated[
    CompositeMethod | Gbt20984Method | CaseScreeningMethod, Field(discriminator="kind")
]

METHOD_FOR_KIND = {"ssra": "composite", "isra": "gbt20984", "case": "case_screening"}

# The outputs that steps of a scheme of each kind must produce, in the order the steps
# produce them: the app that runs the kind relies on them (the procedure engine finds "the
# step that produces the report" to send a reviewed report back, the decision step to
# review and decide). ssra is run by `assessments`; isra and case name what their built-in
# procedures produce today, and their apps tighten the lists when they come.
REQUIRED_OUTPUTS: dict[str, tuple[str, ...]] = {
    "ssra": (
        "assessment_plan",
        "opinions",
        "risk_analysis",
        "risk_grade",
        "report",
        "decision",
        "response_measures",
        "contingency_plan",
    ),
    "isra": ("asset_register", "risk_register", "treatment_plan"),
    "case": (
        "screening_result",
        "risk_assessment",
        "risk_grade",
        "contingency_plan",
        "report",
        "risk_resolution",
    ),
}

# What each required output is, for the refusal's message.
REQUIRED_OUTPUT_NAMES: dict[str, str] = {
    "assessment_plan": "评估方案",
    "opinions": "征求意见",
    "risk_analysis": "风险分析",
    "risk_grade": "风险等级",
    "report": "评估报告",
    "decision": "决定",
    "response_measures": "应对措施",
    "contingency_plan": "应急处置预案",
    "asset_register": "资产清单",
    "risk_register": "风险清单",
    "treatment_plan": "风险处置计划",
    "screening_result": "排查结果",
    "risk_resolution": "风险化解",
    "risk_assessment": "风险评估",
}


# ---------------------------------------------------------------------------------------
# Procedure, deadlines, report
# ---------------------------------------------------------------------------------------


SignerRole = Literal["leader", "head"]
# Kinds of the supervising offices (org.DepartmentKind): they receive filings, never sign.
SupervisingKind = Literal["stability_office", "joint_office", "supervision"]


class Signer(_Model):
    """Who signs a review stage: a role held in one of the matter's units —
    ``approving_department`` (审批、审议部门) or ``deciding_organ`` (决策机关, the
    organisation with the power to decide)."""

    unit: Literal["approving_department", "deciding_organ"]
    roles: list[SignerRole] = Field(min_length=1)


class ReviewStage(_Model):
    code: Code
    actor: Text
    action: Text
    when: str | None = None  # e.g. 存在涉稳重大问题
    # [D] Without a signer (older files) a leader or head of the 责任主体 signs.
    signer: Signer | None = None


class Step(_Model):
    """A procedure step; it opens once everything in ``requires`` exists.

    ``requires`` names earlier steps or outputs that earlier steps ``produce``.
    """

    code: Code
    label: Text
    text: str | None = None
    actor: str | None = None
    produces: list[Code] = []
    requires: list[Code] = []
    channels: list[Text] = []
    review_chain: list[ReviewStage] = []
    tag: Tag | None = None
    note: str | None = None


# What a follow-up rule may require to be recorded (篇1 六(二)): measures that carry out
# an implemented decision, 对策 for a postponed one, an 应急预案 for possible instability.
FollowUpRecord = Literal["response_measures", "countermeasures", "contingency_plan"]


class FollowUp(_Model):
    """A rule for what follows a decision. ``decision`` (and ``decisions``) name the
    decisions it applies to — none named: every decision; ``requires`` names what must be
    recorded before the follow-up is finished (for 暂缓实施, before a new decision)."""

    code: Code
    decision: Code | None = None
    decisions: list[Code] = []
    requires: list[FollowUpRecord] = []
    text: Text
    tag: Tag | None = None
    note: str | None = None

    def applies_to(self, outcome: str) -> bool:
        named = ([self.decision] if self.decision else []) + list(self.decisions)
        return not named or outcome in named


class Procedure(_Model):
    text: str | None = None
    steps: list[Step] = Field(min_length=1)
    follow_up: list[FollowUp] = []

    def step_codes(self) -> list[str]:
        return [step.code for step in self.steps]


class YearlyRule(_Model):
    kind: Literal["yearly"]
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)


class MonthlyRule(_Model):
    kind: Literal["monthly"]
    day: int = Field(ge=1, le=31)


class AfterEventRule(_Model):
    kind: Literal["after_event"]
    event: Code  # a step code or an output of a step
    days: int = Field(ge=0)


class MonthlyRunRule(_Model):
    """Something that must happen every month, with no fixed day in the source."""

    kind: Literal["monthly_run"]


DeadlineRule = Annotated[
    YearlyRule | MonthlyRule | AfterEventRule | MonthlyRunRule, Field(discriminator="kind")
]


class EscalationStage(_Model):
    """[D] Who is told once a deadline has passed by `after_days`: the owner of the work,
    the department's 主要负责人 (head), or the supervising office."""

    after_days: int = Field(ge=0, le=366)
    to: Literal["owner", "head", "office"]


class ReminderPolicy(_Model):
    """[D] When reminders go out for a deadline: `before` days before it (e.g. 7 and 1),
    and after it the escalation stages; `on_holiday` moves a due date that falls on a
    statutory holiday or a weekend to the next working day (the Chinese statutory
    calendar, with its 调休 working days)."""

    before: list[int] = []
    escalation: list[EscalationStage] = []
    on_holiday: Literal["keep", "next_working_day"] = "keep"
    tag: Tag | None = None
    note: str | None = None


class Deadline(_Model):
    code: Code
    label: Text
    rule: DeadlineRule
    # Reminders for this deadline; None takes the supervision section's default policy.
    reminders: ReminderPolicy | None = None
    step: Code | None = None
    recipients: list[Text] = []
    # The kinds of office the recipients are, in the same order; a step producing what
    # this deadline files is complete only when every kind has a filing.
    recipient_kinds: list[SupervisingKind] = []
    quote: Text
    consequence: str | None = None
    note: str | None = None


EvaluationMetric = Literal[
    "plan_on_time",
    "rules_on_time",
    "reports_on_time",
    "filings_on_time",
    "measures_on_time",
    "tasks_on_time",
    "screening_on_time",
    "unassessed",
    "incidents",
    "accountability",
]


class EvaluationItem(_Model):
    """[D] One line of the annual evaluation rubric (纳入年度目标考核): a `ratio` item earns
    `points` × the share of the department's obligations of `metric` done on time; a
    `deduct` item takes `points` off for each event of `metric` (at most `cap`)."""

    code: Code
    label: Text
    metric: EvaluationMetric
    kind: Literal["ratio", "deduct"]
    points: float = Field(gt=0, le=100)
    cap: float | None = Field(default=None, gt=0, le=100)
    quote: str | None = None
    tag: Tag | None = None
    note: str | None = None


class PostponedReassessment(_Model):
    """[D] A matter decided with one of `outcomes` (暂缓实施) owes a re-assessment within
    `within_days` of the decision (篇1 六(二): 对经评估决定暂缓实施的事项，要及时研究对策，
    待化解矛盾、时机成熟后再行实施). The source sets no deadline; the days are ours."""

    outcomes: list[Code] = Field(min_length=1)
    within_days: int = Field(ge=1, le=1096)
    quote: str | None = None
    tag: Tag | None = None
    note: str | None = None


class SupervisionSection(_Model):
    """The supervising offices' side of a scheme (篇3 六(一), 七; 篇1 七(二)): which
    departments owe the annual plan and the monthly report, the default reminder policy
    for every obligation that names none, the annual evaluation rubric, and when a
    postponed matter owes its re-assessment (none when absent)."""

    obliged_kinds: list[Code] = Field(min_length=1)
    reminders: ReminderPolicy
    evaluation: list[EvaluationItem] = Field(min_length=1)
    reassess_postponed: PostponedReassessment | None = None
    # A department obliged only by its matters whose first matter of the year came after a
    # yearly deadline owes that year's filing this many days after it, not since the
    # deadline it could not have known of. (A department of an obliged kind owed it
    # whenever it was entered here.)
    joined_late_days: int = Field(default=30, ge=0, le=366)
    quote: str | None = None
    tag: Tag | None = None
    note: str | None = None


class ReportSection(_Model):
    code: Code
    label: Text
    note: str | None = None


class ReportOutline(_Model):
    title: Text
    step: Code | None = None
    quote: str | None = None
    sections: list[ReportSection] = Field(min_length=1)
    tag: Tag | None = None
    note: str | None = None


# ---------------------------------------------------------------------------------------
# Information security catalogues (scheme kind "isra")
# ---------------------------------------------------------------------------------------


class AssetPart(_Model):
    code: Code
    label: Text


class AssetModel(_Model):
    text: Text
    parts: list[AssetPart] = Field(min_length=1)
    example: str | None = None
    value_factors: list[Text] = []


class AssessmentMethod(_Model):
    code: Code
    label: Text


Aspect = Literal["management", "operations", "technical"]


def _technical() -> list[Aspect]:
    return ["technical"]


class ThreatClass(_Model):
    code: Code
    label: Text
    origin: Literal["environmental", "human_malicious", "human_non_malicious"]
    description: Text
    # Which aspects of vulnerability (2.3: 管理/运维/技术) a threat of this class exploits:
    # a risk scenario pairs a threat only with the vulnerabilities it can exploit.
    exploits: list[Aspect] = Field(default_factory=_technical, min_length=1)
    tag: Tag | None = None


class IncidentThreshold(_Model):
    """At least `min_incidents` incidents of a class in the window propose `level`."""

    min_incidents: int = Field(ge=1)
    level: int = Field(ge=1, le=5)


class FrequencyRule(_Model):
    """What the evidence of 2.2 proposes for a threat's frequency (1–5): the system's
    recorded incidents of the class in the last `window_days` (thresholds, highest first;
    none reached → no proposal), and the administrators' survey (`survey_question` per
    class, answered on the threat scale; the mean answer rounded half up). Setting a
    frequency `evidence_gap` or more levels away from a proposal needs a written reason."""

    window_days: int = Field(ge=1)
    incident_thresholds: list[IncidentThreshold] = Field(min_length=1)
    survey_question: Text
    survey_groups: list[Text] = Field(min_length=1)
    survey_rounding: Literal["half_up"] = "half_up"
    evidence_gap: int = Field(ge=1, le=4)
    tag: Tag | None = None
    note: str | None = None

    def incident_proposal(self, count: int) -> int | None:
        for t in sorted(self.incident_thresholds, key=lambda t: -t.min_incidents):
            if count >= t.min_incidents:
                return t.level
        return None

    def survey_level(self, mean: float | None) -> int | None:
        if mean is None:
            return None
        return max(1, min(5, math.floor(mean + 0.5)))


class ThreatCatalogue(_Model):
    text: str | None = None
    classes: list[ThreatClass] = Field(min_length=1)
    frequency_rule: FrequencyRule | None = None
    tag: Tag | None = None
    note: str | None = None


# The type of the value checked for an item (`Checklist.value_kinds`): "" none asked.
ValueKind = Literal["", "text", "date", "count", "percent"]


class Checklist(_Model):
    code: Code
    label: Text
    text: str | None = None
    items: list[Text] = Field(min_length=1)
    methods: list[Text] = []
    # Parallel to `items` (or empty): what an answer's `value` holds for each item.
    value_kinds: list[ValueKind] = []
    note: str | None = None

    def item_codes(self) -> list[str]:
        return [f"{self.code}.{n}" for n in range(1, len(self.items) + 1)]

    def value_kind(self, index: int) -> str:
        """The value kind of the item at 0-based `index` ("" when none is named)."""
        return self.value_kinds[index] if index < len(self.value_kinds) else ""


class ChecklistSet(_Model):
    text: str | None = None
    checklists: list[Checklist] = Field(min_length=1)
    note: str | None = None


class ValueFactor(_Model):
    code: Code
    label: Text


class AssetValuation(_Model):
    """An asset's value from its C/I/A value (method.asset_value), the 2.1 factors rated
    1–5 and the importance of the business it carries: the weighted mean of the inputs
    that are rated, rounded half up. A factor left unrated does not count."""

    factors: list[ValueFactor] = Field(min_length=1)
    cia_weight: float = Field(gt=0)
    factor_weight: float = Field(ge=0)
    business_weight: float = Field(ge=0)
    tag: Tag | None = None
    note: str | None = None


class VulnerabilityGrade(_Model):
    """A grade of GB/T 30279-2020 (超危/高危/中危/低危) by CVSS base score, the severity
    1–5 it gives on the 2.3 scale, and the days allowed to remediate it."""

    code: Code
    label: Text
    cvss_min: float = Field(ge=0, le=10)
    severity: int = Field(ge=1, le=5)
    remediation_days: int | None = Field(default=None, ge=1)


class VulnerabilityGrading(_Model):
    grades: list[VulnerabilityGrade] = Field(min_length=1)  # highest first
    # A finding with no CVSS: the scanner's own rating maps to a grade code.
    scanner_ratings: dict[str, Code] = {}
    tag: Tag | None = None
    note: str | None = None

    def grade_for_cvss(self, cvss: float) -> VulnerabilityGrade:
        for grade in self.grades:
            if cvss >= grade.cvss_min:
                return grade
        return self.grades[-1]

    def grade(self, code: str) -> VulnerabilityGrade:
        for grade in self.grades:
            if grade.code == code:
                return grade
        raise KeyError(code)


class Acceptance(_Model):
    """Who must approve accepting a risk of which levels, and for how long it holds."""

    approval_grades: list[Code] = []  # risk levels (grade codes) whose acceptance needs approval
    approver_roles: list[Literal["leader", "head"]] = Field(min_length=1)
    valid_days: int = Field(ge=1)
    tag: Tag | None = None
    note: str | None = None


class Remediation(_Model):
    """安全整改 deadlines: days by risk level (a task from a risk or a recommendation);
    a task from a vulnerability takes its grade's remediation_days."""

    days_by_risk: dict[Code, int]
    kinds: list[AssessmentMethod] = Field(min_length=1)  # 技术 / 管理
    tag: Tag | None = None
    note: str | None = None


class Infosec(_Model):
    asset_model: AssetModel
    assessment_methods: list[AssessmentMethod] = Field(min_length=1)
    threats: ThreatCatalogue
    vulnerabilities: ChecklistSet
    measures: ChecklistSet
    asset_valuation: AssetValuation
    vulnerability_grading: VulnerabilityGrading
    acceptance: Acceptance
    remediation: Remediation


# ---------------------------------------------------------------------------------------
# The scheme
# ---------------------------------------------------------------------------------------


class Scheme(_Model):
    format: Literal[1] = 1
    key: SchemeKey
    name: Text
    kind: Literal["ssra", "isra", "case"]
    source: SourceRef
    description: str | None = None
    passages: list[Passage] = []
    principles: list[Principle] = []
    responsibility: Responsibility | None = None
    taxonomy: Taxonomy | None = None
    dimensions: list[Dimension] = []
    dimension_notes: list[DimensionNote] = []
    factor_estimates: FactorEstimates = FactorEstimates()
    scales: list[Scale] = Field(min_length=1)
    decisions: list[Decision] = Field(min_length=1)
    conditions: list[Condition] = []
    grades: list[Grade] = Field(min_length=1)
    method: Method
    majority_rule: MajorityRule | None = None
    grading: Grading | None = None
    gates: list[Gate] = []
    consultation: Consultation | None = None
    procedure: Procedure
    deadlines: list[Deadline] = []
    report: ReportOutline
    infosec: Infosec | None = None
    cases: CaseSection | None = None
    supervision: SupervisionSection | None = None

    @model_validator(mode="after")
    def _cross_field_rules(self, info: ValidationInfo) -> Scheme:
        # A frozen snapshot (context {"frozen": True}) is read under the rules it was
        # accepted under: a kind's required outputs added later do not void a past run.
        frozen = bool(info.context and info.context.get("frozen"))
        issues = scheme_issues(self, frozen=frozen)
        if issues:
            raise SchemeRuleError(issues)
        return self

    # -- identity ------------------------------------------------------------------------

    def canonical_json(self) -> str:
        """The content that the version hashes: defaults filled in, keys sorted.

        Comments, key order and whitespace of the YAML file do not reach this string,
        so editing them keeps the version; any change of content changes it.
        """
        return json.dumps(
            self.model_dump(mode="json"),
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @property
    def content_hash(self) -> str:
        """Full sha256 (64 hex digits) of ``canonical_json()``."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    @property
    def version(self) -> str:
        """Short version: the first 12 hex digits of ``content_hash``."""
        return self.content_hash[:12]

    # -- lookups -------------------------------------------------------------------------

    def grade(self, code: str) -> Grade:
        for grade in self.grades:
            if grade.code == code:
                return grade
        raise KeyError(code)

    def decision(self, code: str) -> Decision:
        for decision in self.decisions:
            if decision.code == code:
                return decision
        raise KeyError(code)

    def scale(self, code: str) -> Scale:
        for scale in self.scales:
            if scale.code == code:
                return scale
        raise KeyError(code)

    def categories(self) -> list[Category]:
        return list(self.taxonomy.categories()) if self.taxonomy else []


# ---------------------------------------------------------------------------------------
# Cross-field rules
# ---------------------------------------------------------------------------------------


def _fmt(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _choices(options: Iterable[str]) -> str:
    listed = sorted(options)
    return "、".join(listed) if listed else "(无 / none)"


class _Checker:
    """Collects issues; each helper receives the path of the value it looks at."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(self, path: str, zh: str, en: str) -> None:
        self.issues.append(Issue(path, zh, en))

    def unique(self, path: str, values: Sequence[str], what_zh: str, what_en: str) -> None:
        seen: dict[str, int] = {}
        for index, value in enumerate(values):
            if value in seen:
                self.add(
                    f"{path}[{index}].code",
                    f"{what_zh}代码重复：{_fmt(value)}（与第 {seen[value] + 1} 项相同）",
                    f"duplicate {what_en} code {_fmt(value)} (same as item {seen[value]})",
                )
            else:
                seen[value] = index

    def known(
        self,
        path: str,
        value: str,
        options: Iterable[str],
        what_zh: str,
        what_en: str,
    ) -> bool:
        options = list(options)
        if value in options:
            return True
        self.add(
            path,
            f"未知的{what_zh} {_fmt(value)}，应为：{_choices(options)}",
            f"unknown {what_en} {_fmt(value)}; expected one of: {', '.join(sorted(options))}",
        )
        return False


def scheme_issues(scheme: Scheme, *, frozen: bool = False) -> list[Issue]:
    """Every cross-field problem of ``scheme`` (empty when the scheme is consistent).

    ``frozen`` skips the outputs the kind requires (see ``REQUIRED_OUTPUTS``): a snapshot
    frozen by a past run keeps being readable when the table grows."""
    c = _Checker()
    category_codes = [cat.code for cat in scheme.categories()]
    decision_codes = [d.code for d in scheme.decisions]
    condition_codes = [cond.code for cond in scheme.conditions]
    grade_codes = [g.code for g in scheme.grades]
    scale_by_code = {s.code: s for s in scheme.scales}

    _check_kind(c, scheme)
    _check_codes(c, scheme)

    # Taxonomy references from the lead-department table.
    if scheme.responsibility:
        for i, lead in enumerate(scheme.responsibility.lead_departments):
            for j, cat in enumerate(lead.categories):
                c.known(
                    f"responsibility.lead_departments[{i}].categories[{j}]",
                    cat,
                    category_codes,
                    "类别",
                    "category",
                )

    for i, scale in enumerate(scheme.scales):
        _check_scale(c, f"scales[{i}]", scale)

    _check_grades(c, scheme, decision_codes, condition_codes)
    _check_method(c, scheme, scale_by_code, grade_codes, category_codes)

    if scheme.majority_rule:
        rule = scheme.majority_rule
        for j, code in enumerate(rule.forbids):
            c.known(f"majority_rule.forbids[{j}]", code, decision_codes, "决定", "decision")
        if rule.suggests is not None:
            c.known("majority_rule.suggests", rule.suggests, decision_codes, "决定", "decision")

    if scheme.grading:
        for i, floor in enumerate(scheme.grading.public_reaction_floor):
            c.known(
                f"grading.public_reaction_floor[{i}].at_least",
                floor.at_least,
                grade_codes,
                "等级",
                "grade",
            )

    for i, gate in enumerate(scheme.gates):
        for j, code in enumerate(gate.blocks):
            c.known(f"gates[{i}].blocks[{j}]", code, decision_codes, "决定", "decision")
        for j, code in enumerate(gate.unless):
            c.known(f"gates[{i}].unless[{j}]", code, condition_codes, "条件", "condition")
        for j, code in enumerate(gate.applies_to):
            c.known(f"gates[{i}].applies_to[{j}]", code, category_codes, "类别", "category")

    for problem in section_problems(scheme):
        c.add(problem.path, problem.zh, problem.en)

    _check_procedure(c, scheme, decision_codes)
    if not frozen:
        _check_required_outputs(c, scheme)
    _check_deadlines(c, scheme)

    if scheme.report.step is not None:
        c.known("report.step", scheme.report.step, scheme.procedure.step_codes(), "步骤", "step")
    return c.issues


def _check_kind(c: _Checker, scheme: Scheme) -> None:
    expected = METHOD_FOR_KIND[scheme.kind]
    if scheme.method.kind != expected:
        c.add(
            "method.kind",
            f"{scheme.kind} 类方案的方法应为 {expected}，而不是 {scheme.method.kind}",
            f"a {scheme.kind} scheme needs method {expected}, not {scheme.method.kind}",
        )
    if scheme.kind == "isra" and scheme.infosec is None:
        c.add("infosec", "isra 类方案缺少字段 infosec", "an isra scheme needs the infosec block")
    if scheme.kind != "isra" and scheme.infosec is not None:
        c.add(
            "infosec",
            "只有 isra 类方案可以有 infosec",
            "only an isra scheme may have an infosec block",
        )
    if scheme.kind == "case" and scheme.cases is None:
        c.add("cases", "case 类方案缺少字段 cases", "a case scheme needs the cases block")
    if scheme.kind != "case" and scheme.cases is not None:
        c.add("cases", "只有 case 类方案可以有 cases", "only a case scheme may have a cases block")
    if scheme.kind == "ssra" and not scheme.dimensions:
        c.add("dimensions", "ssra 类方案至少需要一个评估维度", "an ssra scheme needs dimensions")


def _check_codes(c: _Checker, scheme: Scheme) -> None:
    c.unique("passages", [p.code for p in scheme.passages], "段落", "passage")
    c.unique("principles", [p.code for p in scheme.principles], "原则", "principle")
    if scheme.responsibility:
        r = scheme.responsibility
        c.unique("responsibility.roles", [x.code for x in r.roles], "角色", "role")
        c.unique(
            "responsibility.lead_departments",
            [x.code for x in r.lead_departments],
            "牵头部门",
            "lead department",
        )
        c.unique(
            "responsibility.supervisors", [x.code for x in r.supervisors], "督导机构", "supervisor"
        )
    if scheme.taxonomy:
        c.unique(
            "taxonomy.groups", [g.code for g in scheme.taxonomy.groups], "类别组", "category group"
        )
        # Category codes are unique across groups: a matter names one category code.
        seen: dict[str, str] = {}
        for gi, group in enumerate(scheme.taxonomy.groups):
            for ci, cat in enumerate(group.categories):
                path = f"taxonomy.groups[{gi}].categories[{ci}].code"
                if cat.code in seen:
                    c.add(
                        path,
                        f"类别代码重复：{_fmt(cat.code)}（已用于 {seen[cat.code]}）",
                        f"duplicate category code {_fmt(cat.code)} (already at {seen[cat.code]})",
                    )
                else:
                    seen[cat.code] = path
    dims = [d.code for d in scheme.dimensions] + [n.code for n in scheme.dimension_notes]
    c.unique("dimensions", [d.code for d in scheme.dimensions], "维度", "dimension")
    for i, dim in enumerate(scheme.dimensions):
        if dim.answers and len(dim.answers) != len(dim.items):
            c.add(
                f"dimensions[{i}].answers",
                f"作答方式应与清单条目一一对应：{len(dim.items)} 条，实际 {len(dim.answers)} 个",
                f"answers must match items one to one: {len(dim.items)} items, "
                f"{len(dim.answers)} answer types",
            )
    estimates = scheme.factor_estimates
    if len(set(estimates.required)) != len(estimates.required):
        c.add("factor_estimates.required", "预测项目重复", "duplicate estimate field")
    if estimates.required and not estimates.quote:
        c.add(
            "factor_estimates.quote",
            "规定必填预测项目时须引用方案原文（quote）",
            "required estimates need the quote that requires them",
        )
    for i, note in enumerate(scheme.dimension_notes):
        if note.code in dims[: len(scheme.dimensions)]:
            c.add(
                f"dimension_notes[{i}].code",
                f"维度代码重复：{_fmt(note.code)}",
                f"duplicate dimension code {_fmt(note.code)}",
            )
    c.unique("scales", [s.code for s in scheme.scales], "量表", "scale")
    c.unique("decisions", [d.code for d in scheme.decisions], "决定", "decision")
    c.unique("conditions", [x.code for x in scheme.conditions], "条件", "condition")
    c.unique("grades", [g.code for g in scheme.grades], "等级", "grade")
    severities: dict[int, int] = {}
    for i, grade in enumerate(scheme.grades):
        if grade.severity in severities:
            c.add(
                f"grades[{i}].severity",
                f"严重程度重复：{grade.severity}（与第 {severities[grade.severity] + 1} 个等级相同）",
                f"duplicate severity {grade.severity} (same as grade {severities[grade.severity]})",
            )
        severities.setdefault(grade.severity, i)
    c.unique("gates", [g.code for g in scheme.gates], "关口", "gate")
    c.unique("procedure.steps", scheme.procedure.step_codes(), "步骤", "step")
    c.unique(
        "procedure.follow_up", [f.code for f in scheme.procedure.follow_up], "后续", "follow-up"
    )
    c.unique("deadlines", [d.code for d in scheme.deadlines], "时限", "deadline")
    c.unique("report.sections", [s.code for s in scheme.report.sections], "报告章节", "section")
    if scheme.infosec:
        info = scheme.infosec
        c.unique(
            "infosec.asset_model.parts",
            [p.code for p in info.asset_model.parts],
            "资产部分",
            "part",
        )
        c.unique(
            "infosec.assessment_methods",
            [m.code for m in info.assessment_methods],
            "评估方式",
            "method",
        )
        c.unique(
            "infosec.threats.classes", [t.code for t in info.threats.classes], "威胁类", "threat"
        )
        for name in ("vulnerabilities", "measures"):
            checklists: ChecklistSet = getattr(info, name)
            c.unique(
                f"infosec.{name}.checklists",
                [x.code for x in checklists.checklists],
                "检查表",
                "checklist",
            )
            for i, x in enumerate(checklists.checklists):
                if x.value_kinds and len(x.value_kinds) != len(x.items):
                    c.add(
                        f"infosec.{name}.checklists[{i}].value_kinds",
                        "value_kinds 须与 items 一一对应",
                        "value_kinds must have one entry per item",
                    )
        c.unique(
            "infosec.asset_valuation.factors",
            [f.code for f in info.asset_valuation.factors],
            "资产赋值因素",
            "factor",
        )
        grading = info.vulnerability_grading
        c.unique(
            "infosec.vulnerability_grading.grades",
            [g.code for g in grading.grades],
            "漏洞等级",
            "grade",
        )
        for i in range(1, len(grading.grades)):
            if grading.grades[i].cvss_min >= grading.grades[i - 1].cvss_min:
                c.add(
                    f"infosec.vulnerability_grading.grades[{i}].cvss_min",
                    "漏洞等级应按 CVSS 下限从高到低排列",
                    "vulnerability grades must be listed by cvss_min, highest first",
                )
        if grading.grades and grading.grades[-1].cvss_min != 0:
            c.add(
                "infosec.vulnerability_grading.grades",
                "最低的漏洞等级的 CVSS 下限应为 0，以覆盖全部分值",
                "the lowest vulnerability grade must start at CVSS 0",
            )
        grade_codes = {g.code for g in grading.grades}
        for rating, code in grading.scanner_ratings.items():
            c.known(
                f"infosec.vulnerability_grading.scanner_ratings.{rating}",
                code,
                grade_codes,
                "漏洞等级",
                "grade",
            )
        risk_grades = {g.code for g in scheme.grades}
        for i, code in enumerate(info.acceptance.approval_grades):
            c.known(f"infosec.acceptance.approval_grades[{i}]", code, risk_grades, "等级", "grade")
        for code in info.remediation.days_by_risk:
            c.known(f"infosec.remediation.days_by_risk.{code}", code, risk_grades, "等级", "grade")
        missing = sorted(risk_grades - set(info.remediation.days_by_risk))
        if missing:
            c.add(
                "infosec.remediation.days_by_risk",
                f"缺少风险等级的整改时限：{', '.join(missing)}",
                f"no remediation deadline for risk levels: {', '.join(missing)}",
            )


def _check_scale(c: _Checker, path: str, scale: Scale) -> None:
    c.unique(f"{path}.levels", [lv.code for lv in scale.levels], "量表级别", "level")
    for i in range(1, len(scale.levels)):
        if scale.levels[i].value <= scale.levels[i - 1].value:
            c.add(
                f"{path}.levels[{i}].value",
                "量表取值必须从低到高严格递增"
                f"（{scale.levels[i - 1].value} 之后是 {scale.levels[i].value}）",
                "scale values must increase strictly from the first level to the last "
                f"({scale.levels[i].value} follows {scale.levels[i - 1].value})",
            )
    ranged = [lv.min is not None or lv.max is not None for lv in scale.levels]
    if not any(ranged):
        return
    last = len(scale.levels) - 1
    for i, level in enumerate(scale.levels):
        lp = f"{path}.levels[{i}]"
        if level.min is None:
            c.add(f"{lp}.min", "有人数范围的量表每一级都需要 min", "every ranged level needs min")
            continue
        if level.max is None and i != last:
            c.add(f"{lp}.max", "只有最后一级可以不设上限", "only the last level may be open-ended")
        if level.max is not None and level.max < level.min:
            c.add(f"{lp}.max", "max 小于 min", "max is below min")
        if i > 0:
            prev = scale.levels[i - 1]
            if prev.max is not None and level.min != prev.max + 1:
                word_zh = "重叠" if level.min <= prev.max else "有空缺"
                word_en = "overlaps the previous one" if level.min <= prev.max else "leaves a gap"
                c.add(
                    f"{lp}.min",
                    f"范围{word_zh}：上一级到 {prev.max}，本级从 {level.min} 开始",
                    f"range {word_en}: previous level ends at {prev.max}, this starts at "
                    f"{level.min}",
                )


def _band_bounds(band: Band) -> tuple[float, float]:
    """Inclusive integer bounds of a band on an integer domain."""
    lo = math.ceil(band.min) if band.min_inclusive else math.floor(band.min) + 1
    hi = math.floor(band.max) if band.max_inclusive else math.ceil(band.max) - 1
    return lo, hi


def _check_bands(c: _Checker, path: str, banding: Banding) -> None:
    domain = banding.domain
    bands = banding.levels
    c.unique(f"{path}.levels", [b.code for b in bands], "分段", "band")
    if domain.max <= domain.min:
        c.add(f"{path}.domain.max", "区间上限必须大于下限", "domain max must exceed min")
        return
    for i, band in enumerate(bands):
        bp = f"{path}.levels[{i}]"
        empty = band.max < band.min or (
            band.max == band.min and not (band.min_inclusive and band.max_inclusive)
        )
        if empty:
            c.add(bp, f"分段 {band.code} 为空区间", f"band {band.code} is empty")
    if domain.integer:
        bounds = [_band_bounds(b) for b in bands]
        if bounds[0][0] != domain.min:
            c.add(
                f"{path}.levels[0].min",
                f"分段未从区间下限 {domain.min:g} 开始",
                f"bands do not start at the domain minimum {domain.min:g}",
            )
        if bounds[-1][1] != domain.max:
            c.add(
                f"{path}.levels[{len(bands) - 1}].max",
                f"分段未覆盖到区间上限 {domain.max:g}",
                f"bands do not reach the domain maximum {domain.max:g}",
            )
        for i in range(1, len(bands)):
            prev_hi, lo = bounds[i - 1][1], bounds[i][0]
            if lo <= prev_hi:
                _overlap(c, f"{path}.levels[{i}]", bands[i - 1], bands[i])
            elif lo > prev_hi + 1:
                _gap(c, f"{path}.levels[{i}]", bands[i - 1], bands[i])
        return
    first, last = bands[0], bands[-1]
    if first.min != domain.min or not first.min_inclusive:
        c.add(
            f"{path}.levels[0].min",
            f"分段未从区间下限 {domain.min:g}（含）开始",
            f"bands do not start at the domain minimum {domain.min:g} (inclusive)",
        )
    if last.max != domain.max or not last.max_inclusive:
        c.add(
            f"{path}.levels[{len(bands) - 1}].max",
            f"分段未覆盖到区间上限 {domain.max:g}（含）",
            f"bands do not reach the domain maximum {domain.max:g} (inclusive)",
        )
    for i in range(1, len(bands)):
        prev, band = bands[i - 1], bands[i]
        if band.min < prev.max or (
            band.min == prev.max and prev.max_inclusive and band.min_inclusive
        ):
            _overlap(c, f"{path}.levels[{i}]", prev, band)
        elif band.min > prev.max or (
            band.min == prev.max and not prev.max_inclusive and not band.min_inclusive
        ):
            _gap(c, f"{path}.levels[{i}]", prev, band)


def _overlap(c: _Checker, path: str, prev: Band, band: Band) -> None:
    c.add(
        path,
        f"分段 {band.code} 与上一段 {prev.code} 重叠",
        f"band {band.code} overlaps the previous band {prev.code}",
    )


def _gap(c: _Checker, path: str, prev: Band, band: Band) -> None:
    c.add(
        path,
        f"分段 {prev.code} 与 {band.code} 之间有空缺",
        f"gap between band {prev.code} and band {band.code}",
    )


def _check_band_grades(
    c: _Checker, path: str, mapping: dict[str, str], bands: Banding, grade_codes: list[str]
) -> None:
    band_codes = [b.code for b in bands.levels]
    for band, grade in mapping.items():
        c.known(f"{path}.{band}", band, band_codes, "分段", "band")
        c.known(f"{path}.{band}", grade, grade_codes, "等级", "grade")
    for band in band_codes:
        if band not in mapping:
            c.add(
                path,
                f"分段 {band} 没有对应的等级",
                f"band {band} is not mapped to a grade",
            )


def _check_grades(
    c: _Checker, scheme: Scheme, decision_codes: list[str], condition_codes: list[str]
) -> None:
    for i, grade in enumerate(scheme.grades):
        gp = f"grades[{i}].decisions"
        d = grade.decisions
        for j, code in enumerate(d.allowed):
            c.known(f"{gp}.allowed[{j}]", code, decision_codes, "决定", "decision")
        for j, code in enumerate(d.forbidden):
            c.known(f"{gp}.forbidden[{j}]", code, decision_codes, "决定", "decision")
            if code in d.allowed:
                c.add(
                    f"{gp}.forbidden[{j}]",
                    f"决定 {_fmt(code)} 同时被允许和禁止",
                    f"decision {_fmt(code)} is both allowed and forbidden",
                )
        if d.recommended is not None and d.recommended not in d.allowed:
            c.add(
                f"{gp}.recommended",
                f"建议的决定 {_fmt(d.recommended)} 不在允许的决定中",
                f"recommended decision {_fmt(d.recommended)} is not among the allowed ones",
            )
        for j, cond in enumerate(d.conditions):
            cp = f"{gp}.conditions[{j}]"
            known = c.known(f"{cp}.decision", cond.decision, decision_codes, "决定", "decision")
            if known and cond.decision not in d.allowed:
                c.add(
                    f"{cp}.decision",
                    f"附条件的决定 {_fmt(cond.decision)} 不在允许的决定中",
                    f"conditional decision {_fmt(cond.decision)} is not allowed by this grade",
                )
            for k, req in enumerate(cond.requires):
                c.known(f"{cp}.requires[{k}]", req, condition_codes, "条件", "condition")


def _check_method(
    c: _Checker,
    scheme: Scheme,
    scales: dict[str, Scale],
    grade_codes: list[str],
    category_codes: list[str],
) -> None:
    method = scheme.method
    referenced: set[str] = set(method.band_grades.values())

    def scale_ref(path: str, code: str) -> Scale | None:
        if c.known(path, code, scales, "量表", "scale"):
            return scales[code]
        return None

    _check_bands(c, "method.bands", method.bands)
    _check_band_grades(c, "method.band_grades", method.band_grades, method.bands, grade_codes)

    if isinstance(method, CompositeMethod):
        scale_ref("method.probability_scale", method.probability_scale)
        scale_ref("method.impact_scale", method.impact_scale)
        if method.aggregation.default not in method.aggregation.methods:
            c.add(
                "method.aggregation.default",
                f"默认汇总方式 {method.aggregation.default} 不在 methods 中",
                f"default aggregation {method.aggregation.default} is not listed in methods",
            )
        band_codes = [b.code for b in method.bands.levels]
        for i, override in enumerate(method.overrides):
            c.known(f"method.overrides[{i}].band", override.band, band_codes, "分段", "band")
            c.known(f"method.overrides[{i}].grade", override.grade, grade_codes, "等级", "grade")
            referenced.add(override.grade)
        dims = [d.code for d in scheme.dimensions]
        c.unique(
            "method.factor_catalogue",
            [f.code for f in method.factor_catalogue],
            "风险因素",
            "factor",
        )
        for i, template in enumerate(method.factor_catalogue):
            if template.dimension is not None:
                c.known(
                    f"method.factor_catalogue[{i}].dimension",
                    template.dimension,
                    dims,
                    "维度",
                    "dimension",
                )
    elif isinstance(method, Gbt20984Method):
        if method.calculation not in method.calculations:
            c.add(
                "method.calculation",
                f"默认计算方法 {method.calculation} 不在 calculations 中",
                f"default calculation {method.calculation} is not listed in calculations",
            )
        av = method.asset_value
        if av.default not in av.allowed:
            c.add(
                "method.asset_value.default",
                f"默认资产赋值方式 {av.default} 不在 allowed 中",
                f"default asset valuation {av.default} is not listed in allowed",
            )
        w = av.weights
        if w.confidentiality + w.integrity + w.availability <= 0:
            c.add("method.asset_value.weights", "权重之和必须大于 0", "weights must sum above 0")
        scale_ref("method.asset_value.rating_scale", av.rating_scale)
        for name in ("value_scale",):
            scale_ref(f"method.asset_value.{name}", getattr(av, name))
        for name in ("threat_scale", "vulnerability_scale", "likelihood_scale", "loss_scale"):
            scale_ref(f"method.{name}", getattr(method, name))
        # Each matrix must map exactly what the method says it maps.
        expected = {
            "likelihood_matrix": (
                method.threat_scale,
                method.vulnerability_scale,
                method.likelihood_scale,
            ),
            "loss_matrix": (av.value_scale, method.vulnerability_scale, method.loss_scale),
            "risk_matrix": (method.likelihood_scale, method.loss_scale, None),
        }
        for name, (rows, cols, result) in expected.items():
            matrix: Matrix = getattr(method, name)
            _check_matrix(c, f"method.{name}", matrix, scales, method.bands.domain)
            for field, want in (("rows", rows), ("columns", cols), ("result_scale", result)):
                got = getattr(matrix, field)
                if got != want:
                    c.add(
                        f"method.{name}.{field}",
                        f"应为 {_fmt(want)}，而不是 {_fmt(got)}",
                        f"should be {_fmt(want)}, not {_fmt(got)}",
                    )
        kinds = [m.kind for m in method.measure_effects]
        for i, kind in enumerate(kinds):
            if kinds.index(kind) != i:
                c.add(
                    f"method.measure_effects[{i}].kind",
                    f"措施类型重复：{kind}",
                    f"duplicate measure kind {kind}",
                )
    else:
        c.unique("method.factors", [f.code for f in method.factors], "筛查因素", "factor")
        for i, factor in enumerate(method.factors):
            if factor.category is not None:
                c.known(
                    f"method.factors[{i}].category",
                    factor.category,
                    category_codes,
                    "类别",
                    "category",
                )
        total = sum(f.weight for f in method.factors)
        if total > method.bands.domain.max:
            c.add(
                "method.factors",
                f"权重之和 {total:g} 超出分值区间上限 {method.bands.domain.max:g}",
                f"weights sum to {total:g}, above the score domain maximum "
                f"{method.bands.domain.max:g}",
            )
        if method.bands.domain.integer:
            for i, factor in enumerate(method.factors):
                if factor.weight != int(factor.weight):
                    c.add(
                        f"method.factors[{i}].weight",
                        "整数分值区间的权重必须为整数",
                        "weights must be whole numbers on an integer score domain",
                    )
        c.known(
            "method.hard_trigger_grade", method.hard_trigger_grade, grade_codes, "等级", "grade"
        )
        referenced.add(method.hard_trigger_grade)
        c.known(
            "method.screening_deadline",
            method.screening_deadline,
            [d.code for d in scheme.deadlines],
            "时限",
            "deadline",
        )
        if method.early_assessment:
            for j, cat in enumerate(method.early_assessment.categories):
                c.known(
                    f"method.early_assessment.categories[{j}]",
                    cat,
                    category_codes,
                    "类别",
                    "category",
                )

    # A grade the method can never produce is almost always a typo in a code.
    for i, grade in enumerate(scheme.grades):
        if grade.code not in referenced:
            c.add(
                f"grades[{i}].code",
                f"等级 {_fmt(grade.code)} 未被评分方法引用，永远不会得出",
                f"grade {_fmt(grade.code)} is never produced by the method",
            )


def _check_matrix(
    c: _Checker, path: str, matrix: Matrix, scales: dict[str, Scale], domain: Domain
) -> None:
    rows = scales.get(matrix.rows)
    cols = scales.get(matrix.columns)
    if rows is None:
        c.known(f"{path}.rows", matrix.rows, scales, "量表", "scale")
    if cols is None:
        c.known(f"{path}.columns", matrix.columns, scales, "量表", "scale")
    if rows is not None and len(matrix.cells) != len(rows.levels):
        c.add(
            f"{path}.cells",
            f"矩阵应有 {len(rows.levels)} 行（量表 {rows.code}），实际 {len(matrix.cells)} 行",
            f"matrix needs {len(rows.levels)} rows (scale {rows.code}), has {len(matrix.cells)}",
        )
    if cols is not None:
        for r, row in enumerate(matrix.cells):
            if len(row) != len(cols.levels):
                c.add(
                    f"{path}.cells[{r}]",
                    f"该行应有 {len(cols.levels)} 列（量表 {cols.code}），实际 {len(row)} 列",
                    f"row needs {len(cols.levels)} columns (scale {cols.code}), has {len(row)}",
                )
    allowed: list[float] | None = None
    if matrix.result_scale is not None:
        result = scales.get(matrix.result_scale)
        if result is None:
            c.known(f"{path}.result_scale", matrix.result_scale, scales, "量表", "scale")
        else:
            allowed = result.values()
    for r, row in enumerate(matrix.cells):
        for k, value in enumerate(row):
            cp = f"{path}.cells[{r}][{k}]"
            if allowed is not None and value not in allowed:
                c.add(
                    cp,
                    f"取值 {value:g} 不是结果量表的取值（{', '.join(f'{v:g}' for v in allowed)}）",
                    f"value {value:g} is not a value of the result scale",
                )
            elif allowed is None and not domain.min <= value <= domain.max:
                c.add(
                    cp,
                    f"取值 {value:g} 超出区间 [{domain.min:g}, {domain.max:g}]",
                    f"value {value:g} is outside [{domain.min:g}, {domain.max:g}]",
                )
            # Risk never falls when an input rises: rows and columns are non-decreasing.
            if k > 0 and value < row[k - 1]:
                c.add(
                    cp,
                    "矩阵必须单调：同一行中取值不得随列增大而减小",
                    "matrix must be monotonic: a value may not fall along a row",
                )
            if r > 0 and k < len(matrix.cells[r - 1]) and value < matrix.cells[r - 1][k]:
                c.add(
                    cp,
                    "矩阵必须单调：同一列中取值不得随行增大而减小",
                    "matrix must be monotonic: a value may not fall down a column",
                )


def _check_procedure(c: _Checker, scheme: Scheme, decision_codes: list[str]) -> None:
    available: set[str] = set()
    produced_at: dict[str, str] = {}
    for i, step in enumerate(scheme.procedure.steps):
        sp = f"procedure.steps[{i}]"
        for j, req in enumerate(step.requires):
            if req not in available:
                c.add(
                    f"{sp}.requires[{j}]",
                    f"{_fmt(req)} 不是前面步骤的代码或产出",
                    f"{_fmt(req)} is neither an earlier step nor an output of one",
                )
        c.unique(f"{sp}.review_chain", [r.code for r in step.review_chain], "审核环节", "stage")
        available.add(step.code)
        for j, output in enumerate(step.produces):
            if output in produced_at:
                c.add(
                    f"{sp}.produces[{j}]",
                    f"产出 {_fmt(output)} 已由 {produced_at[output]} 产生",
                    f"output {_fmt(output)} is already produced by {produced_at[output]}",
                )
            produced_at.setdefault(output, sp)
            available.add(output)
    for i, follow in enumerate(scheme.procedure.follow_up):
        if follow.decision is not None:
            c.known(
                f"procedure.follow_up[{i}].decision",
                follow.decision,
                decision_codes,
                "决定",
                "decision",
            )
        for j, code in enumerate(follow.decisions):
            c.known(
                f"procedure.follow_up[{i}].decisions[{j}]", code, decision_codes, "决定", "decision"
            )


def _check_required_outputs(c: _Checker, scheme: Scheme) -> None:
    """Some step must produce each output the kind needs, in the kind's order."""
    where: dict[str, tuple[int, int]] = {}
    for i, step in enumerate(scheme.procedure.steps):
        for j, output in enumerate(step.produces):
            where.setdefault(output, (i, j))
    previous: str | None = None
    for code in REQUIRED_OUTPUTS[scheme.kind]:
        name = REQUIRED_OUTPUT_NAMES.get(code, code)
        if code not in where:
            c.add(
                "procedure.steps",
                f"{scheme.kind} 类方案须有一个步骤产出 {_fmt(code)}（{name}），"
                f"应在某一步骤的 produces 中列出",
                f"a {scheme.kind} scheme needs a step that produces {_fmt(code)}; "
                f"list it in the produces of a step",
            )
            continue
        if previous is not None and where[code][0] < where[previous][0]:
            i, j = where[code]
            c.add(
                f"procedure.steps[{i}].produces[{j}]",
                f"产出 {_fmt(code)}（{name}）的步骤须在产出 {_fmt(previous)} 的步骤之后",
                f"the step producing {_fmt(code)} must come after the one producing "
                f"{_fmt(previous)}",
            )
        previous = code


_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _check_deadlines(c: _Checker, scheme: Scheme) -> None:
    steps = scheme.procedure.step_codes()
    events = set(steps) | {o for s in scheme.procedure.steps for o in s.produces}
    for i, deadline in enumerate(scheme.deadlines):
        dp = f"deadlines[{i}]"
        if deadline.step is not None:
            c.known(f"{dp}.step", deadline.step, steps, "步骤", "step")
        if deadline.recipient_kinds and len(deadline.recipient_kinds) != len(deadline.recipients):
            c.add(
                f"{dp}.recipient_kinds",
                "recipient_kinds 须与 recipients 一一对应",
                "recipient_kinds must name the kind of each of the recipients, in order",
            )
        rule = deadline.rule
        if isinstance(rule, YearlyRule) and rule.day > _DAYS_IN_MONTH[rule.month - 1]:
            c.add(
                f"{dp}.rule.day",
                f"{rule.month} 月没有 {rule.day} 日",
                f"month {rule.month} has no day {rule.day}",
            )
        if isinstance(rule, MonthlyRule) and rule.day > 28:
            # A monthly day past the 28th does not exist in every month.
            c.add(
                f"{dp}.rule.day",
                "每月时限的日期不能超过 28 日",
                "a monthly deadline day must be 28 or earlier",
            )
        if isinstance(rule, AfterEventRule):
            c.known(f"{dp}.rule.event", rule.event, events, "事件（步骤或产出）", "event")
        if deadline.reminders is not None:
            _check_reminders(c, f"{dp}.reminders", deadline.reminders)
    if scheme.supervision is not None:
        _check_reminders(c, "supervision.reminders", scheme.supervision.reminders)
        c.unique(
            "supervision.evaluation",
            [i.code for i in scheme.supervision.evaluation],
            "考核项目",
            "evaluation item",
        )
        for i, item in enumerate(scheme.supervision.evaluation):
            if item.cap is not None and item.kind != "deduct":
                c.add(
                    f"supervision.evaluation[{i}].cap",
                    "只有扣分项可以设扣分上限",
                    "only a deduct item has a cap",
                )
        postponed = scheme.supervision.reassess_postponed
        if postponed is not None:
            outcomes = [d.code for d in scheme.decisions]
            for i, code in enumerate(postponed.outcomes):
                c.known(
                    f"supervision.reassess_postponed.outcomes[{i}]",
                    code,
                    outcomes,
                    "决定",
                    "decision",
                )


def _check_reminders(c: _Checker, path: str, policy: ReminderPolicy) -> None:
    if any(d < 1 or d > 90 for d in policy.before):
        c.add(f"{path}.before", "提前提醒天数须在 1 到 90 之间", "days before must be 1–90")
    if len(set(policy.before)) != len(policy.before):
        c.add(f"{path}.before", "提前提醒天数不能重复", "days before must not repeat")
    days = [s.after_days for s in policy.escalation]
    if days != sorted(days) or len(set(days)) != len(days):
        c.add(
            f"{path}.escalation",
            "逾期升级须按天数从小到大排列且不重复",
            "escalation stages must be in increasing order of days",
        )


def walk_strings(value: Any, path: str = "") -> Iterator[tuple[str, str, str]]:
    """Yield (path, field name, string) for every string in a dumped scheme.

    Used by the tests and tools that check verbatim fields against the source.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            sub = f"{path}.{key}" if path else str(key)
            if isinstance(item, str):
                yield sub, str(key), item
            elif isinstance(item, list) and all(isinstance(x, str) for x in item):
                for n, text in enumerate(item):
                    yield f"{sub}[{n}]", str(key), text
            else:
                yield from walk_strings(item, sub)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from walk_strings(item, f"{path}[{n}]")
