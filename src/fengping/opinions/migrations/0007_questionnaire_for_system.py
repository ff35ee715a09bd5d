"""A questionnaire belongs to a matter or to an information system (篇2 2.2: the survey of
the system's administrators), and keeps the department it is scoped through.

Not atomic as a whole: on PostgreSQL a table whose rows were just updated inside the same
transaction cannot be altered ("pending trigger events"), so the rows are filled in their
own transaction between the schema changes."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery


def fill_department(apps, schema_editor):
    Questionnaire = apps.get_model("opinions", "Questionnaire")
    Matter = apps.get_model("matters", "Matter")
    Questionnaire.objects.filter(department__isnull=True).update(
        department=Subquery(Matter.objects.filter(pk=OuterRef("matter_id")).values("department")[:1])
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("infosec", "0001_initial"),
        ("matters", "0001_initial"),
        ("org", "0003_user_must_change_password"),
        ("opinions", "0006_opinion_tallies"),
    ]

    operations = [
        migrations.AddField(
            model_name="questionnaire",
            name="department",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.department",
            ),
        ),
        migrations.AddField(
            model_name="questionnaire",
            name="system",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="questionnaires",
                to="infosec.system",
                verbose_name="信息系统",
            ),
        ),
        migrations.AlterField(
            model_name="questionnaire",
            name="matter",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="questionnaires",
                to="matters.matter",
                verbose_name="评估事项",
            ),
        ),
        migrations.RunPython(fill_department, migrations.RunPython.noop, atomic=True),
        migrations.AlterField(
            model_name="questionnaire",
            name="department",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.department",
            ),
        ),
        migrations.AddField(
            model_name="questionnaire",
            name="key",
            field=models.CharField(blank=True, default="", editable=False, max_length=60),
        ),
        migrations.AddField(
            model_name="question",
            name="key",
            field=models.CharField(blank=True, default="", editable=False, max_length=60),
        ),
        migrations.AddIndex(
            model_name="questionnaire",
            index=models.Index(fields=["system", "status"], name="opinion_qn_system_status_idx"),
        ),
        migrations.AddIndex(
            model_name="questionnaire",
            index=models.Index(fields=["key"], name="opinion_qn_key_idx"),
        ),
        migrations.AddConstraint(
            model_name="questionnaire",
            constraint=models.CheckConstraint(
                condition=Q(("matter__isnull", False), ("system__isnull", True))
                | Q(("matter__isnull", True), ("system__isnull", False)),
                name="opinion_qn_matter_or_system",
            ),
        ),
    ]
