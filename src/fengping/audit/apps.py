from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fengping.audit"
    label = "audit"
    verbose_name = "审计"
