"""Reading the security policy: the one row, kept in each process for a short while.

Every page reads the policy (idle timeout, second factor, password expiry), so the row is
not read per request: each process keeps it for `FENGPING_SECURITY_POLICY_SECONDS`
(default 30) and forgets it at once when this process changes it. Another process sees
a change within that time.

The floors are GB/T 22239-2019 level 3 as this project reads it (docs/security.md): a
policy weaker than them is refused, whoever asks."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from .floors import FLOORS
from .models import SecurityPolicy

_lock = threading.Lock()
_kept: tuple[float, SecurityPolicy] | None = None


def current() -> SecurityPolicy:
    global _kept
    now = time.monotonic()
    kept = _kept
    if kept is not None and now - kept[0] < settings.FENGPING_SECURITY_POLICY_SECONDS:
        return kept[1]
    policy = SecurityPolicy.objects.filter(pk=1).first() or SecurityPolicy.from_settings()
    with _lock:
        _kept = (now, policy)
    return policy


def forget() -> None:
    global _kept
    with _lock:
        _kept = None


def floor_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, Chinese message) for each value weaker than the level-3 floor (or absurd)."""
    problems = []
    labels = {f.name: f.verbose_name for f in SecurityPolicy._meta.fields}
    for name, (low, high) in FLOORS.items():
        if name not in values:
            continue
        value = values[name]
        if value < low:
            problems.append(
                (
                    name,
                    _("%(label)s不能小于 %(low)d（等保三级要求）")
                    % {"label": labels[name], "low": low},
                )
            )
        elif value > high:
            problems.append(
                (
                    name,
                    _("%(label)s不能大于 %(high)d（等保三级要求）")
                    % {"label": labels[name], "high": high},
                )
            )
    return problems


# django-axes reads these (settings.AXES_FAILURE_LIMIT / AXES_COOLOFF_TIME).
def axes_failure_limit(request: Any = None, credentials: Any = None) -> int:
    return current().lockout_failures


def axes_cooloff(request: Any = None) -> timedelta:
    return timedelta(minutes=current().lockout_minutes)


def idle_seconds() -> int:
    return current().idle_minutes * 60
