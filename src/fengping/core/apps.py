from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fengping.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from . import jobs  # noqa: F401 - registers the periodic jobs
