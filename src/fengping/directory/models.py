"""Which users come from the directory, and which memberships the directory granted.

The provenance is what lets a sync remove a membership the directory no longer gives
without ever touching one an administrator granted locally."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from fengping.org.models import Membership, User


class Source(models.TextChoices):
    LDAP = "ldap", _("LDAP 目录")
    OIDC = "oidc", _("统一身份认证（OIDC）")


class DirectoryAccount(models.Model):
    """A user whose identity the directory holds: its local password is unusable."""

    user = models.OneToOneField(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="directory_account"
    )
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    # The LDAP entry's DN, or the OIDC subject (`sub`).
    external_id = models.CharField(_("目录标识"), max_length=500)
    last_sync = models.DateTimeField(_("最近同步"))

    class Meta:
        verbose_name = _("目录账户")
        verbose_name_plural = _("目录账户")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="directory_account_external_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_source_display()}"


class DirectoryGrant(models.Model):
    """A membership the directory gave (from a mapped group); removed by the next sync
    once the directory stops giving it. A membership without a grant is local."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="directory_grant"
    )
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    group = models.CharField(_("目录组"), max_length=500)

    class Meta:
        verbose_name = _("目录授予的任职")
        verbose_name_plural = _("目录授予的任职")

    def __str__(self) -> str:
        return f"{self.membership} ← {self.group}"
