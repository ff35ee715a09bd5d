"""Group-robot webhooks of DingTalk (钉钉) and WeCom (企业微信): one robot per department,
configured in the setting FENGPING_WEBHOOKS (environment variable of the same name, JSON):

    {"RSJ": {"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=…",
             "secret": "SEC…"},
     "WWB": {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"}}

keyed by department code. A DingTalk robot with 加签 gets `timestamp` and `sign` (HMAC-SHA256
of "timestamp\\nsecret", base64, URL-quoted) added to its URL. Both robots take a markdown
message; both answer `{"errcode": 0, …}` when they accept it. `post()` never raises: it
returns (ok, detail) for the reminder ledger, so one unreachable robot never stops a tick."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings

TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Robot:
    kind: str  # "dingtalk" | "wecom"
    url: str
    secret: str = ""


def robot_for(department_code: str) -> Robot | None:
    raw = (getattr(settings, "FENGPING_WEBHOOKS", None) or {}).get(department_code)
    if not raw:
        return None
    return Robot(kind=raw["kind"], url=raw["url"], secret=raw.get("secret", ""))


def parse_setting(raw: str) -> dict[str, dict[str, str]]:
    """The FENGPING_WEBHOOKS value, checked: a JSON object of department code → robot.
    Raises ValueError naming what is wrong (settings turn it into a ConfigError)."""
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    for code, robot in data.items():
        if not isinstance(robot, dict) or robot.get("kind") not in ("dingtalk", "wecom"):
            raise ValueError(f"{code}: kind must be dingtalk or wecom")
        url = robot.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"{code}: url must be an http(s) URL")
    return data


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def signed_url(robot: Robot, timestamp_ms: int | None = None) -> str:
    if robot.kind != "dingtalk" or not robot.secret:
        return robot.url
    ts = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    sep = "&" if "?" in robot.url else "?"
    return f"{robot.url}{sep}timestamp={ts}&sign={dingtalk_sign(robot.secret, ts)}"


def payload(robot: Robot, title: str, text: str) -> dict[str, Any]:
    if robot.kind == "dingtalk":
        return {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": f"### {title}\n\n{text}"},
        }
    return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}


def post(robot: Robot, title: str, text: str) -> tuple[bool, str]:
    """Send one message; (ok, detail). Never raises."""
    body = json.dumps(payload(robot, title, text), ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked in parse_setting
        signed_url(robot),
        data=body,
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - the URL is the operator's setting
            answer = response.read(4096)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, f"{type(exc).__name__}: {exc}"[:300]
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        return False, f"unreadable answer: {answer[:200]!r}"[:300]
    if isinstance(data, dict) and data.get("errcode", 0) == 0:
        return True, ""
    return False, f"robot refused: {str(data)[:250]}"
