from django.apps import AppConfig


class SchemebookConfig(AppConfig):
    name = "fengping.schemebook"
    label = "schemebook"
    verbose_name = "评估方案"
