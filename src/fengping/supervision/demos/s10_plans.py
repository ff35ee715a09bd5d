"""Demo: the annual plans of 养老保险科 and 房屋征收科 (drawn up and filed by the assessments
demo when it put its matters into them), 签收ed by the 维稳办; 养老保险科's plan re-filed
with a planned matter added (第2版); 人社局's plan for next year filed ahead (from October);
人社局's 具体实施办法和工作方案 filed with the 维稳办 and 联席办 and 签收ed by both. This
year's filings made after 31 March are marked late (逾期备案)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fengping.org.models import Department, User
from fengping.supervision.actions import plans, rules_filing
from fengping.supervision.models import AnnualPlan, PlanStatus, RulesFiling

PLANNED = "基本医疗保险门诊共济保障机制改革"


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _dept(code: str) -> Department | None:
    return Department.objects.filter(code=code).first()


def _plan(actor: User, department: Department, year: int) -> AnnualPlan | None:
    plan = AnnualPlan.objects.filter(department=department, year=year).first()
    if plan is None and not plans.create_refusal(actor, department, year):
        plan = plans.do_create_plan(actor, department, year)
    return plan


def _acknowledge_all(office_user: User, plan: AnnualPlan) -> int:
    n = 0
    for filing in plan.filings.filter(acknowledged_at__isnull=True).select_related("office"):
        if not plans.acknowledge_refusal(office_user, filing):
            plans.do_acknowledge_plan(office_user, filing)
            n += 1
    return n


def load() -> int:
    clerk, head, office = _user("chenjing"), _user("zhouguangyao"), _user("sunli")
    joint = _user("zhoumin")
    unit, rsj = _dept("SFS-RSJ-YL"), _dept("SFS-RSJ")
    if None in (clerk, head, office, joint, unit, rsj):
        return 0
    created = 0
    year = timezone.localdate().year
    # 养老保险科: the plan the assessments demo filed, re-filed with a planned matter.
    plan = _plan(clerk, unit, year)
    if plan is not None:
        if plan.status == PlanStatus.DRAFT and not plans.file_refusal(plan):
            plans.do_file_plan(clerk, plan)
            created += 1
        _acknowledge_all(office, plan)
        if not plan.entries.filter(title=PLANNED).exists():
            plans.do_add_entry(clerk, plan, title=PLANNED, planned_month=9, note="待立项")
            plans.do_file_plan(
                clerk, AnnualPlan.objects.get(pk=plan.pk), reason="增补门诊共济保障改革事项"
            )
            created += 2
    # 房屋征收科: filed by the assessments demo; 签收.
    for dept_code in ("SFS-ZJJ-ZS",):
        other = AnnualPlan.objects.filter(department__code=dept_code, year=year).first()
        if other is not None:
            _acknowledge_all(office, other)
    # 人社局's plan for next year, filed ahead of time (open from 1 October).
    nxt = _plan(head, rsj, year + 1)
    if nxt is not None and not nxt.entries.exists():
        plans.do_add_entry(head, nxt, title="企业职工基本养老保险全国统筹配套政策", planned_month=3)
        plans.do_file_plan(head, AnnualPlan.objects.get(pk=nxt.pk))
        created += 3
    if nxt is not None:
        _acknowledge_all(office, nxt)
    # 人社局's implementation rules, filed with both offices and 签收ed by each.
    if not RulesFiling.objects.filter(
        department=rsj, year=year
    ).exists() and not rules_filing.register_refusal(head, rsj, year):
        filing = rules_filing.do_register_rules(
            head,
            rsj,
            year=year,
            title="市人社局重大决策社会稳定风险评估实施办法",
            doc_number=f"示人社发〔{year}〕12号",
            uploads=[
                SimpleUploadedFile(
                    "实施办法.txt", "市人社局重大决策社会稳定风险评估实施办法（全文）".encode()
                ),
                SimpleUploadedFile("工作方案.txt", "年度社会稳定风险评估工作方案".encode()),
            ],
        )
        filing = rules_filing.do_file_rules(head, filing)
        for receipt in filing.receipts.select_related("office", "filing"):
            who = office if receipt.office.code == "SFS-WWB" else joint
            if not rules_filing.acknowledge_refusal(who, receipt):
                rules_filing.do_acknowledge_rules(who, receipt)
        created += 1
    return created
