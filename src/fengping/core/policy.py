"""Page-level access policies. Every view carries exactly one of these decorators.

`tests/core/test_policies.py` walks the URL conf and fails on any view without one, so
a new page cannot forget to say who may open it. Object-level access is decided by
`fengping.org.access` inside the view.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def public(view: View) -> View:
    """Anyone, logged in or not (login page, public consultation pages, health)."""
    view.fengping_policy = "public"  # type: ignore[attr-defined]
    return view


def authenticated(view: View) -> View:
    """Any logged-in user; object access is then checked with org.access."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.fengping_policy = "authenticated"  # type: ignore[attr-defined]
    return wrapper


def role_gate(name: str, predicate: Callable[[Any], bool], message: Any) -> Callable[[View], View]:
    """A page-level role check as a decorator: a logged-in user for whom `predicate(user)`
    is false gets a 403 showing `message` (give a lazy string: it is read per request);
    an anonymous one is sent to log in as with `authenticated`. The view's policy is
    `name`, so tests/core/test_policies.py can list which routes carry each gate."""

    def decorate(view: View) -> View:
        @wraps(view)
        def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not predicate(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        wrapper = authenticated(gated)
        wrapper.fengping_policy = name  # type: ignore[attr-defined]
        return wrapper

    return decorate
