"""督促检查: what the supervising offices (维稳办, 联席会议办公室, 监察室) and every department
head use to make the procedure happen (篇1 七(二), 篇3 六(一), 七).

- the annual assessment plan (年度社会稳定风险评估计划表) of each responsible department,
  filed with the 维稳办 in versions (`AnnualPlan`, `PlanEntry`, `PlanFiling`); a matter
  is 已备案 while it is in the plan's latest filing (kept on `Matter.plan_filed_on` /
  `plan_filed_with`, written only by `supervision.actions.plans`);
- the implementation rules (具体实施办法和工作方案) filed with both offices
  (`RulesFiling`, `RulesDocument`, `RulesReceipt`);
- the monthly progress report (工作进展情况报告表, `MonthlyReport`);
- every obligation with a due date in one table (`Obligation`), kept in step with the
  work it stands for by `supervision.obligations.sync`; reminders and escalations
  (`Reminder`, the ledger that makes sending idempotent), the notification centre
  (`Notification`), calendar feeds (`CalendarFeed`) and 督办通知 with their 文号
  (`DocumentRegister`, `SupervisionNotice`);
- incidents and the investigation of the assessments behind them (`Incident`,
  `IncidentLink`) and accountability decisions (`AccountabilityDecision`);
- the annual evaluation of each department (`EvaluationRun`, `Evaluation`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fengping.core.files import StoredFile
from fengping.org.models import WORK_ROLES, Department, Role, Scoped

USER = settings.AUTH_USER_MODEL
# Members of a supervising office who act for it: acknowledge filings and reports, issue
# 督办通知, record incidents and accountability, run the annual evaluation.
OFFICE_ROLES = frozenset({Role.SUPERVISOR, Role.HANDLER, Role.LEADER, Role.HEAD, Role.ADMIN})


def _user(verbose: Any, *, null: bool = False, related: str = "+") -> models.ForeignKey:
    return models.ForeignKey(
        USER,
        verbose_name=verbose,
        on_delete=models.PROTECT,
        null=null,
        blank=null,
        related_name=related,
    )


# ---------------------------------------------------------------------------------------
# Annual plan (篇3 六(一))
# ---------------------------------------------------------------------------------------


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("未备案")
    FILED = "filed", _("已备案")
    CHANGED = "changed", _("已修改待重新备案")


class AnnualPlan(Scoped):
    """年度社会稳定风险评估计划表 of one responsible department for one year."""

    department = models.ForeignKey(
        Department, verbose_name=_("责任主体"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    scheme_key = models.CharField(_("评估方案"), max_length=64)
    status = models.CharField(
        _("状态"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    note = models.TextField(_("说明"), blank=True)
    created_by = _user(_("编制人"), null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    audit_fields: ClassVar[tuple[str, ...]] = ("status", "note")

    class Meta:
        ordering = ["-year", "department__path"]
        verbose_name = _("年度评估计划")
        constraints = [
            models.UniqueConstraint(fields=["department", "year"], name="sv_plan_unique")
        ]
        indexes = [models.Index(fields=["year", "status"], name="sv_plan_year_idx")]

    def __str__(self) -> str:
        return f"{self.department}{self.year}年度社会稳定风险评估计划表"

    @property
    def audit_scope_path(self) -> str:
        return self.department.path


class PlanEntry(Scoped):
    """One matter the plan says the department will assess that year: a registered matter,
    or one not registered yet (title only) to be linked when it is."""

    plan = models.ForeignKey(AnnualPlan, on_delete=models.CASCADE, related_name="entries")
    matter = models.ForeignKey(
        "matters.Matter",
        verbose_name=_("评估事项"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_entries",
    )
    title = models.CharField(_("事项名称"), max_length=200)
    category_code = models.CharField(_("所属领域"), max_length=64, blank=True)
    planned_month = models.PositiveSmallIntegerField(_("计划评估月份"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    added_by = _user(_("添加人"), null=True)
    added_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = "plan__department__path"
    audit_fields: ClassVar[tuple[str, ...]] = (
        "matter",
        "title",
        "category_code",
        "planned_month",
        "note",
    )

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            # A matter is in one plan only (the action checks; this holds under a race).
            models.UniqueConstraint(
                fields=["matter"],
                condition=Q(matter__isnull=False),
                name="sv_plan_entry_unique",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_scope_path(self) -> str:
        return self.plan.department.path


class PlanFiling(Scoped):
    """One filed version of a plan (第N版): what was filed, with whom, when, and the
    office's 签收. Its `entries` are the snapshot that was filed."""

    plan = models.ForeignKey(AnnualPlan, on_delete=models.CASCADE, related_name="filings")
    number = models.PositiveSmallIntegerField(_("版本"))
    office = models.ForeignKey(
        Department, verbose_name=_("备案机关"), on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("备案时间"))
    filed_by = _user(_("报送人"), null=True)
    due_on = models.DateField(_("备案时限"))
    late = models.BooleanField(_("逾期备案"), default=False)
    # [{"matter": id or null, "title": str, "category_code": str, "planned_month": int|null}]
    entries = models.JSONField(_("备案事项"), default=list)
    reason = models.CharField(_("修改原因"), max_length=300, blank=True)
    acknowledged_by = _user(_("签收人"), null=True)
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    # Copied from a matter's plan-filing date of the releases before the annual plan.
    migrated = models.BooleanField(default=False, editable=False)

    scope_path_lookup = "plan__department__path"
    audit_fields: ClassVar[tuple[str, ...]] = ("number", "office", "late", "reason")

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="sv_plan_filing_unique")
        ]

    def __str__(self) -> str:
        return f"{self.plan} 第{self.number}版"

    @property
    def audit_scope_path(self) -> str:
        return self.plan.department.path


# ---------------------------------------------------------------------------------------
# Implementation rules (篇3 七(一))
# ---------------------------------------------------------------------------------------


class RulesFiling(Scoped):
    """具体实施办法和工作方案, filed with the 维稳办 and the 联席办 (one receipt each)."""

    department = models.ForeignKey(
        Department, verbose_name=_("责任主体"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveSmallIntegerField(_("版本"), default=1)
    title = models.CharField(_("文件标题"), max_length=200)
    doc_number = models.CharField(_("文号"), max_length=60, blank=True)
    filed_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    filed_by = _user(_("报送人"), null=True)
    due_on = models.DateField(_("报送时限"))
    late = models.BooleanField(_("逾期报送"), default=False)
    created_by = _user(_("登记人"))
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    audit_fields: ClassVar[tuple[str, ...]] = ("title", "doc_number", "number", "late")

    class Meta:
        ordering = ["-year", "department__path", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["department", "year", "number"], name="sv_rules_unique")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_scope_path(self) -> str:
        return self.department.path


class RulesDocument(Scoped, StoredFile):
    filing = models.ForeignKey(RulesFiling, on_delete=models.CASCADE, related_name="documents")

    owner_field = "filing"
    storage_prefix = "supervision/rules"
    audit_action = "supervision.rules.document.add"

    scope_path_lookup = "filing__department__path"

    @property
    def audit_scope_path(self) -> str:
        return self.filing.department.path


class RulesReceipt(Scoped):
    filing = models.ForeignKey(RulesFiling, on_delete=models.CASCADE, related_name="receipts")
    office = models.ForeignKey(
        Department, verbose_name=_("报送机关"), on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_by = _user(_("签收人"), null=True)
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)

    scope_path_lookup = "filing__department__path"

    class Meta:
        ordering = ["filing", "office__path"]
        constraints = [
            models.UniqueConstraint(fields=["filing", "office"], name="sv_rules_receipt_unique")
        ]

    @property
    def audit_scope_path(self) -> str:
        return self.filing.department.path


# ---------------------------------------------------------------------------------------
# Monthly progress report (篇3 六(一): 每月20日前上报工作进展情况报告表)
# ---------------------------------------------------------------------------------------


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已上报")
    RETURNED = "returned", _("已退回")
    ACKNOWLEDGED = "acknowledged", _("已签收")


class MonthlyReport(Scoped):
    department = models.ForeignKey(
        Department, verbose_name=_("责任主体"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"))  # the first day of the month
    status = models.CharField(
        _("状态"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    # The figures as reported: key -> number (the pulled value, or the department's
    # correction). `figures_pulled` keeps what the data gave, key -> {"label", "group",
    # "value", "as_of"} (supervision.figures.pull), so a correction shows both.
    figures = models.JSONField(_("数据"), default=dict)
    figures_pulled = models.JSONField(_("取数结果"), default=dict)
    figures_at = models.DateTimeField(_("数据取数时间"), null=True, blank=True)
    work_done = models.TextField(_("工作开展情况"), blank=True)
    problems = models.TextField(_("存在的问题"), blank=True)
    next_steps = models.TextField(_("下一步工作"), blank=True)
    office = models.ForeignKey(
        Department,
        verbose_name=_("报送机关"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    due_on = models.DateField(_("上报时限"))
    submitted_by = _user(_("上报人"), null=True)
    submitted_at = models.DateTimeField(_("上报时间"), null=True, blank=True)
    late = models.BooleanField(_("逾期上报"), default=False)
    acknowledged_by = _user(_("签收人"), null=True)
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    return_reason = models.CharField(_("退回原因"), max_length=300, blank=True)
    created_by = _user(_("编制人"))
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    audit_fields: ClassVar[tuple[str, ...]] = (
        "status",
        "figures",
        "work_done",
        "problems",
        "next_steps",
        "late",
        "return_reason",
    )

    class Meta:
        ordering = ["-month", "department__path"]
        constraints = [
            models.UniqueConstraint(fields=["department", "month"], name="sv_report_unique")
        ]
        indexes = [models.Index(fields=["month", "status"], name="sv_report_month_idx")]

    def __str__(self) -> str:
        return f"{self.department}{self.month:%Y年%-m月}工作进展情况报告表"

    @property
    def audit_scope_path(self) -> str:
        return self.department.path


# ---------------------------------------------------------------------------------------
# Obligations, reminders, notifications, calendar feeds
# ---------------------------------------------------------------------------------------


class ObligationKind(models.TextChoices):
    ANNUAL_PLAN = "annual_plan", _("年度评估计划表备案")
    IMPLEMENTATION_RULES = "implementation_rules", _("具体实施办法和工作方案报送")
    MONTHLY_REPORT = "monthly_report", _("月度工作进展情况报告表")
    FILING = "filing", _("评估报告及审定意见备案")
    MEASURE = "measure", _("应对措施落实")
    REMEDIATION = "remediation", _("安全整改任务")
    CASE_SCREENING = "case_screening", _("办案风险月度排查")
    REASSESSMENT = "reassessment", _("重新评估")
    RISK_REVIEW = "risk_review", _("接受风险到期复核")


class Obligation(Scoped):
    """One piece of work with a due date, owed by a department (and, where known, a
    person). Rows are kept in step with the work they stand for by
    `supervision.obligations.sync` (`fengping tick`, and the supervision actions for their
    own kinds): a row appears when the work falls due and is closed (`done_at`) when the
    work is done; `key` names the source so a sync never makes a second row for it."""

    kind = models.CharField(_("类别"), max_length=32, choices=ObligationKind.choices)
    key = models.CharField(max_length=120, unique=True)
    department = models.ForeignKey(
        Department, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    owner = _user(_("责任人"), null=True)
    # The supervising office an overdue obligation escalates to.
    office = models.ForeignKey(
        Department,
        verbose_name=_("督办机关"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(_("事项"), max_length=300)
    url = models.CharField(max_length=300, blank=True)
    scheme_key = models.CharField(max_length=64, blank=True)
    deadline_code = models.CharField(max_length=64, blank=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # The due date the rule gives, and the one that counts (moved off a holiday).
    base_due_on = models.DateField(_("规定时限"))
    due_on = models.DateField(_("截止日期"))
    opened_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    audit_fields: ClassVar[tuple[str, ...]] = ("title", "due_on", "done_at", "owner")

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["done_at", "due_on"], name="sv_obl_open_idx"),
            models.Index(fields=["department", "done_at", "due_on"], name="sv_obl_dept_idx"),
            models.Index(fields=["owner", "done_at", "due_on"], name="sv_obl_owner_idx"),
            models.Index(fields=["kind", "done_at"], name="sv_obl_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_scope_path(self) -> str:
        return self.department.path

    def days_overdue(self, today: Any = None) -> int:
        """Days past the due date while open (0 when done or not yet due)."""
        if self.done_at is not None:
            return 0
        from django.utils import timezone

        return max(0, ((today or timezone.localdate()) - self.due_on).days)

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue() > 0


class NotificationKind(models.TextChoices):
    REMINDER = "reminder", _("到期提醒")
    OVERDUE = "overdue", _("逾期提醒")
    ESCALATION = "escalation", _("逾期升级")
    NOTICE = "notice", _("督办通知")
    INFO = "info", _("通知")


class Notification(models.Model):
    """One message in a user's notification centre."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    title = models.CharField(_("标题"), max_length=300)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    obligation = models.ForeignKey(
        Obligation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "read_at", "id"], name="sv_note_user_idx")]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    APP = "app", _("站内通知")
    EMAIL = "email", _("电子邮件")
    WEBHOOK = "webhook", _("群机器人")


class Reminder(models.Model):
    """The ledger of reminders sent: one row per obligation, stage, channel and recipient.
    The unique constraint is what makes `fengping tick` idempotent — a reminder is written
    here in the transaction that sends it, and a second run finds it."""

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="reminders")
    stage = models.CharField(max_length=32)  # "before:7", "after:3:head", ...
    channel = models.CharField(max_length=16, choices=Channel.choices)
    recipient_key = models.CharField(max_length=64)  # "user:5", "dept:3"
    sent_at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField(default=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["obligation", "stage", "channel", "recipient_key"],
                name="sv_reminder_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stage} {self.channel} {self.recipient_key}"


class CalendarFeed(models.Model):
    """A user's private iCalendar feed: the URL carries a random token; only its SHA-256
    is stored. Rotating the token ends every subscription made with the old one."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar feed of {self.user_id}"


# ---------------------------------------------------------------------------------------
# 督办通知 and the document-number register
# ---------------------------------------------------------------------------------------


class DocumentRegister(Scoped):
    """发文登记: the numbers an office gives its documents of one kind in one year,
    〔year〕N号 from 1 with no gaps. `last_number` is taken under a row lock."""

    office = models.ForeignKey(
        Department, verbose_name=_("发文机关"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    prefix = models.CharField(_("发文字"), max_length=40)
    last_number = models.PositiveIntegerField(default=0)

    scope_path_lookup = "office__path"
    change_roles = OFFICE_ROLES

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "year"], name="sv_register_unique")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}〔{self.year}〕"

    @property
    def audit_scope_path(self) -> str:
        return self.office.path


class SupervisionNotice(Scoped):
    """督办通知 for an overdue obligation, addressed to the department that owes it."""

    office = models.ForeignKey(
        Department, verbose_name=_("督办机关"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("被督办单位"), on_delete=models.PROTECT, related_name="+"
    )
    obligation = models.ForeignKey(
        Obligation, verbose_name=_("督办事项"), on_delete=models.PROTECT, related_name="notices"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveIntegerField(_("序号"))
    doc_number = models.CharField(_("文号"), max_length=60)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    reply_by = models.DateField(_("限期办结日期"), null=True, blank=True)
    issued_by = _user(_("签发人"))
    issued_at = models.DateTimeField(_("签发时间"), auto_now_add=True)

    audit_fields: ClassVar[tuple[str, ...]] = ("doc_number", "title", "body", "reply_by")

    class Meta:
        ordering = ["-year", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "year", "number"], name="sv_notice_number_unique"
            )
        ]

    def __str__(self) -> str:
        return self.doc_number

    @property
    def audit_scope_path(self) -> str:
        return self.department.path


# ---------------------------------------------------------------------------------------
# Incidents and accountability (篇1 七(二), 篇3 七(四))
# ---------------------------------------------------------------------------------------


class IncidentKind(models.TextChoices):
    UNSTABLE = "unstable", _("不稳定事件")
    MASS = "mass", _("群体性事件")
    PETITION = "petition", _("大规模集体上访")
    INFOSEC = "infosec", _("信息安全事件")


class Incident(Scoped):
    """An incident recorded by a supervising office; it owns the investigation."""

    office = models.ForeignKey(
        Department, verbose_name=_("登记机关"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("事件类型"), max_length=16, choices=IncidentKind.choices)
    title = models.CharField(_("事件名称"), max_length=200)
    occurred_at = models.DateTimeField(_("发生时间"))
    place = models.CharField(_("发生地点"), max_length=200, blank=True)
    people = models.PositiveIntegerField(_("涉及人数"), default=0)
    description = models.TextField(_("事件经过"))
    cause = models.TextField(_("原因"), blank=True)
    losses = models.TextField(_("损失"), blank=True)
    # 给社会稳定造成严重影响: the condition under which 篇3 七(四) calls for accountability.
    serious = models.BooleanField(_("给社会稳定造成严重影响"), default=False)
    closed_at = models.DateTimeField(_("调查终结时间"), null=True, blank=True)
    recorded_by = _user(_("登记人"))
    recorded_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    scope_path_lookup = "office__path"
    change_roles = OFFICE_ROLES
    audit_fields: ClassVar[tuple[str, ...]] = (
        "kind",
        "title",
        "occurred_at",
        "place",
        "people",
        "description",
        "cause",
        "losses",
        "serious",
        "closed_at",
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["occurred_at"], name="sv_incident_at_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_scope_path(self) -> str:
        return self.office.path


class Finding(models.TextChoices):
    NOT_ASSESSED = "not_assessed", _("应评估而未评估")
    FORMALITY = "formality", _("评估流于形式、弄虚作假，造成评估失实")
    NOT_IMPLEMENTED = "not_implemented", _("防范化解工作不落实、不到位")
    MITIGATED = "mitigated", _("已评估并落实风险应对措施（酌情减轻）")
    NOT_REQUIRED = "not_required", _("无须评估")


class IncidentLink(Scoped):
    """The incident's link to one matter, case or system, with the investigation of the
    assessment behind it: the compiled history and the proposed finding are stored when
    the office adopts a finding, so the record does not change with later data."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    matter = models.ForeignKey(
        "matters.Matter", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    system = models.ForeignKey(
        "infosec.System", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The department responsible for the linked object (for the accountability list).
    department = models.ForeignKey(
        Department, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    proposed = models.CharField(_("建议认定"), max_length=20, choices=Finding.choices, blank=True)
    finding = models.CharField(_("认定"), max_length=20, choices=Finding.choices, blank=True)
    finding_note = models.TextField(_("认定意见"), blank=True)
    compiled = models.JSONField(_("调查材料"), default=dict)
    found_by = _user(_("认定人"), null=True)
    found_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    added_by = _user(_("关联人"))
    added_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    scope_path_lookup = "incident__office__path"
    change_roles = OFFICE_ROLES
    audit_fields: ClassVar[tuple[str, ...]] = ("proposed", "finding", "finding_note")

    class Meta:
        ordering = ["incident", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(matter__isnull=False, case__isnull=True, system__isnull=True)
                    | Q(matter__isnull=True, case__isnull=False, system__isnull=True)
                    | Q(matter__isnull=True, case__isnull=True, system__isnull=False)
                ),
                name="sv_link_one_object",
            ),
            models.UniqueConstraint(
                fields=["incident", "matter"],
                condition=Q(matter__isnull=False),
                name="sv_link_matter_unique",
            ),
            models.UniqueConstraint(
                fields=["incident", "case"],
                condition=Q(case__isnull=False),
                name="sv_link_case_unique",
            ),
            models.UniqueConstraint(
                fields=["incident", "system"],
                condition=Q(system__isnull=False),
                name="sv_link_system_unique",
            ),
        ]

    @property
    def target(self) -> Any:
        return self.matter or self.case or self.system

    def __str__(self) -> str:
        return str(self.target)

    @property
    def audit_scope_path(self) -> str:
        return self.incident.office.path


class AccountabilityMeasure(models.TextChoices):
    CRITICISM = "criticism", _("通报批评")
    ADMONITION = "admonition", _("诫勉谈话")
    SELF_CRITICISM = "self_criticism", _("责令作出书面检查")
    ORGANISATIONAL = "organisational", _("组织处理")
    DISCIPLINE = "discipline", _("纪律处分")
    EVALUATION = "evaluation", _("年度考核扣分、取消评先评优资格")


class Discipline(models.TextChoices):
    NONE = "", _("无")
    WARNING = "warning", _("警告")
    DEMERIT = "demerit", _("记过")
    MAJOR_DEMERIT = "major_demerit", _("记大过")
    DEMOTION = "demotion", _("降级")
    DISMISSAL_FROM_POST = "dismissal_from_post", _("撤职")
    EXPULSION = "expulsion", _("开除")


class PersonRole(models.TextChoices):
    UNIT = "unit", _("有关单位")
    MAIN = "main", _("主要责任人")
    DIRECT = "direct", _("直接责任人")
    LEADER = "leader", _("有关领导")


class AccountabilityDecision(Scoped):
    """责任追究: a decision against a department or a person, with its document number
    and the 纪律处分 if any (构成违纪的，依照有关规定给予纪律处分)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="accountability")
    link = models.ForeignKey(
        IncidentLink, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("被追究单位"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        USER,
        verbose_name=_("被追究人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    person_name = models.CharField(_("被追究人姓名"), max_length=60, blank=True)
    person_role = models.CharField(_("责任类别"), max_length=16, choices=PersonRole.choices)
    measure = models.CharField(_("追究方式"), max_length=20, choices=AccountabilityMeasure.choices)
    discipline = models.CharField(
        _("纪律处分"), max_length=24, choices=Discipline.choices, blank=True
    )
    mitigated = models.BooleanField(_("酌情减轻"), default=False)
    doc_number = models.CharField(_("决定文号"), max_length=60)
    decided_on = models.DateField(_("决定日期"))
    reason = models.TextField(_("追究事由"))
    recorded_by = _user(_("登记人"))
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = "incident__office__path"
    change_roles = OFFICE_ROLES
    audit_fields: ClassVar[tuple[str, ...]] = (
        "department",
        "person",
        "person_name",
        "person_role",
        "measure",
        "discipline",
        "mitigated",
        "doc_number",
        "decided_on",
        "reason",
    )

    class Meta:
        ordering = ["-decided_on", "-id"]
        indexes = [models.Index(fields=["department", "decided_on"], name="sv_acc_dept_idx")]

    def __str__(self) -> str:
        return self.doc_number

    @property
    def audit_scope_path(self) -> str:
        return self.incident.office.path


# ---------------------------------------------------------------------------------------
# Annual evaluation (纳入年度目标考核, 与评先评优挂钩)
# ---------------------------------------------------------------------------------------


class EvaluationRun(Scoped):
    """One computation of every department's score for a year by a supervising office,
    under the rubric of the scheme version it names."""

    office = models.ForeignKey(
        Department, verbose_name=_("考核机关"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    scheme_key = models.CharField(max_length=64)
    scheme_version = models.CharField(max_length=64)
    computed_by = _user(_("计算人"))
    computed_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = "office__path"
    change_roles = OFFICE_ROLES

    class Meta:
        ordering = ["-year", "-id"]
        indexes = [models.Index(fields=["year", "id"], name="sv_evalrun_year_idx")]

    def __str__(self) -> str:
        return f"{self.year}年度社会稳定风险评估工作考核"

    @property
    def is_provisional(self) -> bool:
        """年中: computed before the year was over, so later work may still change it."""
        from django.utils import timezone

        return timezone.localtime(self.computed_at).year <= self.year

    @property
    def audit_scope_path(self) -> str:
        return self.office.path


class Evaluation(Scoped):
    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="scores")
    department = models.ForeignKey(
        Department, verbose_name=_("被考核单位"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    rank = models.PositiveIntegerField(_("名次"))
    # [{"code", "label", "points", "earned", "evidence": [{"text", "url", "ok"}]}]
    items = models.JSONField(default=list)

    scope_path_lookup = "department__path"

    class Meta:
        ordering = ["run", "rank", "department__path"]
        constraints = [models.UniqueConstraint(fields=["run", "department"], name="sv_eval_unique")]

    @property
    def audit_scope_path(self) -> str:
        return self.department.path


__all__ = ["WORK_ROLES"]
