from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    READ = "read", _("只读")
    READ_WRITE = "read_write", _("读写")


# Methods a read-only token may use.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once.

    It carries a scope (read or read-write) and ends at `expires_at` (GB/T 22239-2019
    8.1.4.1: no credential lives for ever; `FENGPING_API_TOKEN_MAX_DAYS`, default 90)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=80)
    prefix = models.CharField(_("前缀"), max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    # Who revoked it when it was not the holder (a 安全管理员); null for the holder.
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    scope = models.CharField(
        _("权限范围"), max_length=12, choices=TokenScope.choices, default=TokenScope.READ
    )
    expires_at = models.DateTimeField(_("到期时间"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def state(self, now: datetime | None = None) -> str:
        """ "active", "expired" or "revoked"."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "active"

    def refusal(self, method: str, now: datetime | None = None) -> tuple[str, str] | None:
        """Why this token may not make a request with `method`: (code, Chinese message),
        or None. The API's authentication asks this and nothing else."""
        state = self.state(now)
        if state == "revoked":
            return "token_revoked", str(_("API 令牌已撤销"))
        if state == "expired":
            return "token_expired", str(
                _("API 令牌已于 %(at)s 过期，请在个人资料页创建新令牌")
                % {"at": localtime(self.expires_at).strftime("%Y-%m-%d %H:%M")}
            )
        if self.scope == TokenScope.READ and method.upper() not in SAFE_METHODS:
            return "token_read_only", str(_("只读令牌不能修改数据，请使用读写令牌"))
        return None

    @property
    def audit_scope_path(self) -> str:
        return ""
