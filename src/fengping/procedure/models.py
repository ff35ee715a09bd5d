"""Abstract models of a run of a scheme's procedure and of its step records.

A domain app's run (an assessment, later an information-system assessment or a case
assessment) inherits `Run`; its step records inherit `StepRecordBase` and add the foreign
key to the run with ``related_name="steps"`` — the engine reads and writes the records
through that name. Both carry `org.models.Scoped`, so `org.access` scopes them as any
other row of the app.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengping.org.models import Scoped
from fengping.schemes.model import Scheme


class Run(Scoped):
    """One run of a scheme's procedure, with the scheme frozen when it started.

    The canonical JSON and content hash of the scheme are stored, so a later edit of the
    scheme never rewrites a past run. `status` is overridden by each app with its own
    choices; the engine reads only `current_step`."""

    scheme_key = models.CharField(_("评估方案"), max_length=64)
    scheme_version = models.CharField(_("方案版本"), max_length=12)
    scheme_hash = models.CharField(max_length=64)
    scheme_snapshot = models.JSONField(editable=False)
    status = models.CharField(_("状态"), max_length=20, db_index=True)
    current_step = models.CharField(_("当前步骤"), max_length=64, db_index=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    @property
    def scheme(self) -> Scheme:
        """The frozen scheme, exactly as it was when the run started.

        Read with the validation context ``frozen``: the rules a scheme was accepted
        under stay those it is read under, so a rule added later (such as an output its
        kind must produce) never makes a past run unreadable."""
        cached: Scheme | None = getattr(self, "_scheme", None)
        if cached is None:
            data = {
                k: v
                for k, v in self.scheme_snapshot.items()
                if k not in ("version", "content_hash")
            }
            cached = Scheme.model_validate(data, context={"frozen": True})
            self._scheme = cached
        return cached

    def step_records(self) -> Any:
        """The related manager of this run's step records."""
        return self.steps


class StepState(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")
    SENT_BACK = "sent_back", _("已退回")


class StepRecordBase(Scoped):
    """What happened to one step of a run: opened, done (by whom, when, with a note) or
    sent back (by whom, when, why). The concrete model adds the foreign key to its run
    (``related_name="steps"``) and a unique constraint on (run, step_code)."""

    step_code = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=StepState.choices, default=StepState.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    sent_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_back_at = models.DateTimeField(null=True, blank=True)
    sent_back_reason = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["opened_at", "id"]

    def __str__(self) -> str:
        return f"{self.step_code} {self.state}"
