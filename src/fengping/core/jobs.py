"""The periodic jobs of the foundation: keep sessions and login-failure records from
piling up. (The audit app registers its daily chain verification itself.)"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone

from .imports import fail_abandoned_imports
from .tick import daily, register


@register("clear_sessions", "清理过期会话", daily)
def clear_sessions() -> str:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return f"deleted {deleted} expired sessions"


@register("clear_login_attempts", "清理 30 天前的登录失败记录", daily)
def clear_login_attempts() -> str:
    from axes.models import AccessAttempt, AccessFailureLog

    cutoff = timezone.now() - timedelta(days=30)
    a, _ = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()
    b, _ = AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()
    return f"deleted {a} attempts and {b} failure records"


@register("fail_abandoned_imports", "结束一天内未完成的后台导入", daily)
def end_abandoned_imports() -> str:
    return f"ended {fail_abandoned_imports()} abandoned imports"
