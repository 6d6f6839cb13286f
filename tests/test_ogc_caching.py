"""HTTP done right: ETag and Cache-Control on GETs, 304 without a query, new ETags after writes, gzip."""

import threading
import time

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import create_token
from service.jobs import RUNNER_THREAD
from tests.conftest import make_settings


class QueryCounter:
    """Counts the connections requests take from an engine's pool and the statements they run through
    SQLAlchemy while active (the feature pages stream from the driver's own cursor, which only the checkout
    shows); not those of the apps' job runners, which look for queued jobs every IDLE_POLL_S on their own
    thread and once landed inside a 304 (CI)."""

    def __init__(self, engine: sa.Engine):
        self.engine, self.count = engine, 0

    def _count(self, *args, **kwargs):
        if threading.current_thread().name != RUNNER_THREAD:
            self.count += 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        sa.event.listen(self.engine.pool, "checkout", self._count)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._count)
        sa.event.remove(self.engine.pool, "checkout", self._count)


def test_every_get_carries_etag_and_cache_control(client):
    for url in ("/", "/collections", "/collections/plr/items?limit=2", "/collections/plr/queryables",
                "/collections/plr/tiles/WebMercatorQuad/12/1343/2200", "/tileMatrixSets"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["etag"].startswith('W/"'), url
        assert "no-cache" in response.headers["cache-control"], url


def test_revalidation_is_304_without_touching_the_database(client, demo_engine):
    first = client.get("/collections/plr/items?limit=50&datetime=2020")
    with QueryCounter(demo_engine) as counter:
        again = client.get("/collections/plr/items?limit=50&datetime=2020",
                           headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert counter.count == 0
    with QueryCounter(demo_engine) as control:  # the counter sees the statements of a request that needs data
        assert client.get("/collections/plr/items?limit=7&datetime=2020").status_code == 200
    assert control.count > 0


def test_etag_differs_by_url_format_and_role(client, fresh_engine):
    a = client.get("/collections/plr/items?limit=1").headers["etag"]
    b = client.get("/collections/plr/items?limit=2").headers["etag"]
    c = client.get("/collections/plr/items?limit=1", headers={"Accept": "text/html"}).headers["etag"]
    assert len({a, b, c}) == 3
    with fresh_engine.begin() as conn:
        _, token = create_token(conn, "statistikstelle", "statistics_office", created_by="test")
    with TestClient(create_app(make_settings(), engine=fresh_engine)) as other:
        anonymous = other.get("/collections/plr/items?limit=1")
        office = other.get("/collections/plr/items?limit=1", headers={"Authorization": f"Bearer {token}"})
        assert anonymous.headers["etag"] != office.headers["etag"]
        assert office.headers["cache-control"].startswith("private")
        assert other.get("/collections/plr/items?limit=1", headers={
            "Authorization": f"Bearer {token}", "If-None-Match": anonymous.headers["etag"]}).status_code == 200


def test_a_data_write_changes_the_etag_and_the_content(fresh_engine):
    with TestClient(create_app(make_settings(), engine=fresh_engine)) as client:
        url = "/collections/plr/items/01100101?datetime=2020"
        before = client.get(url)
        with fresh_engine.begin() as conn:
            conn.execute(sa.text("""
                UPDATE observation SET value = 99.5 WHERE indicator_code = 'S1' AND period = '2020-12-31'
                  AND area_id = (SELECT id FROM area WHERE key = '01100101' AND level_code = 'plr')"""))
        deadline = time.monotonic() + 10
        while True:  # the NOTIFY reaches the listener thread within milliseconds
            after = client.get(url, headers={"If-None-Match": before.headers["etag"]})
            if after.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
        assert after.json()["properties"]["S1"] == 99.5


def test_gzip_when_the_client_accepts_it(client):
    response = client.get("/collections/plr/items?limit=100", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["numberReturned"] == 100


def test_errors_are_not_cached(client):
    response = client.get("/collections/plr/items?limit=0")
    assert response.headers["cache-control"] == "no-store" and "etag" not in response.headers


def test_a_write_answers_only_once_the_service_knows_the_data_it_changed(fresh_engine, monkeypatch):
    """A page that reloads itself after its DELETE answered (the token page, the notes) must not get a 304 for
    the page as it was: the service re-reads the data version before the write's answer starts. The re-read is
    held here until the test has seen that no answer arrived meanwhile."""
    from service.caching import DataVersion
    from tests.conftest import bearer, serving

    original = DataVersion.refresh
    holding, held, release = threading.Event(), threading.Event(), threading.Event()

    def held_refresh(self):
        if holding.is_set():
            held.set()
            release.wait(120)
        return original(self)

    monkeypatch.setattr(DataVersion, "refresh", held_refresh)
    admin = bearer(fresh_engine, "admin")
    with serving(fresh_engine) as url:
        created = httpx.post(f"{url}/api/admin/tokens", headers=admin, json={"name": "Kollegin", "role": "reader"})
        assert created.status_code == 201, created.text
        answers: list[httpx.Response] = []
        holding.set()
        revoke = threading.Thread(target=lambda: answers.append(
            httpx.delete(f"{url}/api/admin/tokens/{created.json()['id']}", headers=admin, timeout=120)))
        revoke.start()
        try:
            assert held.wait(120), "the write did not re-read the data version"
            revoke.join(timeout=1)
            assert not answers, "the write answered before the service knew the new data version"
        finally:
            holding.clear()
            release.set()
            revoke.join(120)
        assert answers and answers[0].status_code == 204


def test_requests_that_miss_the_same_metadata_at_once_compute_it_once(demo_engine):
    """Ten cold requests for one page each ran the same metadata queries in parallel and starved the pool;
    now the first computes and the others wait for its answer."""
    import sys

    from service.caching import DataVersion, VersionedCache

    version = DataVersion(demo_engine, listen=False)
    version.refresh()
    assert version.value is not None
    cache = VersionedCache(version)
    calls, entered, release = [], threading.Event(), threading.Event()

    def compute():
        calls.append(threading.get_ident())
        entered.set()
        assert release.wait(60), "never released"
        return {"periods": ["2020-12-31"]}

    answers = []
    first = threading.Thread(target=lambda: answers.append(cache.get(("periods", "x"), compute)))
    first.start()
    assert entered.wait(60)
    others = [threading.Thread(target=lambda: answers.append(cache.get(("periods", "x"), compute)))
              for _ in range(9)]
    for thread in others:
        thread.start()

    def inside_get(thread: threading.Thread) -> bool:  # waiting for the answer, or computing it a second time
        frame = sys._current_frames().get(thread.ident)
        while frame is not None:
            if frame.f_code.co_name == "get" and frame.f_globals.get("__name__") == "service.caching":
                return True
            frame = frame.f_back
        return False

    deadline = time.monotonic() + 60
    while not all(inside_get(thread) for thread in others):
        assert time.monotonic() < deadline, "the other requests never asked"
        time.sleep(0.01)
    release.set()
    for thread in [first, *others]:
        thread.join(60)
    assert len(calls) == 1
    assert len(answers) == 10 and all(answer == {"periods": ["2020-12-31"]} for answer in answers)


def test_a_failed_computation_is_not_kept_and_the_next_request_computes_again(demo_engine):
    from service.caching import DataVersion, VersionedCache

    version = DataVersion(demo_engine, listen=False)
    version.refresh()
    cache = VersionedCache(version)

    def fails():
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        cache.get("levels", fails)
    assert cache.get("levels", lambda: ["bez", "plr"]) == ["bez", "plr"]
    assert cache.get("levels", fails) == ["bez", "plr"]  # kept now
