from __future__ import annotations

from django.db import models
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
