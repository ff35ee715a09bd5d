from django.apps import AppConfig


class ProcedureConfig(AppConfig):
    name = "fengping.procedure"
    label = "procedure"
    verbose_name = "评估程序"
