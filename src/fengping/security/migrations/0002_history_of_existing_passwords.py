"""Existing accounts start their password age today (not from when they joined: that
would expire every password on the day of the upgrade) and their current password is
the first of their history."""

from django.db import migrations
from django.utils import timezone


def seed(apps, schema_editor):
    User = apps.get_model("org", "User")
    PasswordHistory = apps.get_model("security", "PasswordHistory")
    now = timezone.now()
    rows = [
        PasswordHistory(user_id=pk, password=password, created_at=now)
        for pk, password in User.objects.values_list("pk", "password").iterator()
        if password and not password.startswith("!")
    ]
    PasswordHistory.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0001_security_policy_and_password_history"),
        ("org", "0004_three_admin_roles"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
