"""Group robots (DingTalk, WeCom) per department, against a local HTTP server: the
message each robot expects, DingTalk's 加签 signature, and a failure recorded on the
reminder ledger without stopping the tick."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import override_settings

from fengping.supervision import webhooks
from fengping.supervision.actions import reminders as actions
from fengping.supervision.models import Channel, Reminder
from tests.supervision.test_reminders import at, day, obligation


class Robot(BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []
    answer: dict = {"errcode": 0, "errmsg": "ok"}

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers["Content-Length"])
        Robot.received.append((self.path, json.loads(self.rfile.read(length))))
        body = json.dumps(Robot.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def rows_as_built(monkeypatch):
    """The obligations here are built by hand; the tick's sync is tested in
    test_reminders.py."""
    from fengping.supervision import obligations

    monkeypatch.setattr(obligations, "sync", lambda now=None, kinds=None: {})


@pytest.fixture
def robot():
    Robot.received = []
    Robot.answer = {"errcode": 0, "errmsg": "ok"}
    server = HTTPServer(("127.0.0.1", 0), Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_dingtalk_markdown_and_signature(org, robot):
    obligation(org)
    hooks = {
        "RSJ": {"kind": "dingtalk", "url": f"{robot}/robot/send?access_token=t", "secret": "SECx"}
    }
    with override_settings(FENGPING_WEBHOOKS=hooks):
        counts = actions.run_reminders(at(day(-7)))
    assert counts.sent[Channel.WEBHOOK] == 1
    [(path, body)] = Robot.received
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"].startswith("【到期提醒】")
    assert "还有7天" in body["markdown"]["text"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    assert query["access_token"] == ["t"]
    ts = query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(b"SECx", f"{ts}\nSECx".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]
    row = Reminder.objects.get(channel=Channel.WEBHOOK)
    assert (row.ok, row.recipient_key) == (True, f"dept:{org.rsj.pk}")
    # Twice: nothing twice.
    with override_settings(FENGPING_WEBHOOKS=hooks):
        actions.run_reminders(at(day(-7), 15))
    assert len(Robot.received) == 1


def test_wecom_markdown_to_the_offices_robot_at_the_office_stage(org, robot):
    hooks = {
        "RSJ": {"kind": "wecom", "url": f"{robot}/rsj"},
        "WWB": {"kind": "wecom", "url": f"{robot}/cgi-bin/webhook/send?key=k"},
    }
    obligation(org)
    with override_settings(FENGPING_WEBHOOKS=hooks):
        actions.run_reminders(at(day(8)))
    [(path, body)] = Robot.received
    assert path == "/cgi-bin/webhook/send?key=k"
    assert body == {
        "msgtype": "markdown",
        "markdown": {"content": body["markdown"]["content"]},
    }
    assert body["markdown"]["content"].startswith("**【逾期督办】人社局：")
    assert "逾期8天" in body["markdown"]["content"]


def test_a_refused_or_unreachable_robot_is_recorded_and_the_tick_goes_on(org, robot):
    Robot.answer = {"errcode": 310000, "errmsg": "sign not match"}
    obligation(org)
    obligation(org, owner=org.rsj_head)
    hooks = {"RSJ": {"kind": "dingtalk", "url": f"{robot}/send", "secret": "wrong"}}
    with override_settings(FENGPING_WEBHOOKS=hooks):
        counts = actions.run_reminders(at(day(-1)))
    assert counts.failed == {Channel.WEBHOOK: 2}
    assert counts.sent[Channel.APP] == 2
    details = set(Reminder.objects.filter(channel=Channel.WEBHOOK).values_list("ok", "detail"))
    assert len(details) == 1
    ok, detail = details.pop()
    assert not ok and "sign not match" in detail

    hooks = {"RSJ": {"kind": "wecom", "url": "http://127.0.0.1:9/nothing"}}
    with override_settings(FENGPING_WEBHOOKS=hooks):
        counts = actions.run_reminders(at(day(1)))
    assert counts.failed == {Channel.WEBHOOK: 2}
    assert (
        Reminder.objects.filter(channel=Channel.WEBHOOK, stage="after:1:owner", ok=False).count()
        == 2
    )


def test_post_never_raises_when_nobody_answers():
    ok, detail = webhooks.post(webhooks.Robot("wecom", "http://127.0.0.1:9/"), "t", "x")
    assert not ok and detail


def test_the_setting_is_checked():
    assert webhooks.parse_setting("") == {}
    good = '{"RSJ": {"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=a"}}'
    assert webhooks.parse_setting(good)["RSJ"]["kind"] == "dingtalk"
    for bad in (
        "[]",
        "{",
        '{"RSJ": {"kind": "slack", "url": "https://x"}}',
        '{"RSJ": {"kind": "wecom", "url": "file:///etc/passwd"}}',
    ):
        with pytest.raises(ValueError):
            webhooks.parse_setting(bad)


def test_signed_url_is_deterministic_for_a_timestamp():
    r = webhooks.Robot("dingtalk", "https://x/robot/send?access_token=a", "SEC1")
    url = webhooks.signed_url(r, 1_700_000_000_000)
    assert url.startswith("https://x/robot/send?access_token=a&timestamp=1700000000000&sign=")
    assert webhooks.signed_url(webhooks.Robot("wecom", "https://y"), 1) == "https://y"
