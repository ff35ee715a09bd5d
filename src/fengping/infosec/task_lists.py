"""Lists of 安全整改 tasks and 风险决策 (core.listing: page, htmx, XLSX, API filters), the
overdue and due-for-review queries, and the home page's cards for them."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.core import listing
from fengping.core.listing import BooleanFilter, ChoiceFilter, Column, ListSpec, SearchFilter
from fengping.core.memo import Memo
from fengping.core.registry import home_cards
from fengping.org import access

from .lists import system_options
from .models import (
    OPEN_TASK_STATUSES,
    ApprovalState,
    RemediationTask,
    RiskDecision,
    System,
    SystemAssessment,
    TaskStatus,
    Treatment,
)


def overdue_q(today: Any = None) -> Q:
    today = today or timezone.localdate()
    return Q(status__in=list(OPEN_TASK_STATUSES), deadline__lt=today)


def overdue_tasks(user: Any) -> QuerySet[RemediationTask]:
    return access.visible(user, RemediationTask.objects.filter(overdue_q()))


# ------------------------------------------------------------------ tasks


def _system_tasks(user: Any, system: System) -> QuerySet[RemediationTask]:
    return access.visible(
        user,
        RemediationTask.objects.filter(system=system).select_related(
            "owner", "vulnerability", "recommendation"
        ),
    )


def _kinds(ctx: listing.Context) -> list[tuple[str, str]]:
    from .actions.tasks import system_scheme

    system = ctx.parents[0]
    info = system_scheme(system).infosec
    return [(k.code, k.label) for k in info.remediation.kinds] if info is not None else []


def _owners(ctx: listing.Context) -> list[tuple[Any, str]]:
    system = ctx.parents[0]
    ids = (
        RemediationTask.objects.filter(system=system)
        .exclude(owner=None)
        .values_list("owner_id", "owner__real_name", "owner__username")
        .distinct()
    )
    return [(pk, real or name) for pk, real, name in ids]


def _overdue(qs: QuerySet[Any], value: bool, values: Any) -> QuerySet[Any]:
    return qs.filter(overdue_q()) if value else qs.exclude(overdue_q())


def _status_html(task: RemediationTask) -> Any:
    css = {
        TaskStatus.OPEN: "bg-yellow-lt",
        TaskStatus.IN_PROGRESS: "bg-blue-lt",
        TaskStatus.DONE: "bg-green-lt",
        TaskStatus.CLOSED_BY_SCAN: "bg-green-lt",
        TaskStatus.CANCELLED: "bg-secondary-lt",
    }.get(task.status, "bg-blue-lt")
    out = listing.badge(task.get_status_display(), css)
    if task.is_overdue():
        from django.utils.html import format_html

        out = format_html("{} {}", out, listing.badge(_("已逾期"), "bg-red text-red-fg"))
    return out


def _task_source(task: RemediationTask) -> str:
    if task.vulnerability_id:
        return _("脆弱性：%(t)s") % {"t": task.vulnerability.title}
    if task.recommendation_id:
        return _("安全建议：%(t)s") % {"t": task.recommendation.title}
    return ""


TASKS = ListSpec(
    name="infosec-tasks",
    title=gettext_lazy("整改任务"),
    queryset=_system_tasks,
    order=("deadline", "id"),
    keyset=True,
    filters=(
        SearchFilter(
            "q", gettext_lazy("搜索"), ("title",), placeholder=gettext_lazy("按整改事项搜索")
        ),
        ChoiceFilter(
            "status",
            gettext_lazy("状态"),
            [*TaskStatus.choices, ("unfinished", gettext_lazy("未完成"))],
            conditions={"unfinished": Q(status__in=list(OPEN_TASK_STATUSES))},
        ),
        ChoiceFilter("kind", gettext_lazy("类别"), _kinds),
        BooleanFilter(
            "overdue",
            gettext_lazy("逾期"),
            yes=gettext_lazy("已逾期"),
            no=gettext_lazy("未逾期"),
            apply=_overdue,
        ),
        ChoiceFilter("owner", gettext_lazy("责任人"), _owners, field="owner_id"),
    ),
    columns=(
        Column("#", lambda x: x.pk, css="text-secondary"),
        Column(
            gettext_lazy("整改事项"),
            lambda x: x.title,
            html=lambda x: listing.link(reverse("infosec:task", args=[x.pk]), x.title),
        ),
        Column(gettext_lazy("来源"), _task_source, css="small"),
        Column(gettext_lazy("类别"), lambda x: x.kind_label),
        Column(gettext_lazy("严重程度"), lambda x: x.severity),
        Column(gettext_lazy("责任人"), lambda x: str(x.owner or "")),
        Column(gettext_lazy("整改期限"), lambda x: x.deadline, css="text-nowrap"),
        Column(gettext_lazy("状态"), lambda x: x.get_status_display(), html=_status_html),
        Column(gettext_lazy("已逾期"), lambda x: x.is_overdue(), page=False),
        Column(gettext_lazy("整改证据"), lambda x: x.evidence, page=False),
        Column(gettext_lazy("完成时间"), lambda x: x.closed_at, page=False),
    ),
    empty_title=gettext_lazy("没有符合条件的整改任务"),
    page_template="infosec/tasks/list.html",
    export_url=lambda system: reverse("infosec:tasks_export", args=[system.pk]),
)


def _all_tasks(user: Any) -> QuerySet[RemediationTask]:
    return access.visible(
        user,
        RemediationTask.objects.select_related(
            "system", "owner", "vulnerability", "recommendation"
        ),
    )


ALL_TASKS = ListSpec(
    name="infosec-all-tasks",
    title=gettext_lazy("整改任务（全部系统）"),
    queryset=_all_tasks,
    order=("deadline", "id"),
    keyset=True,
    filters=(
        SearchFilter(
            "q", gettext_lazy("搜索"), ("title",), placeholder=gettext_lazy("按整改事项搜索")
        ),
        ChoiceFilter("system", gettext_lazy("系统"), system_options, field="system_id"),
        ChoiceFilter(
            "status",
            gettext_lazy("状态"),
            [*TaskStatus.choices, ("unfinished", gettext_lazy("未完成"))],
            conditions={"unfinished": Q(status__in=list(OPEN_TASK_STATUSES))},
        ),
        BooleanFilter(
            "overdue",
            gettext_lazy("逾期"),
            yes=gettext_lazy("已逾期"),
            no=gettext_lazy("未逾期"),
            apply=_overdue,
        ),
    ),
    columns=(
        Column(gettext_lazy("系统"), lambda x: x.system.name),
        *TASKS.columns[1:],
    ),
    empty_title=gettext_lazy("没有符合条件的整改任务"),
    page_template="infosec/tasks/all.html",
    export_url=lambda: reverse("infosec:all_tasks_export"),
)


# ------------------------------------------------------------------ decisions


def _decisions(user: Any, assessment: SystemAssessment) -> QuerySet[RiskDecision]:
    return access.visible(
        user,
        RiskDecision.objects.filter(assessment=assessment).select_related(
            "scenario__asset",
            "scenario__threat",
            "scenario__vulnerability",
            "proposed_by",
            "approved_by",
        ),
    )


def _levels(ctx: listing.Context) -> list[tuple[int, str]]:
    from .actions.treatment import level_labels

    labels = level_labels(ctx.parents[0].scheme)
    return sorted(labels.items(), reverse=True)


@lru_cache(maxsize=64)
def _labels_of_run(assessment_id: int) -> dict[int, str]:
    """Level labels of an assessment's frozen scheme (which never changes): parsed once."""
    from .actions.treatment import level_labels

    return level_labels(SystemAssessment.objects.get(pk=assessment_id).scheme)


def _level_label(d: RiskDecision) -> str:
    return _labels_of_run(d.assessment_id).get(d.scenario.level, str(d.scenario.level))


def _scenario_text(d: RiskDecision) -> str:
    s = d.scenario
    return f"{s.asset.code} × {s.threat.name} × {s.vulnerability.title}"


DECISIONS = ListSpec(
    name="infosec-decisions",
    title=gettext_lazy("风险处置决策"),
    queryset=_decisions,
    order=("-scenario__risk", "id"),
    keyset=False,
    filters=(
        ChoiceFilter("treatment", gettext_lazy("处置方式"), Treatment.choices),
        ChoiceFilter("approval", gettext_lazy("批准"), ApprovalState.choices),
        ChoiceFilter("level", gettext_lazy("风险等级"), _levels, field="scenario__level"),
    ),
    columns=(
        Column(
            gettext_lazy("风险"),
            _scenario_text,
            html=lambda d: listing.link(
                reverse("infosec:decide", args=[d.scenario_id]), _scenario_text(d)
            ),
        ),
        Column(gettext_lazy("风险值"), lambda d: d.scenario.risk),
        Column(gettext_lazy("风险等级"), _level_label),
        Column(gettext_lazy("处置方式"), lambda d: d.get_treatment_display()),
        Column(gettext_lazy("理由"), lambda d: d.reason, css="small"),
        Column(gettext_lazy("批准"), lambda d: d.get_approval_display()),
        Column(gettext_lazy("提出人"), lambda d: str(d.proposed_by)),
        Column(gettext_lazy("批准人"), lambda d: str(d.approved_by or "")),
        Column(gettext_lazy("批准意见或书面确认"), lambda d: d.approval_note, page=False),
        Column(gettext_lazy("有效期至"), lambda d: d.expires_on),
    ),
    empty_title=gettext_lazy("尚无处置决策"),
    page_template="infosec/treatment/decisions.html",
    export_url=lambda a: reverse("infosec:decisions_export", args=[a.pk]),
)


def _risk_name(d: RiskDecision) -> str:
    return f"{d.scenario.asset.code} × {d.scenario.vulnerability.title}"


def _risk_column() -> Column:
    """The risk a decision is on, linked to its decision page."""
    return Column(
        gettext_lazy("风险"),
        _risk_name,
        html=lambda d: listing.link(reverse("infosec:decide", args=[d.scenario_id]), _risk_name(d)),
    )


def _due(user: Any) -> QuerySet[RiskDecision]:
    from .actions.treatment import due_for_review

    return due_for_review(user).select_related(
        "assessment__system", "scenario__asset", "scenario__vulnerability", "approved_by"
    )


DUE_REVIEWS = ListSpec(
    name="infosec-due-reviews",
    title=gettext_lazy("到期待复核的风险接受"),
    queryset=_due,
    order=("expires_on", "id"),
    columns=(
        Column(gettext_lazy("系统"), lambda d: d.assessment.system.name),
        Column(
            gettext_lazy("评估"),
            lambda d: d.assessment.title,
            html=lambda d: listing.link(
                reverse("infosec:treatment", args=[d.assessment_id]), d.assessment.title
            ),
        ),
        _risk_column(),
        Column(gettext_lazy("风险值"), lambda d: d.scenario.risk),
        Column(gettext_lazy("理由"), lambda d: d.reason, css="small"),
        Column(gettext_lazy("批准人"), lambda d: str(d.approved_by or "")),
        Column(gettext_lazy("有效期至"), lambda d: d.expires_on),
    ),
    empty_title=gettext_lazy("没有到期待复核的风险接受"),
    export_url=lambda: reverse("infosec:due_reviews_export"),
)


def _awaiting(user: Any) -> QuerySet[RiskDecision]:
    from .actions.treatment import awaiting

    return awaiting(user).select_related(
        "assessment__system", "scenario__asset", "scenario__vulnerability", "proposed_by"
    )


AWAITING = ListSpec(
    name="infosec-awaiting",
    title=gettext_lazy("待我批准的风险接受"),
    queryset=_awaiting,
    order=("-scenario__risk", "id"),
    columns=(
        Column(gettext_lazy("系统"), lambda d: d.assessment.system.name),
        _risk_column(),
        Column(gettext_lazy("风险值"), lambda d: d.scenario.risk),
        Column(gettext_lazy("风险等级"), _level_label),
        Column(gettext_lazy("理由"), lambda d: d.reason, css="small"),
        Column(gettext_lazy("提出人"), lambda d: str(d.proposed_by)),
        Column(gettext_lazy("提出时间"), lambda d: d.proposed_at),
    ),
    empty_title=gettext_lazy("没有等待您批准的风险接受"),
    export_url=lambda: reverse("infosec:awaiting_export"),
)


# ------------------------------------------------------------------ home cards

COUNTS: Memo[dict[str, int]] = Memo()


def _counts(user: Any) -> dict[str, int]:
    from .actions.treatment import due_for_review

    return {
        "overdue": overdue_tasks(user).count(),
        "review": due_for_review(user).count(),
    }


def _awaiting_count(user: Any) -> int:
    from .actions.treatment import awaiting

    return awaiting(user).count()


def treatment_cards(user: Any) -> list[dict[str, Any]]:
    """逾期整改任务 and 到期待复核的风险接受 over what the user may see (counted at most once
    per FENGPING_HOME_COUNTS_SECONDS per scope in each worker, like the matter cards)."""
    scope = access.scope_of(user)
    if not scope.everything and not scope.view_paths:
        return []
    counts, at = COUNTS.get(
        ("infosec", scope.everything, scope.view_paths),
        settings.FENGPING_HOME_COUNTS_SECONDS,
        lambda: _counts(user),
    )
    as_of = _("统计于 %(t)s") % {"t": formats.time_format(timezone.localtime(at), "H:i")}
    cards = [
        {
            "label": _("逾期整改任务"),
            "value": counts["overdue"],
            "url": reverse("infosec:all_tasks") + "?overdue=1",
            "note": _("整改期限已过仍未完成"),
            "alert": counts["overdue"] > 0,
            "as_of": as_of,
        },
        {
            "label": _("到期待复核的风险接受"),
            "value": counts["review"],
            "url": reverse("infosec:due_reviews"),
            "note": _("已批准接受的风险超过有效期"),
            "alert": counts["review"] > 0,
        },
    ]
    # Only for those who may approve (a 分管领导 or 主要负责人); per person, since one's own
    # proposals are left out.
    roles = scope.role_paths
    if roles.get("leader") or roles.get("head"):
        waiting, _at = COUNTS.get(
            ("infosec-awaiting", user.pk),
            settings.FENGPING_HOME_COUNTS_SECONDS,
            lambda: {"n": _awaiting_count(user)},
        )
        cards.append(
            {
                "label": _("待我批准的风险接受"),
                "value": waiting["n"],
                "url": reverse("infosec:awaiting"),
                "note": _("接受高风险须分管领导批准"),
                "alert": waiting["n"] > 0,
            }
        )
    return cards


home_cards.add(treatment_cards)
