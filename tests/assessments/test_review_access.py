"""Who may review is decided before the review's state: a handler of the department
learns nothing about which stage is pending (403, not a conflict naming the stage)."""

import pytest
from django.core.exceptions import PermissionDenied

from fengping.assessments import actions

from .flow import to_decide_step, to_grade_step


@pytest.mark.parametrize("stage", ["review", "approve", "no-such-stage"])
def test_a_handler_is_refused_as_reviewer_whatever_the_stage(org, stage):
    a = to_decide_step(org, to_grade_step(org))
    with pytest.raises(PermissionDenied):
        actions.do_review(org.rsj_handler, a, stage=stage, result="approved", opinion="同意")


def test_a_leader_naming_the_wrong_stage_gets_the_conflict(org):
    a = to_decide_step(org, to_grade_step(org))
    with pytest.raises(actions.ConflictError, match="当前应由"):
        actions.do_review(org.rsj_head, a, stage="approve", result="approved", opinion="同意")
