"""Security events besides data changes (GB/T 22239-2019 8.1.4.3): every sign-in, sign-out,
failed sign-in and lockout, every refusal (403) from a page, a role gate, an action or the
API, and every export; recorded in the organisation of the user so its 审计管理员 reads
them; never the password; and no cost on pages that are neither refused nor downloads."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from fengping.api.tokens import do_create_token
from fengping.audit.chain import verify
from fengping.audit.models import Event
from fengping.security.policy import axes_failure_limit
from tests.conftest import PASSWORD

WRONG = "Not-the-password-9911"


def last(action):
    return Event.objects.filter(action=action).order_by("-seq").first()


def root(org):
    return org.root.path.split("/", 1)[0] + "/"


def test_login_and_logout_are_recorded(org, client):
    response = client.post(
        "/accounts/login/",
        {"username": "rsj_handler", "password": PASSWORD},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    event = last("auth.login")
    assert event.actor_id == org.rsj_handler.pk and event.actor_name == "rsj_handler"
    assert event.object_type == "org.user" and event.object_id == str(org.rsj_handler.pk)
    assert event.after["address"] == "10.1.2.3"
    # The organisation's root, so the 审计管理员 of 示范市 reads it (not only 人社局's).
    assert event.scope_path == root(org)
    assert event.action_label == "登录"

    client.post("/accounts/logout/")
    event = last("auth.logout")
    assert event.actor_id == org.rsj_handler.pk and event.scope_path == root(org)
    assert verify().ok


def test_failed_login_of_a_known_user_names_the_account_never_the_password(org, client):
    client.post("/accounts/login/", {"username": "rsj_handler", "password": WRONG})
    event = last("auth.login_failed")
    assert event.actor_id is None and event.actor_name == "rsj_handler"
    assert event.object_type == "org.user" and event.object_id == str(org.rsj_handler.pk)
    assert event.after["username"] == "rsj_handler" and event.after["known_user"] is True
    assert event.after["address"] == "127.0.0.1"
    assert event.scope_path == root(org)
    assert WRONG not in json.dumps(
        [event.before, event.after, event.object_repr], ensure_ascii=False
    )


def test_failed_login_of_an_unknown_name_has_no_scope(org, client):
    client.post(
        "/accounts/login/", {"username": "ghost", "password": WRONG}, REMOTE_ADDR="10.9.9.9"
    )
    event = last("auth.login_failed")
    assert event.object_type == "auth.username" and event.object_repr == "ghost"
    assert event.after == {"username": "ghost", "address": "10.9.9.9", "known_user": False}
    assert event.scope_path == ""


def test_lockout_is_recorded(org, client):
    limit = axes_failure_limit(None, None)
    for _ in range(limit):
        client.post("/accounts/login/", {"username": "zjj_handler", "password": WRONG})
    event = last("auth.lockout")
    assert event is not None and event.after["username"] == "zjj_handler"
    assert event.object_id == str(org.zjj_handler.pk)
    assert Event.objects.filter(action="auth.login_failed").count() >= limit


def test_a_role_gate_refusal_is_recorded(org, login):
    response = login(org.rsj_handler).get("/audit/?action=auth.login")
    assert response.status_code == 403
    event = last("access.denied")
    assert event.actor_id == org.rsj_handler.pk
    assert event.after["path"] == "/audit/" and event.after["method"] == "GET"
    assert event.after["query"] == {"action": "auth.login"} and event.after["api"] is False
    assert event.object_repr == "GET /audit/" and event.scope_path == root(org)


def test_an_action_refusal_on_a_page_is_recorded(org, login):
    """org.access.require / PermissionDenied inside the action, not a gate: a reader
    posting to a department's edit page."""
    url = f"/org/departments/{org.rsj.pk}/edit/"
    assert login(org.rsj_head).post(url, {}).status_code == 403
    event = last("access.denied")
    assert event.actor_id == org.rsj_head.pk and event.after["method"] == "POST"
    assert event.after["path"] == url


def test_an_api_refusal_is_recorded(org, client):
    _row, token = do_create_token(org.rsj_head, "t")
    response = client.post("/api/audit/chain/verify", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    event = last("access.denied")
    assert event.actor_id == org.rsj_head.pk and event.after["api"] is True
    assert event.after["path"] == "/api/audit/chain/verify"


def test_an_xlsx_export_records_the_list_its_filters_and_rows(org, login):
    response = login(org.admin).get("/org/users/export.xlsx?q=rsj")
    assert response.status_code == 200
    event = last("export.xlsx")
    assert event.actor_id == org.admin.pk and event.scope_path == root(org)
    assert event.object_repr == "fengping-users.xlsx"
    assert event.after["list"] == "users" and event.after["filters"] == {"q": "rsj"}
    assert event.after["rows"] >= 2 and event.after["cut"] is False
    assert event.after["bytes"] == len(response.content)
    assert event.action_label == "导出表格（XLSX）"


def test_a_docx_download_is_an_export(org, login):
    """Any attachment is an export (reports, DOCX, templates): here the import template."""
    response = login(org.admin).get("/org/import/template.xlsx")
    assert response.status_code == 200
    event = last("export.xlsx")
    assert event.after["path"] == "/org/import/template.xlsx"


@pytest.mark.parametrize("url", ["/", "/org/users/", "/audit/"])
def test_pages_not_refused_cost_no_query_and_write_nothing(org, login, url, settings):
    # The superuser reads all three (the 系统管理员 no longer reads the audit log).
    client = login(org.superuser)
    client.get(url)  # warm caches
    before = Event.objects.exclude(action="auth.login").count()
    with CaptureQueriesContext(connection) as with_trail:
        assert client.get(url).status_code == 200
    without = [m for m in settings.MIDDLEWARE if "AuditTrail" not in m]
    with override_settings(MIDDLEWARE=without):
        # A new client: one loads its middleware once, on its first request.
        bare = Client()
        bare.cookies = client.cookies
        assert bare.get("/audit/", HTTP_X_PROBE="1").status_code == 200
        with CaptureQueriesContext(connection) as without_trail:
            assert bare.get(url).status_code == 200
        # (The comparison has a point: without the trail a refusal is not recorded.)
        refused = Client()
        refused.force_login(org.rsj_handler)
        assert refused.get("/audit/").status_code == 403
    assert len(with_trail) == len(without_trail)
    assert Event.objects.exclude(action="auth.login").count() == before


def test_an_anonymous_csrf_refusal_is_recorded(org):
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x"})
    assert response.status_code == 403
    event = last("access.denied")
    assert event.actor_id is None and event.actor_name == "anonymous"
    assert event.after["path"] == "/accounts/login/" and event.scope_path == ""
