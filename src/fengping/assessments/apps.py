from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "fengping.assessments"
    label = "assessments"
    verbose_name = "风险评估"

    def ready(self) -> None:
        from . import panels  # noqa: F401 - adds the assessment card to the matter page
        from .outputs import register

        register()  # how the procedure engine checks an assessment's outputs
