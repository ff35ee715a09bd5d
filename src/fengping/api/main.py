"""The JSON API under /api/ (django-ninja; OpenAPI docs at /api/docs).

Authentication: a personal token (`Authorization: Bearer fp_…`, created on the profile
page) or the browser session. Every endpoint reads through `org.access`, exactly like the
pages, and every change calls the same action functions. Errors are JSON:
{"detail": "<Chinese message>", "code": "..."}.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from fengping.core.dbcheck import database_problem
from fengping.core.errors import ActionError
from fengping.security.passwords import expired as password_expired

from .errors import StrictParser, logger, refused_cause, validation_message
from .tokens import TokenRefused, user_for_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token, request.method or "GET")
        if user is not None and getattr(user, "must_change_password", False):
            # The same rule as the pages (org.middleware): whoever holds a password an
            # administrator set uses nothing, by page or by token, until they choose their own.
            raise PermissionDenied(_("管理员为您设置了临时密码，请先登录网页修改密码"))
        if user is not None and password_expired(user, user.password_changed_at):
            # The same rule as the pages: an expired password stops its tokens too, until
            # its holder sets a new one on the web.
            raise TokenRefused("password_expired", _("您的密码已过期，请先登录网页修改密码"))
        if user is not None:
            request.user = user
            # Which door the request came in by: a token may not make another token.
            request.fengping_api_token = token  # type: ignore[attr-defined]
        return user


api = NinjaAPI(
    title="风评 fengping API",
    version="1",
    description="风险评估工作台接口。认证：个人 API 令牌（Bearer）或浏览器会话。",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    parser=StrictParser(),
)


def _error(request: HttpRequest, status: int, detail: str, code: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code, **extra}, status=status)


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, _("对象不存在或无权访问"), "not_found")


@api.exception_handler(PermissionDenied)
def on_403(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 403, str(exc) or _("您没有执行此操作的权限"), "forbidden")


@api.exception_handler(TokenRefused)
def on_token_refused(request: HttpRequest, exc: TokenRefused) -> HttpResponse:
    # An expired or revoked token authenticates nobody (401); a read-only token is a
    # known user refused a change (403).
    status = 403 if exc.code in {"token_read_only", "password_expired"} else 401
    return _error(request, status, exc.message, exc.code)


@api.exception_handler(AuthenticationError)
def on_401(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 401, _("需要登录或有效的 API 令牌"), "unauthenticated")


@api.exception_handler(ValidationError)
def on_422(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"loc": list(e.get("loc", [])), "msg": validation_message(e), "type": e.get("type", "")}
        for e in exc.errors
    ]
    return _error(request, 422, _("输入有误，请检查各字段"), "invalid", errors=errors)


@api.exception_handler(ActionError)
def on_action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    extra: dict[str, Any] = {"field": exc.field} if exc.field else {}
    current = getattr(exc, "current", None)
    if current is not None:
        # A lost update (StaleVersion): the version to re-read and resubmit against.
        extra["current_version"] = current.version
    return _error(request, exc.status, exc.message, exc.code, **extra)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    refused = refused_cause(exc)
    if refused is not None:
        return on_action_error(request, refused)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
        # ninja's "Cannot parse request body": not JSON, not UTF-8, or nested too deep.
        return _error(request, 400, _("请求体不是有效的 JSON"), "bad_json")
    return _error(request, exc.status_code, str(exc), "error")


@api.exception_handler(Exception)
def on_crash(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A bug: logged with its traceback for the administrator, a JSON 500 for the client."""
    logger.error(
        "API %s %s failed",
        request.method,
        request.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return _error(request, 500, _("服务器内部错误，已记录，请稍后再试或联系管理员"), "server_error")


class HealthOut(Schema):
    status: str
    database: bool
    migrations_applied: bool
    detail: str = ""


@api.get("/health", auth=None, response={200: HealthOut, 503: HealthOut}, tags=["system"])
def health(request: HttpRequest) -> Status[dict[str, Any]]:
    """数据库可达、可写入且迁移均已执行时返回 200，否则 503。"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = True
    except Exception as exc:  # noqa: BLE001 - health reports the failure instead of raising
        return Status(
            503,
            {"status": "error", "database": False, "migrations_applied": False, "detail": str(exc)},
        )
    problem = database_problem()
    if problem is not None:
        # Reads work on a read-only database, but login (session, audit chain) does not.
        return Status(
            503,
            {
                "status": "error",
                "database": False,
                "migrations_applied": False,
                "detail": _("数据库不可写入：%(e)s") % {"e": problem},
            },
        )
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    applied = not pending
    status = 200 if applied else 503
    detail = "" if applied else _("有 %(n)s 个迁移尚未执行") % {"n": len(pending)}
    return Status(
        status,
        {
            "status": "ok" if applied else "error",
            "database": database,
            "migrations_applied": applied,
            "detail": detail,
        },
    )


from . import matters_api, org_api  # noqa: E402 - routers register on `api`

api.add_router("/", org_api.router)
api.add_router("/", matters_api.router)

from . import opinions_api  # noqa: E402

api.add_router("/", opinions_api.router)

from . import assessments_api  # noqa: E402

api.add_router("/", assessments_api.router)

from . import reference_api  # noqa: E402

api.add_router("/", reference_api.router)

from . import grading_api  # noqa: E402

api.add_router("/", grading_api.router)

from . import infosec  # noqa: E402

api.add_router("/infosec/", infosec.router)

from . import cases  # noqa: E402

api.add_router("/cases/", cases.router)

from . import supervision  # noqa: E402

api.add_router("/supervision/", supervision.router)

from . import reports_api  # noqa: E402

api.add_router("/", reports_api.router)

from . import audit_api  # noqa: E402

api.add_router("/", audit_api.router)

from . import tokens_api  # noqa: E402

api.add_router("/", tokens_api.router)

from . import audit_bundle_api  # noqa: E402

api.add_router("/", audit_bundle_api.router)

from fengping.security import api as security_api  # noqa: E402

api.add_router("/security/", security_api.router)
