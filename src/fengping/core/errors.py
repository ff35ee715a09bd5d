"""Errors raised by action functions; every door (page, API, import) shows their message."""

from __future__ import annotations


class ActionError(Exception):
    """A rule refused the change. `message` is for the user (Chinese by default)."""

    status = 400
    code = "refused"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConflictError(ActionError):
    """Someone else changed the object since it was read (optimistic version check)."""

    status = 409
    code = "conflict"
