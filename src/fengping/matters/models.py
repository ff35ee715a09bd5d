"""重大事项: the matters that must (or may) be assessed before a decision.

A matter belongs to its 责任主体 (the responsible department); access follows that
department through `org.access`. The scheme key and taxonomy category come from the scheme
data, so another city's scheme brings its own categories without code changes.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengping.core.files import StoredFile, stored_file_path
from fengping.org.models import Department, Scoped


class MatterKind(models.TextChoices):
    DECISION = "decision", _("重大决策")
    POLICY = "policy", _("重大政策")
    PROJECT = "project", _("重大项目")
    REFORM = "reform", _("重大改革")
    WORK = "work", _("重大工作事项")


class MatterStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    ASSESSING = "assessing", _("评估中")
    REVIEWING = "reviewing", _("审查中")
    DECIDED = "decided", _("已决定")
    IMPLEMENTING = "implementing", _("实施跟踪中")
    CLOSED = "closed", _("已办结")


class DesignationBody(models.TextChoices):
    PARTY_GROUP = "party_group", _("党组")
    PARTY_COMMITTEE = "party_committee", _("党委")
    PEOPLES_CONGRESS = "peoples_congress", _("人大")
    GOVERNMENT = "government", _("政府")


class Matter(Scoped):
    title = models.CharField(_("事项名称"), max_length=200)
    kind = models.CharField(
        _("事项类型"), max_length=20, choices=MatterKind.choices, default=MatterKind.DECISION
    )
    description = models.TextField(_("事项概况"), blank=True)
    scheme_key = models.CharField(_("评估方案"), max_length=64, db_index=True)
    category_code = models.CharField(_("所属领域"), max_length=64, blank=True, db_index=True)
    category_label = models.CharField(_("所属领域名称"), max_length=200, blank=True)
    must_assess = models.BooleanField(_("必须评估"), default=True)
    department = models.ForeignKey(
        Department, verbose_name=_("责任主体"), on_delete=models.PROTECT, related_name="matters"
    )
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("牵头部门"),
        on_delete=models.PROTECT,
        related_name="led_matters",
        null=True,
        blank=True,
    )
    assisting_departments = models.ManyToManyField(
        Department, verbose_name=_("协助部门"), related_name="assisted_matters", blank=True
    )
    deciding_authority = models.CharField(_("有权作出决定的机关"), max_length=120, blank=True)
    # 篇3 六(七): who signs the review chain — the 审批、审议部门 (审查) and the deciding
    # organ (its 分管领导 审定; its 主要负责人 for 涉稳重大问题). The text above is for display.
    approving_department = models.ForeignKey(
        Department,
        verbose_name=_("审批、审议部门"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    deciding_organ = models.ForeignKey(
        Department,
        verbose_name=_("决策机关"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    planned_decision_date = models.DateField(_("计划决策日期"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=MatterStatus.choices,
        default=MatterStatus.REGISTERED,
        db_index=True,
    )
    grade = models.CharField(_("风险等级"), max_length=32, blank=True, db_index=True)
    grade_label = models.CharField(_("风险等级名称"), max_length=32, blank=True)
    # 篇1 六(一)1 / 篇3 五: designated for assessment by the 党组, 党委 or 政府.
    designated_by_body = models.CharField(
        _("指定评估机关"), max_length=20, choices=DesignationBody.choices, blank=True
    )
    designation_note = models.CharField(_("指定依据"), max_length=300, blank=True)
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指定登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    designated_at = models.DateTimeField(_("指定时间"), null=True, blank=True)
    # 篇3 五: 涉及到多部门、职能交叉难以界定责任主体的，由党委、政府指定责任主体.
    responsibility_body = models.CharField(
        _("指定责任主体的机关"), max_length=20, choices=DesignationBody.choices, blank=True
    )
    responsibility_note = models.CharField(_("指定责任主体的依据"), max_length=300, blank=True)
    responsibility_designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指定责任主体登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    responsibility_designated_at = models.DateTimeField(
        _("指定责任主体登记时间"), null=True, blank=True
    )
    # 篇3 二(四): public unless it involves state or commercial secrets or personal privacy.
    confidential = models.BooleanField(_("涉及国家秘密、商业秘密或个人隐私"), default=False)
    # 篇3 六(四) 重大复杂疑难事项 → 征求上级主管部门的意见; 篇3 二(三) 争议较大、专业性较强、
    # 影响面较广的评估事项 → 听证、论证. The scheme's consultation rules read these flags.
    complex_difficult = models.BooleanField(_("重大复杂疑难事项"), default=False)
    contested = models.BooleanField(_("争议较大、专业性较强或影响面较广"), default=False)
    consultation_open = models.BooleanField(_("公开征求意见"), default=False, db_index=True)
    # Set when the step producing the opinions is completed (questionnaires close with it),
    # cleared by a send-back to that step or before.
    consultation_closed_at = models.DateTimeField(_("征求意见结束时间"), null=True, blank=True)
    consultation_summary = models.TextField(_("公开征求意见说明"), blank=True)
    consultation_channels = models.TextField(
        _("意见反映渠道"), blank=True, help_text=_("例如：电话、信箱、来访地址")
    )
    consultation_until = models.DateField(_("征求意见截止日期"), null=True, blank=True)
    # 篇3 六(一): 年度评估计划表报维稳办备案；对未备案的事项，一律不予审批.
    plan_filed_on = models.DateField(_("列入年度计划备案日期"), null=True, blank=True)
    plan_filed_with = models.ForeignKey(
        Department,
        verbose_name=_("计划备案机关"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True, db_index=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    # `org.access`: the rows linked to a matter are open to its lead and assisting departments.
    matter_lookup: ClassVar[str] = "pk"
    audit_fields: ClassVar[tuple[str, ...]] = (
        "title",
        "kind",
        "description",
        "scheme_key",
        "category_code",
        "must_assess",
        "department",
        "lead_department",
        "deciding_authority",
        "approving_department",
        "deciding_organ",
        "planned_decision_date",
        "status",
        "grade",
        "designated_by_body",
        "designation_note",
        "responsibility_body",
        "responsibility_note",
        "confidential",
        "complex_difficult",
        "contested",
        "consultation_open",
        "consultation_closed_at",
        "consultation_until",
        "plan_filed_on",
        "plan_filed_with",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("评估事项")
        verbose_name_plural = _("评估事项")
        indexes = [
            models.Index(fields=["department", "status"], name="matter_dept_status_idx"),
            models.Index(fields=["year", "status"], name="matter_year_status_idx"),
            models.Index(fields=["consultation_open", "confidential"], name="matter_public_idx"),
            # The list's order (newest first), so a page is read off the index.
            models.Index(fields=["-created_at", "-id"], name="matter_newest_idx"),
            models.Index(fields=["category_code", "year"], name="matter_category_year_idx"),
            # Who owes plans and reports (`supervision.obliged`): each department's first
            # matter of a scheme, read off the index alone.
            models.Index(
                fields=["scheme_key", "department", "created_at"],
                name="matter_scheme_dept_first_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_scope_path(self) -> str:
        return self.department.path

    @property
    def is_public(self) -> bool:
        """Open for public consultation now: not confidential, opened by the department and
        not yet closed by the completion of the consultation step."""
        return (
            self.consultation_open and not self.confidential and self.consultation_closed_at is None
        )

    @property
    def consultation_finished(self) -> bool:
        """The consultation step is complete (or the matter decided): no more answers."""
        return self.consultation_closed_at is not None or self.status in (
            MatterStatus.DECIDED,
            MatterStatus.IMPLEMENTING,
            MatterStatus.CLOSED,
        )


# Named by migration 0001; new files are stored through `StoredFile`.
document_path = stored_file_path


class MatterDocument(Scoped, StoredFile):
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="documents")
    note = models.CharField(_("说明"), max_length=200, blank=True)

    scope_path_lookup = "matter__department__path"
    owner_field = "matter"
    storage_prefix = "matters"
    audit_action = "matters.document.add"
    audit_fields = (*StoredFile.audit_fields, "note")

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("事项文件")
