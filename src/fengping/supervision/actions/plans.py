"""年度社会稳定风险评估计划表 (篇3 六(一)): 各责任主体要在3月底前将本年度社会稳定风险评估计划表
报镇维稳办备案 … 对未备案的事项，一律不予审批.

A responsible department keeps one plan a year: its entries are registered matters (of the
department or a unit under it) or matters planned by title and linked once registered.
Filing sends the entries as they stand to the 维稳办 as version n (`PlanFiling`, the
filing time is the server's); a change afterwards marks the plan 已修改待重新备案 and needs
version n+1 with a reason. The office's members 签收 each version (never its filer).

A matter is 已备案 while it is in its plan's latest filing. `Matter.plan_filed_on` /
`plan_filed_with`, which the assessments rule `plan_filed` reads, are written here only,
by the filing, in one UPDATE for all the matters the filing concerns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Case, DateField, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, snapshot
from fengping.core.concurrency import bump, lock
from fengping.core.errors import ActionError
from fengping.core.registry import matter_panels
from fengping.matters.models import Matter, MatterStatus
from fengping.org import access
from fengping.org.models import WORK_ROLES, Department, DepartmentKind, Membership

from .. import deadlines, obliged
from ..models import OFFICE_ROLES, AnnualPlan, PlanEntry, PlanFiling, PlanStatus

LABELS = {
    "supervision.plan.create": gettext_lazy("编制年度评估计划表"),
    "supervision.plan.entry_add": gettext_lazy("计划表添加事项"),
    "supervision.plan.entry_edit": gettext_lazy("修改计划表事项"),
    "supervision.plan.entry_remove": gettext_lazy("计划表移除事项"),
    "supervision.plan.file": gettext_lazy("年度评估计划表报维稳办备案"),
    "supervision.plan.acknowledge": gettext_lazy("签收年度评估计划表"),
}

DEADLINE = "annual_plan"
# A plan for year Y is filed from 1 October of Y-1 (the next year's plan is drawn up in
# the fourth quarter) to the end of Y.
OPENS = (10, 1)
DECIDED = (MatterStatus.DECIDED, MatterStatus.IMPLEMENTING, MatterStatus.CLOSED)


def now() -> dt.datetime:
    """The server's time: the filing time is never typed (tests move it)."""
    return timezone.now()


# ------------------------------------------------------------------ reads


def window_refusal(year: int, today: dt.date, what: Any = None) -> str:
    """Why a plan (or rules) for `year` may not be drawn up or filed on `today` ("" when
    it may): only during `year`, or from 1 October of the year before."""
    what = what or _("计划表")
    opens = dt.date(year - 1, *OPENS)
    if today < opens:
        return _("%(y)s年度的%(w)s自%(d)s起方可编制和报送") % {
            "y": year,
            "w": what,
            "d": f"{opens.year}年{opens.month}月{opens.day}日",
        }
    if today.year > year:
        return _("%(y)s年度已经结束，不能再编制或报送该年度的%(w)s") % {"y": year, "w": what}
    return ""


def offices_for(department: Department, kind: str = DepartmentKind.STABILITY_OFFICE) -> Any:
    """The active offices of `kind` in the organisation `department` belongs to."""
    return Department.objects.filter(
        kind=kind, is_active=True, path__startswith=department.root_path
    ).order_by("path")


def office_member(actor: Any, office: Department) -> bool:
    """A member of the office (or a unit under it) in a role that acts for it."""
    if getattr(actor, "is_superuser", False):
        return True
    return Membership.objects.filter(
        user=actor,
        department__path__startswith=office.path,
        department__is_active=True,
        role__in=OFFICE_ROLES,
    ).exists()


def member_office_paths(actor: Any) -> list[str]:
    return list(
        Membership.objects.filter(
            user=actor, department__is_active=True, role__in=OFFICE_ROLES
        ).values_list("department__path", flat=True)
    )


def plans_visible(actor: Any) -> QuerySet[AnnualPlan]:
    """The plans the actor sees: their departments' (a supervisor: the organisation's) and
    those filed with an office they act for."""
    qs = AnnualPlan.objects.all()
    mine = access.visible(actor, qs)
    paths = member_office_paths(actor)
    if not paths:
        return mine
    q = Q()
    for p in paths:
        q |= Q(office__path__startswith=p)
    filed_with = PlanFiling.objects.filter(q).values("plan_id")
    return qs.filter(Q(pk__in=mine.values("pk")) | Q(pk__in=filed_with))


def plan_for(actor: Any, pk: Any, need: str = "view") -> AnnualPlan:
    return access.get_for_user(
        actor, plans_visible(actor).select_related("department", "created_by"), pk, need
    )  # type: ignore[arg-type]


def filing_for(actor: Any, pk: Any) -> PlanFiling:
    qs = PlanFiling.objects.filter(plan__in=plans_visible(actor)).select_related(
        "plan__department", "office", "filed_by", "acknowledged_by"
    )
    return access.get_for_user(actor, qs, pk)


def latest_filing(plan: AnnualPlan) -> PlanFiling | None:
    return plan.filings.order_by("-number").select_related("office").first()


def entry_row(e: PlanEntry) -> dict[str, Any]:
    return {
        "matter": e.matter_id,
        "title": e.title,
        "category_code": e.category_code,
        "planned_month": e.planned_month,
        "note": e.note,
    }


def changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, list[str]]:
    """What changed between two filed versions: titles added, removed, changed."""

    def key(row: dict[str, Any]) -> Any:
        return ("m", row["matter"]) if row.get("matter") else ("t", row["title"])

    old = {key(r): r for r in before}
    new = {key(r): r for r in after}
    fields = ("title", "category_code", "planned_month", "note")
    return {
        "added": [r["title"] for k, r in new.items() if k not in old],
        "removed": [r["title"] for k, r in old.items() if k not in new],
        "changed": [
            r["title"]
            for k, r in new.items()
            if k in old and any(old[k].get(f) != r.get(f) for f in fields)
        ],
    }


def create_refusal(actor: Any, department: Department, year: int) -> str:
    if not access.can_change_under(actor, department.path, WORK_ROLES):
        return _("只有本部门的工作人员可以编制该部门的计划表")
    if refused := window_refusal(year, timezone.localdate(now())):
        return refused
    if AnnualPlan.objects.filter(department=department, year=year).exists():
        return _("%(d)s已有%(y)s年度的计划表") % {"d": department.name, "y": year}
    return ""


def file_refusal(plan: AnnualPlan) -> str:
    """Why the plan may not be filed now ("" when it may) — the button reads it."""
    if plan.status == PlanStatus.FILED:
        return _("计划表已备案，修改后方可重新备案")
    if refused := window_refusal(plan.year, timezone.localdate(now())):
        return refused
    if not plan.entries.exists() and not plan.filings.exists():
        return _("计划表还没有事项")
    if not offices_for(plan.department).exists():
        return _("本组织没有维稳办，无法备案")
    return ""


def acknowledge_refusal(actor: Any, filing: PlanFiling) -> str:
    if not office_member(actor, filing.office):
        return _("只有%(o)s的人员可以签收该计划表") % {"o": filing.office.name}
    if filing.filed_by_id == actor.pk:
        return _("报送人不能签收本人报送的计划表")
    if filing.acknowledged_at is not None:
        return _("第%(n)s版已于%(t)s签收") % {
            "n": filing.number,
            "t": timezone.localtime(filing.acknowledged_at).strftime("%Y-%m-%d %H:%M"),
        }
    return ""


def matter_refusal(plan: AnnualPlan, matter: Matter) -> str:
    if not matter.department.path.startswith(plan.department.path):
        return _("只能将本部门（含下属单位）的事项列入计划表")
    registered = timezone.localtime(matter.created_at).year
    if plan.year < registered:
        return _("该事项登记于%(r)s年，不能列入%(y)s年度的计划表") % {
            "r": registered,
            "y": plan.year,
        }
    other = PlanEntry.objects.filter(matter=matter).select_related("plan__department").first()
    if other is not None:
        return _("该事项已列入%(p)s") % {"p": other.plan}
    return ""


# ------------------------------------------------------------------ actions


@transaction.atomic
def do_create_plan(
    actor: Any, department: Department, year: int, *, note: str = "", scheme_key: str = ""
) -> AnnualPlan:
    if not access.can_change_under(actor, department.path, WORK_ROLES):
        raise PermissionDenied(_("只有本部门的工作人员可以编制该部门的计划表"))
    if refused := create_refusal(actor, department, year):
        raise ActionError(refused, field="year")
    plan = AnnualPlan(
        department=department,
        year=year,
        scheme_key=scheme_key or deadlines.supervising_scheme().key,
        note=note.strip(),
        created_by=actor,
    )
    plan.save()
    record(actor, "supervision.plan.create", plan, after=snapshot(plan, AnnualPlan.audit_fields))
    return plan


def _open(plan: AnnualPlan) -> None:
    """A plan changes only while it may still be filed: a change to a past year's plan
    could never be filed again."""
    if refused := window_refusal(plan.year, timezone.localdate(now())):
        raise ActionError(refused)


def _changed(actor: Any, plan: AnnualPlan) -> None:
    """An entry changed: a filed plan now needs re-filing."""
    if plan.status == PlanStatus.FILED:
        plan.status = PlanStatus.CHANGED
    bump(plan, "status")


def _save_entry(entry: PlanEntry) -> None:
    """A matter is in one plan only: two people putting it into two plans at once meet
    the unique constraint, and the second is told so."""
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        raise ActionError(_("该事项已列入其他计划表"), field="matter") from None


@transaction.atomic
def do_add_entry(
    actor: Any,
    plan: AnnualPlan,
    *,
    matter: Matter | None = None,
    title: str = "",
    category_code: str = "",
    planned_month: int | None = None,
    note: str = "",
    version: int | None = None,
) -> PlanEntry:
    """Add a registered matter (its title and category copied) or a planned one by title."""
    access.require(actor, plan, "change")
    plan = lock(plan, version, related=("department",))
    _open(plan)
    if matter is not None:
        matter = Matter.objects.select_related("department").get(pk=matter.pk)
        if refused := matter_refusal(plan, matter):
            raise ActionError(refused, field="matter")
        title, category_code = matter.title, matter.category_code
    title = title.strip()
    if not title:
        raise ActionError(_("请选择已登记的事项或填写计划评估的事项名称"), field="title")
    if planned_month is not None and not 1 <= planned_month <= 12:
        raise ActionError(_("计划评估月份应为1至12"), field="planned_month")
    entry = PlanEntry(
        plan=plan,
        matter=matter,
        title=title[:200],
        category_code=category_code,
        planned_month=planned_month,
        note=note.strip(),
        added_by=actor,
    )
    _save_entry(entry)
    _changed(actor, plan)
    record(
        actor,
        "supervision.plan.entry_add",
        entry,
        after={**snapshot(entry, PlanEntry.audit_fields), "plan_status": plan.status},
    )
    return entry


@transaction.atomic
def do_edit_entry(
    actor: Any,
    entry: PlanEntry,
    *,
    title: str,
    planned_month: int | None = None,
    note: str = "",
    matter: Matter | None = None,
) -> PlanEntry:
    """Change a planned entry's title, month or note, or link it to the matter registered
    for it (whose title and category it then takes)."""
    access.require(actor, entry, "change")
    plan = lock(entry.plan, related=("department",))
    _open(plan)
    entry = PlanEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
    before = snapshot(entry, PlanEntry.audit_fields)
    if matter is not None and matter.pk != entry.matter_id:
        if entry.matter_id is not None:
            raise ActionError(_("该条目已关联事项，请移除后重新添加"), field="matter")
        matter = Matter.objects.select_related("department").get(pk=matter.pk)
        if refused := matter_refusal(plan, matter):
            raise ActionError(refused, field="matter")
        entry.matter = matter
    if entry.matter_id is not None:
        title = entry.matter.title  # type: ignore[union-attr]
        entry.category_code = entry.matter.category_code  # type: ignore[union-attr]
    title = title.strip()
    if not title:
        raise ActionError(_("请填写事项名称"), field="title")
    if planned_month is not None and not 1 <= planned_month <= 12:
        raise ActionError(_("计划评估月份应为1至12"), field="planned_month")
    entry.title, entry.planned_month, entry.note = title[:200], planned_month, note.strip()
    if snapshot(entry, PlanEntry.audit_fields) == before:
        return entry
    _save_entry(entry)
    _changed(actor, plan)
    record(
        actor,
        "supervision.plan.entry_edit",
        entry,
        before=before,
        after={**snapshot(entry, PlanEntry.audit_fields), "plan_status": plan.status},
    )
    return entry


@transaction.atomic
def do_remove_entry(actor: Any, entry: PlanEntry) -> AnnualPlan:
    access.require(actor, entry, "change")
    plan = lock(entry.plan, related=("department",))
    _open(plan)
    if entry.matter_id is not None and entry.matter.status in DECIDED:  # type: ignore[union-attr]
        raise ActionError(_("该事项已作出决定，不能从计划表中移除"))
    before = snapshot(entry, PlanEntry.audit_fields)
    record(actor, "supervision.plan.entry_remove", entry, before=before)
    entry.delete()
    _changed(actor, plan)
    return plan


def _filed_elsewhere(matter_ids: set[int], plan: AnnualPlan) -> set[int]:
    """Of `matter_ids`, those now in another plan's latest filing (their mark stays)."""
    out: set[int] = set()
    for e in PlanEntry.objects.filter(matter_id__in=matter_ids).exclude(plan=plan):
        last = e.plan.filings.order_by("-number").first()
        if last and any(r.get("matter") == e.matter_id for r in last.entries):
            out.add(e.matter_id)  # type: ignore[arg-type]
    return out


@transaction.atomic
def do_file_plan(
    actor: Any,
    plan: AnnualPlan,
    *,
    office: Department | None = None,
    reason: str = "",
    version: int | None = None,
) -> PlanFiling:
    """报维稳办备案: version n+1 of the plan with its entries as they stand, filed now."""
    access.require(actor, plan, "change")
    plan = lock(plan, version, related=("department",))
    if refused := file_refusal(plan):
        raise ActionError(refused)
    if office is None:
        office = offices_for(plan.department).first()
    if (
        office is None
        or office.kind != DepartmentKind.STABILITY_OFFICE
        or office.root_path != plan.department.root_path
        or not office.is_active
    ):
        raise ActionError(_("计划表应报本组织的维稳办备案"), field="office")
    previous = latest_filing(plan)
    reason = reason.strip()
    if previous is not None and not reason:
        raise ActionError(_("重新备案须说明修改原因"), field="reason")
    at = now()
    base, due = deadlines.yearly_due(DEADLINE, plan.year, since=obliged.joined_on(plan.department))
    entries = [entry_row(e) for e in plan.entries.order_by("id")]
    filing = PlanFiling.objects.create(
        plan=plan,
        number=(previous.number + 1) if previous else 1,
        office=office,
        filed_at=at,
        filed_by=actor,
        due_on=due,
        late=timezone.localdate(at) > due,
        entries=entries,
        reason=reason,
    )
    # 已备案: the matters of this version carry the mark, those removed since the last
    # version lose it — one UPDATE for all of them.
    now_in = {r["matter"] for r in entries if r["matter"]}
    was_in = {r["matter"] for r in previous.entries if r.get("matter")} if previous else set()
    gone = was_in - now_in
    gone -= _filed_elsewhere(gone, plan)
    if now_in or gone:
        day = timezone.localdate(at)
        Matter.objects.filter(pk__in=now_in | gone).update(
            plan_filed_on=Case(
                When(pk__in=now_in, then=Value(day)), default=None, output_field=DateField()
            ),
            plan_filed_with=Case(
                When(pk__in=now_in, then=Value(office.pk)),
                default=None,
                output_field=IntegerField(),
            ),
        )
    plan.status = PlanStatus.FILED
    bump(plan, "status")
    record(
        actor,
        "supervision.plan.file",
        filing,
        after={
            **snapshot(filing, PlanFiling.audit_fields),
            "due_on": due.isoformat(),
            "matters": sorted(now_in),
            "cleared": sorted(gone),
            "plan_status": plan.status,
        },
    )
    return filing


@transaction.atomic
def do_acknowledge_plan(actor: Any, filing: PlanFiling) -> PlanFiling:
    """签收 by a member of the office the version was filed with (never its filer)."""
    if not office_member(actor, filing.office):
        raise PermissionDenied(acknowledge_refusal(actor, filing))
    filing = lock(filing, related=("plan__department", "office"))
    if refused := acknowledge_refusal(actor, filing):
        raise ActionError(refused)
    filing.acknowledged_by, filing.acknowledged_at = actor, now()
    filing.save(update_fields=["acknowledged_by", "acknowledged_at"])
    record(
        actor,
        "supervision.plan.acknowledge",
        filing,
        after={"number": filing.number, "office": filing.office_id},
    )
    return filing


# ------------------------------------------------------------------ the matter page


def plan_panel(request: Any, matter: Matter) -> dict[str, Any]:
    """年度计划备案 on the matter page: the plan, version, office and date, or 未备案 with a
    link to add the matter to its department's plan."""
    entry = PlanEntry.objects.filter(matter=matter).select_related("plan__department").first()
    label = _("年度评估计划备案")
    if entry is not None:
        plan = entry.plan
        url = reverse("supervision:plan", args=[plan.pk])
        last = latest_filing(plan)
        if matter.plan_filed_on and last is not None:
            return {
                "label": label,
                "value": _("已备案"),
                "note": _("%(y)s年度计划表第%(n)s版 · %(o)s · %(d)s")
                % {
                    "y": plan.year,
                    "n": last.number,
                    "o": last.office.name,
                    "d": f"{matter.plan_filed_on:%Y年%-m月%-d日}",
                },
                "url": url,
            }
        return {
            "label": label,
            "value": _("未备案"),
            "note": _("已列入%(y)s年度计划表，尚未（重新）备案；对未备案的事项，一律不予审批")
            % {"y": plan.year},
            "url": url,
        }
    plan = (
        AnnualPlan.objects.filter(
            department__path__in=_ancestor_paths(matter.department.path),
            year__gte=timezone.localtime(matter.created_at).year,
        )
        .order_by("-department__depth", "year")
        .first()
    )
    if plan is not None:
        url = reverse("supervision:plan_entry_add", args=[plan.pk]) + f"?matter={matter.pk}"
    else:
        url = reverse("supervision:plan_create") + (
            f"?department={matter.department_id}&year={timezone.localdate(now()).year}"
        )
    return {
        "label": label,
        "value": _("未备案"),
        "note": _("点击列入年度评估计划表；对未备案的事项，一律不予审批"),
        "url": url,
    }


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


matter_panels.add(plan_panel)


def plan_matter(actor: Any, matter: Matter, *, reason: str = "") -> Matter:
    """Put a registered matter into its department's plan for this year (drawn up when
    missing) and file the plan (a re-filing gives `reason`): the steps a department takes
    before a matter may be approved, for the demo data and the tests' flows."""
    year = timezone.localdate(now()).year
    department = matter.department
    plan = AnnualPlan.objects.filter(department=department, year=year).first()
    if plan is None:
        plan = do_create_plan(actor, department, year)
    if not plan.entries.filter(matter=matter).exists():
        do_add_entry(actor, plan, matter=matter)
    plan.refresh_from_db()
    if plan.status != PlanStatus.FILED:
        if plan.filings.exists():
            reason = reason or _("增补评估事项：%(t)s") % {"t": matter.title}
        do_file_plan(actor, plan, reason=reason)
    return Matter.objects.get(pk=matter.pk)
