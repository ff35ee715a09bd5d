"""Demo: a 督办通知 of the 市维稳办 for an overdue obligation of the 人社局 (its 〔year〕1号),
which also puts a notification in the bell of the bureau's 主要负责人. Idempotent: nothing
is issued when the office has issued a notice this year."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fengping.org.models import Department, User

from ..actions import notices
from ..models import Obligation, ObligationKind, SupervisionNotice


def load() -> int:
    office = Department.objects.filter(code="SFS-WWB").first()
    dept = Department.objects.filter(code="SFS-RSJ").first()
    clerk = User.objects.filter(username="sunli").first()
    if office is None or dept is None or clerk is None:
        return 0
    today = timezone.localdate()
    if SupervisionNotice.objects.filter(office=office, year=today.year).exists():
        return 0
    ob = (
        Obligation.objects.filter(
            department=dept, office=office, done_at__isnull=True, due_on__lt=today
        )
        .order_by("due_on")
        .first()
    )
    if ob is None:
        # No overdue work in the demo data yet: one of its own, which the sync leaves alone
        # (its key names no source).
        due = today - dt.timedelta(days=12)
        ob, _ = Obligation.objects.get_or_create(
            key="demo:notice:monthly-report",
            defaults={
                "kind": ObligationKind.MONTHLY_REPORT,
                "department": dept,
                "office": office,
                "owner": User.objects.filter(username="wangruhai").first(),
                "title": f"{due:%Y年%-m月}工作进展情况报告表",
                "base_due_on": due,
                "due_on": due,
            },
        )
    notices.do_issue_notice(
        clerk,
        ob,
        title=notices.default_title(ob),
        body=notices.default_body(ob),
        reply_by=today + dt.timedelta(days=5),
    )
    return 1
