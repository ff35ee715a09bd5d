"""Logging filters."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class PermissionDeniedWithoutTraceback(logging.Filter):
    """A 403 is a refusal working as designed, not a bug: keep Django's one-line
    "Forbidden (Permission denied): /path" and drop the traceback it attaches, which
    buried real errors in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, PermissionDenied) or getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
