"""A test for every refusal (issue 8), generated from the built-in 社会稳定风险评估 schemes.

For each scheme the assessment procedure runs (the `ssra-*` built-ins), every decision a
grade forbids, every condition a grade puts on a decision, every gate and the majority
rule are walked: the state in which the rule must refuse is built through the action
functions (tests/assessments/flow.py), and the refusal — with the scheme's own quoted rule
— is asserted through the action, the page and the API, with no decision recorded. A new
rule in a scheme file becomes a new case here without anyone writing a test.

The assessments are built once for the module (tests/module_db.py): one per grade a rule
is attached to (its factor levels are found from the scheme's own scales and bands), one
with the scheme's mildest grade for the gates, one where most of those consulted oppose.
Each test runs in its own savepoint.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fengping.api.tokens import do_create_token
from fengping.assessments import actions
from fengping.assessments.models import Assessment, Decision, MeasureKind, MemberKind
from fengping.core.errors import ActionError
from fengping.matters.models import Matter
from fengping.procedure import engine, outputs
from fengping.schemes import load_builtin
from fengping.schemes.methods import composite_spec
from fengping.schemes.model import Scheme
from fengping.scoring import FactorScore as ScoringFactor
from fengping.scoring import score_factors
from tests.conftest import Org, build_org
from tests.dates import YEAR
from tests.module_db import module_data

from .flow import (
    ESTIMATES,
    answer_checklist,
    approve_reviews,
    file_with_every_office,
    opinions,
    register,
    to_decide_step,
    to_grade_step,
)

SCHEMES: dict[str, Scheme] = {
    key: scheme for key, scheme in sorted(load_builtin().items()) if key.startswith("ssra")
}
DOC_NO = f"示政发〔{YEAR}〕99号"
# Conditions fengping judges by itself, and how a test takes each away (the state in
# which a gate must refuse). A new automatic condition needs a line here.
UNMEET = {
    "assessment_completed": lambda a: Assessment.objects.filter(pk=a.pk).update(
        report_generated_at=None
    ),
    "plan_filed": lambda a: Matter.objects.filter(pk=a.matter_id).update(plan_filed_on=None),
}


def factor_for(scheme: Scheme, grade: str) -> tuple[str, str]:
    """The probability and impact levels of the scheme's scales that one factor needs for
    the method to compute `grade`."""
    method = scheme.method
    scales = {s.code: s for s in scheme.scales}
    spec = composite_spec(scheme)
    for p in scales[method.probability_scale].levels:
        for i in scales[method.impact_scale].levels:
            result = score_factors([ScoringFactor("x", p.value, i.value, 1)], spec)
            if result.grade == grade:
                return p.code, i.code
    raise AssertionError(f"{scheme.key}: no single factor computes {grade}")


def mildest(scheme: Scheme) -> str:
    return min(scheme.grades, key=lambda g: g.severity).code


# ---------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    scheme: str
    state: str  # which module assessment: a grade code, or "opposed"
    outcome: str
    quote: str  # the rule as the scheme quotes it; the refusal must contain it
    unmeet: tuple[str, ...] = ()  # automatic conditions taken away first
    record: tuple[str, ...] = ()  # conditions the worker records (not yet confirmed)
    condition: str = ""  # the condition this case walks

    @property
    def id(self) -> str:
        return f"{self.scheme}-{self.state}-{self.outcome}" + "".join(
            f"-{c}" for c in self.unmeet + self.record
        )


def grade_cases() -> list[Case]:
    out = []
    for key, s in SCHEMES.items():
        codes = [d.code for d in s.decisions]
        for g in s.grades:
            forbidden = [
                d for d in codes if d in g.decisions.forbidden or d not in g.decisions.allowed
            ]
            for d in forbidden:
                out.append(Case(key, g.code, d, g.recommendation or g.definition or ""))
    return out


def condition_cases() -> list[Case]:
    out = []
    for key, s in SCHEMES.items():
        quotes = {c.code: c.quote or c.label for c in s.conditions}
        labels = {c.code: c.label for c in s.conditions}
        for g in s.grades:
            for cond in g.decisions.conditions:
                for code in cond.requires:
                    quote = labels[code] + "。" + quotes[code]
                    if code in UNMEET:
                        out.append(Case(key, g.code, cond.decision, quote, (code,), condition=code))
                        continue
                    # Nothing recorded; and recorded by the worker but not confirmed.
                    out.append(Case(key, g.code, cond.decision, quote, condition=code))
                    out.append(
                        Case(key, g.code, cond.decision, quote, record=(code,), condition=code)
                    )
    return out


def gate_cases() -> list[Case]:
    out = []
    for key, s in SCHEMES.items():
        for gate in s.gates:
            for d in gate.blocks:
                for code in gate.unless:
                    out.append(Case(key, mildest(s), d, gate.quote, unmeet=(code,), condition=code))
    return out


def majority_cases() -> list[Case]:
    return [
        Case(key, "opposed", d, s.majority_rule.quote)
        for key, s in SCHEMES.items()
        if s.majority_rule is not None
        for d in s.majority_rule.forbids
    ]


GRADE_CASES, CONDITION_CASES = grade_cases(), condition_cases()
GATE_CASES, MAJORITY_CASES = gate_cases(), majority_cases()
ALL_CASES = GRADE_CASES + CONDITION_CASES + GATE_CASES + MAJORITY_CASES


def test_the_schemes_give_rules_to_walk():
    """The generator found the rules the issue names (未备案不予审批, the 一级/二级
    refusals, the C condition …) — an empty generator would pass vacuously."""
    assert {"ssra-town", "ssra-bureau"} <= set(SCHEMES)
    ids = {c.id for c in ALL_CASES}
    assert "ssra-town-level1-implement" in ids and "ssra-town-level2-implement" in ids
    assert "ssra-town-level4-implement-plan_filed" in ids  # 对未备案的事项,一律不予审批
    assert "ssra-bureau-C-implement" in ids  # 根据相关预案 … 后,可以组织实施
    assert "ssra-bureau-A-implement_partially" in ids
    # Every condition a decision or a gate can need is walked, for every decision it guards.
    for key, s in SCHEMES.items():
        needed = {
            (dc.decision, c) for g in s.grades for dc in g.decisions.conditions for c in dc.requires
        }
        needed |= {(d, c) for gate in s.gates for d in gate.blocks for c in gate.unless}
        walked = {(c.outcome, c.condition) for c in ALL_CASES if c.scheme == key}
        assert needed <= walked, (key, needed - walked)


# ---------------------------------------------------------------- the module's world


@dataclass(frozen=True)
class World:
    org: Org
    assessments: dict[tuple[str, str], int]  # (scheme, state) -> assessment pk
    token: str  # the handler's API token


def build_world() -> World:
    org = build_org()
    needed = {(c.scheme, c.state) for c in ALL_CASES}
    built: dict[tuple[str, str], int] = {}
    for key, state in sorted(needed):
        s = SCHEMES[key]
        if state == "opposed":
            p, i = factor_for(s, mildest(s))
            a = to_grade_step(
                org, scheme_key=key, factors=((1.0, p, i),), support=2, oppose=7, neutral=1
            )
        else:
            p, i = factor_for(s, state)
            a = to_grade_step(org, scheme_key=key, factors=((1.0, p, i),))
        a = approve_reviews(org, to_decide_step(org, a))
        if state != "opposed":
            assert a.effective_grade() == state, (key, state, a.computed_index)
        built[(key, state)] = a.pk
    _row, token = do_create_token(org.rsj_handler, "refusals")
    return World(org, built, token)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_data(django_db_blocker, build_world)


@pytest.fixture
def org(db, world) -> Org:
    return world.org.fresh()


def arrange(world: World, org: Org, case: Case) -> Assessment:
    a = Assessment.objects.get(pk=world.assessments[(case.scheme, case.state)])
    for code in case.unmeet:
        UNMEET[code](a)
    for code in case.record:
        actions.do_record_condition(
            org.rsj_handler, a, code, note="已落实", plan="方案或预案（测试）"
        )
    return Assessment.objects.get(pk=a.pk)


def payload(outcome: str) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "doc_no": DOC_NO,
        "decided_on": timezone.localdate().isoformat(),
        "authority": "市人民政府常务会议",
    }


def assert_refused_everywhere(world: World, org: Org, client, case: Case) -> None:
    a = arrange(world, org, case)
    assert case.quote
    # 1. The action.
    with pytest.raises(ActionError) as exc:
        actions.do_decide(
            org.rsj_handler,
            a,
            outcome=case.outcome,
            doc_no=DOC_NO,
            decided_on=timezone.localdate(),
        )
    assert case.quote in exc.value.message, (exc.value.message, case.quote)
    # 2. The page: the form comes back with the rule quoted, nothing recorded.
    client.force_login(org.rsj_handler)
    response = client.post(reverse("assessments:decide", args=[a.pk]), payload(case.outcome))
    assert response.status_code == 200, response.status_code
    assert case.quote in html.unescape(response.content.decode())
    # 3. The API: 400 with the rule quoted in `detail`.
    response = client.post(
        f"/api/assessments/{a.pk}/decision",
        data=payload(case.outcome),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.token}",
    )
    assert response.status_code == 400, response.content
    assert case.quote in response.json()["detail"]
    assert not Decision.objects.filter(assessment=a).exists()


@pytest.mark.parametrize("case", GRADE_CASES, ids=[c.id for c in GRADE_CASES])
def test_every_forbidden_decision_of_every_grade(case, world, org, client):
    assert_refused_everywhere(world, org, client, case)


@pytest.mark.parametrize("case", CONDITION_CASES, ids=[c.id for c in CONDITION_CASES])
def test_every_condition(case, world, org, client):
    assert_refused_everywhere(world, org, client, case)
    if case.record:
        # Once a leader other than the recorder confirms it, this rule no longer refuses.
        a = Assessment.objects.get(pk=world.assessments[(case.scheme, case.state)])
        for code in case.record:
            actions.do_confirm_condition(org.rsj_head, a, code, "同意")
        refusals = actions.rules.refusals(a, case.outcome)
        assert not [r for r in refusals if case.quote in r.message]


@pytest.mark.parametrize("case", GATE_CASES, ids=[c.id for c in GATE_CASES])
def test_every_gate(case, world, org, client):
    a = Assessment.objects.get(pk=world.assessments[(case.scheme, case.state)])
    gate = next(g for g in SCHEMES[case.scheme].gates if g.quote == case.quote)
    if gate.applies_to and a.matter.category_code not in gate.applies_to:
        pytest.skip(f"{gate.code} does not apply to {a.matter.category_code}")
    # With the condition met the gate lets the decision through (the case is not vacuous).
    assert not [r for r in actions.rules.refusals(a, case.outcome) if r.rule == "gate"]
    assert_refused_everywhere(world, org, client, case)


@pytest.mark.parametrize("case", MAJORITY_CASES, ids=[c.id for c in MAJORITY_CASES])
def test_the_majority_rule(case, world, org, client):
    assert_refused_everywhere(world, org, client, case)


# ---------------------------------------------------------------- every step's outputs


def _make_plan(org, a):
    actions.do_save_plan(
        org.rsj_handler,
        a,
        version=None,
        lead_department=org.rsj,
        assisting_departments=[],
        plan_content="评估内容与责任分工",
        plan_methods="问卷调查、座谈会",
        schedule_start=None,
        schedule_end=None,
    )
    for user in (org.rsj_handler, org.rsj_head):
        actions.do_add_member(org.rsj_handler, a, kind=MemberKind.STAFF, name="", user=user)
    actions.do_add_member(org.rsj_handler, a, kind=MemberKind.EXPERT, name="王教授")
    actions.do_add_member(org.rsj_handler, a, kind=MemberKind.PUBLIC, name="李代表")


def _make_analysis(org, a):
    answer_checklist(org.rsj_handler, a)
    p, i = factor_for(a.scheme, mildest(a.scheme))
    f = actions.do_save_factor(
        org.rsj_handler, a, dimension=a.scheme.dimensions[0].code, title="因素", **ESTIMATES
    )
    for assessor in (org.rsj_handler, org.rsj_head):
        actions.do_score_factor(assessor, f, probability_level=p, impact_level=i)


def _make_grade(org, a):
    actions.do_grade(
        org.rsj_handler,
        a,
        written_opinion="同意评估结论",
        recommendation="可以实施",
    )


def _make_decision(org, a):
    a = approve_reviews(org, a)
    grade = a.grade_obj()
    # Meet the grade's conditions (recorded by the handler, confirmed by a leader), so that
    # an implementing decision is made and its follow-up measures are needed.
    for cond in grade.decisions.conditions:
        for code in cond.requires:
            if code in {c.code for c in a.scheme.conditions} and not actions.rules.condition_met(
                a, code
            ):
                actions.do_record_condition(
                    org.rsj_handler, a, code, note="已落实", plan="化解矛盾方案及应急预案"
                )
                actions.do_confirm_condition(org.rsj_head, a, code, "同意")
    # The first decision no rule refuses now (the recommended one when it is).
    candidates = [grade.decisions.recommended or "", *grade.decisions.allowed]
    outcome = next(d for d in candidates if d and not actions.rules.refusals(a, d))
    actions.do_decide(
        org.rsj_handler,
        a,
        outcome=outcome,
        doc_no=DOC_NO,
        decided_on=timezone.localdate(),
    )


def _make_measures(org, a):
    actions.do_add_measure(
        org.rsj_handler, a, kind=MeasureKind.RESPONSE, title="分批兑现", owner="养老保险科"
    )
    # 篇1 六(二): a postponed matter's follow-up also needs its 对策.
    actions.do_add_measure(
        org.rsj_handler, a, kind=MeasureKind.COUNTERMEASURE, title="研究对策", owner="办公室"
    )


# How a test produces each output a step of a built-in scheme must have. A new output
# code in a scheme needs a line here; the walk below fails naming it.
MAKE = {
    "matter": lambda org, a: None,
    "assessment_plan": _make_plan,
    "project_file": lambda org, a: actions.do_archive_document(
        org.rsj_handler, a, SimpleUploadedFile("方案.txt", "方案".encode()), title="评估方案"
    ),
    "opinions": lambda org, a: opinions(org, a.matter),
    "risk_analysis": _make_analysis,
    "risk_grade": _make_grade,
    "recommendation": _make_grade,
    "written_opinion": _make_grade,
    "report": lambda org, a: actions.do_mark_report_generated(org.rsj_handler, a, "0" * 64),
    "decision": _make_decision,
    "filing": lambda org, a: file_with_every_office(org, a),
    "response_measures": _make_measures,
    "contingency_plan": lambda org, a: actions.do_add_measure(
        org.rsj_handler, a, kind=MeasureKind.CONTINGENCY, title="应急预案", owner="办公室"
    ),
}


def assert_step_refused(org, client, token, a: Assessment, code: str, labels: list[str]):
    step = engine.step(a.scheme, code)
    wanted = [*labels, step.text] if step.text else labels
    with pytest.raises(ActionError) as exc:
        actions.do_complete_step(org.rsj_handler, a, code)
    assert all(w in exc.value.message for w in wanted), (exc.value.message, wanted)
    client.force_login(org.rsj_handler)
    response = client.post(
        reverse("assessments:complete_step", args=[a.pk]), {"step": code}, follow=True
    )
    page = html.unescape(response.content.decode())
    assert response.status_code == 200 and all(w in page for w in wanted), wanted
    response = client.post(
        f"/api/assessments/{a.pk}/steps/{code}/complete",
        data={"note": ""},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400, response.content
    assert all(w in response.json()["detail"] for w in wanted)
    assert Assessment.objects.get(pk=a.pk).current_step == code


@pytest.mark.parametrize("key", sorted(SCHEMES))
def test_every_step_refuses_to_complete_without_its_outputs(key, org, client):
    """Walk the scheme's procedure: at each step, completing it while an output it must
    produce is missing is refused — the output named and the step's rule quoted — by the
    action, the page and the API; then the outputs are made one by one and the step done.
    (The checklist, the written opinion, the report, the filing, the measures …)"""
    _row, token = do_create_token(org.rsj_handler, "steps")
    matter = register(org, scheme_key=key, category_code=SCHEMES[key].categories()[0].code)
    a = actions.do_start_assessment(org.rsj_handler, matter)
    refused = set()
    for step in a.scheme.procedure.steps:
        a = Assessment.objects.get(pk=a.pk)
        assert a.current_step == step.code
        unknown = [c for c in step.produces if c not in MAKE]
        assert not unknown, f"{key}/{step.code}: add to MAKE how to produce {unknown}"
        for code in step.produces:
            missing = engine.missing_outputs(a, step)
            if code not in missing:
                continue
            labels = [outputs.label_of(a, c) for c in missing]
            assert_step_refused(org, client, token, a, step.code, labels)
            refused.update(missing)
            MAKE[code](org, Assessment.objects.get(pk=a.pk))
            a = Assessment.objects.get(pk=a.pk)
        a = actions.do_complete_step(org.rsj_handler, a, step.code)
    # Every registered output the procedure names was found missing and refused once.
    produced = {c for s in a.scheme.procedure.steps for c in s.produces if c != "matter"}
    assert produced <= refused, produced - refused
