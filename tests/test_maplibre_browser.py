"""A web map on another origin: MapLibre GL JS in Debian's Chromium, served from a second port, draws the
service's vector tiles (through TileJSON) and its GeoJSON items; this works only with the open read-only CORS
(issue 19). WebGL comes from SwiftShader (no GPU)."""

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")]
MAPLIBRE = Path(__file__).parent / "data" / "maplibre-gl"
WEBGL_ARGS = ["--headless", "--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
              "--ignore-gpu-blocklist"]
PAGE = """<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="maplibre-gl.css">
<script src="maplibre-gl.js"></script><style>#map{width:800px;height:600px}</style></head>
<body><div id="map"></div><script>
const api = "%API%";
window.errors = [];
const map = new maplibregl.Map({container: "map", center: [13.40, 52.52], zoom: 11, style: {version: 8,
  sources: {
    plr: {type: "vector", url: api + "/collections/plr/tiles/WebMercatorQuad/tilejson.json?datetime=2020"},
    bez: {type: "geojson", data: api + "/collections/bez/items?limit=100"}},
  layers: [
    {id: "bg", type: "background", paint: {"background-color": "#ffffff"}},
    {id: "plr-fill", type: "fill", source: "plr", "source-layer": "plr",
     paint: {"fill-color": ["interpolate", ["linear"], ["coalesce", ["get", "S1"], 0], 0, "#ffeeee", 20, "#990000"]}},
    {id: "bez-line", type: "line", source: "bez", paint: {"line-color": "#000000", "line-width": 2}}]}});
map.on("error", e => window.errors.push(String(e.error && e.error.message)));
map.on("idle", () => {
  window.drawn = {tiles: map.queryRenderedFeatures({layers: ["plr-fill"]}).length,
                  geojson: map.queryRenderedFeatures({layers: ["bez-line"]}).length,
                  names: map.querySourceFeatures("bez").map(f => f.properties.name)};
});
</script></body></html>"""


@pytest.fixture()
def other_origin(live_server, tmp_path):
    for name in ("maplibre-gl.js", "maplibre-gl.css"):
        shutil.copy(MAPLIBRE / name, tmp_path / name)
    (tmp_path / "index.html").write_text(PAGE.replace("%API%", live_server), encoding="utf-8")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_maplibre_on_another_origin_draws_the_vector_tiles_and_the_geojson(other_origin, live_server):
    from playwright.sync_api import sync_playwright

    assert other_origin.split(":")[-1] != live_server.split(":")[-1]  # a different origin
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=WEBGL_ARGS)
        try:
            page = browser.new_page()
            cross_origin = []
            page.on("response", lambda r: cross_origin.append(r) if r.url.startswith(live_server) else None)
            page.goto(f"{other_origin}/index.html")
            page.wait_for_function("window.drawn !== undefined || window.errors.length > 0", timeout=90_000)
            drawn = page.evaluate("window.drawn")
            errors = page.evaluate("window.errors")
        finally:
            browser.close()
    assert not errors, errors
    assert drawn["tiles"] > 10, drawn  # Planungsräume from the vector tiles
    assert drawn["geojson"] > 0 and "Mitte" in drawn["names"], drawn  # districts from the GeoJSON items
    assert any("/tiles/WebMercatorQuad/" in r.url and r.status == 200 for r in cross_origin)
    assert all(r.headers.get("access-control-allow-origin") == "*" for r in cross_origin if r.status == 200)
