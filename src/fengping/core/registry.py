"""Registries through which domain apps contribute to shared pages without the page's
app importing them: cards on the home page, panels on the matter page. An app adds its
callables from its AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Registry:
    """An ordered list of contributors; `collect(*args)` calls each and flattens what
    they return (a contributor returns a list of dicts, one dict, or None)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: list[Callable[..., Any]] = []

    def add(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        if fn not in self._items:
            self._items.append(fn)
        return fn

    def collect(self, *args: Any) -> list[Any]:
        out: list[Any] = []
        for fn in self._items:
            result = fn(*args)
            if result is None:
                continue
            if isinstance(result, list):
                out.extend(result)
            else:
                out.append(result)
        return out

    def __iter__(self) -> Any:
        return iter(list(self._items))


# (user) -> list of {"label", "value", "url", "note"} (optional "alert", "as_of")
home_cards = Registry("home_cards")
# (request, matter) -> one panel dict or None
matter_panels = Registry("matter_panels")
# (user) -> {"fact": value} for the reset's audit event: what else an administrator's
# password reset ends (the API app revokes the user's tokens)
password_reset = Registry("password_reset")
# (request) -> None, or why the signed-in user must change their password before anything
# else, as {"code", "detail" (for the API), "message" (for the page)} — e.g. the security
# app's password expiry (org.middleware.PasswordChangeRequiredMiddleware asks each)
password_change_reasons = Registry("password_change_reasons")
# (matter) -> a refusal (str) or None: why the matter's consultation records (responses,
# comments, replies, activities and their attachments) may not change now — e.g. a
# generated assessment report rests on them (the assessments app)
matter_locks = Registry("matter_locks")


def matter_lock_refusal(matter: Any) -> str:
    """The first contributor's refusal for `matter`, "" when its records may change."""
    return next((str(r) for r in matter_locks.collect(matter) if r), "")
