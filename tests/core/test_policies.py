"""Every page says who may open it: a view without a policy decorator fails here."""

from django.urls import URLPattern, URLResolver, get_resolver


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
        "accounts/login/",
        "accounts/logout/",
        "i18n/setlang/",
        # 征求意见: the public consultation list and questionnaire (tests/opinions/test_public.py)
        "public/",
        "q/<str:token>/",
        "q/<str:token>/thanks/",
    ]


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
