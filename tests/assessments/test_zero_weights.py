"""Every factor weighted 0 leaves Σ wᵢ·Pᵢ·Iᵢ / Σ wᵢ undefined: refused with a message on
the grade tab, the grade page and the API — never a 500 for data a form accepted."""

import pytest

from fengping.api.tokens import do_create_token
from fengping.assessments import actions
from fengping.core.errors import ActionError

from .flow import to_grade_step


@pytest.fixture
def unweighted(org):
    return to_grade_step(org, factors=((0, "very_high", "severe"), (0, "low", "minor")))


def test_the_action_refuses_with_a_message(org, unweighted):
    with pytest.raises(ActionError, match="权重均为 0"):
        actions.compute_grade(unweighted)
    with pytest.raises(ActionError, match="权重均为 0"):
        actions.do_grade(
            org.rsj_handler, unweighted, written_opinion="同意", recommendation="可以实施"
        )


def test_pages_show_the_message_instead_of_failing(org, unweighted, login):
    client = login(org.rsj_handler)
    for url in (f"/assessments/{unweighted.pk}/?tab=grade", f"/assessments/{unweighted.pk}/grade/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "权重均为 0" in response.content.decode(), url
    posted = client.post(
        f"/assessments/{unweighted.pk}/grade/",
        {"grade": "", "reason": "", "written_opinion": "同意", "recommendation": "可以实施"},
    )
    assert posted.status_code in (200, 302)
    assert unweighted.__class__.objects.get(pk=unweighted.pk).grade == ""


def test_the_api_refuses_with_400(org, unweighted, client):
    _, token = do_create_token(org.rsj_handler, "t")
    response = client.post(
        f"/api/assessments/{unweighted.pk}/grade",
        {"written_opinion": "同意", "recommendation": "可以实施"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400 and "权重均为 0" in response.json()["detail"]
