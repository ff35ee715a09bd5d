"""Threats of an assessment (2.2): from the catalogue, the incident and survey proposals
beside the frequency set, the reason a far-off frequency needs, and the refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from fengping.audit.models import Event
from fengping.core.concurrency import StaleVersion
from fengping.core.errors import ActionError
from fengping.infosec.actions import incidents, threats
from fengping.infosec.models import AssessmentStatus, SystemAssessment, ThreatRating
from fengping.schemebook import registry

from .builders import add_assets, make_system, start


@pytest.fixture
def assessment(org):
    system = make_system(org)
    add_assets(system, 2)
    return start(org, system)


def _incidents(org, system, cls, n, days_ago=10):
    for i in range(n):
        incidents.do_record_incident(
            org.rsj_handler,
            system,
            occurred_on=timezone.localdate() - dt.timedelta(days=days_ago + i % 300),
            title=f"事件{i}",
            threat_class=cls,
        )


def test_add_takes_class_label_origin_and_proposals(org, assessment):
    _incidents(org, assessment.system, "malicious_code", 2)
    t = threats.do_add_threat(
        org.rsj_handler,
        assessment,
        threat_class="malicious_code",
        frequency=3,
        threat_actor="外部攻击者",
        motive="获利",
        timing="补丁未及时安装时",
    )
    assert (t.code, t.name, t.origin) == ("T01", "恶意代码", "human_malicious")
    assert t.incident_count == 2 and t.survey_proposal is None
    assert Event.objects.filter(action="infosec.threat.add", object_id=str(t.pk)).count() == 1
    a = SystemAssessment.objects.get(pk=assessment.pk)
    assert a.inputs_changed_at >= assessment.inputs_changed_at


def test_frequency_far_from_the_incident_proposal_needs_a_reason(org, assessment):
    _incidents(org, assessment.system, "network_attack", 12)  # ≥ 1/月 → 4
    with pytest.raises(ActionError, match="相差 3 级") as exc:
        threats.do_add_threat(
            org.rsj_handler, assessment, threat_class="network_attack", frequency=1
        )
    assert exc.value.field == "evidence"
    t = threats.do_add_threat(
        org.rsj_handler,
        assessment,
        threat_class="network_attack",
        frequency=3,  # one level off: no reason needed
    )
    with pytest.raises(ActionError, match="赋值依据"):
        threats.do_update_threat(org.rsj_handler, t, version=t.version, frequency=2)
    t = threats.do_update_threat(
        org.rsj_handler,
        t,
        version=t.version,
        frequency=2,
        evidence="事件均为同一扫描源的误报告警，已封堵",
    )
    assert t.frequency == 2 and t.version == 2


def test_incident_thresholds_follow_the_scale(db):
    r = registry.get("isra").infosec.threats.frequency_rule
    assert [r.incident_proposal(n) for n in (0, 1, 2, 11, 12, 51, 52)] == [
        None,
        3,
        3,
        3,
        4,
        4,
        5,
    ]
    assert r.survey_level(2.5) == 3 and r.survey_level(2.49) == 2 and r.survey_level(None) is None


def test_old_incidents_fall_out_of_the_window(org, assessment):
    _incidents(org, assessment.system, "tampering", 1, days_ago=400)
    t = threats.do_add_threat(org.rsj_handler, assessment, threat_class="tampering", frequency=1)
    assert t.incident_count == 0


def test_recording_an_incident_refreshes_open_threats(org, assessment):
    t = threats.do_add_threat(org.rsj_handler, assessment, threat_class="disclosure", frequency=2)
    _incidents(org, assessment.system, "disclosure", 3)
    assert ThreatRating.objects.get(pk=t.pk).incident_count == 3


def test_seed_adds_one_per_class_once(org, assessment):
    made = threats.do_seed_threats_from_catalogue(org.rsj_handler, assessment)
    classes = assessment.scheme.infosec.threats.classes
    assert len(made) == len(classes)
    assert {t.threat_class: t.origin for t in made} == {c.code: c.origin for c in classes}
    with pytest.raises(ActionError, match="都已添加"):
        threats.do_seed_threats_from_catalogue(org.rsj_handler, assessment)


def test_refusals(org, assessment):
    t = threats.do_add_threat(org.rsj_handler, assessment, threat_class="repudiation", frequency=2)
    with pytest.raises(ActionError, match="威胁分类"):
        threats.do_add_threat(org.rsj_handler, assessment, threat_class="nope", frequency=2)
    with pytest.raises(ActionError, match="1–5"):
        threats.do_add_threat(org.rsj_handler, assessment, threat_class="repudiation", frequency=6)
    with pytest.raises(ActionError, match="已存在"):
        threats.do_add_threat(
            org.rsj_handler, assessment, threat_class="repudiation", frequency=2, code="T01"
        )
    with pytest.raises(StaleVersion):
        threats.do_update_threat(org.rsj_handler, t, version=t.version + 1, frequency=3)
    with pytest.raises(PermissionDenied):
        threats.do_update_threat(org.supervisor, t, version=t.version, frequency=3)
    with pytest.raises(PermissionDenied):
        threats.do_add_threat(org.zjj_handler, assessment, threat_class="tampering", frequency=3)
    SystemAssessment.objects.filter(pk=assessment.pk).update(status=AssessmentStatus.FINISHED)
    with pytest.raises(ActionError, match="已办结"):
        threats.do_update_threat(org.rsj_handler, t, version=t.version, frequency=3)
    with pytest.raises(ActionError, match="已办结"):
        threats.do_remove_threat(org.rsj_handler, t)


def test_remove(org, assessment):
    t = threats.do_add_threat(org.rsj_handler, assessment, threat_class="repudiation", frequency=2)
    threats.do_remove_threat(org.rsj_handler, t)
    assert not ThreatRating.objects.filter(pk=t.pk).exists()
    assert Event.objects.filter(action="infosec.threat.remove", object_id=str(t.pk)).exists()


def test_incident_refusals(org, assessment):
    system = assessment.system
    with pytest.raises(ActionError, match="晚于今天"):
        incidents.do_record_incident(
            org.rsj_handler,
            system,
            occurred_on=timezone.localdate() + dt.timedelta(days=1),
            title="x",
            threat_class="tampering",
        )
    with pytest.raises(ActionError, match="威胁分类"):
        incidents.do_record_incident(
            org.rsj_handler, system, occurred_on="2026-01-01", title="x", threat_class="nope"
        )
    with pytest.raises(PermissionDenied):
        incidents.do_record_incident(
            org.supervisor, system, occurred_on="2026-01-01", title="x", threat_class="tampering"
        )
    inc = incidents.do_record_incident(
        org.rsj_handler,
        system,
        occurred_on="2026-01-01",
        title="网页被篡改",
        threat_class="tampering",
    )
    with pytest.raises(StaleVersion):
        incidents.do_update_incident(
            org.rsj_handler,
            inc,
            version=inc.version + 1,
            occurred_on="2026-01-02",
            title="y",
            threat_class="tampering",
        )
    inc = incidents.do_update_incident(
        org.rsj_handler,
        inc,
        version=inc.version,
        occurred_on="2026-01-02",
        title="网页被篡改（首页）",
        threat_class="tampering",
    )
    assert inc.version == 2
    incidents.do_remove_incident(org.rsj_handler, inc)
    assert not system.incidents.exists()
