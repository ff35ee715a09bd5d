"""A social-stability risk assessment of one matter, run through its scheme's procedure.

The scheme is frozen when the assessment starts: its canonical JSON and content hash are
stored here, so a later edit of the scheme never rewrites a past result. Every row belongs
to the matter's 责任主体 for access (`org.access`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengping.core.files import StoredFile, stored_file_path
from fengping.matters.models import Matter
from fengping.org.models import Department, Scoped
from fengping.procedure import engine
from fengping.procedure.models import Run, StepRecordBase
from fengping.procedure.models import StepState as StepState  # the engine's step states
from fengping.schemes.model import Step

MATTER_PATH = "matter__department__path"
ASSESSMENT_PATH = "assessment__matter__department__path"


# 篇3 六(八), quoted when the follow-up is not reached yet.
FOLLOW_UP_QUOTE = _(
    "重大事项出台实施后，责任主体部门要根据分析评估情况，制定和落实化解不稳定因素、"
    "维护社会稳定的应对措施。对可能出现的不稳定隐患要制定应对预案。"
)


# 篇1 六(二) and 篇3 六(八), quoted when opposition during implementation needs a new decision.
REDECISION_QUOTE = _(
    "对不能使大多数群众理解支持的事项坚决终止实施（篇1 六(二)）；在重大事项实施过程中出现"
    "新的重大不稳定情况，责任部门要按照预案及时妥善处置，或对重大事项做出适当调整（篇3 六(八)）。"
)
TERMINATE = "terminate"
ADJUST = "adjust"
IMPLEMENTING_OUTCOMES = frozenset({"implement", "implement_partially", ADJUST})
FOLLOW_UP_RECORD_KINDS = {
    "response_measures": "response",
    "countermeasures": "counter",
    "contingency_plan": "contingency",
}
FOLLOW_UP_RECORD_LABELS = {
    "response_measures": _("应对措施（具体措施）"),
    "countermeasures": _("对策"),
    "contingency_plan": _("应急预案"),
}


class AssessmentStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("评估中")
    DECIDED = "decided", _("已决定")
    FOLLOW_UP = "follow_up", _("跟踪落实中")
    CLOSED = "closed", _("已办结")


class Assessment(Run):
    """A run of the procedure engine (`fengping.procedure`): the scheme fields, the
    current step and the version come from `Run`."""

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.IN_PROGRESS,
        db_index=True,
    )
    # 评估方案 (the plan): 明确评估牵头和协助部门责任、评估人员责任 … 评估责任、内容、方法
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("评估牵头部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assisting_departments = models.ManyToManyField(
        Department, verbose_name=_("评估协助部门"), blank=True, related_name="+"
    )
    plan_content = models.TextField(_("评估内容与责任"), blank=True)
    plan_methods = models.TextField(_("评估方法"), blank=True)
    schedule_start = models.DateField(_("评估开始日期"), null=True, blank=True)
    schedule_end = models.DateField(_("评估完成日期"), null=True, blank=True)
    # Grading
    computed_index = models.FloatField(_("综合风险指数"), null=True, blank=True)
    computed_band = models.CharField(_("风险区间"), max_length=32, blank=True)
    computed_grade = models.CharField(_("计算等级"), max_length=32, blank=True)
    initial_index = models.FloatField(_("措施前综合风险指数"), null=True, blank=True)
    initial_grade = models.CharField(_("措施前等级"), max_length=32, blank=True)
    grade = models.CharField(_("风险等级"), max_length=32, blank=True, db_index=True)
    grade_override_reason = models.TextField(_("调整等级的理由"), blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    graded_at = models.DateTimeField(null=True, blank=True)
    written_opinion = models.TextField(_("责任主体书面意见"), blank=True)
    recommendation = models.TextField(_("实施建议"), blank=True)
    major_stability_issue = models.BooleanField(_("存在涉稳重大问题"), default=False)
    mitigation_plan = models.TextField(_("化解矛盾方案"), blank=True)
    contingency_plan = models.TextField(_("应急处置预案"), blank=True)
    report_generated_at = models.DateTimeField(_("报告生成时间"), null=True, blank=True)
    report_sha256 = models.CharField(max_length=64, blank=True)
    # The version number of the last generated report (0: none yet). The current report
    # is that version while report_generated_at is set; a send-back voids it.
    report_version = models.PositiveIntegerField(_("报告版本"), default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = MATTER_PATH
    audit_fields: ClassVar[tuple[str, ...]] = (
        "status",
        "current_step",
        "lead_department",
        "plan_content",
        "plan_methods",
        "schedule_start",
        "schedule_end",
        "computed_index",
        "computed_grade",
        "grade",
        "grade_override_reason",
        "written_opinion",
        "recommendation",
        "major_stability_issue",
        "mitigation_plan",
        "contingency_plan",
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("风险评估")
        verbose_name_plural = _("风险评估")
        indexes = [
            models.Index(fields=["status", "current_step"], name="assessment_status_step_idx")
        ]

    def __str__(self) -> str:
        return f"{self.matter.title} · {_('风险评估')}"

    @property
    def audit_scope_path(self) -> str:
        return self.matter.department.path

    def effective_grade(self) -> str:
        """The grade every decision rule, page and report reads: the computed grade, or the
        grade of an approved override of that computed grade (`GradeOverride`). A proposal
        not yet approved changes nothing."""
        if not self.computed_grade:
            return self.grade
        approved = self.approved_override()
        if approved is not None and approved.computed_grade == self.computed_grade:
            return approved.proposed_grade
        return self.computed_grade

    def approved_override(self) -> GradeOverride | None:
        return self.overrides.filter(state=OverrideState.APPROVED).first()

    def pending_override(self) -> GradeOverride | None:
        return self.overrides.filter(state=OverrideState.PROPOSED).first()

    def grade_obj(self) -> Any:
        code = self.effective_grade()
        return next((g for g in self.scheme.grades if g.code == code), None)

    @property
    def grade_label(self) -> str:
        grade = self.grade_obj()
        return grade.label if grade else ""

    # ---- small state checks: the actions raise on them, pages and the API read them

    def has_decision(self) -> bool:
        return Decision.objects.filter(assessment=self).exists()

    def is_open(self) -> bool:
        """Steps may still be completed: in progress, or decided and being followed up."""
        return self.status in (AssessmentStatus.IN_PROGRESS, AssessmentStatus.FOLLOW_UP)

    def is_content_open(self) -> bool:
        """The content (plan, team, factors, checklist, grade, report) is frozen once decided."""
        return self.status == AssessmentStatus.IN_PROGRESS and not self.has_decision()

    def report_is_current(self) -> bool:
        """A generated report stands (not voided by a send-back)."""
        return self.report_generated_at is not None

    def lock_refusal(self) -> str:
        """Why what the generated report rests on (plan, team, factors, scores, measures,
        checklist, grade, written opinion, the consultation) may not change now ("" when
        it may). Once the report is generated it is locked until a send-back with a
        reason voids the report version and every review of the round."""
        if not self.is_content_open():
            return str(
                _("评估已作出决定，不能再修改评估内容；如出现新情况，请登记不稳定情况并重新评估。")
            )
        if self.report_is_current():
            return str(
                _(
                    "评估报告（第%(n)s版）已生成，报告所依据的评估方案、评估人员、风险因素、"
                    "评分、化解措施、评估清单、风险等级、书面意见和征求意见情况均已锁定。"
                    "如需修改，请先退回到相应步骤并说明理由：退回将作废该版报告及本轮全部审查意见，"
                    "修改后重新生成报告、重新审查。"
                )
                % {"n": self.report_version or 1}
            )
        return ""

    @property
    def content_locked(self) -> bool:
        return bool(self.lock_refusal())

    def report_refusal(self) -> str:
        """Why a report cannot be generated now ("" when it can): only at the report step,
        that is after the grade step is complete, and before it is submitted for review."""
        if not self.is_content_open():
            return str(_("评估已作出决定，不能再生成评估报告"))
        producer = engine.find_step_producing(self.scheme, "report")
        grader = engine.find_step_producing(self.scheme, "risk_grade")
        if producer is None:
            if (
                grader is not None
                and not self.steps.filter(step_code=grader.code, state=StepState.DONE).exists()
            ):
                return str(_("“%(s)s”步骤尚未完成，不能生成评估报告") % {"s": grader.label})
            return ""
        codes = self.scheme.procedure.step_codes()
        at = codes.index(self.current_step) if self.current_step in codes else -1
        if at < codes.index(producer.code):
            before = grader if grader is not None and grader.code != producer.code else None
            label = engine.step(self.scheme, self.current_step).label if at >= 0 else ""
            return str(
                _("评估报告在“%(r)s”步骤生成，须先完成%(g)s前面的步骤；当前步骤为“%(c)s”。")
                % {
                    "r": producer.label,
                    "g": (_("“%(s)s”及") % {"s": before.label}) if before else "",
                    "c": label,
                }
            )
        if at > codes.index(producer.code):
            return str(
                _(
                    "评估报告（第%(n)s版）已提交审查，不能重新生成；如需修改，"
                    "请先退回并说明理由（退回将作废该版报告及本轮全部审查意见）。"
                )
                % {"n": self.report_version or 1}
            )
        return ""

    def can_generate_report(self) -> bool:
        return not self.report_refusal()

    def decide_step(self) -> Step | None:
        """The step of the frozen procedure that produces the decision."""
        return engine.find_step_producing(self.scheme, "decision")

    def at_decide_step(self) -> bool:
        decide = self.decide_step()
        return decide is not None and self.current_step == decide.code

    def review_round(self) -> int:
        """Reviews restart after each send-back: a round with a review that sent the
        report back, or whose reviews a send-back voided, is over; the next one follows."""
        last = self.reviews.order_by("-round").values_list("round", flat=True).first()
        if last is None:
            return 1
        over = (
            self.reviews.filter(round=last)
            .filter(models.Q(result=ReviewResult.SENT_BACK) | models.Q(voided_at__isnull=False))
            .exists()
        )
        return last + 1 if over else last

    def filing_deadline(self) -> Any:
        """The scheme's deadline for filing the decision (the one after the decision)."""
        decide = self.decide_step()
        for d in self.scheme.deadlines:
            rule = d.rule
            if getattr(rule, "event", None) == "decision" or (
                decide is not None and d.step == decide.code and d.code == "filing"
            ):
                return d
        return None

    def filing_recipients(self) -> list[tuple[str, str]]:
        """(office kind, name as the scheme writes it) of every office the decision is
        filed with: 篇3 六(七) 分别报镇维稳办、镇联席办备案. [D] A scheme naming no kinds
        needs one filing with a supervising office."""
        d = self.filing_deadline()
        if d is None or not d.recipient_kinds:
            return []
        return list(zip(d.recipient_kinds, d.recipients, strict=False))

    def filings_missing(self) -> list[str]:
        """The recipients (as the scheme names them) that have no filing yet."""
        filed = set(self.filings.values_list("office__kind", flat=True))
        recipients = self.filing_recipients()
        if not recipients:
            return [] if filed else [str(_("维稳办或联席会议办公室"))]
        return [name for kind, name in recipients if kind not in filed]

    def filing_complete(self) -> bool:
        return not self.filings_missing()

    def follow_up_steps(self) -> list[Step]:
        """The steps after the decision (篇3 六(八) 落实应对措施)."""
        steps = self.scheme.procedure.steps
        decide = self.decide_step()
        if decide is None:
            return []
        return steps[[s.code for s in steps].index(decide.code) + 1 :]

    def finish_refusal(self) -> str:
        """Why the follow-up cannot be finished now ("" when it can): the assessment must
        be decided, filed and in follow-up, the follow-up steps done and every measure
        carried out (篇3 六(八); 篇1 六(二) 坚持全程跟踪做好后续工作)."""
        if self.status == AssessmentStatus.CLOSED:
            return str(_("评估已办结"))
        if self.status != AssessmentStatus.FOLLOW_UP:
            return str(
                _(
                    "评估尚未进入跟踪落实阶段，不能办结：须先作出决定、备案，"
                    "再制定和落实应对措施。方案规定：%(q)s"
                )
                % {"q": FOLLOW_UP_QUOTE}
            )
        pending = self.redecision_pending()
        if pending:
            return pending
        missing = self.follow_up_missing_text()
        if missing:
            return missing
        done = set(self.steps.filter(state=StepState.DONE).values_list("step_code", flat=True))
        for s in self.follow_up_steps():
            if s.code not in done:
                return str(
                    _("“%(s)s”步骤尚未完成，不能办结。方案规定：%(q)s")
                    % {"s": s.label, "q": s.text or FOLLOW_UP_QUOTE}
                )
        open_measures = list(
            self.measures.exclude(status=MeasureStatus.DONE).values_list("title", flat=True)
        )
        if open_measures:
            return str(_("仍有未落实的应对措施：%(m)s") % {"m": "、".join(open_measures[:5])})
        return ""

    def can_finish(self) -> bool:
        return not self.finish_refusal()

    # ---- decision history and follow-up rules (篇1 六(二); 篇3 六(八))

    def decision_history(self) -> list[Any]:
        """The decision, then every later decision (its own 文号 and date), oldest first."""
        first = Decision.objects.filter(assessment=self).first()
        return ([first] if first else []) + list(self.later_decisions.all())

    def current_decision(self) -> Any:
        """The decision in force: the latest later decision, else the decision."""
        later = self.later_decisions.last()
        return later or Decision.objects.filter(assessment=self).first()

    def current_outcome(self) -> str:
        current = self.current_decision()
        return current.outcome if current is not None else ""

    def is_implementing(self) -> bool:
        """实施、部分实施, or 调整 (implementation goes on, adjusted)."""
        return self.current_outcome() in IMPLEMENTING_OUTCOMES

    def follow_up_rules_apply(self) -> bool:
        """The frozen scheme says what each decision's follow-up needs (篇1 六(二));
        without such rules every output of the follow-up step is needed (篇3 六(八))."""
        return any(f.requires for f in self.scheme.procedure.follow_up)

    def follow_up_needs(self) -> list[tuple[str, str]]:
        """(record, quoted rule) the decision in force needs, in the scheme's order."""
        outcome = self.current_outcome()
        if not outcome:
            return []
        if outcome == ADJUST:
            outcome = "implement"  # an adjusted matter is still being implemented
        out: list[tuple[str, str]] = []
        for rule in self.scheme.procedure.follow_up:
            if rule.applies_to(outcome):
                out.extend((code, rule.text) for code in rule.requires if code not in dict(out))
        return out

    def has_follow_up_record(self, code: str) -> bool:
        if code == "contingency_plan" and self.contingency_plan.strip():
            return True
        kind = FOLLOW_UP_RECORD_KINDS.get(code)
        return kind is not None and self.measures.filter(kind=kind).exists()

    def follow_up_missing(self) -> list[tuple[str, str]]:
        return [(c, q) for c, q in self.follow_up_needs() if not self.has_follow_up_record(c)]

    def follow_up_missing_text(self) -> str:
        missing = self.follow_up_missing()
        if not missing:
            return ""
        labels = "、".join(str(FOLLOW_UP_RECORD_LABELS[c]) for c, _q in missing)
        quotes = "；".join(dict.fromkeys(q for _c, q in missing))
        return str(
            _("“%(d)s”的决定须先登记：%(m)s。方案规定：%(q)s")
            % {"d": self.current_decision().outcome_label, "m": labels, "q": quotes}
        )

    def conditions_open(self) -> bool:
        """Conditions that open a decision (B: 化解矛盾方案 approved; C: 防范化解工作) are
        recorded and confirmed before the decision, or, for a postponed matter, before it
        comes back for a new one (篇1 六(二) 待化解矛盾、时机成熟后再行实施)."""
        if self.is_content_open():
            return True
        return self.status == AssessmentStatus.FOLLOW_UP and self.current_outcome() == "postpone"

    def redecision_triggers(self) -> list[Any]:
        """What happened since the decision in force that opposes its implementation: an
        incident (新的重大不稳定情况), or a follow-up survey whose oppose rate breaches the
        scheme's majority rule. Only while the matter is being implemented."""
        if self.status != AssessmentStatus.FOLLOW_UP or not self.is_implementing():
            return []
        since = self.current_decision().recorded_at
        found: list[Any] = list(self.incidents.filter(recorded_at__gt=since))
        found += [s for s in self.surveys.filter(recorded_at__gt=since) if s.breaches_majority()]
        return sorted(found, key=lambda r: r.recorded_at)

    def redecision_pending(self) -> str:
        """Why a new decision (终止实施 or 调整, with its own 文号) is due now, or ""."""
        triggers = self.redecision_triggers()
        if not triggers:
            return ""
        return str(
            _(
                "实施过程中出现了反对或新的不稳定情况（%(t)s），不能继续按原决定实施：须作出"
                "终止实施或调整的新决定（另行发文，写明文号、日期和理由）。方案规定：%(q)s"
            )
            % {"t": "；".join(t.trigger_text() for t in triggers), "q": REDECISION_QUOTE}
        )

    def majority_breached_since_decision(self) -> Any:
        """The follow-up survey that shows most people opposed, if any is pending."""
        return next((t for t in self.redecision_triggers() if isinstance(t, FollowUpSurvey)), None)

    def redecision_options(self) -> list[tuple[str, str]]:
        """The new decisions that may be recorded now, as (code, label)."""
        labels = {d.code: d.label for d in self.scheme.decisions}
        if self.status != AssessmentStatus.FOLLOW_UP:
            return []
        if self.redecision_triggers():
            out = [(TERMINATE, labels.get(TERMINATE, str(_("终止实施"))))]
            if self.majority_breached_since_decision() is None:
                out.append((ADJUST, str(_("调整实施"))))
            return out
        if self.current_outcome() == "postpone":
            return [(d.code, d.label) for d in self.scheme.decisions if d.code != "postpone"]
        return []

    def incident_refusal(self) -> str:
        """New instability is recorded while a decided matter is implemented; a closed or
        superseded assessment takes none (a new assessment of the matter does)."""
        if self.status == AssessmentStatus.CLOSED:
            return str(
                _(
                    "该评估已办结或已因重新评估而终止，不能再登记不稳定情况；"
                    "如出现新的重大不稳定情况，请对事项开始新的评估。"
                )
            )
        if not self.has_decision():
            return str(_("事项尚未作出决定；评估中发现的问题请作为风险因素登记"))
        return ""

    def can_record_incident(self) -> bool:
        return not self.incident_refusal()


def consultation_lock(matter: Matter) -> str | None:
    """`core.registry.matter_locks`: the consultation of a matter whose assessment in
    progress has a generated report is locked with it (Assessment.lock_refusal)."""
    a = (
        Assessment.objects.filter(
            matter=matter, status=AssessmentStatus.IN_PROGRESS, report_generated_at__isnull=False
        )
        .order_by("-started_at")
        .first()
    )
    return a.lock_refusal() if a is not None else None


class StepRecord(StepRecordBase):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="steps")

    scope_path_lookup = ASSESSMENT_PATH

    class Meta:
        ordering = ["opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "step_code"], name="assessment_step_unique"
            )
        ]


class MemberKind(models.TextChoices):
    STAFF = "staff", _("评估人员")
    EXPERT = "expert", _("特邀专家")
    PUBLIC = "public", _("群众代表")
    OFFICIAL = "official", _("有关党政领导")


class TeamMember(Scoped):
    """篇1 七(三) 评估工作应邀请相关专家和群众代表参加."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="team")
    kind = models.CharField(_("身份"), max_length=12, choices=MemberKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=60)
    organisation = models.CharField(_("单位"), max_length=120, blank=True)
    duty = models.CharField(_("分工"), max_length=200, blank=True)

    scope_path_lookup = ASSESSMENT_PATH

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return self.name


class RiskFactor(Scoped):
    """One possible source of instability (篇3 六(四)): its probability and impact, the
    people involved, scope, manner and intensity, and the possible negative impact."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="factors")
    dimension = models.CharField(_("评估维度"), max_length=64)
    title = models.CharField(_("风险因素"), max_length=200)
    description = models.TextField(_("表现与成因"), blank=True)
    people_involved = models.PositiveIntegerField(_("可能涉及人数"), null=True, blank=True)
    scope = models.CharField(_("涉及范围"), max_length=200, blank=True)
    manner = models.CharField(_("可能方式"), max_length=200, blank=True)
    intensity = models.CharField(_("激烈程度"), max_length=64, blank=True)
    negative_impact = models.TextField(_("可能带来的负面影响"), blank=True)
    weight = models.FloatField(_("权重"), default=1.0)
    # Aggregates of the assessors' scores, recomputed by the actions.
    probability = models.FloatField(null=True, blank=True)
    impact = models.FloatField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    spread = models.JSONField(default=dict, blank=True)
    residual_probability = models.FloatField(null=True, blank=True)
    residual_impact = models.FloatField(null=True, blank=True)
    residual_score = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    scope_path_lookup = ASSESSMENT_PATH
    audit_fields: ClassVar[tuple[str, ...]] = (
        "dimension",
        "title",
        "description",
        "people_involved",
        "scope",
        "manner",
        "intensity",
        "negative_impact",
        "weight",
    )

    class Meta:
        ordering = ["dimension", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_scope_path(self) -> str:
        return self.assessment.matter.department.path


class FactorScore(Scoped):
    """One assessor's separate score of one factor."""

    factor = models.ForeignKey(RiskFactor, on_delete=models.CASCADE, related_name="scores")
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    probability_level = models.CharField(_("可能性"), max_length=64)
    impact_level = models.CharField(_("影响程度"), max_length=64)
    probability = models.FloatField()
    impact = models.FloatField()
    note = models.CharField(_("说明"), max_length=300, blank=True)
    scored_at = models.DateTimeField(auto_now=True)

    scope_path_lookup = "factor__assessment__matter__department__path"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["factor", "assessor"], name="factor_score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.assessor}: {self.probability_level}/{self.impact_level}"


class Mitigation(Scoped):
    factor = models.ForeignKey(RiskFactor, on_delete=models.CASCADE, related_name="mitigations")
    measure = models.TextField(_("化解措施"))
    owner = models.CharField(_("责任单位/人"), max_length=120, blank=True)
    due = models.DateField(_("完成时限"), null=True, blank=True)
    residual_probability_level = models.CharField(_("措施后可能性"), max_length=64)
    residual_impact_level = models.CharField(_("措施后影响程度"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = "factor__assessment__matter__department__path"

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.measure[:40]


class Answer(models.TextChoices):
    MEETS = "meets", _("符合")
    PARTLY = "partly", _("部分符合")
    FAILS = "fails", _("不符合")
    YES = "yes", _("是")
    NO = "no", _("否")
    WRITTEN = "written", _("书面评估")
    NA = "na", _("不适用")


# The answers each answer type of the scheme (`schemes.model.AnswerType`) accepts, in the
# order a form offers them, and the answers that count as a failed item.
ANSWERS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "compliance": (Answer.MEETS, Answer.PARTLY, Answer.FAILS, Answer.NA),
    "yes_good": (Answer.YES, Answer.NO, Answer.NA),
    "no_good": (Answer.NO, Answer.YES, Answer.NA),
    "written": (Answer.WRITTEN, Answer.NA),
}
FAILED_ANSWERS: dict[str, tuple[str, ...]] = {
    "compliance": (Answer.PARTLY, Answer.FAILS),
    "yes_good": (Answer.NO,),
    "no_good": (Answer.YES,),
    "written": (),
}


def answer_accepted(answer_type: str, answer: str) -> bool:
    return answer in ANSWERS_BY_TYPE.get(answer_type, ANSWERS_BY_TYPE["compliance"])


def answer_failed(answer_type: str, answer: str) -> bool:
    """A compliance item 部分符合/不符合, or a yes/no item answered the bad way."""
    return answer in FAILED_ANSWERS.get(answer_type, ())


class ChecklistAnswer(Scoped):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="checklist")
    dimension = models.CharField(max_length=64)
    item_no = models.PositiveSmallIntegerField()
    item_text = models.TextField()
    answer = models.CharField(_("结论"), max_length=10, choices=Answer.choices)
    note = models.TextField(_("说明"), blank=True)
    evidence = models.CharField(_("依据/佐证"), max_length=300, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    scope_path_lookup = ASSESSMENT_PATH
    audit_fields: ClassVar[tuple[str, ...]] = ("answer", "note", "evidence")

    class Meta:
        ordering = ["dimension", "item_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "dimension", "item_no"], name="checklist_answer_unique"
            )
        ]

    def __str__(self) -> str:
        # Shown in the audit log: the question as the scheme words it, and the answer.
        text = self.item_text if len(self.item_text) <= 40 else self.item_text[:39] + "…"
        return f"{text} · {self.get_answer_display()}"

    def answer_type(self) -> str:
        dim = next((d for d in self.assessment.scheme.dimensions if d.code == self.dimension), None)
        return dim.answer_type(self.item_no) if dim else "compliance"

    def failed(self, answer_type: str) -> bool:
        return answer_failed(answer_type, self.answer)

    def display(self) -> str:
        """The answer as printed: 符合/不符合, 是/否, or the written assessment itself."""
        if self.answer == Answer.WRITTEN:
            return self.note
        return str(self.get_answer_display())

    @property
    def audit_scope_path(self) -> str:
        return self.assessment.matter.department.path


# Named by migration 0001; new files are stored through `StoredFile`.
archive_path = stored_file_path


class ArchiveDocument(Scoped, StoredFile):
    """专项工作档案 (篇3 六(二)): every document of the assessment with its SHA-256."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="archive")
    step_code = models.CharField(_("所属步骤"), max_length=64, blank=True)
    title = models.CharField(_("材料名称"), max_length=200)
    generated = models.BooleanField(default=False)  # e.g. a generated report
    report_version = models.PositiveIntegerField(_("报告版本"), null=True, blank=True)

    scope_path_lookup = ASSESSMENT_PATH
    owner_field = "assessment"
    storage_prefix = "assessments"
    audit_action = "assessments.archive.add"
    audit_fields = ("title", "step_code", "generated", *StoredFile.audit_fields)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.title


class ConditionRecord(Scoped):
    """A condition a decision may require (e.g. B级 化解矛盾方案经批准, C级 根据相关预案做好
    矛盾防范和化解工作): recorded by the person who did the work, with the 方案/预案 it
    rests on, and confirmed by a leader of the responsible department who is not the
    recorder. Only a confirmed record meets the condition (`rules.condition_met`)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="conditions")
    code = models.CharField(max_length=64)
    note = models.TextField(_("落实情况"), blank=True)
    plan = models.TextField(_("所依据的方案或预案"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    confirm_note = models.TextField(_("确认意见"), blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    scope_path_lookup = ASSESSMENT_PATH

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "code"], name="assessment_condition_unique"
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def confirmed(self) -> bool:
        return self.confirmed_by_id is not None


class OverrideState(models.TextChoices):
    PROPOSED = "proposed", _("待批准")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")
    VOID = "void", _("已作废")


class GradeOverride(Scoped):
    """A proposal to change the computed grade (issue 8, loophole 2): proposed with a reason,
    approved or rejected by a 分管领导 or 主要负责人 of the responsible department who is not
    the proposer. Until approved the computed grade governs every decision rule."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="overrides")
    computed_grade = models.CharField(_("计算等级"), max_length=32)
    proposed_grade = models.CharField(_("拟调整为"), max_length=32)
    reason = models.TextField(_("调整理由"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        _("状态"),
        max_length=12,
        choices=OverrideState.choices,
        default=OverrideState.PROPOSED,
        db_index=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("批准意见"), blank=True)

    scope_path_lookup = ASSESSMENT_PATH

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("调整风险等级")

    def __str__(self) -> str:
        return f"{self.computed_grade} → {self.proposed_grade}"

    @property
    def audit_scope_path(self) -> str:
        return self.assessment.matter.department.path


class ReviewResult(models.TextChoices):
    APPROVED = "approved", _("审查通过")
    SENT_BACK = "sent_back", _("退回修改")


class Review(Scoped):
    """篇3 六(七): 评估报告经审批、审议部门审查后，报送分管领导审定；涉稳重大问题报党委、政府审定."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="reviews")
    stage = models.CharField(_("审查环节"), max_length=64)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opinion = models.TextField(_("审查意见"))
    result = models.CharField(_("结论"), max_length=12, choices=ReviewResult.choices)
    round = models.PositiveSmallIntegerField(default=1)
    at = models.DateTimeField(auto_now_add=True)
    # The report version the review was given, and its voiding by a send-back (kept, shown).
    report_version = models.PositiveIntegerField(_("报告版本"), null=True, blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    void_reason = models.TextField(_("作废原因"), blank=True)

    scope_path_lookup = ASSESSMENT_PATH

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.stage} {self.result}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


class Decision(Scoped):
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="decisions")
    assessment = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="decision"
    )
    outcome = models.CharField(_("决定"), max_length=64)
    outcome_label = models.CharField(_("决定"), max_length=64)
    doc_no = models.CharField(_("文号"), max_length=80)
    decided_on = models.DateField(_("决定日期"))
    authority = models.CharField(_("决定机关"), max_length=120)
    note = models.TextField(_("说明"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = MATTER_PATH

    class Meta:
        ordering = ["-decided_on"]
        indexes = [
            # The matters list's 决定 filter (matters.lists): the matters of one outcome,
            # read off the index alone.
            models.Index(fields=["outcome", "matter"], name="decision_outcome_matter_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome_label} {self.doc_no}"

    @property
    def audit_scope_path(self) -> str:
        return self.matter.department.path

    @property
    def filing_due(self) -> dt.date:
        """篇3 六(七): 责任主体应在决定的次日 … 报镇维稳办、镇联席办备案."""
        return self.decided_on + dt.timedelta(days=1)


class Filing(Scoped):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="filings")
    office = models.ForeignKey(
        Department, verbose_name=_("备案机关"), on_delete=models.PROTECT, related_name="+"
    )
    filed_on = models.DateField(_("备案日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(auto_now_add=True)
    # Filed after the due day (篇3 六(七) 决定的次日): marked for good, with the reason.
    late = models.BooleanField(_("逾期备案"), default=False, db_index=True)
    late_reason = models.CharField(_("逾期原因"), max_length=300, blank=True)
    # 签收: a member of the receiving office acknowledges receipt.
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签收人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)

    scope_path_lookup = ASSESSMENT_PATH

    class Meta:
        ordering = ["filed_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "office"], name="filing_unique")
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.filed_on}"

    @property
    def audit_scope_path(self) -> str:
        return self.assessment.matter.department.path


class MeasureKind(models.TextChoices):
    RESPONSE = "response", _("应对措施")
    CONTINGENCY = "contingency", _("应急预案")
    # 篇1 六(二): 对经评估决定暂缓实施的事项，要及时研究对策
    COUNTERMEASURE = "counter", _("对策（暂缓实施）")


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("未开始")
    IN_PROGRESS = "in_progress", _("落实中")
    DONE = "done", _("已落实")


class FollowUpMeasure(Scoped):
    """篇3 六(八) 落实应对措施; 篇1 六(二) 全程跟踪 … 制定应急预案."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("类别"), max_length=12, choices=MeasureKind.choices)
    title = models.CharField(_("措施"), max_length=200)
    detail = models.TextField(_("内容"), blank=True)
    owner = models.CharField(_("责任单位/人"), max_length=120)
    due = models.DateField(_("完成时限"), null=True, blank=True, db_index=True)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=MeasureStatus.choices,
        default=MeasureStatus.PLANNED,
        db_index=True,
    )
    evidence = models.TextField(_("落实情况与佐证"), blank=True)
    # When it was marked 已落实: set by do_update_measure when the status becomes done,
    # kept while it stays done (a corrected 佐证 does not move it), cleared when it is
    # reopened. updated_at is not the day the work was done once anything else touches
    # the row.
    completed_at = models.DateTimeField(_("落实时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    scope_path_lookup = ASSESSMENT_PATH
    audit_fields: ClassVar[tuple[str, ...]] = ("status", "evidence", "completed_at")

    class Meta:
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return self.title

    def done_on(self) -> dt.date | None:
        """The local day it was carried out, None while it is not 已落实. A row marked
        已落实 other than by `do_update_measure` (written directly by an import or a
        fixture) has no completion time; the time of its last change stands for it, as
        it did before the time was kept."""
        if self.status != MeasureStatus.DONE:
            return None
        return timezone.localdate(self.completed_at or self.updated_at)

    @property
    def audit_scope_path(self) -> str:
        return self.assessment.matter.department.path


class IncidentAction(models.TextChoices):
    HANDLE = "handle", _("按预案处置")
    REOPEN = "reopen", _("重新评估")
    ADJUST = "adjust", _("对事项作出调整")


class Incident(Scoped):
    """篇3 六(八): 实施过程中出现新的重大不稳定情况 … 按照预案及时妥善处置，或对重大事项做出适当调整."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="incidents")
    occurred_on = models.DateField(_("发生日期"))
    description = models.TextField(_("情况"))
    people_involved = models.PositiveIntegerField(_("涉及人数"), null=True, blank=True)
    handling = models.TextField(_("处置情况"), blank=True)
    action = models.CharField(_("处理方式"), max_length=10, choices=IncidentAction.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = ASSESSMENT_PATH

    class Meta:
        ordering = ["-occurred_on", "-id"]

    def __str__(self) -> str:
        return self.description[:40]

    def trigger_text(self) -> str:
        return str(
            _("%(d)s 登记的不稳定情况：%(t)s")
            % {"d": self.occurred_on.isoformat(), "t": self.description[:40]}
        )


class FollowUpSurvey(Scoped):
    """A survey of the people concerned while the matter is implemented (篇1 六(二)
    全程跟踪 … 及时发现和化解遇到的矛盾和问题): its stance counts meet the scheme's
    majority rule like the consultation's."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="surveys")
    held_on = models.DateField(_("调查日期"))
    method = models.CharField(_("调查方式"), max_length=60)
    support = models.PositiveIntegerField(_("支持"), default=0)
    oppose = models.PositiveIntegerField(_("反对"), default=0)
    neutral = models.PositiveIntegerField(_("中立"), default=0)
    no_stance = models.PositiveIntegerField(_("未表态"), default=0)
    note = models.TextField(_("说明"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = ASSESSMENT_PATH

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.method} {self.held_on}"

    @property
    def stance_count(self) -> int:
        return self.support + self.oppose + self.neutral

    @property
    def oppose_rate(self) -> float | None:
        """Oppose / those who stated a stance (未表态 not counted), as the majority rule reads."""
        return self.oppose / self.stance_count if self.stance_count else None

    def breaches_majority(self) -> bool:
        rule = self.assessment.scheme.majority_rule
        return rule is not None and rule.breached(self.oppose_rate)

    def trigger_text(self) -> str:
        rate = self.oppose_rate or 0.0
        return str(
            _("%(d)s %(m)s：反对 %(o)s/%(n)s 人，占 %(r).1f%%")
            % {
                "d": self.held_on.isoformat(),
                "m": self.method,
                "o": self.oppose,
                "n": self.stance_count,
                "r": rate * 100,
            }
        )


class LaterDecision(Scoped):
    """A decision taken after the first one on a decided matter, with its own 文号 and date:
    终止实施 or 调整 when opposition appears during implementation, or the new decision on
    a postponed matter once its 对策 are recorded. The latest one is the decision in force."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="later_decisions"
    )
    outcome = models.CharField(_("决定"), max_length=64)
    outcome_label = models.CharField(_("决定"), max_length=64)
    doc_no = models.CharField(_("文号"), max_length=80)
    decided_on = models.DateField(_("决定日期"))
    authority = models.CharField(_("决定机关"), max_length=120)
    reason = models.TextField(_("理由"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = ASSESSMENT_PATH

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.outcome_label} {self.doc_no}"

    @property
    def audit_scope_path(self) -> str:
        return self.assessment.matter.department.path
