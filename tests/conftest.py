"""Fixtures: a throwaway PostGIS cluster (or DATABASE_URL's server), the demo database, the app, a live server.

The demo database is built through `district-monitor`'s own migration and demo code and used as a template;
tests that write get their own copy (`CREATE DATABASE ... TEMPLATE`), so no test sees another's changes. On the
throwaway cluster it is built once and reused by later runs while its inputs are unchanged (tests/demo_cache.py).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import uuid
import warnings
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from service.app import create_app
from service.db import create_engine, normalise_url
from service.embedded import EmbeddedCluster, throwaway_cluster
from service.settings import Settings

if TYPE_CHECKING:
    from tests.demo_cache import DemoCache

TEMPLATE_DB = "dm_test_template"
# `district-monitor serve` processes the tests start compile no cluster-analysis kernels in the background
# (25 s of CPU each on a 2-core machine); tests/test_hotspots.py tests the warm-up itself.
os.environ.setdefault("DM_WARM_UP_ANALYSES", "false")
ARTIFACTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"  # README shows these


class PgServer:
    """A PostgreSQL server on which tests may create and drop databases."""

    def __init__(self, url: str, cluster: EmbeddedCluster | None = None, demo_cache: DemoCache | None = None,
                 has_demo: bool = False):
        self.url = make_url(normalise_url(url))
        self.cluster = cluster  # the throwaway cluster, if the tests run on one
        self.demo_cache = demo_cache  # where to keep the demo database for later runs (tests/demo_cache.py)
        self.has_demo = has_demo  # the cluster was copied from a snapshot that holds the demo template

    def database_url(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def admin(self) -> psycopg.Connection:
        url = self.url.set(drivername="postgresql", database="postgres")
        return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)

    def create(self, name: str, template: str | None = None) -> str:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.database_url(name)

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(**overrides) -> Settings:
    """Settings for tests: no background tiles (offline), a statement timeout generous enough for a
    loaded 2-core CI machine (tests assert behaviour, never speed), no rate limit (one session makes
    thousands of requests from one address; the tests of the limit set it), and no warm-up of the cluster
    analysis at every app start (25 s of compiling per process; tests/test_hotspots.py tests it)."""
    values = {"map_tiles": "", "load_demo": False, "statement_timeout_ms": 600_000, "rate_limit_per_minute": 0,
              "warm_up_analyses": False, **overrides}
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    if os.environ.get("DATABASE_URL"):
        yield PgServer(os.environ["DATABASE_URL"])
        return
    from tests.demo_cache import DemoCache, cluster_from_snapshot

    cache = DemoCache.configured()
    if cache is None:
        with throwaway_cluster("dm-test-pg-") as cluster:
            yield PgServer(cluster.url("postgres"), cluster)
            _keep_log_of_a_crash(cluster)
        return
    # One test process builds the demo while the others wait for its snapshot (two builds side by side on two
    # cores take longer than one build and a copy).
    with cache.building(while_waiting=_compile_cluster_analysis) as building:
        if not cache.has_snapshot():
            with throwaway_cluster("dm-test-pg-") as cluster:
                server = PgServer(cluster.url("postgres"), cluster, demo_cache=cache)
                _build_demo_template(server)
                building.done()
                yield server
                _keep_log_of_a_crash(cluster)
            return
    with cluster_from_snapshot(cache.snapshot) as cluster:
        server = PgServer(cluster.url("postgres"), cluster, has_demo=True)
        yield server
        _keep_log_of_a_crash(cluster)


CRASH_SIGNS = ("was terminated by signal", "terminating any other active server processes", "PANIC:")
CRASH_LOGS = Path(__file__).resolve().parent.parent / ".data" / "test-logs"


def _keep_log_of_a_crash(cluster: EmbeddedCluster) -> None:
    """A test cluster whose server process crashed (the cluster restarts and every connection fails for a moment)
    leaves its log in .data/test-logs/ before its directory is removed, and says so: the crash is the cause to
    find, the failing test only its symptom."""
    try:
        text = cluster.log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    signs = [line for line in text.splitlines() if any(sign in line for sign in CRASH_SIGNS)]
    if signs:
        CRASH_LOGS.mkdir(parents=True, exist_ok=True)
        kept = CRASH_LOGS / f"postgresql-{os.getpid()}-{int(time.time())}.log"
        kept.write_text(text, encoding="utf-8")
        warnings.warn(f"the test cluster crashed ({signs[0]}); its log is kept in {kept}", stacklevel=1)


def _compile_cluster_analysis() -> None:
    """What a process waiting for another's demo build can do meanwhile on its idle core: compile the cluster
    analysis' kernels (25 s on a loaded 2-core machine) that its first hot-spot map would otherwise compile."""
    from indicators.hotspots import warm_up

    try:
        warm_up()
    except Exception as exc:  # noqa: BLE001 -- saves time only; the first hot-spot map compiles instead
        warnings.warn(f"the cluster analysis was not compiled ahead: {exc}", stacklevel=1)


def _build_demo_template(server: PgServer) -> None:
    from tests.demo_cache import build_demo_database

    build_demo_database(server.create(TEMPLATE_DB))
    server.has_demo = True
    if server.demo_cache is not None:
        try:
            server.demo_cache.save(server.cluster)
        except Exception as exc:  # noqa: BLE001 -- the cache only saves time; the next run builds again
            warnings.warn(f"the demo database was not cached for later runs: {exc}", stacklevel=1)


@pytest.fixture(scope="session")
def demo_template(pg_server: PgServer) -> str:
    """Name of a database holding the migrated schema and the whole Berlin demo."""
    if not pg_server.has_demo:
        _build_demo_template(pg_server)
    return TEMPLATE_DB


@pytest.fixture(scope="session")
def demo_engine(pg_server: PgServer, demo_template: str) -> Iterator[sa.Engine]:
    """Read-only use by convention: tests that write take `fresh_engine`."""
    url = pg_server.create("dm_test_demo", template=demo_template)
    engine = create_engine(url, make_settings())
    yield engine
    engine.dispose()


@contextmanager
def private_engine(pg_server: PgServer, demo_template: str, prefix: str = "dm_test") -> Iterator[sa.Engine]:
    """An engine on a private copy of the demo database, dropped afterwards (for modules and tests that write)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(pg_server.create(name, template=demo_template), make_settings())
    try:
        yield engine
    finally:
        engine.dispose()
        pg_server.drop(name)


def bearer(engine: sa.Engine, role: str, name: str | None = None) -> dict[str, str]:
    """Authorization headers with a fresh token of `role`."""
    from service.auth import create_token

    with engine.begin() as conn:
        _id, token = create_token(conn, name or f"test-{role}", role, created_by="test")
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def client_as(engine: sa.Engine, role: str, name: str | None = None) -> Iterator[TestClient]:
    """A test client of the app on `engine` that sends a fresh token of `role` with every request."""
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        client.headers.update(bearer(engine, role, name))
        yield client


@pytest.fixture
def fresh_engine(pg_server: PgServer, demo_template: str) -> Iterator[sa.Engine]:
    """A private copy of the demo database for a test that writes."""
    with private_engine(pg_server, demo_template) as engine:
        yield engine


@pytest.fixture(scope="session")
def client(demo_engine: sa.Engine) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(), engine=demo_engine)) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def _shared_client_forgets_cookies(request) -> Iterator[None]:
    """The session's `client` is shared by every test of a process: a cookie one test receives (`dm_lang=en` after
    a `?lang=en` page) must not change what the next test gets."""
    yield
    if "client" in request.fixturenames:
        request.getfixturevalue("client").cookies.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(engine: sa.Engine, **settings) -> Iterator[str]:
    """A real uvicorn server of the app on `engine` in a thread, configured like `district-monitor serve` (uvicorn's
    own proxy-header handling off: the app honours forwarded headers of trusted proxies only); yields its URL."""
    port = free_port()
    config = uvicorn.Config(create_app(make_settings(**settings), engine=engine), host="127.0.0.1", port=port,
                            log_level="warning", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(demo_engine: sa.Engine) -> Iterator[str]:
    """A real uvicorn server in a thread, for the browser and GDAL."""
    with serving(demo_engine) as url:
        yield url


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver per test process: its sync API refuses a second one started beside it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


class GermanOfficeBrowser:
    """The browser of the people the tests play: municipal staff whose Chromium asks for German (`de-DE`); a
    test that plays an English-speaking visitor passes `locale="en-US"`. Headless Chromium otherwise sends
    `Accept-Language: en-US`, and the pages follow the browser's language (service.http.requested_language)."""

    LOCALE = "de-DE"

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, **options):
        options.setdefault("locale", self.LOCALE)
        return self._browser.new_context(**options)

    def new_page(self, **options):
        options.setdefault("locale", self.LOCALE)
        return self._browser.new_page(**options)

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser(playwright_driver):
    """Debian's Chromium driven by Playwright (no browser download), as a German office's browser."""
    instance = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield GermanOfficeBrowser(instance)
    instance.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _row_digest(conn: sa.Connection, table: str) -> str:
    """SQL for the md5 of a row of `table` (alias t), its geometries read as bytes: the text form of a geometry
    is its hex, and writing the demo's outlines as hex took most of a second per fingerprint, twice per test."""
    columns = conn.execute(sa.text("SELECT column_name, udt_name FROM information_schema.columns"
                                   " WHERE table_schema = 'public' AND table_name = :table ORDER BY ordinal_position"),
                           {"table": table}).all()
    plain = ", ".join(f"t.{name}" for name, udt in columns if udt != "geometry")
    shapes = "".join(f" || coalesce(md5(t.{name}::bytea), '-')" for name, udt in columns if udt == "geometry")
    return f"md5(row({plain})::text{shapes})"


# A row version is where it was (tableoid, ctid) and which transaction wrote it (xmin): a committed insert,
# update or delete changes the set of them, an aborted one leaves it as it was. Hashed and XOR-ed, no row is
# written out as text and nothing sorted: on the Berlin demo 34 ms instead of 157 ms for the observations and
# 2 ms instead of 140 ms for the areas (their outlines hashed) per fingerprint, two per test.
INDICATORS_CONTENT = "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY code), '')) FROM indicator t"
ROW_VERSIONS = "count(*), bit_xor(hashtextextended(t.tableoid::text || t.ctid::text || ' ' || t.xmin::text, 0))"


def table_fingerprint(engine: sa.Engine) -> dict:
    """'The database exactly as before': no row of observation (all partitions), area or import_batch written,
    the indicators' content the same, no table (partition, leftover) appeared or vanished. Exact for what the
    tests ask (did a refused or failed write leave anything behind?); a write of identical values counts as a
    write. `table_contents` compares content instead (a migration rewrites the rows)."""
    with engine.connect() as conn:
        return {
            "observation": tuple(conn.execute(sa.text(f"SELECT {ROW_VERSIONS} FROM observation t")).one()),
            "area": tuple(conn.execute(sa.text(f"SELECT {ROW_VERSIONS} FROM area t")).one()),
            "import_batch": tuple(conn.execute(sa.text(f"SELECT {ROW_VERSIONS} FROM import_batch t")).one()),
            "indicator": conn.execute(sa.text(INDICATORS_CONTENT)).scalar_one(),
            "tables": conn.execute(sa.text(  # no partition (or leftover table) appears or vanishes
                "SELECT array_agg(relname::text ORDER BY relname) FROM pg_class WHERE relkind IN ('r', 'p') "
                "AND relnamespace = 'public'::regnamespace")).scalar_one(),
        }


def table_contents(engine: sa.Engine) -> dict:
    """Row counts and checksums of the content of observations, areas and indicators, and the number of import
    batches: the same data after the tables were rewritten (a migration down and up again)."""
    with engine.connect() as conn:
        return {
            "observation": conn.execute(sa.text(
                "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) FROM observation t")).one(),
            "area": conn.execute(sa.text(
                f"SELECT count(*), md5(coalesce(string_agg({_row_digest(conn, 'area')}, '|' ORDER BY id), ''))"
                " FROM area t")).one(),
            "import_batch": conn.execute(sa.text("SELECT count(*) FROM import_batch")).scalar_one(),
            "indicator": conn.execute(sa.text(INDICATORS_CONTENT)).scalar_one(),
        }


# -- order of the files: the longest first ------------------------------------------------------------------
# `make test` hands whole files to the two test processes (--dist loadfile) in collection order
# (--no-loadscope-reorder); a long file handed out last keeps one process busy while the other idles. So the
# files are collected longest first, by the seconds each took in an earlier run (tests/durations.json; refresh
# it with `DM_TEST_DURATIONS=tests/durations.json make test`). A file missing there counts as typical. xdist
# has no scheduler by duration; pytest-split and pytest-test-groups split into separate runs, not this.
DURATIONS = Path(__file__).resolve().parent / "durations.json"
_seconds_per_file: defaultdict[str, float] = defaultdict(float)


def pytest_collection_modifyitems(session, config, items) -> None:
    known = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}
    typical = sorted(known.values())[len(known) // 2] if known else 0.0
    first_seen = {}
    for item in items:
        first_seen.setdefault(item.nodeid.split("::")[0], len(first_seen))
    items.sort(key=lambda item: (-known.get(item.nodeid.split("::")[0], typical),
                                 first_seen[item.nodeid.split("::")[0]]))


def pytest_runtest_logreport(report) -> None:
    _seconds_per_file[report.nodeid.split("::")[0]] += report.duration


def pytest_sessionfinish(session) -> None:
    target = os.environ.get("DM_TEST_DURATIONS")
    if target and not hasattr(session.config, "workerinput") and _seconds_per_file:
        ordered = dict(sorted(((name, round(seconds, 1)) for name, seconds in _seconds_per_file.items()),
                              key=lambda pair: -pair[1]))
        Path(target).write_text(json.dumps(ordered, indent=1) + "\n")
