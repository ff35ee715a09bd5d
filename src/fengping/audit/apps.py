from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fengping.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from fengping.core.concurrency import last_change

        from . import jobs  # noqa: F401 - registers the daily chain verification
        from .chain import who_changed

        last_change.add(who_changed)  # names who won a concurrent edit
