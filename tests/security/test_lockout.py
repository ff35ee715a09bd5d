"""Lockout and idle timeout follow the policy; the 安全管理员 lists and lifts lockouts."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied
from django.test import Client

from fengping.audit.models import Event
from fengping.core.errors import ActionError
from fengping.security import actions
from tests.conftest import settled

from .conftest import password_step


def _lock_out(username="rsj_handler", times=3):
    client = Client()
    for _ in range(times):
        response = password_step(client, username, "wrong")
    return client, response


def test_the_lockout_follows_the_policy(org, sec_admin):
    actions.do_update_policy(sec_admin, version=1, lockout_failures=3, lockout_minutes=30)
    client, response = _lock_out(times=3)
    assert response.status_code == 429
    body = password_step(client, "rsj_handler").content.decode()
    assert "暂时锁定" in body and "请 30 分钟后再试" in body


def test_two_failures_do_not_lock_under_a_limit_of_three(org, sec_admin):
    actions.do_update_policy(sec_admin, version=1, lockout_failures=3)
    client, response = _lock_out(times=2)
    assert response.status_code == 200
    assert password_step(client, "rsj_handler").status_code == 302


def test_the_security_admin_lists_and_lifts_a_lockout(org, sec_admin, login):
    actions.do_update_policy(sec_admin, version=1, lockout_failures=3)
    client, _response = _lock_out(times=3)
    attempt = AccessAttempt.objects.get(username="rsj_handler")
    page = login(sec_admin)
    listing = page.get("/security/lockouts/").content.decode()
    assert "rsj_handler" in listing and "已锁定" in listing
    confirm = page.get(f"/security/lockouts/{attempt.pk}/unlock/")
    assert confirm.status_code == 200 and "确定解除“rsj_handler”" in confirm.content.decode()
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()  # nothing before the POST
    done = page.post(f"/security/lockouts/{attempt.pk}/unlock/")
    assert done.status_code == 302 and not AccessAttempt.objects.exists()
    event = Event.objects.get(action="security.lockout.unlock")
    assert event.before["username"] == "rsj_handler" and event.actor_id == sec_admin.pk
    assert password_step(client, "rsj_handler").status_code == 302  # may log in again
    with pytest.raises(ActionError):
        actions.do_unlock(sec_admin, attempt.pk)  # twice: gone


def test_others_may_not_list_or_lift_lockouts(org, login):
    _lock_out(times=5)
    attempt = AccessAttempt.objects.get()
    for user in (org.admin, org.rsj_head):
        client = login(user)
        assert client.get("/security/lockouts/").status_code == 403
        assert client.post(f"/security/lockouts/{attempt.pk}/unlock/").status_code == 403
        with pytest.raises(PermissionDenied):
            actions.do_unlock(user, attempt.pk)
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_the_idle_timeout_follows_the_policy(org, sec_admin, login, monkeypatch):
    actions.do_update_policy(sec_admin, version=1, idle_minutes=10)
    clock = [1_000_000.0]
    monkeypatch.setattr("fengping.core.middleware.time.time", lambda: clock[0])
    client = login(org.rsj_handler)
    assert client.get("/").status_code == 200
    clock[0] += 9 * 60  # active within the timeout: still signed in, and refreshed
    assert client.get("/").status_code == 200
    clock[0] += 9 * 60
    assert client.get("/").status_code == 200
    clock[0] += 10 * 60 + 1  # idle past the policy's 10 minutes
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert client.get("/api/me").status_code == 401


def test_the_api_lists_and_lifts_lockouts_of_the_admins_own_accounts_only(org, login):
    """The API twins of the lockout page: the 安全管理员 of 示范市 sees and lifts the
    lockout of one of its accounts; one of another organisation neither sees nor lifts it."""
    from axes.models import AccessAttempt

    from fengping.org import actions as org_actions
    from fengping.org.models import DepartmentKind, Role
    from tests.conftest import security_admin

    mine = security_admin(org)
    other_org = org_actions.do_create_department(
        org.superuser, name="邻县", code="LX", kind=DepartmentKind.DECIDING
    )
    theirs, _ = org_actions.do_create_user(
        org.superuser,
        username="lx_security",
        real_name="邻县安全管理员",
        department=other_org,
        role=Role.SECURITY_ADMIN,
        password="Test-password-2026",
    )
    settled(theirs)
    attempt = AccessAttempt.objects.create(
        username="zjj_handler",
        ip_address="10.0.0.9",
        failures_since_start=5,
        user_agent="",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
    )
    outsider = login(theirs)
    assert outsider.get("/api/security/lockouts").json() == []
    refused = outsider.post(f"/api/security/lockouts/{attempt.pk}/unlock")
    assert refused.status_code == 400 and AccessAttempt.objects.filter(pk=attempt.pk).exists()
    client = login(mine)
    listed = client.get("/api/security/lockouts").json()
    assert [r["username"] for r in listed] == ["zjj_handler"]
    done = client.post(f"/api/security/lockouts/{attempt.pk}/unlock")
    assert done.status_code == 200, done.content
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    for reader in (org.rsj_head, org.admin):
        assert login(reader).get("/api/security/lockouts").status_code == 403
