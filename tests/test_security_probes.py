"""Abuse: SQL-injection and path-traversal probes in every parameter of every GET operation.

Each answer must be a client error or an ordinary answer (never 500), must not show SQL, driver errors,
stack traces or file contents, and the data must be unchanged afterwards.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.app import create_app
from tests.conftest import make_settings, table_fingerprint

PAYLOADS = [
    "' OR '1'='1",
    "1; DROP TABLE observation; --",
    "plr' UNION SELECT token_hash, token_hash FROM api_token --",
    "../../../../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "..\\..\\..\\windows\\win.ini",
    "%00",
    "$(id)",
    "<script>alert(1)</script>",
    "x" * 5000,
]
LEAKS = re.compile(r"Traceback|File \"/|psycopg|sqlalchemy|syntax error|root:x:0:0|\[SQL:|LINE \d+:|uid=\d+",
                   re.IGNORECASE)
SAMPLES = {"collection_id": "plr", "level": "plr", "key": "01100101", "feature_id": "01100101",
           "area_key": "01100101", "code": "S1", "indicator": "S1", "period": "2020-12-31",
           "index_id": "mss_2021_gesamtindex", "z": "10", "x": "550", "y": "335", "tileMatrixSetId": "WebMercatorQuad",
           "layer": "kitas", "note_id": "1", "format": "csv"}


@pytest.fixture(scope="module")
def probe_client(demo_engine):
    with TestClient(create_app(make_settings(rate_limit_per_minute=0), engine=demo_engine)) as client:
        yield client


def get_operations(app) -> list[tuple[str, list[dict]]]:
    paths = app.openapi()["paths"]
    return [(path, item["get"].get("parameters", [])) for path, item in sorted(paths.items()) if "get" in item]


def probe_requests(path: str, parameters: list[dict]):
    """One request per (parameter, payload): the probed parameter gets the payload, the others a real value."""
    path_params = {p["name"]: SAMPLES.get(p["name"], "1") for p in parameters if p["in"] == "path"}
    for parameter in parameters:
        if parameter["in"] not in ("path", "query"):
            continue
        for payload in PAYLOADS:
            values = dict(path_params)
            query = {}
            if parameter["in"] == "path":
                values[parameter["name"]] = payload.replace("/", "%2F")
            else:
                query[parameter["name"]] = payload
            url = path
            for name, value in values.items():
                url = url.replace("{" + name + "}", value)
            yield parameter["name"], payload, url, query


def test_probes_in_every_parameter_of_every_get_operation_do_no_harm(probe_client, demo_engine):
    before = table_fingerprint(demo_engine)
    with demo_engine.connect() as conn:
        tokens_before = conn.execute(sa.text("SELECT count(*) FROM api_token")).scalar_one()
    operations = get_operations(probe_client.app)
    assert len(operations) >= 30
    problems, probed = [], 0
    for path, parameters in operations:
        for name, payload, url, query in probe_requests(path, parameters):
            response = probe_client.get(url, params=query)
            probed += 1
            if response.status_code >= 500:
                problems.append(f"{response.status_code} {path} {name}={payload[:40]!r}: {response.text[:200]}")
            elif LEAKS.search(response.text):
                problems.append(f"leak {path} {name}={payload[:40]!r}: {LEAKS.search(response.text).group(0)}")
    assert probed > 300
    assert not problems, "\n".join(problems[:30])
    assert table_fingerprint(demo_engine) == before
    with demo_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM api_token")).scalar_one() == tokens_before


@pytest.mark.parametrize("path", ["/static/../../service/settings.py", "/static/..%2f..%2fservice%2fsettings.py",
                                  "/static/%2e%2e/%2e%2e/etc/passwd", "/static//etc/passwd"])
def test_static_files_do_not_leave_their_directory(probe_client, path):
    response = probe_client.get(path)
    assert response.status_code in (400, 404), response.status_code
    assert "DATABASE_URL" not in response.text and "root:x:0:0" not in response.text
