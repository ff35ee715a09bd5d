"""Every treatment rule of the isra scheme, generated from its data: for each risk level
(grade) and each treatment, deciding through the action and through the API is refused
when the grade does not allow it, needs the written confirmation its conditions name, and
waits for a leader's approval when the scheme says so — and the proposer can never give
that approval. A new grade or condition in the scheme is tested without a new test."""

from __future__ import annotations

import pytest

from fengping.core.errors import ActionError
from fengping.infosec.actions.treatment import (
    do_approve_acceptance,
    do_decide,
    level_grades,
)
from fengping.infosec.models import ApprovalState, Scenario, Treatment
from fengping.schemes import BUILTIN_DIR
from fengping.schemes.loader import load_file

from .treatment_builders import register, rsj_leader

SCHEME = load_file(BUILTIN_DIR / "isra.yaml")  # what a new assessment freezes
LEVELS = sorted(level_grades(SCHEME))
CASES = [(level, t) for level in LEVELS for t in Treatment.values]


def _rule(level: int, treatment: str) -> tuple[bool, list[str], bool]:
    grade = SCHEME.grade(level_grades(SCHEME)[level])
    allowed = treatment in grade.decisions.allowed and treatment not in grade.decisions.forbidden
    requires = [
        code for c in grade.decisions.conditions if c.decision == treatment for code in c.requires
    ]
    approval = treatment == "accept" and (
        grade.code in SCHEME.infosec.acceptance.approval_grades or "leader_acceptance" in requires
    )
    return allowed, [r for r in requires if r != "leader_acceptance"], approval


def test_the_cases_cover_every_grade_of_the_scheme():
    assert {level_grades(SCHEME)[lv] for lv in LEVELS} == {g.code for g in SCHEME.grades}
    # the built-in scheme: 高 and 很高 acceptances wait for a leader, 中等 needs a sign-off
    assert _rule(5, "accept")[2] and _rule(4, "accept")[2] and not _rule(3, "accept")[2]
    assert _rule(3, "accept")[1] == ["acceptance_approved"]


@pytest.mark.parametrize(("level", "treatment"), CASES)
def test_action_and_api_follow_the_scheme(org, api, level, treatment):
    a = register(org, {level: 2})
    first, second = Scenario.objects.filter(assessment=a).order_by("id")
    allowed, confirmations, approval = _rule(level, treatment)
    call = api(org.rsj_handler)
    url = f"/infosec/assessments/{a.pk}/scenarios/{second.pk}/decision"
    if not allowed:
        with pytest.raises(ActionError, match="方案不允许"):
            do_decide(org.rsj_handler, first, treatment, "理由")
        response = call("put", url, {"treatment": treatment, "reason": "理由"})
        assert response.status_code == 400 and "方案不允许" in response.json()["detail"]
        return
    if confirmations:
        with pytest.raises(ActionError, match="书面确认"):
            do_decide(org.rsj_handler, first, treatment, "理由")
        response = call("put", url, {"treatment": treatment, "reason": "理由"})
        assert response.status_code == 400 and "书面确认" in response.json()["detail"]
    decision = do_decide(org.rsj_handler, first, treatment, "理由", confirmation="签报第1号")
    response = call(
        "put", url, {"treatment": treatment, "reason": "理由", "confirmation": "签报第1号"}
    )
    assert response.status_code == 200, response.content
    expected = ApprovalState.PENDING if approval else ApprovalState.NOT_NEEDED
    assert decision.approval == expected and response.json()["approval"] == expected
    if approval:
        # The person who proposes never approves; a 分管领导 of the department does.
        with pytest.raises(Exception, match="批准"):
            do_approve_acceptance(org.rsj_handler, decision, "同意")
        approved = do_approve_acceptance(rsj_leader(org), decision, "同意")
        assert approved.approval == ApprovalState.APPROVED and approved.expires_on
