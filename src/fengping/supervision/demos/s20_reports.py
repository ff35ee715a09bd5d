"""Demo monthly progress reports (工作进展情况报告表) of 人社局 for the last months: one
acknowledged (签收), one returned with a reason and submitted again, one submitted late,
and this month's draft. Idempotent: a department's month that has a report is skipped.

The demo is written today, so the on-time submissions get a submission time before their
due day afterwards (a demo fix-up; the action stamps the server time)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from fengping.org.models import Department, User

from ..actions import reports as actions
from ..models import MonthlyReport

WORK = {
    "work_done": "本月对企业退休人员基本养老金调整事项开展社会稳定风险评估，"
    "召开座谈会两场，收集意见建议三十余条。",
    "problems": "部分应对措施落实进度偏慢。",
    "next_steps": "跟踪落实应对措施，按期向市维稳办报送评估报告。",
}


def _months_back(n: int) -> dt.date:
    month = timezone.localdate().replace(day=1)
    for _i in range(n):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return month


def _on_time(report: MonthlyReport) -> None:
    at = timezone.make_aware(dt.datetime.combine(report.due_on - dt.timedelta(days=2), dt.time(10)))
    MonthlyReport.objects.filter(pk=report.pk).update(submitted_at=at, late=False)


@transaction.atomic
def load() -> int:
    dept = Department.objects.filter(code="SFS-RSJ").first()
    writer = User.objects.filter(username="liusuixian").first()
    office = User.objects.filter(username="sunli").first()
    if dept is None or writer is None or office is None:
        return 0
    created = 0

    def new(month: dt.date) -> MonthlyReport | None:
        nonlocal created
        if MonthlyReport.objects.filter(department=dept, month=month).exists():
            return None
        r = actions.do_create_report(writer, dept, month)
        created += 1
        return actions.do_update_report(writer, r, version=r.version, **WORK)

    # three months ago: on time, acknowledged
    if r := new(_months_back(3)):
        r = actions.do_submit_report(writer, r, version=r.version)
        _on_time(r)
        r.refresh_from_db()
        actions.do_acknowledge_report(office, r, version=r.version)
    # two months ago: on time, returned, corrected and submitted again
    if r := new(_months_back(2)):
        r = actions.do_submit_report(writer, r, version=r.version)
        _on_time(r)
        r.refresh_from_db()
        r = actions.do_return_report(
            office, r, version=r.version, reason="请补充应对措施的落实情况和完成时限。"
        )
        r = actions.do_update_report(
            writer,
            r,
            version=r.version,
            problems="两项应对措施尚未落实，已明确于下月15日前完成。",
        )
        actions.do_submit_report(writer, r, version=r.version)
    # last month: submitted after the 20th (late), awaiting 签收
    if r := new(_months_back(1)):
        actions.do_submit_report(writer, r, version=r.version)
    # this month: a draft
    new(_months_back(0))
    return created
