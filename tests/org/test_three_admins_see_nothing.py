"""三员分立: the 安全管理员 and the 审计管理员 see no business data. Generated over every
scoped model, every page without an argument and every API read without a path
parameter, against the world of tests/test_url_scoping.py (one object of every kind)."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from fengping.api.main import api
from fengping.api.tokens import do_create_token
from fengping.org import access
from fengping.org.models import Department, Scoped, User
from tests.conftest import audit_admin, force_login, security_admin
from tests.module_db import module_data
from tests.test_url_scoping import build_world

# What the 安全管理员 needs to grant roles: the organisation's own structure.
ORG_MODELS = {"org.department", "org.membership"}
# API lists of the organisation itself (the 安全管理员 reads them; the 审计管理员 not).
ORG_LISTS = {
    "/api/departments",
    "/api/users",
    "/api/me",
    # The tokens of the people the 安全管理员 administers (names, prefixes, dates): token
    # revocation is theirs (三员分立); no business data is in it (the strings are checked).
    "/api/security/tokens",
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    def build():
        built = build_world()
        people = {
            "security": security_admin(built.org),
            "auditor": audit_admin(built.org),
        }
        tokens = {name: do_create_token(user, "see-nothing")[1] for name, user in people.items()}
        return built, people, tokens

    yield from module_data(django_db_blocker, build)


def scoped_models():
    return [
        m
        for m in apps.get_models()
        if issubclass(m, Scoped) and m._meta.label_lower not in ORG_MODELS
    ]


def business_strings(world) -> set[str]:
    """A few texts of the world's business rows (titles, names) that no page may show to
    the two administrators: every scoped model's first row, as it prints."""
    org_names = set(Department.objects.values_list("name", flat=True))
    org_names |= set(User.objects.values_list("username", flat=True))
    org_names |= set(User.objects.values_list("real_name", flat=True))
    found = set()
    for model in scoped_models():
        row = model._default_manager.first()
        text = str(row) if row is not None else ""
        if len(text) >= 6 and text not in org_names and not text.isdigit():
            found.add(text)
    return found


@pytest.mark.parametrize("who", ["security", "auditor"])
def test_no_scoped_model_shows_a_row(db, world, who):
    _built, people, _tokens = world
    user = User.objects.get(pk=people[who].pk)
    filled = 0
    for model in scoped_models():
        rows = model._default_manager.all()
        filled += rows.exists()
        for need in ("view", "work", "change"):
            assert not access.visible(user, rows, need).exists(), (model.__name__, need)
    assert filled >= 20  # the world holds rows of most kinds: the test is not empty
    org_rows = access.visible(user, Department.objects.all()).exists()
    assert org_rows == (who == "security")
    assert not access.organisation_departments(user).exists()


def page_urls():
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if str(p.pattern).startswith("api/"):
                    continue
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                policy = getattr(p.callback, "fengping_policy", "")
                if "<" not in route and policy != "public":
                    yield "/" + route

    return sorted(set(walk(get_resolver().url_patterns)))


@pytest.mark.parametrize("who", ["security", "auditor"])
def test_no_page_shows_business_data(db, world, who, client):
    built, people, _tokens = world
    secrets = business_strings(built)
    assert len(secrets) >= 5
    force_login(client, people[who])
    shown = []
    for url in page_urls():
        if who == "auditor" and url.startswith("/audit/"):
            # The log itself: who did what to which object is what the 审计管理员 reads.
            continue
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404, 405), (url, response.status_code)
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            html = response.content.decode()
            shown += [(url, s) for s in secrets if s in html]
    assert shown == [], "\n".join(f"{u} {s}" for u, s in shown)


def api_reads():
    for path, operations in api.get_openapi_schema()["paths"].items():
        if "get" in operations and "{" not in path:
            yield path


@pytest.mark.parametrize("who", ["security", "auditor"])
def test_no_api_read_returns_business_data(db, world, who, client):
    built, _people, tokens = world
    secrets = business_strings(built)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens[who]}"}
    leaked = []
    for path in api_reads():
        response = client.get(path, **auth)
        assert response.status_code in (200, 403, 404), (path, response.status_code)
        if response.status_code != 200 or "json" not in response.get("Content-Type", ""):
            continue
        body = response.json()
        items = body.get("items") if isinstance(body, dict) else None
        if items and path not in ORG_LISTS:
            leaked.append((path, len(items)))
        text = response.content.decode("unicode_escape", errors="ignore")
        leaked += [(path, s) for s in secrets if s in text]
    assert leaked == []


def test_the_security_admin_sees_the_people_they_grant_roles_to(db, world, client):
    _built, _people, tokens = world
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens['security']}"}
    users = client.get("/api/users?limit=200", **auth).json()["items"]
    assert {"rsj_handler", "zjj_handler", "admin"} <= {u["username"] for u in users}
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens['auditor']}"}
    users = client.get("/api/users", **auth).json()["items"]
    assert [u["username"] for u in users] == ["auditor"]  # themselves only
    assert re.search("auditor", client.get("/api/me", **auth).content.decode())
