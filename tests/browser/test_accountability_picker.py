"""The people picker of the 责任追究决定 form in headless Chromium: the search is off until
a department is chosen; choosing 人社局 lists its people, typing narrows them, choosing one
turns the free-text name off, and the decision is recorded against that user — with no
console error (the page's Content-Security-Policy allows no inline script or style)."""

import datetime as dt

import pytest
from django.utils import timezone

from fengping.org import actions as org_actions
from fengping.supervision.actions import incidents as actions
from fengping.supervision.models import AccountabilityDecision
from tests.conftest import PASSWORD, settled

from .conftest import log_in
from .test_login_flow import HAVE_CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not HAVE_CHROMIUM,
        reason="需要 Chromium / needs Chromium: apt-get install chromium fonts-noto-cjk",
    ),
]


@pytest.mark.django_db(transaction=True)
def test_choose_the_person_held_accountable(browser, org):
    zhang, _ = org_actions.do_create_user(
        org.superuser,
        username="zhangwei",
        real_name="张伟",
        department=org.rsj,
        role="handler",
        password=PASSWORD,
    )
    settled(zhang)
    incident = actions.do_record_incident(
        org.supervisor,
        office=org.wwb,
        kind="mass",
        title="养老金调整引发集体上访",
        occurred_at=timezone.now() - dt.timedelta(days=1),
        description="退休职工聚集",
    )
    errors = []
    page = log_in(browser, "supervisor", errors)
    page.goto(f"{browser.base}/supervision/incidents/{incident.pk}/accountability/new/")
    search = page.locator("input[data-picker-search=person]")
    assert search.is_disabled()
    page.select_option("#id_department", str(org.rsj.pk))
    # (Waiting by selector: the page's CSP refuses the eval behind wait_for_function.)
    page.wait_for_selector(f"#id_person option[value='{zhang.pk}']", state="attached")
    listed = page.locator("#id_person option").all_inner_texts()
    assert "张伟（zhangwei）" in listed and "rsj_head（rsj_head）" in listed
    assert not any("zjj_handler" in text for text in listed)
    search.fill("张")
    page.wait_for_selector(f"#id_person option[value='{org.rsj_head.pk}']", state="detached")
    assert page.locator("#id_person option").all_inner_texts() == ["（未选择）", "张伟（zhangwei）"]
    page.select_option("#id_person", str(zhang.pk))
    assert page.locator("#id_person_name").is_disabled()
    page.select_option("#id_person_role", "direct")
    page.fill("#id_doc_number", "示维稳〔2026〕8号")
    page.fill("#id_decided_on", timezone.localdate().isoformat())
    page.fill("#id_reason", "评估流于形式")
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"{browser.base}/supervision/incidents/{incident.pk}/")
    decision = AccountabilityDecision.objects.get()
    assert (decision.person_id, decision.person_name) == (zhang.pk, "张伟")
    assert errors == []
