from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fengping.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from fengping.core.registry import password_reset

        from .tokens import revoke_all_for_reset

        password_reset.add(revoke_all_for_reset)
        from django.utils.translation import gettext_lazy as _

        from fengping.audit.labels import register as register_labels

        register_labels(
            {
                "api.token.create": _("创建 API 令牌"),
                "api.token.revoke": _("撤销 API 令牌"),
                "api.token.revoke_by_admin": _("安全管理员撤销他人的 API 令牌"),
            }
        )
