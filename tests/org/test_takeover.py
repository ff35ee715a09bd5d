"""An administrator manages a user only when every membership of that user lies in the
administrator's subtree — never a superuser, never an administrator of a wider unit.

The scenario of the hostile sweep: a 住建局 系统管理员 reset the password of (and then logged
in as) a 人社局 主要负责人 and the superuser, because each also held one role in 住建局.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from fengping.audit.models import Event
from fengping.org import access, actions
from fengping.org.models import Membership, Role, User
from tests.conftest import settled

from ..conftest import PASSWORD


@pytest.fixture
def zjj_admin(org):
    user, _ = actions.do_create_user(
        org.superuser,
        username="zjj_admin",
        real_name="住建局管理员",
        department=org.zjj,
        role=Role.ADMIN,
        password=PASSWORD,
    )
    settled(user)
    # The victims each hold one role in 住建局 besides their real positions.
    actions.do_add_membership(org.superuser, org.rsj_head, org.zjj, Role.HANDLER)
    Membership.objects.create(user=org.superuser, department=org.zjj, role=Role.HANDLER)
    actions.do_add_membership(org.superuser, org.admin, org.zjj, Role.ASSESSOR)
    return user


def _victims(org):
    # 人社局 主要负责人, the superuser, and the administrator of the whole organisation.
    return [org.rsj_head, org.superuser, org.admin]


def test_reset_refused_for_users_with_roles_outside_the_subtree(org, zjj_admin):
    for victim in _victims(org):
        before = User.objects.get(pk=victim.pk).password
        with pytest.raises(PermissionDenied):
            actions.do_reset_password(zjj_admin, victim)
        after = User.objects.get(pk=victim.pk)
        assert after.password == before and after.check_password(PASSWORD)
    assert not Event.objects.filter(action="org.user.reset_password").exists()


def test_edit_deactivate_and_roles_refused_for_those_users(org, zjj_admin):
    for victim in _victims(org):
        with pytest.raises(PermissionDenied):
            actions.do_update_user(
                zjj_admin,
                victim,
                version=None,
                real_name="x",
                phone="",
                position="",
                email="",
                is_active=False,
            )
        with pytest.raises(PermissionDenied):
            actions.do_add_membership(zjj_admin, victim, org.zjj, Role.ADMIN)
        with pytest.raises(PermissionDenied):
            actions.do_remove_membership(zjj_admin, victim.memberships.get(department=org.zjj))
        assert User.objects.get(pk=victim.pk).is_active


def test_manageable_means_every_membership_inside(org, zjj_admin):
    manageable = set(access.visible(zjj_admin, User.objects.all(), "change"))
    assert manageable == {zjj_admin, org.zjj_handler}
    # Still visible (they work in 住建局), just not manageable.
    visible = set(access.visible(zjj_admin, User.objects.all()))
    assert {org.rsj_head, org.superuser, org.admin} <= visible
    # The administrator of the whole organisation manages everyone but the superuser.
    everyone = set(access.visible(org.admin, User.objects.all(), "change"))
    assert org.rsj_head in everyone and org.superuser not in everyone
    assert org.nobody not in everyone  # no membership: nobody's subtree, superuser only


def test_pages_refuse_with_403(org, zjj_admin, login):
    client = login(zjj_admin)
    for victim in _victims(org):
        for name in ("password", "edit", "memberships/add"):
            url = f"/org/users/{victim.pk}/{name}/"
            assert client.get(url).status_code == 403, url
            assert client.post(url, {"real_name": "x", "version": 1}).status_code == 403, url
        page = client.get(f"/org/users/{victim.pk}/")
        assert page.status_code == 200
        assert f"/org/users/{victim.pk}/password/" not in page.content.decode()
        membership = victim.memberships.get(department=org.zjj)
        assert client.post(f"/org/memberships/{membership.pk}/remove/").status_code == 403
    assert User.objects.get(pk=org.superuser.pk).check_password(PASSWORD)
    assert User.objects.get(pk=org.rsj_head.pk).check_password(PASSWORD)


def test_allowed_reset_gives_a_temporary_password_audited_without_it(org, zjj_admin, login):
    client = login(zjj_admin)
    response = client.post(f"/org/users/{org.zjj_handler.pk}/password/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    target = User.objects.get(pk=org.zjj_handler.pk)
    assert target.must_change_password and not target.check_password(PASSWORD)
    shown = page.split('id="new-password">', 1)[1].split("<", 1)[0]
    assert target.check_password(shown)
    # Shown once only.
    assert 'id="new-password"' not in client.get(f"/org/users/{target.pk}/").content.decode()
    event = Event.objects.get(action="org.user.reset_password", object_id=str(target.pk))
    assert event.actor_id == zjj_admin.pk
    assert event.after == {"must_change_password": True, "api_tokens_revoked": 0}
    assert shown not in str(event.before) + str(event.after) + event.object_repr


def test_temporary_password_must_be_changed_at_first_login(org, client):
    temporary = actions.do_reset_password(org.admin, org.zjj_handler)
    response = client.post(
        "/accounts/login/", {"username": "zjj_handler", "password": temporary}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/me/password/"
    for url in ("/", "/matters/", "/org/users/", "/me/"):
        assert client.get(url)["Location"] == "/me/password/", url
    assert client.get(url, headers={"HX-Request": "true"})["HX-Redirect"] == "/me/password/"
    api = client.get("/api/me")
    assert api.status_code == 403 and api.json()["code"] == "password_change_required"
    assert client.get("/me/password/").status_code == 200
    # The same password again is not a change.
    same = {"old_password": temporary, "new_password1": temporary, "new_password2": temporary}
    client.post("/me/password/", same)
    assert User.objects.get(pk=org.zjj_handler.pk).must_change_password
    new = "Mine-own-pass-2026"
    changed = {"old_password": temporary, "new_password1": new, "new_password2": new}
    assert client.post("/me/password/", changed).status_code == 302
    user = User.objects.get(pk=org.zjj_handler.pk)
    assert not user.must_change_password and user.check_password(new)
    assert client.get("/matters/").status_code == 200


def test_a_generated_or_chosen_password_at_creation_is_temporary(org):
    user, generated = actions.do_create_user(
        org.admin, username="fresh", real_name="新人", department=org.zjj, role=Role.HANDLER
    )
    assert generated and user.must_change_password
    chosen, _ = actions.do_create_user(
        org.admin,
        username="chosen",
        real_name="新人",
        department=org.zjj,
        role=Role.HANDLER,
        password=PASSWORD,
    )
    # A password the administrator chose is known to them as well (GB/T 22239 8.1.4.1).
    assert chosen.must_change_password


def test_a_reset_revokes_the_users_api_tokens_and_says_so_in_the_audit(org, client):
    from fengping.api.models import ApiToken
    from fengping.api.tokens import do_create_token

    _, token = do_create_token(org.zjj_handler, "脚本")
    do_create_token(org.rsj_handler, "别人的脚本")
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=auth).status_code == 200
    actions.do_reset_password(org.admin, org.zjj_handler)
    assert client.get("/api/me", headers=auth).status_code == 401
    assert not ApiToken.objects.filter(user=org.zjj_handler, revoked_at__isnull=True).exists()
    assert ApiToken.objects.filter(user=org.rsj_handler, revoked_at__isnull=True).count() == 1
    event = Event.objects.filter(action="org.user.reset_password").latest("seq")
    assert event.after == {"must_change_password": True, "api_tokens_revoked": 1}


def test_a_token_made_while_the_password_is_temporary_is_refused_until_changed(org, client):
    from fengping.api.tokens import do_create_token

    actions.do_reset_password(org.admin, org.zjj_handler)
    _, token = do_create_token(org.zjj_handler, "脚本")
    auth = {"Authorization": f"Bearer {token}"}
    refused = client.get("/api/me", headers=auth)
    assert refused.status_code == 403 and "临时密码" in refused.json()["detail"]
    User.objects.filter(pk=org.zjj_handler.pk).update(must_change_password=False)
    assert client.get("/api/me", headers=auth).status_code == 200
