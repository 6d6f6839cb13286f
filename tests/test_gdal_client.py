"""A real OGC API - Features client: GDAL's OAPIF driver (Debian gdal-bin) against the running server."""

import shutil
import subprocess

import pyogrio
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="gdal-bin is not installed")
GDAL_ENV = {"GDAL_HTTP_TIMEOUT": "60", "CPL_DEBUG": "OFF", "GDAL_HTTP_UNSAFESSL": "NO"}


def run(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, env=GDAL_ENV)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_ogrinfo_lists_every_collection(live_server):
    out = run("ogrinfo", "-ro", "-q", f"OAPIF:{live_server}/")
    for level in ("plr", "bzr", "pgr", "bez", "stadt"):
        assert f": {level} " in out or f": {level}\n" in out or f" {level} (" in out, out


def test_ogr2ogr_from_the_landing_page_reads_the_latest_period(live_server, demo_engine, tmp_path):
    target = tmp_path / "latest.gpkg"
    run("ogr2ogr", "-f", "GPKG", str(target), f"OAPIF:{live_server}/", "plr")
    frame = pyogrio.read_dataframe(target)
    with demo_engine.connect() as conn:
        latest = conn.execute(sa.text("SELECT max(period) FROM observation_public")).scalar()
    assert len(frame) == 542 and (frame["period"] == latest.isoformat()).all()
    assert frame["EW"].notna().sum() > 500 and frame["EW"].sum() > 3_500_000  # Berlin: 3.7 million people


def test_ogr2ogr_reads_all_planungsraeume_of_2020_with_their_values(live_server, tmp_path):
    target = tmp_path / "plr.gpkg"
    run("ogr2ogr", "-f", "GPKG", str(target), f"OAPIF:{live_server}/collections/plr?datetime=2020", "plr")
    frame = pyogrio.read_dataframe(target)
    assert len(frame) == 542
    row = frame.set_index("key").loc["01100101"]
    assert row["S1"] == pytest.approx(4.22594) and row["name"] == "Stülerstraße"
    assert frame["S1"].notna().sum() == 536
    west, south, east, north = frame.to_crs(4326).total_bounds
    assert 13.0 < west < east < 13.8 and 52.3 < south < north < 52.7


@pytest.fixture(scope="module")
def recorded_server(demo_engine):
    """A live server whose every request (path, query) is recorded, as a server's access log would."""
    import threading
    import time
    from urllib.parse import parse_qsl

    import uvicorn

    from service.app import create_app
    from tests.conftest import free_port, make_settings

    app = create_app(make_settings(), engine=demo_engine)
    log: list[tuple[str, dict]] = []

    async def recording(scope, receive, send):
        if scope["type"] == "http":
            log.append((scope["path"], dict(parse_qsl(scope["query_string"].decode()))))
        await app(scope, receive, send)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(recording, host="127.0.0.1", port=port, log_level="warning",
                                           proxy_headers=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", log
    server.should_exit = True
    thread.join(timeout=10)


def test_gdal_pushes_a_where_filter_to_the_server(recorded_server, tmp_path):
    url, log = recorded_server
    log.clear()
    target = tmp_path / "filtered.gpkg"
    run("ogr2ogr", "-f", "GPKG", str(target), f"OAPIF:{url}/", "plr", "-where", "parent_key = '011001'")
    frame = pyogrio.read_dataframe(target)
    assert len(frame) > 1 and (frame["parent_key"] == "011001").all()
    items = [query for path, query in log if path == "/collections/plr/items"]
    assert items, log
    # the condition travelled as a query parameter (equality or CQL2): the server answered only those areas;
    # the one unfiltered request is GDAL's first look at the layer's fields (one page, never followed)
    pushed = [q for q in items if q.get("parent_key") == "011001" or "011001" in q.get("filter", "")]
    unfiltered = [q for q in items if q not in pushed]
    assert pushed and len(unfiltered) <= 1 and all("offset" not in q for q in unfiltered), items
    assert any(path == "/api/openapi.json" for path, _ in log)


def test_gdal_pushes_an_integer_equality_and_reads_the_same_areas(recorded_server, live_server):
    url, log = recorded_server
    log.clear()
    out = run("ogrinfo", "-ro", "-al", "-q", f"OAPIF:{url}/collections/plr?datetime=2020", "-where",
              "key = '01100101'")
    assert "Stülerstraße" in out and out.count("OGRFeature(plr)") == 1
    items = [query for path, query in log if path == "/collections/plr/items"]
    pushed = [q for q in items if q.get("key") == "01100101" or "01100101" in q.get("filter", "")]
    assert pushed and len(items) - len(pushed) <= 1, items
