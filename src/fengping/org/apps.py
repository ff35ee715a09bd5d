from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "fengping.org"
    label = "org"
    verbose_name = "组织机构"
