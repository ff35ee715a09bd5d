"""The weakest security policy this project accepts: GB/T 22239-2019 level 3 as read in
docs/security.md. Plain Python, read by the settings (fengping.conf) and the policy page.

field -> (lowest allowed, highest allowed)."""

from __future__ import annotations

FLOORS: dict[str, tuple[int, int]] = {
    "min_length": (8, 128),
    "required_classes": (3, 4),
    "expiry_days": (1, 90),
    "history_count": (5, 24),
    "lockout_failures": (1, 10),
    "lockout_minutes": (10, 1440),
    "idle_minutes": (1, 120),
}

ENV_NAMES = {
    "min_length": "FENGPING_PASSWORD_MIN_LENGTH",
    "required_classes": "FENGPING_PASSWORD_CLASSES",
    "expiry_days": "FENGPING_PASSWORD_EXPIRY_DAYS",
    "history_count": "FENGPING_PASSWORD_HISTORY",
    "lockout_failures": "FENGPING_LOGIN_FAILURE_LIMIT",
    "lockout_minutes": "FENGPING_LOGIN_COOLOFF_MINUTES",
    "idle_minutes": "FENGPING_SESSION_IDLE_MINUTES",
}


def out_of_bounds(values: dict[str, object]) -> list[tuple[str, int, int]]:
    """(field, low, high) for each integer value outside its bounds."""
    out = []
    for name, (low, high) in FLOORS.items():
        value = values.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and not low <= value <= high:
            out.append((name, low, high))
    return out
