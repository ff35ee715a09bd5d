"""The security policy: only the 安全管理员 reads and changes it (page and API), never
below the level-3 floor, with optimistic locking, audited, and kept per process."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.security import actions
from fengping.security import policy as policies
from fengping.security.models import SecurityPolicy


def test_defaults_come_from_the_settings(db):
    policy = policies.current()
    assert (policy.min_length, policy.required_classes, policy.expiry_days) == (8, 3, 90)
    assert (policy.history_count, policy.lockout_failures, policy.lockout_minutes) == (5, 5, 15)
    assert policy.idle_minutes == 120 and policy.otp_for_everyone is False


def test_the_security_admin_changes_the_policy_and_it_is_audited(sec_admin):
    row = actions.do_update_policy(sec_admin, version=1, min_length=12, otp_for_everyone=True)
    assert row.version == 2 and policies.current().min_length == 12
    event = Event.objects.filter(action="security.policy.update").get()
    assert event.before["min_length"] == 8 and event.after["min_length"] == 12
    assert event.after["otp_for_everyone"] is True and event.actor_id == sec_admin.pk


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("min_length", 7, "密码最短长度不能小于 8"),
        ("required_classes", 2, "不能小于 3"),
        ("expiry_days", 0, "密码有效期（天）不能小于 1"),
        ("expiry_days", 91, "不能大于 90"),
        ("history_count", 4, "不能小于 5"),
        ("lockout_failures", 11, "不能大于 10"),
        ("lockout_minutes", 9, "不能小于 10"),
        ("idle_minutes", 121, "不能大于 120"),
    ],
)
def test_values_weaker_than_the_floor_are_refused(sec_admin, field, value, words):
    with pytest.raises(ActionError) as refused:
        actions.do_update_policy(sec_admin, version=1, **{field: value})
    assert words in refused.value.message and "等保三级" in refused.value.message
    assert refused.value.field == field
    assert not Event.objects.filter(action="security.policy.update").exists()


@pytest.mark.parametrize("persona", ["admin", "rsj_head"])
def test_others_may_not_change_it(org, persona):
    user = org.admin if persona == "admin" else org.rsj_head
    with pytest.raises(PermissionDenied):
        actions.do_update_policy(user, version=1, min_length=12)


def test_a_stale_version_is_refused(sec_admin):
    actions.do_update_policy(sec_admin, version=1, min_length=10)
    with pytest.raises(ActionError) as refused:
        actions.do_update_policy(sec_admin, version=1, min_length=12)
    assert refused.value.status == 409
    assert SecurityPolicy.objects.get().min_length == 10


def test_the_policy_is_read_once_per_process(sec_admin, django_assert_num_queries):
    policies.forget()
    with django_assert_num_queries(1):
        policies.current()
        policies.current()
    actions.do_update_policy(sec_admin, version=1, idle_minutes=30)
    assert policies.current().idle_minutes == 30  # this process forgot its copy at once


def test_the_page_is_for_the_security_admin_only(org, sec_admin, login):
    assert login(org.admin).get("/security/policy/").status_code == 403
    assert login(org.rsj_head).get("/security/policy/").status_code == 403
    client = login(sec_admin)
    page = client.get("/security/policy/")
    assert page.status_code == 200 and "密码最短长度" in page.content.decode()
    form = {
        "version": 1,
        "min_length": 6,
        "required_classes": 3,
        "expiry_days": 90,
        "history_count": 5,
        "lockout_failures": 5,
        "lockout_minutes": 15,
        "idle_minutes": 30,
    }
    refused = client.post("/security/policy/", form)
    body = refused.content.decode()
    assert refused.status_code == 200 and "密码最短长度不能小于 8（等保三级要求）" in body
    assert 'value="30"' in body  # nothing typed is lost
    done = client.post("/security/policy/", {**form, "min_length": 10})
    assert done.status_code == 302 and policies.current().min_length == 10


def test_the_api(org, sec_admin, api):
    assert api(org.admin)("get", "/security/policy").status_code == 403
    assert api(org.rsj_head)("put", "/security/policy", {"version": 1}).status_code == 403
    call = api(sec_admin)
    got = call("get", "/security/policy")
    assert got.status_code == 200 and got.json()["min_length"] == 8 and got.json()["version"] == 1
    weak = call("put", "/security/policy", {"version": 1, "history_count": 3})
    assert weak.status_code == 400 and "不能小于 5" in weak.json()["detail"]
    ok = call("put", "/security/policy", {"version": 1, "history_count": 8})
    assert ok.status_code == 200 and ok.json()["history_count"] == 8 and ok.json()["version"] == 2
    stale = call("put", "/security/policy", {"version": 1, "history_count": 9})
    assert stale.status_code == 409


def test_a_weak_environment_value_stops_start_up():
    from fengping import conf

    conf.security_floor({"min_length": 8, "idle_minutes": 120, "otp_for_everyone": False})
    with pytest.raises(conf.ConfigError) as refused:
        conf.security_floor({"min_length": 8, "idle_minutes": 480})
    assert "FENGPING_SESSION_IDLE_MINUTES=480" in str(refused.value)
    assert "1–120" in str(refused.value)
