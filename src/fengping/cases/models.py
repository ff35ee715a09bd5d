"""Cases of the political-legal organs and everything assessed about them (篇4).

What lives where:

* an **organ** (政法单位) is an `org.Department`; `OrganProfile` adds what the cases app
  needs of it: its kind (court, procuratorate, …: the stages its cases go through, scheme
  data), the case scheme and the import column mapping it saved;
* a **case** (`Case`) with its 信访 history (`Petition`), stage history (`StageChange`)
  and the changes imports made (`CaseRevision`);
* the **monthly screening** (`ScreeningRun` per organ and month, `ScreeningResult` per
  case a criterion fired on) and the organ's 逐案分析研判 decisions (`TargetDecision`);
* a **case assessment** (`CaseAssessment`, a procedure run of the case scheme, one per
  assessed stage): checklist answers, level and level changes, the report fields, the
  防范和处置预案 with its measures, the responsibility chain, 责任查究 records and the
  resolution of the risk.

The adjudication gate (篇4 二1–2) is `Case.stage_refusal`: every door (page, API, import)
asks it, and the actions refuse on it.

Every row is scoped through the organ's department (`org.access`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengping.core.files import StoredFile
from fengping.org.models import Department, Role, Scoped
from fengping.procedure.models import Run, StepRecordBase

if TYPE_CHECKING:  # pragma: no cover
    from fengping.schemes.case_rules import CaseSection, OrganKind
    from fengping.schemes.model import Scheme

CASE_PATH = "case__organ__path"
ASSESSMENT_PATH = "assessment__case__organ__path"

# Who may change the organ's settings and approve what the scheme leaves to leaders.
LEADING_ROLES = frozenset({Role.LEADER, Role.HEAD, Role.ADMIN})

# The source's own sentences, quoted by every refusal of the gate.
QUOTE_UNRESOLVED = "凡经风险评估的案件，风险未化解的不得裁决。"
QUOTE_UNASSESSED = "凡是事关全局的重大、疑难、复杂案件，未经风险评估不得裁决。"
QUOTE_CAREFUL = "凡绝大多数群众不理解、不支持的裁决，要慎之又慎，扎实细致地做好工作。"


def encode_codes(codes: Iterable[str]) -> str:
    """A set of codes as stored in a text column: ",a,b," (sorted), "" when empty — so a
    set condition is a LIKE '%,a,%' in SQL."""
    items = sorted({c.strip() for c in codes if c and c.strip()})
    return f",{','.join(items)}," if items else ""


def decode_codes(text: str) -> list[str]:
    return [c for c in (text or "").split(",") if c]


class OrganProfile(Scoped):
    """What the cases app keeps of a 政法单位."""

    department = models.OneToOneField(
        Department,
        verbose_name=_("政法单位"),
        on_delete=models.PROTECT,
        related_name="case_profile",
    )
    organ_kind = models.CharField(_("单位类别"), max_length=64)
    scheme_key = models.CharField(_("评估方案"), max_length=64, default="case-risk")
    # Header of the case-management system's export -> field key of the case import.
    column_mapping = models.JSONField(_("导入列对应"), default=dict, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = "department__path"
    change_roles = LEADING_ROLES
    audit_fields: ClassVar[tuple[str, ...]] = ("organ_kind", "scheme_key", "column_mapping")

    class Meta:
        ordering = ["department__path"]
        verbose_name = _("政法单位设置")

    def __str__(self) -> str:
        return self.department.name

    @property
    def audit_scope_path(self) -> str:
        return self.department.path

    def scheme(self) -> Scheme:
        from fengping.schemebook import registry

        return registry.get(self.scheme_key)

    def kind(self) -> OrganKind:
        section = self.scheme().cases
        assert section is not None
        kind = section.organ_kind(self.organ_kind)
        if kind is None:
            raise LookupError(self.organ_kind)
        return kind


class Case(Scoped):
    organ = models.ForeignKey(
        Department, verbose_name=_("政法单位"), on_delete=models.PROTECT, related_name="cases"
    )
    number = models.CharField(_("案号"), max_length=80)
    title = models.CharField(_("案件名称"), max_length=200)
    category = models.CharField(_("案件类别"), max_length=32)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
    )
    stage = models.CharField(_("办理阶段"), max_length=64)
    stage_since = models.DateField(_("进入本阶段日期"), null=True, blank=True)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    amount = models.DecimalField(
        _("涉案金额（元）"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    parties = models.TextField(_("当事人及涉案人员"), blank=True)
    party_count = models.PositiveIntegerField(_("当事人人数"), default=0)
    involved_count = models.PositiveIntegerField(_("涉案人数"), default=0)
    vulnerable_groups = models.CharField(_("弱势群体"), max_length=200, blank=True)  # ",a,b,"
    coercive_measures = models.CharField(
        _("查封、扣押、冻结措施"), max_length=200, blank=True
    )  # ",a,b,"
    public_attention = models.BooleanField(_("群众关注"), default=False)
    socially_sensitive = models.BooleanField(_("社会敏感"), default=False)
    officer_misconduct = models.BooleanField(_("政法干警违法违纪"), default=False)
    major_complex = models.BooleanField(_("重大、疑难、复杂"), default=False)
    brief_facts = models.TextField(_("简要案情"), blank=True)
    # The screening keywords the brief facts contain (bit i: word i of the vocabulary named
    # by `terms_key`), kept whenever the case is written (`stamp_terms`); the monthly
    # screening trusts them only under the key of the criteria it runs, else it searches
    # the text (docs/architecture.md, "The cases app").
    terms_mask = models.BigIntegerField(default=0, editable=False)
    terms_key = models.CharField(max_length=12, blank=True, editable=False)

    # Kept by `refresh_risk` whenever an assessment of the case changes; the gate reads them.
    risk_open = models.BooleanField(_("风险未化解"), default=False, editable=False)
    assessed = models.BooleanField(_("已评估"), default=False, editable=False)
    confirmation_needed = models.BooleanField(default=False, editable=False)
    risk_level = models.CharField(_("评估等级"), max_length=32, blank=True, editable=False)

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path_lookup = "organ__path"
    audit_fields: ClassVar[tuple[str, ...]] = (
        "number",
        "title",
        "category",
        "handler",
        "stage",
        "stage_since",
        "accepted_on",
        "amount",
        "parties",
        "party_count",
        "involved_count",
        "vulnerable_groups",
        "coercive_measures",
        "public_attention",
        "socially_sensitive",
        "officer_misconduct",
        "major_complex",
        "brief_facts",
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        constraints = [
            models.UniqueConstraint(fields=["organ", "number"], name="cases_case_organ_number")
        ]
        indexes = [
            models.Index(fields=["organ", "-id"], name="cases_case_organ_id"),
            models.Index(fields=["organ", "stage", "-id"], name="cases_case_organ_stage"),
            models.Index(fields=["organ", "category", "-id"], name="cases_case_organ_cat"),
            models.Index(fields=["organ", "risk_open", "-id"], name="cases_case_organ_risk"),
            models.Index(fields=["number"], name="cases_case_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def audit_scope_path(self) -> str:
        return self.organ.path

    def codes(self, field: str) -> list[str]:
        return decode_codes(getattr(self, field))

    def stamp_terms(self, vocabulary: tuple[str, ...]) -> None:
        """Keep the screening keywords of the brief facts (call before every save or bulk
        write of the brief facts)."""
        from fengping.schemes.case_rules import MAX_TERMS, terms_mask, vocabulary_key

        fits = len(vocabulary) <= MAX_TERMS
        self.terms_mask = terms_mask(self.brief_facts, vocabulary) if fits else 0
        self.terms_key = vocabulary_key(vocabulary) if fits else ""  # "": search the text

    # -- the gate (篇4 二1–3) -------------------------------------------------------------

    def stage_refusal(self, kind: OrganKind, to_stage: str) -> str | None:
        """Why the case may not move to ``to_stage`` now, or None.

        Any stage marked ``gate`` (裁决/决定, 结案) that lies after the current stage up to
        and including ``to_stage`` is guarded: a case whose assessed risk is not resolved
        may not pass it (二2), nor a 重大、疑难、复杂 case never assessed (二1); the
        adjudication needs the head's second confirmation when the assessment found that
        most people would not understand or support the ruling (二3)."""
        codes = kind.stage_codes()
        if to_stage not in codes:
            return str(_("“%(s)s”不是%(k)s的办理阶段") % {"s": to_stage, "k": kind.label})
        here = codes.index(self.stage) if self.stage in codes else -1
        there = codes.index(to_stage)
        crossed = [s for s in kind.stages[here + 1 : there + 1] if s.gate]
        if not crossed:
            return None
        names = "、".join(s.label for s in crossed)
        if self.risk_open:
            return str(
                _("本案经风险评估，风险尚未化解，不能进入“%(stage)s”阶段。%(quote)s")
                % {"stage": names, "quote": QUOTE_UNRESOLVED}
            )
        if self.major_complex and not self.assessed:
            return str(
                _(
                    "本案为重大、疑难、复杂案件，尚未进行风险评估，不能进入“%(stage)s”阶段。%(quote)s"
                )
                % {"stage": names, "quote": QUOTE_UNASSESSED}
            )
        if self.confirmation_needed and any(s.gate == "adjudicate" for s in crossed):
            return str(
                _(
                    "评估认为绝大多数群众可能不理解、不支持本案裁决，须经主要负责人再次确认并"
                    "说明理由后方可裁决。%(quote)s"
                )
                % {"quote": QUOTE_CAREFUL}
            )
        return None


def refresh_risk(case: Case) -> None:
    """Recompute the case's gate flags from its assessments (call inside the action's
    transaction after any change of an assessment's status, level or confirmation)."""
    runs = list(
        CaseAssessment.objects.filter(case=case)
        .exclude(status=AssessmentStatus.VOID)
        .order_by("-started_at", "-id")
        .only("status", "level", "majority_unsupportive", "confirmed_at")
    )
    case.risk_open = any(r.status == AssessmentStatus.OPEN for r in runs)
    case.assessed = any(r.status == AssessmentStatus.RESOLVED for r in runs)
    latest = runs[0] if runs else None
    case.risk_level = latest.level if latest else ""
    case.confirmation_needed = bool(
        latest and latest.majority_unsupportive and latest.confirmed_at is None
    )
    Case.objects.filter(pk=case.pk).update(
        risk_open=case.risk_open,
        assessed=case.assessed,
        risk_level=case.risk_level,
        confirmation_needed=case.confirmation_needed,
    )


class StageSource(models.TextChoices):
    PAGE = "page", _("页面")
    API = "api", _("接口")
    IMPORT = "import", _("导入")


class StageChange(Scoped):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("原阶段"), max_length=64, blank=True)
    to_stage = models.CharField(_("新阶段"), max_length=64)
    gate = models.CharField(max_length=16, blank=True)  # gate of to_stage, for statistics
    source = models.CharField(_("来源"), max_length=16, choices=StageSource.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    scope_path_lookup = CASE_PATH

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["case", "-changed_at"], name="cases_stage_case"),
            models.Index(fields=["gate", "changed_at"], name="cases_stage_gate"),
        ]


class CaseRevision(Scoped):
    """What one import (or API update) changed on a case: {field: [old, new]}."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="revisions")
    changes = models.JSONField(default=dict)
    source = models.CharField(_("来源"), max_length=16, choices=StageSource.choices)
    import_record = models.ForeignKey(
        "core.ImportRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    scope_path_lookup = CASE_PATH

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["case", "-changed_at"], name="cases_rev_case")]


class PetitionKind(models.TextChoices):
    INDIVIDUAL = "individual", _("个人信访")
    COLLECTIVE = "collective", _("集体信访")
    BEYOND_LEVEL = "beyond_level", _("越级信访")


class Petition(Scoped):
    """One 信访 about a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="petitions")
    date = models.DateField(_("信访日期"))
    kind = models.CharField(
        _("信访形式"), max_length=16, choices=PetitionKind.choices, default=PetitionKind.INDIVIDUAL
    )
    persons = models.PositiveIntegerField(_("人数"), default=1)
    content = models.TextField(_("诉求内容"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    scope_path_lookup = CASE_PATH
    audit_fields: ClassVar[tuple[str, ...]] = ("date", "kind", "persons", "content")

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("信访记录")
        indexes = [
            models.Index(fields=["case", "date"], name="cases_petition_case_date"),
            models.Index(fields=["date"], name="cases_petition_date"),
        ]

    @property
    def audit_scope_path(self) -> str:
        return self.case.organ.path


# ---------------------------------------------------------------------------------------
# Monthly screening
# ---------------------------------------------------------------------------------------


class RunStatus(models.TextChoices):
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ScreeningRun(Scoped):
    """The month's screening of every case of one organ (篇4 四1)."""

    organ = models.ForeignKey(
        Department, verbose_name=_("政法单位"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"))  # first day of the month
    as_of = models.DateField(_("排查日"))  # date spans and petition periods count to it
    scheme_key = models.CharField(max_length=64)
    scheme_version = models.CharField(max_length=12)
    criteria_version = models.CharField(_("规则版本"), max_length=12)
    # The criteria in bit order (bit i of a result's `fired` is criteria[i]), with the
    # grades: enough to explain a stored result whatever the scheme becomes.
    criteria = models.JSONField(default=list)
    grades = models.JSONField(default=list)  # [{code, label, severity, colour}], low → high
    flag_at = models.CharField(max_length=32)
    status = models.CharField(
        _("状态"), max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    screened = models.PositiveIntegerField(_("排查案件数"), default=0)
    flagged = models.PositiveIntegerField(_("列入研判数"), default=0)
    new = models.PositiveIntegerField(_("新增"), default=0)
    raised = models.PositiveIntegerField(_("升级"), default=0)
    lowered = models.PositiveIntegerField(_("降级"), default=0)
    cleared = models.PositiveIntegerField(_("退出"), default=0)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # None: started by `fengping tick`
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    scope_path_lookup = "organ__path"
    change_roles = LEADING_ROLES | {Role.HANDLER, Role.ASSESSOR}

    class Meta:
        ordering = ["-month", "organ__path"]
        verbose_name = _("月度排查")
        constraints = [
            models.UniqueConstraint(fields=["organ", "month"], name="cases_run_organ_month")
        ]
        indexes = [models.Index(fields=["month"], name="cases_run_month")]

    @property
    def audit_scope_path(self) -> str:
        return self.organ.path


class Change(models.TextChoices):
    NEW = "new", _("新增")
    RAISED = "raised", _("升级")
    LOWERED = "lowered", _("降级")
    SAME = "same", _("持平")
    NONE = "", _("—")


class ScreeningResult(Scoped):
    """A case at least one criterion fired on in a run (a case none fired on scored 0 at
    the lowest level and has no row).

    Derived data written by one INSERT … SELECT per organ and month: the foreign keys are
    kept by the application (rows are written only by `cases.screening`, removed with their
    run or case by Django's cascade), not checked by the database — on PostgreSQL those
    checks ran at commit, once per row, a quarter of an organ's screening."""

    run = models.ForeignKey(
        ScreeningRun, on_delete=models.CASCADE, related_name="results", db_constraint=False
    )
    # Indexed by the unique (case, run) below: a run writes up to a million rows, and each
    # index more is a write more per row.
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        related_name="screenings",
        db_index=False,
        db_constraint=False,
    )
    score = models.FloatField(_("得分"))
    fired = models.BigIntegerField(default=0)  # bit i: run.criteria[i] fired
    level = models.CharField(_("等级"), max_length=32)
    severity = models.PositiveSmallIntegerField(default=0)
    flagged = models.BooleanField(_("列入研判"), default=False)
    previous_severity = models.PositiveSmallIntegerField(null=True, blank=True)
    change = models.CharField(
        _("变化"), max_length=8, choices=Change.choices, default="", blank=True
    )

    scope_path_lookup = "run__organ__path"

    class Meta:
        ordering = ["-severity", "-score", "-case_id"]
        constraints = [
            # Serves a case's history and the join on the previous run's result.
            models.UniqueConstraint(fields=["case", "run"], name="cases_result_case_run")
        ]
        indexes = [
            # The work list: only the flagged rows (a third of the results) are indexed.
            models.Index(
                fields=["run", "-severity", "-score", "-case"],
                condition=models.Q(flagged=True),
                name="cases_result_worklist",
            ),
        ]

    def fired_codes(self) -> list[str]:
        return [c["code"] for i, c in enumerate(self.run.criteria) if self.fired >> i & 1]


class TargetChoice(models.TextChoices):
    TARGET = "target", _("列为评估对象")
    NOT_TARGET = "not_target", _("不列为评估对象")


class TargetDecision(Scoped):
    """The organ's 逐案分析研判 of a flagged case in one run."""

    run = models.ForeignKey(ScreeningRun, on_delete=models.CASCADE, related_name="decisions")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="target_decisions")
    choice = models.CharField(_("研判结论"), max_length=16, choices=TargetChoice.choices)
    reason = models.TextField(_("理由"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    assessment = models.ForeignKey(
        "CaseAssessment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_path_lookup = CASE_PATH

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "case"], name="cases_decision_run_case")
        ]


# ---------------------------------------------------------------------------------------
# Case assessment
# ---------------------------------------------------------------------------------------


class AssessmentStatus(models.TextChoices):
    OPEN = "open", _("风险未化解")
    RESOLVED = "resolved", _("风险已化解")
    VOID = "void", _("已作废")


class StartReason(models.TextChoices):
    SCREENING = "screening", _("月度排查列为评估对象")
    EARLY = "early", _("重大、疑难、复杂案件受理先期评估")
    STAGE = "stage", _("办案阶段再评估")
    MANUAL = "manual", _("承办人发起")


class ResolutionState(models.TextChoices):
    NONE = "", _("未申请")
    PROPOSED = "proposed", _("待批准")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")


class CaseAssessment(Run):
    """One risk assessment of a case at one stage: a run of the case scheme's procedure."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assessments")
    stage = models.CharField(_("评估时阶段"), max_length=64)
    reason = models.CharField(_("评估缘由"), max_length=16, choices=StartReason.choices)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.OPEN,
        db_index=True,
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    # 四2: factors present (method.factors codes), the level they compute, the level held.
    factors = models.JSONField(default=list, blank=True)
    computed_score = models.FloatField(null=True, blank=True)
    computed_level = models.CharField(max_length=32, blank=True)
    level = models.CharField(_("评估等级"), max_length=32, blank=True)
    level_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    level_set_at = models.DateTimeField(null=True, blank=True)
    # Prediction: petitions or instability (重点对是否可能诱发不稳定事件或引起上访等进行预测评估).
    petition_probability = models.CharField(_("引发上访的可能性"), max_length=32, blank=True)
    impact = models.CharField(_("影响程度"), max_length=32, blank=True)
    prediction = models.TextField(_("预测评估意见"), blank=True)
    majority_unsupportive = models.BooleanField(
        _("绝大多数群众可能不理解、不支持裁决"), default=False
    )
    # 二3: the head's second confirmation of such a ruling.
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_reason = models.TextField(_("确认理由"), blank=True)

    # The report (四3): exactly the source's fields; 案件名称 is the case's.
    persons = models.TextField(_("涉案人员情况"), blank=True)
    summary = models.TextField(_("简要案情"), blank=True)
    handling = models.TextField(_("案件办理情况"), blank=True)
    problems = models.TextField(_("存在问题隐患"), blank=True)
    response_plan = models.TextField(_("预防处置工作方案"), blank=True)
    # 防范和处置预案 (四3–4)
    contingency_plan = models.TextField(_("防范和处置预案"), blank=True)

    # 五2: 谁办理、谁评估、谁化解.
    first_responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("第一责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    main_responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("主要责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    direct_responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("直接责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # 四4 / 二2: the resolution, proposed by the handler and approved by a leader.
    resolution_state = models.CharField(
        _("化解审批"), max_length=16, choices=ResolutionState.choices, default="", blank=True
    )
    resolution_note = models.TextField(_("化解情况"), blank=True)
    resolution_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_proposed_at = models.DateTimeField(null=True, blank=True)
    resolution_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_decided_at = models.DateTimeField(null=True, blank=True)
    resolution_decision_note = models.TextField(_("审批意见"), blank=True)

    scope_path_lookup = "case__organ__path"
    audit_fields: ClassVar[tuple[str, ...]] = (
        "status",
        "current_step",
        "level",
        "factors",
        "petition_probability",
        "impact",
        "prediction",
        "majority_unsupportive",
        "persons",
        "summary",
        "handling",
        "problems",
        "response_plan",
        "contingency_plan",
        "resolution_state",
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("办案风险评估")
        indexes = [
            models.Index(fields=["case", "-started_at"], name="cases_assess_case"),
            models.Index(fields=["status", "started_at"], name="cases_assess_status"),
        ]

    def __str__(self) -> str:
        return f"{self.case.number}（{self.stage_label}）"

    @property
    def audit_scope_path(self) -> str:
        return self.case.organ.path

    @property
    def stage_label(self) -> str:
        section = self.scheme.cases
        for kind in section.organ_kinds if section else []:
            stage = kind.stage(self.stage)
            if stage is not None:
                return stage.label
        return self.stage

    def is_open(self) -> bool:
        return self.status == AssessmentStatus.OPEN

    def cases_section(self) -> CaseSection:
        section = self.scheme.cases
        assert section is not None
        return section


class CaseAssessmentStep(StepRecordBase):
    run = models.ForeignKey(CaseAssessment, on_delete=models.CASCADE, related_name="steps")

    scope_path_lookup = "run__case__organ__path"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "step_code"], name="cases_step_run_code")
        ]


class ChecklistAnswer(Scoped):
    """The analysis of one item of one dimension (四2)."""

    assessment = models.ForeignKey(CaseAssessment, on_delete=models.CASCADE, related_name="answers")
    dimension = models.CharField(max_length=64)
    item = models.PositiveSmallIntegerField()  # index in the dimension's items
    has_issue = models.BooleanField(_("存在问题"), default=False)
    finding = models.TextField(_("分析意见"))
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    scope_path_lookup = ASSESSMENT_PATH
    audit_fields: ClassVar[tuple[str, ...]] = ("has_issue", "finding")

    class Meta:
        ordering = ["dimension", "item"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "dimension", "item"], name="cases_answer_unique"
            )
        ]


class ChangeState(models.TextChoices):
    PENDING = "pending", _("待批准")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")


class LevelChange(Scoped):
    """A change of an assessment's level: a reason, and a leader who did not propose it."""

    assessment = models.ForeignKey(
        CaseAssessment, on_delete=models.CASCADE, related_name="level_changes"
    )
    from_level = models.CharField(_("原等级"), max_length=32, blank=True)
    to_level = models.CharField(_("新等级"), max_length=32)
    reason = models.TextField(_("理由"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        _("状态"), max_length=16, choices=ChangeState.choices, default=ChangeState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    scope_path_lookup = ASSESSMENT_PATH

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment"],
                condition=models.Q(state="pending"),
                name="cases_levelchange_one_pending",
            )
        ]


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("未开始")
    IN_PROGRESS = "in_progress", _("落实中")
    DONE = "done", _("已落实")


class Measure(Scoped):
    """A measure of the 防范和处置预案 (四4: 明确责任分工，确定协同单位，落实工作措施)."""

    assessment = models.ForeignKey(
        CaseAssessment, on_delete=models.CASCADE, related_name="measures"
    )
    title = models.CharField(_("工作措施"), max_length=200)
    description = models.TextField(_("具体内容"), blank=True)
    responsible_unit = models.ForeignKey(
        Department, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    cooperating_units = models.ManyToManyField(
        Department, verbose_name=_("协同单位"), blank=True, related_name="+"
    )
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField(_("完成时限"))
    status = models.CharField(
        _("落实情况"), max_length=16, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED
    )
    evidence_note = models.TextField(_("落实情况说明"), blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    scope_path_lookup = ASSESSMENT_PATH
    audit_fields: ClassVar[tuple[str, ...]] = (
        "title",
        "description",
        "responsible_unit",
        "responsible_person",
        "due_on",
        "status",
        "evidence_note",
    )

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("化解措施")
        indexes = [models.Index(fields=["status", "due_on"], name="cases_measure_due")]

    @property
    def audit_scope_path(self) -> str:
        return self.assessment.case.organ.path


class MeasureEvidence(Scoped, StoredFile):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="evidence")
    note = models.CharField(_("说明"), max_length=200, blank=True)

    scope_path_lookup = "measure__assessment__case__organ__path"
    owner_field = "measure"
    storage_prefix = "cases"
    audit_action = "cases.evidence.add"
    audit_fields = (*StoredFile.audit_fields, "note")

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("落实证明材料")


class AccountabilityRecord(Scoped):
    """重视不够、配合不力、措施落不实 recorded against a unit for the 责任查究 (四4)."""

    assessment = models.ForeignKey(
        CaseAssessment, on_delete=models.CASCADE, related_name="accountability"
    )
    unit = models.ForeignKey(
        Department, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("问题"), max_length=64)  # scheme cases.accountability_kinds
    description = models.TextField(_("情况说明"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    scope_path_lookup = ASSESSMENT_PATH

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("责任查究记录")

    @property
    def audit_scope_path(self) -> str:
        return self.assessment.case.organ.path
