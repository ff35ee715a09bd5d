"""The append-only, hash-chained event log.

Each event stores the SHA-256 of its own canonical content together with the hash of the
event before it, so altering or deleting any row breaks the chain at that row, and
`fengping audit verify` names it. `ChainHead` remembers the last sequence number and hash,
so deleting the newest events is caught too.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("audit events are append-only")


class Event(models.Model):
    seq = models.BigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    # The actor is copied, not a foreign key: deleting or renaming a user must never
    # rewrite (and so break) the chain.
    actor_id = models.BigIntegerField(_("操作人编号"), null=True, db_index=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=80, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=80, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=300, blank=True)
    # Department tree path of the object, so supervisors see only their organisation's events.
    scope_path = models.CharField(_("部门路径"), max_length=255, blank=True, db_index=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # The hash function of this event (hashing.ALGORITHMS): FENGPING_AUDIT_HASH when it
    # was written. Verification uses each event's own, so the setting can change.
    algorithm = models.CharField(_("哈希算法"), max_length=16, default="sha256")

    objects: ClassVar[AppendOnlyQuerySet] = AppendOnlyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            # The audit browser's filters, each read newest first (keyset on seq).
            models.Index(fields=["action", "-seq"], name="audit_action_seq_idx"),
            models.Index(fields=["actor_id", "-seq"], name="audit_actor_seq_idx"),
            models.Index(fields=["object_type", "-seq"], name="audit_type_seq_idx"),
            models.Index(fields=["object_id", "-seq"], name="audit_objid_seq_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("audit events are append-only")

    @property
    def action_label(self) -> str:
        """The action as people read it (登记评估事项), from the apps' registered labels."""
        from .labels import label

        return label(self.action)

    @property
    def actor_display(self) -> str:
        """The actor's name as people know it now (the stored username if the account is gone)."""
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=self.actor_id).first() if self.actor_id else None
        return str(user) if user is not None else (self.actor_name or "system")


class ChainHead(models.Model):
    """One row: the newest sequence number and hash. Locked while appending, which
    serialises writers on PostgreSQL (SQLite serialises writers anyway)."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("审计链头")

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"


class Checkpoint(models.Model):
    """One row once events were purged (`fengping audit purge`): the last purged event's
    sequence number and hash. Verification starts from here instead of the genesis, so
    the remaining chain still proves itself; any event after it that is deleted or
    altered breaks the chain as before."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    purged_at = models.DateTimeField(null=True, blank=True)
    # The SHA-256 of the bundle manifest that covered the purged events.
    bundle_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("审计链检查点")

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"


class BundleExport(models.Model):
    """An exported, signed bundle of events (`fengping audit export`, the audit page):
    which sequence numbers it carries in full, so a purge can prove the events it removes
    were exported first."""

    created_at = models.DateTimeField(_("导出时间"))
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(_("导出人"), max_length=150, blank=True)
    date_from = models.DateField(_("起始日期"))
    date_to = models.DateField(_("截止日期"))
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField()
    # False when some events were withheld (only their hashes exported): such a bundle
    # does not preserve their content and cannot justify a purge.
    complete = models.BooleanField(default=True)
    bundle_hash = models.CharField(max_length=64)
    key_fingerprint = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("审计导出包")

    def __str__(self) -> str:
        return f"#{self.first_seq}–#{self.last_seq} {self.bundle_hash[:12]}"


class CheckTrigger(models.TextChoices):
    TICK = "tick", _("每日定时校验")
    MANUAL = "manual", _("手动校验")


class ChainCheck(models.Model):
    """One verification of the chain and its result, so the audit log can say when the
    chain was last proved intact (or where it broke) and by whom."""

    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    trigger = models.CharField(_("方式"), max_length=16, choices=CheckTrigger.choices)
    # Copied like an event's actor: the record never depends on the account.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(_("校验人"), max_length=150, blank=True)
    ok = models.BooleanField(_("完好"), null=True)  # None: queued or running
    checked = models.BigIntegerField(_("已校验事件数"), default=0)
    broken_seq = models.BigIntegerField(_("断点序号"), null=True, blank=True)
    reason = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("审计链校验")

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.started_at:%Y-%m-%d %H:%M}"
