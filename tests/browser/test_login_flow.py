"""Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright): a person logs
in, sees the Chinese home page, opens a department, and switches to English."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = os.path.exists(CHROMIUM)

if not HAVE_CHROMIUM and os.environ.get("FENGPING_REQUIRE_BROWSER"):
    raise RuntimeError(
        "FENGPING_REQUIRE_BROWSER is set but Chromium is missing: apt-get install chromium"
    )

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not HAVE_CHROMIUM,
        reason="需要 Chromium / needs Chromium: sudo apt-get install chromium fonts-noto-cjk",
    ),
]


@pytest.fixture
def page(live_server):
    # Playwright runs an event loop in this thread; Django's ORM calls from the test
    # itself (fixtures) are synchronous and safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        pg = browser.new_page(locale="en-US")
        errors = []
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.base = live_server.url
        pg.console_errors = errors
        yield pg
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_login_and_chinese_home(page, org):
    page.goto(page.base + "/")
    assert "/accounts/login/" in page.url
    assert page.locator("h2").inner_text() == "登录您的账号"
    page.fill("#id_username", "rsj_handler")
    page.fill("#id_password", "Test-password-2026")
    page.click("button[type=submit]")
    page.wait_for_url(page.base + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "可见部门" in page.content()
    # The sidebar is visible and navigates.
    page.click("aside >> text=部门")
    page.wait_for_url("**/org/departments/")
    page.click("text=养老保险科")
    assert page.locator("h2.page-title").inner_text().startswith("养老保险科")
    # The language switch (a select that submits itself through app.js).
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.console_errors == []


@pytest.mark.django_db(transaction=True)
def test_htmx_search_filters_users(page, org):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .conftest import next_code

    # An administrator signs in with a second factor (tests/browser/test_second_factor_flow.py).
    TOTPDevice.objects.create(user=org.admin, name="phone", confirmed=True)
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "Test-password-2026")
    page.click("button[type=submit]")
    page.wait_for_url(page.base + "/accounts/2fa/")
    page.fill("#id_code", next_code("admin"))
    page.click("button[type=submit]")
    page.wait_for_url(page.base + "/")
    page.goto(page.base + "/org/users/")
    page.fill("input[name=q]", "zjj")
    page.wait_for_function(
        "() => !document.querySelector('#results').innerText.includes('rsj_handler')"
    )
    assert "zjj_handler" in page.locator("#results").inner_text()
    assert page.console_errors == []
