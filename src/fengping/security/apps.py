from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "fengping.security"
    label = "security"
    verbose_name = "安全策略"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from fengping.audit.labels import register as register_labels
        from fengping.core.registry import password_change_reasons

        from .passwords import expiry_reason

        password_change_reasons.add(expiry_reason)

        from django.contrib.auth.signals import user_logged_in

        from .otp import remember_at_login

        user_logged_in.connect(remember_at_login, dispatch_uid="security.remember_at_login")

        register_labels(
            {
                "security.policy.update": _("修改安全策略"),
                "security.lockout.unlock": _("解除登录锁定"),
                "security.otp.enrol": _("启用双因素认证"),
                "security.otp.verify_failed": _("双因素验证失败"),
                "security.otp.recovery_used": _("使用恢复码登录"),
                "security.otp.recovery_regenerate": _("重新生成恢复码"),
                "security.otp.reset": _("重置双因素认证"),
            }
        )
