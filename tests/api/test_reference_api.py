"""Schemes and report templates through the API: read by all, changed by administrators."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fengping.api.tokens import do_create_token
from fengping.reports.render import DEFAULT_TEMPLATE, template_path
from fengping.schemebook.models import UploadedScheme
from fengping.schemes import BUILTIN_DIR


@pytest.fixture
def auth(org):
    def make(user):
        _row, token = do_create_token(user, "test")
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    return make


def _scheme_file(key="town-copy", name="town-copy.yaml"):
    text = (BUILTIN_DIR / "ssra-town.yaml").read_text(encoding="utf-8")
    return SimpleUploadedFile(name, text.replace("key: ssra-town", f"key: {key}", 1).encode())


def test_everyone_reads_the_schemes(org, client, auth):
    rows = client.get("/api/schemes", **auth(org.zjj_handler)).json()
    assert {"ssra-town", "ssra-bureau", "isra", "case-risk"} <= {r["key"] for r in rows}
    one = client.get("/api/schemes/ssra-town", **auth(org.zjj_handler)).json()
    assert one["origin"] == "builtin" and "key: ssra-town" in one["text"]
    assert client.get("/api/schemes/nope", **auth(org.zjj_handler)).status_code == 404


def test_upload_and_withdraw_a_scheme(org, client, auth):
    admin = auth(org.admin)
    created = client.post("/api/schemes", {"file": _scheme_file()}, **admin)
    assert created.status_code == 201, created.content
    assert created.json()["key"] == "town-copy" and created.json()["previous_version"] is None
    withdrawn = client.put(
        "/api/schemes/town-copy/active",
        {"active": False},
        content_type="application/json",
        **admin,
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["is_active"] is False
    assert not UploadedScheme.objects.get(key="town-copy").is_active
    assert "town-copy" not in {r["key"] for r in client.get("/api/schemes", **admin).json()}


def test_a_bad_scheme_lists_its_problems_and_a_reader_is_refused_first(org, client, auth):
    bad = SimpleUploadedFile("bad.yaml", b"key: x\nname: [unclosed\n")
    response = client.post("/api/schemes", {"file": bad}, **auth(org.admin))
    assert response.status_code == 400 and "无效" in response.json()["detail"]
    wrong_type = client.post(
        "/api/schemes", {"file": SimpleUploadedFile("a.txt", b"x")}, **auth(org.rsj_head)
    )
    assert wrong_type.status_code == 403  # the role before the file
    builtin_key = client.post(
        "/api/schemes", {"file": _scheme_file("ssra-town", "t.yaml")}, **auth(org.admin)
    )
    assert builtin_key.status_code == 400 and "内置方案" in builtin_key.json()["detail"]


def test_report_templates(org, client, auth):
    admin = auth(org.admin)
    rows = {r["key"]: r for r in client.get("/api/report-templates", **admin).json()}
    assert rows["default"]["uses"] == "builtin" and "ssra-town" in rows
    good = SimpleUploadedFile("t.docx", DEFAULT_TEMPLATE.read_bytes())
    response = client.post("/api/report-templates/ssra-town", {"file": good}, **admin)
    assert response.status_code == 200, response.content
    assert response.json() == {"key": "ssra-town", "uploaded": True, "uses": "scheme"}
    assert template_path("ssra-town").is_file()
    bad = SimpleUploadedFile("t.docx", b"PK\x03\x04 not a zip")
    refused = client.post("/api/report-templates/default", {"file": bad}, **admin)
    assert refused.status_code == 400 and not template_path("default").exists()
    assert client.delete("/api/report-templates/ssra-town", **admin).status_code == 204
    assert not template_path("ssra-town").exists()
    again = client.delete("/api/report-templates/ssra-town", **admin)
    assert again.status_code == 400 and again.json()["detail"] == "该方案没有上传的模板"
    assert client.delete("/api/report-templates/isra", **admin).status_code == 404
