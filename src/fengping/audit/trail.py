"""The security events besides data changes (GB/T 22239-2019 8.1.4.3): sign-in, sign-out,
failed sign-in, lockout, every refusal (403) and every download (export).

Sign-ins come from Django's auth signals (and django-axes' lockout signal), so every login
door — the login page, `client.login`, a directory backend — is covered by one receiver.
Refusals and downloads come from one middleware that looks at the finished response:
a 403 from a page, a role gate (`core.policy.role_gate`), `org.access.require`, the CSRF
check or the API's exception handler all end as a 403 response here; any response sent as
an attachment is an export. On every other response the middleware reads two attributes
and costs no query.

The event's scope is the root of the user's first department, so the 审计管理员 of that
organisation reads it; an unknown user name gets an empty scope (superusers read it).
The audit app lies below `org`: the user's department comes through the user model's
`audit_scope_path`, not from `org` itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse

from .chain import record

# Export actions by the downloaded file's extension.
EXPORT_KINDS = {
    "xlsx": "export.xlsx",
    "csv": "export.csv",
    "docx": "export.docx",
    "pdf": "export.pdf",
    "zip": "export.zip",
    "json": "export.json",
}
_FILENAME_STAR = re.compile(r"filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)")
_FILENAME = re.compile(r'filename\s*=\s*"?([^";]+)"?')


def root_path(user: Any) -> str:
    """The root of the user's first department ("0000001/"), or "" without one."""
    if user is None or getattr(user, "pk", None) is None:
        return ""
    path = getattr(user, "audit_scope_path", "") or ""
    return path.split("/", 1)[0] + "/" if path else ""


def address(request: HttpRequest | None) -> str:
    """The client's address (core.middleware.ClientAddressMiddleware has already put the
    real client's behind a trusted proxy into REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


# The actor of a refusal or download without a signed-in user.
ANONYMOUS = SimpleNamespace(pk=None, username="anonymous")


def _user_of(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


# ------------------------------------------------------------------ sign-in signals


def on_login(sender: Any, request: HttpRequest | None = None, user: Any = None, **kw: Any) -> None:
    record(
        user,
        "auth.login",
        user,
        scope_path=root_path(user),
        after={"address": address(request), "backend": getattr(user, "backend", "")},
    )


def on_logout(sender: Any, request: HttpRequest | None = None, user: Any = None, **kw: Any) -> None:
    if user is None:  # logging out without a session: nothing ended
        return
    record(
        user, "auth.logout", user, scope_path=root_path(user), after={"address": address(request)}
    )


def _attempt(
    request: HttpRequest | None, username: str, action: str, extra: dict[str, Any]
) -> None:
    """A failed or locked-out sign-in. The actor is the name typed (there is no signed-in
    user); the object is the account of that name when one exists. Never the password."""
    username = (username or "")[:150]
    known = (
        get_user_model()._default_manager.filter(username=username).first() if username else None
    )
    record(
        SimpleNamespace(pk=None, username=username),
        action,
        known,
        object_type="" if known else "auth.username",
        object_repr="" if known else username,
        scope_path=root_path(known),
        after={
            "username": username,
            "address": address(request),
            "known_user": known is not None,
            **extra,
        },
    )


def on_login_failed(
    sender: Any,
    credentials: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    **kw: Any,
) -> None:
    username = str((credentials or {}).get("username", ""))
    _attempt(request, username, "auth.login_failed", {})


def on_locked_out(
    sender: Any,
    request: HttpRequest | None = None,
    username: str = "",
    ip_address: str = "",
    **kw: Any,
) -> None:
    _attempt(request, username, "auth.lockout", {"address": ip_address or address(request)})


def connect() -> None:
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(on_login, dispatch_uid="fengping.audit.login")
    user_logged_out.connect(on_logout, dispatch_uid="fengping.audit.logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="fengping.audit.login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="fengping.audit.lockout")


# ------------------------------------------------------------------ refusals and exports


def file_name(response: HttpResponse) -> str:
    disposition = response.get("Content-Disposition", "")
    found = _FILENAME_STAR.search(disposition)
    if found:
        return unquote(found.group(1).strip())
    found = _FILENAME.search(disposition)
    return found.group(1).strip() if found else ""


def export_action(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return EXPORT_KINDS.get(ext, "export.file")


def _query(request: HttpRequest) -> dict[str, Any]:
    """The query string (the list's filters), one value or a list per key."""
    return {key: values[0] if len(values) == 1 else values for key, values in request.GET.lists()}


def record_refusal(request: HttpRequest, response: HttpResponse) -> None:
    user = _user_of(request)
    record(
        user or ANONYMOUS,
        "access.denied",
        object_type="http.request",
        object_repr=f"{request.method} {request.path}"[:300],
        scope_path=root_path(user),
        after={
            "method": request.method,
            "path": request.path[:500],
            "query": _query(request),
            "address": address(request),
            "api": request.path.startswith("/api/"),
        },
    )


def record_export(request: HttpRequest, response: HttpResponse) -> None:
    user = _user_of(request)
    name = file_name(response)
    facts: dict[str, Any] = {
        "method": request.method,
        "path": request.path[:500],
        "filters": _query(request),
        "file": name,
        "content_type": response.get("Content-Type", ""),
        "address": address(request),
    }
    if response.has_header("Content-Length"):
        facts["bytes"] = int(response["Content-Length"])
    elif not response.streaming:
        facts["bytes"] = len(response.content)
    # What the producer knows (core.listing: the list, its rows, whether it was cut).
    facts.update(getattr(response, "audit_export", None) or {})
    record(
        user or ANONYMOUS,
        export_action(name),
        object_type="http.download",
        object_repr=(name or request.path)[:300],
        scope_path=root_path(user),
        after=facts,
    )


class AuditTrailMiddleware:
    """A 403 is recorded as `access.denied`; a successful attachment as `export.*`
    (unless the view recorded its own event: `response.audit_recorded = True`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 403:
            record_refusal(request, response)
        elif (
            200 <= response.status_code < 300
            and not getattr(response, "audit_recorded", False)
            and response.get("Content-Disposition", "").lower().startswith("attachment")
        ):
            record_export(request, response)
        return response
