"""征求意见: questionnaires with public links, their responses, consultation activities
(走访、抽样调查、公示、听证、座谈、专家论证、征求上级主管部门意见) and comments with replies.

篇1 六(一)2 问卷调查、民意测验; 篇3 六(三) 广泛征求意见 … 及时回复社会各界和群众的质疑,
对拟做出的重大决策和重大项目进行修订完善; 篇3 六(四) 重大复杂疑难事项征求上级主管部门意见.
Every row belongs to a matter and is scoped through the matter's 责任主体 — except a
questionnaire, which may instead belong to an information system (篇2 2.2: the survey of
the system's administrators) and is then scoped through the system's department. The
questionnaire keeps that department (`department`, from its matter or system) so both
kinds are scoped by one lookup; a matter's lead and assisting departments still see the
matter's questionnaires (`matter_lookup`).
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengping.core.files import StoredFile, stored_file_path
from fengping.matters.models import Matter
from fengping.org.models import Department, Scoped

DEFAULT_GROUPS = ["直接利益群体", "周边群众", "企业", "专家", "其他"]


def default_groups() -> list[str]:
    return list(DEFAULT_GROUPS)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class QuestionnaireStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    CLOSED = "closed", _("已结束")


class Questionnaire(Scoped):
    # Exactly one of matter and system (the check constraint below).
    matter = models.ForeignKey(
        Matter,
        verbose_name=_("评估事项"),
        on_delete=models.CASCADE,
        related_name="questionnaires",
        null=True,
        blank=True,
    )
    system = models.ForeignKey(
        "infosec.System",
        verbose_name=_("信息系统"),
        on_delete=models.CASCADE,
        related_name="questionnaires",
        null=True,
        blank=True,
    )
    # The department of the matter or the system, kept here so every questionnaire is
    # scoped by one lookup (filled on save).
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", editable=False
    )
    title = models.CharField(_("问卷标题"), max_length=200)
    intro = models.TextField(_("问卷说明"), blank=True)
    groups = models.JSONField(_("受访群体"), default=default_groups)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=QuestionnaireStatus.choices,
        default=QuestionnaireStatus.DRAFT,
    )
    closes_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    # The public link: unguessable, never derived from the primary key.
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # Closed because the consultation step was completed: a send-back reopens it.
    closed_by_step = models.BooleanField(default=False, editable=False)
    # What the app that made the questionnaire calls it (e.g. "threat_survey:12", the
    # administrators' survey of an infosec assessment); blank for one made by hand.
    key = models.CharField(max_length=60, blank=True, default="", editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    scope_path_lookup = "department__path"
    matter_lookup = "matter"
    audit_fields: ClassVar[tuple[str, ...]] = ("title", "intro", "groups", "status", "closes_at")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("调查问卷")
        verbose_name_plural = _("调查问卷")
        indexes = [
            models.Index(fields=["matter", "status"], name="opinion_qn_matter_status_idx"),
            models.Index(fields=["status", "closes_at"], name="opinion_qn_status_closes_idx"),
            models.Index(fields=["system", "status"], name="opinion_qn_system_status_idx"),
            models.Index(fields=["key"], name="opinion_qn_key_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(matter__isnull=False, system__isnull=True)
                    | Q(matter__isnull=True, system__isnull=False)
                ),
                name="opinion_qn_matter_or_system",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if self.department_id is None:
            owner = self.matter if self.matter_id else self.system
            if owner is not None:
                self.department_id = owner.department_id
        super().save(*args, **kwargs)

    @property
    def owner(self) -> models.Model:
        """The matter or the information system the questionnaire belongs to."""
        return self.matter if self.matter_id else self.system  # type: ignore[return-value]

    @property
    def for_system(self) -> bool:
        return self.system_id is not None

    @property
    def audit_scope_path(self) -> str:
        return self.department.path

    @property
    def is_draft(self) -> bool:
        return self.status == QuestionnaireStatus.DRAFT

    @property
    def is_accepting(self) -> bool:
        """Open to the public right now: published and not past its deadline."""
        return (
            self.status == QuestionnaireStatus.PUBLISHED
            and self.closes_at is not None
            and self.closes_at > timezone.now()
        )


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")
    SCALE = "scale", _("量表（1–5分）")
    TEXT = "text", _("文字")


class Stance(models.TextChoices):
    SUPPORT = "support", _("支持")
    NEUTRAL = "neutral", _("中立")
    OPPOSE = "oppose", _("反对")


# The 态度 question a new questionnaire starts with: (choice, stance).
DEFAULT_STANCE_QUESTION = "您对该事项的态度是"
DEFAULT_STANCE_CHOICES = [
    ("支持", Stance.SUPPORT),
    ("基本支持", Stance.SUPPORT),
    ("无所谓", Stance.NEUTRAL),
    ("不支持", Stance.OPPOSE),
    ("反对", Stance.OPPOSE),
]
SCALE_MIN, SCALE_MAX = 1, 5


class Question(Scoped):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    order = models.PositiveSmallIntegerField(_("题号"), default=1)
    kind = models.CharField(
        _("题型"), max_length=20, choices=QuestionKind.choices, default=QuestionKind.SINGLE
    )
    text = models.CharField(_("题目"), max_length=300)
    choices = models.JSONField(_("选项"), default=list, blank=True)
    # For the 态度 question only: the stance of each choice, parallel to `choices`.
    stances = models.JSONField(default=list, blank=True)
    is_stance = models.BooleanField(_("态度题"), default=False)
    required = models.BooleanField(_("必答"), default=True)
    # What the app that made the question calls it (e.g. the threat class it asks about).
    key = models.CharField(max_length=60, blank=True, default="", editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    scope_path_lookup = "questionnaire__department__path"
    matter_lookup = "questionnaire__matter"
    audit_fields: ClassVar[tuple[str, ...]] = (
        "order",
        "kind",
        "text",
        "choices",
        "stances",
        "is_stance",
        "required",
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("问卷题目")
        verbose_name_plural = _("问卷题目")
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire"],
                condition=Q(is_stance=True),
                name="opinion_one_stance_question",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.text}"

    @property
    def audit_scope_path(self) -> str:
        return self.questionnaire.department.path

    @property
    def has_choices(self) -> bool:
        return self.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)

    def scale_rows(self) -> list[tuple[str, str]]:
        """(score, label) for a scale question: its `choices`, when given, label the
        scores SCALE_MIN … SCALE_MAX in order."""
        values = range(SCALE_MIN, SCALE_MAX + 1)
        labels = self.choices if len(self.choices) == len(values) else [""] * len(values)
        return [(str(v), str(label)) for v, label in zip(values, labels, strict=True)]

    def choice_rows(self) -> list[tuple[int, str, str]]:
        """(index, label, stance label) for templates."""
        labels = dict(Stance.choices)
        return [
            (
                i,
                label,
                str(labels.get(self.stances[i], ""))
                if self.is_stance and i < len(self.stances)
                else "",
            )
            for i, label in enumerate(self.choices)
        ]


class Channel(models.TextChoices):
    ONLINE = "online", _("网上填写")
    PAPER = "paper", _("纸质问卷")
    IMPORT = "import", _("其他导入")


class Response(Scoped):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="responses"
    )
    group = models.CharField(_("受访群体"), max_length=60)
    channel = models.CharField(
        _("渠道"), max_length=10, choices=Channel.choices, default=Channel.ONLINE
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    # SHA-256 of the long-lived random cookie of the browser that answered (online only):
    # one answer per browser, without storing anything that names the person.
    browser_key = models.CharField(max_length=64, blank=True, editable=False)
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Copied from the answer to the 态度 question, so rates are one GROUP BY.
    stance = models.CharField(_("态度"), max_length=10, choices=Stance.choices, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    scope_path_lookup = "questionnaire__department__path"
    matter_lookup = "questionnaire__matter"

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "browser_key"],
                condition=Q(channel="online"),
                name="opinion_one_response_per_browser",
            )
        ]
        indexes = [
            models.Index(fields=["questionnaire", "submitted_at"], name="opinion_resp_qn_time_idx"),
            models.Index(
                fields=["questionnaire", "group", "stance"], name="opinion_resp_group_idx"
            ),
            models.Index(fields=["questionnaire", "channel"], name="opinion_resp_channel_idx"),
        ]

    def __str__(self) -> str:
        # No personal data: this text goes into the audit log.
        return f"答卷 #{self.pk}"

    @property
    def audit_scope_path(self) -> str:
        return self.questionnaire.department.path


class Answer(Scoped):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    choices = models.JSONField(default=list, blank=True)  # chosen indexes into question.choices
    scale = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    scope_path_lookup = "question__questionnaire__department__path"
    matter_lookup = "question__questionnaire__matter"

    class Meta:
        ordering = ["question__order", "question_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="opinion_one_answer_per_question"
            )
        ]
        indexes = [models.Index(fields=["question", "scale"], name="opinion_answer_scale_idx")]

    def __str__(self) -> str:
        return f"答卷 #{self.response_id} 第 {self.question_id} 题"


class AnswerChoice(models.Model):
    """One row per chosen option: the index that lets distributions be counted in SQL
    (JSON arrays cannot be grouped portably on SQLite and PostgreSQL)."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="selections")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    index = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["question", "index"], name="opinion_choice_q_idx")]

    def __str__(self) -> str:
        return f"{self.question_id}:{self.index}"


class ResponseTally(models.Model):
    """How many responses a questionnaire has per (group, stance): the counter behind the
    response counts and stance rates. Updated by `actions._save_responses` in the answer's
    transaction; `tallies.recount` rebuilds it from the rows."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="response_tallies"
    )
    group = models.CharField(max_length=60)
    stance = models.CharField(max_length=10, blank=True)  # "" = 未表态
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "group", "stance"], name="opinion_response_tally_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire_id}/{self.group}/{self.stance}: {self.count}"


class TallyKind(models.TextChoices):
    ANSWERED = "answered", _("作答")  # value 0: non-empty answers to the question
    CHOICE = "choice", _("选项")  # value: the chosen option's index
    SCALE = "scale", _("分值")  # value: the scale score


class AnswerTally(models.Model):
    """How many answers a question has (kind "answered"), per chosen option ("choice",
    value = option index) and per score ("scale", value = score). Kept like
    `ResponseTally`; deleted with its question."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="tallies")
    kind = models.CharField(max_length=10, choices=TallyKind.choices)
    value = models.SmallIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["question", "kind", "value"], name="opinion_answer_tally_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_id}/{self.kind}/{self.value}: {self.count}"


class ActivityKind(models.TextChoices):
    VISIT = "visit", _("走访群众")
    SAMPLING = "sampling", _("抽样调查")
    PUBLICITY = "publicity", _("媒体公示")
    HEARING = "hearing", _("听证会")
    SYMPOSIUM = "symposium", _("座谈会")
    EXPERT = "expert", _("专家论证")
    # 篇3 六(四): 对重大复杂疑难事项，要征求上级主管部门的意见和建议.
    SUPERIOR = "superior", _("征求上级主管部门意见")


class Activity(Scoped):
    matter = models.ForeignKey(
        Matter,
        verbose_name=_("评估事项"),
        on_delete=models.CASCADE,
        related_name="opinion_activities",
    )
    kind = models.CharField(_("形式"), max_length=20, choices=ActivityKind.choices)
    date = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    participants = models.TextField(_("参加人员"), blank=True)
    participant_count = models.PositiveIntegerField(_("参加人数"), default=0)
    # The participants' stances (篇1 六(一)2, 篇3 六(三)): they count in the majority rule
    # as this activity kind's channel. Their sum is the participant count when any is given.
    group = models.CharField(_("态度人数所属群体"), max_length=60, blank=True)
    support_count = models.PositiveIntegerField(_("支持人数"), default=0)
    oppose_count = models.PositiveIntegerField(_("反对人数"), default=0)
    neutral_count = models.PositiveIntegerField(_("中立人数"), default=0)
    undeclared_count = models.PositiveIntegerField(_("未表态人数"), default=0)
    minutes = models.TextField(_("主要意见和纪要"), blank=True)
    # Which groups took part (e.g. 直接利益群体): the scheme's interest-group rule reads it.
    groups = models.JSONField(_("参加群体"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path_lookup = "matter__department__path"
    audit_fields: ClassVar[tuple[str, ...]] = (
        "kind",
        "date",
        "place",
        "participants",
        "participant_count",
        "group",
        "support_count",
        "oppose_count",
        "neutral_count",
        "undeclared_count",
        "minutes",
        "groups",
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("征求意见活动")
        verbose_name_plural = _("征求意见活动")
        indexes = [
            models.Index(fields=["matter", "kind"], name="opinion_act_matter_kind_idx"),
            models.Index(fields=["matter", "date"], name="opinion_act_matter_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%Y-%m-%d}"

    @property
    def audit_scope_path(self) -> str:
        return self.matter.department.path

    @property
    def stance_total(self) -> int:
        return self.support_count + self.oppose_count + self.neutral_count + self.undeclared_count

    @property
    def has_stances(self) -> bool:
        return self.stance_total > 0


# Named by migration 0001; new files are stored through `StoredFile`.
attachment_path = stored_file_path


class Attachment(Scoped, StoredFile):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attachments")

    scope_path_lookup = "activity__matter__department__path"
    owner_field = "activity"
    storage_prefix = "opinions"
    audit_action = "opinions.attachment.add"
    audit_fields = ("activity", *StoredFile.audit_fields)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("活动附件")

    def storage_dir(self) -> str:
        # An activity's files sit with the rest of its matter's opinions.
        return f"{self.storage_prefix}/{self.activity.matter_id}"


class CommentChannel(models.TextChoices):
    VISIT = "visit", _("走访群众")
    SAMPLING = "sampling", _("抽样调查")
    PUBLICITY = "publicity", _("媒体公示")
    HEARING = "hearing", _("听证会")
    SYMPOSIUM = "symposium", _("座谈会")
    EXPERT = "expert", _("专家论证")
    SUPERIOR = "superior", _("征求上级主管部门意见")
    QUESTIONNAIRE = "questionnaire", _("问卷")
    LETTER = "letter", _("来信来访")
    ONLINE = "online", _("网络")


class Comment(Scoped):
    matter = models.ForeignKey(
        Matter,
        verbose_name=_("评估事项"),
        on_delete=models.CASCADE,
        related_name="opinion_comments",
    )
    channel = models.CharField(_("渠道"), max_length=20, choices=CommentChannel.choices)
    author_name = models.CharField(_("提出人"), max_length=60, blank=True)
    author_group = models.CharField(_("所属群体"), max_length=60, blank=True)
    content = models.TextField(_("意见内容"))
    # 质疑: must be answered (篇3 六(三) 及时回复社会各界和群众的质疑).
    is_query = models.BooleanField(_("质疑"), default=False)
    # The author's stance on the matter; blank = 未表态. Counts in the majority rule.
    stance = models.CharField(_("态度"), max_length=10, choices=Stance.choices, blank=True)
    reply = models.TextField(_("回复"), blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回复人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    # 对拟做出的重大决策和重大项目进行修订完善.
    led_to_revision = models.BooleanField(_("已据此修订"), default=False)
    revision_note = models.TextField(_("修订说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    scope_path_lookup = "matter__department__path"
    audit_fields: ClassVar[tuple[str, ...]] = (
        "channel",
        "author_group",
        "content",
        "stance",
        "is_query",
        "reply",
        "replied_by",
        "replied_at",
        "led_to_revision",
        "revision_note",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("意见")
        verbose_name_plural = _("意见")
        indexes = [
            models.Index(fields=["matter", "is_query", "replied_at"], name="opinion_cmt_query_idx"),
            models.Index(fields=["matter", "channel"], name="opinion_cmt_channel_idx"),
            models.Index(fields=["matter", "created_at"], name="opinion_cmt_time_idx"),
        ]

    def __str__(self) -> str:
        return self.content[:40]

    @property
    def audit_scope_path(self) -> str:
        return self.matter.department.path

    @property
    def is_answered(self) -> bool:
        return self.replied_at is not None


# ---------------------------------------------------------------- keywords, kept at arrival
# 群众关注的主要问题 are read from these tables, never by tokenising on a page view: a text
# (a free-text answer or a comment) is queued as it arrives, the job worker tokenises it
# (`keyword_index.extract_pending`) and adds to the matter's per-word counts, keeping each
# word's first texts as its evidence. Web workers never load the tokeniser.


class PendingText(models.Model):
    """A text that arrived and awaits keyword extraction."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="+")
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, null=True, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, null=True, related_name="+")
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["matter", "id"], name="opinion_pending_matter_idx")]

    def __str__(self) -> str:
        return f"answer {self.answer_id}" if self.answer_id else f"comment {self.comment_id}"


class KeywordTally(models.Model):
    """How many of a matter's texts mention a keyword."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="+")
    word = models.CharField(max_length=40)
    count = models.PositiveIntegerField(default=0)
    domain = models.BooleanField(default=False)  # a word of the domain dictionary
    # The first texts that mention it, in arrival order, as ["a", answer id] or
    # ["c", comment id]: the evidence shown under the word (keyword_index.EVIDENCE_PER_WORD).
    sample = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["matter", "word"], name="opinion_kwtally_unique")
        ]
        indexes = [models.Index("matter", models.F("count").desc(), name="opinion_kwtally_top_idx")]

    def __str__(self) -> str:
        return f"{self.word} · {self.count}"
