"""The client's address behind trusted reverse proxies (FENGPING_TRUSTED_PROXIES): the
login throttle counts by it, and X-Forwarded-For from any other peer is not believed."""

from __future__ import annotations

import ipaddress
import os

import pytest
from django.test import Client

from fengping import conf
from fengping.core.middleware import client_address
from fengping.security.policy import axes_failure_limit
from tests.conftest import PASSWORD

PROXIES = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("127.0.0.1", "", "127.0.0.1"),  # no header
        ("192.0.2.9", "203.0.113.5", "192.0.2.9"),  # an untrusted peer's header is ignored
        ("127.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("127.0.0.1", "198.51.100.7, 203.0.113.5, 10.1.2.3", "203.0.113.5"),  # proxy chain
        ("127.0.0.1", "forged, 203.0.113.5", "203.0.113.5"),  # left of the client: ignored
        ("127.0.0.1", "203.0.113.5, not-an-ip", "127.0.0.1"),  # malformed last hop: the peer
        ("127.0.0.1", "10.0.0.1, 10.0.0.2", "10.0.0.1"),  # all proxies: the left-most
        ("127.0.0.1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address(peer, forwarded, client):
    assert client_address(peer, forwarded, PROXIES) == client
    assert client_address(peer, forwarded, ()) == peer  # no trusted proxy: never the header


def test_a_bad_setting_is_refused(monkeypatch):
    monkeypatch.setitem(os.environ, "FENGPING_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")
    with pytest.raises(conf.ConfigError, match="proxy.local"):
        conf.networks("FENGPING_TRUSTED_PROXIES")
    monkeypatch.setitem(os.environ, "FENGPING_TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.1")
    assert len(conf.networks("FENGPING_TRUSTED_PROXIES")) == 2


def _fail(client: Client, address: str) -> int:
    return client.post(
        "/accounts/login/",
        {"username": "rsj_handler", "password": "wrong"},
        HTTP_X_FORWARDED_FOR=address,
    ).status_code


def test_the_login_throttle_counts_the_client_behind_a_trusted_proxy(org, settings):
    """Behind the proxy, one client's failures lock that client out, not every user of the
    proxy; without the setting, the same header changes nothing."""
    settings.FENGPING_TRUSTED_PROXIES = (ipaddress.ip_network("127.0.0.1/32"),)
    client = Client()
    for _ in range(axes_failure_limit()):
        _fail(client, "203.0.113.5")
    assert _fail(client, "203.0.113.5") == 429
    other = client.post(
        "/accounts/login/",
        {"username": "rsj_handler", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.6",
    )
    assert other.status_code == 302  # another client behind the proxy signs in


def test_the_header_is_not_believed_without_the_setting(org, settings):
    settings.FENGPING_TRUSTED_PROXIES = ()
    client = Client()
    for n in range(axes_failure_limit()):
        _fail(client, f"203.0.113.{n}")  # a new forged address each time
    assert _fail(client, "203.0.113.200") == 429  # all counted against the real peer
