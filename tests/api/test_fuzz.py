"""Schemathesis over every operation of the OpenAPI schema: no input may cause a server
error, and every error is JSON `{detail, code}`.

Slow (minutes), so collected only with FENGPING_FUZZ=1; `.ci/run` runs it once on SQLite.
FENGPING_FUZZ_EXAMPLES bounds the examples per operation (default 25).
"""

from __future__ import annotations

import os

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402

pytestmark = pytest.mark.skipif(
    not os.environ.get("FENGPING_FUZZ"), reason="schemathesis run: set FENGPING_FUZZ=1"
)

EXAMPLES = int(os.environ.get("FENGPING_FUZZ_EXAMPLES", "25"))


@pytest.fixture
def api_schema(org):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from fengping.wsgi import application

    from ..assessments import flow

    # Data to find: a matter with consultation and an assessment at its grading step.
    flow.opinions(org, flow.register(org))
    flow.to_grade_step(org)
    # Requests go through the WSGI app, not Django's test client: keep the request signals
    # from closing the test's database connection (as the test client does), or the
    # PostgreSQL pass loses its transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def token(org):
    from fengping.api.tokens import do_create_token

    return do_create_token(org.admin, "fuzz")[1]


def _check(case, token):
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    where = (
        f"{case.method} {case.formatted_path} → {response.status_code}\n{case.as_curl_command()}"
    )
    assert response.status_code < 500, where + "\n" + response.text[:2000]
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type.startswith("application/json"), where
        body = response.json()
        assert body.get("detail") and body.get("code"), where + "\n" + response.text[:500]


def test_no_server_errors(api_schema, token):
    """Every operation, with data that fits its schema and data that doesn't. Failures of
    all operations are collected, each shrunk by hypothesis to a minimal request."""
    failures = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
            )
            def run(case):
                _check(case, token)

            try:
                run()
            except AssertionError as exc:
                failures.append(f"[{mode}] {exc}")
            except Unsatisfiable:
                # Negative mode on an operation with nothing to get wrong (no parameters).
                assert mode == GenerationMode.NEGATIVE
    assert operations >= 30
    assert not failures, f"{len(failures)} failing:\n\n" + "\n\n".join(failures)
