"""Availability under abuse: the rate limit covers the real routes with a cost each and holds across worker
processes, public queries have cost limits, slow or half-open connections cannot crowd out other clients, and
the service stops within its grace period with streams open.

The serve tests run `python -m service serve` as a subprocess, as an operator would, on a private copy of the
demo database; every wait is for a condition, with a deadline.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.app import create_app
from service.ratelimit import FREE, ROUTE_COSTS, RouteCosts, endpoint_routes
from tests.conftest import bearer, free_port, make_settings
from tests.test_disconnects import DOWNLOAD, TILE, open_request, read_a_few_bytes, wait_for
from tests.test_security import concrete, problem

PROJECT = Path(__file__).resolve().parent.parent
# What the outside attacker found unlimited, and what else costs real work per request
HEAVY = {"/collections/{collection_id}/tiles/{tms_id}/{z}/{y}/{x}": 1, "/collections/{collection_id}/download": 30,
         "/areas/{level}/{key}": 3, "/explorer": 5, "/api/hotspots": 30, "/maps/hotspots": 30,
         "/reports/{period}": 30, "/collections/{collection_id}/items": 2, "/api/aggregate/polygon": 20,
         "/api/aggregate/radius": 10}


# -- rate limit over the real routes -------------------------------------------------------------------------
def test_every_get_route_has_a_cost_and_the_heavy_ones_cost_what_they_weigh(demo_engine):
    app = create_app(make_settings(), engine=demo_engine)
    costs = RouteCosts(app)
    gets = [path for _, methods, path in endpoint_routes(app.routes) if "GET" in methods]
    assert len(gets) > 40
    for path in gets:
        expected = 0 if path in FREE else ROUTE_COSTS.get(path, 1)
        assert costs.cost("GET", concrete(path)) == expected, path
        assert costs.cost("HEAD", concrete(path)) == expected, path
    for path, least in HEAVY.items():
        method = "POST" if path == "/api/aggregate/polygon" else "GET"
        assert costs.template(method, concrete(path)) == path
        assert costs.cost(method, concrete(path)) >= least, path
    assert not FREE & set(HEAVY)


def test_with_a_budget_of_one_unit_every_limited_get_route_refuses_the_second_request(demo_engine):
    app = create_app(make_settings(rate_limit_per_minute=1, rate_limit_burst=1), engine=demo_engine)
    gets = sorted({path for _, methods, path in endpoint_routes(app.routes) if "GET" in methods} - FREE)
    for n, path in enumerate(gets):  # each route from an address of its own: one route's budget hides no other's
        refused = _requests_from(app, f"10.0.{n // 250}.{n % 250}", concrete(path), times=2)[-1]
        body = problem(refused, 429)
        assert int(refused.headers["retry-after"]) >= 1 and body["cost"] == 1, path
    free = _requests_from(app, "10.1.0.1", "/collections", times=3)
    assert [a.status_code for a in free] == [200] * 3, "cached metadata costs nothing"


def _requests_from(app, address: str, url: str, times: int, headers: dict | None = None) -> list[httpx.Response]:
    """Requests whose ASGI scope names `address` as the client (TestClient itself always says 'testclient')."""
    async def from_address(scope, receive, send):
        if scope["type"] == "http":
            scope = {**scope, "client": (address, 40000)}
        await app(scope, receive, send)

    client = TestClient(from_address)
    return [client.get(url, headers=headers) for _ in range(times)]


def test_two_apps_on_one_database_share_their_budget_when_there_are_several_workers(demo_engine):
    settings = make_settings(rate_limit_per_minute=1, rate_limit_burst=6, workers=2)
    address = f"10.9.{uuid.uuid4().int % 250}.1"
    first, second = create_app(settings, engine=demo_engine), create_app(settings, engine=demo_engine)
    answers = (_requests_from(first, address, "/collections/plr/items/01100101", 3)
               + _requests_from(second, address, "/collections/plr/items/01100101", 4))
    assert [a.status_code for a in answers] == [200] * 6 + [429]


# -- cost limits of public queries ---------------------------------------------------------------------------
def star(vertices: int, radius_km: float, lon: float = 13.40, lat: float = 52.52) -> dict:
    points = []
    for i in range(vertices):
        angle, r = 2 * math.pi * i / vertices, radius_km * (1 - 0.3 * (i % 2))
        points.append([round(lon + r / 68.0 * math.cos(angle), 6), round(lat + r / 111.0 * math.sin(angle), 6)])
    return {"type": "Polygon", "coordinates": [points + [points[0]]]}


def test_public_polygons_are_limited_in_vertices_area_and_complexity(client, demo_engine):
    too_many = problem(client.post("/api/aggregate/polygon", json=star(10_002, 3)), 413)
    assert too_many["limit"] == "vertices" and too_many["maximum"] == 10_000 and too_many["field"] == "geometry"
    too_big = problem(client.post("/api/aggregate/polygon", json=star(40, 25)), 413)
    assert too_big["limit"] == "area_km2" and "km²" in too_big["detail"]
    too_complex = problem(client.post("/api/aggregate/polygon", json=star(5_000, 10)), 413)
    assert too_complex["limit"] == "intersections" and "simplify" in too_complex["detail"]
    circle = problem(client.get("/api/aggregate/radius", params={"x": 13.4, "y": 52.52, "radius": 20_000}), 413)
    assert circle["limit"] == "area_km2"
    ordinary = client.post("/api/aggregate/polygon", json=star(200, 2))
    assert ordinary.status_code == 200, ordinary.text
    assert ordinary.json()["coverage"] > 0.99
    with_token = client.post("/api/aggregate/polygon", json=star(40, 25), headers=bearer(demo_engine, "reader"))
    assert with_token.status_code == 200, "a token lifts the public limits"


def test_public_hot_spots_have_capped_permutations_a_fixed_seed_and_are_computed_once(client, demo_engine):
    params = {"indicator": "S1", "level": "plr", "period": "2020-12-31"}
    capped = problem(client.get("/api/hotspots", params={**params, "permutations": 9999}), 400)
    assert capped["limit"] == "permutations" and capped["maximum"] == 999
    seeded = problem(client.get("/api/hotspots", params={**params, "seed": 4711}), 400)
    assert seeded["limit"] == "seed" and seeded["allowed"] == 12345
    assert client.get("/maps/hotspots", params={**params, "permutations": 9999}).status_code == 400

    def cached_runs() -> int:
        with demo_engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM aggregation_cache WHERE cache_key LIKE 'hotspots:%'"
                                        )).scalar_one()

    before = cached_runs()
    first = client.get("/api/hotspots", params={**params, "permutations": 199, "alpha": 0.1})
    again = client.get("/api/hotspots", params={**params, "permutations": 199, "alpha": 0.1})
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert cached_runs() == before + 1

    def permutation_tests() -> int:
        with demo_engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM aggregation_cache WHERE cache_key LIKE 'lisa:%'"
                                        )).scalar_one()

    tests_before = permutation_tests()
    stricter = client.get("/api/hotspots", params={**params, "permutations": 199, "alpha": 0.01})
    assert stricter.status_code == 200 and permutation_tests() == tests_before, \
        "a new significance level reuses the permutation test"
    assert [a["p_sim"] for a in stricter.json()["areas"]] == [a["p_sim"] for a in first.json()["areas"]]
    significant = {alpha: sum(a["significant"] for a in answer.json()["areas"])
                   for alpha, answer in ((0.01, stricter), (0.1, first))}
    assert significant[0.01] < significant[0.1]
    assert all(a["p_sim"] < 0.01 for a in stricter.json()["areas"] if a["significant"])
    chosen = client.get("/api/hotspots", params={**params, "permutations": 199, "seed": 4711},
                        headers=bearer(demo_engine, "reader"))
    assert chosen.status_code == 200 and chosen.json()["seed"] == 4711, "with a token the seed is free"


# -- the service as an operator runs it ----------------------------------------------------------------------
FD_LIMIT = 512  # a small ulimit, so that a few hundred half-open connections would exhaust it


# The limit is set by util-linux's `prlimit` in front of the service, not by a `preexec_fn`: Python code run
# between fork and exec in a process with threads (the test session has several) can wait forever on a lock
# that another thread held at the fork, and it did, hanging a CI run.
SMALL_FD_LIMIT = ["prlimit", f"--nofile={FD_LIMIT}:{FD_LIMIT}", "--"]


@contextmanager
def serving(url: str, workers: int, **env: str) -> Iterator[tuple[subprocess.Popen, str, int]]:
    port = free_port()
    process = subprocess.Popen(
        [*SMALL_FD_LIMIT, sys.executable, "-m", "service", "serve", "--port", str(port), "--no-demo",
         "--workers", str(workers)],
        cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "DATABASE_URL": url, "DM_MAP_TILES": "", "DM_STATEMENT_TIMEOUT_MS": "600000", **env})
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert process.poll() is None, "the service exited"
        try:
            return httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, "the service answers /readyz", 120)
        yield process, base, port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def private_database(pg_server, demo_template) -> Iterator[tuple[str, str]]:
    name = f"dm_test_avail_{uuid.uuid4().hex[:8]}"
    url = pg_server.create(name, template=demo_template)
    yield name, url
    pg_server.drop(name)


def backends(pg_server, database: str, where: str = "true") -> int:
    with pg_server.admin() as conn:
        return conn.execute(f"SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                            f"AND application_name = 'district-monitor' AND {where}", (database,)).fetchone()[0]


def connect_from(address: str, port: int) -> socket.socket:
    sock = socket.socket()
    sock.bind((address, 0))
    sock.settimeout(60)
    sock.connect(("127.0.0.1", port))
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    """The server closed the connection without answering (an end of file, or a reset: it left our partial
    request unread); False if it still held the connection after a minute."""
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_two_workers_share_the_limit_and_half_open_connections_do_not_crowd_out_other_clients(private_database):
    name, url = private_database
    with serving(url, workers=2, DM_RATE_LIMIT_PER_MINUTE="1", DM_RATE_LIMIT_BURST="10",
                 DM_HEADER_TIMEOUT_S="2", DM_MAX_CONNECTIONS_PER_CLIENT="20") as (_process, base, port):
        # one address, forty requests on fresh connections, spread over both workers: ten units in all
        statuses = []
        for _ in range(40):
            with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.4"), timeout=60) as http:
                statuses.append(http.get(f"{base}/collections/plr/items/01100101").status_code)
        assert statuses.count(200) == 10 and statuses.count(429) == 30, statuses

        # slowloris from 127.0.0.2: more half-open connections than a worker has file descriptors
        attack = []
        for _ in range(2 * FD_LIMIT):
            sock = connect_from("127.0.0.2", port)
            sock.sendall(b"GET /collections HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the blank line
            attack.append(sock)
        try:
            with httpx.Client(base_url=base, timeout=60) as http:  # another client is served meanwhile
                assert http.get("/collections").status_code == 200
                assert http.get("/collections/plr/items/01100101").status_code == 200
            for sock in attack:  # over the cap: closed at once; the rest when the header deadline passes
                assert closed_by_server(sock), "a half-open connection was kept beyond the header deadline"
        finally:
            for sock in attack:
                sock.close()


def test_sigint_stops_the_service_within_its_grace_period_with_streams_open(private_database, pg_server):
    name, url = private_database
    conninfo = pg_server.url.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    # The stalled downloads hold their statements (and so a share lock on `area`) until the service gives up on
    # clients that read nothing (DM_SEND_TIMEOUT_S); only then can the locker below take its exclusive lock. With
    # 600 s the test spent ten minutes waiting in LOCK TABLE (a 4.8 MB download no longer fits the buffers).
    with serving(url, workers=1, DM_RATE_LIMIT_PER_MINUTE="0", DM_SHUTDOWN_GRACE_S="2", DM_SEND_TIMEOUT_S="10",
                 DM_POOL_SIZE="4") as (process, _base, port):
        stalled = [open_request(port, DOWNLOAD) for _ in range(6)]
        for sock in stalled:
            read_a_few_bytes(sock)  # then never read again, never close
        with psycopg.connect(conninfo) as locker:
            locker.execute("LOCK TABLE area IN ACCESS EXCLUSIVE MODE")
            waiting = open_request(port, TILE)
            wait_for(lambda: backends(pg_server, name, "wait_event_type = 'Lock'") == 1, "a statement waits")
            process.send_signal(signal.SIGINT)
            # without the fix the process never ends: a worker thread waits in rollback on a stuck connection
            assert process.wait(timeout=2 + 60) == 0
            wait_for(lambda: backends(pg_server, name) == 0, "the service left no backend behind")
            locker.rollback()
        for sock in stalled + [waiting]:
            sock.close()


# -- cheap paths ---------------------------------------------------------------------------------------------
def ranks_by_one_query(engine: sa.Engine, key: str) -> list[dict]:
    """The standing of one area of today's boundaries as the profile computed it before: the window over the
    level's current areas, per area."""
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text("""
            WITH ranked AS (
                SELECT o.indicator_code AS indicator, o.period, a.key, rank() OVER w_desc AS rank,
                       count(*) OVER w AS n, percent_rank() OVER w_asc AS percentile
                FROM observation_public o JOIN area a ON a.id = o.area_id
                WHERE a.level_code = 'plr' AND o.value IS NOT NULL AND a.valid_to IS NULL
                WINDOW w AS (PARTITION BY o.indicator_code, o.period),
                       w_desc AS (PARTITION BY o.indicator_code, o.period ORDER BY o.value DESC),
                       w_asc AS (PARTITION BY o.indicator_code, o.period ORDER BY o.value))
            SELECT indicator, period, rank, n, percentile FROM ranked WHERE key = :key
            ORDER BY indicator, period"""), {"key": key})]


def test_the_memoised_standing_of_an_area_is_the_one_of_the_window_query_and_follows_a_change(fresh_engine):
    from indicators.standing import area_standing

    key = "01100101"
    with fresh_engine.connect() as conn:
        assert area_standing(conn, "plr", key) == ranks_by_one_query(fresh_engine, key) != []
        # ranked among today's 542 planning areas only, also at 31.12.2018, which the 447 old ones have too
        assert max(row["n"] for row in area_standing(conn, "plr", key)) <= 542
        assert any(row["period"].year == 2018 for row in area_standing(conn, "plr", key))
    with fresh_engine.begin() as conn:  # the area becomes the highest of its level in every indicator
        conn.execute(sa.text("""
            UPDATE observation o SET value = o.value + 1e6 FROM area a
            WHERE a.id = o.area_id AND a.level_code = 'plr' AND a.key = :key AND o.superseded_at IS NULL
              AND o.value IS NOT NULL"""), {"key": key})
    with fresh_engine.connect() as conn:
        changed = area_standing(conn, "plr", key)
    assert changed == ranks_by_one_query(fresh_engine, key)
    assert {row["rank"] for row in changed} == {1}


def test_the_workers_of_one_service_give_the_same_etag_so_revalidation_works_whichever_answers(private_database):
    """Each worker process used to tag ETags with its own start time: a client revalidating against the
    other worker always got the whole answer again. Fresh connections spread over both workers."""
    name, url = private_database
    with serving(url, workers=2, DM_RATE_LIMIT_PER_MINUTE="0") as (_process, base, _port):
        tags = set()
        for _ in range(24):
            with httpx.Client(base_url=base, timeout=60) as http:
                tags.add(http.get("/collections").headers["etag"])
        assert len(tags) == 1, tags
        [tag] = tags
        statuses = []
        for _ in range(24):
            with httpx.Client(base_url=base, timeout=60) as http:
                statuses.append(http.get("/collections", headers={"If-None-Match": tag}).status_code)
        assert set(statuses) == {304}, statuses


def test_a_client_over_its_shared_budget_is_refused_without_asking_the_database_again(fresh_engine):
    """With several workers the buckets live in PostgreSQL; once a client is over its budget, each worker refuses
    it from the last answer (a loop of refused requests cost one UPSERT each before)."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(workers=2, rate_limit_per_minute=1, rate_limit_burst=4)  # a unit a minute: no refill
    with TestClient(create_app(settings, engine=fresh_engine)) as http:
        answers = [http.get("/collections/plr/items/01100101?f=json").status_code for _ in range(6)]
        assert answers == [200] * 4 + [429] * 2  # a feature costs 1 of a burst of 4

        def bucket():
            with fresh_engine.connect() as conn:
                return conn.execute(sa.text("SELECT tokens, updated FROM rate_bucket WHERE client LIKE 'testclient|%'"
                                            )).all()

        before = bucket()
        refused = [http.get("/collections/plr/items/01100101?f=json") for _ in range(30)]
        assert {r.status_code for r in refused} == {429} and all(r.headers["Retry-After"] for r in refused)
        assert bucket() == before, "refused from the worker's memory: the shared bucket was not asked again"
