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
    page.wait_for_url(browser.base + "/")
    return page


def body(page):
    return page.locator(".page-body").inner_text()
