"""The first endpoints answer with valid GeoJSON, JSON and HTML, and with problem+json for unknown names."""

import orjson
import pytest
import shapely
from shapely.geometry import shape

BERLIN_BBOX_CRS84 = (13.08, 52.33, 13.77, 52.68)


def test_landing_page_is_json_for_clients_and_html_for_browsers(client):
    as_json = client.get("/", headers={"Accept": "application/json"})
    as_html = client.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert as_json.headers["content-type"].startswith("application/json")
    rels = {link["rel"] for link in as_json.json()["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    assert as_html.headers["content-type"].startswith("text/html")
    assert "Planungsräume" in as_html.text


def test_collections_list_every_level_with_periods(client):
    body = client.get("/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert ids == ["plr", "bzr", "pgr", "bez", "stadt"]
    plr = body["collections"][0]
    assert "2020-12-31" in plr["periods"] and "2022-06-30" in plr["periods"]
    west, south, east, north = plr["extent"]["spatial"]["bbox"][0]
    assert 13.0 < west < east < 13.8 and 52.3 < south < north < 52.7


def test_items_are_valid_geojson_inside_berlin_with_indicator_properties(client):
    response = client.get("/collections/plr/items", params={"limit": 1000, "period": "2020-12-31"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = orjson.loads(response.content)
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == 542 and body["numberReturned"] == 542
    with_s1 = 0
    for feature in body["features"]:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid and geometry.geom_type == "MultiPolygon"
        minx, miny, maxx, maxy = geometry.bounds
        assert BERLIN_BBOX_CRS84[0] <= minx and maxx <= BERLIN_BBOX_CRS84[2]
        assert BERLIN_BBOX_CRS84[1] <= miny and maxy <= BERLIN_BBOX_CRS84[3]
        props = feature["properties"]
        assert props["key"] == feature["id"] and len(props["key"]) == 8 and props["name"]
        assert props["period"] == "2020-12-31"
        with_s1 += props.get("S1") is not None
    assert with_s1 == 536


def test_flagged_values_are_null_with_a_flag_property(client):
    feature = client.get("/collections/plr/items/10100205", params={"period": "2020-12-31"}).json()
    assert feature["properties"]["S1"] is None
    assert feature["properties"]["S1_flag"] == "not_assessed"


def test_paging_links_walk_through_all_features(client):
    seen, url, pages = set(), "/collections/bzr/items?limit=50", 0
    while url:
        body = client.get(url).json()
        seen.update(f["id"] for f in body["features"])
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0].replace("http://testserver", "") if nxt else None
        pages += 1
    assert len(seen) == 143 and pages == 3


def test_bbox_selects_only_intersecting_areas(client):
    everything = client.get("/collections/plr/items", params={"limit": 1}).json()["numberMatched"]
    mitte = client.get("/collections/plr/items", params={"limit": 1000, "bbox": "13.38,52.51,13.40,52.52"}).json()
    assert 0 < mitte["numberMatched"] < everything
    box = shapely.box(13.38, 52.51, 13.40, 52.52)
    assert all(shape(f["geometry"]).intersects(box) for f in mitte["features"])


@pytest.mark.parametrize("url", [
    "/collections/nope", "/collections/nope/items", "/collections/plr/items/00000000",
    "/api/areas/99999999",
])
def test_unknown_names_answer_404_problem_json(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["detail"] and "Traceback" not in response.text


@pytest.mark.parametrize("query", ["limit=0", "limit=-3", "bbox=1,2,3", "bbox=3,2,1,4", "bbox=a,b,c,d",
                                   "bbox=nan,52,13,53", "offset=-1", "offset=1e3", "period=1999-12-31"])
def test_malformed_item_requests_answer_400_problem_json(client, query):
    response = client.get(f"/collections/plr/items?{query}")
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_period_without_data_lists_the_periods_that_exist(client):
    body = client.get("/collections/plr/items?period=1999").json()
    assert "2020-12-31" in body["available_periods"]


def test_indicator_catalogue_lists_the_mss_indicators(client):
    body = client.get("/api/indicators").json()
    codes = {item["code"] for item in body["indicators"]}
    assert {"S1", "S3", "S4", "D1", "D3", "D4", "KI_01", "EW"} <= codes
    csv_text = client.get("/api/indicators?f=csv").text
    assert csv_text.splitlines()[0].startswith("code,name_de")


def test_area_endpoint_returns_all_values_of_one_area(client):
    body = client.get("/api/areas/01100101").json()
    assert body["name"] == "Stülerstraße" and body["level"] == "plr"
    assert body["parent"]["key"] == "011001"
    s1 = [v for v in body["values"] if v["indicator"] == "S1" and v["period"] == "2020-12-31"]
    assert s1 and abs(s1[0]["value"] - 4.22594) < 1e-9


def test_health_and_openapi(client):
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").json()["database"] == "up"
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.") and "/collections/{collection_id}/items" in spec["paths"]


def test_map_page_is_a_german_choropleth_without_external_scripts(client):
    html = client.get("/maps/indicators/S1?period=2020-12-31").text
    assert "Legende" in html and "Arbeitslosigkeit" in html
    assert "cdn.jsdelivr" not in html and "code.jquery.com" not in html


def test_map_of_unknown_indicator_is_a_friendly_german_404(client):
    response = client.get("/maps/indicators/XX")
    assert response.status_code == 404
    assert "gibt es nicht" in response.text and "indicator=S1" in response.text


def test_every_page_linked_from_the_landing_page_answers(client):
    links = client.get("/", headers={"Accept": "application/json"}).json()["links"]
    pages = [link["href"].replace("http://testserver", "") for link in links if link["type"].startswith("text/html")]
    assert any(p.startswith("/explorer") for p in pages) and any(p.startswith("/reports") for p in pages)
    for page in pages:
        response = client.get(page, follow_redirects=True)
        assert response.status_code == 200, page
        assert response.headers["content-type"].startswith("text/html"), page


def test_the_html_view_of_an_area_links_to_its_profile(client):
    html = client.get("/collections/plr/items/01100101?f=html").text
    assert 'href="/areas/plr/01100101"' in html


def test_search_finds_areas_of_every_level_best_first_and_reads_wildcards_literally(client):
    hits = client.get("/api/search", params={"q": "stülerSTRASSE".replace("SS", "ß").lower()}).json()["hits"]
    assert [(h["level"], h["key"], h["exact"]) for h in hits] == [("plr", "01100101", True)]
    by_key = client.get("/api/search", params={"q": "0110"}).json()["hits"]
    assert by_key[0]["key"] == "0110" and all(h["key"].startswith("0110") or "0110" in h["name"] for h in by_key)
    assert client.get("/api/search", params={"q": "%"}).json()["hits"] == []
    assert client.get("/api/search", params={"q": "_"}).json()["hits"] == []
    assert client.get("/api/search", params={"q": ""}).status_code == 400
    assert client.get("/api/search", params={"q": "x" * 101}).status_code == 400
