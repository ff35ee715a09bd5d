"""API twins of the 征求意见 pages: questionnaires (create, publish, close, results) and
activities (record, list, attachments), with the same actions and scoping as the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fengping.api.tokens import do_create_token
from fengping.opinions import actions
from fengping.opinions.models import Activity, Questionnaire
from tests.assessments.flow import register


@pytest.fixture
def api(client):
    def as_user(user):
        _row, token = do_create_token(user, "t")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

        def call(method, path, payload=None):
            return getattr(client, method)(
                f"/api{path}", data=payload, content_type="application/json", **auth
            )

        def upload(path, files):
            return client.post(f"/api{path}", data=files, **auth)

        call.upload = upload
        return call

    return as_user


def test_questionnaire_create_publish_answer_results_close(org, api):
    matter = register(org)
    call = api(org.rsj_handler)
    closes = (timezone.now() + dt.timedelta(days=5)).isoformat()
    r = call(
        "post",
        f"/matters/{matter.pk}/questionnaires",
        {"title": "养老金调整意见征询", "closes_at": closes, "groups": ["直接利益群体", "企业"]},
    )
    assert r.status_code == 201, r.json()
    qn = r.json()
    assert qn["status"] == "draft" and qn["question_count"] == 1 and qn["groups"][1] == "企业"
    r = call("post", f"/questionnaires/{qn['id']}/publish", {"version": qn["version"]})
    assert r.status_code == 200 and r.json()["status"] == "published" and r.json()["is_accepting"]
    # Publishing twice: refused with the action's message.
    r = call("post", f"/questionnaires/{qn['id']}/publish", {})
    assert r.status_code == 400 and "草稿" in r.json()["detail"]
    row = Questionnaire.objects.get(pk=qn["id"])
    stance = row.questions.get(is_stance=True)
    for n, choice in enumerate((0, 0, 4)):
        actions.submit_public_response(
            Questionnaire.objects.get(pk=row.pk),
            group="直接利益群体",
            answers={stance.pk: choice},
            browser_key=f"b{n}",
        )
    r = call("get", f"/questionnaires/{qn['id']}/results")
    assert r.status_code == 200
    results = r.json()
    assert results["responses"] == 3 and results["questionnaire"]["response_count"] == 3
    first = results["questions"][0]
    assert first["is_stance"] and first["answered"] == 3
    rows = {row["label"]: row["count"] for row in first["rows"]}
    assert rows["支持"] == 2 and rows["反对"] == 1
    r = call("post", f"/questionnaires/{qn['id']}/close", {})
    assert r.status_code == 200 and r.json()["status"] == "closed"


def test_questionnaire_api_is_scoped(org, api):
    matter = register(org)
    qn = actions.do_create_questionnaire(org.rsj_handler, matter, title="问卷")
    outsider = api(org.zjj_handler)
    assert (
        outsider("post", f"/matters/{matter.pk}/questionnaires", {"title": "x"}).status_code == 404
    )
    assert outsider("get", f"/questionnaires/{qn.pk}/results").status_code == 404
    assert outsider("post", f"/questionnaires/{qn.pk}/publish", {}).status_code == 404
    reader = api(org.supervisor)
    assert reader("get", f"/questionnaires/{qn.pk}/results").status_code == 200
    assert reader("post", f"/questionnaires/{qn.pk}/publish", {}).status_code == 403


def test_confidential_matter_questionnaire_cannot_be_published_by_api(org, api):
    matter = register(org)
    matter.confidential = True
    matter.save(update_fields=["confidential"])
    call = api(org.rsj_handler)
    closes = (timezone.now() + dt.timedelta(days=5)).isoformat()
    r = call("post", f"/matters/{matter.pk}/questionnaires", {"title": "问卷", "closes_at": closes})
    r = call("post", f"/questionnaires/{r.json()['id']}/publish", {})
    assert r.status_code == 400 and "篇3 二(四)" in r.json()["detail"]


def test_activity_record_list_and_attachments(org, api):
    matter = register(org)
    call = api(org.rsj_handler)
    r = call(
        "post",
        f"/matters/{matter.pk}/activities",
        {
            "kind": "hearing",
            "date": timezone.localdate().isoformat(),
            "place": "社区活动中心",
            "participant_count": 40,
            "groups": ["直接利益群体", " 直接利益群体 ", ""],
            "minutes": "多数要求提高补偿标准",
        },
    )
    assert r.status_code == 201, r.json()
    activity = r.json()
    assert activity["kind_label"] == "听证会" and activity["groups"] == ["直接利益群体"]
    # A future date: refused with the action's message.
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    r = call("post", f"/matters/{matter.pk}/activities", {"kind": "visit", "date": tomorrow})
    assert r.status_code == 400 and "不能晚于今天" in r.json()["detail"]
    r = call("get", f"/matters/{matter.pk}/activities")
    assert r.status_code == 200 and [a["id"] for a in r.json()["items"]] == [activity["id"]]
    r = call.upload(
        f"/activities/{activity['id']}/attachments",
        {"upload": SimpleUploadedFile("纪要.txt", "听证纪要".encode())},
    )
    assert r.status_code == 201, r.json()
    assert r.json()["name"] == "纪要.txt"
    r = call("get", f"/activities/{activity['id']}/attachments")
    assert [a["name"] for a in r.json()] == ["纪要.txt"]
    assert Activity.objects.get(pk=activity["id"]).attachments.count() == 1
    # Another department: 404; a supervisor reads but may not add.
    assert api(org.zjj_handler)("get", f"/activities/{activity['id']}").status_code == 404
    reader = api(org.supervisor)
    assert reader("get", f"/activities/{activity['id']}").status_code == 200
    r = reader.upload(
        f"/activities/{activity['id']}/attachments",
        {"upload": SimpleUploadedFile("x.txt", b"x")},
    )
    assert r.status_code == 403


def test_draft_questionnaire_is_edited_and_its_questions_managed(org, api):
    matter = register(org)
    call = api(org.rsj_handler)
    qn = call("post", f"/matters/{matter.pk}/questionnaires", {"title": "草稿问卷"}).json()
    r = call(
        "put",
        f"/questionnaires/{qn['id']}",
        {"version": qn["version"], "title": "养老金调整意见征询", "groups": ["直接利益群体"]},
    )
    assert r.status_code == 200 and r.json()["title"] == "养老金调整意见征询"
    stale = call(
        "put",
        f"/questionnaires/{qn['id']}",
        {"version": qn["version"], "title": "又改", "groups": ["企业"]},
    )
    assert stale.status_code == 409
    r = call(
        "post",
        f"/questionnaires/{qn['id']}/questions",
        {"kind": "single", "text": "您最关心哪一项？", "choices": ["标准", "时间"]},
    )
    assert r.status_code == 201, r.json()
    question = r.json()
    assert question["choices"] == ["标准", "时间"] and not question["is_stance"]
    bad = call(
        "post", f"/questionnaires/{qn['id']}/questions", {"kind": "single", "text": "无选项"}
    )
    assert bad.status_code == 400
    r = call(
        "put",
        f"/questions/{question['id']}",
        {"version": question["version"], "kind": "text", "text": "您的意见和建议"},
    )
    assert r.status_code == 200 and r.json()["kind"] == "text"
    texts = [q["text"] for q in call("get", f"/questionnaires/{qn['id']}/questions").json()]
    assert "您的意见和建议" in texts
    assert call("delete", f"/questions/{question['id']}").status_code == 204
    closes = (timezone.now() + dt.timedelta(days=5)).isoformat()
    r = call(
        "put",
        f"/questionnaires/{qn['id']}",
        {
            "version": Questionnaire.objects.get(pk=qn["id"]).version,
            "title": "养老金调整意见征询",
            "groups": ["直接利益群体"],
            "closes_at": closes,
        },
    )
    assert r.status_code == 200, r.json()
    r = call("post", f"/questionnaires/{qn['id']}/publish", {})
    assert r.status_code == 200, r.json()
    # Published: the questions are fixed.
    stance = Questionnaire.objects.get(pk=qn["id"]).questions.get(is_stance=True)
    r = call(
        "put",
        f"/questions/{stance.pk}",
        {"version": stance.version, "kind": "text", "text": "改题"},
    )
    assert r.status_code == 400


def test_comment_marked_as_leading_to_a_revision(org, api):
    matter = register(org)
    call = api(org.rsj_handler)
    comment = call(
        "post", f"/matters/{matter.pk}/comments", {"channel": "letter", "content": "建议分档"}
    ).json()
    missing = call("post", f"/comments/{comment['id']}/revision", {"revised": True})
    assert missing.status_code == 400 and "修订" in missing.json()["detail"]
    r = call(
        "post",
        f"/comments/{comment['id']}/revision",
        {"revised": True, "note": "采纳，按缴费年限分档调整"},
    )
    assert r.status_code == 200, r.json()
    assert r.json()["led_to_revision"] and r.json()["revision_note"] == "采纳，按缴费年限分档调整"
    reader = api(org.supervisor)
    assert reader("post", f"/comments/{comment['id']}/revision", {"note": "x"}).status_code == 403
