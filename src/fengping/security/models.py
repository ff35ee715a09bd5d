"""The security policy (one row) and the password history that enforces it.

The policy's first values come from the settings (`FENGPING_PASSWORD_*`,
`FENGPING_LOGIN_*`, `FENGPING_SESSION_IDLE_MINUTES`, `FENGPING_OTP_FOR_EVERYONE`); from
then on the 安全管理员 changes it on /security/policy/ and the row rules."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _default(name: str) -> int | bool:
    return settings.FENGPING_SECURITY_DEFAULTS[name]  # type: ignore[no-any-return]


class SecurityPolicy(models.Model):
    min_length = models.PositiveSmallIntegerField(_("密码最短长度"))
    required_classes = models.PositiveSmallIntegerField(
        _("密码须包含的字符类别数"),
        help_text=_("小写字母、大写字母、数字、符号四类中至少几类"),
    )
    expiry_days = models.PositiveSmallIntegerField(_("密码有效期（天）"))
    history_count = models.PositiveSmallIntegerField(_("不得重复使用最近几次的密码"))
    lockout_failures = models.PositiveSmallIntegerField(_("连续失败几次锁定"))
    lockout_minutes = models.PositiveSmallIntegerField(_("锁定时长（分钟）"))
    idle_minutes = models.PositiveSmallIntegerField(_("空闲超时（分钟）"))
    otp_for_everyone = models.BooleanField(
        _("所有用户启用双因素认证"),
        default=False,
        help_text=_("管理员（系统、安全、审计管理员）始终需要双因素认证"),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    audit_fields: ClassVar[tuple[str, ...]] = (
        "min_length",
        "required_classes",
        "expiry_days",
        "history_count",
        "lockout_failures",
        "lockout_minutes",
        "idle_minutes",
        "otp_for_everyone",
    )

    class Meta:
        verbose_name = _("安全策略")
        verbose_name_plural = _("安全策略")

    def __str__(self) -> str:
        return str(_("安全策略"))

    @classmethod
    def from_settings(cls) -> SecurityPolicy:
        return cls(pk=1, **{name: _default(name) for name in cls.audit_fields})


class PasswordHistory(models.Model):
    """One row per password a user has set (its hash only), newest first; the newest row's
    time is when the password was last changed. Kept to the policy's history count."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(max_length=256)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="security_pwhist_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d %H:%M}"
