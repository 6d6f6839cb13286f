"""A client that goes away, or stops reading, releases its database work at once: the statement is cancelled,
the connection goes back to the pool, the worker thread is free, and the service answers everyone else.

Real sockets against a live uvicorn on a private copy of the demo database with a small pool (4 + 4), so that
a handful of leaked connections would already starve it. Every wait is for a condition, with a deadline.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import psycopg
import pytest
import uvicorn

from service.app import create_app
from service.db import create_engine
from tests.conftest import free_port, make_settings

POOL = 4
SEND_TIMEOUT_S = 3.0
DOWNLOAD = "/collections/plr/download?format=geojson"
ITEM_PAGE = "/collections/plr/items?limit=10000&f=json"
TILE = "/collections/plr/tiles/WebMercatorQuad/12/1343/2200"


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still not true after {seconds:.0f} s: {what}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def served(pg_server, demo_template) -> Iterator[dict]:
    name = f"dm_test_disc_{uuid.uuid4().hex[:8]}"
    url = pg_server.create(name, template=demo_template)
    settings = make_settings(rate_limit_per_minute=0, pool_size=POOL, send_timeout_s=SEND_TIMEOUT_S)
    engine = create_engine(url, settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, engine=engine), host="127.0.0.1", port=port,
                                           log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, "uvicorn started", 30)
    yield {"port": port, "engine": engine, "database": name, "pg": pg_server}
    server.should_exit = True
    thread.join(timeout=30)
    engine.dispose()
    pg_server.drop(name)


def app_backends(served: dict, where: str = "state = 'active'") -> int:
    with served["pg"].admin() as conn:
        return conn.execute(f"""
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = %s AND application_name = 'district-monitor' AND {where}""",
                            (served["database"],)).fetchone()[0]


def open_request(port: int, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/geo+json\r\n\r\n".encode())
    return sock


def read_a_few_bytes(sock: socket.socket) -> bytes:
    data = sock.recv(64)
    assert data.startswith(b"HTTP/1.1 200"), data
    return data


def released(served: dict) -> bool:
    """No statement of the service runs, and every pooled connection is back in the pool."""
    return app_backends(served) == 0 and served["engine"].pool.checkedout() == 0


def answers_normally(served: dict) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{served['port']}", timeout=60) as http:
        assert http.get("/readyz").json()["database"] == "up"
        page = http.get("/collections/plr/items", params={"limit": 5, "f": "json"})
        assert page.status_code == 200 and len(page.json()["features"]) == 5


def test_fifty_aborted_downloads_and_fifty_aborted_item_pages_leave_nothing_behind(served):
    statuses: list[tuple[str, bytes]] = []  # (path, status line) of every request, from its thread

    def abort(path: str) -> None:
        sock = open_request(served["port"], path)
        statuses.append((path, sock.recv(64).split(b"\r\n", 1)[0]))
        sock.close()  # unread data: the kernel answers with a reset, as when curl | head -c 500 ends

    paths = [DOWNLOAD] * 50 + [ITEM_PAGE] * 50
    for start in range(0, len(paths), 10):  # ten at a time: more than the pool (4 + 4) holds at once
        batch = [threading.Thread(target=abort, args=(p,)) for p in paths[start:start + 10]]
        for t in batch:
            t.start()
        for t in batch:
            t.join(120)
    # every one was answered: ten cold item pages at once once starved the pool (503 after its timeout)
    assert len(statuses) == 100 and {status for _, status in statuses} == {b"HTTP/1.1 200 OK"}, statuses
    wait_for(lambda: released(served), "every aborted stream released its statement and connection")
    assert app_backends(served, "wait_event = 'ClientWrite'") == 0
    answers_normally(served)


def test_clients_that_stop_reading_are_abandoned_after_the_send_timeout(served):
    stalled = [open_request(served["port"], DOWNLOAD if n % 2 else ITEM_PAGE) for n in range(12)]
    try:
        for sock in stalled:
            read_a_few_bytes(sock)  # and then nothing more: the connections stay open, unread
        wait_for(lambda: released(served), "stalled streams released after the send timeout")
        answers_normally(served)  # while the stalled clients are still connected
    finally:
        for sock in stalled:
            sock.close()


def test_a_connection_the_service_cancelled_never_serves_another_request(served):
    """PostgreSQL may keep a cancel pending (a backend blocked writing to its client defers it) and deliver it to
    the next statement on that connection: in the pool, another request's (it answered 503 in a CI run while
    stalled streams were abandoned). A connection the service cancelled is discarded at its next checkout."""
    from contextlib import ExitStack

    from service.disconnects import cancel_statement

    engine = served["engine"]
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        cancelled_pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        cancel_statement(raw)
    with ExitStack() as stack:  # every pooled connection at once: the cancelled one among them would be handed out
        held = [stack.enter_context(engine.connect()) for _ in range(engine.pool.checkedin() + 1)]
        pids = {conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() for conn in held}
    assert cancelled_pid not in pids and raw.closed
    answers_normally(served)


def test_a_client_that_goes_away_while_its_statement_waits_cancels_the_statement(served):
    conninfo = served["pg"].url.set(drivername="postgresql", database=served["database"])
    with psycopg.connect(conninfo.render_as_string(hide_password=False)) as locker:
        locker.execute("LOCK TABLE area IN ACCESS EXCLUSIVE MODE")  # held until this transaction ends
        sock = open_request(served["port"], TILE)
        wait_for(lambda: app_backends(served, "wait_event_type = 'Lock'") == 1, "the tile's statement waits")
        sock.close()
        wait_for(lambda: app_backends(served, "wait_event_type = 'Lock'") == 0,
                 "the statement of the vanished client was cancelled, not left waiting for the lock")
        wait_for(lambda: served["engine"].pool.checkedout() == 0, "its connection is back in the pool")
        locker.rollback()
    answers_normally(served)
