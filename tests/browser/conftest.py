"""The headless Chromium every browser flow drives (one per test, against the live
server), and the helpers the flows share: signing in and reading a page's body."""

from __future__ import annotations

import os

import pytest

from tests.conftest import PASSWORD

from .test_login_flow import CHROMIUM


@pytest.fixture
def browser(live_server):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        b.base = live_server.url
        yield b
        b.close()


def log_in(browser, username, errors):
    """A fresh browser context (its own cookies) logged in as `username`; console
    errors go to `errors`."""
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(browser.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/accounts/login/"))
    if page.url.endswith("/accounts/2fa/"):
        page.fill("#id_code", next_code(username))
        page.click("button[type=submit]")
    page.wait_for_url(browser.base + "/")
    return page


def totp_code(secret_b32: str, step_offset: int = 0) -> str:
    """What an authenticator app shows for the secret (django_otp.oath.totp)."""
    from base64 import b32decode

    from django_otp.oath import totp

    return f"{totp(b32decode(secret_b32), drift=step_offset):06d}"


def next_code(username: str) -> str:
    """A code of the user's authenticator not used yet: the current step's, or the next
    one when this step's code was already used (a second login within 30 seconds)."""
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    clock = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    clock.time = time.time()
    offset = max(0, device.last_t + 1 - clock.t())
    clock.drift = device.drift + offset
    return f"{clock.token():06d}"


def body(page):
    return page.locator(".page-body").inner_text()
