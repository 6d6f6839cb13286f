"""Access control, audit, errors and request limits, through the real app on a real database."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from indicators.disclosure import refresh_disclosure
from service.app import create_app
from service.auth import create_token, hash_token
from tests.conftest import make_settings

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# POST used for a query whose input (a polygon) is too large for a URL, and asking for the PDF of a public report
# as a background job (its result is what GET /reports/{period}.pdf gives anyone): public, and no data change
READ_ONLY_POSTS = {("POST", "/api/aggregate/polygon"), ("POST", "/api/jobs")}
# signing in and out: public by nature; they check the token, the own origin and the session's CSRF token
# themselves (tests/test_signin.py)
SESSION_POSTS = {("POST", "/anmelden"), ("POST", "/abmelden")}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text and "SELECT" not in response.text
    return body


@pytest.fixture
def app_client(fresh_engine):
    with TestClient(create_app(make_settings(), engine=fresh_engine)) as client:
        yield client


@pytest.fixture
def tokens(fresh_engine) -> dict[str, str]:
    with fresh_engine.begin() as conn:
        return {role: create_token(conn, f"test-{role}", role, created_by="test")[1]
                for role in ("reader", "editor", "data_steward", "statistics_office", "admin")}


def api_routes(routes) -> list[APIRoute]:
    """Every endpoint of the app, also inside included routers and hidden from the OpenAPI document."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # FastAPI keeps included routers as branches
            found.extend(api_routes(route.original_router.routes))
    return found


def write_routes(app) -> list[tuple[str, str]]:
    walked = {(m, r.path) for r in api_routes(app.routes) for m in r.methods if m in WRITE_METHODS}
    documented = {(m.upper(), path) for path, item in app.openapi()["paths"].items() for m in item
                  if m.upper() in WRITE_METHODS}
    assert documented <= walked
    return sorted(walked)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_write_route_answers_401_without_a_token(client):
    writes = write_routes(client.app)
    assert {("POST", "/api/notes"), ("POST", "/api/admin/tokens"), ("DELETE", "/api/admin/tokens/{token_id}")} <= set(writes)
    for method, path in writes:
        if (method, path) in READ_ONLY_POSTS | SESSION_POSTS:
            continue
        response = client.request(method, concrete(path), json={})
        problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer", (method, path)


def test_public_query_posts_change_nothing(client, demo_engine):
    def data_version() -> int:
        with demo_engine.connect() as conn:
            return conn.execute(sa.text("SELECT value::bigint FROM dm_setting WHERE key = 'data_version'")).scalar_one()

    before = data_version()
    square = {"type": "Polygon", "coordinates": [[[13.37, 52.50], [13.40, 52.50], [13.40, 52.52], [13.37, 52.52],
                                                  [13.37, 52.50]]]}
    for method, path in READ_ONLY_POSTS:
        assert client.request(method, path, json={"geometry": square}).status_code < 500
    assert data_version() == before


def test_every_write_route_refuses_a_reader(client, demo_engine):
    with demo_engine.begin() as conn:  # a token row only; the demo data stay as they are
        token_id, token = create_token(conn, "walker", "reader", created_by="test")
    try:
        for method, path in write_routes(client.app):
            if (method, path) in READ_ONLY_POSTS | SESSION_POSTS:
                continue
            problem(client.request(method, concrete(path), json={}, headers=bearer(token)), 403)
    finally:
        with demo_engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM api_token WHERE id = :id"), {"id": token_id})


def test_admin_creates_a_token_that_is_shown_once_and_stored_as_hash(app_client, tokens, fresh_engine):
    created = app_client.post("/api/admin/tokens", json={"name": "Planungsamt", "role": "editor"},
                              headers=bearer(tokens["admin"]))
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    new = created.json()
    assert new["role"] == "editor" and new["token"].startswith("dm_") and new["expires_at"]
    listed = app_client.get("/api/admin/tokens", headers=bearer(tokens["admin"])).json()["tokens"]
    assert new["id"] in [t["id"] for t in listed] and new["token"] not in str(listed)
    with fresh_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT token_hash FROM api_token WHERE id = :id"),
                            {"id": new["id"]}).scalar_one() == hash_token(new["token"])
    note = app_client.post("/api/notes", json={"level": "plr", "area_key": "01100101", "title": "t", "body": "b"},
                           headers=bearer(new["token"]))
    assert note.status_code == 201


def test_admin_creates_a_statistics_office_token_for_the_shielded_role(app_client, tokens):
    created = app_client.post("/api/admin/tokens", json={"name": "Statistikstelle", "role": "statistics_office"},
                              headers=bearer(tokens["admin"]))
    assert created.status_code == 201 and created.json()["role"] == "statistics_office"
    problem(app_client.post("/api/admin/tokens", json={"name": "x", "role": "statistikstelle"},
                            headers=bearer(tokens["admin"])), 400)


def test_a_revoked_token_stops_working_at_once(app_client, tokens):
    new = app_client.post("/api/admin/tokens", json={"name": "x", "role": "editor", "valid_days": 1},
                          headers=bearer(tokens["admin"])).json()
    assert app_client.delete(f"/api/admin/tokens/{new['id']}", headers=bearer(tokens["admin"])).status_code == 204
    problem(app_client.post("/api/notes", json={"level": "plr", "area_key": "01100101", "title": "t", "body": "b"},
                            headers=bearer(new["token"])), 401)
    problem(app_client.delete(f"/api/admin/tokens/{new['id']}", headers=bearer(tokens["admin"])), 404)


@pytest.mark.parametrize("role, status", [(None, 401), ("reader", 403), ("editor", 403), ("data_steward", 403),
                                          ("statistics_office", 403)])
def test_only_admins_manage_tokens_and_read_the_audit_log(app_client, tokens, role, status):
    headers = bearer(tokens[role]) if role else {}
    problem(app_client.get("/api/admin/audit", headers=headers), status)
    problem(app_client.get("/api/admin/tokens", headers=headers), status)
    problem(app_client.post("/api/admin/tokens", json={"name": "x", "role": "admin"}, headers=headers), status)


def test_every_write_is_audited_with_who_when_what_before_and_after(app_client, tokens):
    created = app_client.post("/api/notes", headers={**bearer(tokens["editor"]), "X-Request-ID": "req-create-1"},
                              json={"level": "plr", "area_key": "01100101", "title": "Spielplatz", "body": "neu"})
    note_id = created.json()["id"]
    app_client.put(f"/api/notes/{note_id}", json={"title": "Spielplatz saniert"}, headers=bearer(tokens["editor"]))
    app_client.delete(f"/api/notes/{note_id}", headers=bearer(tokens["editor"]))
    issued = app_client.post("/api/admin/tokens", json={"name": "gis", "role": "reader"},
                             headers=bearer(tokens["admin"])).json()
    log = app_client.get("/api/admin/audit", params={"limit": 10}, headers=bearer(tokens["admin"])).json()
    entries = log["entries"]
    notes = [e for e in entries if e["target_type"] == "note" and e["target_id"] == str(note_id)]
    assert [e["action"] for e in notes] == ["delete", "update", "create"]  # newest first
    delete, update, create = notes
    assert create["actor"] == "test-editor" and create["role"] == "editor" and create["at"]
    assert create["before"] is None and create["after"]["title"] == "Spielplatz"
    assert create["request_id"] == "req-create-1"
    assert update["before"]["title"] == "Spielplatz" and update["after"]["title"] == "Spielplatz saniert"
    assert delete["before"]["title"] == "Spielplatz saniert" and delete["after"] is None
    token_entry = next(e for e in entries if e["target_type"] == "api_token" and e["target_id"] == str(issued["id"]))
    assert token_entry["actor"] == "test-admin" and issued["token"] not in str(entries)
    filtered = app_client.get("/api/admin/audit", params={"target_type": "api_token"},
                              headers=bearer(tokens["admin"])).json()
    assert {e["target_type"] for e in filtered["entries"]} == {"api_token"}


def test_the_statistics_office_declares_complementary_counts_and_suppression_follows(app_client, tokens,
                                                                                     fresh_engine):
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("UPDATE indicator SET min_numerator = 5 WHERE code LIKE 'EW\\_%'"))
        conn.execute(sa.text("DELETE FROM indicator_partition"))
        refresh_disclosure(conn)
    hidden_alone = app_client.get("/api/admin/disclosure", headers=bearer(tokens["statistics_office"])).json()
    answer = app_client.put("/api/admin/disclosure/partitions/age", headers=bearer(tokens["statistics_office"]),
                            json={"total": "EW", "parts": ["EW_U6", "EW_6_15", "EW_15_18", "EW_18_27", "EW_27_45",
                                                           "EW_45_55", "EW_55_65", "EW_65PLUS"]})
    assert answer.status_code == 200 and answer.json()["total"] == "EW"
    overview = app_client.get("/api/admin/disclosure", headers=bearer(tokens["statistics_office"])).json()
    assert overview["partitions"][0]["name"] == "age"
    assert sum(s["primary"] for s in overview["suppressed"]) == sum(s["primary"] for s in hidden_alone["suppressed"])
    problem(app_client.put("/api/admin/disclosure/partitions/bad", headers=bearer(tokens["statistics_office"]),
                           json={"total": "EW", "parts": ["EW_U6", "NOPE"]}), 400)
    for role in ("editor", "data_steward"):
        problem(app_client.put("/api/admin/disclosure/partitions/age", headers=bearer(tokens[role]),
                               json={"total": "EW", "parts": ["EW_U6", "EW_W"]}), 403)
        problem(app_client.get("/api/admin/disclosure", headers=bearer(tokens[role])), 403)


def test_only_the_statistics_office_and_admins_see_suppressed_values(app_client, tokens, fresh_engine):
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("UPDATE indicator SET min_numerator = 5 WHERE code LIKE 'EW\\_%'"))
        refresh_disclosure(conn)

    def properties(headers: dict) -> dict:
        response = app_client.get("/collections/plr/items/03300515", params={"period": "2022-06-30"}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["properties"]

    public = properties({})
    assert public["EW_15_18"] is None and public["EW_15_18_flag"] == "suppressed"
    assert public["EW_27_45"] == 9, "the rest of the area stays visible"
    for role in ("reader", "editor", "data_steward"):
        assert properties(bearer(tokens[role]))["EW_15_18"] is None, f"{role} sees what the public sees"
    assert properties(bearer(tokens["statistics_office"]))["EW_15_18"] == 3
    assert properties(bearer(tokens["admin"]))["EW_15_18"] == 3


def test_unknown_paths_and_methods_answer_problem_json(client):
    problem(client.get("/no/such/thing"), 404)
    response = client.delete("/healthz")
    problem(response, 405)
    assert "GET" in response.headers["allow"]
    body = problem(client.get("/collections/plr/items", params={"limit": "many"}), 400)
    assert body["errors"][0]["parameter"] == "limit"


def test_oversized_bodies_are_refused_before_they_are_read(client):
    big = b"x" * (make_settings().max_body_bytes + 1)
    body = problem(client.post("/api/notes", content=big, headers={"Content-Type": "application/json"}), 413)
    assert "larger than 1 MiB" in body["detail"]

    def chunks():  # no Content-Length: counted while streaming
        for _ in range(40):
            yield b"y" * 65536

    problem(client.post("/api/notes", content=chunks(), headers={"Content-Type": "application/json"}), 413)


def test_anonymous_heavy_requests_are_rate_limited_with_retry_after(demo_engine):
    # one token a minute: however slow the machine, no token refills between these four requests
    settings = make_settings(rate_limit_per_minute=1, rate_limit_burst=3)
    with TestClient(create_app(settings, engine=demo_engine)) as limited:
        answers = [limited.get("/collections/plr/items/01100101") for _ in range(4)]  # 1 unit each
        assert [a.status_code for a in answers[:3]] == [200, 200, 200]
        body = problem(answers[3], 429)
        assert 1 <= int(answers[3].headers["retry-after"]) <= 60 and "try again" in body["detail"]
        assert limited.get("/collections").status_code == 200, "light requests are not limited"
        assert limited.get("/healthz").status_code == 200


def test_responses_carry_a_request_id_and_security_headers(client):
    response = client.get("/collections", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    odd = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", odd)


def test_cors_is_open_for_reads_and_closed_for_writes_by_default(client):
    preflight = client.options("/api/notes", headers={"Origin": "https://evil.example",
                                                      "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers and preflight.status_code == 403
    read = client.get("/collections", headers={"Origin": "https://x.example"})
    assert read.headers["access-control-allow-origin"] == "*" and "access-control-allow-credentials" not in read.headers
    with_token = client.options("/collections", headers={"Origin": "https://x.example",
                                                         "Access-Control-Request-Method": "GET",
                                                         "Access-Control-Request-Headers": "authorization"})
    assert with_token.status_code == 403  # a token is never sent cross-origin


def test_configured_origins_may_read_but_not_write(demo_engine):
    settings = make_settings(cors_origins="https://geoportal.example.de", cors_public_reads=False)
    with TestClient(create_app(settings, engine=demo_engine)) as cors:
        read = cors.get("/collections", headers={"Origin": "https://geoportal.example.de"})
        assert read.headers["access-control-allow-origin"] == "https://geoportal.example.de"
        assert "access-control-allow-credentials" not in read.headers
        other = cors.get("/collections", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        write = cors.options("/api/notes", headers={"Origin": "https://geoportal.example.de",
                                                    "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": "authorization"})
        assert write.status_code == 400 and "POST" not in write.headers.get("access-control-allow-methods", "")


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "database": "up", "writable": True}
