from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "fengping.assessments"
    label = "assessments"
    verbose_name = "风险评估"
