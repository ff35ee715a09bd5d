"""The audit log page: filters by action label, object type and id, actor (username or
real name) and dates; actors shown by real name; the chain's verification status at the
top, verified now by the 审计管理员 (intact, then broken after a row is tampered). The
审计管理员 reads the log, here the 系统管理员's changes (三员分立)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from fengping.audit import labels
from fengping.audit.jobs import audit_verify
from fengping.audit.models import ChainCheck, Event
from fengping.desk import audit_views
from fengping.org import actions
from tests.conftest import audit_admin

URL = "/audit/"


@pytest.fixture
def chain(org):
    rename(org, "人力资源和社会保障局", 1)
    org.auditor = audit_admin(org)
    return org


def rename(org, name, version):
    actions.do_update_department(
        org.admin,
        org.rsj,
        version=version,
        name=name,
        code="RSJ",
        kind=org.rsj.kind,
        parent=org.root,
        is_active=True,
    )


def rows(html):
    body = html.split("<tbody", 1)[1] if "<tbody" in html else ""
    return body.count("<tr")


def test_every_action_shows_its_chinese_label_and_the_actor_by_name(chain, login):
    html = login(chain.auditor).get(URL).content.decode()
    for event in Event.objects.all():
        assert labels.label(event.action) != event.action, event.action  # a label exists
    assert "修改部门" in html or labels.label("org.department.update") in html
    assert chain.admin.real_name in html


def test_the_action_filter_lists_every_label_with_its_code(chain, login):
    options = dict(audit_views.action_options())
    assert options["org.department.update"] == (
        f"{labels.label('org.department.update')} (org.department.update)"
    )
    assert set(options) == set(labels.known())
    client = login(chain.auditor)
    html = client.get(URL + "?action=org.department.update").content.decode()
    assert rows(html) == Event.objects.filter(action="org.department.update").count() == 1
    assert "人力资源和社会保障局" in html


def test_filter_by_object_type_and_id(chain, login):
    client = login(chain.auditor)
    html = client.get(f"{URL}?type=org.department&object_id={chain.rsj.pk}").content.decode()
    expected = Event.objects.filter(object_type="org.department", object_id=str(chain.rsj.pk))
    assert rows(html) == expected.count() >= 2
    assert ("org.department", "部门 (org.department)") in [
        (k, v) for k, v in audit_views.object_type_options() if k == "org.department"
    ] or any(k == "org.department" for k, _v in audit_views.object_type_options())


def test_filter_by_actor_username_or_real_name(chain, login):
    client = login(chain.auditor)
    by_name = client.get(URL + "?actor=" + chain.admin.real_name).content.decode()
    by_username = client.get(URL + "?actor=admin").content.decode()
    expected = Event.objects.filter(actor_id=chain.admin.pk).count()
    assert rows(by_name) == rows(by_username) == expected >= 1
    assert rows(client.get(URL + "?actor=没有这个人").content.decode()) == 0


def test_filter_by_dates(chain, login):
    client = login(chain.auditor)
    today = timezone.localdate()
    inside = client.get(f"{URL}?at_from={today}&at_to={today}").content.decode()
    assert rows(inside) == audit_views.visible_events(chain.auditor).count() > 5
    later = today + dt.timedelta(days=2)
    assert rows(client.get(f"{URL}?at_from={later}").content.decode()) == 0


def test_verification_status_intact_then_broken(chain, login):
    client = login(chain.auditor)
    html = client.get(URL).content.decode()
    assert "尚未校验" in html and 'id="chain-verify"' in html
    response = client.post(URL + "verify/")
    assert response.status_code == 302
    check = ChainCheck.objects.get()
    assert check.ok and check.checked == Event.objects.count()
    assert Event.objects.filter(action="audit.chain.verify", actor_id=chain.auditor.pk).exists()
    html = client.get(URL).content.decode()
    assert "审计链完好" in html
    with connection.cursor() as c:
        table = connection.ops.quote_name(Event._meta.db_table)
        c.execute(f"UPDATE {table} SET object_repr = %s WHERE seq = %s", ["篡改", 2])
    client.post(URL + "verify/")
    check = ChainCheck.objects.first()
    assert check.ok is False and check.broken_seq == 2
    html = client.get(URL).content.decode()
    assert "审计链断裂于事件 #2" in html


def test_the_daily_job_keeps_its_result(chain):
    assert audit_verify().endswith("events intact")
    check = ChainCheck.objects.get()
    assert check.trigger == "tick" and check.ok and check.actor_name == "system"


def test_the_daily_job_hands_a_long_log_to_the_job_worker(chain, settings):
    """At a million events hashing is the cost: the tick queues the verification and
    returns; the job worker's run keeps the result, which the home page shows."""
    from fengping.audit.checks import verify_in_background

    settings.FENGPING_AUDIT_VERIFY_INLINE = 1
    detail = audit_verify()
    check = ChainCheck.objects.get()
    assert "job worker" in detail and check.trigger == "tick"
    if check.ok is None:  # queued (the database backend): run the job as the worker does
        assert verify_in_background.call(check.pk) is True
        check.refresh_from_db()
    assert check.ok is True and check.checked == Event.objects.count()


def test_only_the_audit_admin_verifies(chain, login, api):
    html = login(chain.supervisor).get(URL).content.decode()
    assert "审计链" in html and 'id="chain-verify"' not in html
    assert login(chain.supervisor).post(URL + "verify/").status_code == 403
    assert api(chain.supervisor)("post", "/audit/chain/verify").status_code == 403
    # 三员分立: the 系统管理员 neither reads nor verifies the log.
    assert login(chain.admin).post(URL + "verify/").status_code == 403
    assert api(chain.admin)("post", "/audit/chain/verify").status_code == 403
    assert api(chain.admin)("get", "/audit/chain").status_code == 403
    assert not ChainCheck.objects.exists()
    response = api(chain.auditor)("post", "/audit/chain/verify")
    assert response.status_code == 200 and response.json()["ok"] is True
    state = api(chain.supervisor)("get", "/audit/chain").json()
    assert state["last"]["ok"] is True and state["head_seq"] == Event.objects.count()
    assert api(chain.rsj_handler)("get", "/audit/chain").status_code == 403


def test_a_long_log_is_verified_by_the_worker(chain, login, settings):
    settings.FENGPING_AUDIT_VERIFY_INLINE = 1
    client = login(chain.auditor)
    response = client.post(URL + "verify/", follow=True)
    assert "后台任务" in response.content.decode()
    # the tests run jobs immediately (or leave them queued): either way a result or a
    # pending check is shown, and a second request while one waits is refused
    check = ChainCheck.objects.get()
    if check.ok is None:
        again = client.post(URL + "verify/", follow=True).content.decode()
        assert "已有一次校验" in again


def test_the_list_query_count_is_constant(chain, login, django_assert_max_num_queries):
    client = login(chain.auditor)
    client.get(URL)
    for n in range(30):
        rename(chain, f"人社局{n}", n + 2)
    with django_assert_max_num_queries(14):
        assert client.get(URL + "?actor=admin&type=org.department").status_code == 200
