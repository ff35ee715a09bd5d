"""督办通知 and the notification centre: an overdue obligation of 人社局 (the issue form),
a notice the 维稳办 issued for it, the 维稳办's register, and a notification of 人社局's
主要负责人 (personal: anybody else gets 404, and nobody reads it but its owner)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from fengping.org.models import User
from fengping.supervision.actions import notices
from fengping.supervision.models import Notification, Obligation, ObligationKind

READ, CHANGE = False, True


def objects(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    due = timezone.localdate() - dt.timedelta(days=10)
    ob = Obligation.objects.create(
        kind=ObligationKind.MONTHLY_REPORT,
        key="scoping:notice",
        department=org.rsj,
        owner=org.rsj_handler,
        office=org.wwb,
        title="上月工作进展情况报告表",
        base_due_on=due,
        due_on=due,
    )
    notice = notices.do_issue_notice(
        org.supervisor, ob, title="关于督促报送的通知", body="请抓紧报送。", reply_by=None
    )
    head = User.objects.get(pk=org.rsj_head.pk)
    note = Notification.objects.create(user=head, kind="info", title="scoping")
    return {
        "notice_obligation": ob.pk,
        "sv_notice": notice.pk,
        "sv_notice_office": org.wwb.pk,
        "sv_notification": note.pk,
    }


PAGES = {
    "notice_obligation": {"supervision:notice_issue": CHANGE},
    "sv_notice": {"supervision:notice": READ, "supervision:notice_docx": READ},
    "sv_notice_office": {"supervision:notice_register": CHANGE},
    "sv_notification": {"supervision:notification_read": CHANGE},
}
# 人社局's 主要负责人 reads its obligation but never issues a notice for it; the 联席办's
# 督查 reads the 维稳办 (a supervisor reads the organisation) but keeps no register there.
# A notification has no reader but its owner.
READERS = {
    "notice_obligation": ("rsj_head",),
    "sv_notice": ("rsj_head",),
    "sv_notice_office": ("lxb_supervisor",),
    "sv_notification": (),
}
MEMBER_READERS = {
    "sv_notice": ("rsj_head", "supervisor"),
    "sv_notice_office": ("supervisor", "lxb_supervisor"),
}
API_PARAMETERS = {
    "notice_obligation_id": "notice_obligation",
    "notice_id": "sv_notice",
    "notice_office_id": "sv_notice_office",
    "notification_id": "sv_notification",
}
API_OPERATIONS: dict[str, dict[str, Any]] = {
    # One's own notifications: nobody else reads or changes them (tests/supervision/test_reminders.py).
    "POST /api/supervision/notifications/{notification_id}/read": {"own": True},
    "POST /api/supervision/notifications/read-all": {"own": True},
    "PUT /api/supervision/notice-registers/{notice_office_id}": {
        "body": lambda o: {"prefix": "维稳督"}
    },
}
