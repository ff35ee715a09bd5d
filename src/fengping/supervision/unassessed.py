"""应评未评: what should have been assessed and was not (篇1 七(二), 篇3 七(二) 坚决杜绝未进行
社会稳定风险评估而盲目进行重大事项或项目决策), for the supervising offices.

Three kinds, each one set-based query (no loop over rows; the responsible people and the
dates are subqueries, so a page costs the same few queries whatever its length):

- **matters** in the must-assess categories (`Matter.must_assess`) whose decision was made —
  status 已决定 / 实施跟踪中 / 已办结, or a `Decision` recorded — without a completed
  assessment (an `Assessment` past 评估中, or one a decision was recorded on). The date is
  the first decision's date (none when only the status says decided: imported matters).
- **cases** adjudicated — the current stage lies at or after the first stage the organ
  kind's stage list marks with the gate ``adjudicate`` (裁决/决定) — that required an
  assessment and have no resolved `CaseAssessment`. Required, by the case-risk scheme:
  a 重大、疑难、复杂 case (gate ``assess_before_adjudication``, 二1), or one 列为评估对象
  after the monthly screening's 逐案分析研判 (`TargetDecision` ``target``). The date is
  the first stage change through the adjudicate or close gate (the stage's start date
  when no change was recorded).
- **systems** in service (`System.is_active`) without a current assessment. The infosec
  data has no notion of a current assessment, so one is defined here [D]: a finished
  `SystemAssessment` (已完成) finished within the last ``valid_days`` of the isra scheme's
  ``infosec.acceptance`` (365: the year an accepted risk holds). The date is when the last
  one lapsed, or when the system was registered if it was never assessed.

Each row names the department and the responsible people: the handler (the matter's
registrant, the case's 承办人, the system's registrant) and the department's 主要负责人.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.assessments.models import Assessment, AssessmentStatus, Decision
from fengping.cases.models import AssessmentStatus as CaseStatus
from fengping.cases.models import (
    Case,
    CaseAssessment,
    OrganProfile,
    StageChange,
    TargetChoice,
    TargetDecision,
)
from fengping.infosec.models import AssessmentStatus as SystemStatus
from fengping.infosec.models import System, SystemAssessment
from fengping.matters.models import Matter, MatterStatus
from fengping.org import access
from fengping.org.models import DepartmentKind, Membership, Role

DECIDED_STATUSES = (MatterStatus.DECIDED, MatterStatus.IMPLEMENTING, MatterStatus.CLOSED)
# Gates of the case stages that mean the case was adjudicated (or closed past it).
ADJUDICATED_GATES = ("adjudicate", "close")
# [D] when the isra scheme names no acceptance period.
DEFAULT_SYSTEM_VALID_DAYS = 365
SUPERVISING_KINDS = (
    DepartmentKind.STABILITY_OFFICE,
    DepartmentKind.JOINT_OFFICE,
    DepartmentKind.SUPERVISION,
)
KINDS = ("matters", "cases", "systems")


def may_see(user: Any) -> bool:
    """The page's readers: administrators, supervisors (督查) and the members of a
    supervising office (维稳办, 联席办, 监察室)."""
    if access.is_org_admin(user) or access.is_supervisor(user):
        return True
    return Membership.objects.filter(
        user=user, department__kind__in=SUPERVISING_KINDS, department__is_active=True
    ).exists()


def _head(department_ref: str) -> Subquery:
    """The name of the department's 主要负责人 (the first one, by user name)."""
    heads = Membership.objects.filter(department=OuterRef(department_ref), role=Role.HEAD)
    return Subquery(
        heads.annotate(name=Coalesce("user__real_name", "user__username"))
        .order_by("user__username")
        .values("name")[:1]
    )


# ----------------------------------------------------------------------------- matters


def matters() -> QuerySet[Matter]:
    """Every must-assess matter decided without a completed assessment (unscoped)."""
    done = Assessment.objects.filter(matter=OuterRef("pk")).exclude(
        status=AssessmentStatus.IN_PROGRESS
    )
    assessed_decision = Decision.objects.filter(matter=OuterRef("pk"), assessment__isnull=False)
    decided = Decision.objects.filter(matter=OuterRef("pk"))
    first = Decision.objects.filter(matter=OuterRef("pk")).order_by("decided_on", "id")
    return (
        Matter.objects.filter(must_assess=True)
        .filter(Q(status__in=DECIDED_STATUSES) | Exists(decided))
        .exclude(Exists(done))
        .exclude(Exists(assessed_decision))
        .select_related("department", "created_by")
        .annotate(
            decided_on=Subquery(first.values("decided_on")[:1], output_field=DateField()),
            head_name=_head("department"),
        )
    )


# ----------------------------------------------------------------------------- cases


def adjudicated_stages() -> dict[str, list[str]]:
    """organ kind code -> the stage codes at or after its first adjudicate gate."""
    from fengping.cases.lists import DEFAULT_SCHEME
    from fengping.schemebook import registry

    out: dict[str, list[str]] = {}
    try:
        section = registry.get(DEFAULT_SCHEME).cases
    except Exception:  # noqa: BLE001 - no case scheme: no case was adjudicated under it
        return out
    if section is None:
        return out
    for kind in section.organ_kinds:
        codes = [s.code for s in kind.stages]
        gated = [i for i, s in enumerate(kind.stages) if s.gate == "adjudicate"]
        if gated:
            out[kind.code] = codes[gated[0] :]
    return out


def _adjudicated_q() -> Q:
    stages = adjudicated_stages()
    q = Q(pk__in=[])
    for kind, codes in stages.items():
        organs = OrganProfile.objects.filter(organ_kind=kind).values("department_id")
        q |= Q(organ_id__in=organs, stage__in=codes)
    return q


def cases() -> QuerySet[Case]:
    """Every case adjudicated that required an assessment and has no resolved one."""
    targeted = TargetDecision.objects.filter(case=OuterRef("pk"), choice=TargetChoice.TARGET)
    resolved = CaseAssessment.objects.filter(case=OuterRef("pk"), status=CaseStatus.RESOLVED)
    first = StageChange.objects.filter(case=OuterRef("pk"), gate__in=ADJUDICATED_GATES).order_by(
        "changed_at", "id"
    )
    return (
        Case.objects.filter(_adjudicated_q())
        .filter(Q(major_complex=True) | Exists(targeted))
        .exclude(Exists(resolved))
        .select_related("organ", "handler")
        .annotate(
            adjudicated_on=Coalesce(
                Cast(
                    TruncDate(
                        Subquery(first.values("changed_at")[:1], output_field=DateTimeField())
                    ),
                    DateField(),
                ),
                F("stage_since"),
                output_field=DateField(),
            ),
            head_name=_head("organ"),
        )
    )


# ----------------------------------------------------------------------------- systems


def system_valid_days() -> int:
    from fengping.schemebook import registry

    try:
        infosec = registry.get("isra").infosec
    except Exception:  # noqa: BLE001 - the builtin scheme missing: the documented default
        return DEFAULT_SYSTEM_VALID_DAYS
    acceptance = getattr(infosec, "acceptance", None) if infosec is not None else None
    return acceptance.valid_days if acceptance is not None else DEFAULT_SYSTEM_VALID_DAYS


def _finished_runs() -> QuerySet[SystemAssessment]:
    """The finished assessments of the outer system."""
    return SystemAssessment.objects.filter(
        system=OuterRef("pk"), status=SystemStatus.FINISHED, finished_at__isnull=False
    )


def in_service(days: int | None = None) -> QuerySet[System]:
    """Every system in service with what `lapsed_on` reads: `last_finished` (when its
    last finished assessment finished, None if it never had one), `last_assessment_id`
    (that assessment) and `valid_days`. One query whatever the number of systems."""
    days = system_valid_days() if days is None else days
    last = _finished_runs().order_by("-finished_at", "-id")
    return System.objects.filter(is_active=True).annotate(
        last_finished=Subquery(last.values("finished_at")[:1], output_field=DateTimeField()),
        last_assessment_id=Subquery(last.values("pk")[:1], output_field=IntegerField()),
        valid_days=Value(days, output_field=IntegerField()),
    )


def systems(now: dt.datetime | None = None) -> QuerySet[System]:
    """Every system in service without a finished assessment in the last valid_days."""
    now = now or timezone.now()
    days = system_valid_days()
    since = now - dt.timedelta(days=days)
    return (
        in_service(days)
        .exclude(Exists(_finished_runs().filter(finished_at__gte=since)))
        .select_related("department", "created_by")
        .annotate(head_name=_head("department"))
    )


def lapsed_on(system: System) -> dt.date:
    """When the system's last assessment stopped being current (or when it was registered):
    `system` comes from `in_service` or `systems`."""
    last = getattr(system, "last_finished", None)
    if last is None:
        return timezone.localdate(system.created_at)
    return timezone.localdate(last) + dt.timedelta(days=system.valid_days)


# ----------------------------------------------------------------------------- per user


def visible(user: Any, kind: str) -> QuerySet[Any]:
    """The rows of one kind the user may see (through org.access)."""
    if kind == "matters":
        return access.visible(user, matters())
    if kind == "cases":
        return access.visible(user, cases())
    if kind == "systems":
        return access.visible(user, systems())
    raise ValueError(kind)


@dataclass(frozen=True)
class Miss:
    """One 应评未评 object of a year, as the annual evaluation lists it."""

    department_id: int
    department_path: str
    text: str
    url: str


def decided_in(year: int) -> list[Miss]:
    """The 应评未评 objects decided (adjudicated, lapsed) in `year`: matters by the first
    decision's date (the matter's year when only its status says decided), cases by the
    adjudication date, systems by the day their assessment lapsed (or, never assessed,
    the day they were registered). Three queries."""
    out: list[Miss] = []
    for m in matters().filter(Q(decided_on__year=year) | Q(decided_on__isnull=True, year=year)):
        out.append(
            Miss(
                m.department_id,
                m.department.path,
                _("事项“%(t)s”未经评估作出决定") % {"t": m.title},
                reverse("matters:detail", args=[m.pk]),
            )
        )
    for c in cases().filter(adjudicated_on__year=year):
        out.append(
            Miss(
                c.organ_id,
                c.organ.path,
                _("案件%(n)s未经风险评估进入裁决") % {"n": c.number},
                reverse("cases:case", args=[c.pk]),
            )
        )
    for system in systems():
        if lapsed_on(system).year == year:
            out.append(
                Miss(
                    system.department_id,
                    system.department.path,
                    _("信息系统“%(n)s”无有效风险评估") % {"n": system.name},
                    reverse("infosec:system", args=[system.pk]),
                )
            )
    return out


def count_by_department(year: int) -> dict[int, int]:
    """department pk -> how many 应评未评 objects were decided in `year` (`decided_in`)."""
    out: dict[int, int] = {}
    for miss in decided_in(year):
        out[miss.department_id] = out.get(miss.department_id, 0) + 1
    return out


def person(user: Any) -> str:
    if user is None:
        return ""
    return user.real_name or user.username
