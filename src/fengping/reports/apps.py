from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fengping.reports"
    label = "reports"
    verbose_name = "评估报告"
