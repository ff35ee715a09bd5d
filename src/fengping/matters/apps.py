from django.apps import AppConfig


class MattersConfig(AppConfig):
    name = "fengping.matters"
    label = "matters"
    verbose_name = "评估事项"
