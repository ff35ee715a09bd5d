"""Keep the plan filings recorded before the annual plan existed: each matter with a
plan-filing date becomes an entry of its department's plan for that year, and the plan
gets one filing (第1版, marked `migrated`) per office and date that was recorded."""

import datetime as dt

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    Matter = apps.get_model("matters", "Matter")
    AnnualPlan = apps.get_model("supervision", "AnnualPlan")
    PlanEntry = apps.get_model("supervision", "PlanEntry")
    PlanFiling = apps.get_model("supervision", "PlanFiling")
    matters = (
        Matter.objects.filter(plan_filed_on__isnull=False)
        .order_by("department_id", "plan_filed_on", "pk")
        .values("pk", "title", "category_code", "scheme_key", "department_id",
                "plan_filed_on", "plan_filed_with_id")
    )
    plans: dict = {}
    for m in matters:
        key = (m["department_id"], m["plan_filed_on"].year)
        plan = plans.get(key)
        if plan is None:
            plan, _ = AnnualPlan.objects.get_or_create(
                department_id=key[0],
                year=key[1],
                defaults={"scheme_key": m["scheme_key"], "status": "filed"},
            )
            plans[key] = plan
        PlanEntry.objects.get_or_create(
            plan=plan,
            matter_id=m["pk"],
            defaults={"title": m["title"], "category_code": m["category_code"]},
        )
    for (dept, year), plan in plans.items():
        entries = [
            {"matter": e.matter_id, "title": e.title, "category_code": e.category_code,
             "planned_month": None}
            for e in PlanEntry.objects.filter(plan=plan).order_by("id")
        ]
        last = max(
            m["plan_filed_on"] for m in matters
            if m["department_id"] == dept and m["plan_filed_on"].year == year
        )
        office = next(
            m["plan_filed_with_id"] for m in matters
            if m["department_id"] == dept and m["plan_filed_on"] == last
        )
        filed_at = timezone.make_aware(dt.datetime.combine(last, dt.time(12, 0)))
        due = dt.date(year, 3, 31)
        PlanFiling.objects.get_or_create(
            plan=plan,
            number=1,
            defaults={
                "office_id": office,
                "filed_at": filed_at,
                "due_on": due,
                "late": last > due,
                "entries": entries,
                "migrated": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0001_initial"),
        ("matters", "0006_search_trigram_indexes"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
