"""The factor page's mitigation and removal, through the API."""

from fengping.api.tokens import do_create_token
from fengping.assessments.models import Mitigation, RiskFactor
from tests.assessments.flow import to_grade_step


def test_mitigation_lowers_the_residual_and_a_factor_can_be_removed(org, client):
    a = to_grade_step(org)
    factor = a.factors.get()
    _row, token = do_create_token(org.rsj_handler, "test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/factors/{factor.pk}/mitigations"
    bad = client.post(
        url,
        {
            "measure": "分批兑现",
            "residual_probability_level": "nope",
            "residual_impact_level": "minor",
        },
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 400 and bad.json()["field"] == "residual_probability_level"
    response = client.post(
        url,
        {
            "measure": "分批兑现",
            "owner": "养老保险科",
            "residual_probability_level": "low",
            "residual_impact_level": "minor",
        },
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["residual_score"] is not None and body["residual_score"] < body["score"]
    assert Mitigation.objects.get(factor=factor).owner == "养老保险科"
    reader = {"HTTP_AUTHORIZATION": f"Bearer {do_create_token(org.supervisor, 't')[1]}"}
    assert client.delete(f"/api/factors/{factor.pk}", **reader).status_code == 403
    assert client.delete(f"/api/factors/{factor.pk}", **auth).status_code == 204
    assert not RiskFactor.objects.filter(pk=factor.pk).exists()
