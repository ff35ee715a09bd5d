"""The organisation's pages each have an API twin: users, roles, passwords, leadership groups."""

import pytest

from fengping.api.tokens import do_create_token
from fengping.org import actions
from fengping.org.models import Department, LeadershipMember, Membership, User


@pytest.fixture
def admin(org):
    _row, token = do_create_token(org.admin, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _json(client, method, url, auth, body=None):
    return getattr(client, method)(url, body or {}, content_type="application/json", **auth)


def test_create_user_returns_the_temporary_password_once(org, client, admin):
    response = _json(
        client,
        "post",
        "/api/users",
        admin,
        {"username": "wangwu", "real_name": "王五", "department_id": org.rsj.pk, "role": "handler"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get(username="wangwu")
    assert user.must_change_password and user.check_password(body["temporary_password"])
    assert [m["role"] for m in body["memberships"]] == ["handler"]
    # Read back, the password is nowhere.
    assert "temporary_password" not in client.get(f"/api/users/{user.pk}", **admin).json()


def test_duplicate_username_is_refused_in_chinese(org, client, admin):
    response = _json(
        client,
        "post",
        "/api/users",
        admin,
        {
            "username": "rsj_handler",
            "real_name": "重名",
            "department_id": org.rsj.pk,
            "role": "handler",
        },
    )
    assert response.status_code == 400
    assert "已存在" in response.json()["detail"]


def test_update_user_checks_the_version(org, client, admin):
    user = org.rsj_handler
    ok = _json(
        client,
        "patch",
        f"/api/users/{user.pk}",
        admin,
        {"version": user.version, "position": "科员"},
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["position"] == "科员"
    stale = _json(
        client,
        "patch",
        f"/api/users/{user.pk}",
        admin,
        {"version": user.version, "position": "科长"},
    )
    assert stale.status_code == 409
    assert User.objects.get(pk=user.pk).position == "科员"


def test_reset_password_and_roles(org, client, admin):
    user = org.rsj_handler
    reset = client.post(f"/api/users/{user.pk}/reset-password", **admin)
    assert reset.status_code == 200
    user.refresh_from_db()
    assert user.must_change_password and user.check_password(reset.json()["temporary_password"])

    added = _json(
        client,
        "post",
        f"/api/users/{user.pk}/memberships",
        admin,
        {"department_id": org.rsj_unit.pk, "role": "assessor"},
    )
    assert added.status_code == 201, added.content
    membership = Membership.objects.get(pk=added.json()["id"])
    assert (membership.department, membership.role) == (org.rsj_unit, "assessor")
    again = _json(
        client,
        "post",
        f"/api/users/{user.pk}/memberships",
        admin,
        {"department_id": org.rsj_unit.pk, "role": "assessor"},
    )
    assert again.status_code == 400
    removed = client.delete(f"/api/memberships/{membership.pk}", **admin)
    assert removed.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_leadership_group_and_leaders(org, client, admin):
    url = f"/api/departments/{org.rsj.pk}/leadership-group"
    assert client.get(url, **admin).status_code == 404
    saved = _json(
        client, "put", url, admin, {"name": "人社局稳评领导小组", "office_id": org.rsj_unit.pk}
    )
    assert saved.status_code == 200, saved.content
    leader = _json(
        client,
        "post",
        f"{url}/members",
        admin,
        {"user_id": org.rsj_head.pk, "position": "head", "title": "局长"},
    )
    assert leader.status_code == 201, leader.content
    second = _json(
        client, "post", f"{url}/members", admin, {"user_id": org.rsj_handler.pk, "position": "head"}
    )
    assert second.status_code == 400 and second.json()["detail"] == "领导小组已有组长"
    group = client.get(url, **admin).json()
    assert [m["user_id"] for m in group["members"]] == [org.rsj_head.pk]
    assert client.delete(f"/api/leaders/{leader.json()['id']}", **admin).status_code == 204
    assert not LeadershipMember.objects.exists()


def test_delete_department_refuses_one_with_members(org, client, admin):
    refused = client.delete(f"/api/departments/{org.rsj_unit.pk}", **admin)
    assert refused.status_code == 400
    assert "不能删除" in refused.json()["detail"]
    empty = actions.do_create_department(org.admin, name="临时科", code="TMP", parent=org.rsj)
    assert client.delete(f"/api/departments/{empty.pk}", **admin).status_code == 204
    assert not Department.objects.filter(pk=empty.pk).exists()
