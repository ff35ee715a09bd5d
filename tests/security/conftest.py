"""The 安全管理员 of the organisation (示范市) and one of 住建局 only, and helpers for the
login's two steps."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengping.org import actions
from fengping.org.models import Role, User
from fengping.security import actions as security
from tests.conftest import PASSWORD, settled


@pytest.fixture
def sec_admin(org) -> User:
    user, _ = actions.do_create_user(
        org.superuser,
        username="sec_admin",
        real_name="安全管理员",
        department=org.root,
        role=Role.SECURITY_ADMIN,
        password=PASSWORD,
    )
    return settled(user)


@pytest.fixture
def zjj_sec_admin(org) -> User:
    user, _ = actions.do_create_user(
        org.superuser,
        username="zjj_sec_admin",
        real_name="住建局安全管理员",
        department=org.zjj,
        role=Role.SECURITY_ADMIN,
        password=PASSWORD,
    )
    return settled(user)


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    """The code the user's authenticator shows now (or `offset` steps away)."""
    return (
        f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset):06d}"
    )


def enrol(user: User) -> tuple[TOTPDevice, list[str]]:
    """Enrol through the actions, as the page does: returns the device and recovery codes."""
    device = security.start_enrolment(user)
    return security.do_enrol_totp(user, code_for(device))


def password_step(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)
