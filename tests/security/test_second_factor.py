"""TOTP with recovery codes: enrolment, the login's second step, a code used twice, a
recovery code once, administrators forced to enrol, others only by policy, failures
locking the account, and the 安全管理员's reset."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.security import actions
from tests.conftest import PASSWORD

from .conftest import code_for, enrol, password_step


@pytest.fixture(autouse=True)
def _no_throttle_delay(settings):
    # django-otp delays the next try after a failure (1 s, 2 s, 4 s…); the tests that
    # follow a wrong code with a right one would wait. Its own test turns it back on.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def test_enrolment_page_shows_a_qr_code_and_the_secret_then_recovery_codes_once(org, login):
    client = login(org.rsj_handler)
    page = client.get("/me/2fa/")
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body and 'class="segno"' in body
    device = TOTPDevice.objects.get(user=org.rsj_handler, confirmed=False)
    from base64 import b32encode

    assert b32encode(device.bin_key).decode() in body
    assert "style=" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]  # CSP: no inline style
    wrong = client.post(
        "/me/2fa/", {"code": "000000" if code_for(device) != "000000" else "111111"}
    )
    assert "验证码不正确" in wrong.content.decode()
    done = client.post("/me/2fa/", {"code": code_for(device)})
    assert done.status_code == 302 and done.url == "/me/2fa/"
    shown = client.get("/me/2fa/").content.decode()
    codes = list(
        StaticDevice.objects.get(user=org.rsj_handler).token_set.values_list("token", flat=True)
    )
    assert len(codes) == 10 and all(c in shown for c in codes)
    assert not any(c in client.get("/me/2fa/").content.decode() for c in codes)  # once
    event = Event.objects.get(action="security.otp.enrol")
    assert event.actor_id == org.rsj_handler.pk and event.after["recovery_codes"] == 10
    profile = client.get("/me/").content.decode()
    assert "已启用" in profile


def test_login_with_a_code_and_the_same_code_refused_twice(org):
    device, _codes = enrol(org.rsj_handler)
    client = Client()
    response = password_step(client, "rsj_handler")
    assert response.status_code == 302 and response.url == "/accounts/2fa/"
    assert client.get("/").status_code == 302  # not logged in before the code
    assert client.get("/api/me").status_code == 401
    # The code that enrolled the device is already used: refused.
    used = client.post("/accounts/2fa/", {"code": code_for(device)})
    assert used.status_code == 200 and "验证码不正确或已使用" in used.content.decode()
    assert Event.objects.filter(action="security.otp.verify_failed").count() == 1
    # The next step's code is good (within the tolerance of one step).
    ok = client.post("/accounts/2fa/", {"code": code_for(device, offset=1)})
    assert ok.status_code == 302 and ok.url == "/"
    assert client.get("/").status_code == 200
    # The same code again, on another login: refused.
    other = Client()
    password_step(other, "rsj_handler")
    again = other.post("/accounts/2fa/", {"code": code_for(device, offset=1)})
    assert again.status_code == 200 and "已使用" in again.content.decode()


def test_a_recovery_code_works_once(org):
    _device, codes = enrol(org.rsj_handler)
    client = Client()
    password_step(client, "rsj_handler")
    ok = client.post("/accounts/2fa/", {"code": codes[0].upper()})
    assert ok.status_code == 302 and client.get("/").status_code == 200
    assert Event.objects.get(action="security.otp.recovery_used").after["left"] == 9
    other = Client()
    password_step(other, "rsj_handler")
    again = other.post("/accounts/2fa/", {"code": codes[0]})
    assert "恢复码不正确或已使用" in again.content.decode()
    assert other.get("/").status_code == 302


def test_regenerating_recovery_codes_needs_a_verified_session(org, login):
    _device, codes = enrol(org.rsj_handler)
    client = login(org.rsj_handler)  # verified (tests.conftest.force_login)
    client.post("/me/2fa/recovery/")
    new = list(
        StaticDevice.objects.get(user=org.rsj_handler).token_set.values_list("token", flat=True)
    )
    assert set(new).isdisjoint(codes) and len(new) == 10
    assert Event.objects.filter(action="security.otp.recovery_regenerate").count() == 1
    with pytest.raises(ActionError):
        actions.do_regenerate_recovery_codes(org.rsj_handler)  # no verified device on it


def test_an_unverified_session_reaches_nothing(org):
    device, _codes = enrol(org.rsj_handler)
    client = Client()
    client.force_login(org.rsj_handler)  # a session without the second step
    for path in ("/", "/me/", "/me/2fa/", "/matters/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url == "/accounts/2fa/", path
    api = client.get("/api/me")
    assert api.status_code == 403 and api.json()["code"] == "otp_required"
    assert client.post("/me/2fa/recovery/").url == "/accounts/2fa/"
    assert client.post("/accounts/2fa/", {"code": code_for(device, offset=1)}).status_code == 302
    assert client.get("/").status_code == 200


def test_an_administrator_without_a_device_must_enrol_first(org):
    client = Client()
    assert password_step(client, "admin").url == "/"
    for path in ("/", "/org/users/", "/me/password/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url == "/me/2fa/", path
    api = client.get("/api/me")
    assert api.status_code == 403 and api.json()["code"] == "otp_required"
    assert client.get("/me/2fa/").status_code == 200
    device = TOTPDevice.objects.get(user=org.admin)
    client.post("/me/2fa/", {"code": code_for(device)})
    assert client.get("/").status_code == 200
    # Next login: the code is asked.
    again = Client()
    assert password_step(again, "admin").url == "/accounts/2fa/"


def test_others_are_asked_only_when_the_policy_says_so(org, sec_admin):
    client = Client()
    password_step(client, "rsj_handler")
    assert client.get("/").status_code == 200
    actions.do_update_policy(sec_admin, version=1, otp_for_everyone=True)
    assert client.get("/").url == "/me/2fa/"  # the open session too, at its next page
    fresh = Client()
    password_step(fresh, "rsj_handler")
    assert fresh.get("/").url == "/me/2fa/"


def test_wrong_codes_lock_the_account_like_wrong_passwords(org, sec_admin):
    actions.do_update_policy(sec_admin, version=1, lockout_failures=3)
    device, _codes = enrol(org.rsj_handler)
    client = Client()
    password_step(client, "rsj_handler")
    wrong = "000000" if code_for(device) != "000000" else "111111"
    for _ in range(2):
        assert client.post("/accounts/2fa/", {"code": wrong}).status_code == 200
    locked = client.post("/accounts/2fa/", {"code": wrong})
    assert locked.status_code == 429 and "暂时锁定" in locked.content.decode()
    assert Event.objects.filter(action="security.otp.verify_failed").count() == 3
    # The step is over; the password alone, even right, is refused while locked.
    assert client.get("/accounts/2fa/").url == "/accounts/login/"
    assert password_step(Client(), "rsj_handler").status_code == 429


def test_django_otp_throttles_repeated_failures(org, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device, _codes = enrol(org.rsj_handler)
    client = Client()
    password_step(client, "rsj_handler")
    client.post("/accounts/2fa/", {"code": "000000" if code_for(device) != "000000" else "111111"})
    # Within the throttle delay even the right code is refused.
    refused = client.post("/accounts/2fa/", {"code": code_for(device, offset=1)})
    assert refused.status_code == 200 and client.get("/").status_code == 302


def test_the_second_step_expires_and_needs_the_password_step(org, monkeypatch):
    device, _codes = enrol(org.rsj_handler)
    client = Client()
    assert client.get("/accounts/2fa/").url == "/accounts/login/"  # no password step
    password_step(client, "rsj_handler")
    import fengping.security.views as views

    real = views.time.time
    monkeypatch.setattr(views.time, "time", lambda: real() + views.PENDING_SECONDS + 1)
    assert client.post("/accounts/2fa/", {"code": code_for(device, 1)}).url == "/accounts/login/"


def test_the_security_admin_resets_a_lost_phone(org, sec_admin, login):
    enrol(org.rsj_handler)
    client = login(sec_admin)
    listing = client.get("/security/second-factor/").content.decode()
    assert "rsj_handler" in listing
    url = f"/security/second-factor/{org.rsj_handler.pk}/reset/"
    confirm = client.get(url)
    assert confirm.status_code == 200 and "确定重置“rsj_handler”" in confirm.content.decode()
    assert TOTPDevice.objects.filter(user=org.rsj_handler).exists()
    assert client.post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=org.rsj_handler).exists()
    assert not StaticDevice.objects.filter(user=org.rsj_handler).exists()
    event = Event.objects.get(action="security.otp.reset")
    assert event.actor_id == sec_admin.pk and event.object_id == str(org.rsj_handler.pk)
    # The user logs in with the password alone again (not an administrator).
    fresh = Client()
    assert password_step(fresh, "rsj_handler").url == "/"
    with pytest.raises(ActionError):
        actions.do_reset_second_factor(sec_admin, org.rsj_handler)  # nothing left to reset


def test_reset_refused_for_others_for_oneself_and_outside_the_scope(
    org, sec_admin, zjj_sec_admin, login
):
    enrol(org.rsj_handler)
    enrol(sec_admin)
    url = f"/security/second-factor/{org.rsj_handler.pk}/reset/"
    for user in (org.admin, org.rsj_head):
        assert login(user).post(url).status_code == 403
        with pytest.raises(PermissionDenied):
            actions.do_reset_second_factor(user, org.rsj_handler)
    # A 安全管理员 of 住建局 does not see 人社局's people.
    assert login(zjj_sec_admin).post(url).status_code == 404
    with pytest.raises(ActionError) as refused:
        actions.do_reset_second_factor(sec_admin, sec_admin)
    assert "不能重置自己的" in refused.value.message
    own = login(sec_admin).post(f"/security/second-factor/{sec_admin.pk}/reset/")
    assert own.status_code == 302
    assert TOTPDevice.objects.filter(user=sec_admin).exists()
    assert TOTPDevice.objects.filter(user=org.rsj_handler).exists()
    assert not Event.objects.filter(action="security.otp.reset").exists()


def test_enrolling_twice_or_without_a_device_is_refused(org):
    with pytest.raises(ActionError):
        actions.do_enrol_totp(org.rsj_handler, "123456")  # no device started
    enrol(org.rsj_handler)
    with pytest.raises(ActionError):
        actions.start_enrolment(org.rsj_handler)
    with pytest.raises(ActionError):
        actions.do_enrol_totp(org.rsj_handler, "123456")


def test_the_next_parameter_survives_the_second_step(org):
    device, _codes = enrol(org.rsj_handler)
    client = Client()
    client.post(
        "/accounts/login/?next=/me/",
        {"username": "rsj_handler", "password": PASSWORD, "next": "/me/"},
    )
    assert client.post("/accounts/2fa/", {"code": code_for(device, 1)}).url == "/me/"
    evil = Client()
    evil.post(
        "/accounts/login/",
        {"username": "rsj_handler", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert evil.post("/accounts/2fa/", {"code": code_for(device, 2)}).url == "/"
