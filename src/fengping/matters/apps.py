from django.apps import AppConfig


class MattersConfig(AppConfig):
    name = "fengping.matters"
    label = "matters"
    verbose_name = "评估事项"

    def ready(self) -> None:
        from . import cards  # noqa: F401 - adds the matter counts to the home page
