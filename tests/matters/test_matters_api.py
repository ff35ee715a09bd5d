"""The matter pages' API twins: edit, public consultation, documents."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fengping.api.tokens import do_create_token
from fengping.matters.models import MatterDocument
from tests.matters.test_matters import register


@pytest.fixture
def api(org, client):
    _row, token = do_create_token(org.rsj_handler, "test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def call(method, url, body=None, multipart=False):
        kw = {} if multipart or body is None else {"content_type": "application/json"}
        return getattr(client, method)(url, body if body is not None else {}, **kw, **auth)

    return call


def test_patch_changes_only_what_is_given_and_checks_the_version(org, api):
    matter = register(org, description="原说明")
    response = api(
        "patch",
        f"/api/matters/{matter.pk}",
        {"version": matter.version, "title": "养老金调整（修订）"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "养老金调整（修订）" and body["description"] == "原说明"
    stale = api("patch", f"/api/matters/{matter.pk}", {"version": matter.version, "title": "又改"})
    assert stale.status_code == 409
    matter.refresh_from_db()
    assert matter.title == "养老金调整（修订）"


def test_consultation_refused_for_a_confidential_matter(org, api):
    matter = register(org, confidential=True)
    response = api(
        "put", f"/api/matters/{matter.pk}/consultation", {"open": True, "summary": "说明"}
    )
    assert response.status_code == 400 and "篇3 二(四)" in response.json()["detail"]
    open_one = register(org, title="另一事项")
    ok = api(
        "put",
        f"/api/matters/{open_one.pk}/consultation",
        {"open": True, "summary": "面向公众的说明", "until": str(timezone.localdate())},
    )
    assert ok.status_code == 200 and ok.json()["consultation_open"] is True


def test_documents_upload_download_remove(org, api):
    matter = register(org)
    upload = SimpleUploadedFile("说明.txt", "事项说明".encode())
    added = api(
        "post",
        f"/api/matters/{matter.pk}/documents",
        {"file": upload, "note": "起草说明"},
        multipart=True,
    )
    assert added.status_code == 201, added.content
    doc = added.json()
    assert doc["name"] == "说明.txt" and doc["note"] == "起草说明" and len(doc["sha256"]) == 64
    assert [d["id"] for d in api("get", f"/api/matters/{matter.pk}/documents").json()] == [
        doc["id"]
    ]
    file = api("get", doc["download_url"])
    assert file.status_code == 200 and b"".join(file.streaming_content) == "事项说明".encode()
    bad = api(
        "post",
        f"/api/matters/{matter.pk}/documents",
        {"file": SimpleUploadedFile("a.exe", b"MZ")},
        multipart=True,
    )
    assert bad.status_code == 400
    assert api("delete", f"/api/matter-documents/{doc['id']}").status_code == 204
    assert not MatterDocument.objects.filter(pk=doc["id"]).exists()
