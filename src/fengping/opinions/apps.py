from django.apps import AppConfig


class OpinionsConfig(AppConfig):
    name = "fengping.opinions"
    label = "opinions"
    verbose_name = "征求意见"

    def ready(self) -> None:
        from . import panels  # noqa: F401 - adds the 征求意见 card to the matter page
