"""`fengping check`'s lines about directory login: the file, its mapping, and whether the
LDAP server and the identity provider answer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation

# (status, text): "ok", "fail" or "warn" (a warning does not fail the check).
Line = tuple[str, str]


def check_lines() -> list[Line]:
    cfg = getattr(settings, "FENGPING_DIRECTORY", None)
    if cfg is None:
        return [
            (
                "ok",
                "目录登录 / directory login: 未配置，仅本地账户 / not configured, local accounts only",
            )
        ]
    from fengping.org.models import Department

    lines: list[Line] = [
        (
            "ok",
            f"目录配置 / directory settings: {cfg.path}（{len(cfg.groups)} 条组映射 / group mappings）",
        )
    ]
    known = set(
        Department.objects.filter(
            code__in={g.department for g in cfg.groups}, is_active=True
        ).values_list("code", flat=True)
    )
    for grant in cfg.groups:
        if grant.department not in known:
            lines.append(
                (
                    "warn",
                    f"目录配置 {grant.path}.department：部门编码 {grant.department} 不存在或已停用，登录时跳过"
                    f" / unknown or inactive department code {grant.department}: skipped at login",
                )
            )
    if cfg.ldap is not None:
        lines.append(ldap_line(cfg.ldap))
    if cfg.oidc is not None:
        lines.append(oidc_line())
    return lines


def ldap_line(c: Any) -> Line:
    import ldap

    try:
        conn = ldap.initialize(c.server_uri)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, c.timeout)
        conn.set_option(ldap.OPT_TIMEOUT, c.timeout)
        conn.set_option(ldap.OPT_REFERRALS, 0)
        if c.start_tls:
            conn.start_tls_s()
        conn.simple_bind_s(c.bind_dn, c.bind_password)
        conn.search_s(c.user_base, ldap.SCOPE_BASE, "(objectClass=*)", ["1.1"])
        conn.unbind_s()
    except ldap.LDAPError as exc:
        from .backends import _ldap_reason

        return (
            "fail",
            f"LDAP 目录不可用 / LDAP directory unusable: {c.server_uri}: {_ldap_reason(exc)}",
        )
    who = c.bind_dn or "匿名 / anonymous"
    return ("ok", f"LDAP 可连接，绑定成功 / LDAP reachable, bind OK: {c.server_uri} ({who})")


def oidc_line() -> Line:
    import requests

    from .backends import forget_discovery, oidc_setting

    forget_discovery()
    try:
        jwks = oidc_setting("OIDC_OP_JWKS_ENDPOINT")
        response = requests.get(jwks, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        keys = response.json().get("keys", [])
    except (
        requests.RequestException,
        ValueError,
        SuspiciousOperation,
        ImproperlyConfigured,
    ) as exc:
        return ("fail", f"统一身份认证不可用 / OIDC provider unusable: {exc}")
    return (
        "ok",
        f"统一身份认证可连接 / OIDC provider reachable: {jwks}（{len(keys)} 个密钥 / keys）",
    )
