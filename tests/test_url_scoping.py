"""Every page and API endpoint that names an object: an outsider (another department)
gets 404, a member who may read but not change gets 403 on changing pages, the owner
may proceed. A URL added without a row here fails `test_every_object_url_is_covered`."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from fengping.api.tokens import do_create_token
from fengping.org import actions
from fengping.org.models import LeaderPosition, Membership


@pytest.fixture
def objects(org):
    group = actions.do_save_leadership_group(
        org.admin, org.rsj, name="人社局领导小组", office=org.rsj_unit
    )
    leader = actions.do_add_leader(
        org.admin, group, org.rsj_head, LeaderPosition.HEAD, title="局长"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fengping.matters.actions import do_add_document, do_register_matter

    matter = do_register_matter(
        org.rsj_handler,
        title="企业退休人员养老金调整",
        scheme_key="ssra-town",
        category_code="focus_social_security",
        department=org.rsj,
    )
    document = do_add_document(
        org.rsj_handler, matter, SimpleUploadedFile("a.txt", "说明".encode())
    )
    from fengping.assessments.actions import do_start_assessment

    assessment = do_start_assessment(org.rsj_handler, matter)
    return {
        "matter": matter.pk,
        "matter_document": document.pk,
        "assessment": assessment.pk,
        **assessment_objects(org, assessment),
        **opinion_objects(org, matter),
        "department": org.rsj.pk,
        "user": org.rsj_handler.pk,
        "membership": Membership.objects.get(user=org.rsj_handler).pk,
        "leadership_group": group.pk,
        "leader": leader.pk,
    }


def assessment_objects(org, assessment):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fengping.assessments import actions as assessments

    member = assessments.do_add_member(org.rsj_handler, assessment, kind="expert", name="王教授")
    factor = assessments.do_save_factor(
        org.rsj_handler, assessment, dimension="legality", title="标准争议"
    )
    doc = assessments.do_archive_document(
        org.rsj_handler, assessment, SimpleUploadedFile("方案.txt", "方案".encode()), title="方案"
    )
    measure = assessments.do_add_measure(
        org.rsj_handler, assessment, kind="response", title="分批兑现", owner="养老保险科"
    )
    return {
        "assessment_member": member.pk,
        "risk_factor": factor.pk,
        "archive_document": doc.pk,
        "follow_up_measure": measure.pk,
        "assessment_review": assessment.pk,
    }


def opinion_objects(org, matter):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from fengping.opinions import actions as opinions
    from tests.opinions.conftest import build_questionnaire

    qn = build_questionnaire(org, matter)
    activity = opinions.do_record_activity(
        org.rsj_handler,
        matter,
        kind="hearing",
        date=timezone.localdate(),
        uploads=[SimpleUploadedFile("纪要.txt", "纪要".encode())],
    )
    comment = opinions.do_add_comment(
        org.rsj_handler, matter, channel="letter", content="质疑", is_query=True
    )
    return {
        "questionnaire": qn.pk,
        "question": qn.questions.first().pk,
        "opinion_activity": activity.pk,
        "opinion_attachment": activity.attachments.get().pk,
        "opinion_comment": comment.pk,
    }


# url name -> (object kind, is a changing page)
OBJECT_URLS = {
    "org:department": ("department", False),
    "org:department_edit": ("department", True),
    "org:department_delete": ("department", True),
    "org:leadership_edit": ("department", True),
    "org:leader_add": ("leadership_group", True),
    "org:leader_remove": ("leader", True),
    "org:user": ("user", False),
    "org:user_edit": ("user", True),
    "org:user_password": ("user", True),
    "org:membership_add": ("user", True),
    "org:membership_remove": ("membership", True),
    "matters:detail": ("matter", False),
    "matters:edit": ("matter", True),
    "matters:designate": ("matter", True),
    "matters:consultation": ("matter", True),
    "matters:plan_filing": ("matter", True),
    "matters:document_add": ("matter", True),
    "matters:document": ("matter_document", False),
    "matters:document_remove": ("matter_document", True),
    "assessments:matter_decide": ("matter", True),
    "assessments:start": ("matter", True),
    "assessments:detail": ("assessment", False),
    "assessments:complete_step": ("assessment", True),
    "assessments:send_back": ("assessment", True),
    "assessments:plan": ("assessment", True),
    "assessments:member_add": ("assessment", True),
    "assessments:member_remove": ("assessment_member", True),
    "assessments:archive_add": ("assessment", True),
    "assessments:archive_document": ("archive_document", False),
    "assessments:factor_add": ("assessment", True),
    "assessments:factor_edit": ("risk_factor", True),
    "assessments:factor_remove": ("risk_factor", True),
    "assessments:factor_score": ("risk_factor", True),
    "assessments:mitigation_add": ("risk_factor", True),
    "assessments:checklist_answer": ("assessment", True),
    "assessments:grade": ("assessment", True),
    "assessments:condition_confirm": ("assessment", True),
    "assessments:review": ("assessment_review", True),
    "assessments:decide": ("assessment", True),
    "assessments:file": ("assessment", True),
    "assessments:measure_add": ("assessment", True),
    "assessments:measure_update": ("follow_up_measure", True),
    "assessments:incident_add": ("assessment", True),
    "assessments:finish": ("assessment", True),
    "reports:generate": ("assessment", True),
    "reports:docx": ("assessment", False),
    "reports:print": ("assessment", False),
    "reports:archive_zip": ("assessment", False),
    "opinions:matter": ("matter", False),
    "opinions:questionnaire_create": ("matter", True),
    "opinions:activities": ("matter", False),
    "opinions:activities_export": ("matter", False),
    "opinions:activity_create": ("matter", True),
    "opinions:comments": ("matter", False),
    "opinions:comments_export": ("matter", False),
    "opinions:comment_create": ("matter", True),
    "opinions:questionnaire": ("questionnaire", False),
    "opinions:questionnaire_edit": ("questionnaire", True),
    "opinions:questionnaire_publish": ("questionnaire", True),
    "opinions:questionnaire_close": ("questionnaire", True),
    "opinions:question_add": ("questionnaire", True),
    "opinions:responses": ("questionnaire", False),
    "opinions:responses_export": ("questionnaire", False),
    "opinions:import": ("questionnaire", True),
    "opinions:import_template": ("questionnaire", False),
    "opinions:question_edit": ("question", True),
    "opinions:question_delete": ("question", True),
    "opinions:activity": ("opinion_activity", False),
    "opinions:attachment_add": ("opinion_activity", True),
    "opinions:attachment": ("opinion_attachment", False),
    "opinions:comment_reply": ("opinion_comment", True),
    "opinions:comment_revision": ("opinion_comment", True),
}
# Who may read but not change each kind of object: organisation data is changed by
# administrators only; a matter by the work roles of its department, so only the
# supervisor (督查) is a pure reader there.
READERS = {
    "department": ("supervisor", "rsj_head"),
    "user": ("supervisor", "rsj_head"),
    "membership": ("supervisor", "rsj_head"),
    "leadership_group": ("supervisor", "rsj_head"),
    "leader": ("supervisor", "rsj_head"),
    "matter": ("supervisor",),
    "matter_document": ("supervisor",),
    "assessment": ("supervisor",),
    "assessment_member": ("supervisor",),
    "risk_factor": ("supervisor",),
    "archive_document": ("supervisor",),
    "follow_up_measure": ("supervisor",),
    # Supervisors (督查) may review a report: the review action decides by role and step,
    # so no persona is a pure reader of the review URL.
    "assessment_review": (),
    "questionnaire": ("supervisor",),
    "question": ("supervisor",),
    "opinion_activity": ("supervisor",),
    "opinion_attachment": ("supervisor",),
    "opinion_comment": ("supervisor",),
}
# Object URLs that are not department-scoped: the audit event (checked in tests/audit)
# and a user's own API tokens (checked in tests/core/test_pages.py).
OTHER_OBJECT_URLS = {
    "audit:event",
    "token_revoke",
    # Schemes are organisation-wide reference data, readable by every logged-in user;
    # changing them is for administrators (tests/schemebook).
    "schemebook:scheme",
    "schemebook:download",
    "schemebook:set_active",
    # Scoped like the other report URLs, but answers 503 without LibreOffice on the
    # server, so its reader test lives in tests/reports (404 for outsiders there too).
    "reports:pdf",
    # Public questionnaire links: the unguessable token is the access (tests/opinions/test_public.py).
    "opinions:public_form",
    "opinions:public_thanks",
}


def named_routes(patterns, ns=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith("api/"):
                continue
            yield from named_routes(p.url_patterns, f"{p.namespace}:" if p.namespace else ns)
        elif isinstance(p, URLPattern) and p.pattern.converters:
            yield ns + p.name


def test_every_object_url_is_covered():
    found = set(named_routes(get_resolver().url_patterns))
    assert found == set(OBJECT_URLS) | OTHER_OBJECT_URLS


@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
def test_outsider_gets_404(name, org, objects, login):
    kind, _ = OBJECT_URLS[name]
    client = login(org.zjj_handler)
    url = reverse(name, args=[objects[kind]])
    assert client.get(url).status_code in (404, 405)
    assert client.post(url, {}).status_code == 404


@pytest.mark.parametrize("name", sorted(n for n, (_, changing) in OBJECT_URLS.items() if changing))
def test_reader_gets_403_on_changing_pages(name, org, objects, login):
    kind, _ = OBJECT_URLS[name]
    for reader in (getattr(org, persona) for persona in READERS[kind]):
        client = login(reader)
        url = reverse(name, args=[objects[kind]])
        assert client.post(url, {}).status_code == 403, (reader, url)


@pytest.mark.parametrize(
    "name", sorted(n for n, (_, changing) in OBJECT_URLS.items() if not changing)
)
def test_member_reads(name, org, objects, login):
    kind, _ = OBJECT_URLS[name]
    assert login(org.rsj_head).get(reverse(name, args=[objects[kind]])).status_code == 200
    assert login(org.supervisor).get(reverse(name, args=[objects[kind]])).status_code == 200


@pytest.mark.parametrize("name", sorted(n for n, (_, changing) in OBJECT_URLS.items() if changing))
def test_admin_may_open_changing_pages(name, org, objects, login):
    kind, _ = OBJECT_URLS[name]
    client = login(org.admin)
    response = client.get(reverse(name, args=[objects[kind]]))
    assert response.status_code in (200, 405)


# (method, path, a valid payload): valid, so the answer is about access, not the input.
API_OBJECT_ENDPOINTS = [
    ("get", "/api/departments/{department}", None),
    ("patch", "/api/departments/{department}", {"version": 1}),
    ("get", "/api/users/{user}", None),
    ("get", "/api/matters/{matter}", None),
    ("post", "/api/matters/{matter}/designate", {"body": "party_group", "note": "会议纪要"}),
    (
        "post",
        "/api/matters/{matter}/decision",
        {"outcome": "reject", "doc_no": "示政发〔2026〕3号", "decided_on": "2026-01-05"},
    ),
    ("get", "/api/matters/{matter}/questionnaires", None),
    ("get", "/api/matters/{matter}/opinion-summary", None),
    ("get", "/api/matters/{matter}/comments", None),
    ("post", "/api/matters/{matter}/comments", {"channel": "letter", "content": "意见"}),
    ("post", "/api/comments/{opinion_comment}/reply", {"reply": "答复"}),
    ("get", "/api/assessments/{assessment}", None),
    ("post", "/api/assessments/{assessment}/steps/select/complete", {"note": ""}),
    ("post", "/api/assessments/{assessment}/factors", {"dimension": "legality", "title": "争议"}),
    ("put", "/api/factors/{risk_factor}", {"dimension": "legality", "title": "争议"}),
    (
        "post",
        "/api/factors/{risk_factor}/scores",
        {"probability_level": "high", "impact_level": "major"},
    ),
    (
        "post",
        "/api/assessments/{assessment}/checklist",
        {"dimension": "legality", "item_no": 0, "answer": "meets"},
    ),
    ("post", "/api/assessments/{assessment}/grade", {"written_opinion": "同意"}),
    (
        "post",
        "/api/assessments/{assessment}/reviews",
        {"stage": "review", "result": "approved", "opinion": "同意"},
    ),
    (
        "post",
        "/api/assessments/{assessment}/decision",
        {"outcome": "reject", "doc_no": "株政发〔2026〕1号", "decided_on": "2026-01-05"},
    ),
    ("post", "/api/assessments/{assessment}/filings", {"office_id": 1, "filed_on": "2026-01-06"}),
    (
        "post",
        "/api/assessments/{assessment}/measures",
        {"kind": "response", "title": "措施", "owner": "科室"},
    ),
    (
        "post",
        "/api/assessments/{assessment}/incidents",
        {"occurred_on": "2026-01-06", "description": "聚集", "action": "handle"},
    ),
]


@pytest.mark.parametrize("method,path,payload", API_OBJECT_ENDPOINTS)
def test_api_outsider_gets_404(method, path, payload, org, objects, client):
    _row, token = do_create_token(org.zjj_handler, "t")
    url = path.format(**objects)
    response = getattr(client, method)(
        url, data=payload, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "对象不存在或无权访问"


def test_api_reader_gets_403_on_change(org, objects, client):
    _row, token = do_create_token(org.supervisor, "t")
    response = client.patch(
        f"/api/departments/{objects['department']}",
        data={"version": 1, "name": "改名"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 403
    assert "权限" in response.json()["detail"]


def test_api_lists_are_scoped(org, client):
    _row, token = do_create_token(org.zjj_handler, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    codes = [d["code"] for d in client.get("/api/departments", **auth).json()["items"]]
    assert codes == ["ZJJ"]
    users = [u["username"] for u in client.get("/api/users", **auth).json()["items"]]
    assert users == ["zjj_handler"]
