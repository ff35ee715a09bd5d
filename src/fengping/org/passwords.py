"""Temporary passwords an administrator hands over once (a reset, an account created
without one): they must pass every password validator in force, whatever the policy."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import get_default_password_validators

# No look-alikes (0/O, 1/l/I): the password is read off a screen and typed by someone else.
LOWER = "abcdefghijkmnpqrstuvwxyz"
UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = "23456789"
SYMBOLS = "-_.+=@#%"
DEFAULT_LENGTH = 16


def temporary_password() -> str:
    """Every character class, at least DEFAULT_LENGTH long or the longest minimum a
    validator asks for (`minimum_length()`, e.g. the security policy's)."""
    length = max(
        [DEFAULT_LENGTH]
        + [
            int(v.minimum_length())
            for v in get_default_password_validators()
            if hasattr(v, "minimum_length")
        ]
    )
    pools = (LOWER, UPPER, DIGITS, SYMBOLS)
    chars = [secrets.choice(pool) for pool in pools]
    chars += [secrets.choice("".join(pools)) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
