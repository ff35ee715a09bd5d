"""Issue 9: no write per read. Opening pages and reading the API writes nothing — no
session row, no counter, no cache entry — so on SQLite a reader never waits for (or takes)
the write lock, and on PostgreSQL reads never contend with the writers."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fengping.assessments.views import TABS
from tests.conftest import force_login

from .flow import to_analyse_step

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


@pytest.fixture
def a(org):
    return to_analyse_step(org)


def pages(a):
    m = a.matter
    qn = m.questionnaires.first()
    yield "/"
    yield "/matters/"
    yield f"/matters/{m.pk}/"
    yield "/assessments/"
    for code, *_rest in TABS:
        yield f"/assessments/{a.pk}/?tab={code}"
    yield f"/matters/{m.pk}/opinions/"
    yield f"/matters/{m.pk}/opinions/comments/"
    yield f"/opinions/questionnaires/{qn.pk}/"
    yield f"/opinions/questionnaires/{qn.pk}/responses/"


def api_paths(a):
    m = a.matter
    qn = m.questionnaires.first()
    yield "/assessments"
    yield f"/assessments/{a.pk}"
    yield "/matters"
    yield f"/matters/{m.pk}"
    yield f"/matters/{m.pk}/questionnaires"
    yield f"/matters/{m.pk}/opinion-summary"
    yield f"/matters/{m.pk}/keywords"
    yield f"/questionnaires/{qn.pk}/results"


def writes(ran):
    return [q["sql"][:120] for q in ran.captured_queries if WRITE.match(q["sql"])]


def test_pages_write_nothing(org, a, client):
    force_login(client, org.admin)
    client.get("/")  # the first request after signing in may refresh the session
    for url in pages(a):
        with CaptureQueriesContext(connection) as ran:
            response = client.get(url)
        assert response.status_code == 200, url
        assert writes(ran) == [], url
    # The audit log is the 审计管理员's to read (三员分立).
    from tests.conftest import audit_admin

    force_login(client, audit_admin(org))
    client.get("/")
    for url in ("/audit/", "/"):
        with CaptureQueriesContext(connection) as ran:
            response = client.get(url)
        assert response.status_code == 200, url
        assert writes(ran) == [], url


def test_api_reads_write_nothing(org, a, api):
    call = api(org.admin)
    call("get", "/me")  # the token's first use is recorded once
    for path in api_paths(a):
        with CaptureQueriesContext(connection) as ran:
            response = call("get", path)
        assert response.status_code == 200, path
        assert writes(ran) == [], path
