"""Personas: one organisation (示范市) with two bureaus (人社局, 住建局), a supervising
office (维稳办) and people in each role. Built once per test through the action functions,
so the audit chain is exercised by every test that uses them. A module that only reads
can build them once instead (`build_org` with `tests.module_db.module_data`)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pytest

from fengping.api.tokens import do_create_token
from fengping.org import actions
from fengping.org.models import Department, DepartmentKind, Role, User

PASSWORD = "Test-password-2026"


@dataclass
class Org:
    root: Department
    rsj: Department
    rsj_unit: Department
    zjj: Department
    wwb: Department
    superuser: User
    admin: User
    rsj_handler: User
    rsj_unit_assessor: User
    rsj_head: User
    zjj_handler: User
    supervisor: User
    nobody: User
    # 篇3 六(七): the second recipient office, and the deciding organ's leaders who sign
    # 审定 (分管领导) and the escalation (主要负责人).
    lxb: Department
    lxb_supervisor: User
    city_leader: User
    city_head: User

    def fresh(self) -> Org:
        """The same departments and people, read anew from the database. An organisation
        built once per module hands each test its own instances, so nothing a test caches
        on one (the access scope, a changed field) carries into the next test."""
        return Org(
            **{
                f.name: type(obj)._default_manager.get(pk=obj.pk)
                for f in fields(self)
                for obj in [getattr(self, f.name)]
            }
        )


def _user(admin: User, username: str, dept: Department, role: str) -> User:
    user, _ = actions.do_create_user(
        admin, username=username, real_name=username, department=dept, role=role, password=PASSWORD
    )
    return settled(user)


def settled(user: User) -> User:
    """A persona who has already replaced the password the administrator chose (an account
    made by `do_create_user` must change it at its first login)."""
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    user.must_change_password = False
    return user


@pytest.fixture
def org(db) -> Org:
    return build_org()


def build_org() -> Org:
    su = actions.do_create_superuser(username="root", password=PASSWORD, real_name="超级管理员")
    root = actions.do_create_department(
        su, name="示范市人民政府", code="SFS", kind=DepartmentKind.DECIDING
    )
    rsj = actions.do_create_department(
        su, name="人社局", code="RSJ", kind=DepartmentKind.FUNCTIONAL, parent=root
    )
    unit = actions.do_create_department(su, name="养老保险科", code="RSJ-YL", parent=rsj)
    zjj = actions.do_create_department(
        su, name="住建局", code="ZJJ", kind=DepartmentKind.FUNCTIONAL, parent=root
    )
    wwb = actions.do_create_department(
        su, name="维稳办", code="WWB", kind=DepartmentKind.STABILITY_OFFICE, parent=root
    )
    lxb = actions.do_create_department(
        su, name="联席办", code="LXB", kind=DepartmentKind.JOINT_OFFICE, parent=root
    )
    admin = _user(su, "admin", root, Role.ADMIN)
    nobody, _ = actions.do_create_user(
        su,
        username="nobody",
        real_name="无任职",
        department=wwb,
        role=Role.HANDLER,
        password=PASSWORD,
    )
    nobody.memberships.all().delete()
    settled(nobody)
    return Org(
        root=root,
        rsj=rsj,
        rsj_unit=unit,
        zjj=zjj,
        wwb=wwb,
        superuser=su,
        admin=admin,
        rsj_handler=_user(su, "rsj_handler", rsj, Role.HANDLER),
        rsj_unit_assessor=_user(su, "rsj_assessor", unit, Role.ASSESSOR),
        rsj_head=_user(su, "rsj_head", rsj, Role.HEAD),
        zjj_handler=_user(su, "zjj_handler", zjj, Role.HANDLER),
        supervisor=_user(su, "supervisor", wwb, Role.SUPERVISOR),
        nobody=nobody,
        lxb=lxb,
        lxb_supervisor=_user(su, "lxb_supervisor", lxb, Role.SUPERVISOR),
        city_leader=_user(su, "city_leader", root, Role.LEADER),
        city_head=_user(su, "city_head", root, Role.HEAD),
    )


def audit_admin(org: Org, username: str = "auditor") -> User:
    """The 审计管理员 of the organisation (三员分立): reads the audit log, changes nothing."""
    return _user(org.superuser, username, org.root, Role.AUDIT_ADMIN)


def security_admin(org: Org, username: str = "security") -> User:
    """The 安全管理员 of the organisation: grants roles; the first one ends the transition
    in which the 系统管理员 still grants them."""
    return _user(org.superuser, username, org.root, Role.SECURITY_ADMIN)


def pass_second_factor(client, user: User) -> None:
    """Mark the client's session as having passed the login's second step with a TOTP
    device of the user's (made if missing), as `security.views.otp_verify` does after a
    good code. Administrators must pass it before any page (security.middleware)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user_id=user.pk, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def force_login(client, user: User):
    """`client.force_login`, then the second step where the user must pass one: an
    administrator, or anyone with a device (a fresh copy of the user is asked, so no
    access scope is cached on the caller's object)."""
    from fengping.security import otp

    client.force_login(user)
    fresh = type(user).objects.get(pk=user.pk)
    if otp.must_use(fresh) or otp.has_device(fresh):
        pass_second_factor(client, user)
    return client


@pytest.fixture
def login(client):
    def as_user(user: User):
        return force_login(client, user)

    return as_user


@pytest.fixture(autouse=True)
def _fresh_security_policy():
    """Each test reads the security policy from its own database state: the row a test
    changed is rolled back, so no process-wide copy of it may outlive the test."""
    from fengping.security import policy

    policy.forget()
    yield
    policy.forget()


@pytest.fixture
def api(client):
    """`api(user)(method, path, payload=None)`: the JSON API under /api as `user`, with a
    personal token (as an integration would call it)."""

    def as_user(user):
        _row, token = do_create_token(user, "t")

        def call(method, path, payload=None):
            return getattr(client, method)(
                f"/api{path}",
                data=payload,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )

        return call

    return as_user
