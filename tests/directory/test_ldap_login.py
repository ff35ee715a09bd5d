"""Login through the real login page against a real slapd (conftest.slapd)."""

from __future__ import annotations

import time

import pytest

from fengping.audit.models import Event
from fengping.directory.models import DirectoryAccount, DirectoryGrant
from fengping.org import actions as org_actions
from fengping.org.models import Membership, Role, User
from tests.conftest import PASSWORD

from .conftest import BASE

pytestmark = pytest.mark.django_db

DOWN_MESSAGE = "目录服务器无法连接"
ZHANGSAN_DN = f"uid=zhangsan,ou=people,{BASE}"


def post_login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def roles(user):
    return sorted((m.department.code, m.role) for m in Membership.objects.filter(user=user))


def test_directory_user_logs_in_and_gets_mapped_memberships(org, ldap_directory, client):
    response = post_login(client, "zhangsan", "zhangsan-pw-2026")
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="zhangsan")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user.real_name == "张三"
    assert user.email == "zhangsan@example.gov.cn"
    assert user.phone == "13800000001"
    assert user.position == "科员"
    assert not user.has_usable_password()
    assert not user.must_change_password
    # The group DN in the file differs in case from the directory's: DNs compare without
    # case. The `elsewhere` group maps to an unknown department: skipped.
    assert roles(user) == [("RSJ", Role.HANDLER), ("ZJJ", Role.ASSESSOR)]
    account = DirectoryAccount.objects.get(user=user)
    assert (account.source, account.external_id) == ("ldap", ZHANGSAN_DN)
    event = Event.objects.filter(action="directory.sync", object_id=str(user.pk)).get()
    assert event.before is None
    assert event.after["created"] is True
    assert event.after["roles"] == ["RSJ:handler", "ZJJ:assessor"]

    # The home page opens as that user.
    assert client.get("/").status_code == 200

    # The same login again changes nothing and records nothing.
    client.logout()
    assert post_login(client, "zhangsan", "zhangsan-pw-2026").status_code == 302
    assert Event.objects.filter(action="directory.sync").count() == 1


def test_group_removed_in_directory_removes_only_that_membership(
    org, ldap_directory, slapd, client
):
    import ldap

    assert post_login(client, "zhangsan", "zhangsan-pw-2026").status_code == 302
    user = User.objects.get(username="zhangsan")
    # An administrator grants a role locally; the directory never takes it away.
    local = org_actions.do_add_membership(org.admin, user, org.wwb, Role.HANDLER)
    # … and one the directory also gives, granted locally first, stays local.
    assert roles(user) == [("RSJ", "handler"), ("WWB", "handler"), ("ZJJ", "assessor")]

    group = f"cn=zjj-assessors,ou=groups,{BASE}"
    slapd.modify(group, [(ldap.MOD_DELETE, "member", [ZHANGSAN_DN.encode()])])
    try:
        client.logout()
        assert post_login(client, "zhangsan", "zhangsan-pw-2026").status_code == 302
        assert roles(user) == [("RSJ", "handler"), ("WWB", "handler")]
        assert Membership.objects.filter(pk=local.pk).exists()
        assert not DirectoryGrant.objects.filter(membership=local).exists()
        event = Event.objects.filter(action="directory.sync").order_by("-seq").first()
        assert event.before["roles"] == ["RSJ:handler", "WWB:handler", "ZJJ:assessor"]
        assert event.after["roles"] == ["RSJ:handler", "WWB:handler"]
        assert event.after["removed"] == ["ZJJ:assessor"]
    finally:
        slapd.modify(group, [(ldap.MOD_ADD, "member", [ZHANGSAN_DN.encode()])])
    client.logout()
    assert post_login(client, "zhangsan", "zhangsan-pw-2026").status_code == 302
    assert roles(user) == [("RSJ", "handler"), ("WWB", "handler"), ("ZJJ", "assessor")]


def test_local_membership_equal_to_a_mapped_one_is_never_removed(
    org, ldap_directory, slapd, client
):
    import ldap

    user = User.objects.create(username="lisi")
    user.set_unusable_password()
    user.save()
    DirectoryAccount.objects.create(
        user=user,
        source="ldap",
        external_id=f"uid=lisi,ou=people,{BASE}",
        last_sync="2026-01-01T00:00Z",
    )
    local = Membership.objects.create(user=user, department=org.rsj, role=Role.HANDLER)
    group = f"cn=rsj-handlers,ou=groups,{BASE}"
    slapd.modify(group, [(ldap.MOD_DELETE, "member", [f"uid=lisi,ou=people,{BASE}".encode()])])
    try:
        assert post_login(client, "lisi", "lisi-pw-2026").status_code == 302
    finally:
        slapd.modify(group, [(ldap.MOD_ADD, "member", [f"uid=lisi,ou=people,{BASE}".encode()])])
    assert Membership.objects.filter(pk=local.pk).exists()


def test_wrong_password_is_refused(org, ldap_directory, client):
    response = post_login(client, "zhangsan", "not-the-password")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(username="zhangsan").exists()
    # An empty password is no anonymous bind.
    assert post_login(client, "zhangsan", "").status_code == 200
    assert "_auth_user_id" not in client.session


def test_locally_deactivated_user_is_refused(org, ldap_directory, client):
    assert post_login(client, "zhangsan", "zhangsan-pw-2026").status_code == 302
    user = User.objects.get(username="zhangsan")
    client.logout()
    User.objects.filter(pk=user.pk).update(is_active=False)
    before = roles(user)
    response = post_login(client, "zhangsan", "zhangsan-pw-2026")
    assert response.status_code == 200
    assert "该账户已停用" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert roles(user) == before


def test_directory_user_cannot_use_the_local_form_password(org, ldap_directory, client, settings):
    """The local row has an unusable password: only the directory can let them in."""
    assert post_login(client, "zhangsan", "zhangsan-pw-2026").status_code == 302
    client.logout()
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert post_login(client, "zhangsan", "zhangsan-pw-2026").status_code == 200
    assert "_auth_user_id" not in client.session


def test_directory_entry_named_like_a_local_administrator_is_refused(org, ldap_directory, client):
    admin = User.objects.get(username="admin")
    password_hash = admin.password
    response = post_login(client, "admin", "admin-dir-pw-2026")
    assert response.status_code == 200
    assert "是本地管理员账户" in response.content.decode()
    assert "_auth_user_id" not in client.session
    admin.refresh_from_db()
    assert admin.password == password_hash
    assert not DirectoryAccount.objects.filter(user=admin).exists()
    assert roles(admin) == [("SFS", Role.ADMIN)]
    # The administrator's own local password still works.
    assert post_login(client, "admin", PASSWORD).status_code == 302


def test_local_account_name_collision(org, ldap_directory, settings, client, tmp_path):
    """A local (non-administrator) account is refused by default; with
    adopt_local_users it is linked, its local password voided."""
    response = post_login(client, "rsj_handler", "handler-dir-pw-2026")
    assert "已是本地账户" in response.content.decode()
    assert "_auth_user_id" not in client.session

    from fengping.directory import config

    from .conftest import apply_directory, ldap_yaml

    path = tmp_path / "adopt.yaml"
    path.write_text(
        ldap_yaml(settings.AUTH_LDAP_SERVER_URI, extra="  adopt_local_users: true\n"),
        encoding="utf-8",
    )
    apply_directory(settings, config.load(path))
    assert post_login(client, "rsj_handler", "handler-dir-pw-2026").status_code == 302
    user = User.objects.get(username="rsj_handler")
    assert not user.has_usable_password()
    assert DirectoryAccount.objects.filter(user=user, source="ldap").exists()
    event = Event.objects.filter(action="directory.sync", object_id=str(user.pk)).get()
    assert event.after["adopted"] is True
    # Adoption never reaches an administrator.
    client.logout()
    assert "是本地管理员账户" in post_login(client, "admin", "admin-dir-pw-2026").content.decode()


def test_directory_down_local_administrator_still_logs_in(
    org, ldap_directory, slapd, client, caplog
):
    slapd.stop()
    try:
        started = time.monotonic()
        response = post_login(client, "zhangsan", "zhangsan-pw-2026")
        assert time.monotonic() - started < 10
        page = response.content.decode()
        assert response.status_code == 200
        assert DOWN_MESSAGE in page
        assert "管理员可使用本地账户登录" in page
        assert "_auth_user_id" not in client.session
        assert any("LDAP directory unreachable" in r.getMessage() for r in caplog.records)

        response = post_login(client, "admin", PASSWORD)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(org.admin.pk)
    finally:
        slapd.start()
    client.logout()
    assert post_login(client, "zhangsan", "zhangsan-pw-2026").status_code == 302


def test_unreachable_port_is_bounded_by_the_timeout(org, settings, client, tmp_path, monkeypatch):
    """A host that never answers (a blackholed address) costs the configured timeout."""
    from fengping.directory import config

    from .conftest import SERVICE_PW, apply_directory, ldap_yaml, require_ldap

    require_ldap()
    monkeypatch.setenv("TEST_FENGPING_LDAP_PW", SERVICE_PW)
    path = tmp_path / "d.yaml"
    # 192.0.2.0/24 is TEST-NET-1: never routed, so the connect waits for the timeout.
    path.write_text(ldap_yaml("ldap://192.0.2.1:389").replace("timeout: 2", "timeout: 1"))
    apply_directory(settings, config.load(path))
    started = time.monotonic()
    response = post_login(client, "zhangsan", "zhangsan-pw-2026")
    assert time.monotonic() - started < 8
    assert DOWN_MESSAGE in response.content.decode()


def test_fengping_check_lines_both_ways(org, ldap_directory, slapd, capsys):
    from fengping.cli import _check

    _check(None)
    out = capsys.readouterr().out
    assert f"✓ LDAP 可连接，绑定成功 / LDAP reachable, bind OK: {slapd.uri}" in out
    assert "! 目录配置 groups[2].department：部门编码 NOPE 不存在" in out
    slapd.stop()
    try:
        assert _check(None) == 1
        out = capsys.readouterr().out
        assert (
            f"✗ LDAP 目录不可用 / LDAP directory unusable: {slapd.uri}: Can't contact LDAP server"
            in out
        )
    finally:
        slapd.start()


def test_fengping_check_wrong_bind_password(org, ldap_directory, slapd, settings, capsys):
    from dataclasses import replace

    from fengping.directory.health import ldap_line

    status, text = ldap_line(replace(settings.FENGPING_DIRECTORY.ldap, bind_password="wrong"))
    assert status == "fail" and "Invalid credentials" in text
