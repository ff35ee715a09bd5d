"""API tokens end and carry a scope (GB/T 22239-2019 8.1.4.1); the 安全管理员 revokes
other people's (三员分立). Each rule is tried through the action, the page and the API."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404
from django.utils import timezone

from fengping.api import tokens
from fengping.api.models import ApiToken, TokenScope
from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.org import actions
from fengping.org.models import DepartmentKind, Membership, Role
from tests.conftest import PASSWORD, settled

pytestmark = pytest.mark.django_db


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def secadmin(org):
    """The 安全管理员 of 示范市 (the role's own actions are another helper's; the
    membership row is all the token rules read)."""
    user, _ = actions.do_create_user(
        org.superuser,
        username="secadmin",
        real_name="安全管理员",
        department=org.root,
        role=Role.HANDLER,
        password=PASSWORD,
    )
    settled(user)
    Membership.objects.filter(user=user).update(role=Role.SECURITY_ADMIN)
    return user


@pytest.fixture
def other_secadmin(org):
    """The 安全管理员 of another organisation: an outsider to 示范市's tokens."""
    other = actions.do_create_department(
        org.superuser, name="邻县人民政府", code="LX", kind=DepartmentKind.DECIDING
    )
    user, _ = actions.do_create_user(
        org.superuser,
        username="lx_secadmin",
        real_name="邻县安全管理员",
        department=other,
        role=Role.HANDLER,
        password=PASSWORD,
    )
    settled(user)
    Membership.objects.filter(user=user).update(role=Role.SECURITY_ADMIN)
    return user


# ------------------------------------------------------------------ creation


def test_a_token_ends_after_its_days_and_never_later_than_the_maximum(org, settings):
    settings.FENGPING_API_TOKEN_MAX_DAYS = 90
    before = timezone.now()
    row, _ = tokens.do_create_token(org.rsj_handler, "对接", scope=TokenScope.READ, days=30)
    assert timedelta(days=30) <= row.expires_at - before < timedelta(days=30, minutes=1)
    default, _ = tokens.do_create_token(org.rsj_handler, "默认")
    assert default.expires_at - before >= timedelta(days=90)
    assert default.scope == TokenScope.READ_WRITE  # a program names what it needs
    for days in (0, 91, -1):
        with pytest.raises(ActionError) as refused:
            tokens.do_create_token(org.rsj_handler, "太长", days=days)
        assert refused.value.field == "days"
    with pytest.raises(ActionError) as refused:
        tokens.do_create_token(org.rsj_handler, "乱写", scope="admin")
    assert refused.value.field == "scope"
    event = Event.objects.filter(action="api.token.create").order_by("-seq").first()
    assert event.after["scope"] == "read_write" and event.after["expires_at"]


def test_the_profile_form_creates_read_only_by_default_and_refuses_a_long_life(
    org, login, settings
):
    settings.FENGPING_API_TOKEN_MAX_DAYS = 90
    client = login(org.rsj_handler)
    page = client.get("/me/").content.decode()
    assert 'value="read" selected' in page
    assert 'value="90" selected' in page and 'value="180"' not in page
    response = client.post("/me/tokens/", {"name": "报表", "scope": "read", "days": "30"})
    assert response.status_code == 302
    row = ApiToken.objects.get(user=org.rsj_handler, name="报表")
    assert row.scope == "read"
    assert row.expires_at.date() == (timezone.now() + timedelta(days=30)).date()
    shown = client.get("/me/").content.decode()
    assert "只读" in shown and "fp_" in shown  # the token, once
    refused = client.post("/me/tokens/", {"name": "永久", "scope": "read", "days": "3650"})
    assert refused.status_code == 302
    assert not ApiToken.objects.filter(name="永久").exists()
    assert "令牌未创建" in client.get("/me/").content.decode()


def test_a_token_cannot_make_a_token(org, client):
    _, token = tokens.do_create_token(org.rsj_handler, "脚本", days=1)
    with pytest.raises(PermissionDenied):
        tokens.do_create_token(org.rsj_handler, "续命", via_token=True)
    response = client.post(
        "/api/me/tokens",
        {"name": "续命", "scope": "read_write"},
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 403
    assert "不能用 API 令牌创建新令牌" in response.json()["detail"]
    assert not ApiToken.objects.filter(name="续命").exists()


def test_the_api_creates_lists_and_revokes_ones_own_tokens_by_session(org, login):
    client = login(org.rsj_handler)
    created = client.post(
        "/api/me/tokens",
        {"name": "接口", "scope": "read", "days": 7},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["token"].startswith("fp_") and body["scope"] == "read"
    assert body["state"] == "active"
    listed = client.get("/api/me/tokens").json()
    assert [t["name"] for t in listed] == ["接口"] and "token" not in listed[0]
    revoked = client.post(f"/api/me/tokens/{body['id']}/revoke")
    assert revoked.json()["state"] == "revoked"


def test_one_cannot_revoke_someone_elses_token_as_ones_own(org, login):
    row, _ = tokens.do_create_token(org.rsj_head, "别人的")
    with pytest.raises(Http404):
        tokens.do_revoke_token(org.rsj_handler, row.pk)
    client = login(org.rsj_handler)
    assert client.post(f"/api/me/tokens/{row.pk}/revoke").status_code == 404
    assert client.post(f"/me/tokens/{row.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=row.pk).revoked_at is None


# ------------------------------------------------------------------ use


def test_an_expired_token_is_refused_with_its_date(org, client):
    row, token = tokens.do_create_token(org.rsj_handler, "过期")
    assert client.get("/api/me", **bearer(token)).status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/me", **bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert "过期" in response.json()["detail"]


def test_a_revoked_token_is_refused(org, client):
    row, token = tokens.do_create_token(org.rsj_handler, "撤销")
    tokens.do_revoke_token(org.rsj_handler, row.pk)
    response = client.get("/api/me", **bearer(token))
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"


def test_an_unknown_token_is_401_unauthenticated(client):
    response = client.get("/api/me", **bearer("fp_not-a-token"))
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/api/me", '{"real_name": "改名"}'),
        ("POST", "/api/me/password", '{"old_password": "x", "new_password": "y"}'),
        ("DELETE", "/api/supervision/calendar-feed", ""),
    ],
)
def test_a_read_only_token_reads_but_changes_nothing(org, client, method, path, body):
    _, token = tokens.do_create_token(org.rsj_handler, "只读", scope=TokenScope.READ)
    assert client.get("/api/matters", **bearer(token)).status_code == 200
    before = Event.objects.order_by("-seq").first().seq
    response = client.generic(method, path, body, content_type="application/json", **bearer(token))
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "token_read_only"
    # Nothing changed: the only event is the refusal itself.
    assert list(Event.objects.filter(seq__gt=before).values_list("action", flat=True)) == [
        "access.denied"
    ]
    org.rsj_handler.refresh_from_db()
    assert org.rsj_handler.real_name != "改名"


def test_a_read_write_token_changes(org, client):
    _, token = tokens.do_create_token(org.rsj_handler, "读写", scope=TokenScope.READ_WRITE)
    response = client.put(
        "/api/me", {"real_name": "新名"}, content_type="application/json", **bearer(token)
    )
    assert response.status_code == 200, response.content


# ------------------------------------------------------------------ the 安全管理员


def test_the_security_admin_lists_the_tokens_of_their_organisation_only(
    org, secadmin, other_secadmin, login, django_assert_max_num_queries
):
    for person in (org.rsj_handler, org.zjj_handler, org.rsj_head):
        tokens.do_create_token(person, f"{person.username}的令牌")
    client = login(secadmin)
    page = client.get("/security/tokens/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "rsj_handler的令牌" in text and "zjj_handler的令牌" in text
    api = client.get("/api/security/tokens").json()
    assert api["count"] == 3
    assert {t["username"] for t in api["items"]} == {"rsj_handler", "zjj_handler", "rsj_head"}
    # The neighbouring county's 安全管理员 sees none of them.
    outsider = login(other_secadmin)
    assert "rsj_handler的令牌" not in outsider.get("/security/tokens/").content.decode()
    assert outsider.get("/api/security/tokens").json()["count"] == 0
    # A page of the list costs the same whatever its length.
    client = login(secadmin)
    for n in range(20):
        tokens.do_create_token(org.rsj_unit_assessor, f"批量{n}")
    with django_assert_max_num_queries(14):
        assert client.get("/security/tokens/").status_code == 200


def test_the_token_list_filters_and_exports(org, secadmin, login):
    live, _ = tokens.do_create_token(org.rsj_handler, "在用", scope=TokenScope.READ)
    old, _ = tokens.do_create_token(org.rsj_handler, "旧的")
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    gone, _ = tokens.do_create_token(org.rsj_handler, "撤了")
    tokens.do_revoke_token(org.rsj_handler, gone.pk)
    client = login(secadmin)
    for state, name in (("active", "在用"), ("expired", "旧的"), ("revoked", "撤了")):
        items = client.get(f"/api/security/tokens?state={state}").json()["items"]
        assert [t["name"] for t in items] == [name], state
    assert [t["name"] for t in client.get("/api/security/tokens?scope=read").json()["items"]] == [
        "在用"
    ]
    export = client.get("/security/tokens/export.xlsx?state=expired")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any("旧的" in (row or []) for row in rows)
    assert not any("在用" in (row or []) for row in rows)


def test_the_security_admin_revokes_after_a_confirmation_and_it_is_audited(
    org, secadmin, login, client
):
    row, token = tokens.do_create_token(org.rsj_handler, "泄露的")
    browser = login(secadmin)
    confirm = browser.get(f"/security/tokens/{row.pk}/revoke/")
    assert confirm.status_code == 200 and "确认撤销" in confirm.content.decode()
    assert ApiToken.objects.get(pk=row.pk).revoked_at is None  # a GET changes nothing
    done = browser.post(f"/security/tokens/{row.pk}/revoke/", {"reason": "令牌泄露"})
    assert done.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None and row.revoked_by == secadmin
    event = Event.objects.get(action="api.token.revoke_by_admin")
    assert event.actor_id == secadmin.pk
    assert event.after == {"prefix": row.prefix, "holder": "rsj_handler", "reason": "令牌泄露"}
    assert event.scope_path == org.rsj.path
    # The holder's program is refused at once.
    client.logout()
    assert client.get("/api/me", **bearer(token)).json()["code"] == "token_revoked"
    # Twice: refused with a message, nothing written.
    browser = login(secadmin)
    with pytest.raises(ActionError):
        tokens.do_revoke_token_as_admin(secadmin, row.pk)
    again = browser.post(
        f"/api/security/tokens/{row.pk}/revoke", {}, content_type="application/json"
    )
    assert again.status_code == 400 and "已于此前撤销" in again.json()["detail"]
    assert Event.objects.filter(action="api.token.revoke_by_admin").count() == 1


def test_the_api_revokes_for_the_security_admin(org, secadmin, login):
    row, _ = tokens.do_create_token(org.zjj_handler, "住建局脚本")
    client = login(secadmin)
    response = client.post(
        f"/api/security/tokens/{row.pk}/revoke",
        {"reason": "人员调离"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "revoked" and response.json()["revoked_by"] == "secadmin"


@pytest.mark.parametrize("persona", ["admin", "rsj_head", "supervisor"])
def test_whoever_is_not_the_security_admin_is_refused_403(org, login, persona):
    """The 系统管理员 too: token revocation is the security administrator's (三员分立)."""
    row, _ = tokens.do_create_token(org.rsj_handler, "别动")
    user = getattr(org, persona)
    with pytest.raises(PermissionDenied):
        tokens.do_revoke_token_as_admin(user, row.pk)
    client = login(user)
    assert client.get("/security/tokens/").status_code == 403
    assert client.get("/security/tokens/export.xlsx").status_code == 403
    assert client.post(f"/security/tokens/{row.pk}/revoke/").status_code == 403
    assert client.get("/api/security/tokens").status_code == 403
    api = client.post(f"/api/security/tokens/{row.pk}/revoke", {}, content_type="application/json")
    assert api.status_code == 403 and api.json()["code"] == "forbidden"
    assert ApiToken.objects.get(pk=row.pk).revoked_at is None


def test_an_outsider_gets_404_whatever_their_role(org, other_secadmin, login):
    row, _ = tokens.do_create_token(org.rsj_handler, "别动")
    for user in (other_secadmin, org.zjj_handler):
        with pytest.raises(Http404):
            tokens.do_revoke_token_as_admin(user, row.pk)
        client = login(user)
        assert client.post(f"/security/tokens/{row.pk}/revoke/").status_code == 404
        api = client.post(
            f"/api/security/tokens/{row.pk}/revoke", {}, content_type="application/json"
        )
        assert api.status_code == 404
    assert client.post("/security/tokens/999999/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=row.pk).revoked_at is None


def test_a_security_admin_token_that_is_read_only_cannot_revoke(org, secadmin, client):
    row, _ = tokens.do_create_token(org.rsj_handler, "目标")
    _, token = tokens.do_create_token(secadmin, "只读", scope=TokenScope.READ)
    assert client.get("/api/security/tokens", **bearer(token)).status_code == 200
    response = client.post(
        f"/api/security/tokens/{row.pk}/revoke",
        "{}",
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 403 and response.json()["code"] == "token_read_only"
    assert ApiToken.objects.get(pk=row.pk).revoked_at is None


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_keeps_old_tokens_working_for_the_configured_life(org, client, settings):
    """Tokens made before scopes and expiry could do anything and never ended: after the
    upgrade they stay read-write and end the configured days after it, not at once."""
    settings.FENGPING_API_TOKEN_MAX_DAYS = 90
    executor = MigrationExecutor(connection)
    executor.migrate([("api", "0002_initial")])
    old = MigrationExecutor(connection).loader.project_state(("api", "0002_initial")).apps
    token = tokens.PREFIX + "made-before-the-upgrade"
    created = timezone.now() - timedelta(days=400)
    row = old.get_model("api", "ApiToken").objects.create(
        user_id=org.rsj_handler.pk, name="老令牌", prefix=token[:10], digest=tokens._digest(token)
    )
    old.get_model("api", "ApiToken").objects.filter(pk=row.pk).update(created_at=created)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    upgraded = ApiToken.objects.get(pk=row.pk)
    assert upgraded.scope == TokenScope.READ_WRITE
    assert upgraded.expires_at - timezone.now() > timedelta(days=89)
    response = client.put(
        "/api/me", {"real_name": "仍可用"}, content_type="application/json", **bearer(token)
    )
    assert response.status_code == 200, response.content


def test_a_token_stops_when_its_holders_password_has_expired(org, client):
    """The pages send a holder whose password has expired to change it; their tokens stop
    too until they have, at no extra query per request."""
    from fengping.security.models import PasswordHistory

    _, token = tokens.do_create_token(org.rsj_handler, "到期的密码")
    assert client.get("/api/me", **bearer(token)).status_code == 200
    PasswordHistory.objects.filter(user=org.rsj_handler).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    refused = client.get("/api/me", **bearer(token))
    assert refused.status_code == 403 and refused.json()["code"] == "password_expired"
    user = org.rsj_handler
    user.set_password("Another-pass-2026!")
    user.save()
    assert client.get("/api/me", **bearer(token)).status_code == 200
