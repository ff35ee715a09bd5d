"""The directory settings file (FENGPING_DIRECTORY_FILE): read, validate, and turn into the
settings of django-auth-ldap and mozilla-django-oidc.

Imported by `fengping.settings` before Django is set up, so nothing here imports a model:
the role names are checked against `org.models.Role` later, from the app's `ready()`
(`check_roles`). Every error names its place in the file (`groups[2].role`) so an operator
can find it, in Chinese and English like every `ConfigError`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fengping.conf import ConfigError

GROUP_TYPES = ("groupOfNames", "memberOf")
USER_FIELDS = ("username", "real_name", "email", "phone", "position")
CLAIM_FIELDS = ("username", "real_name", "email", "groups")
DEFAULT_TIMEOUT = 3.0
OIDC_ENDPOINTS = ("authorization", "token", "userinfo", "jwks", "end_session")


@dataclass(frozen=True)
class GroupGrant:
    """One row of the `groups:` mapping: members of `group` hold `role` in `department`."""

    group: str  # an LDAP group DN, or an OIDC group name
    department: str  # a department code
    role: str
    path: str  # where it stands in the file, for messages


@dataclass(frozen=True)
class LdapConfig:
    server_uri: str
    bind_dn: str
    bind_password: str
    user_base: str
    user_filter: str
    attributes: dict[str, str]
    group_base: str
    group_type: str
    timeout: float
    start_tls: bool
    adopt_local_users: bool


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    endpoints: dict[str, str]
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    claims: dict[str, str]
    button_label: str
    sign_algo: str
    timeout: float
    adopt_local_users: bool


@dataclass(frozen=True)
class DirectoryConfig:
    path: str
    ldap: LdapConfig | None = None
    oidc: OidcConfig | None = None
    groups: tuple[GroupGrant, ...] = field(default_factory=tuple)

    def grants_for(self, groups: set[str], *, case_insensitive: bool) -> list[GroupGrant]:
        """The grants of the groups a user is in (DNs compare without case, as LDAP does)."""
        if case_insensitive:
            wanted = {g.lower() for g in groups}
            return [g for g in self.groups if g.group.lower() in wanted]
        return [g for g in self.groups if g.group in groups]


def _fail(where: str, zh: str, en: str) -> ConfigError:
    return ConfigError(f"目录配置 {where}：{zh} / directory settings {where}: {en}")


class _Reader:
    """Reads one mapping of the file, naming `prefix.key` in every error."""

    def __init__(self, data: Any, prefix: str, known: tuple[str, ...]) -> None:
        if not isinstance(data, dict):
            raise _fail(prefix, "应为键值映射", "must be a mapping")
        unknown = sorted(set(map(str, data)) - set(known))
        if unknown:
            raise _fail(
                f"{prefix}.{unknown[0]}", "未知的设置项", f"unknown key (known: {', '.join(known)})"
            )
        self.data = data
        self.prefix = prefix

    def where(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise _fail(self.where(key), "必须填写", "is required")
            return default
        if not isinstance(value, str):
            raise _fail(self.where(key), "应为文本", "must be a string")
        return value.strip()

    def secret(self, key: str, *, required: bool) -> str:
        """`key` in clear, or `key_env` naming the environment variable that holds it."""
        env_key = f"{key}_env"
        if self.data.get(key) and self.data.get(env_key):
            raise _fail(self.where(key), f"与 {env_key} 只能填一个", f"give either it or {env_key}")
        if self.data.get(env_key):
            name = self.text(env_key)
            value = os.environ.get(name, "")
            if not value:
                raise _fail(
                    self.where(env_key),
                    f"环境变量 {name} 未设置或为空",
                    f"environment variable {name} is unset or empty",
                )
            return value
        return self.text(key, required=required)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise _fail(self.where(key), "应为 true 或 false", "must be true or false")
        return value

    def seconds(self, key: str, default: float) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 60:
            raise _fail(self.where(key), "应为 0 到 60 之间的秒数", "must be seconds in (0, 60]")
        return float(value)

    def names(self, key: str, fields: tuple[str, ...], defaults: dict[str, str]) -> dict[str, str]:
        raw = self.data.get(key) or {}
        sub = _Reader(raw, self.where(key), fields)
        out = dict(defaults)
        for name in fields:
            value = sub.text(name)
            if value:
                out[name] = value
        return out


def load(path: str | os.PathLike[str]) -> DirectoryConfig:
    """Read and validate the file; `ConfigError` naming the place of the first problem."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"无法读取目录配置文件 {file}：{exc.strerror} / cannot read the directory settings"
            f" file {file}: {exc.strerror}"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"目录配置文件 {file} 不是有效的 YAML：{exc} / the directory settings file {file}"
            f" is not valid YAML: {exc}"
        ) from None
    return parse(data or {}, str(file))


def parse(data: Any, path: str = "<memory>") -> DirectoryConfig:
    top = _Reader(data, "", ("ldap", "oidc", "groups"))
    ldap = _ldap(data["ldap"]) if data.get("ldap") is not None else None
    oidc = _oidc(data["oidc"]) if data.get("oidc") is not None else None
    if ldap is None and oidc is None:
        raise _fail("ldap/oidc", "至少配置 ldap 或 oidc 之一", "configure ldap or oidc (or both)")
    raw_groups = top.data.get("groups") or []
    if not isinstance(raw_groups, list):
        raise _fail("groups", "应为列表", "must be a list")
    groups = []
    for i, item in enumerate(raw_groups):
        row = _Reader(item, f"groups[{i}]", ("group", "department", "role"))
        groups.append(
            GroupGrant(
                group=row.text("group", required=True),
                department=row.text("department", required=True),
                role=row.text("role", required=True),
                path=f"groups[{i}]",
            )
        )
    return DirectoryConfig(path=path, ldap=ldap, oidc=oidc, groups=tuple(groups))


def _ldap(raw: Any) -> LdapConfig:
    r = _Reader(
        raw,
        "ldap",
        (
            "server_uri",
            "start_tls",
            "bind_dn",
            "bind_password",
            "bind_password_env",
            "user_search",
            "attributes",
            "group_search",
            "timeout",
            "adopt_local_users",
        ),
    )
    uri = r.text("server_uri", required=True)
    if not uri.startswith(("ldap://", "ldaps://", "ldapi://")):
        raise _fail("ldap.server_uri", "应以 ldap:// 或 ldaps:// 开头", "must start with ldap://")
    users = _Reader(r.data.get("user_search"), "ldap.user_search", ("base", "filter"))
    user_filter = users.text("filter", default="(uid=%(user)s)")
    if "%(user)s" not in user_filter:
        raise _fail("ldap.user_search.filter", "须包含 %(user)s", "must contain %(user)s")
    groups = _Reader(r.data.get("group_search") or {}, "ldap.group_search", ("base", "type"))
    group_type = groups.text("type", default="groupOfNames")
    if group_type not in GROUP_TYPES:
        raise _fail(
            "ldap.group_search.type",
            f"应为 {' 或 '.join(GROUP_TYPES)}",
            f"must be one of {', '.join(GROUP_TYPES)}",
        )
    bind_dn = r.text("bind_dn")
    password = r.secret("bind_password", required=bool(bind_dn))
    return LdapConfig(
        server_uri=uri,
        bind_dn=bind_dn,
        bind_password=password,
        user_base=users.text("base", required=True),
        user_filter=user_filter,
        attributes=r.names(
            "attributes",
            USER_FIELDS,
            {"username": "uid", "real_name": "cn", "email": "mail"},
        ),
        group_base=groups.text("base", required=group_type == "groupOfNames"),
        group_type=group_type,
        timeout=r.seconds("timeout", DEFAULT_TIMEOUT),
        start_tls=r.flag("start_tls"),
        adopt_local_users=r.flag("adopt_local_users"),
    )


def _oidc(raw: Any) -> OidcConfig:
    r = _Reader(
        raw,
        "oidc",
        (
            "issuer",
            "endpoints",
            "client_id",
            "client_secret",
            "client_secret_env",
            "scopes",
            "claims",
            "button_label",
            "sign_algo",
            "timeout",
            "adopt_local_users",
        ),
    )
    issuer = r.text("issuer").rstrip("/")
    endpoints = {k: v for k, v in r.names("endpoints", OIDC_ENDPOINTS, {}).items() if v}
    if not issuer:
        for name in ("authorization", "token", "jwks"):
            if name not in endpoints:
                raise _fail(
                    f"oidc.endpoints.{name}",
                    "未填写 issuer 时必须填写",
                    "is required when no issuer is given",
                )
    scopes = r.data.get("scopes", ["openid", "profile", "email"])
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not isinstance(scopes, list) or "openid" not in scopes:
        raise _fail("oidc.scopes", "应为列表且包含 openid", "must be a list including openid")
    algo = r.text("sign_algo", default="RS256")
    if algo not in ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512"):
        raise _fail("oidc.sign_algo", "应为非对称签名算法（如 RS256）", "must be RS256/ES256 etc.")
    return OidcConfig(
        issuer=issuer,
        endpoints=endpoints,
        client_id=r.text("client_id", required=True),
        client_secret=r.secret("client_secret", required=True),
        scopes=tuple(str(s) for s in scopes),
        claims=r.names(
            "claims",
            CLAIM_FIELDS,
            {
                "username": "preferred_username",
                "real_name": "name",
                "email": "email",
                "groups": "groups",
            },
        ),
        button_label=r.text("button_label", default="统一身份认证登录"),
        sign_algo=algo,
        timeout=r.seconds("timeout", 5.0),
        adopt_local_users=r.flag("adopt_local_users"),
    )


def check_roles(cfg: DirectoryConfig, roles: set[str], refused: set[str]) -> None:
    """Every mapped role must exist and must not be an administrator role: administrators
    stay local accounts (三员分立), so no directory group can make anyone one."""
    for grant in cfg.groups:
        if grant.role in refused:
            raise _fail(
                f"{grant.path}.role",
                f"不能映射到管理员角色 {grant.role}：系统管理员、安全管理员、审计管理员只能是本地账户",
                f"cannot map to the administrator role {grant.role}: administrators stay local"
                " accounts (三员分立)",
            )
        if grant.role not in roles:
            raise _fail(
                f"{grant.path}.role",
                f"未知的角色 {grant.role}",
                f"unknown role {grant.role} (known: {', '.join(sorted(roles - refused))})",
            )


def django_settings(cfg: DirectoryConfig | None) -> dict[str, Any]:
    """The settings django-auth-ldap and mozilla-django-oidc read, from the file.

    django-auth-ldap is imported only when LDAP is configured: python-ldap is the optional
    extra `fengping[ldap]`, and its absence must stop start-up with a message saying so."""
    out: dict[str, Any] = {"FENGPING_DIRECTORY": cfg}
    if cfg is None:
        return out
    backends = []
    if cfg.ldap is not None:
        out.update(_ldap_settings(cfg.ldap))
        backends.append("fengping.directory.backends.DirectoryLDAPBackend")
    if cfg.oidc is not None:
        out.update(_oidc_settings(cfg.oidc))
        backends.append("fengping.directory.backends.DirectoryOIDCBackend")
    out["FENGPING_DIRECTORY_BACKENDS"] = backends
    return out


def authentication_backends(cfg: DirectoryConfig | None) -> list[str]:
    """Axes first (it refuses locked-out names before any backend is asked), then the local
    accounts, then the directory: a local administrator is answered from the database
    without waiting on a directory that may be down."""
    return [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
        *django_settings(cfg).get("FENGPING_DIRECTORY_BACKENDS", []),
    ]


def _ldap_settings(c: LdapConfig) -> dict[str, Any]:
    try:
        import ldap
        from django_auth_ldap.config import GroupOfNamesType, LDAPSearch
    except ImportError as exc:
        raise ConfigError(
            f"目录配置启用了 LDAP，但无法导入 python-ldap / django-auth-ldap（{exc}）：请安装"
            f" fengping[ldap] / the directory settings enable LDAP but python-ldap or"
            f" django-auth-ldap cannot be imported ({exc}): install fengping[ldap]"
        ) from None
    if c.group_type == "memberOf":
        # Active Directory: the user's own memberOf attribute lists the group DNs.
        group_type: Any = member_of_type()()
        group_search: Any = LDAPSearch(c.group_base or c.user_base, ldap.SCOPE_SUBTREE)
    else:
        group_type = GroupOfNamesType()
        group_search = LDAPSearch(c.group_base, ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)")
    return {
        "AUTH_LDAP_SERVER_URI": c.server_uri,
        "AUTH_LDAP_START_TLS": c.start_tls,
        "AUTH_LDAP_BIND_DN": c.bind_dn,
        "AUTH_LDAP_BIND_PASSWORD": c.bind_password,
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(c.user_base, ldap.SCOPE_SUBTREE, c.user_filter),
        # The library writes no user row: `actions.do_directory_login` does, from the
        # attributes the backend reads (backends.DirectoryLDAPBackend).
        "AUTH_LDAP_USER_ATTR_MAP": {},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": False,
        "AUTH_LDAP_GROUP_SEARCH": group_search,
        "AUTH_LDAP_GROUP_TYPE": group_type,
        "AUTH_LDAP_CACHE_TIMEOUT": 0,
        # Bounded waits: a directory that does not answer costs a login this long, not the
        # operating system's TCP timeout (minutes).
        "AUTH_LDAP_CONNECTION_OPTIONS": {
            ldap.OPT_NETWORK_TIMEOUT: c.timeout,
            ldap.OPT_TIMEOUT: c.timeout,
            ldap.OPT_REFERRALS: 0,
        },
    }


def member_of_type() -> Any:
    from django_auth_ldap.config import LDAPGroupType

    class MemberOfGroupType(LDAPGroupType):
        """Active Directory's memberOf: the group DNs are an attribute of the user entry, so
        no group search is needed (nested groups are not followed)."""

        def user_groups(self, ldap_user: Any, group_search: Any) -> list[Any]:
            dns = ldap_user.attrs.get("memberof", []) if ldap_user.attrs else []
            return [(dn, {"cn": [dn.split(",", 1)[0].split("=", 1)[-1]]}) for dn in dns]

        def is_member(self, ldap_user: Any, group_dn: str) -> bool:
            dns = ldap_user.attrs.get("memberof", []) if ldap_user.attrs else []
            return group_dn.lower() in {d.lower() for d in dns}

    return MemberOfGroupType


def _oidc_settings(c: OidcConfig) -> dict[str, Any]:
    explicit = {
        "authorization": "OIDC_OP_AUTHORIZATION_ENDPOINT",
        "token": "OIDC_OP_TOKEN_ENDPOINT",
        "userinfo": "OIDC_OP_USER_ENDPOINT",
        "jwks": "OIDC_OP_JWKS_ENDPOINT",
        "end_session": "FENGPING_OIDC_END_SESSION_ENDPOINT",
    }
    out: dict[str, Any] = {
        "OIDC_RP_CLIENT_ID": c.client_id,
        "OIDC_RP_CLIENT_SECRET": c.client_secret,
        "OIDC_RP_SCOPES": " ".join(c.scopes),
        "OIDC_RP_SIGN_ALGO": c.sign_algo,
        # The library checks the state against the session and the id_token's nonce against
        # the one it sent; both stay on (they are the defaults, written here so no one
        # turns them off by accident).
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_TIMEOUT": c.timeout,
        "OIDC_VERIFY_SSL": True,
        "OIDC_CREATE_USER": True,
        "OIDC_STORE_ID_TOKEN": True,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "oidc_authentication_callback",
        "OIDC_OP_LOGOUT_URL_METHOD": "fengping.directory.views.provider_logout_url",
        "FENGPING_OIDC_ISSUER": c.issuer,
    }
    for name, setting in explicit.items():
        if name in c.endpoints:
            out[setting] = c.endpoints[name]
    return out
