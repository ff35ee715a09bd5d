"""The one error of the readers: the file cannot be read at all."""

from __future__ import annotations


class ReadError(ValueError):
    """The file cannot be read at all; `code` names the reason for callers that translate."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params
