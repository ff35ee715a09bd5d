"""Every change to the security policy, lockouts and second factors.

Each function checks who may do it, runs in one transaction and writes one audit event."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengping.audit.chain import record, snapshot
from fengping.core.concurrency import bump, lock
from fengping.core.errors import ActionError
from fengping.org import access
from fengping.org.models import User

from . import policy as policies
from .models import SecurityPolicy

RECOVERY_CODES = 10


def _require_security_admin(actor: Any) -> None:
    if not access.is_security_admin(actor):
        raise PermissionDenied(_("只有安全管理员可以进行此操作"))


# ---------------------------------------------------------------- policy


def do_update_policy(actor: Any, *, version: int | None, **values: Any) -> SecurityPolicy:
    """Change the policy; refuses a value weaker than the level-3 floor (policy.FLOORS)."""
    _require_security_admin(actor)
    unknown = set(values) - set(SecurityPolicy.audit_fields)
    if unknown:
        raise ActionError(_("未知的策略项：%(names)s") % {"names": "、".join(sorted(unknown))})
    problems = policies.floor_problems(values)
    if problems:
        raise ActionError("；".join(msg for _f, msg in problems), field=problems[0][0])
    with transaction.atomic():
        # The row is made on the first change, from the settings' values (version 1).
        seed = SecurityPolicy.from_settings()
        row, _created = SecurityPolicy.objects.get_or_create(
            pk=1, defaults={name: getattr(seed, name) for name in SecurityPolicy.audit_fields}
        )
        # Optimistic lock: the version read with the page or the API must still be current.
        row = lock(row, version)
        before = snapshot(row, SecurityPolicy.audit_fields)
        for name, value in values.items():
            setattr(row, name, value)
        bump(row, *values, "updated_at")
        record(
            actor,
            "security.policy.update",
            row,
            before=before,
            after=snapshot(row, SecurityPolicy.audit_fields),
        )
    policies.forget()
    transaction.on_commit(policies.forget)
    return row


# ---------------------------------------------------------------- lockouts


def administered_attempts(actor: Any) -> Any:
    """The login failures a 安全管理员 may see and lift: those of the user names of the
    accounts in the departments they administer (a superuser: all). A name that is no
    account locks nobody out and is not listed."""
    rows = AccessAttempt.objects.all()
    if access.scope_of(actor).everything:
        return rows
    names = access.visible(actor, User.objects.all()).values("username")
    return rows.filter(username__in=names)


def do_unlock(actor: Any, attempt_id: int) -> None:
    """Lift a login lockout (django-axes' record of failures for a user name and address)."""
    _require_security_admin(actor)
    with transaction.atomic():
        attempt = administered_attempts(actor).select_for_update().filter(pk=attempt_id).first()
        if attempt is None:
            raise ActionError(_("该锁定记录已不存在（可能已被解除或已过期）"))
        facts = {
            "username": attempt.username,
            "ip_address": attempt.ip_address,
            "failures": attempt.failures_since_start,
        }
        attempt.delete()
        record(
            actor,
            "security.lockout.unlock",
            object_type="axes.accessattempt",
            object_id=str(attempt_id),
            object_repr=attempt.username or "",
            before=facts,
        )


# ---------------------------------------------------------------- second factor


def start_enrolment(user: Any) -> TOTPDevice:
    """The user's unconfirmed TOTP device, made if missing (not audited: nothing is in
    force until `do_enrol_totp` confirms it with a code)."""
    if TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
        raise ActionError(_("您已启用双因素认证；如需更换手机，请联系安全管理员重置"))
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user_id=user.pk, name="authenticator", confirmed=False)
    return device


def _new_recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user_id=user.pk).delete()
    device = StaticDevice.objects.create(user_id=user.pk, name="recovery", confirmed=True)
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def do_enrol_totp(user: Any, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the authenticator with a code it shows; returns the device and the ten
    recovery codes (shown once: each works once)."""
    with transaction.atomic():
        if TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
            raise ActionError(_("您已启用双因素认证；如需更换手机，请联系安全管理员重置"))
        device = (
            TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=False).first()
        )
        if device is None:
            raise ActionError(_("请先打开双因素认证页面扫描二维码"))
        if not device.verify_token(code.strip()):
            raise ActionError(_("验证码不正确，请核对手机上显示的 6 位数字"), field="code")
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        record(
            user, "security.otp.enrol", user, after={"device": "totp", "recovery_codes": len(codes)}
        )
    return device, codes


def do_regenerate_recovery_codes(user: Any) -> list[str]:
    """Ten new recovery codes; the old ones stop working. Only from a session verified
    with the second factor (otherwise whoever has the password could take new codes)."""
    if getattr(user, "otp_device", None) is None:
        raise ActionError(_("请先通过双因素验证"))
    with transaction.atomic():
        if not TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
            raise ActionError(_("您尚未启用双因素认证"))
        codes = _new_recovery_codes(user)
        record(user, "security.otp.recovery_regenerate", user, after={"recovery_codes": len(codes)})
    return codes


def do_verify_second_factor(user: Any, code: str) -> tuple[Any, bool]:
    """(the device that accepted `code` or None, whether it was a recovery code). A six-digit
    code goes to the authenticator (refused if already used in its window: django-otp keeps
    the last accepted time step), anything else to the recovery codes (each deleted once
    used). A failure and a recovery code's use are audited; django-otp's throttling delays
    repeated failures per device, and the login step counts them against the lockout."""
    code = code.strip().replace(" ", "")
    with transaction.atomic():
        if code.isdigit() and len(code) == 6:
            device = (
                TOTPDevice.objects.select_for_update()
                .filter(user_id=user.pk, confirmed=True)
                .first()
            )
            recovery = False
        else:
            device = (
                StaticDevice.objects.select_for_update()
                .filter(user_id=user.pk, confirmed=True)
                .first()
            )
            recovery = True
            code = code.lower()
        ok = device is not None and device.verify_token(code)
        if ok and recovery:
            record(
                user, "security.otp.recovery_used", user, after={"left": device.token_set.count()}
            )
    if not ok:
        # Its own transaction: the failure stays recorded (and the throttle counted).
        record(user, "security.otp.verify_failed", user, after={"recovery": recovery})
        return None, recovery
    return device, recovery


def do_reset_second_factor(actor: Any, target: User) -> None:
    """Remove a user's authenticator and recovery codes (a lost phone): the user enrols
    again at the next login (an administrator must). Never one's own."""
    _require_security_admin(actor)
    if target.pk == actor.pk:
        raise ActionError(_("不能重置自己的双因素认证，请由另一位安全管理员操作"))
    with transaction.atomic():
        totp = TOTPDevice.objects.filter(user_id=target.pk).delete()[0]
        static = StaticDevice.objects.filter(user_id=target.pk).delete()[0]
        if not totp and not static:
            raise ActionError(_("该用户尚未启用双因素认证"))
        record(actor, "security.otp.reset", target, before={"devices": totp + static})
