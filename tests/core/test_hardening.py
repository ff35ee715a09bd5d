"""Smaller findings of the hostile sweep: no caching of signed-in pages, no traceback for
a 403 in the log."""

from __future__ import annotations

import logging

from fengping.api.tokens import do_create_token


def test_signed_in_pages_and_api_are_not_stored(org, login, client):
    page = client.get("/api/health")
    assert "no-store" not in page.get("Cache-Control", "")
    client = login(org.rsj_handler)
    for url in ("/", "/matters/", "/me/", "/api/me", "/org/users/export.xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
    client.logout()
    token = do_create_token(org.rsj_handler, "t")[1]
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert "no-store" in response["Cache-Control"]


def test_403_logged_in_one_line_without_traceback(org, login, caplog):
    client = login(org.supervisor)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(f"/org/departments/{org.rsj.pk}/edit/")
    assert response.status_code == 403
    forbidden = [r for r in caplog.records if r.name == "django.request"]
    assert forbidden and all(r.exc_info is None for r in forbidden)
    assert "Forbidden" in forbidden[0].getMessage()


def test_500_still_logged_with_traceback(org, login, caplog, monkeypatch):
    from django.test import Client

    from fengping.org import access

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    client = Client(raise_request_exception=False)
    client.force_login(org.rsj_handler)
    monkeypatch.setattr(access, "visible", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert client.get("/org/departments/").status_code == 500
    assert any(r.exc_info and isinstance(r.exc_info[1], RuntimeError) for r in caplog.records)
