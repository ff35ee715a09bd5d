import pytest
from django.core.exceptions import PermissionDenied

from fengping.audit.models import Event
from fengping.core.errors import ActionError, ConflictError
from fengping.org import actions
from fengping.org.models import Department, LeaderPosition, Role, User


def test_create_department_builds_path(org):
    child = actions.do_create_department(org.admin, name="就业科", code="RSJ-JY", parent=org.rsj)
    assert child.path.startswith(org.rsj.path) and child.depth == 2
    assert Event.objects.filter(action="org.department.create", object_id=str(child.pk)).exists()


def test_duplicate_code_refused_in_chinese(org):
    with pytest.raises(ActionError, match="已被使用"):
        actions.do_create_department(org.admin, name="x", code="RSJ", parent=org.rsj)


def test_non_admin_cannot_create(org):
    with pytest.raises(PermissionDenied):
        actions.do_create_department(org.rsj_head, name="x", code="X1", parent=org.rsj)
    with pytest.raises(PermissionDenied):
        actions.do_create_department(org.admin, name="x", code="X2", parent=None)


def test_move_department_moves_subtree(org):
    actions.do_update_department(
        org.admin,
        org.rsj,
        version=1,
        name=org.rsj.name,
        code="RSJ",
        kind=org.rsj.kind,
        parent=org.zjj,
        is_active=True,
    )
    unit = Department.objects.get(code="RSJ-YL")
    assert unit.path.startswith(org.zjj.path) and unit.depth == 3


def test_move_under_own_child_refused(org):
    with pytest.raises(ActionError, match="下级"):
        actions.do_update_department(
            org.admin,
            org.rsj,
            version=1,
            name="x",
            code="RSJ",
            kind=org.rsj.kind,
            parent=org.rsj_unit,
            is_active=True,
        )


def test_stale_version_refused(org):
    actions.do_update_department(
        org.admin,
        org.rsj,
        version=1,
        name="a",
        code="RSJ",
        kind=org.rsj.kind,
        parent=org.root,
        is_active=True,
    )
    with pytest.raises(ConflictError, match="已被他人修改"):
        actions.do_update_department(
            org.admin,
            org.rsj,
            version=1,
            name="b",
            code="RSJ",
            kind=org.rsj.kind,
            parent=org.root,
            is_active=True,
        )
    assert Department.objects.get(pk=org.rsj.pk).name == "a"


def test_delete_refused_with_children_or_members(org):
    with pytest.raises(ActionError, match="下级部门"):
        actions.do_delete_department(org.admin, org.rsj)
    with pytest.raises(ActionError, match="任职人员"):
        actions.do_delete_department(org.admin, org.rsj_unit)
    empty = actions.do_create_department(org.admin, name="临时", code="TMP", parent=org.root)
    actions.do_delete_department(org.admin, empty)
    assert not Department.objects.filter(code="TMP").exists()
    assert Event.objects.filter(action="org.department.delete", object_id=str(empty.pk)).exists()


def test_create_user_generates_password_once(org):
    user, generated = actions.do_create_user(
        org.admin, username="new", real_name="新人", department=org.rsj, role=Role.HANDLER
    )
    assert generated and user.check_password(generated)
    assert user.password.startswith("argon2")
    event = Event.objects.get(action="org.user.create", object_id=str(user.pk))
    assert generated not in str(event.after)


def test_weak_password_refused(org):
    with pytest.raises(ActionError):
        actions.do_create_user(
            org.admin,
            username="weak",
            real_name="x",
            department=org.rsj,
            role=Role.HANDLER,
            password="12345678",
        )
    assert not User.objects.filter(username="weak").exists()


def test_duplicate_membership_refused(org):
    with pytest.raises(ActionError, match="已在"):
        actions.do_add_membership(org.admin, org.rsj_handler, org.rsj, Role.HANDLER)


def test_cannot_remove_own_admin_role_or_deactivate_self(org):
    with pytest.raises(ActionError):
        actions.do_remove_membership(org.admin, org.admin.memberships.get())
    with pytest.raises(ActionError):
        actions.do_update_user(
            org.admin,
            org.admin,
            version=None,
            real_name="a",
            phone="",
            position="",
            email="",
            is_active=False,
        )


def test_leadership_group_has_one_head(org):
    group = actions.do_save_leadership_group(
        org.admin, org.rsj, name="领导小组", office=org.rsj_unit
    )
    actions.do_add_leader(org.admin, group, org.rsj_head, LeaderPosition.HEAD)
    with pytest.raises(ActionError, match="已有组长"):
        actions.do_add_leader(org.admin, group, org.rsj_handler, LeaderPosition.HEAD)
    actions.do_add_leader(org.admin, group, org.rsj_handler, LeaderPosition.DEPUTY)
    assert group.members.count() == 2


def test_change_own_password(org):
    with pytest.raises(ActionError, match="原密码"):
        actions.do_change_own_password(org.rsj_handler, "wrong", "Another-pass-2026")
    actions.do_change_own_password(org.rsj_handler, "Test-password-2026", "Another-pass-2026")
    assert User.objects.get(pk=org.rsj_handler.pk).check_password("Another-pass-2026")


def test_a_unit_without_its_own_group_shows_the_group_above_it(org, login):
    """A 科室 works under its bureau's 领导小组 (篇1 七(一)): its page says so instead of
    "尚未成立领导小组", and offers no change of the bureau's group."""
    group = actions.do_save_leadership_group(
        org.admin, org.rsj, name="人社局稳评领导小组", office=org.rsj_unit
    )
    page = login(org.admin).get(f"/org/departments/{org.rsj_unit.pk}/").content.decode()
    assert "人社局稳评领导小组" in page and "尚未成立领导小组" not in page
    assert "由上级单位" in page and f"/org/leadership/{group.pk}/" not in page
    own = login(org.admin).get(f"/org/departments/{org.rsj.pk}/").content.decode()
    assert "人社局稳评领导小组" in own and "由上级单位" not in own
    other = login(org.admin).get(f"/org/departments/{org.zjj.pk}/").content.decode()
    assert "尚未成立领导小组" in other
