from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fengping.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from . import jobs  # noqa: F401 - registers the daily chain verification
