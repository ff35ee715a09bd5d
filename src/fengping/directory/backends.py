"""Authentication backends: LDAP (django-auth-ldap) and OIDC (mozilla-django-oidc).

Both hand what the directory said to `actions.do_directory_login`, the one place that
creates users and syncs memberships. A refusal (a local administrator's name, a locally
deactivated user) and an unreachable directory are noted on the request, so the login page
can say which it was (`templates/registration/login.html`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation

from fengping.core.errors import ActionError

from .actions import DirectoryIdentity, do_directory_login
from .models import Source

logger = logging.getLogger("fengping.directory")

# Request attributes the login page reads.
UNREACHABLE = "fengping_directory_unreachable"
REFUSAL = "fengping_directory_refusal"


def _note_refusal(request: Any, exc: ActionError) -> None:
    if request is not None:
        setattr(request, REFUSAL, str(exc.message))


try:
    import ldap
    from django_auth_ldap.backend import LDAPBackend, ldap_error
except ImportError:  # the optional extra fengping[ldap]; settings refuse LDAP without it
    LDAPBackend = object  # type: ignore[assignment,misc]
    ldap = None
    ldap_error = None


def note_ldap_error(
    sender: Any, context: str, user: Any, request: Any, exception: Any, **kw: Any
) -> None:
    """django-auth-ldap's `ldap_error` signal: the directory could not be asked (down,
    timed out, bind refused). Logged with the reason; the login page shows it."""
    if request is not None:
        setattr(request, UNREACHABLE, True)
    logger.error("LDAP directory unreachable (%s): %s", context, _ldap_reason(exception))


def _ldap_reason(exception: Any) -> str:
    if exception.args and isinstance(exception.args[0], dict):
        info = exception.args[0]
        return " ".join(str(info.get(k, "")) for k in ("desc", "info")).strip()
    return str(exception)


if ldap_error is not None:
    ldap_error.connect(note_ldap_error, dispatch_uid="fengping.directory.ldap_error")


class DirectoryLDAPBackend(LDAPBackend):  # type: ignore[misc,valid-type]
    """django-auth-ldap binds as the user and reads the entry and the groups; the user row
    and the memberships are written by `do_directory_login`, not by the library."""

    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[Any, bool]:
        # A placeholder the library neither populates nor saves (ALWAYS_UPDATE_USER is off
        # and built is False): the real row is claimed in the action, in one transaction.
        return get_user_model()(username=username), False

    def authenticate_ldap_user(self, ldap_user: Any, password: str) -> Any:
        if ldap_user.authenticate(password) is None:
            return None
        cfg = settings.FENGPING_DIRECTORY
        attrs = ldap_user.attrs or {}

        def first(name: str) -> str:
            attr = cfg.ldap.attributes.get(name)
            values = attrs.get(attr) if attr else None
            return str(values[0]) if values else ""

        try:
            groups = set(ldap_user.group_dns)
        except ldap.LDAPError as exc:
            note_ldap_error(type(self), "group search", None, ldap_user._request, exc)
            return None
        identity = DirectoryIdentity(
            source=Source.LDAP,
            username=first("username") or ldap_user._username,
            external_id=ldap_user.dn,
            profile={name: first(name) for name in ("real_name", "email", "phone", "position")},
            groups=groups,
        )
        try:
            return do_directory_login(identity, adopt_local=cfg.ldap.adopt_local_users)
        except ActionError as exc:
            _note_refusal(ldap_user._request, exc)
            return None


class _LazyOIDC:
    """The OIDC endpoints, from the settings file or the issuer's discovery document
    (fetched once per process when first needed, so start-up does not depend on the
    identity provider being up)."""

    _discovered: dict[str, Any] | None = None
    NAMES = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
        "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
        "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
        "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
        "FENGPING_OIDC_END_SESSION_ENDPOINT": "end_session_endpoint",
    }

    @classmethod
    def discovery(cls) -> dict[str, Any]:
        if cls._discovered is None:
            import requests

            issuer = settings.FENGPING_OIDC_ISSUER
            response = requests.get(
                f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
            )
            response.raise_for_status()
            doc = response.json()
            if doc.get("issuer", "").rstrip("/") != issuer:
                raise SuspiciousOperation("OIDC discovery names another issuer")
            cls._discovered = doc
        return cls._discovered

    @classmethod
    def setting(cls, attr: str, *default: Any) -> Any:
        from mozilla_django_oidc.utils import import_from_settings

        if attr in cls.NAMES and not hasattr(settings, attr) and settings.FENGPING_OIDC_ISSUER:
            value = cls.discovery().get(cls.NAMES[attr])
            if value:
                return value
        return import_from_settings(attr, *default)

    @classmethod
    def forget(cls) -> None:
        cls._discovered = None


oidc_setting = _LazyOIDC.setting
forget_discovery = _LazyOIDC.forget

try:
    from mozilla_django_oidc.auth import OIDCAuthenticationBackend
except ImportError:  # pragma: no cover - a core dependency
    OIDCAuthenticationBackend = object  # type: ignore[assignment,misc]


class DirectoryOIDCBackend(OIDCAuthenticationBackend):  # type: ignore[misc,valid-type]
    """The authorization-code flow (state, nonce and PKCE checked by the library); the
    claims become a `DirectoryIdentity` for the same action as LDAP's."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the library's __init__: it reads every endpoint, and this backend is built for
        # every password login too, which must not wait on the identity provider.
        self.UserModel = get_user_model()

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_USER_ENDPOINT", None))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_JWKS_ENDPOINT", None))
    OIDC_RP_CLIENT_ID = property(lambda self: oidc_setting("OIDC_RP_CLIENT_ID"))
    OIDC_RP_CLIENT_SECRET = property(lambda self: oidc_setting("OIDC_RP_CLIENT_SECRET"))
    OIDC_RP_SIGN_ALGO = property(lambda self: oidc_setting("OIDC_RP_SIGN_ALGO", "RS256"))
    OIDC_RP_IDP_SIGN_KEY = property(lambda self: oidc_setting("OIDC_RP_IDP_SIGN_KEY", None))

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        if "nonce" not in kwargs or "username" in kwargs or "password" in kwargs:
            return None  # only the callback view authenticates through here
        return super().authenticate(request, **kwargs)

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        """The library checks the signature, the expiry and the nonce; the audience and the
        issuer are checked here (it leaves both out)."""
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("the id_token is for another client")
        issuer = settings.FENGPING_OIDC_ISSUER
        if issuer and str(payload.get("iss", "")).rstrip("/") != issuer:
            raise SuspiciousOperation("the id_token names another issuer")
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        claims = dict(payload)  # the verified id_token's claims …
        if self.OIDC_OP_USER_ENDPOINT:  # … completed by the userinfo endpoint
            info = super().get_userinfo(access_token, id_token, payload)
            if info.get("sub") != payload.get("sub"):
                raise SuspiciousOperation("userinfo names another subject")
            claims.update(info)
        return claims

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        cfg = settings.FENGPING_DIRECTORY
        claims = self.get_userinfo(access_token, id_token, payload)
        names = cfg.oidc.claims
        username = str(claims.get(names["username"]) or "").strip()
        if not username or not claims.get("sub"):
            raise SuspiciousOperation(f"the id_token carries no {names['username']} or sub")
        groups = claims.get(names["groups"]) or []
        if isinstance(groups, str):
            groups = [groups]
        identity = DirectoryIdentity(
            source=Source.OIDC,
            username=username[:150],
            external_id=str(claims["sub"]),
            profile={
                "real_name": str(claims.get(names["real_name"]) or ""),
                "email": str(claims.get(names["email"]) or ""),
            },
            groups={str(g) for g in groups},
        )
        try:
            return do_directory_login(identity, adopt_local=cfg.oidc.adopt_local_users)
        except ActionError as exc:
            _note_refusal(self.request, exc)
            return None
