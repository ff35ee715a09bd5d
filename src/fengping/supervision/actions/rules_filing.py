"""具体实施办法和工作方案 (篇3 七(一)): 各责任主体要 … 制定具体实施办法和工作方案，于3月30日
前报镇维稳办、联席办.

A department registers the document (title, 文号, one or more files) and files it: the
filing time is the server's, the due date the scheme's `implementation_rules`, and each
of the two offices (the organisation's 维稳办 and 联席办) gets its own receipt, which a
member of that office 签收. A revised text is a new filing, number n+1."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, snapshot
from fengping.core import files
from fengping.core.concurrency import bump, lock
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import WORK_ROLES, Department, DepartmentKind

from .. import deadlines, obliged
from ..models import RulesDocument, RulesFiling, RulesReceipt
from . import plans
from .plans import member_office_paths, office_member, offices_for, window_refusal

LABELS = {
    "supervision.rules.register": gettext_lazy("登记具体实施办法和工作方案"),
    "supervision.rules.document.add": gettext_lazy("上传实施办法文件"),
    "supervision.rules.document.remove": gettext_lazy("删除实施办法文件"),
    "supervision.rules.file": gettext_lazy("报送具体实施办法和工作方案"),
    "supervision.rules.acknowledge": gettext_lazy("签收具体实施办法和工作方案"),
}

DEADLINE = "implementation_rules"


def now() -> Any:
    """The server's time, as the plans' actions read it (one clock to move in tests)."""
    return plans.now()


OFFICE_KINDS = (DepartmentKind.STABILITY_OFFICE, DepartmentKind.JOINT_OFFICE)


def rules_visible(actor: Any) -> QuerySet[RulesFiling]:
    """Filings the actor sees: their departments' (a supervisor: the organisation's) and
    those with a receipt for an office they act for."""
    qs = RulesFiling.objects.all()
    mine = access.visible(actor, qs)
    paths = member_office_paths(actor)
    if not paths:
        return mine
    q = Q()
    for p in paths:
        q |= Q(office__path__startswith=p)
    received = RulesReceipt.objects.filter(q).values("filing_id")
    return qs.filter(Q(pk__in=mine.values("pk")) | Q(pk__in=received))


def rules_for(actor: Any, pk: Any, need: str = "view") -> RulesFiling:
    return access.get_for_user(  # type: ignore[arg-type]
        actor,
        rules_visible(actor).select_related("department", "created_by", "filed_by"),
        pk,
        need,  # type: ignore[arg-type]
    )


def receipt_for(actor: Any, pk: Any) -> RulesReceipt:
    qs = RulesReceipt.objects.filter(filing__in=rules_visible(actor)).select_related(
        "filing__department", "office", "acknowledged_by"
    )
    return access.get_for_user(actor, qs, pk)


def document_for(actor: Any, pk: Any, need: str = "view") -> RulesDocument:
    qs = RulesDocument.objects.filter(filing__in=rules_visible(actor)).select_related(
        "filing__department"
    )
    return access.get_for_user(actor, qs, pk, need)  # type: ignore[arg-type]


def recipients(department: Department) -> list[Department]:
    """The first 维稳办 and the first 联席办 of the organisation."""
    out = []
    for kind in OFFICE_KINDS:
        office = offices_for(department, kind).first()
        if office is not None:
            out.append(office)
    return out


def register_refusal(actor: Any, department: Department, year: int) -> str:
    if not access.can_change_under(actor, department.path, WORK_ROLES):
        return _("只有本部门的工作人员可以登记该部门的实施办法")
    if refused := window_refusal(year, timezone.localdate(now()), _("实施办法")):
        return refused
    pending = RulesFiling.objects.filter(department=department, year=year, filed_at__isnull=True)
    if pending.exists():
        return _("本年度已有尚未报送的实施办法，请先报送或修改该件")
    return ""


def file_refusal(filing: RulesFiling) -> str:
    if filing.filed_at is not None:
        return _("该件已于%(t)s报送；修订后的文本请另行登记（新的版本）") % {
            "t": timezone.localtime(filing.filed_at).strftime("%Y-%m-%d %H:%M")
        }
    if refused := window_refusal(filing.year, timezone.localdate(now()), _("实施办法")):
        return refused
    if not filing.documents.exists():
        return _("请先上传实施办法和工作方案文件")
    if len(recipients(filing.department)) < len(OFFICE_KINDS):
        return _("本组织须设有维稳办和联席办方可报送")
    return ""


def acknowledge_refusal(actor: Any, receipt: RulesReceipt) -> str:
    if not office_member(actor, receipt.office):
        return _("只有%(o)s的人员可以签收") % {"o": receipt.office.name}
    if receipt.filing.filed_by_id == actor.pk:
        return _("报送人不能签收本人报送的文件")
    if receipt.acknowledged_at is not None:
        return _("%(o)s已于%(t)s签收") % {
            "o": receipt.office.name,
            "t": timezone.localtime(receipt.acknowledged_at).strftime("%Y-%m-%d %H:%M"),
        }
    return ""


@transaction.atomic
def do_register_rules(
    actor: Any,
    department: Department,
    *,
    year: int,
    title: str,
    doc_number: str = "",
    uploads: list[Any] | None = None,
) -> RulesFiling:
    if not access.can_change_under(actor, department.path, WORK_ROLES):
        raise PermissionDenied(_("只有本部门的工作人员可以登记该部门的实施办法"))
    if refused := register_refusal(actor, department, year):
        raise ActionError(refused, field="year")
    title = title.strip()
    if not title:
        raise ActionError(_("请填写文件标题"), field="title")
    number = (
        RulesFiling.objects.filter(department=department, year=year).aggregate(n=Max("number"))["n"]
        or 0
    ) + 1
    _base, due = deadlines.yearly_due(DEADLINE, year, since=obliged.joined_on(department))
    filing = RulesFiling.objects.create(
        department=department,
        year=year,
        number=number,
        title=title[:200],
        doc_number=doc_number.strip()[:60],
        due_on=due,
        created_by=actor,
    )
    record(
        actor,
        "supervision.rules.register",
        filing,
        after=snapshot(filing, RulesFiling.audit_fields),
    )
    for upload in uploads or []:
        files.store(actor, RulesDocument, filing, upload, record=record)
    return filing


@transaction.atomic
def do_add_rules_document(actor: Any, filing: RulesFiling, upload: Any) -> RulesDocument:
    access.require(actor, filing, "change")
    filing = lock(filing, related=("department",))
    if filing.filed_at is not None:
        raise ActionError(_("该件已报送，不能再更改文件；修订后的文本请另行登记"))
    return files.store(actor, RulesDocument, filing, upload, record=record)


@transaction.atomic
def do_remove_rules_document(actor: Any, document: RulesDocument) -> None:
    access.require(actor, document.filing, "change")
    filing = lock(document.filing, related=("department",))
    if filing.filed_at is not None:
        raise ActionError(_("该件已报送，不能再更改文件；修订后的文本请另行登记"))
    record(actor, "supervision.rules.document.remove", document, before=document.audit_values())
    document.delete()


@transaction.atomic
def do_file_rules(actor: Any, filing: RulesFiling, *, version: int | None = None) -> RulesFiling:
    """报镇维稳办、联席办: one receipt per office, filed now."""
    access.require(actor, filing, "change")
    filing = lock(filing, version, related=("department",))
    if refused := file_refusal(filing):
        raise ActionError(refused)
    at = now()
    _base, due = deadlines.yearly_due(
        DEADLINE, filing.year, since=obliged.joined_on(filing.department)
    )
    offices = recipients(filing.department)
    filing.filed_at, filing.filed_by, filing.due_on = at, actor, due
    filing.late = timezone.localdate(at) > due
    bump(filing, "filed_at", "filed_by", "due_on", "late")
    RulesReceipt.objects.bulk_create([RulesReceipt(filing=filing, office=o) for o in offices])
    record(
        actor,
        "supervision.rules.file",
        filing,
        after={
            **snapshot(filing, RulesFiling.audit_fields),
            "due_on": due.isoformat(),
            "offices": [o.pk for o in offices],
        },
    )
    return filing


@transaction.atomic
def do_acknowledge_rules(actor: Any, receipt: RulesReceipt) -> RulesReceipt:
    """签收 by a member of the receipt's own office (never the filer)."""
    if not office_member(actor, receipt.office):
        raise PermissionDenied(acknowledge_refusal(actor, receipt))
    receipt = lock(receipt, related=("filing__department", "office"))
    if refused := acknowledge_refusal(actor, receipt):
        raise ActionError(refused)
    receipt.acknowledged_by, receipt.acknowledged_at = actor, now()
    receipt.save(update_fields=["acknowledged_by", "acknowledged_at"])
    record(
        actor,
        "supervision.rules.acknowledge",
        receipt,
        after={"filing": receipt.filing_id, "office": receipt.office_id},
    )
    return receipt
