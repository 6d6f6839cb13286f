"""Abuse: schemathesis generates requests from the service's own OpenAPI document, for every operation,
with a fixed seed and a bounded number of examples, as an admin on a private copy of the demo (so writes
are exercised too). No answer may be a server error or contradict the documented response schema."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from service.app import create_app
from service.auth import create_token
from service.db import create_engine
from tests.conftest import make_settings

EXAMPLES = 12
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_target(pg_server, demo_template):
    name = f"dm_test_fuzz_{uuid.uuid4().hex[:8]}"
    engine = create_engine(pg_server.create(name, template=demo_template), make_settings())
    with engine.begin() as conn:
        token_id, token = create_token(conn, "fuzzer", "admin", created_by="test")
        # an id the fuzzer will not guess, so DELETE /api/admin/tokens/{id} does not revoke its own token
        conn.execute(sa.text("UPDATE api_token SET id = :new WHERE id = :id"), {"new": 2**62 + 12_345, "id": token_id})
    app = create_app(make_settings(rate_limit_per_minute=0), engine=engine)
    with TestClient(app):  # runs the lifespan (caches, listeners)
        yield app, token
    engine.dispose()
    pg_server.drop(name)


# The browser's sign-in forms answer a wrong token with 401 by design and end the fuzzer's session; they are
# tested as people use them (tests/test_signin.py).
SIGN_IN_FORMS = {"/anmelden", "/abmelden"}


def test_no_operation_answers_a_server_error_or_violates_its_schema(fuzz_target):
    app, token = fuzz_target
    # the document is built once per app (per-collection paths from the data): on a loaded machine that took more
    # than the library's default 10 s read timeout, so the deadline is generous (it waits for the answer, no sleep)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, timeout=300)
    operations = sorted((op for op in (result.ok() for result in schema.get_all_operations())
                         if op.path not in SIGN_IN_FORMS),
                        key=lambda op: (op.method.upper() == "DELETE", op.path))  # deletions last
    assert len(operations) >= 20
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for operation in operations:

        @seed(20240601)
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def exercise(case) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            try:
                case.validate_response(response, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis' failure group: collect, go on with the next operation
                failures.append(f"{operation.method.upper()} {operation.path}: {str(exc).splitlines()[0][:300]}"
                                f" [{response.status_code}] {case.path_parameters} {case.query}")
                raise

        try:
            exercise()
        except (Exception, BaseExceptionGroup):  # already collected; one failing example per operation is enough
            pass
    assert sum(statuses.values()) >= EXAMPLES * len(operations) // 2, statuses
    assert statuses.get(200, 0) >= 80 and statuses.get(401, 0) == 0, f"too few calls got through: {statuses}"
    print("answers by status:", dict(sorted(statuses.items())))
    assert not failures, "\n".join(failures)
