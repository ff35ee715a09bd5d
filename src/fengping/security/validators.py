"""Password validators (AUTH_PASSWORD_VALIDATORS) that read the security policy.

Django calls `validate()` from `validate_password` (every door that sets a password goes
through it: the actions, the import) and `password_changed()` after a user whose password
was set with `set_password` is saved (`AbstractBaseUser.save`) — so the history is kept
for changes, resets and creation alike, whichever action set the password."""

from __future__ import annotations

import string
from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import policy as policies

CLASSES = (
    ("lower", lambda c: c in string.ascii_lowercase),
    ("upper", lambda c: c in string.ascii_uppercase),
    ("digit", lambda c: c in string.digits),
    # Anything else: punctuation, spaces, and letters beyond ASCII (汉字) alike.
    ("symbol", lambda c: c not in string.ascii_letters and c not in string.digits),
)


def classes_in(password: str) -> int:
    return sum(1 for _name, test in CLASSES if any(test(c) for c in password))


class ComplexityValidator:
    """At least `min_length` characters of at least `required_classes` of the four classes
    (lower case, upper case, digits, symbols)."""

    def validate(self, password: str, user: Any = None) -> None:
        policy = policies.current()
        problems = []
        if len(password) < policy.min_length:
            problems.append(
                ValidationError(
                    _("密码至少需要 %(n)d 个字符") % {"n": policy.min_length},
                    code="password_too_short",
                )
            )
        if classes_in(password) < policy.required_classes:
            problems.append(
                ValidationError(
                    _("密码须包含小写字母、大写字母、数字、符号中的至少 %(n)d 类")
                    % {"n": policy.required_classes},
                    code="password_too_simple",
                )
            )
        if problems:
            raise ValidationError(problems)

    def minimum_length(self) -> int:
        """Read by org.passwords.temporary_password: a generated password is long enough."""
        return policies.current().min_length

    def get_help_text(self) -> str:
        policy = policies.current()
        return _("至少 %(n)d 个字符，包含小写字母、大写字母、数字、符号中的至少 %(k)d 类") % {
            "n": policy.min_length,
            "k": policy.required_classes,
        }


class HistoryValidator:
    """None of the user's last `history_count` passwords again (compared with each stored
    hash, so the passwords themselves are never kept)."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None:
            return
        from .models import PasswordHistory

        count = policies.current().history_count
        hashes = list(
            PasswordHistory.objects.filter(user_id=user.pk).values_list("password", flat=True)[
                :count
            ]
        )
        # The current password counts too (an account from before the history was kept).
        if user.password:
            hashes.append(user.password)
        if any(check_password(password, stored) for stored in hashes):
            raise ValidationError(
                _("不能使用最近 %(n)d 次用过的密码") % {"n": count}, code="password_reused"
            )

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None or not user.has_usable_password():
            return
        from .models import PasswordHistory

        keep = max(policies.current().history_count, 1)
        with transaction.atomic():
            PasswordHistory.objects.create(
                user_id=user.pk, password=user.password, created_at=timezone.now()
            )
            old = PasswordHistory.objects.filter(user_id=user.pk).values_list("pk", flat=True)[
                keep:
            ]
            PasswordHistory.objects.filter(pk__in=list(old)).delete()

    def get_help_text(self) -> str:
        return _("不能使用最近 %(n)d 次用过的密码") % {"n": policies.current().history_count}
