"""Optimistic locking by version: the one way an action re-reads a row and refuses a
stale edit, and the one way it bumps the version when it saves.

Every editable record carries a `version` column. A form or API call sends back the
version it was shown; `lock` re-reads the row with SELECT … FOR UPDATE inside the
action's transaction and raises `ConflictError` when someone saved it in between, so
two people editing at once never lose an edit silently. The error carries the fresh row
(`exc.current`), so a page can show what is stored now while keeping the user's input.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ConflictError
from .registry import Registry

M = TypeVar("M", bound=models.Model)


class StaleVersion(ConflictError):
    """The row changed since the caller read it."""

    def __init__(self, message: str, *, current: models.Model, yours: int) -> None:
        super().__init__(message)
        self.current = current
        self.yours = yours


def lock(obj: M, version: int | None = None, *, related: tuple[str, ...] = ()) -> M:
    """Re-read `obj` under a row lock; refuse if `version` is given and differs.

    Call it inside `transaction.atomic()`; `related` names select_related paths the
    action needs on the fresh row."""
    manager = obj._meta.model._default_manager  # works through lazy objects (request.user)
    # Only the row itself is locked: a nullable related row is an outer join, which
    # PostgreSQL cannot lock.
    query = manager.select_for_update(of=("self",))
    if related:
        query = query.select_related(*related)
    fresh = query.get(pk=obj.pk)
    if version is not None and int(version) != fresh.version:  # type: ignore[attr-defined]
        raise StaleVersion(stale_message(fresh, int(version)), current=fresh, yours=int(version))
    return fresh


# Who saved a row last and when: (obj) -> {"who": str, "at": datetime} or None. The audit
# app contributes its last event on the row (core imports nothing above it).
last_change = Registry("last_change")


def stale_message(fresh: models.Model, yours: int) -> str:
    """What the loser of a concurrent edit reads: who saved the row last and when, and
    the two versions."""
    values = {"obj": fresh, "theirs": fresh.version, "yours": yours}  # type: ignore[attr-defined]
    change = next(iter(last_change.collect(fresh)), None)
    if change is None:
        return (
            _(
                "“%(obj)s”已被他人修改（当前版本 %(theirs)s，您编辑的是版本 %(yours)s），"
                "请查看最新内容后重新提交。"
            )
            % values
        )
    return _(
        "“%(obj)s”已被他人修改：%(who)s 于 %(when)s 保存了版本 %(theirs)s，"
        "您编辑的是版本 %(yours)s。请对照最新内容后重新提交。"
    ) % {
        **values,
        "who": change["who"],
        "when": timezone.localtime(change["at"]).strftime("%Y年%m月%d日 %H:%M"),
    }


def bump(obj: models.Model, *fields: str) -> None:
    """Save `obj` with its version raised by one. With `fields`, only those columns (and
    the version) are written; without, the whole row."""
    obj.version += 1  # type: ignore[attr-defined]
    if fields:
        obj.save(update_fields=[*fields, "version"])
    else:
        obj.save()
