"""Checklists of 2.3 and 3.1–3.4 answered item by item: vulnerabilities made and closed
from the answers, measures with their kind, values checked by type, the refusals."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from fengping.audit.models import Event
from fengping.core.concurrency import StaleVersion
from fengping.core.errors import ActionError
from fengping.infosec.actions.checklists import do_answer_item
from fengping.infosec.models import (
    AssessmentStatus,
    AssetLayer,
    Catalogue,
    SystemAssessment,
    Vulnerability,
)
from fengping.infosec.outputs import answered_all

from .builders import add_assets, make_system, start

V, M = Catalogue.VULNERABILITY, Catalogue.MEASURE


@pytest.fixture
def assessment(org):
    system = make_system(org)
    add_assets(system, 2)
    return start(org, system)


def answer(org, a, catalogue, item, result, **kw):
    return do_answer_item(org.rsj_handler, a, catalogue=catalogue, item=item, result=result, **kw)


def test_found_makes_a_vulnerability_and_not_found_closes_it(org, assessment):
    ans = answer(
        org,
        assessment,
        V,
        "management.1",
        "found",
        method="访谈",
        evidence="未制定安全方针",
        severity=3,
    )
    v = Vulnerability.objects.get(system=assessment.system, key="checklist:management.1")
    assert (v.source, v.aspect, v.checklist_item, v.title, v.severity, v.status) == (
        "checklist",
        "management",
        "management.1",
        "安全方针",
        3,
        "open",
    )
    assert v.asset.layer == AssetLayer.SYSTEM
    ans = answer(
        org,
        assessment,
        V,
        "management.1",
        "not_found",
        method="访谈",
        version=ans.version,
    )
    v.refresh_from_db()
    assert v.status == "closed" and v.closed_at is not None
    # found again: the same row, reopened
    ans = answer(
        org,
        assessment,
        V,
        "management.1",
        "found",
        method="调查问卷",
        evidence="方针仍未发布",
        severity=4,
        version=ans.version,
    )
    v.refresh_from_db()
    assert (v.status, v.severity, v.reopened_count) == ("open", 4, 1)
    assert Vulnerability.objects.filter(system=assessment.system).count() == 1
    assert Event.objects.filter(action="infosec.checklist.answer").count() == 3


def test_found_with_a_chosen_asset(org, assessment):
    other = assessment.system.assets.filter(layer=AssetLayer.COMPONENT).first()
    answer(
        org,
        assessment,
        V,
        "technical.2",
        "found",
        method="工具扫描",
        evidence="弱口令",
        severity=4,
        asset_id=other.pk,
    )
    assert Vulnerability.objects.get(key="checklist:technical.2").asset_id == other.pk


def test_vulnerability_refusals(org, assessment):
    with pytest.raises(ActionError, match="评估方式") as exc:
        answer(org, assessment, V, "management.1", "not_found", method="工具扫描")
    assert exc.value.field == "method"
    with pytest.raises(ActionError, match="证据"):
        answer(org, assessment, V, "management.1", "found", method="访谈", severity=3)
    with pytest.raises(ActionError, match="严重程度"):
        answer(org, assessment, V, "management.1", "found", method="访谈", evidence="x")
    with pytest.raises(ActionError, match="结论"):
        answer(org, assessment, V, "management.1", "effective", method="访谈")
    with pytest.raises(ActionError, match="不在"):
        answer(org, assessment, V, "management.99", "not_found", method="访谈")


def test_measure_needs_its_kind_and_checks_covers_and_values(org, assessment):
    with pytest.raises(ActionError, match="预防性") as exc:
        answer(org, assessment, M, "technical.1", "effective", evidence="已部署")
    assert exc.value.field == "measure_kind"
    with pytest.raises(ActionError, match="证据"):
        answer(org, assessment, M, "technical.1", "partial", measure_kind="preventive")
    with pytest.raises(ActionError, match="威胁分类"):
        answer(
            org,
            assessment,
            M,
            "technical.1",
            "effective",
            measure_kind="preventive",
            covers_threats=["nope"],
        )
    ans = answer(
        org,
        assessment,
        M,
        "technical.1",
        "effective",
        measure_kind="preventive",
        covers_threats=["malicious_code"],
        covers_assets=[assessment.system.assets.first().pk],
    )
    assert ans.measure_kind == "preventive" and ans.covers_threats == ["malicious_code"]
    assert ans.covers_assets.count() == 1
    # 最近更新时间 is a date; 管理员的个数 a count
    with pytest.raises(ActionError, match="日期"):
        answer(
            org, assessment, M, "technical.3", "effective", measure_kind="preventive", value="昨天"
        )
    with pytest.raises(ActionError, match="检查值"):
        answer(org, assessment, M, "technical.3", "effective", measure_kind="preventive")
    ans = answer(
        org,
        assessment,
        M,
        "technical.3",
        "effective",
        measure_kind="preventive",
        value="2026-01-05",
    )
    assert ans.value == "2026-01-05"
    with pytest.raises(ActionError, match="整数"):
        answer(
            org, assessment, M, "technical.9", "effective", measure_kind="protective", value="-1"
        )
    # an ineffective measure keeps no kind
    ans = answer(
        org,
        assessment,
        M,
        "physical.2",
        "ineffective",
        method="查看",
        measure_kind="protective",
        evidence="无漏水监测",
    )
    assert ans.measure_kind == "" and ans.covers_threats == []
    with pytest.raises(ActionError, match="评估方式"):
        answer(org, assessment, M, "physical.3", "na", method="访谈")


def test_stale_reader_outsider_finished(org, assessment):
    ans = answer(org, assessment, M, "management.1", "na", method="访谈")
    with pytest.raises(StaleVersion):
        answer(org, assessment, M, "management.1", "na", method="访谈", version=ans.version + 1)
    with pytest.raises(PermissionDenied):
        do_answer_item(
            org.supervisor, assessment, catalogue=M, item="management.1", result="na", method="访谈"
        )
    with pytest.raises(PermissionDenied):
        do_answer_item(
            org.zjj_handler,
            assessment,
            catalogue=M,
            item="management.1",
            result="na",
            method="访谈",
        )
    SystemAssessment.objects.filter(pk=assessment.pk).update(status=AssessmentStatus.FINISHED)
    with pytest.raises(ActionError, match="已办结"):
        answer(org, assessment, M, "management.1", "na", method="访谈", version=ans.version)


def test_every_item_answered_is_the_steps_output(org, assessment):
    info = assessment.scheme.infosec
    for checklist in info.vulnerabilities.checklists:
        for code in checklist.item_codes():
            method = checklist.methods[0] if checklist.methods else ""
            assert not answered_all(assessment, V)
            answer(org, assessment, V, code, "na", method=method)
    assert answered_all(assessment, V)
    assert not answered_all(assessment, M)


def test_scheme_value_kinds_must_match_the_items():
    from tests.schemes.helpers import mutate

    def change(d):
        d["infosec"]["measures"]["checklists"][0]["value_kinds"] = ["date"]

    error = mutate("isra", change)
    assert "value_kinds" in str(error) and "一一对应" in str(error)

    def bad_kind(d):
        d["infosec"]["measures"]["checklists"][3]["value_kinds"] = ["", "", "weekday", ""]

    assert "value_kinds" in str(mutate("isra", bad_kind))
