"""The risk computation against a register worked out by hand, row by row, for both
methods and with measures; the same results as the per-item functions; scenarios keep
their rows across recomputes; and the refusals."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.infosec import risk
from fengping.infosec.actions.assessments import touch_inputs
from fengping.infosec.actions.risk import do_compute_risk
from fengping.infosec.actions.treatment import do_decide
from fengping.infosec.models import (
    AssessmentStatus,
    Asset,
    AssetLayer,
    ChecklistAnswer,
    Recommendation,
    RemediationTask,
    RiskDecision,
    Scenario,
    SystemAssessment,
    ThreatRating,
    Vulnerability,
)
from fengping.schemes.methods import isra_bands, isra_tables
from fengping.scoring._exact import round_half_up_sqrt
from fengping.scoring.gbt20984 import risk_by_matrix, risk_by_multiplication

from .builders import make_system, start


def _asset(system, code, value, layer=AssetLayer.COMPONENT):
    return Asset.objects.create(
        system=system,
        layer=layer,
        code=code,
        name=code,
        confidentiality=value,
        integrity=value,
        availability=value,
        value=value,
    )


def _vuln(system, key, asset, aspect, severity, status="open"):
    return Vulnerability.objects.create(
        system=system,
        asset=asset,
        source="audit",
        aspect=aspect,
        key=key,
        title=key,
        severity=severity,
        status=status,
    )


def _measure(a, item, kind, result, threats=(), assets=()):
    m = ChecklistAnswer.objects.create(
        assessment=a,
        catalogue="measure",
        checklist="tech",
        item=item,
        result=result,
        measure_kind=kind,
        covers_threats=list(threats),
        answered_by=a.started_by,
    )
    m.covers_assets.set(assets)
    return m


def estate(org, calculation="multiplication"):
    """The hand-computed estate (see HAND): three assets, three threats (one of a class
    the catalogue lacks), five vulnerabilities of which two do not count, four measures.
    The frozen scheme is edited so partial measures count and preventive ones take two
    steps: preventive effective 2 / partial 1, protective effective 1 / partial 1."""
    system = make_system(org)
    a = start(org, system, calculation=calculation)
    snap = a.scheme_snapshot
    for effect in snap["method"]["measure_effects"]:
        if effect["kind"] == "preventive":
            effect["effective_steps"], effect["partial_steps"] = 2, 1
        else:
            effect["effective_steps"], effect["partial_steps"] = 1, 1
    SystemAssessment.objects.filter(pk=a.pk).update(scheme_snapshot=snap)
    a = SystemAssessment.objects.get(pk=a.pk)
    sys_ = _asset(system, "SYS", 4, AssetLayer.SYSTEM)
    a1 = _asset(system, "A1", 4)
    a2 = _asset(system, "A2", 2)
    t1 = ThreatRating.objects.create(
        assessment=a,
        code="T1",
        threat_class="network_attack",
        name="攻击",
        origin="human_malicious",
        frequency=4,
    )
    t2 = ThreatRating.objects.create(
        assessment=a,
        code="T2",
        threat_class="poor_management",
        name="管理",
        origin="human_non_malicious",
        frequency=3,
    )
    t3 = ThreatRating.objects.create(
        assessment=a,
        code="T3",
        threat_class="local_other",
        name="其他",
        origin="environmental",
        frequency=2,
    )
    v1 = _vuln(system, "V1", a1, "technical", 5)
    v2 = _vuln(system, "V2", a2, "technical", 3, status="accepted")
    v3 = _vuln(system, "V3", None, "management", 4)
    _vuln(system, "V4", a1, "operations", 2, status="closed")
    _vuln(system, "V5", a2, "management", 1, status="false_positive")
    _measure(a, "m1", "preventive", "effective", threats=["network_attack"])
    _measure(a, "m2", "protective", "partial", assets=[a2])
    _measure(a, "m3", "preventive", "effective", threats=["poor_management"], assets=[sys_])
    _measure(a, "m4", "preventive", "partial")
    _measure(a, "m5", "protective", "ineffective")
    names = {"SYS": sys_, "A1": a1, "A2": a2, "T1": t1, "T2": t2, "T3": t3}
    names.update({"V1": v1, "V2": v2, "V3": v3})
    return a, names


# (asset, threat, vuln): Ia, T, V, likelihood steps, loss steps,
#   multiplication (L, F, R, level), matrix (L, F, R, level)
# S1 A1×T1×V1: m1 (2) and m4 (1) → max 2 (not 3); V_L = 3, Va = 5; √(4·3·4·5)=√240=15.49→15
# S2 A1×T3×V1: unknown class pairs with every aspect; m4 → 1; √(2·4·4·5)=√160=12.65→13
# S3 A2×T1×V2: m1 → 2, m2 partial protective → 1; V_L = 1, Va = 2; √(4·1·2·2)=4
# S4 A2×T3×V2: m4 → 1, m2 → 1; √(2·2·2·2)=4
# S5 SYS×T2×V3: V3 has no asset → the system asset; m3 → 2; √(3·2·4·4)=√96=9.80→10
# S6 SYS×T3×V3: m4 → 1; √(2·3·4·4)=√96 → 10
# Not there: A1×T2×V1 (poor_management exploits management only), V4 closed, V5 false
# positive, SYS×T1×V3 (network_attack exploits technical only).
HAND = {
    ("A1", "T1", "V1"): (4, 4, 5, 2, 0, (3, 4, 15, 3), (3, 4, 12, 3)),
    ("A1", "T3", "V1"): (4, 2, 5, 1, 0, (3, 4, 13, 3), (3, 4, 12, 3)),
    ("A2", "T1", "V2"): (2, 4, 3, 2, 1, (2, 2, 4, 1), (2, 2, 4, 1)),
    ("A2", "T3", "V2"): (2, 2, 3, 1, 1, (2, 2, 4, 1), (2, 2, 4, 1)),
    ("SYS", "T2", "V3"): (4, 3, 4, 2, 0, (2, 4, 10, 2), (2, 4, 8, 2)),
    ("SYS", "T3", "V3"): (4, 2, 4, 1, 0, (2, 4, 10, 2), (2, 4, 8, 2)),
}


def register(a):
    rows = Scenario.objects.filter(assessment=a).select_related("asset", "threat", "vulnerability")
    return {(s.asset.code, s.threat.code, s.vulnerability.key): s for s in rows}


@pytest.mark.parametrize("calculation", ["multiplication", "matrix"])
def test_the_register_matches_the_hand_computation(org, calculation):
    a, _names = estate(org, calculation)
    result = do_compute_risk(org.rsj_handler, a)
    got = register(a)
    assert set(got) == set(HAND)
    for key, (ia, t, v, ls, fs, mult, matrix) in HAND.items():
        s = got[key]
        expected = mult if calculation == "multiplication" else matrix
        assert (s.asset_value, s.frequency, s.severity) == (ia, t, v), key
        assert (s.likelihood_steps, s.loss_steps) == (ls, fs), key
        assert (s.likelihood, s.loss, s.risk, s.level) == expected, key
        assert (s.residual_risk, s.residual_level) == (s.risk, s.level)
    assert result.created == 6 and result.total == 6
    a.refresh_from_db()
    assert a.scenario_count == 6 and a.risk_current()
    levels = {}
    for _k, row in HAND.items():
        lv = (row[5] if calculation == "multiplication" else row[6])[3]
        levels[str(lv)] = levels.get(str(lv), 0) + 1
    event = Event.objects.filter(action="infosec.risk.compute").latest("seq")
    assert event.after["created"] == 6
    assert {k: v for k, v in event.after["by_level"].items() if v} == levels


@pytest.mark.parametrize("calculation", ["multiplication", "matrix"])
def test_every_scenario_equals_the_per_item_function(org, calculation):
    a, _names = estate(org, calculation)
    do_compute_risk(org.rsj_handler, a)
    bands, tables = isra_bands(a.scheme), isra_tables(a.scheme)
    for s in Scenario.objects.filter(assessment=a):
        if calculation == "matrix":
            r = risk_by_matrix(
                s.asset_value, s.frequency, s.severity,
                measure_effect=s.likelihood_steps, loss_effect=s.loss_steps,
                tables=tables, bands=bands,
            )  # fmt: skip
            assert (s.likelihood, s.loss) == (int(r.likelihood), int(r.loss))
        else:
            r = risk_by_multiplication(
                s.asset_value, s.frequency, s.severity,
                measure_effect=s.likelihood_steps, loss_effect=s.loss_steps, bands=bands,
            )  # fmt: skip
        assert (s.risk, s.level) == (r.risk, r.band_index + 1)


def test_all_input_combinations_agree_with_the_per_item_function(org):
    """Every Ia × T × V × steps combination through compute()'s scoring."""
    import numpy as np

    a, _ = estate(org)
    grid = np.array(
        [(ia, t, v, ls, fs) for ia in range(1, 6) for t in range(1, 6) for v in range(1, 6)
         for ls in range(0, 3) for fs in range(0, 3)], dtype=np.int64,
    )  # fmt: skip
    for calculation in ("multiplication", "matrix"):
        a.calculation = calculation
        lik, loss, r, lv = risk.score(a, *grid.T)
        for i, (ia, t, v, ls, fs) in enumerate(grid.tolist()):
            if calculation == "matrix":
                one = risk_by_matrix(
                    ia, t, v, measure_effect=ls, loss_effect=fs, tables=isra_tables(a.scheme)
                )
                assert (lik[i], loss[i]) == (one.likelihood, one.loss)
            else:
                one = risk_by_multiplication(ia, t, v, measure_effect=ls, loss_effect=fs)
                assert lik[i] == round_half_up_sqrt(t * one.effective_vuln)
                assert loss[i] == round_half_up_sqrt(ia * one.effective_severity)
            assert (r[i], lv[i]) == (one.risk, one.band_index + 1)


def test_a_recompute_keeps_rows_and_changes_only_what_changed(org):
    a, n = estate(org)
    do_compute_risk(org.rsj_handler, a)
    before = {k: s.pk for k, s in register(a).items()}
    again = do_compute_risk(org.rsj_handler, a)
    assert (again.created, again.updated, again.removed, again.unchanged) == (0, 0, 0, 6)
    ThreatRating.objects.filter(pk=n["T3"].pk).update(frequency=5)
    touch_inputs(a)
    a.refresh_from_db()
    assert not a.risk_current()
    changed = do_compute_risk(org.rsj_handler, a)
    assert (changed.created, changed.updated, changed.removed) == (0, 3, 0)
    after = register(a)
    assert {k: s.pk for k, s in after.items()} == before
    # S2: √(5·4·4·5) = √400 = 20
    assert after[("A1", "T3", "V1")].risk == 20
    a.refresh_from_db()
    assert a.risk_current()


def test_a_shrinking_set_deletes_gone_rows_with_their_decisions(org):
    a, n = estate(org)
    do_compute_risk(org.rsj_handler, a)
    s1 = register(a)[("A1", "T1", "V1")]
    s3 = register(a)[("A2", "T1", "V2")]
    RiskDecision.objects.create(
        assessment=a, scenario=s1, treatment="reduce", reason="r", proposed_by=org.rsj_handler
    )
    RiskDecision.objects.create(
        assessment=a, scenario=s3, treatment="accept", reason="r", proposed_by=org.rsj_handler
    )
    rec = Recommendation.objects.create(
        assessment=a, title="补丁", kind="technical", created_by=org.rsj_handler
    )
    rec.scenarios.set([s1, s3])
    task = RemediationTask.objects.create(
        system=a.system, assessment=a, scenario=s1, title="修", kind="technical",
        deadline="2027-01-01", created_by=org.rsj_handler,
    )  # fmt: skip
    Vulnerability.objects.filter(pk=n["V1"].pk).update(status="closed")
    assert risk.decisions_at_risk(a) == 1
    result = do_compute_risk(org.rsj_handler, a)
    assert (result.removed, result.decisions_removed) == (2, 1)
    assert set(register(a)) == set(HAND) - {("A1", "T1", "V1"), ("A1", "T3", "V1")}
    assert list(RiskDecision.objects.filter(assessment=a).values_list("scenario", flat=True)) == [
        s3.pk
    ]
    assert list(rec.scenarios.values_list("pk", flat=True)) == [s3.pk]
    task.refresh_from_db()
    assert task.scenario_id is None
    assert risk.decisions_at_risk(a) == 0


def test_a_changed_level_voids_the_decision_taken_at_the_old_one(org):
    """A medium risk accepted with a written confirmation must not stay accepted once a
    higher threat frequency makes it high (where accepting needs a leader's approval)."""
    a, n = estate(org)
    do_compute_risk(org.rsj_handler, a)
    s2 = register(a)[("A1", "T3", "V1")]  # 13, 中等
    s5 = register(a)[("SYS", "T2", "V3")]  # 10, unchanged below
    accepted = do_decide(
        org.rsj_handler, s2, "accept", "暂时接受", confirmation="分管领导书面同意（签报第3号）"
    )
    kept = do_decide(org.rsj_handler, s5, "accept", "风险低")
    ThreatRating.objects.filter(pk=n["T3"].pk).update(frequency=5)  # S2 → 20, 高
    touch_inputs(a)
    result = do_compute_risk(org.rsj_handler, a)
    assert result.decisions_voided == 1
    assert not RiskDecision.objects.filter(pk=accepted.pk).exists()
    assert RiskDecision.objects.filter(pk=kept.pk).exists()
    event = Event.objects.filter(action="infosec.risk.compute").latest("seq")
    assert event.after["decisions_voided"] == 1
    # The treatment plan is incomplete until the risk is decided again, at its new level.
    from fengping.infosec.outputs import treatment_planned

    assert not treatment_planned(SystemAssessment.objects.get(pk=a.pk))


def test_a_vulnerability_moved_to_another_asset_is_a_new_scenario(org):
    a, n = estate(org)
    do_compute_risk(org.rsj_handler, a)
    Vulnerability.objects.filter(pk=n["V2"].pk).update(asset=n["A1"])
    result = do_compute_risk(org.rsj_handler, a)
    assert (result.created, result.removed) == (2, 2)
    assert ("A1", "T1", "V2") in register(a)


def test_a_system_layer_asset_gets_the_loose_vulnerabilities_only(org):
    a, n = estate(org)
    _asset(a.system, "SYS2", 3, AssetLayer.SYSTEM)
    do_compute_risk(org.rsj_handler, a)
    keys = set(register(a))
    assert {("SYS2", "T2", "V3"), ("SYS2", "T3", "V3")} <= keys
    assert not any(k[0] == "SYS2" and k[2] != "V3" for k in keys)


def test_refusals(org):
    a, _n = estate(org)
    with pytest.raises(PermissionDenied):
        do_compute_risk(org.supervisor, a)
    with pytest.raises(Exception) as exc:
        do_compute_risk(org.zjj_handler, a)
    assert exc.type.__name__ in {"PermissionDenied", "Http404"}
    SystemAssessment.objects.filter(pk=a.pk).update(status=AssessmentStatus.FINISHED)
    with pytest.raises(ActionError, match="已办结"):
        do_compute_risk(org.rsj_handler, a)
    other = start(org, make_system(org, "HR", name="人事系统"))
    with pytest.raises(ActionError, match="尚未识别威胁"):
        do_compute_risk(org.rsj_handler, other)
    assert not Scenario.objects.exists()


def test_an_empty_estate_computes_nothing(org):
    system = make_system(org)
    a = start(org, system)
    ThreatRating.objects.create(
        assessment=a,
        code="T1",
        threat_class="network_attack",
        name="x",
        origin="human_malicious",
        frequency=3,
    )
    result = do_compute_risk(org.rsj_handler, a)
    assert result.total == 0
    a.refresh_from_db()
    assert a.risk_current() and a.scenario_count == 0


@pytest.mark.django_db(transaction=True)
def test_two_computations_at_once_run_one_after_the_other(org):
    """The assessment row is locked: of two computations started together, one stores the
    register and the other finds nothing left to change (without the lock both would
    insert the same scenarios and one would fail on the unique constraint)."""
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time anyway")
    import threading

    a, _n = estate(org)
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(do_compute_risk(org.rsj_handler, SystemAssessment.objects.get(pk=a.pk)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(r.created for r in results) == [0, 6]
    assert sorted(r.unchanged for r in results) == [0, 6]
    assert Scenario.objects.filter(assessment=a).count() == 6


def test_a_recompute_refreshes_the_residual_of_completed_recommendations(org):
    a, n = estate(org)
    do_compute_risk(org.rsj_handler, a)
    s1 = register(a)[("A1", "T1", "V1")]
    rec = Recommendation.objects.create(
        assessment=a,
        title="加固",
        kind="technical",
        effect="preventive",
        created_by=org.rsj_handler,
    )
    rec.scenarios.set([s1])
    RemediationTask.objects.create(
        system=a.system, assessment=a, recommendation=rec, title="修", kind="technical",
        deadline="2027-01-01", status="done", created_by=org.rsj_handler,
    )  # fmt: skip
    ThreatRating.objects.filter(pk=n["T3"].pk).update(frequency=3)
    do_compute_risk(org.rsj_handler, a)
    s1.refresh_from_db()
    # measures 2 steps + the completed recommendation's 2: V_L = 1; √(4·1·4·5) = √80 → 9
    assert (s1.risk, s1.level, s1.residual_risk, s1.residual_level) == (15, 3, 9, 2)
    others = Scenario.objects.filter(assessment=a).exclude(pk=s1.pk)
    assert all(s.residual_risk == s.risk for s in others)


def test_a_bulk_load_rebuilds_the_indexes_and_keys_exactly(org, monkeypatch):
    """The path a large first computation takes (indexes and, on PostgreSQL, unique and
    foreign keys dropped and rebuilt): same register, same schema afterwards."""
    from django.db import connection

    def schema():
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, Scenario._meta.db_table)
        return {
            name: (tuple(c["columns"]), c["unique"], c["index"], c["foreign_key"], c.get("orders"))
            for name, c in found.items()
        }

    before = schema()
    monkeypatch.setattr(risk, "_REBUILD_MIN_ROWS", 1)
    a, _n = estate(org)
    result = do_compute_risk(org.rsj_handler, a)
    assert result.created == 6
    assert set(register(a)) == set(HAND)
    assert schema() == before
    assert {"infosec_scen_register", "infosec_scenario_unique"} <= set(before)
