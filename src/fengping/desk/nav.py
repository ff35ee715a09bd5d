"""The sidebar, declared once as data and rendered to HTML once per language, role and
active entry (not by the template engine on every page: its forty links and their
conditions were a tenth of a list page's time).

An entry names the kinds of user it shows to (`show`, a set of flags; `flags(user)` says
which a user has): everyone, people with business work (`work`: any membership other than
安全管理员 or 审计管理员), the 系统管理员 (`admin`), supervisors, the 安全管理员
(`security`) and the 审计管理员 (`audit`). 三员分立: each administrator sees their own
entries — the audit log for the 审计管理员 and supervisors, never for the 系统管理员;
people and roles for the 安全管理员, and no business pages (their role opens no business
data). `active(path)` says whether the page being shown belongs to the entry; the first
entry that claims the path is highlighted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

EVERYONE, WORK, ADMIN, SUPERVISOR, SECURITY, AUDIT = (
    "everyone",
    "work",
    "admin",
    "supervisor",
    "security",
    "audit",
)
ALL = frozenset({EVERYONE})
WORKERS = frozenset({WORK})
ADMINS = frozenset({ADMIN})
OVERSIGHT = frozenset({ADMIN, SUPERVISOR})
AUDITORS = frozenset({AUDIT, SUPERVISOR})
ORG = frozenset({WORK, SECURITY})
SECURITIES = frozenset({SECURITY})
AUDITS = frozenset({AUDIT})


def flags(user: Any) -> frozenset[str]:
    """The kinds of entry `user` sees (superusers: all of them)."""
    from fengping.org import access

    scope = access.scope_of(user)
    found = {EVERYONE}
    if scope.everything or scope.view_paths:
        found.add(WORK)
    for flag, predicate in (
        (ADMIN, access.is_org_admin),
        (SUPERVISOR, access.is_supervisor),
        (SECURITY, access.is_security_admin),
        (AUDIT, access.is_audit_admin),
    ):
        if predicate(user):
            found.add(flag)
    return frozenset(found)


@dataclass(frozen=True)
class Entry:
    label: Any
    url: str  # a URL name, or a path starting with "/"
    active: Callable[[str], bool] | None = None
    show: frozenset[str] = WORKERS


@dataclass(frozen=True)
class Heading:
    label: Any
    show: frozenset[str] = WORKERS


def starts(prefix: str) -> Callable[[str], bool]:
    return lambda path: path.startswith(prefix)


def has(*parts: str, without: tuple[str, ...] = ()) -> Callable[[str], bool]:
    return lambda path: any(p in path for p in parts) and not any(w in path for w in without)


def _cases(path: str) -> bool:
    return path.startswith("/cases/") and not any(
        p in path for p in ("/cases/screening", "/cases/statistics", "/cases/assessments/due")
    )


NAV: tuple[Entry | Heading, ...] = (
    Entry(_("工作台"), "home", lambda path: path == reverse("home"), ALL),
    Heading(_("社会稳定风险评估")),
    Entry(_("评估事项"), "matters:list", starts("/matters/")),
    Entry(_("风险评估"), "assessments:list", starts("/assessments/")),
    Entry(_("公开征求意见页"), "opinions:public"),
    Heading(_("信息安全风险评估")),
    Entry(_("信息系统"), "infosec:systems", has("/infosec/", without=("/infosec/risks/",))),
    Entry(_("风险清单（全部系统）"), "infosec:all_risks", has("/infosec/risks/")),
    Heading(_("办案风险评估")),
    Entry(_("案件"), "cases:list", _cases),
    Entry(_("月度排查与研判"), "cases:screening_runs", has("/cases/screening")),
    Entry(_("本阶段待评估"), "cases:assessments_due", has("/cases/assessments/due")),
    Entry(_("办案风险统计"), "cases:statistics", has("/cases/statistics")),
    Heading(_("督促检查")),
    Entry(_("我的待办"), "supervision:todo", starts("/supervision/todo/")),
    Entry(_("待办日历"), "supervision:calendar", has("/supervision/calendar")),
    Entry(_("年度评估计划表"), "supervision:plans", has("/supervision/plans")),
    Entry(_("实施办法和工作方案"), "supervision:rules_list", has("/supervision/rules")),
    Entry(
        _("工作进展情况报告表"),
        "supervision:reports",
        has("/supervision/reports", without=("/overview",)),
    ),
    Entry(_("督办通知"), "supervision:notices", has("/supervision/notices", "/notice/")),
    Entry(_("年度考核"), "supervision:evaluation_runs", has("/supervision/evaluation")),
    Entry(_("数据看板"), "supervision:dashboard", has("/supervision/dashboard")),
    Entry(
        _("月度报告汇总"),
        "supervision:report_overview",
        has("/supervision/reports/overview"),
        OVERSIGHT,
    ),
    Entry(
        _("应评未评"), "supervision:unassessed_matters", has("/supervision/unassessed"), OVERSIGHT
    ),
    Entry(_("事件调查"), "supervision:incidents", has("/supervision/incidents"), OVERSIGHT),
    Entry(
        _("责任追究"), "supervision:accountability", has("/supervision/accountability"), OVERSIGHT
    ),
    Heading(_("评估依据"), ALL),
    # Reference data every signed-in user reads (the 安全管理员 and 审计管理员 too).
    Entry(_("评估方案"), "schemebook:schemes", starts("/schemes/"), ALL),
    Entry(_("报告模板"), "reports:template", has("/reports/template"), ADMINS),
    Heading(_("组织机构"), ORG),
    Entry(_("部门"), "org:departments", has("/org/departments"), ORG),
    Entry(_("人员与角色"), "org:users", has("/org/users"), ORG),
    Entry(_("领导小组"), "org:leadership_groups", has("/org/leadership")),
    Entry(_("批量导入"), "org:import", has("/org/import"), ADMINS),
    Heading(_("安全管理"), SECURITIES),
    Entry(_("安全策略"), "security:policy", has("/security/policy"), SECURITIES),
    Entry(_("登录锁定"), "security:lockouts", has("/security/lockouts"), SECURITIES),
    Entry(_("双因素认证"), "security:second_factors", has("/security/second-factor"), SECURITIES),
    Entry(_("API 令牌管理"), "security_tokens", has("/security/tokens"), SECURITIES),
    Heading(_("监督"), AUDITORS),
    Entry(_("审计包"), "audit:bundle", has("/audit/bundle"), AUDITS),
    Entry(_("审计日志"), "audit:events", has("/audit"), AUDITORS),
    Heading(_("系统"), ALL),
    Entry(_("API 文档"), "/api/docs", None, ALL),
)


def _shown(item: Entry | Heading, user_flags: frozenset[str]) -> bool:
    return bool(item.show & user_flags)


def active_index(path: str, user_flags: frozenset[str]) -> int | None:
    for i, item in enumerate(NAV):
        if not isinstance(item, Entry) or item.active is None:
            continue
        if _shown(item, user_flags) and item.active(path):
            return i
    return None


@lru_cache(maxsize=512)
def _html(language: str | None, user_flags: frozenset[str], active: int | None) -> str:
    parts = []
    for i, item in enumerate(NAV):
        if not _shown(item, user_flags):
            continue
        if isinstance(item, Heading):
            parts.append(
                format_html(
                    '<li class="nav-item"><div class="hr-text text-secondary my-2">{}</div></li>',
                    item.label,
                )
            )
            continue
        url = item.url if item.url.startswith("/") else reverse(item.url)
        parts.append(
            format_html(
                '<li class="nav-item{}"><a class="nav-link" href="{}">'
                '<span class="nav-link-title">{}</span></a></li>',
                " active" if i == active else "",
                url,
                item.label,
            )
        )
    return "".join(parts)


def render(path: str, user_flags: frozenset[str]) -> SafeString:
    active = active_index(path, user_flags)
    return SafeString(_html(get_language(), user_flags, active))


class Sidebar:
    """Rendered when the template prints it (a partial htmx response never does)."""

    def __init__(self, path: str, user_flags: frozenset[str]) -> None:
        self.args = (path, user_flags)

    def __html__(self) -> str:
        return render(*self.args)

    def __str__(self) -> str:
        return self.__html__()
