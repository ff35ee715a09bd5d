"""Issue 8 loopholes 9 and 12: the plan and the consultation cannot be skipped, and the
questionnaires close with the consultation step. Each rule is tried through the action,
the page POST and the API, and each refusal quotes the scheme's rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fengping.api.tokens import do_create_token
from fengping.assessments import actions
from fengping.assessments.models import Assessment, MemberKind
from fengping.core.errors import ActionError
from fengping.matters import actions as matter_actions
from fengping.matters.models import Matter
from fengping.opinions import actions as opinion_actions
from fengping.opinions.models import Questionnaire, QuestionnaireStatus
from tests.dates import YEAR

from .flow import consultation_activity, opinions, register

TOWN_TEAM_QUOTE = "做到公众参与、专家论证和政府决策相结合"
BUREAU_TEAM_QUOTE = "评估工作应邀请相关专家和群众代表参加"
QUERY_QUOTE = "及时回复社会各界和群众的质疑"


@pytest.fixture
def api(client):
    def as_user(user):
        _row, token = do_create_token(user, "t")

        def call(method, path, payload=None, **extra):
            kwargs = {"content_type": "application/json"} if "files" not in extra else {}
            data = extra.pop("files", payload)
            return getattr(client, method)(
                f"/api{path}", data=data, HTTP_AUTHORIZATION=f"Bearer {token}", **kwargs
            )

        return call

    return as_user


def at_plan(org, scheme_key="ssra-town", *, public=True, expert=True, methods="问卷调查、座谈会"):
    """An assessment at its plan step, the plan saved, the team as asked."""
    matter = register(
        org,
        scheme_key=scheme_key,
        category_code="focus_social_security" if scheme_key == "ssra-town" else "major_decision",
    )
    a = actions.do_start_assessment(org.rsj_handler, matter)
    a = actions.do_complete_step(org.rsj_handler, a, "select")
    a = actions.do_save_plan(
        org.rsj_handler,
        a,
        version=None,
        lead_department=org.rsj,
        assisting_departments=[],
        plan_content="评估内容与责任分工",
        plan_methods=methods,
        schedule_start=None,
        schedule_end=None,
    )
    actions.do_add_member(org.rsj_handler, a, kind=MemberKind.STAFF, name="", user=org.rsj_handler)
    if expert:
        actions.do_add_member(org.rsj_handler, a, kind=MemberKind.EXPERT, name="王教授")
    if public:
        actions.do_add_member(org.rsj_handler, a, kind=MemberKind.PUBLIC, name="李代表")
    actions.do_archive_document(
        org.rsj_handler, a, SimpleUploadedFile("方案.txt", "评估方案".encode()), title="评估方案"
    )
    return Assessment.objects.get(pk=a.pk)


def at_consult(org, scheme_key="ssra-town"):
    a = at_plan(org, scheme_key)
    return actions.do_complete_step(org.rsj_handler, a, "plan")


def refused(org, a, step, login, api, *quotes):
    """The step is refused with every quote through the action, the page and the API."""
    with pytest.raises(ActionError) as exc:
        actions.do_complete_step(org.rsj_handler, Assessment.objects.get(pk=a.pk), step)
    for quote in quotes:
        assert quote in exc.value.message, exc.value.message
    page = login(org.rsj_handler).post(
        reverse("assessments:complete_step", args=[a.pk]), {"step": step}, follow=True
    )
    for quote in quotes:
        assert quote in page.content.decode()
    r = api(org.rsj_handler)("post", f"/assessments/{a.pk}/steps/{step}/complete", {"note": ""})
    assert r.status_code == 400
    for quote in quotes:
        assert quote in r.json()["detail"]
    assert Assessment.objects.get(pk=a.pk).current_step == step
    return exc.value.message


# ---------------------------------------------------------------- the plan and the team


def test_team_without_public_representative_is_refused_everywhere(org, login, api):
    a = at_plan(org, public=False)
    message = refused(org, a, "plan", login, api, "群众代表", TOWN_TEAM_QUOTE, "篇3 二(三)")
    assert "特邀专家" not in message  # the expert is there
    # The page and the API say why before anyone tries.
    detail = login(org.rsj_handler).get(reverse("assessments:detail", args=[a.pk]))
    assert TOWN_TEAM_QUOTE in detail.content.decode()
    got = api(org.rsj_handler)("get", f"/assessments/{a.pk}").json()
    assert any(TOWN_TEAM_QUOTE in r for r in got["step_refusals"])
    actions.do_add_member(org.rsj_handler, a, kind=MemberKind.PUBLIC, name="李代表")
    a = actions.do_complete_step(org.rsj_handler, Assessment.objects.get(pk=a.pk), "plan")
    assert a.current_step == "consult"


def test_team_without_expert_is_refused_in_the_bureau_scheme(org, login, api):
    a = at_plan(org, "ssra-bureau", expert=False)
    refused(org, a, "plan", login, api, "特邀专家", BUREAU_TEAM_QUOTE, "篇1 七(三)")


def test_the_last_expert_or_public_representative_stays_once_the_plan_is_done(org, login, api):
    """A determined user completes the plan, then removes the team's only expert and its
    only public representative: refused by the action, the page and the API."""
    a = at_consult(org)
    expert = a.team.get(kind=MemberKind.EXPERT)
    public = a.team.get(kind=MemberKind.PUBLIC)
    with pytest.raises(ActionError, match="特邀专家"):
        actions.do_remove_member(org.rsj_handler, expert)
    page = login(org.rsj_handler).post(
        reverse("assessments:member_remove", args=[public.pk]), follow=True
    )
    assert "群众代表" in page.content.decode() and TOWN_TEAM_QUOTE in page.content.decode()
    r = api(org.rsj_handler)("delete", f"/team-members/{expert.pk}", {})
    assert r.status_code == 400 and TOWN_TEAM_QUOTE in r.json()["detail"], r.json()
    assert a.team.filter(pk__in=[expert.pk, public.pk]).count() == 2
    # A second expert joins: now the first may leave.
    actions.do_add_member(org.rsj_handler, a, kind=MemberKind.EXPERT, name="刘研究员")
    actions.do_remove_member(org.rsj_handler, expert)
    assert not a.team.filter(pk=expert.pk).exists()


def test_plan_must_state_its_methods(org, login, api):
    a = at_plan(org, methods="")
    refused(org, a, "plan", login, api, "评估方法", "明确评估责任、内容、方法等")


# ---------------------------------------------------------------- the consultation


def test_consultation_with_nothing_recorded_is_refused(org, login, api):
    a = at_consult(org)
    refused(org, a, "consult", login, api, "问卷答卷", "征求意见活动")


def test_comments_alone_do_not_satisfy_the_minimum(org, login, api):
    a = at_consult(org)
    opinion_actions.do_add_comment(org.rsj_handler, a.matter, channel="letter", content="支持")
    refused(org, a, "consult", login, api, "问卷答卷", "征求意见活动")


def test_unanswered_query_blocks_the_consultation_step(org, login, api):
    a = at_consult(org)
    opinions(org, a.matter)
    query = opinion_actions.do_add_comment(
        org.rsj_handler, a.matter, channel="letter", content="补偿标准怎么定的？", is_query=True
    )
    refused(org, a, "consult", login, api, "1 条质疑未回复", QUERY_QUOTE, "篇3 六(三)")
    opinion_actions.do_reply_comment(org.rsj_handler, query, reply="按评估价格确定。")
    a = actions.do_complete_step(org.rsj_handler, Assessment.objects.get(pk=a.pk), "consult")
    assert a.current_step == "analyse"


def test_direct_interest_group_must_be_consulted(org, login, api):
    a = at_consult(org)
    consultation_activity(org, a.matter, groups=("周边群众",))
    qn = opinion_actions.do_create_questionnaire(
        org.rsj_handler,
        a.matter,
        title="意见征询",
        closes_at=timezone.now() + dt.timedelta(days=7),
    )
    qn = opinion_actions.do_publish(org.rsj_handler, qn)
    stance = qn.questions.get(is_stance=True)
    opinion_actions.submit_public_response(
        qn, group="周边群众", answers={stance.pk: 0}, browser_key="b1"
    )
    refused(
        org, a, "consult", login, api, "直接利益群体", "广泛征求社会各界特别是利益群体的意见和建议"
    )
    # An activity the group took part in is enough.
    consultation_activity(org, a.matter, groups=("直接利益群体",))
    a = actions.do_complete_step(org.rsj_handler, Assessment.objects.get(pk=a.pk), "consult")
    assert a.current_step == "analyse"


def test_complex_matter_needs_superior_department_opinion(org, login, api):
    a = at_consult(org)
    opinions(org, a.matter)
    r = api(org.rsj_handler)(
        "put",
        f"/matters/{a.matter_id}/flags",
        {"complex_difficult": True, "contested": False},
    )
    assert r.status_code == 200 and r.json()["complex_difficult"] is True
    refused(
        org,
        a,
        "consult",
        login,
        api,
        "重大复杂疑难事项",
        "征求上级主管部门意见",
        "要征求上级主管部门的意见和建议",
    )
    consultation_activity(org, a.matter, kind="superior", groups=())
    a = actions.do_complete_step(org.rsj_handler, Assessment.objects.get(pk=a.pk), "consult")
    assert a.current_step == "analyse"


def test_contested_matter_needs_hearing_or_expert_argument(org, login, api):
    a = at_consult(org)
    opinions(org, a.matter)
    m = a.matter
    matter_actions.do_update_matter(
        org.rsj_handler,
        m,
        version=None,
        title=m.title,
        kind=m.kind,
        description=m.description,
        category_code=m.category_code,
        lead_department=m.lead_department,
        assisting_departments=[],
        deciding_authority=m.deciding_authority,
        planned_decision_date=None,
        confidential=False,
        contested=True,
    )
    refused(org, a, "consult", login, api, "听证会、专家论证", "要组织相关部门和人员进行听证、论证")
    consultation_activity(org, a.matter, kind="expert", groups=())
    a = actions.do_complete_step(org.rsj_handler, Assessment.objects.get(pk=a.pk), "consult")
    assert a.current_step == "analyse"


def test_matter_flags_on_the_form_and_another_department_may_not_set_them(org, login, api):
    client = login(org.rsj_handler)
    matter = register(org)
    page = client.get(reverse("matters:edit", args=[matter.pk])).content.decode()
    assert "重大复杂疑难事项" in page and "争议较大、专业性较强或影响面较广" in page
    r = api(org.zjj_handler)(
        "put", f"/matters/{matter.pk}/flags", {"complex_difficult": True, "contested": True}
    )
    assert r.status_code == 404
    matter.refresh_from_db()
    assert not matter.complex_difficult and not matter.contested


# ---------------------------------------------------------------- questionnaire lifecycle


def test_questionnaires_close_with_the_consultation_step_and_reopen_on_send_back(org, client):
    a = at_consult(org)
    qn = opinions(org, a.matter)
    a = actions.do_complete_step(org.rsj_handler, a, "consult")
    qn.refresh_from_db()
    assert qn.status == QuestionnaireStatus.CLOSED and qn.closed_by_step
    a.matter.refresh_from_db()
    assert a.matter.consultation_finished
    # A public answer after the step: refused, the figures do not move.
    before = qn.responses.count()
    with pytest.raises(opinion_actions.QuestionnaireClosed):
        opinion_actions.submit_public_response(
            Questionnaire.objects.get(pk=qn.pk),
            group=qn.groups[0],
            answers={qn.questions.get(is_stance=True).pk: 4},
            browser_key="late",
        )
    assert client.get(reverse("opinions:public_form", args=[qn.token])).status_code == 410
    assert qn.responses.count() == before
    # No new questionnaire, no publishing, no paper import.
    with pytest.raises(ActionError, match="征求意见步骤已完成"):
        opinion_actions.do_create_questionnaire(
            org.rsj_handler, a.matter, title="补充问卷", closes_at=timezone.now()
        )
    with pytest.raises(ActionError, match="征求意见步骤已完成"):
        opinion_actions.PaperImporter(Questionnaire.objects.get(pk=qn.pk)).authorize(
            org.rsj_handler
        )
    # A send-back to the consultation step reopens it.
    a = actions.do_send_back(org.rsj_handler, a, "consult", "须补充征求直接利益群体意见")
    qn.refresh_from_db()
    assert qn.status == QuestionnaireStatus.PUBLISHED and not qn.closed_by_step
    opinion_actions.submit_public_response(
        Questionnaire.objects.get(pk=qn.pk),
        group=qn.groups[0],
        answers={qn.questions.get(is_stance=True).pk: 4},
        browser_key="late",
    )
    assert qn.responses.count() == before + 1


def test_publishing_a_draft_after_the_step_is_refused_through_the_api(org, api):
    a = at_consult(org)
    call = api(org.rsj_handler)
    r = call(
        "post",
        f"/matters/{a.matter_id}/questionnaires",
        {"title": "草稿问卷", "closes_at": (timezone.now() + dt.timedelta(days=3)).isoformat()},
    )
    assert r.status_code == 201, r.json()
    draft = r.json()["id"]
    opinions(org, a.matter)
    actions.do_complete_step(org.rsj_handler, a, "consult")
    r = call("post", f"/questionnaires/{draft}/publish", {})
    assert r.status_code == 400 and "征求意见步骤已完成" in r.json()["detail"]


def test_public_index_lists_only_open_consultations(org, client):
    a = at_consult(org)
    matter_actions.do_set_consultation(
        org.rsj_handler,
        a.matter,
        open=True,
        summary="养老金调整公开征求意见",
        channels="",
        until=None,
    )
    opinions(org, a.matter)
    assert a.matter.title in client.get(reverse("opinions:public")).content.decode()
    actions.do_complete_step(org.rsj_handler, a, "consult")
    page = client.get(reverse("opinions:public")).content.decode()
    assert a.matter.title not in page


# ---------------------------------------------------------------- breadcrumbs


def test_opinion_pages_lead_back_to_the_assessment(org, login):
    a = at_consult(org)
    client = login(org.rsj_handler)
    back = reverse("assessments:detail", args=[a.pk])
    for name in ("opinions:matter", "opinions:activities", "opinions:comments"):
        page = client.get(reverse(name, args=[a.matter_id])).content.decode()
        assert f'href="{back}?tab=consult"' in page, name
        assert reverse("matters:detail", args=[a.matter_id]) in page
    tab = client.get(back + "?tab=consult").content.decode()
    for name in ("opinions:matter", "opinions:activities", "opinions:comments"):
        assert reverse(name, args=[a.matter_id]) in tab
    form = client.get(reverse("opinions:activity_create", args=[a.matter_id])).content.decode()
    assert f"{back}?tab=consult" in form


def test_deciding_without_assessment_closes_the_questionnaires(org):
    matter = register(org)
    qn = opinions(org, matter, activity=False)
    matter = Matter.objects.get(pk=matter.pk)
    matter.must_assess = False
    matter.save(update_fields=["must_assess"])
    actions.do_decide_without_assessment(
        org.rsj_handler,
        matter,
        outcome="implement",
        doc_no=f"示政发〔{YEAR}〕3号",
        decided_on=timezone.localdate(),
        authority="市政府",
    )
    qn.refresh_from_db()
    assert qn.status == QuestionnaireStatus.CLOSED
    with pytest.raises(opinion_actions.QuestionnaireClosed):
        opinion_actions.submit_public_response(
            Questionnaire.objects.get(pk=qn.pk),
            group=qn.groups[0],
            answers={qn.questions.get(is_stance=True).pk: 4},
            browser_key="after-decision",
        )


def test_public_index_hides_a_consultation_past_its_closing_day(org, client):
    matter = register(org)
    matter_actions.do_set_consultation(
        org.rsj_handler,
        matter,
        open=True,
        summary="公开征求意见",
        channels="",
        until=timezone.localdate() - dt.timedelta(days=1),
    )
    assert matter.title not in client.get(reverse("opinions:public")).content.decode()


def test_activity_page_records_the_groups_that_took_part(org, login):
    a = at_consult(org)
    client = login(org.rsj_handler)
    url = reverse("opinions:activity_create", args=[a.matter_id])
    r = client.post(
        url,
        {
            "kind": "symposium",
            "date": timezone.localdate().isoformat(),
            "participant_count": 9,
            "groups": ["直接利益群体"],
        },
    )
    assert r.status_code == 302
    activity = a.matter.opinion_activities.get()
    assert activity.groups == ["直接利益群体"]
    assert "直接利益群体" in client.get(r["Location"]).content.decode()
