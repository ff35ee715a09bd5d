from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class TickRun(models.Model):
    """One run of one periodic job for one period. The unique constraint is what makes
    `fengping tick` idempotent: a second tick in the same period finds the row and skips."""

    job = models.CharField(_("任务"), max_length=60)
    period = models.CharField(_("周期"), max_length=20)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ok = models.BooleanField(_("成功"), default=False)
    detail = models.TextField(_("结果"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("定时任务记录")
        constraints = [
            models.UniqueConstraint(fields=["job", "period"], name="core_tickrun_unique")
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.period}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已导入")
    FAILED = "failed", _("未导入")


class ImportRecord(models.Model):
    """One import: who, when, which file (name, size, SHA-256), what it was for, how far it
    got and how it ended — the created counts, or every row error (nothing written then).

    Visible to its importer and to whoever may see the department it imported into
    (`scope_path`); nobody changes it by hand. The uploaded file is kept only while a
    background job needs it and deleted when the job ends (it may hold initial passwords);
    the name and SHA-256 stay as evidence.
    """

    importer = models.CharField(_("导入器"), max_length=200)
    title = models.CharField(_("导入内容"), max_length=200)
    target_id = models.PositiveBigIntegerField(_("导入对象"), null=True, blank=True)
    scope_path = models.CharField(_("部门范围"), max_length=255, blank=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        related_name="imports",
    )
    created_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    file_name = models.CharField(_("文件名"), max_length=200)
    file_size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file = models.FileField(_("待导入文件"), upload_to="imports/", blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    background = models.BooleanField(_("后台导入"), default=False)
    total_rows = models.PositiveIntegerField(_("行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    counts = models.JSONField(_("导入结果"), default=dict, blank=True)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    # Shown once to the importer after a background import (generated initial passwords),
    # then erased.
    reveal = models.JSONField(default=list, blank=True)

    scope_path_lookup: ClassVar[str] = "scope_path"
    change_roles: ClassVar[frozenset[str]] = frozenset()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("导入记录")

    def __str__(self) -> str:
        return f"{self.title} · {self.file_name}"

    def get_absolute_url(self) -> str:
        return reverse("import_record", args=[self.pk])

    @property
    def audit_scope_path(self) -> str:
        return self.scope_path

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.processed_rows * 100 // self.total_rows)


class ImportStagingRow(models.Model):
    """A cleaned row of a background import, written in short chunks while the file is
    checked, read back by the final commit and deleted with it. Keeps the worker's memory
    flat and the write lock short: the long part (reading, checking, hashing) commits
    chunk by chunk here, and only the final bulk insert runs in one transaction."""

    record = models.ForeignKey(ImportRecord, on_delete=models.CASCADE, related_name="staged")
    sheet = models.CharField(max_length=31)
    number = models.PositiveIntegerField()
    data = models.JSONField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.sheet} {self.number}"
