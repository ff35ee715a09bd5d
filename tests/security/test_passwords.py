"""Passwords: complexity and history from the policy, the history kept on every way a
password is set, expiry forcing a change (page and API), the first login's change, and
directory accounts never asked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from fengping.core.errors import ActionError
from fengping.org import actions as org_actions
from fengping.org.models import Role
from fengping.security import actions, passwords
from fengping.security.models import PasswordHistory
from fengping.security.validators import ComplexityValidator, HistoryValidator, classes_in
from tests.conftest import PASSWORD


def test_character_classes():
    assert classes_in("abc") == 1
    assert classes_in("abcDEF") == 2
    assert classes_in("abcDEF12") == 3
    assert classes_in("abcDEF12!") == 4
    assert classes_in("密码abc1") == 3  # Chinese characters count as symbols


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Ab1!xyz", False),  # 7 characters
        ("abcdefgh", False),  # one class
        ("abcdefg1", False),  # two classes
        ("abcdEfg1", True),
        ("abcdefg1!", True),
    ],
)
def test_complexity_from_the_policy(db, password, ok):
    if ok:
        ComplexityValidator().validate(password)
    else:
        with pytest.raises(ValidationError):
            ComplexityValidator().validate(password)


def test_complexity_follows_a_stricter_policy(sec_admin):
    actions.do_update_policy(sec_admin, version=1, min_length=12, required_classes=4)
    with pytest.raises(ValidationError) as refused:
        ComplexityValidator().validate("abcdEfg1")
    messages = " ".join(refused.value.messages)
    assert "至少需要 12 个字符" in messages and "至少 4 类" in messages
    ComplexityValidator().validate("abcdEfg1!xyz")


def test_every_way_of_setting_a_password_keeps_the_history(org):
    user = org.rsj_handler
    assert PasswordHistory.objects.filter(user=user).count() == 1  # created with a password
    org_actions.do_reset_password(org.admin, user)
    assert PasswordHistory.objects.filter(user=user).count() == 2
    user.refresh_from_db()
    user.set_password("Another-pass-1")
    user.save()
    assert PasswordHistory.objects.filter(user=user).count() == 3
    newest = PasswordHistory.objects.filter(user=user).first()
    assert newest.password == user.password and "Another" not in newest.password


def test_the_last_five_passwords_are_refused_the_sixth_accepted(org):
    user = org.rsj_handler
    used = [PASSWORD]
    for n in range(5):
        org_actions.do_change_own_password(user, used[-1], f"Fresh-pass-{n}x")
        used.append(f"Fresh-pass-{n}x")
    assert PasswordHistory.objects.filter(user=user).count() == 5  # kept to the policy
    current = used[-1]
    for again in used[1:-1]:  # the four before the current one
        with pytest.raises(ActionError) as refused:
            org_actions.do_change_own_password(user, current, again)
        assert refused.value.message == "不能使用最近 5 次用过的密码"
    # The first one is six passwords back: allowed again.
    org_actions.do_change_own_password(user, current, PASSWORD)


def test_history_reuse_is_refused_on_the_page(org, login):
    client = login(org.rsj_handler)
    org_actions.do_change_own_password(org.rsj_handler, PASSWORD, "Second-pass-1")
    client = login(org.rsj_handler)
    response = client.post(
        "/me/password/",
        {
            "old_password": "Second-pass-1",
            "new_password1": PASSWORD,
            "new_password2": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "不能使用最近 5 次用过的密码" in response.content.decode()


def test_history_validator_alone(org):
    validator = HistoryValidator()
    with pytest.raises(ValidationError):
        validator.validate(PASSWORD, org.rsj_handler)
    validator.validate("Never-used-1", org.rsj_handler)
    validator.validate(PASSWORD, None)  # a user being created has no history


def _age(user, days):
    PasswordHistory.objects.filter(user=user).update(
        created_at=timezone.now() - timedelta(days=days)
    )


def test_an_expired_password_must_be_changed_before_anything(org, login):
    _age(org.rsj_handler, 91)
    client = login(org.rsj_handler)
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/me/password/"
    assert client.get("/me/password/").status_code == 200
    api = client.get("/api/me")
    assert api.status_code == 403 and api.json()["code"] == "password_expired"
    changed = client.post(
        "/me/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Renewed-pass-1",
            "new_password2": "Renewed-pass-1",
        },
    )
    assert changed.status_code == 302
    assert client.get("/").status_code == 200


def test_a_password_within_the_policy_is_not_expired(org, login):
    _age(org.rsj_handler, 89)
    assert login(org.rsj_handler).get("/").status_code == 200


def test_expiry_follows_the_policy(org, sec_admin, login):
    _age(org.rsj_handler, 31)
    assert login(org.rsj_handler).get("/").status_code == 200
    from fengping.security import actions as security_actions

    security_actions.do_update_policy(sec_admin, version=1, expiry_days=30)
    assert login(org.rsj_handler).get("/").status_code == 302


def test_directory_accounts_are_never_asked(org, login):
    user = org.rsj_handler
    user.set_unusable_password()
    user.save()
    _age(user, 400)
    assert not passwords.expired(user)
    assert login(user).get("/").status_code == 200


def test_a_generated_or_reset_password_is_changed_at_first_login(org, client):
    user, password = org_actions.do_create_user(
        org.admin, username="newbie", real_name="新人", department=org.rsj, role=Role.HANDLER
    )
    assert user.must_change_password
    response = client.post("/accounts/login/", {"username": "newbie", "password": password})
    assert response.status_code == 302
    assert client.get("/").url == "/me/password/"
    assert client.get("/api/me").json()["code"] == "password_change_required"
    temporary = org_actions.do_reset_password(org.admin, org.rsj_handler)
    other = type(client)()
    other.post("/accounts/login/", {"username": "rsj_handler", "password": temporary})
    assert other.get("/").url == "/me/password/"


def test_the_profile_shows_the_password_age_in_local_time(org, login):
    _age(org.rsj_handler, 10)
    body = login(org.rsj_handler).get("/me/").content.decode()
    expires = timezone.localtime(passwords.expires_at(org.rsj_handler)).date()
    assert "密码到期" in body and f"{expires.year}年{expires.month}月{expires.day}日" in body
    assert "双因素认证" in body and "未启用" in body


def test_temporary_passwords_always_pass_the_policy(sec_admin):
    from fengping.org.passwords import temporary_password

    for _ in range(200):
        password = temporary_password()
        assert classes_in(password) == 4 and len(password) == 16
        validate_password(password)
    actions.do_update_policy(sec_admin, version=1, min_length=20)
    assert len(temporary_password()) == 20


def test_imported_accounts_change_their_password_at_first_login(org, client):
    from tests.org.test_import import import_org_workbook, workbook

    data = workbook(
        [],
        [
            ["wang", "王五", "RSJ", "承办人", "", "", "", ""],
            ["zhao", "赵六", "RSJ", "承办人", "", "", "", "Strong-pass-2026"],
        ],
    )
    result = import_org_workbook(org.admin, data)
    assert result.status == "done", result.errors
    from fengping.org.models import User

    assert all(
        User.objects.filter(username__in=["wang", "zhao"]).values_list(
            "must_change_password", flat=True
        )
    )
    client.post("/accounts/login/", {"username": "zhao", "password": "Strong-pass-2026"})
    assert client.get("/").url == "/me/password/"
    # Counted from its creation (bulk import writes no history row): not expired.
    assert not passwords.expired(User.objects.get(username="zhao"))
