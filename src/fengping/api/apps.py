from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fengping.api"
    label = "api"
    verbose_name = "API"
