"""The administrators' survey of 2.2: a questionnaire of the system (opinions), answered on
its public link, whose mean answers become each threat's survey proposal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from fengping.core.errors import ActionError
from fengping.infosec.actions import threats
from fengping.infosec.models import AssessmentStatus, SystemAssessment, ThreatRating
from fengping.opinions import actions as opinion_actions
from fengping.opinions.models import Questionnaire, QuestionnaireStatus

from .builders import add_assets, make_system, start


@pytest.fixture
def assessment(org):
    system = make_system(org)
    add_assets(system, 1)
    a = start(org, system)
    threats.do_add_threat(org.rsj_handler, a, threat_class="malicious_code", frequency=3)
    threats.do_add_threat(org.rsj_handler, a, threat_class="hw_sw_failure", frequency=2)
    return a


def _answer(qn, scores, group="系统管理员"):
    """Answer on the public link in a fresh browser: scores by threat class."""
    client = Client()
    url = reverse("opinions:public_form", args=[qn.token])
    page = client.get(url)
    assert page.status_code == 200
    data = {"group": group}
    for q in qn.questions.all():
        data[f"q{q.pk}"] = str(scores[q.key])
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"])


def test_survey_is_published_for_the_system_with_scale_labels(org, assessment):
    qn = threats.do_create_threat_survey(org.rsj_handler, assessment)
    assert qn.system_id == assessment.system_id and qn.matter_id is None
    assert qn.department_id == assessment.system.department_id
    assert qn.status == QuestionnaireStatus.PUBLISHED and qn.groups == ["网络管理员", "系统管理员"]
    qs = list(qn.questions.all())
    assert [q.key for q in qs] == ["hw_sw_failure", "malicious_code"]  # catalogue order
    assert qs[0].kind == "scale" and qs[0].choices == ["很低", "低", "中等", "高", "很高"]
    assert "该类威胁在本系统发生的可能性及发展趋势" in qs[0].text
    page = Client().get(reverse("opinions:public_form", args=[qn.token])).content.decode()
    assert "很高" in page and "很不满意" not in page and assessment.system.name in page
    with pytest.raises(ActionError, match="尚未结束"):
        threats.do_create_threat_survey(org.rsj_handler, assessment)


def test_answers_set_the_survey_proposal(org, assessment):
    qn = threats.do_create_threat_survey(org.rsj_handler, assessment)
    thanks = _answer(qn, {"malicious_code": 4, "hw_sw_failure": 2})
    assert "信息安全风险评估" in thanks.content.decode()
    _answer(qn, {"malicious_code": 5, "hw_sw_failure": 2}, group="网络管理员")
    assert threats.do_refresh_proposals(org.rsj_handler, assessment) == 2
    t = ThreatRating.objects.get(assessment=assessment, threat_class="malicious_code")
    assert t.survey_proposal == Decimal("4.50")
    # 4.5 rounds half up to 5: a frequency of 3 is two levels off and needs a reason
    with pytest.raises(ActionError, match="管理员调查"):
        threats.do_update_threat(org.rsj_handler, t, version=t.version, frequency=3)
    # a closed survey lets a new one start
    opinion_actions.do_close(org.rsj_handler, Questionnaire.objects.get(pk=qn.pk))
    again = threats.do_create_threat_survey(org.rsj_handler, assessment)
    assert again.pk != qn.pk


def test_survey_pages_of_a_system_questionnaire(org, assessment, login):
    qn = threats.do_create_threat_survey(org.rsj_handler, assessment)
    _answer(qn, {"malicious_code": 3, "hw_sw_failure": 1})
    c = login(org.rsj_handler)
    for name in ("opinions:questionnaire", "opinions:responses", "opinions:import"):
        page = c.get(reverse(name, args=[qn.pk]))
        assert page.status_code == 200, name
        body = page.content.decode()
        assert reverse("infosec:system", args=[assessment.system_id]) in body, name
    assert (
        login(org.zjj_handler).get(reverse("opinions:questionnaire", args=[qn.pk])).status_code
        == 404
    )
    assert (
        login(org.supervisor).get(reverse("opinions:questionnaire", args=[qn.pk])).status_code
        == 200
    )
    c = login(org.rsj_handler)
    api = c.get(f"/api/questionnaires/{qn.pk}")
    assert api.status_code == 200 and api.json()["response_count"] == 1
    assert (api.json()["system_id"], api.json()["matter_id"]) == (assessment.system_id, None)
    tab = c.get(reverse("infosec:assessment_threats", args=[assessment.pk])).content.decode()
    assert reverse("opinions:public_form", args=[qn.token]) in tab


def test_survey_refusals(org, assessment):
    with pytest.raises(PermissionDenied):
        threats.do_create_threat_survey(org.supervisor, assessment)
    empty = start(org, make_system(org, "HR", name="人事系统"))
    with pytest.raises(ActionError, match="先添加威胁"):
        threats.do_create_threat_survey(org.rsj_handler, empty)
    SystemAssessment.objects.filter(pk=assessment.pk).update(status=AssessmentStatus.FINISHED)
    with pytest.raises(ActionError, match="已办结"):
        threats.do_create_threat_survey(org.rsj_handler, assessment)


def test_a_questionnaire_has_exactly_one_owner(org, assessment):
    with pytest.raises(ActionError, match="一个评估事项或一个信息系统"):
        opinion_actions.do_create_questionnaire(org.rsj_handler, None, title="x")
