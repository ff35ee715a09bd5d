from django.apps import AppConfig


class OpinionsConfig(AppConfig):
    name = "fengping.opinions"
    label = "opinions"
    verbose_name = "征求意见"
