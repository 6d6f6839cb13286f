"""The standards' small print that GIS clients and web maps trip over (issue 19): HEAD, open read-only CORS,
limit capping and empty pages, tiles link relations, the OpenAPI version claim, RFC 7946 ring orientation,
Accept q-values, repeated parameters, stable queryables, attribute order, proxy-based tile URLs."""

import re

import httpx
import orjson
import pytest

from tests.conftest import serving

GET_URLS = ["/", "/conformance", "/collections", "/collections/plr", "/collections/plr/items?limit=2",
            "/collections/plr/items/01100101", "/collections/plr/queryables", "/collections/plr/tiles",
            "/collections/plr/tiles/WebMercatorQuad", "/collections/plr/tiles/WebMercatorQuad/tilejson.json",
            "/collections/plr/tiles/WebMercatorQuad/12/1343/2200", "/tileMatrixSets",
            "/tileMatrixSets/WebMercatorQuad", "/api/openapi.json", "/api/indicators"]


@pytest.mark.parametrize("url", GET_URLS)
def test_head_answers_like_get_without_a_body(client, url):
    get = client.get(url)
    head = client.head(url)
    assert head.status_code == get.status_code == 200, url
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers.get("etag") == get.headers.get("etag")


def test_head_on_every_get_route_of_the_app(client):
    """No route that answers GET answers HEAD with 405 (path parameters filled with plausible values)."""
    values = {"collection_id": "plr", "feature_id": "01100101", "tms_id": "WebMercatorQuad", "z": "12",
              "y": "1343", "x": "2200", "code": "S1", "level": "plr", "key": "01100101"}
    def get_paths(routes, prefix=""):
        for route in routes:
            if hasattr(route, "original_router"):
                yield from get_paths(route.original_router.routes, prefix + route.include_context.prefix)
            elif "GET" in (getattr(route, "methods", None) or ()):
                yield prefix + route.path

    checked = 0
    for template in get_paths(client.app.routes):
        path = re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: values.get(m.group(1), "x"), template)
        assert client.head(path).status_code != 405, path
        checked += 1
    assert checked > 20


def test_any_origin_may_read_and_preflight_reads(client):
    origin = {"Origin": "https://karten.example.org"}
    read = client.get("/collections/plr/items?limit=1", headers=origin)
    assert read.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in read.headers
    assert "ETag" in read.headers["access-control-expose-headers"]
    tile = client.get("/collections/plr/tiles/WebMercatorQuad/12/1343/2200", headers=origin)
    assert tile.headers["access-control-allow-origin"] == "*"
    preflight = client.options("/collections/plr/items", headers={
        **origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "accept, if-none-match"})
    assert preflight.status_code == 204
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_writes_stay_closed_cross_origin(client):
    origin = {"Origin": "https://karten.example.org"}
    for method, headers in (("POST", ""), ("DELETE", ""), ("GET", "authorization")):
        preflight = client.options("/api/notes", headers={**origin, "Access-Control-Request-Method": method,
                                                           **({"Access-Control-Request-Headers": headers}
                                                              if headers else {})})
        assert preflight.status_code == 403, method
        assert "access-control-allow-origin" not in preflight.headers
    write = client.post("/api/notes", json={}, headers=origin)
    assert "access-control-allow-origin" not in write.headers


def test_open_reads_can_be_switched_off(demo_engine):
    from fastapi.testclient import TestClient

    from service.app import create_app
    from tests.conftest import make_settings

    with TestClient(create_app(make_settings(cors_public_reads=False), engine=demo_engine)) as closed:
        read = closed.get("/collections", headers={"Origin": "https://karten.example.org"})
        assert "access-control-allow-origin" not in read.headers


def test_limit_above_the_maximum_is_capped_and_says_so(client):
    response = client.get("/collections/bez/items?limit=10001")
    assert response.status_code == 200
    assert response.headers["ogc-limit-capped"] == "10000"
    body = orjson.loads(response.content)
    assert body["numberReturned"] == 12 and body["limitCapped"]["applied"] == 10000
    assert all("limit=10000" in link["href"] for link in body["links"] if link["rel"] == "self")
    assert "ogc-limit-capped" not in client.get("/collections/bez/items?limit=10000").headers


@pytest.mark.parametrize("offset", [542, 600, 99_999])
def test_offset_at_or_past_the_end_is_an_empty_page(client, offset):
    response = client.get(f"/collections/plr/items?offset={offset}&limit=100")
    assert response.status_code == 200
    body = orjson.loads(response.content)
    assert body["numberReturned"] == 0 and body["features"] == [] and body["numberMatched"] == 542
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert "next" not in rels and "offset=442" in rels["prev"]


def test_collections_link_their_tilesets_with_the_registered_relation(client):
    links = client.get("/collections/plr").json()["links"]
    tiles = [link for link in links if link["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"]
    assert len(tiles) == 1 and tiles[0]["href"].endswith("/collections/plr/tiles")
    assert not any(link["rel"].endswith("/vectortiles") for link in links)
    tilesets = client.get(tiles[0]["href"]).json()["tilesets"]
    assert tilesets[0]["dataType"] == "vector"


def test_openapi_document_is_claimed_as_what_it_is(client):
    landing = client.get("/?f=json").json()
    desc = next(link for link in landing["links"] if link["rel"] == "service-desc")
    assert desc["type"] == "application/vnd.oai.openapi+json;version=3.1"
    document = client.get("/api/openapi.json", headers={"Accept": desc["type"]})
    assert document.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.1"
    assert document.json()["openapi"].startswith("3.1")
    # GDAL asks for the 3.0 type or JSON: it gets JSON, not a type it would refuse
    gdal = client.get("/api/openapi.json", headers={
        "Accept": "application/vnd.oai.openapi+json;version=3.0, application/json"})
    assert gdal.headers["content-type"] == "application/json"
    classes = client.get("/conformance").json()["conformsTo"]
    assert not any(c.endswith("/conf/oas30") for c in classes)


def test_openapi_has_a_path_per_collection_with_its_queryables(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for level in ("plr", "bzr", "pgr", "bez", "stadt"):
        assert f"/collections/{level}/items" in paths
    parameters = {p["name"]: p for p in paths["/collections/plr/items"]["get"]["parameters"]}
    assert {"parent_key", "S1", "EW", "limit", "bbox", "filter", "filter-lang", "sortby"} <= set(parameters)
    assert parameters["EW"]["schema"]["type"] == "integer" and parameters["S1"]["schema"]["type"] == "number"
    assert "collection_id" not in parameters


def _signed_area(ring: list) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:])) / 2


@pytest.mark.parametrize("level", ["plr", "bzr", "pgr", "bez", "stadt"])
def test_exterior_rings_are_counter_clockwise_holes_clockwise(client, level):
    body = orjson.loads(client.get(f"/collections/{level}/items?limit=10000").content)
    rings = 0
    for feature in body["features"]:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        for polygon in polygons:
            assert _signed_area(polygon[0]) > 0, feature["id"]
            assert all(_signed_area(hole) < 0 for hole in polygon[1:]), feature["id"]
            rings += 1
    assert rings >= len(body["features"]) > 0


@pytest.mark.parametrize("accept, html", [
    ("text/html;q=0, */*", False),
    ("text/html;q=0.1, application/json", False),
    ("application/json;q=0.5, text/html", True),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
    ("application/geo+json, text/html;q=0.9", False),
    ("*/*", False),
    ("text/*", True),
])
def test_accept_q_values_decide_html_or_json(client, accept, html):
    response = client.get("/collections/plr", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html") is html, response.headers["content-type"]


@pytest.mark.parametrize("query", ["parent_key=011001&parent_key=011002", "limit=5&limit=6",
                                   "datetime=2020&datetime=2022", "filter=S1>1&filter=S1<2"])
def test_a_repeated_parameter_is_refused(client, query):
    response = client.get(f"/collections/plr/items?{query}")
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    assert "times" in response.json()["description"]


def test_queryables_are_the_same_for_every_period_with_integer_counts_and_a_geometry(client):
    schemas = [client.get(f"/collections/plr/queryables{q}").json()["properties"]
               for q in ("", "?datetime=2020-12-31", "?datetime=2018")]
    assert schemas[0] == schemas[1] == schemas[2]
    schema = schemas[0]
    assert schema["EW"]["type"] == "integer" and schema["S1"]["type"] == "number"
    assert schema["geometry"]["format"].startswith("geometry-")
    assert list(schema)[:2] == ["key", "name"]


def test_every_period_has_the_same_attributes_in_the_same_order(client):
    keys = []
    for period in ("2018", "2020", "2022"):
        body = orjson.loads(client.get(f"/collections/plr/items?datetime={period}&limit=1").content)
        keys.append(list(body["features"][0]["properties"]))
    assert keys[0] == keys[1] == keys[2]
    assert keys[0][:2] == ["key", "name"]
    queryables = [k for k in client.get("/collections/plr/queryables").json()["properties"] if k != "geometry"]
    assert keys[0] == queryables  # the catalogue's order


def test_tilejson_tile_urls_follow_a_trusted_proxy(demo_engine):
    with serving(demo_engine, trusted_proxies="127.0.0.1") as url:
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "geo.example.de",
                   "X-Forwarded-Prefix": "/monitor"}
        tilejson = httpx.get(f"{url}/collections/plr/tiles/WebMercatorQuad/tilejson.json", headers=headers).json()
        assert tilejson["tiles"][0].startswith("https://geo.example.de/monitor/collections/plr/tiles/")
        direct = httpx.get(f"{url}/collections/plr/tiles/WebMercatorQuad/tilejson.json").json()
        assert direct["tiles"][0].startswith(f"{url}/collections/plr/tiles/")
        for template in (tilejson["tiles"][0], direct["tiles"][0]):
            path = template.split("/collections/", 1)[1].replace("{z}/{y}/{x}", "12/1343/2200")
            assert httpx.get(f"{url}/collections/{path}").status_code == 200


def test_tiles_are_discovered_from_the_collection_as_ogc_client_does(client):
    """collection -> rel tilesets-vector -> tileset list -> tileset (self) -> templated item link -> a tile."""
    import mapbox_vector_tile

    collection = client.get("/collections/plr").json()
    href = next(l["href"] for l in collection["links"]
                if l["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector")
    listed = client.get(href).json()["tilesets"][0]
    assert listed["dataType"] == "vector" and listed["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    tileset = client.get(next(l["href"] for l in listed["links"] if l["rel"] == "self")).json()
    template = next(l for l in tileset["links"] if l["rel"] == "item")
    assert template["templated"] and template["type"] == "application/vnd.mapbox-vector-tile"
    url = template["href"].replace("{tileMatrix}", "12").replace("{tileRow}", "1343").replace("{tileCol}", "2200")
    tile = client.get(url)
    assert tile.status_code == 200
    assert len(mapbox_vector_tile.decode(tile.content)["plr"]["features"]) > 0
