"""OGC API - Features: conformance, metadata, paging, datetime, property selection, queryables and filters."""

import orjson
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from shapely.geometry import shape

from service.app import create_app
from tests.conftest import make_settings


def geojson(response) -> dict:
    assert response.status_code == 200, response.text
    return orjson.loads(response.content)


def test_conformance_declares_core_geojson_html_crs_queryables_and_filter_but_not_oas30(client):
    classes = client.get("/conformance").json()["conformsTo"]
    for part in ("ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson",
                 "ogcapi-features-1/1.0/conf/html", "ogcapi-features-2/1.0/conf/crs",
                 "ogcapi-features-3/1.0/conf/queryables-query-parameters", "ogcapi-features-3/1.0/conf/filter",
                 "cql2/1.0/conf/cql2-text", "cql2/1.0/conf/cql2-json", "ogcapi-tiles-1/1.0/conf/mvt"):
        assert f"http://www.opengis.net/spec/{part}" in classes
    # the OpenAPI document is 3.1.0: the OpenAPI 3.0 class would be a false claim
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30" not in classes
    assert client.get("/api/openapi.json").json()["openapi"].startswith("3.1")


def test_landing_page_links_conformance_collections_api_and_tiling_schemes(client):
    links = {link["rel"]: link["href"] for link in client.get("/?f=json").json()["links"]}
    assert links["conformance"].endswith("/conformance") and links["data"].endswith("/collections")
    assert links["service-desc"].endswith("/api/openapi.json")
    assert links["http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"].endswith("/tileMatrixSets")


def test_collection_metadata_has_extent_time_crs_list_and_storage_crs(client):
    body = client.get("/collections/plr").json()
    assert body["itemType"] == "feature"
    assert body["storageCrs"] == "http://www.opengis.net/def/crs/EPSG/0/25833"
    assert body["crs"][0] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert "http://www.opengis.net/def/crs/EPSG/0/3035" in body["crs"]
    assert body["extent"]["spatial"]["crs"].endswith("CRS84")
    assert body["extent"]["temporal"]["interval"] == [["2012-12-31", "2024-12-31"]]  # MSS 2013 .. register 2024
    rels = {link["rel"] for link in body["links"]}
    assert {"items", "self", "http://www.opengis.net/def/rel/ogc/1.0/queryables", "enclosure"} <= rels


def test_datetime_selects_the_period_of_the_values(client):
    of_2020 = geojson(client.get("/collections/plr/items?datetime=2020&limit=5"))
    of_2022 = geojson(client.get("/collections/plr/items?datetime=2022-06-30&limit=5"))
    latest = geojson(client.get("/collections/plr/items?limit=5"))
    assert all(f["properties"]["period"] == "2020-12-31" and "S1" in f["properties"] for f in of_2020["features"])
    # the same properties in every period: S1 has no 2022 values and is null there
    assert all(f["properties"]["S1"] is None and "EW_U6" in f["properties"] for f in of_2022["features"])
    assert latest["features"][0]["properties"]["period"] == "2024-12-31"
    interval = geojson(client.get("/collections/plr/items?datetime=2019-01-01/2021-06-30&limit=1"))
    assert interval["period"] == "2021-06-30"  # the latest period inside the interval (register, docs/history.md)


def test_feature_values_match_the_observations_table(client, demo_engine):
    with demo_engine.connect() as conn:
        expected = dict(conn.execute(sa.text("""
            SELECT o.indicator_code, o.value FROM observation_public o JOIN area a ON a.id = o.area_id
            WHERE a.key = '01100101' AND a.level_code = 'plr' AND o.period = '2020-12-31'""")).all())
    props = client.get("/collections/plr/items/01100101?datetime=2020").json()["properties"]
    assert len(expected) >= 20
    for code, value in expected.items():
        assert props[code] == pytest.approx(value) if value is not None else props[code] is None


def test_paging_reports_matched_and_returned_and_walks_forward_and_back(client):
    first = geojson(client.get("/collections/plr/items?limit=200"))
    assert first["numberMatched"] == 542 and first["numberReturned"] == 200
    last = geojson(client.get("/collections/plr/items?limit=200&offset=400"))
    assert last["numberReturned"] == 142
    rels = {link["rel"]: link["href"] for link in last["links"]}
    assert "next" not in rels and "offset=200" in rels["prev"]
    keys = [f["id"] for f in first["features"]] + [f["id"] for f in last["features"]]
    assert keys == sorted(keys) and len(set(keys)) == 342


def test_limit_of_ten_thousand_returns_every_area(client):
    body = geojson(client.get("/collections/plr/items?limit=10000"))
    assert body["numberReturned"] == 542 and len(body["features"]) == 542


def test_property_selection_returns_only_the_named_properties(client):
    body = geojson(client.get("/collections/plr/items?datetime=2020&properties=S1,name&limit=3"))
    assert all(set(f["properties"]) == {"S1", "name"} for f in body["features"])


def test_queryables_is_a_json_schema_of_indicator_and_area_properties(client):
    response = client.get("/collections/plr/queryables?datetime=2020")
    assert response.headers["content-type"] == "application/schema+json"
    schema = response.json()
    assert schema["type"] == "object" and schema["$schema"].startswith("https://json-schema.org/")
    assert schema["properties"]["S1"]["type"] == "number"
    assert schema["properties"]["parent_key"]["type"] == "string"
    assert "Arbeitslos" in schema["properties"]["S1"]["title"]


def test_equality_filter_on_a_queryable_selects_matching_areas(client):
    body = geojson(client.get("/collections/plr/items?parent_key=011001&limit=100"))
    assert body["numberMatched"] == len(body["features"]) > 1
    assert all(f["properties"]["parent_key"] == "011001" for f in body["features"])
    s1 = client.get("/collections/plr/items/01100101?datetime=2020").json()["properties"]["S1"]
    by_value = geojson(client.get(f"/collections/plr/items?datetime=2020&S1={s1}&limit=100"))
    assert "01100101" in [f["id"] for f in by_value["features"]]


def test_bbox_in_crs84_and_filters_combine(client):
    in_box = geojson(client.get("/collections/plr/items?bbox=13.38,52.51,13.40,52.52&limit=100"))
    parent = in_box["features"][0]["properties"]["parent_key"]
    both = geojson(client.get(f"/collections/plr/items?bbox=13.38,52.51,13.40,52.52&parent_key={parent}&limit=100"))
    assert 0 < both["numberMatched"] < in_box["numberMatched"]
    assert all(f["properties"]["parent_key"] == parent for f in both["features"])


def test_html_twins_of_collection_items_item_and_queryables(client):
    for url in ("/collections/plr?f=html", "/collections/plr/items?f=html&limit=5", "/collections/plr/items/01100101?f=html",
                "/collections/plr/queryables?f=html", "/conformance?f=html"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html"), url
    assert "Stülerstraße" in client.get("/collections/plr/items/01100101?f=html").text


def test_zoom_simplification_reduces_vertices_and_keeps_neighbours_seamless(client):
    full = geojson(client.get("/collections/bzr/items?limit=200"))
    simple = geojson(client.get("/collections/bzr/items?limit=200&zoom=11"))
    count = lambda body: sum(len(shape(f["geometry"]).exterior.coords) if shape(f["geometry"]).geom_type == "Polygon"
                             else sum(len(p.exterior.coords) for p in shape(f["geometry"]).geoms)
                             for f in body["features"])
    assert count(simple) < count(full) / 2
    # shared edges stay shared: no gaps or overlaps between neighbours (areas add up to the union)
    from shapely import union_all
    shapes = [shape(f["geometry"]) for f in simple["features"]]
    assert all(s.is_valid for s in shapes)
    total = sum(s.area for s in shapes)
    assert abs(union_all(shapes).area - total) / total < 1e-5  # 7 decimals of output precision


def test_index_classes_of_the_latest_run_are_feature_properties(fresh_engine):
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("""
            INSERT INTO index_definition (id, name_de, name_en, method, definition)
            VALUES ('testindex', 'Testindex', 'Test index', 'mss', '{}')"""))
        for order, klass in ((1, "niedrig"), (2, "sehr niedrig")):
            run_id = conn.execute(sa.text("""
                INSERT INTO index_run (index_id, definition_version, level_code, period, inputs_hash, computed_at)
                VALUES ('testindex', 1, 'plr', '2020-12-31', :hash, now() + make_interval(secs => :order))
                RETURNING id"""), {"order": order, "hash": f"h{order}"}).scalar_one()
            conn.execute(sa.text("""
                INSERT INTO index_result (run_id, area_id, value, class, participating)
                SELECT :id, a.id, 1.0, :class, true FROM area a WHERE a.level_code = 'plr' AND a.key = '01100101'"""),
                {"id": run_id, "class": klass})
    with TestClient(create_app(make_settings(), engine=fresh_engine)) as client:
        props = client.get("/collections/plr/items/01100101?datetime=2020").json()["properties"]
        assert props["testindex_class"] == "sehr niedrig"
        schema = client.get("/collections/plr/queryables?datetime=2020").json()["properties"]
        assert schema["testindex_class"]["type"] == "string"
        filtered = geojson(client.get("/collections/plr/items?datetime=2020&testindex_class=sehr%20niedrig"))
        assert [f["id"] for f in filtered["features"]] == ["01100101"]
