from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fengping.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from fengping.core.concurrency import last_change

        from . import jobs  # noqa: F401 - registers the daily chain verification
        from .chain import who_changed
        from .labels import register

        register(
            {
                # Recorded by desk.audit_actions (the audit app cannot check roles itself).
                "audit.chain.verify": _("手动校验审计链"),
                "audit.backup.create": _("备份数据"),  # `fengping backup` (audit.backup)
            }
        )

        last_change.add(who_changed)  # names who won a concurrent edit
