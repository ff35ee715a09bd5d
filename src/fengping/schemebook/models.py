"""Schemes uploaded through the web page by an organisation administrator.

Built-in schemes ship as files with the code and an office may also drop files into
`DATA_DIR/schemes`; neither needs a table. An upload does: its text, who uploaded it and
its version. Every distinct version an upload has had is kept in `UploadedSchemeVersion`,
so an assessment that froze an older version can still read the scheme it was made with.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UploadedScheme(models.Model):
    key = models.SlugField(_("方案键"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    yaml_text = models.TextField(_("方案文件内容"))
    # sha256 of the validated content (Scheme.content_hash), not of the file's bytes:
    # comments and layout do not change it.
    content_hash = models.CharField(_("内容哈希"), max_length=64)
    version = models.CharField(_("版本"), max_length=12)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    is_active = models.BooleanField(_("启用"), default=True)

    # Set by do_upload_scheme on the row it returns: the version this upload replaced.
    previous_version: str | None = None

    audit_fields: ClassVar[tuple[str, ...]] = (
        "key",
        "name",
        "content_hash",
        "version",
        "uploaded_by",
        "is_active",
    )

    class Meta:
        verbose_name = _("上传的评估方案")
        verbose_name_plural = _("上传的评估方案")
        ordering: ClassVar[list[str]] = ["key"]

    def __str__(self) -> str:
        return f"{self.name}（{self.key}）"


class UploadedSchemeVersion(models.Model):
    """Every version an uploaded scheme has had (its text at that version)."""

    scheme = models.ForeignKey(UploadedScheme, on_delete=models.CASCADE, related_name="versions")
    content_hash = models.CharField(max_length=64)
    version = models.CharField(max_length=12)
    yaml_text = models.TextField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["scheme", "content_hash"], name="schemebook_version_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scheme.key}@{self.version}"
