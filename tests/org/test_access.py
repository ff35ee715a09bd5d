"""org.access: the one scoping function, by persona."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from fengping.org import access
from fengping.org.models import Department, Membership, User


def names(qs):
    return sorted(d.code for d in qs)


def test_member_sees_own_department_and_below(org):
    assert names(access.visible(org.rsj_handler, Department.objects.all())) == ["RSJ", "RSJ-YL"]
    assert names(access.visible(org.rsj_unit_assessor, Department.objects.all())) == ["RSJ-YL"]


def test_other_department_sees_nothing_of_rsj(org):
    assert names(access.visible(org.zjj_handler, Department.objects.all())) == ["ZJJ"]
    with pytest.raises(Http404):
        access.get_for_user(org.zjj_handler, Department, org.rsj.pk)
    with pytest.raises(Http404):
        access.get_for_user(org.zjj_handler, User, org.rsj_handler.pk)


def test_missing_and_foreign_get_the_same_answer(org):
    with pytest.raises(Http404) as foreign:
        access.get_for_user(org.zjj_handler, Department, org.rsj.pk)
    with pytest.raises(Http404) as missing:
        access.get_for_user(org.zjj_handler, Department, 999999)
    assert str(foreign.value) == str(missing.value)


def test_supervisor_reads_whole_organisation_but_changes_nothing(org):
    seen = names(access.visible(org.supervisor, Department.objects.all()))
    assert seen == ["LXB", "RSJ", "RSJ-YL", "SFS", "WWB", "ZJJ"]
    assert access.visible(org.supervisor, Department.objects.all(), "change").count() == 0
    assert access.get_for_user(org.supervisor, Department, org.rsj.pk) == org.rsj
    with pytest.raises(PermissionDenied):
        access.get_for_user(org.supervisor, Department, org.rsj.pk, need="change")


def test_member_without_admin_role_may_not_change_org_data(org):
    assert access.get_for_user(org.rsj_head, Department, org.rsj.pk) == org.rsj
    with pytest.raises(PermissionDenied):
        access.get_for_user(org.rsj_head, Department, org.rsj.pk, need="change")


def test_admin_changes_everything_in_subtree(org):
    assert access.visible(org.admin, Department.objects.all(), "change").count() == 6
    assert access.can(org.admin, org.rsj_handler, "change")


def test_user_without_membership_sees_only_self(org):
    assert list(access.visible(org.nobody, Department.objects.all())) == []
    assert list(access.visible(org.nobody, User.objects.all())) == [org.nobody]


def test_users_visible_through_memberships(org):
    seen = sorted(u.username for u in access.visible(org.rsj_unit_assessor, User.objects.all()))
    assert seen == ["rsj_assessor"]
    seen = sorted(u.username for u in access.visible(org.rsj_handler, User.objects.all()))
    assert seen == ["rsj_assessor", "rsj_handler", "rsj_head"]


def test_inactive_department_grants_nothing(org):
    Department.objects.filter(pk=org.rsj.pk).update(is_active=False)
    user = User.objects.get(pk=org.rsj_handler.pk)
    assert names(access.visible(user, Department.objects.all())) == []


def test_anonymous_sees_nothing(org):
    from django.contrib.auth.models import AnonymousUser

    assert access.visible(AnonymousUser(), Membership.objects.all()).count() == 0
