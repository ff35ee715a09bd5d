"""The annual plan (计划表, its entries and filed versions) and the implementation rules
(具体实施办法和工作方案, their files and the offices' receipts) of 人社局."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fengping.matters.models import Matter
from fengping.supervision.actions import plans, rules_filing
from fengping.supervision.models import AnnualPlan

READ, CHANGE = False, True


def objects(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    year = timezone.localdate().year
    plan = AnnualPlan.objects.filter(department=org.rsj, year=year).first()
    if plan is None:
        plan = plans.do_create_plan(org.rsj_handler, org.rsj, year)
    matter = Matter.objects.get(pk=base["base"]["matter"])
    entry = plan.entries.filter(matter=matter).first() or plans.do_add_entry(
        org.rsj_handler, plan, matter=matter
    )
    plan.refresh_from_db()
    filing = plans.latest_filing(plan)
    if plan.status != "filed":
        filing = plans.do_file_plan(org.rsj_handler, plan, reason="增补事项")
    rules = rules_filing.do_register_rules(
        org.rsj_handler,
        org.rsj,
        year=year,
        title="人社局社会稳定风险评估实施办法",
        uploads=[SimpleUploadedFile("实施办法.txt", "实施办法".encode())],
    )
    document = rules.documents.get()
    rules = rules_filing.do_file_rules(org.rsj_handler, rules)
    receipt = rules.receipts.get(office=org.wwb)
    return {
        "sv_plan": plan.pk,
        "sv_plan_entry": entry.pk,
        "sv_plan_filing": filing.pk,
        "sv_rules": rules.pk,
        "sv_rules_document": document.pk,
        "sv_rules_receipt": receipt.pk,
    }


PAGES = {
    "sv_plan": {
        "supervision:plan": READ,
        "supervision:plan_xlsx": READ,
        "supervision:plan_entry_add": CHANGE,
        "supervision:plan_file": CHANGE,
    },
    "sv_plan_entry": {
        "supervision:plan_entry_edit": CHANGE,
        "supervision:plan_entry_remove": CHANGE,
    },
    "sv_plan_filing": {"supervision:plan_acknowledge": CHANGE},
    "sv_rules": {
        "supervision:rules": READ,
        "supervision:rules_document_add": CHANGE,
        "supervision:rules_file": CHANGE,
    },
    "sv_rules_document": {
        "supervision:rules_document": READ,
        "supervision:rules_document_remove": CHANGE,
    },
    "sv_rules_receipt": {"supervision:rules_acknowledge": CHANGE},
}
# The 督查 reads 人社局's plan and rules but changes nothing; a version filed with the
# 维稳办 is acknowledged by the 维稳办's members only (人社局's head reads it), and the
# 维稳办's receipt of the rules by them only (联席办's 督查 has its own receipt).
READERS = {
    "sv_plan": ("supervisor",),
    "sv_plan_entry": ("supervisor",),
    "sv_plan_filing": ("rsj_head",),
    "sv_rules": ("supervisor",),
    "sv_rules_document": ("supervisor",),
    "sv_rules_receipt": ("rsj_head", "lxb_supervisor"),
}
API_PARAMETERS = {
    "plan_id": "sv_plan",
    "plan_entry_id": "sv_plan_entry",
    "plan_filing_id": "sv_plan_filing",
    "rules_id": "sv_rules",
    "rules_document_id": "sv_rules_document",
    "rules_receipt_id": "sv_rules_receipt",
}
API_OPERATIONS = {
    "POST /api/supervision/plans": {
        "kind": "sv_plan",
        "body": lambda o: {"department_id": o["department"]},
    },
    "POST /api/supervision/rules": {
        "kind": "sv_rules",
        "body": lambda o: {"department_id": o["department"]},
    },
}
