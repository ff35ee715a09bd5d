from django.conf import settings
from django.test import Client

from fengping.security.policy import axes_failure_limit
from tests.conftest import PASSWORD, force_login


def test_csp_and_headers(client, db):
    response = client.get("/accounts/login/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_load_nothing_from_outside(org, login):
    html = login(org.admin).get("/").content.decode()
    for marker in ("http://", "https://", "//cdn", "<script>", 'style="'):
        assert marker not in html, marker


def test_argon2_is_the_hasher(org):
    assert "Argon2" in settings.PASSWORD_HASHERS[0]
    org.rsj_handler.refresh_from_db()
    assert org.rsj_handler.password.startswith("argon2$")


def test_login_logout(org):
    client = Client()
    response = client.post("/accounts/login/", {"username": "rsj_handler", "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/"
    assert "人社局" in client.get("/").content.decode()
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_login_is_throttled(org):
    client = Client()
    for _ in range(axes_failure_limit() - 1):
        response = client.post("/accounts/login/", {"username": "rsj_handler", "password": "wrong"})
        assert "用户名或密码不正确" in response.content.decode()
    response = client.post("/accounts/login/", {"username": "rsj_handler", "password": "wrong"})
    assert response.status_code == 429
    # Even the right password is refused while locked.
    locked = client.post("/accounts/login/", {"username": "rsj_handler", "password": PASSWORD})
    assert locked.status_code == 429
    assert "暂时锁定" in locked.content.decode()


def test_csrf_enforced_on_pages(org):
    client = Client(enforce_csrf_checks=True)
    force_login(client, org.admin)
    response = client.post("/org/departments/new/", {"name": "x", "code": "X", "kind": "unit"})
    assert response.status_code == 403


def test_sessions_expire(db):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.FENGPING_SESSION_REFRESH_SECONDS < settings.SESSION_COOKIE_AGE
    assert settings.SESSION_COOKIE_HTTPONLY


def test_reading_pages_does_not_write_the_session_each_time(org, client, monkeypatch):
    """The idle timeout is refreshed at most once per interval, not by a write per GET."""
    from django.contrib.sessions.models import Session

    clock = [1_000_000.0]
    monkeypatch.setattr("fengping.core.middleware.time.time", lambda: clock[0])
    force_login(client, org.rsj_handler)
    assert client.get("/").status_code == 200  # the first request stamps the session
    row = Session.objects.get()
    expiry = row.expire_date
    writes = []
    monkeypatch.setattr(
        "django.contrib.sessions.backends.db.SessionStore.save",
        lambda self, must_create=False: writes.append(1),
    )
    for _ in range(3):
        clock[0] += 60
        assert client.get("/").status_code == 200
    assert writes == [] and Session.objects.get().expire_date == expiry
    clock[0] += settings.FENGPING_SESSION_REFRESH_SECONDS
    assert client.get("/").status_code == 200
    assert writes == [1]  # one refresh after the interval: the idle timer moves on


def test_no_debug_page_in_production(org, login):
    assert not settings.DEBUG
    response = login(org.admin).get("/org/departments/999999/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在或无权访问" in body and "Traceback" not in body
