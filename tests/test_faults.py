"""Faults: PostgreSQL restarted under load, an import killed with SIGKILL, a read-only database.

The restart test runs its own private cluster (it stops it), so the shared test cluster is never touched.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
import yaml
from fastapi.testclient import TestClient

from geo.boundaries import BoundaryImportOptions, import_boundaries
from geo.levels import Level, upsert_levels
from indicators.catalogue import load_catalogue, read_catalogue
from service.app import create_app
from service.auth import create_token
from service.db import create_engine, upgrade
from service.demo import DEMO_MANIFEST
from service.embedded import EmbeddedCluster, throwaway_cluster
from tests.conftest import free_port, make_settings, table_fingerprint
from tests.test_disconnects import wait_for

PROJECT = Path(__file__).resolve().parent.parent


def load_small_city(engine: sa.Engine) -> None:
    """Levels, catalogue, city and borough boundaries of the demo: enough to serve real answers."""
    spec = yaml.safe_load(DEMO_MANIFEST.read_text(encoding="utf-8"))
    with engine.begin() as conn:
        upsert_levels(conn, [Level(**item) for item in spec["levels"]])
        for path in spec["catalogues"]:
            load_catalogue(conn, read_catalogue((DEMO_MANIFEST.parent / path).resolve()))
    for item in spec["boundaries"][:2]:  # stadt, bez
        options = BoundaryImportOptions(**{k: v for k, v in item.items() if k != "file"})
        with engine.connect() as conn:
            assert import_boundaries(conn, DEMO_MANIFEST.parent / item["file"], options, created_by="test").ok


@pytest.fixture(scope="module")
def private_cluster():
    with throwaway_cluster("dm-fault-pg-") as cluster:
        yield cluster


@pytest.fixture(scope="module")
def restart_server(private_cluster):
    engine = create_engine(private_cluster.url(), make_settings())
    upgrade(engine, 25833)
    load_small_city(engine)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(make_settings(rate_limit_per_minute=0), engine=engine),
                                           host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


PROBES = ["/collections?f=json", "/collections/bez?f=json", "/collections/bez/items/01?f=json"]
STREAMED = ["/collections/bez/items?limit=20&f=json"]


def test_a_database_restart_gives_503_with_retry_after_and_recovers_within_5_s(restart_server, private_cluster):
    restart_under_load(restart_server, private_cluster, PROBES)


def test_streamed_feature_pages_also_answer_503_during_a_restart(restart_server, private_cluster):
    restart_under_load(restart_server, private_cluster, STREAMED)


def restart_under_load(restart_server: str, private_cluster: EmbeddedCluster, probes: list[str]) -> None:
    with httpx.Client(base_url=restart_server, timeout=30) as http:
        expected = {}
        for path in probes:
            answer = http.get(path)
            assert answer.status_code == 200, answer.text
            expected[path] = hashlib.sha256(answer.content).hexdigest()

    results: list[tuple[float, str, int, str, dict]] = []
    broken: list[tuple[float, float, str, str]] = []
    stop = threading.Event()

    def client(worker: int) -> None:
        with httpx.Client(base_url=restart_server, timeout=30) as http:
            i = worker
            while not stop.is_set():
                path = probes[i % len(probes)]
                i += 1
                started = time.monotonic()
                try:
                    answer = http.get(path)
                except httpx.TransportError as exc:  # a streamed answer cut off by the crash
                    broken.append((started, time.monotonic(), path, repr(exc)))
                    continue
                results.append((time.monotonic(), path, answer.status_code,
                                hashlib.sha256(answer.content).hexdigest(), dict(answer.headers)))

    def answered(status: int, after: float) -> bool:
        return any(s == status and at > after for at, _, s, _, _ in list(results))

    # The timing is controlled, not hoped for: the database stops when the clients are being answered, and
    # each phase waits for what it needs to have happened (`pg_ctl -w` returns once PostgreSQL is down / up).
    workers = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for w in workers:
        w.start()
    try:
        wait_for(lambda: answered(200, 0.0), "the clients are answered")
        down_at = time.monotonic()
        private_cluster.stop()
        with httpx.Client(base_url=restart_server, timeout=30) as http:
            wait_for(lambda: answered(503, down_at + 0.5), "a client is answered 503 while the database is down")
            ready_down = http.get("/readyz")
            health_down = http.get("/healthz")
            outage = http.get(probes[0])
            private_cluster.ensure_running()
            up_at = time.monotonic()
            wait_for(lambda: answered(200, up_at + 5.0), "the clients are answered after the recovery window")
            ready_up = http.get("/readyz")
    finally:
        stop.set()
        for w in workers:
            w.join()

    assert ready_down.status_code == 503 and ready_down.headers["retry-after"]
    assert health_down.status_code == 200, "/healthz reports the process, not the database"
    assert outage.status_code == 503 and outage.headers["content-type"] == "application/problem+json"
    assert int(outage.headers["retry-after"]) > 0 and "database" in outage.json()["detail"]
    assert ready_up.status_code == 200 and ready_up.json()["database"] == "up"

    # A response already streaming when PostgreSQL went away cannot turn into a 503: it is cut off, which
    # the client sees as an incomplete transfer (never as a complete, wrong answer). Only those may break.
    assert all(started < down_at + 0.5 for started, _, _, _ in broken), broken[:3]
    statuses = {status for _, _, status, _, _ in results}
    assert statuses <= {200, 503}, [(round(at - down_at, 2), path, status, headers) for at, path, status, _, headers
                                    in results if status not in (200, 503)][:3]
    for at, path, status, digest, headers in results:
        if status == 200:
            assert digest == expected[path], f"a wrong answer for {path} at {at - down_at:+.1f} s"
        else:
            assert headers.get("retry-after") and headers["content-type"] == "application/problem+json"
    during = [s for at, _, s, _, _ in results if down_at + 0.5 < at < up_at]
    assert during and 503 in during
    first_ok = min(at for at, _, s, _, _ in results if s == 200 and at > up_at)
    assert first_ok - up_at < 5.0, f"recovered only after {first_ok - up_at:.1f} s"
    assert all(s == 200 for at, _, s, _, _ in results if at > up_at + 5.0), "every answer after recovery is right"


def write_big_observation_file(path: Path, keys: list[str], periods: int) -> int:
    rows = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("area;indicator;period;value\n")
        for day in range(periods):
            period = f"{1900 + day // 12:04d}-{day % 12 + 1:02d}-01"
            for n, key in enumerate(keys):
                out.write(f"{key};EW;{period};{(n * 7 + day) % 5000}\n")
                rows += 1
    return rows


def backends_on(pg_server, database: str) -> int:
    with pg_server.admin() as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                            (database,)).fetchone()[0]


def test_an_import_killed_with_sigkill_leaves_the_database_exactly_as_before(pg_server, demo_template, tmp_path):
    name = f"dm_test_kill_{uuid.uuid4().hex[:8]}"
    url = pg_server.create(name, template=demo_template)
    engine = create_engine(url, make_settings())
    try:
        with engine.connect() as conn:
            keys = conn.execute(sa.text("SELECT key FROM area WHERE level_code = 'plr' ORDER BY key")).scalars().all()
            disclosure_before = conn.execute(sa.text("SELECT count(*) FROM disclosure")).scalar_one()
        big = tmp_path / "ew_many_periods.csv"
        rows = write_big_observation_file(big, keys, periods=200)
        assert rows > 100_000
        before = table_fingerprint(engine)
        engine.dispose()
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "import", "observations", str(big), "--level", "plr",
             "--boundaries-at", "2021-01-01"],
            cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**os.environ, "DATABASE_URL": url, "DM_STATEMENT_TIMEOUT_MS": "600000"})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait until it is writing inside its transaction
            with pg_server.admin() as conn:
                writing = conn.execute("""
                    SELECT count(*) FROM pg_stat_activity
                    WHERE datname = %s AND backend_xid IS NOT NULL AND state <> 'idle'""", (name,)).fetchone()[0]
            if writing or process.poll() is not None:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the import finished before it could be killed: make the file bigger"
        assert writing, "the import never started writing"
        process.send_signal(signal.SIGKILL)  # at a known point: inside its transaction, writing
        assert process.wait(timeout=10) == -signal.SIGKILL
        deadline = time.monotonic() + 120
        while backends_on(pg_server, name) and time.monotonic() < deadline:
            time.sleep(0.2)  # the server notices the lost client and rolls back
        assert backends_on(pg_server, name) == 0
        engine = create_engine(url, make_settings())
        assert table_fingerprint(engine) == before
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM disclosure")).scalar_one() == disclosure_before
    finally:
        engine.dispose()
        pg_server.drop(name)


READS = ["/collections?f=json", "/collections/plr?f=json", "/api/notes?level=plr&area_key=01100101"]
FEATURE_READS = ["/collections/plr/items/01100101?f=json", "/collections/plr/items?limit=5&f=json"]


def test_feature_reads_work_on_a_read_only_database(pg_server, demo_template):
    name = f"dm_test_ro_{uuid.uuid4().hex[:8]}"
    url = pg_server.create(name, template=demo_template)
    with pg_server.admin() as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    engine = create_engine(url, make_settings())
    try:
        with TestClient(create_app(make_settings(), engine=engine)) as client:
            for path in FEATURE_READS:
                assert client.get(path).status_code == 200, path
    finally:
        engine.dispose()
        pg_server.drop(name)


def test_a_read_only_database_refuses_writes_clearly_and_keeps_serving_reads(pg_server, demo_template):
    name = f"dm_test_ro_{uuid.uuid4().hex[:8]}"
    url = pg_server.create(name, template=demo_template)
    engine = create_engine(url, make_settings())
    with engine.begin() as conn:
        _id, editor = create_token(conn, "editor", "editor", created_by="test")
    note = {"level": "plr", "area_key": "01100101", "title": "Treffpunkt", "body": "neu eröffnet"}
    try:
        with TestClient(create_app(make_settings(), engine=engine)) as client:
            with pg_server.admin() as admin:
                admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
            engine.dispose()  # new sessions pick up the setting
            refused = client.post("/api/notes", json=note, headers={"Authorization": f"Bearer {editor}"})
            assert refused.status_code == 503 and refused.headers["content-type"] == "application/problem+json"
            assert "read-only" in refused.json()["detail"] and "reading works" in refused.json()["detail"]
            assert int(refused.headers["retry-after"]) > 0
            assert "INSERT" not in refused.text
            for path in READS:
                answer = client.get(path)
                assert answer.status_code == 200, (path, answer.text)
            assert client.get(READS[1], headers={"Authorization": f"Bearer {editor}"}).status_code == 200
            assert client.get("/readyz").json() == {"status": "ok", "database": "up", "writable": False}
            with pg_server.admin() as admin:
                admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
            engine.dispose()
            accepted = client.post("/api/notes", json=note, headers={"Authorization": f"Bearer {editor}"})
            assert accepted.status_code == 201, accepted.text
    finally:
        engine.dispose()
        pg_server.drop(name)
