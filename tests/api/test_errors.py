"""Every error under /api/ is JSON {detail, code} in Chinese, and the door refuses values
no field can hold (integers beyond 64 bits, NaN, control characters) with a 422."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from fengping.api.tokens import do_create_token
from fengping.org.models import Department


@pytest.fixture
def api(org):
    token = do_create_token(org.admin, "test")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)
    return client


def error(response, status, code=None):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"] and any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body
    if code:
        assert body["code"] == code, body
    return body


def post(api, url, data):
    return api.post(url, json.dumps(data), content_type="application/json")


def test_unknown_route_and_wrong_method_are_json(api):
    missing = api.get("/api/no-such-thing")
    error(missing, 404, "not_found")
    assert "default-src 'self'" in missing["Content-Security-Policy"]
    error(api.get("/api/departments/1/nothing/here"), 404, "not_found")
    response = api.delete("/api/me")
    error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_unauthenticated_and_forbidden_are_json(org, client):
    error(client.get("/api/me"), 401, "unauthenticated")
    token = do_create_token(org.rsj_handler, "t")[1]
    response = client.post(
        "/api/departments",
        json.dumps({"name": "x", "code": "X", "parent_id": org.rsj.pk}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    error(response, 403, "forbidden")


def test_huge_integers_refused(org, api):
    body = error(
        post(api, "/api/departments", {"name": "x", "code": "X", "parent_id": 10**30}),
        422,
        "invalid",
    )
    assert "超出允许范围" in body["detail"]
    error(api.get(f"/api/departments/{10**30}"), 404, "not_found")
    error(api.get(f"/api/matters/{10**25}/comments"), 404, "not_found")
    error(api.get(f"/api/users?department_id={10**30}"), 422, "invalid")
    error(api.get(f"/api/matters?page={-(10**30)}"), 422, "invalid")
    assert not Department.objects.filter(code="X").exists()
    # The largest 64-bit integer is a number like any other (and names nothing).
    error(api.get(f"/api/departments/{2**63 - 1}"), 404, "not_found")


def test_nan_infinity_and_bad_json_refused(api, org):
    raw = '{"name": "x", "code": "X", "parent_id": NaN}'
    error(api.post("/api/departments", raw, content_type="application/json"), 422, "invalid")
    raw = '{"name": "x", "code": "X", "parent_id": 1e999}'
    error(api.post("/api/departments", raw, content_type="application/json"), 422, "invalid")
    error(api.post("/api/departments", "{nope", content_type="application/json"), 400, "bad_json")
    deep = "[" * 100_000 + "]" * 100_000
    error(api.post("/api/departments", deep, content_type="application/json"), 400, "bad_json")


@pytest.mark.parametrize("char", ["\x0b", "\x01", "\x00", "\x7f", "\x85", "\ufffe"])
def test_control_characters_refused_in_body_and_query(org, api, char):
    body = error(
        post(
            api, "/api/departments", {"name": f"人{char}社", "code": "X", "parent_id": org.root.pk}
        ),
        422,
        "invalid",
    )
    assert "控制字符" in body["detail"] and "name" in body["detail"]
    assert not Department.objects.filter(code="X").exists()
    error(api.get("/api/departments", {"q": f"a{char}"}), 422, "invalid")


def test_lone_surrogate_refused(org, api):
    raw = '{"name": "\\ud800", "code": "X", "parent_id": ROOT}'.replace("ROOT", str(org.root.pk))
    error(api.post("/api/departments", raw, content_type="application/json"), 422, "invalid")


def test_tabs_and_line_breaks_are_text(org, api):
    response = post(
        api,
        "/api/departments",
        {"name": "就业科", "code": "X", "parent_id": org.root.pk, "note": "一\n二\r\n\t三"},
    )
    assert response.status_code == 201, response.content
    assert Department.objects.get(code="X").note == "一\n二\r\n\t三"


def test_a_crash_is_a_logged_json_500(org, api, monkeypatch, caplog):
    from fengping.org import access

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(access, "visible", broken)
    with caplog.at_level(logging.ERROR, logger="fengping.api"):
        body = error(api.get("/api/departments"), 500, "server_error")
    assert "boom" not in json.dumps(body)
    assert any("boom" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
