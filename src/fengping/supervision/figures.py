"""The figures of a monthly progress report (工作进展情况报告表, 篇3 六(一)), pulled from
the data of a department and every department below it.

Each figure has a key, a Chinese label and an "as of" time: counts over the month (登记,
启动, 完成, 定级, 决定, 备案, 排查) and cumulative counts ("累计") are as of the end of
the month, or of now while the month runs; counts of a state (正在评估, 逾期未落实,
整改未完成) can only be read as they are now, so they are as of the pull.

Every query is one aggregate (or one GROUP BY) over a whole model, filtered by the
department's materialised path: a pull costs the same number of queries whatever the
department holds (`QUERIES`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengping.org.models import Department

# The queries one pull runs (a test pins it).
QUERIES = 9


@dataclass(frozen=True)
class Figure:
    key: str
    label: Any
    group: Any
    state: bool = False  # a count of a state now (as of the pull), not of the month


GROUP_MATTERS = _("评估事项")
GROUP_ASSESSMENTS = _("风险评估")
GROUP_GRADES = _("风险等级")
GROUP_DECISIONS = _("决策情况")
GROUP_MEASURES = _("应对措施")
GROUP_FILINGS = _("备案情况")
GROUP_CASES = _("案件排查")
GROUP_INFOSEC = _("信息安全整改")

# The fixed figures in the order of the report table; the grades and decisions given in
# the month follow their group (keys "grade:<code>", "decision:<outcome>").
FIXED: tuple[Figure, ...] = (
    Figure("matters_month", _("本月登记评估事项"), GROUP_MATTERS),
    Figure("matters_total", _("累计登记评估事项"), GROUP_MATTERS),
    Figure("assessments_started_month", _("本月启动评估"), GROUP_ASSESSMENTS),
    Figure("assessments_started_total", _("累计启动评估"), GROUP_ASSESSMENTS),
    Figure("assessments_in_progress", _("正在评估"), GROUP_ASSESSMENTS, state=True),
    Figure("assessments_completed_month", _("本月完成评估（作出决定）"), GROUP_ASSESSMENTS),
    Figure("assessments_completed_total", _("累计完成评估（作出决定）"), GROUP_ASSESSMENTS),
    Figure("grades_month", _("本月确定风险等级"), GROUP_GRADES),
    Figure("decisions_month", _("本月作出决定"), GROUP_DECISIONS),
    Figure("measures_due_month", _("本月到期应对措施"), GROUP_MEASURES),
    Figure("measures_done_month", _("其中已落实"), GROUP_MEASURES),
    Figure("measures_overdue", _("逾期未落实应对措施"), GROUP_MEASURES, state=True),
    Figure("filings_month", _("本月备案"), GROUP_FILINGS),
    Figure("filings_late_month", _("其中逾期备案"), GROUP_FILINGS),
    Figure("cases_screened_month", _("本月排查案件"), GROUP_CASES),
    Figure("cases_flagged_month", _("本月列入研判案件"), GROUP_CASES),
    Figure("tasks_open", _("整改未完成"), GROUP_INFOSEC, state=True),
    Figure("tasks_overdue", _("其中逾期"), GROUP_INFOSEC, state=True),
    Figure("tasks_done_month", _("本月完成整改"), GROUP_INFOSEC),
)
FIXED_KEYS = tuple(f.key for f in FIXED)
BY_KEY = {f.key: f for f in FIXED}


@dataclass(frozen=True)
class Window:
    """The month and the moments its figures are counted to."""

    month: dt.date  # first day
    start: dt.datetime  # the month's first moment, local time
    end: dt.datetime  # the next month's first moment
    until: dt.datetime  # min(end, now): what the month's counts are as of
    now: dt.datetime
    today: dt.date

    @property
    def last_day(self) -> dt.date:
        return (self.end - dt.timedelta(days=1)).date()

    @property
    def until_day(self) -> dt.date:
        """The last day counted (the month's last day, or today while it runs)."""
        return min(self.last_day, self.today)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def window(month: dt.date, now: dt.datetime | None = None) -> Window:
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    month = month.replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(month, dt.time()), tz)
    end = timezone.make_aware(dt.datetime.combine(next_month(month), dt.time()), tz)
    return Window(
        month=month,
        start=start,
        end=end,
        until=min(end, now),
        now=now,
        today=timezone.localtime(now).date(),
    )


def grade_label(scheme_key: str, code: str) -> str:
    from fengping.schemebook import registry

    try:
        scheme = registry.get(scheme_key)
    except Exception:  # noqa: BLE001 - an unknown scheme: the code is the label
        return code
    return next((str(g.label) for g in scheme.grades if g.code == code), code)


def pull(department: Department, month: dt.date, now: dt.datetime | None = None) -> dict[str, Any]:
    """The figures of `department` and its sub-departments for `month`:
    {key: {"label", "value", "as_of" (ISO), "group", "order"}} in the order of the report
    table ("order" keeps it where the JSON column does not)."""
    from fengping.assessments.models import (
        Assessment,
        AssessmentStatus,
        Decision,
        Filing,
        FollowUpMeasure,
        MeasureStatus,
    )
    from fengping.cases.models import ScreeningRun
    from fengping.infosec.models import OPEN_TASK_STATUSES, RemediationTask, TaskStatus
    from fengping.matters.models import Matter

    w = window(month, now)
    path = department.path
    in_month = {"gte": w.start, "lt": w.until}
    day_from, day_to = w.month, w.until_day
    values: dict[str, int] = {}

    # 1. matters registered
    values.update(
        Matter.objects.filter(department__path__startswith=path).aggregate(
            matters_month=Count("pk", filter=Q(created_at__gte=w.start, created_at__lt=w.until)),
            matters_total=Count("pk", filter=Q(created_at__lt=w.until)),
        )
    )
    # 2. assessments started, in progress
    values.update(
        Assessment.objects.filter(matter__department__path__startswith=path).aggregate(
            assessments_started_month=Count(
                "pk", filter=Q(started_at__gte=in_month["gte"], started_at__lt=in_month["lt"])
            ),
            assessments_started_total=Count("pk", filter=Q(started_at__lt=w.until)),
            assessments_in_progress=Count("pk", filter=Q(status=AssessmentStatus.IN_PROGRESS)),
        )
    )
    # 3. grades given in the month, by scheme and grade
    grade_rows = list(
        Assessment.objects.filter(
            matter__department__path__startswith=path,
            graded_at__gte=w.start,
            graded_at__lt=w.until,
        )
        .exclude(grade="")
        .values("scheme_key", "grade")
        .annotate(n=Count("pk"))
        .order_by("grade", "scheme_key")
    )
    # 4. assessments completed: a decision recorded on the assessment
    values.update(
        Decision.objects.filter(
            matter__department__path__startswith=path, assessment__isnull=False
        ).aggregate(
            assessments_completed_month=Count(
                "pk", filter=Q(decided_on__gte=day_from, decided_on__lte=day_to)
            ),
            assessments_completed_total=Count("pk", filter=Q(decided_on__lte=day_to)),
        )
    )
    # 5. decisions made in the month, by outcome
    decision_rows = list(
        Decision.objects.filter(
            matter__department__path__startswith=path,
            decided_on__gte=day_from,
            decided_on__lte=day_to,
        )
        .values("outcome", "outcome_label")
        .annotate(n=Count("pk"))
        .order_by("outcome", "outcome_label")
    )
    # 6. follow-up measures; "done" as of the window: marked 已落实 before its end (a row
    # marked done without a completion time, written outside the action, by its status)
    done_by_then = Q(status=MeasureStatus.DONE) & (
        Q(completed_at__lt=w.until) | Q(completed_at__isnull=True)
    )
    values.update(
        FollowUpMeasure.objects.filter(
            assessment__matter__department__path__startswith=path
        ).aggregate(
            measures_due_month=Count("pk", filter=Q(due__gte=day_from, due__lte=w.last_day)),
            measures_done_month=Count(
                "pk",
                filter=Q(due__gte=day_from, due__lte=w.last_day) & done_by_then,
            ),
            measures_overdue=Count("pk", filter=Q(due__lt=w.today) & ~Q(status=MeasureStatus.DONE)),
        )
    )
    # 7. filings
    values.update(
        Filing.objects.filter(
            assessment__matter__department__path__startswith=path,
            filed_on__gte=day_from,
            filed_on__lte=day_to,
        ).aggregate(
            filings_month=Count("pk"),
            filings_late_month=Count("pk", filter=Q(late=True)),
        )
    )
    # 8. the month's case screening of the organs in the subtree
    screening = ScreeningRun.objects.filter(organ__path__startswith=path, month=w.month).aggregate(
        cases_screened_month=Sum("screened"), cases_flagged_month=Sum("flagged")
    )
    values.update({k: v or 0 for k, v in screening.items()})
    # 9. information-security remediation tasks
    done = (TaskStatus.DONE, TaskStatus.CLOSED_BY_SCAN)
    values.update(
        RemediationTask.objects.filter(system__department__path__startswith=path).aggregate(
            tasks_open=Count("pk", filter=Q(status__in=OPEN_TASK_STATUSES)),
            tasks_overdue=Count(
                "pk", filter=Q(status__in=OPEN_TASK_STATUSES, deadline__lt=w.today)
            ),
            tasks_done_month=Count(
                "pk",
                filter=Q(status__in=done, closed_at__gte=w.start, closed_at__lt=w.until),
            ),
        )
    )

    period = w.until.isoformat()
    pulled = w.now.isoformat()
    grades: dict[tuple[str, str], int] = {}
    for row in grade_rows:
        k = (row["grade"], grade_label(row["scheme_key"], row["grade"]))
        grades[k] = grades.get(k, 0) + row["n"]
    values["grades_month"] = sum(grades.values())
    values["decisions_month"] = sum(r["n"] for r in decision_rows)

    out: dict[str, Any] = {}
    for f in FIXED:
        out[f.key] = {
            "label": str(f.label),
            "group": str(f.group),
            "value": int(values.get(f.key) or 0),
            "as_of": pulled if f.state else period,
        }
        if f.key == "grades_month":
            for (code, label), n in sorted(grades.items()):
                out[f"grade:{code}"] = {
                    "label": str(_("其中%(grade)s")) % {"grade": label},
                    "group": str(f.group),
                    "value": n,
                    "as_of": period,
                }
        if f.key == "decisions_month":
            for row in decision_rows:
                key = f"decision:{row['outcome']}"
                if key in out:  # the same outcome recorded under another label
                    out[key]["value"] += row["n"]
                    continue
                out[key] = {
                    "label": str(_("其中%(outcome)s")) % {"outcome": row["outcome_label"]},
                    "group": str(f.group),
                    "value": row["n"],
                    "as_of": period,
                }
    # jsonb (PostgreSQL) keeps no key order: the table's order travels with each row.
    for i, row in enumerate(out.values()):
        row["order"] = i
    return out


def ordered(pulled: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The pulled figures of a stored report in the order of the report table."""
    return sorted(pulled.items(), key=lambda item: item[1].get("order", 0))
