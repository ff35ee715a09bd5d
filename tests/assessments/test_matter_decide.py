"""A matter outside the must-assess categories may be decided without an assessment; a
must-assess one is refused on the page with the rule (篇3 六(一) 严禁漏项)."""

from django.utils import timezone

from fengping.assessments.models import Decision
from fengping.matters.models import Matter
from tests.dates import YEAR

from .flow import register


def test_must_assess_matter_refused_on_the_page(org, login):
    matter = register(org)
    client = login(org.rsj_handler)
    assert "严禁漏项" in client.get(f"/assessments/matters/{matter.pk}/decide/").content.decode()
    data = {
        "outcome": "implement",
        "doc_no": f"示政发〔{YEAR}〕3号",
        "decided_on": timezone.localdate().isoformat(),
        "authority": "市政府",
    }
    response = client.post(f"/assessments/matters/{matter.pk}/decide/", data)
    assert "严禁漏项" in response.content.decode() and not Decision.objects.exists()


def test_other_matter_decided_without_assessment(org, login):
    matter = register(org)
    Matter.objects.filter(pk=matter.pk).update(must_assess=False)
    client = login(org.rsj_handler)
    assert "不经评估登记决定" in client.get(f"/matters/{matter.pk}/").content.decode()
    data = {
        "outcome": "implement",
        "doc_no": "示政发(2026)3号",
        "decided_on": timezone.localdate().isoformat(),
        "authority": "市政府",
    }
    response = client.post(f"/assessments/matters/{matter.pk}/decide/", data)
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert decision.doc_no == f"示政发〔{YEAR}〕3号" and decision.assessment is None
    assert Matter.objects.get().status == "decided"


def test_api_refuses_must_assess_matter(org, client):
    from fengping.api.tokens import do_create_token

    matter = register(org)
    _row, token = do_create_token(org.rsj_handler, "t")
    payload = {
        "outcome": "implement",
        "doc_no": f"示政发〔{YEAR}〕3号",
        "decided_on": timezone.localdate().isoformat(),
    }
    response = client.post(
        f"/api/matters/{matter.pk}/decision",
        payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400 and "严禁漏项" in response.json()["detail"]
    Matter.objects.filter(pk=matter.pk).update(must_assess=False)
    response = client.post(
        f"/api/matters/{matter.pk}/decision",
        payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201 and response.json()["doc_no"] == f"示政发〔{YEAR}〕3号"
