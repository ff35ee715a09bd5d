"""督办通知: a supervising office's notice to the department that owes an overdue
obligation, numbered 〔year〕N号 from the office's 发文登记 (`DocumentRegister`), and the
office's 发文字 (the register's prefix).

Numbers have no gaps and no duplicates: the register row of (office, year) is created if
missing, then locked (SELECT … FOR UPDATE) in the transaction that creates the notice, and
its `last_number` raised there — a notice that fails rolls its number back with it, and a
second issuer waits on the lock and takes the next number. The unique constraint on
(office, year, number) is the last guard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, snapshot
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import Department, DepartmentKind, Membership, Role

from ..models import (
    OFFICE_ROLES,
    DocumentRegister,
    Notification,
    NotificationKind,
    Obligation,
    SupervisionNotice,
)

LABELS = {
    "supervision.notice.issue": gettext_lazy("签发督办通知"),
    "supervision.register.prefix": gettext_lazy("修改督办通知发文字"),
}

SUPERVISING_KINDS = frozenset(
    {DepartmentKind.STABILITY_OFFICE, DepartmentKind.JOINT_OFFICE, DepartmentKind.SUPERVISION}
)
PREFIX_MAX = 40


def default_prefix(office: Department) -> str:
    return f"{office.short_name or office.name}督"


def doc_number(prefix: str, year: int, number: int) -> str:
    return f"{prefix}〔{year}〕{number}号"


def acts_for(actor: Any, office: Department) -> bool:
    """A member of the office in one of OFFICE_ROLES (or an administrator over it)."""
    return access.can_change_under(actor, office.path, OFFICE_ROLES)


def owes(actor: Any, obligation: Obligation) -> bool:
    """Is the actor a member of the department that owes the obligation, of a unit in it,
    or of one above it that is not also above the office? Such a person never supervises
    their own work."""
    if actor.is_superuser:
        return False
    dept_path = obligation.department.path
    office_path = obligation.office.path if obligation.office_id else ""
    for path in Membership.objects.filter(user=actor).values_list("department__path", flat=True):
        within = path.startswith(dept_path)  # the department or one of its units
        above = dept_path.startswith(path) and not office_path.startswith(path)
        if within or above:
            return True
    return False


def may_issue(actor: Any, obligation: Obligation) -> bool:
    return (
        obligation.office_id is not None
        and acts_for(actor, obligation.office)
        and not owes(actor, obligation)
    )


def issue_refusal(obligation: Obligation, today: dt.date | None = None) -> str | None:
    """Why no notice may be issued for the obligation now (None: it may)."""
    today = today or timezone.localdate()
    if obligation.done_at is not None:
        return _("该事项已完成，不能下发督办通知")
    if obligation.office_id is None:
        return _("该事项没有督办机关，不能下发督办通知")
    if obligation.due_on >= today:
        return _("该事项尚未逾期，不能下发督办通知")
    return None


def register_for(office: Department, year: int) -> DocumentRegister:
    """The office's register of `year` (created with last year's 发文字, or the default)."""
    found = DocumentRegister.objects.filter(office=office, year=year).first()
    if found is not None:
        return found
    previous = (
        DocumentRegister.objects.filter(office=office, year__lt=year).order_by("-year").first()
    )
    prefix = previous.prefix if previous is not None else default_prefix(office)
    try:
        with transaction.atomic():
            return DocumentRegister.objects.create(office=office, year=year, prefix=prefix)
    except IntegrityError:  # created at the same moment by another issuer
        return DocumentRegister.objects.get(office=office, year=year)


def default_title(obligation: Obligation) -> str:
    return f"关于督促办理“{obligation.title}”的通知"[:200]


def default_body(obligation: Obligation) -> str:
    due = obligation.due_on
    return (
        f"你单位“{obligation.title}”应于{due.year}年{due.month}月{due.day}日前完成，"
        "截至目前仍未完成。根据社会稳定风险评估工作督促检查的有关规定，"
        "请你单位高度重视，抓紧办理，并于限期内将办理情况书面报送我办。"
    )


def do_issue_notice(
    actor: Any, obligation: Obligation, *, title: str, body: str, reply_by: dt.date | None
) -> SupervisionNotice:
    """Issue a 督办通知 for an overdue, open obligation, as a member of its office."""
    if obligation.office_id is None:
        raise ActionError(_("该事项没有督办机关，不能下发督办通知"))
    if not may_issue(actor, obligation):
        raise PermissionDenied(_("只有督办机关的工作人员可以下发督办通知，且不能督办本单位的事项"))
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise ActionError(_("请填写标题"), field="title")
    if not body:
        raise ActionError(_("请填写正文"), field="body")
    today = timezone.localdate()
    if reply_by is not None and reply_by < today:
        raise ActionError(_("限期办结日期不能早于今天"), field="reply_by")
    with transaction.atomic():
        locked = (
            Obligation.objects.select_for_update(of=("self",))
            .select_related("department", "office", "owner")
            .get(pk=obligation.pk)
        )
        if refusal := issue_refusal(locked, today):
            raise ActionError(refusal)
        office = locked.office
        assert office is not None
        year = today.year
        register = register_for(office, year)
        register = DocumentRegister.objects.select_for_update().get(pk=register.pk)
        register.last_number += 1
        register.save(update_fields=["last_number"])
        notice = SupervisionNotice.objects.create(
            office=office,
            department=locked.department,
            obligation=locked,
            year=year,
            number=register.last_number,
            doc_number=doc_number(register.prefix, year, register.last_number),
            title=title[:200],
            body=body,
            reply_by=reply_by,
            issued_by=actor,
        )
        _notify(notice, locked)
        record(
            actor,
            "supervision.notice.issue",
            notice,
            after={
                **snapshot(notice, SupervisionNotice.audit_fields),
                "office": office.pk,
                "department": locked.department_id,
                "obligation": locked.pk,
            },
        )
    return notice


def notice_recipients(obligation: Obligation) -> list[Any]:
    from fengping.org.models import User

    heads = Membership.objects.filter(department=obligation.department, role=Role.HEAD)
    q = Q(pk__in=heads.values("user_id"))
    if obligation.owner_id:
        q |= Q(pk=obligation.owner_id)
    return list(User.objects.filter(q, is_active=True).order_by("pk"))


def _notify(notice: SupervisionNotice, obligation: Obligation) -> None:
    from django.urls import reverse

    url = reverse("supervision:notice", args=[notice.pk])
    Notification.objects.bulk_create(
        Notification(
            user=user,
            kind=NotificationKind.NOTICE,
            title=f"【督办通知】{notice.doc_number} {notice.title}"[:300],
            body=_("%(office)s就“%(title)s”向你单位下发督办通知，请按要求办理。")
            % {"office": notice.office.name, "title": obligation.title},
            url=url,
            obligation=obligation,
        )
        for user in notice_recipients(obligation)
    )


def do_set_register_prefix(
    actor: Any, office: Department, *, prefix: str, year: int | None = None
) -> DocumentRegister:
    """Set the office's 发文字 for `year` (default this year); numbers already given keep
    the 文号 they were issued with."""
    if not acts_for(actor, office):
        raise PermissionDenied(_("只有督办机关的工作人员可以修改发文字"))
    if office.kind not in SUPERVISING_KINDS:
        raise ActionError(_("只有督办机关（维稳办、联席办、监察室）有督办通知发文字"))
    prefix = (prefix or "").strip()
    if not prefix:
        raise ActionError(_("请填写发文字"), field="prefix")
    if len(prefix) > PREFIX_MAX or any(c in prefix for c in "〔〕[]号\n\r\t"):
        raise ActionError(_("发文字不超过40个字，且不含〔〕和“号”"), field="prefix")
    year = year or timezone.localdate().year
    with transaction.atomic():
        register = register_for(office, year)
        register = DocumentRegister.objects.select_for_update().get(pk=register.pk)
        before = snapshot(register, ["prefix"])
        register.prefix = prefix
        register.save(update_fields=["prefix"])
        record(
            actor,
            "supervision.register.prefix",
            register,
            before=before,
            after={"prefix": prefix, "year": year},
        )
    return register
