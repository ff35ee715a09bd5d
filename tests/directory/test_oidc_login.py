"""OIDC login through the Django test client against the provider in oidc_provider.py."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests

from fengping.audit.models import Event
from fengping.directory import config
from fengping.directory.backends import forget_discovery
from fengping.directory.models import DirectoryAccount
from fengping.org.models import Membership, Role, User

from .conftest import apply_directory
from .oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider

pytestmark = pytest.mark.django_db

ZHAO = {
    "sub": "a1b2c3",
    "preferred_username": "zhaoliu",
    "name": "赵六",
    "email": "zhaoliu@example.gov.cn",
    "groups": ["rsj-staff", "zjj-review", "unmapped"],
}


@pytest.fixture(scope="module")
def provider():
    server = Provider().start()
    yield server
    server.stop()


@pytest.fixture
def oidc(provider, settings, tmp_path):
    path = tmp_path / "directory.yaml"
    path.write_text(
        f"""\
oidc:
  issuer: {provider.issuer}
  client_id: {CLIENT_ID}
  client_secret: {CLIENT_SECRET}
  scopes: [openid, profile, email]
  button_label: 统一身份认证登录
groups:
  - {{group: rsj-staff, department: RSJ, role: handler}}
  - {{group: zjj-review, department: ZJJ, role: assessor}}
""",
        encoding="utf-8",
    )
    apply_directory(settings, config.load(path))
    forget_discovery()
    provider.claims = dict(ZHAO)
    provider.tamper = {}
    yield provider
    forget_discovery()


def start(client):
    """Press the button: the client is sent to the provider, which sends it back."""
    response = client.get("/accounts/oidc/authenticate/?next=/matters/")
    assert response.status_code == 302
    to_provider = response["Location"]
    assert to_provider.startswith(f"{client_provider_issuer(to_provider)}/authorize?")
    query = parse_qs(urlparse(to_provider).query)
    assert query["state"] and query["nonce"] and query["code_challenge"]
    back = requests.get(to_provider, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    callback = urlparse(back.headers["Location"])
    assert callback.path == "/accounts/oidc/callback/"
    return callback


def client_provider_issuer(url):
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"


def finish(client, callback, **override):
    query = {k: v[0] for k, v in parse_qs(callback.query).items()}
    query.update(override)
    return client.get(callback.path, query)


def test_login_page_shows_the_button_only_when_configured(client, settings):
    settings.FENGPING_DIRECTORY = None
    page = client.get("/accounts/login/").content.decode()
    assert "统一身份认证登录" not in page
    assert client.get("/accounts/oidc/authenticate/").status_code == 404
    assert client.get("/accounts/oidc/callback/").status_code == 404


def test_full_flow_creates_the_user_with_memberships(org, oidc, client):
    page = client.get("/accounts/login/").content.decode()
    assert "统一身份认证登录" in page and "/accounts/oidc/authenticate/" in page

    response = finish(client, start(client))
    assert response.status_code == 302 and response["Location"] == "/matters/"
    user = User.objects.get(username="zhaoliu")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert (user.real_name, user.email) == ("赵六", "zhaoliu@example.gov.cn")
    assert not user.has_usable_password() and not user.must_change_password
    assert sorted(Membership.objects.filter(user=user).values_list("department__code", "role")) == [
        ("RSJ", Role.HANDLER),
        ("ZJJ", Role.ASSESSOR),
    ]
    account = DirectoryAccount.objects.get(user=user)
    assert (account.source, account.external_id) == ("oidc", "a1b2c3")
    event = Event.objects.get(action="directory.sync", object_id=str(user.pk))
    assert event.after["source"] == "oidc" and event.after["created"] is True

    # The provider drops a group: the next login removes that membership only.
    client.logout()
    oidc.claims = {**ZHAO, "groups": ["rsj-staff"]}
    assert finish(client, start(client)).status_code == 302
    assert list(Membership.objects.filter(user=user).values_list("department__code", "role")) == [
        ("RSJ", Role.HANDLER)
    ]
    assert Event.objects.filter(action="directory.sync").count() == 2

    # Logging out goes to the provider's end-session endpoint with the id_token.
    response = client.post("/accounts/oidc/logout/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"{oidc.issuer}/logout?")
    assert "id_token_hint=" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_wrong_state_is_refused(org, oidc, client):
    callback = start(client)
    response = finish(client, callback, state="forged-state")
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(username="zhaoliu").exists()


def test_wrong_nonce_is_refused(org, oidc, client):
    oidc.tamper = {"nonce": "replayed-nonce"}
    response = finish(client, start(client))
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(username="zhaoliu").exists()


def test_token_for_another_client_is_refused(org, oidc, client):
    oidc.tamper = {"aud": "another-client"}
    assert finish(client, start(client)).status_code == 400
    assert not User.objects.filter(username="zhaoliu").exists()


def test_replayed_callback_is_refused(org, oidc, client):
    callback = start(client)
    assert finish(client, callback).status_code == 302
    client.logout()
    # The state was used once; the same callback again does not log anyone in.
    response = finish(client, callback)
    assert response.status_code in (302, 400)
    assert "_auth_user_id" not in client.session


def test_local_administrator_name_is_refused(org, oidc, client):
    oidc.claims = {**ZHAO, "preferred_username": "admin"}
    response = finish(client, start(client))
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    page = client.get("/accounts/login/").content.decode()
    assert "是本地管理员账户" in page
    assert not DirectoryAccount.objects.exists()


def test_locally_deactivated_user_is_refused(org, oidc, client):
    assert finish(client, start(client)).status_code == 302
    client.logout()
    User.objects.filter(username="zhaoliu").update(is_active=False)
    response = finish(client, start(client))
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert "该账户已停用" in client.get("/accounts/login/").content.decode()


def test_password_login_does_not_touch_the_provider(org, oidc, client, settings):
    """The OIDC backend is asked on every password login too: it must not call out."""
    from tests.conftest import PASSWORD

    settings.FENGPING_OIDC_ISSUER = "http://127.0.0.1:9"  # nothing listens there
    forget_discovery()
    response = client.post("/accounts/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302


def test_fengping_check_line(org, oidc, capsys, settings):
    from fengping.directory.health import oidc_line

    status, text = oidc_line()
    assert status == "ok" and f"{oidc.issuer}/jwks" in text
    settings.FENGPING_OIDC_ISSUER = "http://127.0.0.1:9"
    status, text = oidc_line()
    assert status == "fail" and "统一身份认证不可用" in text


def test_same_subject_under_another_user_name_is_refused(org, oidc, client):
    assert finish(client, start(client)).status_code == 302
    client.logout()
    oidc.claims = {**ZHAO, "preferred_username": "zhao6"}
    response = finish(client, start(client))
    assert response["Location"] == "/accounts/login/"
    assert "已关联到用户“zhaoliu”" in client.get("/accounts/login/").content.decode()
    assert not User.objects.filter(username="zhao6").exists()
