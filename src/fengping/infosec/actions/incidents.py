"""The system's past security incidents (2.2 系统以往发生的信息安全事件): recorded on the
system, kept between assessments; each is of a threat class of the scheme's catalogue and
counts as evidence of that class's frequency in the open assessment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, save_and_record, snapshot
from fengping.core.concurrency import lock
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.schemebook import registry

from ..models import AssessmentStatus, Incident, System
from .threats import refresh_incident_counts

LABELS = {
    "infosec.incident.record": gettext_lazy("登记安全事件"),
    "infosec.incident.update": gettext_lazy("修改安全事件"),
    "infosec.incident.remove": gettext_lazy("删除安全事件"),
}


def threat_classes(system: System) -> list[Any]:
    """The threat classes an incident of the system may be of: those of its open
    assessment's frozen scheme, or of the current isra scheme."""
    a = system.assessments.filter(status=AssessmentStatus.OPEN).first()
    scheme = a.scheme if a is not None else registry.get("isra")
    return list(scheme.infosec.threats.classes)  # type: ignore[union-attr]


def _clean(system: System, inc: Incident, fields: dict[str, Any]) -> None:
    occurred_on = fields["occurred_on"]
    if isinstance(occurred_on, str):
        try:
            occurred_on = dt.date.fromisoformat(occurred_on.strip())
        except ValueError:
            occurred_on = None
    if not isinstance(occurred_on, dt.date):
        raise ActionError(_("请填写发生日期"), field="occurred_on")
    if occurred_on > timezone.localdate():
        raise ActionError(_("发生日期不能晚于今天"), field="occurred_on")
    title = (fields.get("title") or "").strip()[:200]
    if not title:
        raise ActionError(_("请填写事件名称"), field="title")
    codes = {c.code for c in threat_classes(system)}
    if fields.get("threat_class") not in codes:
        raise ActionError(_("请选择方案威胁分类中的一类"), field="threat_class")
    inc.occurred_on = occurred_on
    inc.title = title
    inc.threat_class = fields["threat_class"]
    inc.description = (fields.get("description") or "").strip()


@transaction.atomic
def do_record_incident(
    actor: Any,
    system: System,
    *,
    occurred_on: dt.date | str,
    title: str,
    threat_class: str,
    description: str = "",
) -> Incident:
    access.require(actor, system, "change")
    system = lock(system, related=("department",))
    inc = Incident(system=system, recorded_by=actor)
    _clean(
        system,
        inc,
        {
            "occurred_on": occurred_on,
            "title": title,
            "threat_class": threat_class,
            "description": description,
        },
    )
    inc.save()
    refresh_incident_counts(system.pk)
    record(actor, "infosec.incident.record", inc, after=snapshot(inc, Incident.audit_fields))
    return inc


@transaction.atomic
def do_update_incident(
    actor: Any,
    incident: Incident,
    *,
    version: int | None,
    occurred_on: dt.date | str,
    title: str,
    threat_class: str,
    description: str = "",
) -> Incident:
    access.require(actor, incident, "change")
    inc = lock(incident, version, related=("system__department",))
    before = snapshot(inc, Incident.audit_fields)
    _clean(
        inc.system,
        inc,
        {
            "occurred_on": occurred_on,
            "title": title,
            "threat_class": threat_class,
            "description": description,
        },
    )
    save_and_record(actor, "infosec.incident.update", inc, before=before)
    refresh_incident_counts(inc.system_id)
    return inc


@transaction.atomic
def do_remove_incident(actor: Any, incident: Incident) -> None:
    access.require(actor, incident, "change")
    inc = lock(incident, related=("system__department",))
    before = snapshot(inc, Incident.audit_fields)
    pk, label, path, system_id = inc.pk, inc.title, inc.system.department.path, inc.system_id
    inc.delete()
    refresh_incident_counts(system_id)
    record(
        actor,
        "infosec.incident.remove",
        None,
        object_type="infosec.incident",
        object_id=str(pk),
        object_repr=label,
        scope_path=path,
        before=before,
    )
