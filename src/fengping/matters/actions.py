"""Every change to a matter: one function each, checked, atomic and audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, save_and_record, snapshot
from fengping.core import files
from fengping.core.concurrency import bump, lock
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import WORK_ROLES, Department, DepartmentKind, Role
from fengping.schemebook import registry
from fengping.schemes.model import Category, Scheme

from .models import DesignationBody, Matter, MatterDocument, MatterKind, MatterStatus

# Designation is the act of a 党组/党委/政府; in fengping it is recorded by a leader or the
# principal of the department (or an administrator) on the body's behalf.
DESIGNATING_ROLES = frozenset({Role.LEADER, Role.HEAD, Role.ADMIN})
SUPERVISING_KINDS = (DepartmentKind.STABILITY_OFFICE, DepartmentKind.JOINT_OFFICE)


def scheme_of(key: str) -> Scheme:
    try:
        return registry.get(key)
    except LookupError:
        raise ActionError(_("评估方案“%(k)s”不存在") % {"k": key}, field="scheme_key") from None


# What the other kinds of scheme assess: they are not matters and get their own registers.
OTHER_SUBJECTS = {
    "isra": gettext_lazy("信息系统（信息安全风险评估）"),
    "case": gettext_lazy("政法机关办理的案件（办案风险评估）"),
}


def matter_scheme(key: str) -> Scheme:
    """The scheme of a matter: a social-stability scheme (篇1, 篇3). A scheme for
    information systems (篇2) or cases (篇4) assesses another subject and is refused."""
    scheme = scheme_of(key)
    if scheme.kind != "ssra":
        raise ActionError(
            _(
                "评估方案“%(s)s”评估的是%(subject)s，不能登记为评估事项；"
                "评估事项只能使用社会稳定风险评估方案（重大决策、重大项目、重大改革等）。"
            )
            % {"s": scheme.name, "subject": OTHER_SUBJECTS.get(scheme.kind, scheme.kind)},
            field="scheme_key",
        )
    return scheme


def categories(scheme: Scheme) -> list[tuple[str, Category]]:
    """(group label, category) for every category of the scheme's taxonomy, in order."""
    if scheme.taxonomy is None:
        return []
    return [(group.label, cat) for group in scheme.taxonomy.groups for cat in group.categories]


def find_category(scheme: Scheme, code: str) -> Category:
    for _group, cat in categories(scheme):
        if cat.code == code:
            return cat
    raise ActionError(
        _("“%(c)s”不是方案“%(s)s”中的评估领域") % {"c": code, "s": scheme.name},
        field="category_code",
    )


def propose_lead(
    scheme: Scheme, category_code: str, departments: Any
) -> tuple[str, Department | None]:
    """篇3 五: which department leads this area. Returns the scheme's text (e.g.
    "住建局负责重大城镇建设项目的规划、建设、房屋拆迁…") and the matching department among
    `departments`, matched on its 简称 or name."""
    if scheme.responsibility is None:
        return "", None
    for lead in scheme.responsibility.lead_departments:
        if category_code in lead.categories:
            for name in lead.departments:
                dept = (
                    departments.filter(short_name=name).first()
                    or departments.filter(name__endswith=name).first()
                )
                if dept is not None:
                    return lead.text, dept
            return lead.text, None
    return "", None


def _require_work_role(actor: Any, department: Department) -> None:
    if not access.can_change_under(actor, department.path, WORK_ROLES):
        raise PermissionDenied(_("您在“%(d)s”没有登记或修改评估事项的权限") % {"d": department})


# 维稳办、联席办 (篇3 五) and 监察室 (篇1 七(二)) supervise: they receive filings, never sign.
NON_SIGNING_KINDS = (*SUPERVISING_KINDS, DepartmentKind.SUPERVISION)


def _check_signing_units(
    approving_department: Department | None, deciding_organ: Department | None
) -> None:
    """The units that sign the review chain are never supervising offices."""
    for field, dept in (
        ("approving_department", approving_department),
        ("deciding_organ", deciding_organ),
    ):
        if dept is not None and dept.kind in NON_SIGNING_KINDS:
            raise ActionError(
                _("%(d)s是督查机关，负责督促、检查、指导和协调，只接收备案，不签署审查")
                % {"d": dept.name},
                field=field,
            )


def _clean(title: str, kind: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ActionError(_("请填写事项名称"), field="title")
    if kind not in MatterKind.values:
        raise ActionError(_("未知的事项类型"), field="kind")
    return title


@transaction.atomic
def do_register_matter(
    actor: Any,
    *,
    title: str,
    scheme_key: str,
    category_code: str,
    department: Department,
    kind: str = MatterKind.DECISION,
    description: str = "",
    lead_department: Department | None = None,
    assisting_departments: list[Department] | None = None,
    deciding_authority: str = "",
    planned_decision_date: dt.date | None = None,
    confidential: bool = False,
    complex_difficult: bool = False,
    contested: bool = False,
    approving_department: Department | None = None,
    deciding_organ: Department | None = None,
) -> Matter:
    _require_work_role(actor, department)
    title = _clean(title, kind)
    _check_signing_units(approving_department, deciding_organ)
    scheme = matter_scheme(scheme_key)
    category = find_category(scheme, category_code)
    if lead_department is None:
        _text, lead_department = propose_lead(
            scheme, category_code, access.organisation_departments(actor)
        )
    matter = Matter.objects.create(
        title=title,
        kind=kind,
        description=description,
        scheme_key=scheme.key,
        category_code=category.code,
        category_label=category.label,
        must_assess=category.must_assess,
        department=department,
        lead_department=lead_department or department,
        deciding_authority=deciding_authority.strip(),
        approving_department=approving_department,
        deciding_organ=deciding_organ,
        planned_decision_date=planned_decision_date,
        year=(planned_decision_date or timezone.localdate()).year,
        confidential=confidential,
        complex_difficult=complex_difficult,
        contested=contested,
        created_by=actor,
    )
    if assisting_departments:
        matter.assisting_departments.set(assisting_departments)
    after = snapshot(matter, Matter.audit_fields)
    after["assisting_departments"] = [d.pk for d in assisting_departments or []]
    record(actor, "matters.matter.register", matter, after=after)
    return matter


@transaction.atomic
def do_update_matter(
    actor: Any,
    matter: Matter,
    *,
    version: int | None,
    title: str,
    kind: str,
    description: str,
    category_code: str,
    lead_department: Department | None,
    assisting_departments: list[Department],
    deciding_authority: str,
    planned_decision_date: dt.date | None,
    confidential: bool,
    complex_difficult: bool | None = None,
    contested: bool | None = None,
    approving_department: Department | None = None,
    deciding_organ: Department | None = None,
) -> Matter:
    """`complex_difficult` / `contested` None: left as they are."""
    access.require(actor, matter, "change")
    matter = lock(matter, version)
    _check_signing_units(approving_department, deciding_organ)
    if matter.status in (MatterStatus.DECIDED, MatterStatus.IMPLEMENTING, MatterStatus.CLOSED):
        raise ActionError(_("事项已作出决定，不能再修改登记信息"))
    before = snapshot(matter, Matter.audit_fields)
    category = find_category(scheme_of(matter.scheme_key), category_code)
    matter.title = _clean(title, kind)
    matter.kind = kind
    matter.description = description
    matter.category_code, matter.category_label = category.code, category.label
    # A designation makes the matter mandatory whatever its category.
    matter.must_assess = category.must_assess or bool(matter.designated_by_body)
    matter.lead_department = lead_department or matter.department
    matter.deciding_authority = deciding_authority.strip()
    matter.approving_department, matter.deciding_organ = approving_department, deciding_organ
    matter.planned_decision_date = planned_decision_date
    if planned_decision_date:
        matter.year = planned_decision_date.year
    matter.confidential = confidential
    if complex_difficult is not None:
        matter.complex_difficult = complex_difficult
    if contested is not None:
        matter.contested = contested
    if confidential:
        matter.consultation_open = False
    save_and_record(actor, "matters.matter.update", matter, before=before)
    matter.assisting_departments.set(assisting_departments)
    return matter


@transaction.atomic
def do_designate(actor: Any, matter: Matter, *, body: str, note: str) -> Matter:
    """篇1 六(一)1 由局党组指定或建议确定; 篇3 五 由党委、政府指定评估责任主体."""
    access.require(actor, matter, "view")
    if not access.can_change_under(actor, matter.department.path, DESIGNATING_ROLES):
        raise PermissionDenied(_("只有分管领导、主要负责人或系统管理员可以登记指定评估"))
    if body not in DesignationBody.values:
        raise ActionError(_("请选择指定机关"), field="body")
    matter = lock(matter)
    before = snapshot(matter, Matter.audit_fields)
    matter.designated_by_body = body
    matter.designation_note = note.strip()
    matter.designated_by = actor
    matter.designated_at = timezone.now()
    matter.must_assess = True
    save_and_record(actor, "matters.matter.designate", matter, before=before)
    return matter


# 篇3 五 由党委、政府指定责任主体: the bodies that designate a cross-department matter's 责任主体.
RESPONSIBILITY_BODIES = (DesignationBody.PARTY_COMMITTEE, DesignationBody.GOVERNMENT)


def bureau_path(department: Department) -> str:
    """The bureau a department belongs to: its branch directly under the organisation's
    root (a 科室 belongs to its 局; the root is its own)."""
    parts = [p for p in department.path.split("/") if p]
    return "/".join(parts[:2]) + "/"


def cross_department_refusal(
    scheme: Scheme, matter: Matter, assisting: list[Department] | None = None
) -> str:
    """Why the plan may not be made yet, or "": the matter's assisting departments (those
    of the matter and `assisting`, the plan's) come from more than one bureau, the scheme
    has the 篇3 五 rule, and no 党委 or 政府 designation of the 责任主体 is recorded."""
    rule = scheme.responsibility.cross_department if scheme.responsibility else None
    if rule is None or matter.responsibility_body:
        return ""
    departments = {d.pk: d for d in matter.assisting_departments.all()}
    departments.update({d.pk: d for d in assisting or []})
    bureaus = {bureau_path(d) for d in departments.values()}
    if len(bureaus) < 2:
        return ""
    names = "、".join(sorted(d.name for d in departments.values()))
    return _(
        "该事项的协助部门（%(names)s）分属%(n)s个部门，须先登记党委、政府指定的责任主体，"
        "再制定评估方案。依据：“%(quote)s”"
    ) % {"names": names, "n": len(bureaus), "quote": rule.quote}


@transaction.atomic
def do_designate_responsibility(actor: Any, matter: Matter, *, body: str, note: str) -> Matter:
    """篇3 五: 涉及到多部门、职能交叉难以界定责任主体的，由党委、政府指定责任主体 — recorded
    by a leader or the principal of the department (or an administrator) on the body's
    behalf, with the document or decision it rests on."""
    access.require(actor, matter, "view")
    if not access.can_change_under(actor, matter.department.path, DESIGNATING_ROLES):
        raise PermissionDenied(_("只有分管领导、主要负责人或系统管理员可以登记指定责任主体"))
    if body not in RESPONSIBILITY_BODIES:
        raise ActionError(_("责任主体由党委或政府指定，请选择党委或政府"), field="body")
    note = (note or "").strip()
    if not note:
        raise ActionError(_("请填写指定依据（文件、会议纪要等）"), field="note")
    matter = lock(matter)
    before = snapshot(matter, Matter.audit_fields)
    matter.responsibility_body = body
    matter.responsibility_note = note[:300]
    matter.responsibility_designated_by = actor
    matter.responsibility_designated_at = timezone.now()
    save_and_record(actor, "matters.matter.designate_responsibility", matter, before=before)
    return matter


@transaction.atomic
def do_set_consultation(
    actor: Any,
    matter: Matter,
    *,
    open: bool,
    summary: str,
    channels: str,
    until: dt.date | None,
    version: int | None = None,
) -> Matter:
    """篇3 二(四) 公开评估: 除涉及国家秘密、商业机密和个人隐私的事项外 … 向社会公开."""
    access.require(actor, matter, "change")
    matter = lock(matter, version)
    if open and matter.confidential:
        raise ActionError(
            _("该事项涉及国家秘密、商业秘密或个人隐私，不得公开征求意见（篇3 二(四)）")
        )
    if open and not summary.strip():
        raise ActionError(_("公开征求意见须填写面向公众的事项说明"), field="summary")
    before = snapshot(matter, Matter.audit_fields)
    matter.consultation_open = open
    matter.consultation_summary = summary.strip()
    matter.consultation_channels = channels.strip()
    matter.consultation_until = until
    save_and_record(actor, "matters.matter.consultation", matter, before=before)
    return matter


def set_status(
    actor: Any, matter: Matter, status: str, *, grade: str = "", grade_label: str = ""
) -> None:
    """Called by the assessment actions inside their transaction; audited there too."""
    fields = ["status"]
    matter.status = status
    if grade:
        matter.grade, matter.grade_label = grade, grade_label
        fields += ["grade", "grade_label"]
    bump(matter, *fields)


@transaction.atomic
def do_add_document(actor: Any, matter: Matter, upload: Any, note: str = "") -> MatterDocument:
    # Documents are work the lead and assisting departments share (`org.access` "work").
    access.require(actor, matter, "work")
    return files.store(actor, MatterDocument, matter, upload, record=record, note=note.strip())


@transaction.atomic
def do_remove_document(actor: Any, doc: MatterDocument) -> None:
    access.require(actor, doc, "work")
    before = {"name": doc.name, "sha256": doc.sha256, "matter": doc.matter_id}
    path, pk, name = doc.matter.department.path, doc.pk, doc.name
    # The file stays on disk: the audit trail may need it; only the link is removed.
    doc.delete()
    record(
        actor,
        "matters.document.remove",
        None,
        object_type="matters.matterdocument",
        object_id=str(pk),
        object_repr=name,
        scope_path=path,
        before=before,
    )


def supervising_offices(actor: Any) -> Any:
    return access.organisation_departments(actor).filter(kind__in=SUPERVISING_KINDS)


@transaction.atomic
def do_set_flags(
    actor: Any, matter: Matter, *, version: int | None, complex_difficult: bool, contested: bool
) -> Matter:
    """Mark a matter 重大复杂疑难 (篇3 六(四): 征求上级主管部门的意见) or 争议较大、专业性较强、
    影响面较广 (篇3 二(三): 听证、论证); the scheme's consultation rules read the flags."""
    access.require(actor, matter, "change")
    matter = lock(matter, version)
    if matter.status in (MatterStatus.DECIDED, MatterStatus.IMPLEMENTING, MatterStatus.CLOSED):
        raise ActionError(_("事项已作出决定，不能再修改登记信息"))
    before = snapshot(matter, Matter.audit_fields)
    matter.complex_difficult, matter.contested = complex_difficult, contested
    save_and_record(actor, "matters.matter.update", matter, before=before)
    return matter
