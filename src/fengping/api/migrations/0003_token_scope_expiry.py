"""API tokens carry a scope and an expiry (issue 13, GB/T 22239-2019 8.1.4.1).

Tokens made before this migration could do anything and never ended: they keep read-write
(nobody's integration breaks) and end the configured lifetime after the upgrade, not
after their creation, so none ends the moment the upgrade runs."""

from datetime import timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def expire_later(apps, schema_editor):
    ApiToken = apps.get_model("api", "ApiToken")
    days = getattr(settings, "FENGPING_API_TOKEN_MAX_DAYS", 90)
    ApiToken.objects.filter(expires_at__isnull=True).update(
        expires_at=timezone.now() + timedelta(days=days)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[("read", "只读"), ("read_write", "读写")],
                default="read_write",
                max_length=12,
                verbose_name="权限范围",
            ),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[("read", "只读"), ("read_write", "读写")],
                default="read",
                max_length=12,
                verbose_name="权限范围",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="到期时间"),
        ),
        migrations.RunPython(expire_later, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="到期时间"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="撤销人",
            ),
        ),
    ]
