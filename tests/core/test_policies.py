"""Every page says who may open it: a view without a policy decorator fails here."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from fengping.core.policy import role_gate


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith("api/"):
                continue  # the API authenticates in NinjaAPI(auth=...) for every endpoint
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def test_every_view_has_a_policy():
    missing = [
        route
        for route, view in walk(get_resolver().url_patterns)
        if not hasattr(view, "fengping_policy")
    ]
    assert missing == []


def test_only_expected_views_are_public():
    public = sorted(
        route
        for route, view in walk(get_resolver().url_patterns)
        if view.fengping_policy == "public"
    )
    assert public == [
        # The login's second step: the password step's success is in the session
        # (tests/security/test_second_factor.py)
        "accounts/2fa/",
        "accounts/login/",
        "accounts/logout/",
        # OIDC login (tests/directory/test_oidc_login.py); 404 while OIDC is not configured
        "accounts/oidc/authenticate/",
        "accounts/oidc/callback/",
        "accounts/oidc/logout/",
        "i18n/setlang/",
        # 征求意见: the public consultation list and questionnaire (tests/opinions/test_public.py)
        "public/",
        # 篇3 二(四): decided, non-confidential matters (tests/opinions/test_consultation.py)
        "public/decisions/",
        "q/<str:token>/",
        "q/<str:token>/thanks/",
        # A user's private calendar feed: the token is the access (tests/supervision/test_calendar_feed.py)
        "supervision/feed/<str:token>.ics",
    ]


def routes_with(policy):
    return sorted(
        route for route, view in walk(get_resolver().url_patterns) if view.fengping_policy == policy
    )


def test_only_expected_views_are_for_org_admins():
    """fengping.org.policy.org_admin: organisation administrators (and superusers)."""
    assert routes_with("org_admin") == [
        "org/departments/new/",
        "org/import/",
        "org/users/new/",
        "reports/template/",
        "schemes/<slug:key>/active/",
        "schemes/upload/",
    ]


def test_only_expected_views_are_for_admins_and_supervisors():
    """fengping.org.policy.admin_or_supervisor."""
    assert routes_with("admin_or_supervisor") == ["supervision/dashboard/refresh/"]


def test_only_expected_views_are_for_audit_readers():
    """fengping.org.policy.audit_reader: the audit log, read by the 审计管理员 and
    supervisors, not by the 系统管理员 (三员分立)."""
    assert routes_with("audit_reader") == ["audit/", "audit/<int:seq>/", "audit/export.xlsx"]


def test_only_expected_views_are_for_the_audit_admin():
    """fengping.org.policy.audit_admin: verifying the chain now, the signed bundle."""
    assert routes_with("audit_admin") == ["audit/bundle/", "audit/verify/"]


def test_only_expected_views_are_for_security_admins():
    """fengping.security.views.security_admin: the 安全管理员 (tests/security/)."""
    assert routes_with("security_admin") == [
        "security/lockouts/",
        "security/lockouts/<int:pk>/unlock/",
        "security/policy/",
        "security/second-factor/",
        "security/second-factor/<int:user_id>/reset/",
        "security/tokens/",
        "security/tokens/export.xlsx",
    ]


def test_every_policy_is_known():
    known = {
        "public",
        "authenticated",
        "org_admin",
        "admin_or_supervisor",
        "security_admin",
        "audit_reader",
        "audit_admin",
    }
    policies = {view.fengping_policy for _route, view in walk(get_resolver().url_patterns)}
    assert policies <= known


def test_role_gate_checks_the_predicate_after_login():
    def page(request):
        return HttpResponse("ok")

    gated = role_gate("tall", lambda user: getattr(user, "tall", False), "只有高个子可以进入")(page)
    assert gated.fengping_policy == "tall" and gated.__name__ == "page"

    request = RequestFactory().get("/x/")
    request.user = AnonymousUser()
    response = gated(request)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")

    request.user = type("U", (), {"is_authenticated": True, "tall": False})()
    with pytest.raises(PermissionDenied, match="只有高个子可以进入"):
        gated(request)

    request.user.tall = True
    assert gated(request).content == b"ok"


def test_org_admin_gate(org, client, login):
    url = "/org/departments/new/"
    assert client.get(url).status_code == 302  # not logged in: to the login page
    for user in (org.rsj_handler, org.supervisor):
        response = login(user).get(url)
        assert response.status_code == 403
        assert "只有系统管理员可以新建部门" in response.content.decode()
    assert login(org.admin).get(url).status_code == 200
    assert login(org.superuser).get(url).status_code == 200


def test_audit_reader_gate(org, client, login):
    from tests.conftest import audit_admin

    url = "/audit/"
    assert client.get(url).status_code == 302
    for user in (org.rsj_handler, org.admin):  # 三员分立: not the 系统管理员
        response = login(user).get(url)
        assert response.status_code == 403
        assert "只有审计管理员和督查人员可以查看审计日志" in response.content.decode()
    assert login(org.supervisor).get(url).status_code == 200
    assert login(audit_admin(org)).get(url).status_code == 200


def test_api_endpoints_require_auth_except_health(client, db):
    """Call every operation in the OpenAPI schema without credentials."""
    import re

    from fengping.api.main import api

    schema = api.get_openapi_schema()
    opened = []
    for path, operations in schema["paths"].items():
        url = re.sub(r"{[^}]+}", "1", path)
        for method in operations:
            response = getattr(client, method)(url, content_type="application/json")
            if response.status_code != 401:
                opened.append((method, path, response.status_code))
            else:
                assert response.json()["code"] == "unauthenticated"
    assert opened == [("get", "/api/health", 200)]
