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
