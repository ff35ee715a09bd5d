"""What the frozen scheme requires: which decisions the grade, the conditions, the
majority rule and the gates allow. (Which outputs exist and which step is open is the
procedure engine's, `fengping.procedure`; the outputs are registered in `outputs.py`.)

Pure reads over an assessment; the actions call them inside their transactions, and the
pages call them to show why a button is disabled — one rule, every door.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from fengping.procedure.engine import find_step_producing
from fengping.schemes.model import Grade, ReactionFloor

from .models import Assessment, RiskFactor, answer_accepted, answer_failed


def opinion_summary(assessment: Assessment) -> Any:
    from fengping.opinions.queries import matter_opinion_summary

    return matter_opinion_summary(assessment.matter)


# ------------------------------------------------------------------ the analysis step


def estimate_label(field: str) -> str:
    return str(RiskFactor._meta.get_field(field).verbose_name)


def missing_estimates(a: Assessment, factor: RiskFactor) -> list[str]:
    """The estimates the scheme requires (篇1 六(一)3, 篇3 六(四)) that `factor` lacks."""
    out = []
    for field in a.scheme.factor_estimates.required:
        value = getattr(factor, field)
        if value is None or (isinstance(value, str) and not value.strip()):
            out.append(field)
    return out


def estimates_refusal(a: Assessment, factor: RiskFactor) -> str:
    """Why `factor` may not stand as it is ("" when its estimates are complete)."""
    missing = missing_estimates(a, factor)
    if not missing:
        return ""
    return _("风险因素“%(t)s”须填写：%(m)s。方案规定：%(q)s") % {
        "t": factor.title,
        "m": "、".join(estimate_label(f) for f in missing),
        "q": a.scheme.factor_estimates.quote or "",
    }


@dataclass(frozen=True)
class ChecklistItem:
    dimension: Any  # schemes.model.Dimension
    no: int  # 0-based
    text: str
    answer_type: str
    row: Any  # ChecklistAnswer or None

    @property
    def answered(self) -> bool:
        """Answered in the way the scheme asks (an answer of another type does not count)."""
        return self.row is not None and answer_accepted(self.answer_type, self.row.answer)

    @property
    def failed(self) -> bool:
        return self.answered and answer_failed(self.answer_type, self.row.answer)

    @property
    def problem(self) -> str:
        """What is wrong with this item for the analysis step ("" when nothing)."""
        if not self.answered:
            return str(_("未作答")) if self.row is None else str(_("未按规定方式作答"))
        if self.answer_type == "written" and self.row.answer == "written" and not self.row.note:
            return str(_("未填写评估意见"))
        if self.failed and not self.row.note.strip():
            return str(_("未说明情况"))
        return ""


def checklist_items(a: Assessment) -> list[ChecklistItem]:
    """Every checklist item of the frozen scheme with its answer type and stored answer."""
    rows = {(c.dimension, c.item_no): c for c in a.checklist.select_related("answered_by")}
    return [
        ChecklistItem(d, i, text, d.answer_type(i), rows.get((d.code, i)))
        for d in a.scheme.dimensions
        for i, text in enumerate(d.items)
    ]


def checklist_refusal(a: Assessment, items: list[ChecklistItem] | None = None) -> str:
    """Why the checklist does not yet support the analysis ("" when it does): every item
    answered the way the scheme asks, a failed item (不符合, or a yes/no answered the bad
    way) explained, and each dimension with a failed item has a risk factor of its own."""
    items = checklist_items(a) if items is None else items
    problems = [it for it in items if it.problem]
    if problems:
        listed = "；".join(
            _("%(d)s第%(n)s项“%(t)s”%(p)s")
            % {"d": it.dimension.label, "n": it.no + 1, "t": it.text, "p": it.problem}
            for it in problems[:5]
        )
        more = _("等 %(n)s 项") % {"n": len(problems)} if len(problems) > 5 else ""
        return _("评估清单须逐项按方案规定的方式作答：%(l)s%(m)s") % {"l": listed, "m": more}
    with_factors = set(a.factors.values_list("dimension", flat=True))
    for it in items:
        if it.failed and it.dimension.code not in with_factors:
            return _(
                "评估清单%(d)s第%(n)s项“%(t)s”的结论为“%(r)s”，"
                "须在“%(d)s”维度登记相应的风险因素并逐项分析预测"
            ) % {
                "d": it.dimension.label,
                "n": it.no + 1,
                "t": it.text,
                "r": it.row.get_answer_display(),
            }
    return ""


def analysis_refusal(a: Assessment) -> str:
    """Why the analysis step may not be completed yet ("" when it may): the checklist,
    and every factor carrying the estimates the scheme requires."""
    for factor in a.factors.all():
        if why := estimates_refusal(a, factor):
            return why
    return checklist_refusal(a)


# ------------------------------------------------------------------ grade floor


@dataclass(frozen=True)
class GradeFloor:
    """The public's reaction keeps the grade at least ``floor.at_least`` (scheme
    ``grading.public_reaction_floor``); ``reason`` quotes the rule with the figures."""

    floor: ReactionFloor
    computed: str  # the grade the factor scores gave
    grade: str  # the grade after the floor
    reason: str


def reaction_floor(a: Assessment, computed: str, summary: Any = None) -> GradeFloor | None:
    """The most severe floor of the frozen scheme that the pooled oppose rate (every
    channel) exceeds, when it lifts ``computed``; else None."""
    grading = a.scheme.grading
    if grading is None or not grading.public_reaction_floor:
        return None
    severity = {g.code: g.severity for g in a.scheme.grades}
    labels = {g.code: g.label for g in a.scheme.grades}
    summary = summary if summary is not None else opinion_summary(a)
    pooled = summary.all_channels
    rate = pooled.oppose_rate
    if rate is None:
        return None
    hits = [f for f in grading.public_reaction_floor if rate > f.oppose_rate_over]
    if not hits:
        return None
    floor = max(hits, key=lambda f: severity.get(f.at_least, 0))
    if severity.get(computed, 0) >= severity.get(floor.at_least, 0):
        return None
    reason = _(
        "各渠道合计反对 %(o)s/%(n)s 人（%(r).1f%%），超过 %(t).0f%%，风险等级至少为%(g)s"
        "（按风险因素计算为%(c)s）。方案规定：%(q)s"
    ) % {
        "o": pooled.oppose,
        "n": pooled.with_stance,
        "r": rate * 100,
        "t": floor.oppose_rate_over * 100,
        "g": labels.get(floor.at_least, floor.at_least),
        "c": labels.get(computed, computed),
        "q": floor.quote,
    }
    return GradeFloor(floor, computed, floor.at_least, reason)


# ------------------------------------------------------------------ decisions


@dataclass(frozen=True)
class Refusal:
    rule: str  # which rule refused
    message: str  # the message quoting the rule (and the figures)


def grade_of(a: Assessment) -> Grade | None:
    """The grade every rule reads: the computed one unless an override was approved."""
    grade: Grade | None = a.grade_obj()
    return grade


def decision_label(a: Assessment, code: str) -> str:
    return next((d.label for d in a.scheme.decisions if d.code == code), code)


def condition_met(a: Assessment, code: str) -> bool:
    if code == "assessment_completed":
        # Completed = the report exists and the step that produces it has been completed.
        report = find_step_producing(a.scheme, "report")
        return (
            report is not None
            and a.report_generated_at is not None
            and a.steps.filter(step_code=report.code, state="done").exists()
        )
    if code == "plan_filed":
        return a.matter.plan_filed_on is not None
    # Recorded by the worker is not enough: a leader must have confirmed it.
    return a.conditions.filter(code=code, confirmed_by__isnull=False).exists()


def condition_label(a: Assessment, code: str) -> tuple[str, str]:
    for c in a.scheme.conditions:
        if c.code == code:
            return c.label, c.quote or ""
    return code, ""


def refusals(a: Assessment, outcome: str) -> list[Refusal]:
    """Every rule of the frozen scheme that forbids `outcome` now, with its quote."""
    out: list[Refusal] = []
    label = decision_label(a, outcome)
    grade = grade_of(a)
    if grade is None:
        out.append(Refusal("grade", _("尚未确定风险等级，不能作出决定")))
        return out
    if outcome in grade.decisions.forbidden or outcome not in grade.decisions.allowed:
        quote = grade.recommendation or grade.definition or ""
        out.append(
            Refusal(
                "grade",
                _("风险等级为%(g)s，不能作出“%(d)s”的决定。方案规定：%(q)s")
                % {"g": grade.label, "d": label, "q": quote},
            )
        )
    for cond in grade.decisions.conditions:
        if cond.decision != outcome:
            continue
        for code in cond.requires:
            if not condition_met(a, code):
                clabel, quote = condition_label(a, code)
                out.append(
                    Refusal(
                        "condition",
                        _("“%(d)s”须先满足：%(c)s。%(q)s") % {"d": label, "c": clabel, "q": quote},
                    )
                )
    rule = a.scheme.majority_rule
    if rule is not None and outcome in rule.forbids:
        from fengping.opinions.queries import combine_text, majority_check

        finding = majority_check(rule, opinion_summary(a))
        if finding is not None:
            out.append(
                Refusal(
                    "majority",
                    _(
                        "征求意见中反对的比例超过 %(t).0f%%（%(how)s）：%(f)s，"
                        "不能作出“%(d)s”的决定。方案规定：%(q)s"
                    )
                    % {
                        "t": rule.threshold * 100,
                        "how": combine_text(rule),
                        "f": finding.figures,
                        "d": label,
                        "q": rule.quote,
                    },
                )
            )
    for gate in a.scheme.gates:
        if outcome not in gate.blocks:
            continue
        if gate.applies_to and a.matter.category_code not in gate.applies_to:
            continue
        unmet = [code for code in gate.unless if not condition_met(a, code)]
        if unmet:
            out.append(Refusal("gate", _("%(g)s：%(q)s") % {"g": gate.label, "q": gate.quote}))
    return out


# ------------------------------------------------------------------ consultation and plan


def _quoted(rule: Any) -> str:
    """A rule's quote with where it stands: （篇3 六(三)）及时回复社会各界和群众的质疑."""
    cite = f"（{rule.cite}）" if rule.cite else ""
    return _("方案规定%(c)s：%(q)s") % {"c": cite, "q": rule.quote}


def plan_refusals(a: Assessment) -> list[Refusal]:
    """What the frozen scheme's consultation rules require of the plan and the team before
    the step producing the plan may be completed: the methods stated (篇3 六(二) 明确评估
    责任、内容、方法), and invited experts and public representatives on the team (篇1 七(三))."""

    rules_ = a.scheme.consultation
    if rules_ is None:
        return []
    out: list[Refusal] = []
    if rules_.plan_methods is not None and not a.plan_methods.strip():
        out.append(
            Refusal("plan_methods", _("评估方案未写明评估方法。") + _quoted(rules_.plan_methods))
        )
    return out + team_refusals(a)


def team_refusals(a: Assessment, without: Any = None) -> list[Refusal]:
    """The experts and public representatives the scheme requires on the team (篇1 七(三)),
    counted without the member `without` (one about to leave)."""
    from .models import MemberKind

    rules_ = a.scheme.consultation
    team = rules_.team if rules_ is not None else None
    out: list[Refusal] = []
    if team is not None:
        members = a.team.exclude(pk=without.pk) if without is not None else a.team.all()
        kinds = list(members.values_list("kind", flat=True))
        experts, public = kinds.count(MemberKind.EXPERT), kinds.count(MemberKind.PUBLIC)
        if experts < team.min_experts:
            out.append(
                Refusal(
                    "team_experts",
                    _("评估组须有至少 %(n)s 名特邀专家（现有 %(h)s 名）。")
                    % {"n": team.min_experts, "h": experts}
                    + _quoted(team),
                )
            )
        if public < team.min_public:
            out.append(
                Refusal(
                    "team_public",
                    _("评估组须有至少 %(n)s 名群众代表（现有 %(h)s 名）。")
                    % {"n": team.min_public, "h": public}
                    + _quoted(team),
                )
            )
    return out


def _activity_label(code: str) -> str:
    from fengping.opinions.models import ActivityKind

    return str(dict(ActivityKind.choices).get(code, code))


def consultation_refusals(a: Assessment) -> list[Refusal]:
    """What the frozen scheme requires of the consultation before the step producing the
    opinions may be completed, each refusal with its rule quoted: the minimum answers and
    activities, every 质疑 answered, the interest group consulted, and the activities a
    重大复杂疑难 or 争议较大 matter needs."""
    from django.db.models import Count

    from fengping.opinions.models import Activity, Comment
    from fengping.opinions.queries import response_count

    rules_ = a.scheme.consultation
    if rules_ is None:
        return []
    matter = a.matter
    # A few small counts (not the full summary, which also extracts keywords).
    respondents = response_count(matter)
    kinds = dict(
        Activity.objects.filter(matter=matter)
        .order_by()
        .values("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    unanswered = Comment.objects.filter(
        matter=matter, is_query=True, replied_at__isnull=True
    ).count()
    out: list[Refusal] = []
    low = rules_.minimum
    activity_count = sum(kinds.values())
    if respondents < low.min_responses:
        out.append(
            Refusal(
                "min_responses",
                _("征求意见须有至少 %(n)s 份问卷答卷（现有 %(h)s 份）。")
                % {"n": low.min_responses, "h": respondents},
            )
        )
    if activity_count < low.min_activities:
        out.append(
            Refusal(
                "min_activities",
                _("征求意见须有至少 %(n)s 次征求意见活动（现有 %(h)s 次）。")
                % {"n": low.min_activities, "h": activity_count},
            )
        )
    if rules_.queries_answered is not None and unanswered:
        out.append(
            Refusal(
                "queries_answered",
                _("尚有 %(n)s 条质疑未回复。") % {"n": unanswered}
                + _quoted(rules_.queries_answered),
            )
        )
    group_rule = rules_.interest_group
    if group_rule is not None:
        group = group_rule.group
        heard = response_count(matter, group=group) > 0 or any(
            group in (g or [])
            for g in Activity.objects.filter(matter=matter).values_list("groups", flat=True)
        )
        if not heard:
            out.append(
                Refusal(
                    "interest_group",
                    _(
                        "尚未征求“%(g)s”的意见（须有该群体的问卷答卷，或有该群体参加的征求意见活动）。"
                    )
                    % {"g": group}
                    + _quoted(group_rule),
                )
            )
    for flag, rule, what in (
        ("complex_difficult", rules_.complex_matter, _("重大复杂疑难事项")),
        ("contested", rules_.contested_matter, _("争议较大、专业性较强或影响面较广的事项")),
    ):
        if rule is None or not getattr(matter, flag):
            continue
        if not any(kinds.get(kind) for kind in rule.activities):
            names = "、".join(_activity_label(k) for k in rule.activities)
            out.append(
                Refusal(
                    flag,
                    _("本事项登记为%(w)s，须先开展%(k)s并登记。") % {"w": what, "k": names}
                    + _quoted(rule),
                )
            )
    return out


def step_refusals(a: Assessment, step: Any) -> list[Refusal]:
    """The plan and consultation rules that keep `step` (a scheme Step) from completing."""
    out: list[Refusal] = []
    if "assessment_plan" in step.produces:
        out += plan_refusals(a)
    if "opinions" in step.produces:
        out += consultation_refusals(a)
    return out
