"""Content-Security-Policy: pages may load scripts, styles, fonts and images only from
fengping's own origin (users sit on intranets; nothing comes from outside)."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def client_address(
    peer: str, forwarded: str, trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the
    right-most address of X-Forwarded-For that is not a trusted proxy (each proxy appends
    the address it received from, so addresses left of an untrusted one may be forged).
    A malformed entry ends the walk at the last address known good."""

    def is_trusted(addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in net for net in trusted)

    if not trusted or not forwarded or not is_trusted(peer):
        return peer
    client = peer
    for item in reversed([part.strip() for part in forwarded.split(",")]):
        try:
            ipaddress.ip_address(item)
        except ValueError:
            break
        client = item
        if not is_trusted(item):
            break
    return client


class ClientAddressMiddleware:
    """REMOTE_ADDR is the client's address behind FENGPING_TRUSTED_PROXIES (`client_address`);
    the proxy's is kept in FENGPING_PEER_ADDR."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        trusted = settings.FENGPING_TRUSTED_PROXIES
        if trusted:
            peer = request.META.get("REMOTE_ADDR", "")
            client = client_address(peer, request.META.get("HTTP_X_FORWARDED_FOR", ""), trusted)
            if client != peer:
                request.META["FENGPING_PEER_ADDR"] = peer
                request.META["REMOTE_ADDR"] = client
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Swagger UI (served from ninja's own static files) writes <style> elements at
        # run time; its page alone may use inline styles. Scripts stay 'self' everywhere.
        if request.path.startswith("/api/docs"):
            response.headers.setdefault(
                "Content-Security-Policy",
                POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
            )
        else:
            response.headers.setdefault("Content-Security-Policy", POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class LanguageMiddleware:
    """Chinese unless the user chose English with the language switch (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, which on many
    machines says English; the offices using fengping expect Chinese by default.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation
        from django.utils.cache import patch_vary_headers

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class NoStoreForUsersMiddleware:
    """A page or download shown to a signed-in user holds that user's data: no browser or
    proxy may keep a copy (the back button after logout on a shared office computer, an
    intranet caching proxy). Public pages and static files stay cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils.cache import add_never_cache_headers

        response = self.get_response(request)
        # request.user is the session user, or the API token's user set by the API auth.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response.headers["Cache-Control"] = "no-store, no-cache, must-revalidate, private"
        return response


class SessionRefreshMiddleware:
    """The idle timeout without a write per read. The time of the last activity is kept in
    the session, refreshed at most once per interval (`FENGPING_SESSION_REFRESH_SECONDS`,
    default 300, and at most a quarter of the idle timeout), not on every request
    (`SESSION_SAVE_EVERY_REQUEST` would write the session row on each GET, and on SQLite
    every write waits for the one write lock). A session whose last activity is older
    than the idle timeout is ended here, before anyone is authenticated from it; it may
    end up to one refresh interval early.

    The idle timeout is the security policy's (`FENGPING_IDLE_SECONDS`, a dotted path to
    a function of no arguments returning seconds: core imports no app above it)."""

    KEY = "_fp_refreshed"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.idle_seconds = import_string(settings.FENGPING_IDLE_SECONDS)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.session_key and session.get("_auth_user_id"):
            now = int(time.time())
            idle = int(self.idle_seconds())
            last = int(session.get(self.KEY, 0))
            if last and now - last >= idle:
                session.flush()
                request.fengping_idle_logout = True  # type: ignore[attr-defined]
                return self.get_response(request)
            interval = min(settings.FENGPING_SESSION_REFRESH_SECONDS, max(idle // 4, 1))
            if now - last >= interval:
                session[self.KEY] = now  # modified: saved with a new expiry at the end
        return self.get_response(request)
