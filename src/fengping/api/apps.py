from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fengping.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from fengping.audit.labels import register as register_labels

        register_labels(
            {
                "api.token.create": _("创建 API 令牌"),
                "api.token.revoke": _("撤销 API 令牌"),
            }
        )
