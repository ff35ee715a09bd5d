"""`fengping cases import|screen …`: the same actions as the pages, for operators' scripts.
Prints a summary; on a refusal prints the message (and the row errors) and exits non-zero."""

from __future__ import annotations

import sys
from typing import Any

from django.utils.translation import gettext as _


class CommandRefused(Exception):
    """The command was refused; the message is printed and the exit code is 1."""


def user_named(name: str, *, required: bool = True) -> Any:
    from fengping.org.models import User

    if not name:
        if not required:
            return None
        raise CommandRefused(_("请用 --user 或环境变量 FENGPING_USER 指明操作人"))
    user = User.objects.filter(username=name, is_active=True).first()
    if user is None:
        raise CommandRefused(_("用户“%(u)s”不存在或已停用") % {"u": name})
    return user


def organ_coded(user: Any, code: str) -> Any:
    """The organ profile of the department with ``code``, within the user's scope (any
    organ when ``user`` is None: the scheduled job)."""
    from fengping.org import access

    from .models import OrganProfile

    qs = OrganProfile.objects.select_related("department").filter(department__code=code)
    if user is not None:
        qs = access.visible(user, qs)
    profile = qs.first()
    if profile is None:
        raise CommandRefused(_("政法单位“%(c)s”不存在、未启用办案风险评估或无权访问") % {"c": code})
    return profile


def run(args: Any) -> int:
    from django.utils import translation

    from fengping.core.errors import ActionError

    translation.activate("zh-hans")
    try:
        if args.cases_command == "import":
            from .case_import import command
        else:
            from .screening import command
        return command(args)
    except CommandRefused as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except ActionError as exc:
        print(str(exc), file=sys.stderr)
        return 1
