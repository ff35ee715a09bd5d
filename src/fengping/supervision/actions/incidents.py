"""Incidents, the investigation of the assessments behind them, and accountability
(篇1 七(二), 篇3 七(四)). Every change is made by a member of the supervising office that
recorded the incident (`OFFICE_ROLES` under its path); the rules:

- a link names one matter, case or system the office member can see, once per incident;
  its department is the object's (matter: 责任主体, case: 政法单位, system: 主管部门);
- adopting a finding stores the compiled history as it is now, the proposed finding and
  its signs; a finding other than the proposed one, or a change of an adopted finding,
  needs a written reason (认定意见);
- an accountability decision has a document number; a 纪律处分 only with the measure
  纪律处分 (and that measure needs one); 酌情减轻 only on a link found 已评估并落实措施;
  it names a department the office may see (`decision_departments`) and, for a person
  who is a fengping user, one holding a role in that department (`decision_people`);
  the free-text name is for a person who is not a user;
- an investigation is closed when every link has a finding; a closed one changes no more.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, save_and_record, snapshot
from fengping.core.concurrency import lock
from fengping.core.errors import ActionError
from fengping.core.xlsx import ILLEGAL_CHARACTERS_RE
from fengping.org import access
from fengping.org.models import Department, Membership, User

from .. import investigation
from ..models import (
    OFFICE_ROLES,
    AccountabilityDecision,
    AccountabilityMeasure,
    Discipline,
    Finding,
    Incident,
    IncidentKind,
    IncidentLink,
    PersonRole,
)
from ..unassessed import SUPERVISING_KINDS

LABELS = {
    "supervision.incident.record": gettext_lazy("登记不稳定事件"),
    "supervision.incident.update": gettext_lazy("修改不稳定事件"),
    "supervision.incident.link": gettext_lazy("关联事件涉及的事项、案件或信息系统"),
    "supervision.incident.unlink": gettext_lazy("取消关联"),
    "supervision.incident.find": gettext_lazy("作出评估工作认定"),
    "supervision.incident.close": gettext_lazy("调查终结"),
    "supervision.accountability.record": gettext_lazy("登记责任追究决定"),
}

INCIDENT_FIELDS = (
    "kind",
    "title",
    "occurred_at",
    "place",
    "people",
    "description",
    "cause",
    "losses",
    "serious",
)


def offices_for(actor: Any) -> Any:
    """The supervising offices the actor may record an incident for."""
    return [
        d
        for d in Department.objects.filter(kind__in=SUPERVISING_KINDS, is_active=True).order_by(
            "path"
        )
        if access.can_change_under(actor, d.path, OFFICE_ROLES)
    ]


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out = {k: fields[k] for k in INCIDENT_FIELDS if k in fields}
    if out.get("kind") not in IncidentKind.values:
        raise ActionError(_("请选择事件类型"), field="kind")
    for name in ("title", "description", "place", "cause", "losses"):
        out[name] = (out.get(name) or "").strip()
    if not out["title"]:
        raise ActionError(_("请填写事件名称"), field="title")
    if not out["description"]:
        raise ActionError(_("请填写事件经过"), field="description")
    at = out.get("occurred_at")
    if at is None:
        raise ActionError(_("请填写发生时间"), field="occurred_at")
    if isinstance(at, dt.date) and not isinstance(at, dt.datetime):
        at = dt.datetime.combine(at, dt.time(0, 0))
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > timezone.now():
        raise ActionError(_("发生时间不能晚于现在"), field="occurred_at")
    out["occurred_at"] = at
    people = out.get("people") or 0
    if int(people) < 0:
        raise ActionError(_("涉及人数不能为负数"), field="people")
    out["people"] = int(people)
    out["serious"] = bool(out.get("serious"))
    return out


def _require_open(incident: Incident) -> None:
    if incident.closed_at is not None:
        raise ActionError(_("调查已终结，不能再修改"))


def do_record_incident(actor: Any, *, office: Department, **fields: Any) -> Incident:
    if office is None or office.kind not in SUPERVISING_KINDS:
        raise ActionError(_("请选择登记机关（维稳办、联席办或监察室）"), field="office")
    if not access.can_change_under(actor, office.path, OFFICE_ROLES):
        raise PermissionDenied(_("只有%(o)s的人员可以登记该机关的事件") % {"o": office.name})
    data = _clean(fields)
    with transaction.atomic():
        incident = Incident.objects.create(office=office, recorded_by=actor, **data)
        record(
            actor,
            "supervision.incident.record",
            incident,
            after=snapshot(incident, Incident.audit_fields),
        )
    return incident


def do_update_incident(
    actor: Any, incident: Incident, *, version: int | None, **fields: Any
) -> Incident:
    data = _clean(fields)
    with transaction.atomic():
        incident = lock(incident, version, related=("office",))
        access.require(actor, incident, "change")
        _require_open(incident)
        before = snapshot(incident, Incident.audit_fields)
        for name, value in data.items():
            setattr(incident, name, value)
        save_and_record(actor, "supervision.incident.update", incident, *data, before=before)
    return incident


def _department_of(obj: Any) -> Department:
    from fengping.cases.models import Case

    if isinstance(obj, Case):
        return obj.organ
    return obj.department


def resolve_target(actor: Any, kind: str, ref: Any) -> Any:
    """The matter (by number), case (by 案号) or system (by 系统编号) the actor can see;
    refused on the field `ref` when there is none."""
    from fengping.cases.models import Case
    from fengping.infosec.models import System
    from fengping.matters.models import Matter

    ref = str(ref or "").strip()
    qs: Any
    if kind == "matter":
        qs = Matter.objects.filter(pk=int(ref)) if ref.isdigit() else Matter.objects.none()
    elif kind == "case":
        qs = Case.objects.filter(number=ref)
    elif kind == "system":
        qs = System.objects.filter(code=ref)
    else:
        raise ActionError(_("请选择类别"), field="kind")
    found = access.visible(actor, qs).first()
    if found is None:
        raise ActionError(_("没有找到“%(r)s”，或无权查看") % {"r": ref}, field="ref")
    return found


def do_link(
    actor: Any,
    incident: Incident,
    *,
    matter: Any = None,
    case: Any = None,
    system: Any = None,
) -> IncidentLink:
    """Link the incident to one matter, case or system (fetched for the actor by the caller
    or here: an object the actor cannot see is refused as missing)."""
    given = [
        (n, o) for n, o in (("matter", matter), ("case", case), ("system", system)) if o is not None
    ]
    if len(given) != 1:
        raise ActionError(_("请选择一项事项、案件或信息系统"), field="target")
    name, obj = given[0]
    with transaction.atomic():
        incident = lock(incident, related=("office",))
        access.require(actor, incident, "change")
        _require_open(incident)
        if not access.visible(actor, type(obj).objects.filter(pk=obj.pk)).exists():
            raise ActionError(_("对象不存在或无权访问"), field="target")
        if IncidentLink.objects.filter(incident=incident, **{name: obj}).exists():
            raise ActionError(_("“%(o)s”已关联该事件") % {"o": obj}, field="target")
        try:
            with transaction.atomic():
                link = IncidentLink.objects.create(
                    incident=incident,
                    department=_department_of(obj),
                    added_by=actor,
                    **{name: obj},
                )
        except IntegrityError:
            raise ActionError(_("“%(o)s”已关联该事件") % {"o": obj}, field="target") from None
        record(
            actor,
            "supervision.incident.link",
            link,
            after={"incident": incident.pk, name: obj.pk, "department": link.department_id},
        )
    return link


def do_unlink(actor: Any, link: IncidentLink) -> None:
    with transaction.atomic():
        link = lock(link, related=("incident__office",))
        access.require(actor, link, "change")
        _require_open(link.incident)
        if link.finding:
            raise ActionError(_("已作出认定的关联不能取消"))
        if link.decisions.exists():
            raise ActionError(_("已据此作出责任追究决定的关联不能取消"))
        record(
            actor,
            "supervision.incident.unlink",
            link,
            before={"incident": link.incident_id, "target": str(link.target)},
        )
        link.delete()


def do_adopt_finding(
    actor: Any,
    link: IncidentLink,
    *,
    finding: str,
    note: str = "",
    version: int | None = None,
) -> IncidentLink:
    """Adopt a finding: the compiled history is stored as it is now with the proposed
    finding and its signs, so the record does not change with later data."""
    if finding not in Finding.values:
        raise ActionError(_("请选择认定"), field="finding")
    note = (note or "").strip()
    with transaction.atomic():
        link = lock(link, version, related=("incident__office",))
        access.require(actor, link, "change")
        _require_open(link.incident)
        history = investigation.compile(link)
        proposed, signs = investigation.propose(history)
        if finding != proposed and not note:
            raise ActionError(
                _("认定与建议认定（%(p)s）不同，须写明认定意见") % {"p": Finding(proposed).label},
                field="note",
            )
        if link.finding and finding != link.finding and not note:
            raise ActionError(_("改变已作出的认定，须写明认定意见"), field="note")
        if (
            link.finding == Finding.MITIGATED
            and finding != Finding.MITIGATED
            and link.decisions.filter(mitigated=True).exists()
        ):
            raise ActionError(
                _("已有按“酌情减轻”作出的责任追究决定，不能改变该认定"), field="finding"
            )
        before = snapshot(link, IncidentLink.audit_fields)
        link.compiled = {**history, "proposal": {"finding": proposed, "signs": signs}}
        link.proposed = proposed
        link.finding = finding
        link.finding_note = note
        link.found_by = actor
        link.found_at = timezone.now()
        save_and_record(
            actor,
            "supervision.incident.find",
            link,
            "compiled",
            "proposed",
            "finding",
            "finding_note",
            "found_by",
            "found_at",
            before=before,
        )
    return link


def decision_departments(actor: Any, incident: Incident) -> QuerySet[Department]:
    """The departments a decision on `incident` may hold accountable: the active
    departments of the recording office's organisation, as far as the actor sees them
    through org.access (an office's 督查 sees the whole organisation; its other members
    their own subtree). The department select, the people picker and the action read it."""
    root = incident.office.path.split("/", 1)[0] + "/"
    return access.visible(
        actor, Department.objects.filter(is_active=True, path__startswith=root)
    ).order_by("path")


def decision_people(actor: Any, incident: Incident, department: Department) -> QuerySet[User]:
    """The fengping users a decision may name in `department`: those holding a role in it
    (a Membership there, not only in a unit below it), when the department is one of
    `decision_departments` — none otherwise, so the picker never lists another
    department's people."""
    if not decision_departments(actor, incident).filter(pk=department.pk).exists():
        return User.objects.none()
    members = Membership.objects.filter(department=department).values("user_id")
    return access.visible(actor, User.objects.filter(pk__in=members)).order_by(
        "-is_active", "real_name", "username"
    )


def search_people(people: QuerySet[User], text: str) -> QuerySet[User]:
    """The people whose name, user name or position contains `text` (control characters,
    which no name holds and PostgreSQL refuses in a literal, dropped)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text or "").strip()[:60]
    if not text:
        return people
    return people.filter(
        Q(real_name__icontains=text) | Q(username__icontains=text) | Q(position__icontains=text)
    )


def person_label(user: User) -> str:
    """How the picker and the decision name a user: 姓名（用户名）, marked when deactivated."""
    label = f"{user.real_name}（{user.username}）" if user.real_name else user.username
    return label if user.is_active else _("%(label)s（已停用）") % {"label": label}


def _check_person(
    actor: Any, incident: Incident, department: Department, person: User | None
) -> None:
    if not decision_departments(actor, incident).filter(pk=department.pk).exists():
        raise ActionError(
            _("被追究单位须是%(o)s可以查看的部门") % {"o": incident.office.name},
            field="department",
        )
    if (
        person is not None
        and not decision_people(actor, incident, department).filter(pk=person.pk).exists()
    ):
        raise ActionError(
            _(
                "被追究人须是被追究单位（%(d)s）的人员：请从该单位的人员中选择；"
                "不是本系统用户的，只填写姓名"
            )
            % {"d": department.name},
            field="person",
        )


def do_record_decision(
    actor: Any,
    incident: Incident,
    *,
    department: Department,
    person_role: str,
    measure: str,
    doc_number: str,
    decided_on: dt.date,
    reason: str,
    link: IncidentLink | None = None,
    person: Any = None,
    person_name: str = "",
    discipline: str = "",
    mitigated: bool = False,
) -> AccountabilityDecision:
    doc_number = (doc_number or "").strip()
    reason = (reason or "").strip()
    person_name = (person_name or "").strip()
    discipline = discipline or ""
    if department is None:
        raise ActionError(_("请选择被追究单位"), field="department")
    if person_role not in PersonRole.values:
        raise ActionError(_("请选择责任类别"), field="person_role")
    if measure not in AccountabilityMeasure.values:
        raise ActionError(_("请选择追究方式"), field="measure")
    if not doc_number:
        raise ActionError(_("请填写决定文号"), field="doc_number")
    if not reason:
        raise ActionError(_("请填写追究事由"), field="reason")
    if decided_on is None:
        raise ActionError(_("请填写决定日期"), field="decided_on")
    if decided_on > timezone.localdate():
        raise ActionError(_("决定日期不能晚于今天"), field="decided_on")
    if discipline not in Discipline.values:
        raise ActionError(_("请选择纪律处分"), field="discipline")
    if discipline and measure != AccountabilityMeasure.DISCIPLINE:
        raise ActionError(
            _("只有追究方式为“纪律处分”时才能填写纪律处分（构成违纪的，依照有关规定给予纪律处分）"),
            field="discipline",
        )
    if measure == AccountabilityMeasure.DISCIPLINE and not discipline:
        raise ActionError(_("追究方式为“纪律处分”时须选择处分种类"), field="discipline")
    if person_role != PersonRole.UNIT and person is None and not person_name:
        raise ActionError(_("请选择被追究人；不是本系统用户的，填写被追究人姓名"), field="person")
    if person_role == PersonRole.UNIT and (person is not None or person_name):
        raise ActionError(_("对单位的追究不填写被追究人"), field="person_name")
    if person is not None:
        # The name of a user is the user's: the free-text name is for a person who is
        # not a fengping user, never a second, differing name of one who is.
        own = person.real_name or person.username
        if person_name and person_name not in (own, person.username):
            raise ActionError(
                _("已选择本系统用户“%(u)s”，姓名不另填写；不是本系统用户的，只填写姓名")
                % {"u": own},
                field="person_name",
            )
        person_name = own
    with transaction.atomic():
        incident = lock(incident, related=("office",))
        access.require(actor, incident, "change")
        _require_open(incident)
        _check_person(actor, incident, department, person)
        if link is not None:
            link = IncidentLink.objects.select_for_update(of=("self",)).get(pk=link.pk)
            if link.incident_id != incident.pk:
                raise ActionError(_("该关联不属于本事件"), field="link")
        if mitigated and (link is None or link.finding != Finding.MITIGATED):
            raise ActionError(
                _(
                    "只有对认定为“已评估并落实风险应对措施”的关联才能酌情减轻：对事先经过风险评估，"
                    "并落实了风险应对措施，但仍引发……的，酌情减轻责任追究"
                ),
                field="mitigated",
            )
        decision = AccountabilityDecision.objects.create(
            incident=incident,
            link=link,
            department=department,
            person=person,
            person_name=person_name,
            person_role=person_role,
            measure=measure,
            discipline=discipline,
            mitigated=bool(mitigated),
            doc_number=doc_number,
            decided_on=decided_on,
            reason=reason,
            recorded_by=actor,
        )
        record(
            actor,
            "supervision.accountability.record",
            decision,
            after=snapshot(decision, AccountabilityDecision.audit_fields),
        )
    return decision


def close_refusal(incident: Incident) -> str:
    if incident.closed_at is not None:
        return str(_("调查已终结"))
    pending = [str(link) for link in incident.links.all() if not link.finding]
    if pending:
        return str(_("以下关联尚未作出认定：%(l)s") % {"l": "、".join(pending)})
    return ""


def do_close_incident(actor: Any, incident: Incident, *, version: int | None = None) -> Incident:
    with transaction.atomic():
        incident = lock(incident, version, related=("office",))
        access.require(actor, incident, "change")
        refused = close_refusal(incident)
        if refused:
            raise ActionError(refused)
        before = snapshot(incident, Incident.audit_fields)
        incident.closed_at = timezone.now()
        save_and_record(actor, "supervision.incident.close", incident, "closed_at", before=before)
    return incident
