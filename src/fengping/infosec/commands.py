"""`fengping infosec import-scan|import-assets --system CODE --user NAME FILE`: the same
imports as the pages, for scheduled scans. Prints one summary line of the counts; on a
refusal prints the message and exits non-zero."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


class CommandRefused(Exception):
    """The import was refused; the message is printed and the exit code is 1."""


def _user(name: str) -> Any:
    from fengping.org.models import User

    if not name:
        raise CommandRefused(_("请用 --user 或环境变量 FENGPING_USER 指明导入人"))
    user = User.objects.filter(username=name, is_active=True).first()
    if user is None:
        raise CommandRefused(_("用户“%(u)s”不存在或已停用") % {"u": name})
    return user


def _system(user: Any, code: str) -> Any:
    from fengping.infosec.models import System
    from fengping.org import access

    system = access.visible(user, System.objects.filter(code=code)).first()
    if system is None:
        raise CommandRefused(_("系统“%(c)s”不存在或无权访问") % {"c": code})
    return system


def run(args: Any) -> int:
    from django.utils import translation

    from fengping.core.errors import ActionError

    translation.activate("zh-hans")
    path = Path(args.file)
    try:
        user = _user(args.user)
        system = _system(user, args.system)
        if not path.is_file():
            raise CommandRefused(_("找不到文件：%(p)s") % {"p": path})
        if args.infosec_command == "import-scan":
            from fengping.infosec.scan_import import cli_import as do_import
        else:
            from fengping.infosec.asset_import import cli_import as do_import
        summary = do_import(user, system, path)
    except CommandRefused as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except ActionError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    except PermissionDenied as exc:
        print(str(exc) or _("无权导入"), file=sys.stderr)
        return 1
    print(summary)
    return 0
