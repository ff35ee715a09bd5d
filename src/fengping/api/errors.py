"""The door of the JSON API: what it refuses before any handler runs, and the guarantee
that every error under /api/ — a ninja handler's, Django's resolver 404, a 405, a crash —
comes back as JSON `{"detail": "<Chinese>", "code": "..."}`, never as an HTML page."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.parser import Parser

from fengping.core.errors import ActionError
from fengping.core.text import find_control_character

logger = logging.getLogger("fengping.api")

# Every integer the API stores or looks up is a 64-bit database integer.
INT_MAX = 2**63 - 1
_DIGITS = re.compile(r"[+-]?\d+")


class InputRefused(ActionError):
    """The request carries a value no field can hold: answered with 422 before parsing."""

    status = 422
    code = "invalid"


def _int_in_range(text: str) -> int:
    value = int(text)
    if abs(value) > INT_MAX:
        raise InputRefused(
            _("数值 %(v)s… 超出允许范围（绝对值不超过 %(max)s）") % {"v": text[:20], "max": INT_MAX}
        )
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise InputRefused(_("数值 %(v)s… 超出允许范围") % {"v": text[:20]})
    return value


def _no_constant(name: str) -> Any:
    raise InputRefused(_("不支持的数值 %(v)s") % {"v": name})


def _refuse_text(text: str, where: str) -> None:
    bad = find_control_character(text)
    if bad is not None:
        raise InputRefused(
            _("“%(where)s”含有不可见的控制字符（U+%(code)04X），请删除后再提交")
            % {"where": where or _("请求体"), "code": ord(bad)}
        )


def _walk(data: Any) -> None:
    """Refuse control characters anywhere in a parsed JSON document (keys and values).
    Iterative, so a deeply nested document cannot exhaust the stack."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            _refuse_text(value, where)
        elif isinstance(value, dict):
            for key, item in value.items():
                _refuse_text(key, where)
                stack.append((f"{where}.{key}" if where else key, item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))


def _check_query_value(key: str, value: str) -> None:
    _refuse_text(key, key)
    _refuse_text(value, key)
    if _DIGITS.fullmatch(value.strip()):
        _int_in_range(value.strip())


class StrictParser(Parser):
    """JSON bodies and query strings, refusing what would otherwise reach the database
    and fail there: integers beyond 64 bits, NaN/Infinity, and control characters (other
    than tab and line breaks), which also break spreadsheet exports."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(
            request.body,
            parse_int=_int_in_range,
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
        _walk(data)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        for key, values in data.lists():
            for value in values:
                if isinstance(value, str):
                    _check_query_value(key, value)
        return super().parse_querydict(data, list_fields, request)


def refused_cause(exc: BaseException) -> InputRefused | None:
    """ninja wraps a parse_body error into HttpError(400); find ours behind it."""
    cause = exc.__cause__
    return cause if isinstance(cause, InputRefused) else None


# ---------------------------------------------------------------- errors outside ninja


def _status_text(status: int) -> tuple[str, str]:
    known = {
        400: (_("请求有误"), "bad_request"),
        401: (_("需要登录或有效的 API 令牌"), "unauthenticated"),
        403: (_("您没有执行此操作的权限"), "forbidden"),
        404: (_("接口或对象不存在"), "not_found"),
        405: (_("该接口不支持此请求方法"), "method_not_allowed"),
        406: (_("无法提供所请求的格式"), "not_acceptable"),
        413: (_("请求体过大"), "too_large"),
        415: (_("不支持的请求体格式，请使用 JSON"), "unsupported_media_type"),
        429: (_("请求过于频繁，请稍后再试"), "throttled"),
    }
    if status in known:
        return known[status]
    if status >= 500:
        return _("服务器内部错误，已记录，请稍后再试或联系管理员"), "server_error"
    return _("请求未能完成"), "error"


def is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def _huge_id_in_path(path: str) -> bool:
    """A path segment of digits beyond 64 bits names no object (and would overflow the
    database driver on lookup)."""
    return any(
        segment.isdigit() and len(segment) > 18 and int(segment) > INT_MAX
        for segment in path.split("/")
    )


class ApiJsonErrorsMiddleware:
    """Under /api/: refuse ids that can name nothing, and turn any non-JSON error response
    (the URL resolver's 404, a 405, Django's 400/500 pages) into `{detail, code}`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        if _huge_id_in_path(request.path):
            return JsonResponse(
                {"detail": _("对象不存在或无权访问"), "code": "not_found"}, status=404
            )
        response = self.get_response(request)
        if response.status_code >= 400 and not is_json(response):
            detail, code = _status_text(response.status_code)
            replacement = JsonResponse(
                {"detail": detail, "code": code}, status=response.status_code
            )
            for header in ("Allow", "Retry-After", "WWW-Authenticate", "Cache-Control", "Vary"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response


def _validation_messages() -> dict[str, str]:
    # pydantic's error types, in the words a Chinese office reads; `ctx` fills the names.
    return {
        "missing": _("必填"),
        "string_type": _("应为文本"),
        "string_too_short": _("至少 %(min_length)s 个字符"),
        "string_too_long": _("最多 %(max_length)s 个字符"),
        "int_type": _("应为整数"),
        "int_parsing": _("应为整数"),
        "int_from_float": _("应为整数"),
        "float_type": _("应为数字"),
        "float_parsing": _("应为数字"),
        "decimal_parsing": _("应为数字"),
        "bool_type": _("应为 true 或 false"),
        "bool_parsing": _("应为 true 或 false"),
        "date_type": _("应为日期（如 2026-12-02）"),
        "date_parsing": _("应为日期（如 2026-12-02）"),
        "date_from_datetime_parsing": _("应为日期（如 2026-12-02）"),
        "datetime_type": _("应为日期时间（如 2026-12-02T09:30:00+08:00）"),
        "datetime_parsing": _("应为日期时间（如 2026-12-02T09:30:00+08:00）"),
        "enum": _("应为以下之一：%(expected)s"),
        "literal_error": _("应为以下之一：%(expected)s"),
        "greater_than": _("应大于 %(gt)s"),
        "greater_than_equal": _("应不小于 %(ge)s"),
        "less_than": _("应小于 %(lt)s"),
        "less_than_equal": _("应不大于 %(le)s"),
        "list_type": _("应为列表"),
        "dict_type": _("应为对象"),
        "model_type": _("应为对象"),
        "model_attributes_type": _("应为对象"),
        "too_short": _("至少 %(min_length)s 项"),
        "too_long": _("最多 %(max_length)s 项"),
        "json_invalid": _("不是有效的 JSON"),
        "extra_forbidden": _("不接受此字段"),
        "uuid_parsing": _("应为 UUID"),
    }


def validation_message(error: dict[str, Any]) -> str:
    """One pydantic error in Chinese (English when the page language is English); a
    message our own validators wrote is kept as it is."""
    template = _validation_messages().get(error.get("type", ""))
    if template is None:
        return str(error.get("msg", ""))
    try:
        return template % dict(error.get("ctx") or {})
    except (KeyError, TypeError, ValueError):
        return str(error.get("msg", ""))
