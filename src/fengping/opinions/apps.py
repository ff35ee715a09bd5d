from django.apps import AppConfig


class OpinionsConfig(AppConfig):
    name = "fengping.opinions"
    label = "opinions"
    verbose_name = "征求意见"

    def ready(self) -> None:
        from . import jobs, panels  # noqa: F401 - the matter-page card and the tick job
