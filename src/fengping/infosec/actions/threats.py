"""Threats of an assessment (篇2 2.2): rated from the scheme's catalogue, by source
(环境/人为, 有意/无意) with 主体, 动机, 时机 and a frequency 1–5 with its evidence.

The evidence 2.2 names — the system's past security incidents and the survey of its
network and system administrators — proposes a frequency by the scheme's
`infosec.threats.frequency_rule`; each ThreatRating keeps both proposals
(`incident_count`, `survey_proposal`) beside the frequency the assessor sets, and a
frequency that far from a proposal needs a reason in its evidence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengping.audit.chain import record, save_and_record, snapshot
from fengping.core.concurrency import lock
from fengping.core.errors import ActionError
from fengping.opinions import actions as opinion_actions
from fengping.opinions.models import QuestionKind, Questionnaire, QuestionnaireStatus
from fengping.opinions.queries import questionnaire_stats
from fengping.org import access

from ..models import Incident, SystemAssessment, ThreatOrigin, ThreatRating
from .assessments import require_open, touch_inputs

LABELS = {
    "infosec.threat.add": gettext_lazy("添加威胁"),
    "infosec.threat.update": gettext_lazy("修改威胁"),
    "infosec.threat.remove": gettext_lazy("删除威胁"),
    "infosec.threat.seed": gettext_lazy("按威胁分类添加威胁"),
    "infosec.threat.survey": gettext_lazy("发起管理员威胁调查"),
    "infosec.threat.proposals": gettext_lazy("更新威胁频率的建议值"),
}

SURVEY_DAYS = 14


def survey_key(assessment: SystemAssessment) -> str:
    return f"threat_survey:{assessment.pk}"


def _lock_open(assessment: SystemAssessment) -> SystemAssessment:
    a = lock(assessment, related=("system__department",))
    require_open(a)
    return a


def _rule(a: SystemAssessment) -> Any:
    return a.scheme.infosec.threats.frequency_rule  # type: ignore[union-attr]


def _classes(a: SystemAssessment) -> dict[str, Any]:
    return {c.code: c for c in a.scheme.infosec.threats.classes}  # type: ignore[union-attr]


def threat_scale(a: SystemAssessment) -> Any:
    return a.scheme.scale(a.scheme.method.threat_scale)  # type: ignore[union-attr]


def incident_counts(
    system_id: int, window_days: int, today: dt.date | None = None
) -> dict[str, int]:
    """The system's recorded incidents per threat class in the window (one GROUP BY)."""
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=window_days)
    rows = (
        Incident.objects.filter(system_id=system_id, occurred_on__gt=since)
        .values("threat_class")
        .annotate(n=Count("pk"))
        .values_list("threat_class", "n")
    )
    return dict(rows)


def survey_means(a: SystemAssessment) -> dict[str, float]:
    """The mean answer per threat class of the assessment's latest survey, read from the
    questionnaire's counters (`opinions.queries.questionnaire_stats`)."""
    qn = latest_survey(a)
    if qn is None:
        return {}
    _responses, stats = questionnaire_stats(qn)
    return {s.question.key: s.mean for s in stats if s.question.key and s.mean is not None}


def latest_survey(a: SystemAssessment) -> Questionnaire | None:
    return (
        Questionnaire.objects.filter(system_id=a.system_id, key=survey_key(a))
        .order_by("-created_at", "-id")
        .first()
    )


def proposals(threat: ThreatRating, rule: Any) -> list[tuple[str, int]]:
    """(source, level) of what the evidence proposes for this threat's frequency."""
    out: list[tuple[str, int]] = []
    if rule is None:
        return out
    level = rule.incident_proposal(threat.incident_count)
    if level is not None:
        out.append((_("以往安全事件"), level))
    if threat.survey_proposal is not None:
        level = rule.survey_level(float(threat.survey_proposal))
        if level is not None:
            out.append((_("管理员调查"), level))
    return out


def _check_gap(threat: ThreatRating, rule: Any) -> None:
    if rule is None or threat.evidence.strip():
        return
    for source, level in proposals(threat, rule):
        if abs(threat.frequency - level) >= rule.evidence_gap:
            raise ActionError(
                _("出现频率 %(f)s 与%(src)s的建议值 %(p)s 相差 %(d)s 级，请在赋值依据中说明理由")
                % {
                    "f": threat.frequency,
                    "src": source,
                    "p": level,
                    "d": abs(threat.frequency - level),
                },
                field="evidence",
            )


def _mean(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _fill_proposals(a: SystemAssessment, threats: Iterable[ThreatRating]) -> None:
    rule = _rule(a)
    counts = incident_counts(a.system_id, rule.window_days) if rule else {}
    means = survey_means(a)
    for t in threats:
        t.incident_count = counts.get(t.threat_class, 0)
        t.survey_proposal = _mean(means.get(t.threat_class))


def _clean(a: SystemAssessment, t: ThreatRating, fields: dict[str, Any]) -> None:
    classes = _classes(a)
    cls = classes.get(fields.get("threat_class") or t.threat_class)
    if cls is None:
        raise ActionError(_("请选择方案威胁分类中的一类威胁"), field="threat_class")
    t.threat_class = cls.code
    t.name = (fields.get("name") or "").strip()[:200] or cls.label
    origin = fields.get("origin") or cls.origin
    if origin not in ThreatOrigin.values:
        raise ActionError(_("威胁来源无效"), field="origin")
    t.origin = origin
    t.actor = (fields.get("threat_actor") or "").strip()[:120]
    t.motive = (fields.get("motive") or "").strip()[:200]
    t.timing = (fields.get("timing") or "").strip()[:200]
    t.evidence = (fields.get("evidence") or "").strip()
    frequency = fields.get("frequency")
    try:
        frequency = int(frequency)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        frequency = 0
    if not 1 <= frequency <= 5:
        raise ActionError(_("出现频率须为 1–5"), field="frequency")
    t.frequency = frequency


def _next_code(a: SystemAssessment) -> str:
    codes = set(a.threats.values_list("code", flat=True))
    n = len(codes) + 1
    while f"T{n:02d}" in codes:
        n += 1
    return f"T{n:02d}"


@transaction.atomic
def do_add_threat(
    actor: Any,
    assessment: SystemAssessment,
    *,
    threat_class: str,
    frequency: int,
    code: str = "",
    name: str = "",
    origin: str = "",
    threat_actor: str = "",
    motive: str = "",
    timing: str = "",
    evidence: str = "",
) -> ThreatRating:
    """A threat of a class of the scheme's catalogue; `threat_actor` is its 威胁主体."""
    access.require(actor, assessment, "change")
    a = _lock_open(assessment)
    t = ThreatRating(assessment=a)
    _clean(
        a,
        t,
        {
            "threat_class": threat_class,
            "frequency": frequency,
            "name": name,
            "origin": origin,
            "threat_actor": threat_actor,
            "motive": motive,
            "timing": timing,
            "evidence": evidence,
        },
    )
    code = (code or "").strip()[:40] or _next_code(a)
    if a.threats.filter(code=code).exists():
        raise ActionError(_("威胁编号“%(c)s”已存在") % {"c": code}, field="code")
    t.code = code
    _fill_proposals(a, [t])
    _check_gap(t, _rule(a))
    t.save()
    touch_inputs(a)
    record(actor, "infosec.threat.add", t, after=snapshot(t, ThreatRating.audit_fields))
    return t


@transaction.atomic
def do_update_threat(
    actor: Any,
    threat: ThreatRating,
    *,
    version: int | None,
    frequency: int,
    threat_class: str = "",
    name: str = "",
    origin: str = "",
    threat_actor: str = "",
    motive: str = "",
    timing: str = "",
    evidence: str = "",
) -> ThreatRating:
    access.require(actor, threat, "change")
    a = _lock_open(threat.assessment)
    t = lock(threat, version)
    before = snapshot(t, ThreatRating.audit_fields)
    _clean(
        a,
        t,
        {
            "threat_class": threat_class,
            "frequency": frequency,
            "name": name,
            "origin": origin,
            "threat_actor": threat_actor,
            "motive": motive,
            "timing": timing,
            "evidence": evidence,
        },
    )
    if t.threat_class != before["threat_class"]:
        _fill_proposals(a, [t])
    _check_gap(t, _rule(a))
    save_and_record(actor, "infosec.threat.update", t, before=before)
    touch_inputs(a)
    return t


@transaction.atomic
def do_remove_threat(actor: Any, threat: ThreatRating) -> None:
    access.require(actor, threat, "change")
    a = _lock_open(threat.assessment)
    t = lock(threat)
    before = snapshot(t, ThreatRating.audit_fields)
    pk, label, path = t.pk, str(t), a.system.department.path
    t.delete()
    touch_inputs(a)
    record(
        actor,
        "infosec.threat.remove",
        None,
        object_type="infosec.threatrating",
        object_id=str(pk),
        object_repr=label,
        scope_path=path,
        before=before,
    )


@transaction.atomic
def do_seed_threats_from_catalogue(
    actor: Any, assessment: SystemAssessment, *, frequency: int = 3
) -> list[ThreatRating]:
    """One threat per class of the catalogue not yet present, its origin from the class,
    at `frequency` (the scale's middle by default) with the proposals filled in; the
    assessor then rates each. A class whose evidence is far from `frequency` starts at
    the evidence's level instead, so no seeded threat lacks its reason."""
    access.require(actor, assessment, "change")
    a = _lock_open(assessment)
    present = set(a.threats.values_list("threat_class", flat=True))
    rule = _rule(a)
    new: list[ThreatRating] = []
    codes = set(a.threats.values_list("code", flat=True))
    n = 0
    for cls in a.scheme.infosec.threats.classes:  # type: ignore[union-attr]
        if cls.code in present:
            continue
        n += 1
        while f"T{n:02d}" in codes:
            n += 1
        codes.add(f"T{n:02d}")
        new.append(
            ThreatRating(
                assessment=a,
                code=f"T{n:02d}",
                threat_class=cls.code,
                name=cls.label,
                origin=cls.origin,
                frequency=frequency,
            )
        )
    if not new:
        raise ActionError(_("方案威胁分类中的每一类都已添加"))
    _fill_proposals(a, new)
    for t in new:
        offered = proposals(t, rule)
        if offered and rule and any(abs(t.frequency - p) >= rule.evidence_gap for _s, p in offered):
            t.frequency = max(p for _s, p in offered)
    ThreatRating.objects.bulk_create(new)
    touch_inputs(a)
    record(
        actor,
        "infosec.threat.seed",
        a,
        after={"threats": [[t.code, t.threat_class, t.frequency] for t in new]},
    )
    return new


@transaction.atomic
def do_refresh_proposals(actor: Any, assessment: SystemAssessment) -> int:
    """Read the evidence again: the incidents recorded in the window and the survey's
    answers (from its counters). The frequencies the assessor set are left as they are,
    so the risk inputs do not change. Returns how many threats' proposals changed."""
    access.require(actor, assessment, "change")
    a = _lock_open(assessment)
    threats = list(a.threats.select_for_update())
    old = {t.pk: (t.incident_count, t.survey_proposal) for t in threats}
    _fill_proposals(a, threats)
    changed = [t for t in threats if old[t.pk] != (t.incident_count, t.survey_proposal)]
    ThreatRating.objects.bulk_update(changed, ["incident_count", "survey_proposal"])
    record(
        actor,
        "infosec.threat.proposals",
        a,
        after={
            "threats": [
                [
                    t.code,
                    t.incident_count,
                    str(t.survey_proposal) if t.survey_proposal is not None else None,
                ]
                for t in changed
            ]
        },
    )
    return len(changed)


def refresh_incident_counts(system_id: int) -> None:
    """An incident of the system was recorded, changed or removed: the threats of its open
    assessments count again (inside the incident action's transaction)."""
    for a in SystemAssessment.objects.filter(system_id=system_id, status="open"):
        rule = _rule(a)
        if rule is None:
            continue
        counts = incident_counts(system_id, rule.window_days)
        threats = list(a.threats.all())
        for t in threats:
            t.incident_count = counts.get(t.threat_class, 0)
        ThreatRating.objects.bulk_update(threats, ["incident_count"])


@transaction.atomic
def do_create_threat_survey(
    actor: Any, assessment: SystemAssessment, *, closes_at: dt.datetime | None = None
) -> Questionnaire:
    """2.2 对网络、系统管理员关于威胁发生可能性和发展趋势的调查: a questionnaire of the
    system (opinions) for its administrators, one scale question per threat class of the
    assessment, labelled with the threat frequency scale, published on its public link."""
    access.require(actor, assessment, "change")
    a = _lock_open(assessment)
    rule = _rule(a)
    if rule is None:
        raise ActionError(_("该评估方案没有威胁频率规则，不能发起管理员调查"))
    present = set(a.threats.values_list("threat_class", flat=True))
    classes = [c for c in a.scheme.infosec.threats.classes if c.code in present]  # type: ignore[union-attr]
    if not classes:
        raise ActionError(_("请先添加威胁，再发起管理员调查"))
    running = Questionnaire.objects.filter(
        system_id=a.system_id,
        key=survey_key(a),
        status__in=[QuestionnaireStatus.DRAFT, QuestionnaireStatus.PUBLISHED],
    )
    if running.exists():
        raise ActionError(_("该评估的管理员调查尚未结束，请先结束它再发起新的调查"))
    closes_at = closes_at or timezone.now() + dt.timedelta(days=SURVEY_DAYS)
    scale = threat_scale(a)
    system = a.system
    qn = opinion_actions.do_create_questionnaire(
        actor,
        None,
        system=system,
        title=_("%(s)s威胁发生可能性调查") % {"s": system.name},
        intro=_(
            "请网络、系统管理员根据本系统的实际情况，判断各类威胁在本系统发生的可能性及发展"
            "趋势（1–5 分，分值说明见各题）。"
        ),
        groups=rule.survey_groups,
        closes_at=closes_at,
        with_stance_question=False,
        key=survey_key(a),
    )
    for order, cls in enumerate(classes, start=1):
        opinion_actions.do_add_question(
            actor,
            qn,
            kind=QuestionKind.SCALE,
            text=f"{cls.label}：{rule.survey_question}",
            choices=[level.label for level in scale.levels],
            order=order,
            key=cls.code,
        )
    qn = opinion_actions.do_publish(actor, qn)
    record(
        actor,
        "infosec.threat.survey",
        a,
        after={"questionnaire": qn.pk, "classes": [c.code for c in classes]},
    )
    return qn
