"""An administrator signs in for the first time, is sent to enrol an authenticator (a QR
code and the secret as text), confirms with a code, sees ten recovery codes once, and
next time signs in with the password and a code."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

from .conftest import next_code, totp_code
from .test_login_flow import HAVE_CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason="需要 Chromium / needs Chromium"),
]


def _password_step(browser, username, errors):
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(browser.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    return page


@pytest.mark.django_db(transaction=True)
def test_enrol_then_sign_in_with_a_code(browser, org):
    errors: list[str] = []
    page = _password_step(browser, "admin", errors)
    page.wait_for_url(browser.base + "/me/2fa/")
    assert page.locator("#otp-qr svg").count() == 1
    secret = page.locator("#otp-secret").inner_text().strip()
    page.fill("#id_code", "12345")  # a wrong code: refused with a message
    page.click("#otp-submit")
    assert "验证码不正确" in page.locator(".page-body").inner_text()
    page.fill("#id_code", totp_code(secret))
    page.click("#otp-submit")
    page.wait_for_url(browser.base + "/me/2fa/")
    assert page.locator("#recovery-codes .recovery-code").count() == 10
    page.goto(browser.base + "/")
    assert page.url == browser.base + "/"
    page.goto(browser.base + "/me/2fa/")
    assert page.locator("#recovery-codes").count() == 0  # shown once

    # A new browser: the password, then a code.
    second = _password_step(browser, "admin", errors)
    second.wait_for_url(browser.base + "/accounts/2fa/")
    second.fill("#id_code", next_code("admin"))
    second.click("button[type=submit]")
    second.wait_for_url(browser.base + "/")
    assert errors == []  # no console errors: the QR code's SVG passes the CSP
