"""Point layers: validated import, points and sums per area, supply indicator with map, catchments."""

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from geo.points import PointImportOptions, import_points
from service.app import create_app
from service.auth import create_token
from tests.conftest import make_settings, private_engine

KITAS = Path(__file__).resolve().parent.parent / "data" / "demo" / "berlin" / "facilities" / "kitas.geojson"


@pytest.fixture(scope="module")
def writable(pg_server, demo_template):
    with private_engine(pg_server, demo_template, "dm_test_points") as engine:
        yield engine


def write_geojson(path: Path, features: list[dict], crs: str | None = "urn:ogc:def:crs:EPSG::25833") -> Path:
    body = {"type": "FeatureCollection", "features": features}
    if crs:
        body["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def point(key, x=390000.0, y=5820000.0, **props):
    return {"type": "Feature", "properties": {"nr": key, "name": f"Einrichtung {key}", **props},
            "geometry": {"type": "Point", "coordinates": [x, y]}}


def test_the_demo_loads_kitas_and_schools_as_point_layers(client):
    layers = {item["code"]: item for item in client.get("/api/layers/points").json()["items"]}
    assert layers["kitas"]["features"] == 2880
    assert layers["schulen"]["features"] == 902


def test_places_per_borough_equal_an_independent_point_in_polygon_count(client, demo_engine):
    result = client.get("/api/aggregate/points", params={"layer": "kitas", "level": "bez", "sum": "e_platz"}).json()
    kitas = gpd.read_file(KITAS)
    with demo_engine.connect() as conn:
        boroughs = gpd.read_postgis("SELECT key, geom FROM area WHERE level_code = 'bez'", conn, geom_col="geom")
    joined = gpd.sjoin(kitas, boroughs, predicate="within")
    expected = joined.assign(places=pd.to_numeric(joined["e_platz"], errors="coerce")).groupby("key")["places"].sum()
    got = {item["key"]: item["e_platz_sum"] for item in result["items"]}
    assert got == pytest.approx(expected.to_dict())
    assert sum(item["count"] for item in result["items"]) + result["points_outside"] == 2880


def test_kita_places_per_100_children_under_6_per_planungsraum(client, demo_engine):
    result = client.get("/api/aggregate/supply").json()
    assert result["population_indicator"] == "EW_U6" and result["population_period"] == "2022-06-30"
    assert len(result["items"]) == 542
    item = next(i for i in result["items"] if i["supply"] is not None and i["facilities"] > 3)
    assert item["supply"] == pytest.approx(100 * item["capacity"] / item["population"], rel=1e-4)
    with demo_engine.connect() as conn:
        children = conn.execute(sa.text("""
            SELECT o.value FROM observation_current o JOIN area a ON a.id = o.area_id AND a.level_code = 'plr'
            WHERE a.key = :key AND o.indicator_code = 'EW_U6' AND o.period = '2022-06-30'"""),
            {"key": item["key"]}).scalar_one()
    assert item["population"] == children
    total = result["total"]
    assert 50 < total["supply"] < 120  # Berlin: roughly 80 places per 100 children under 6
    csv = client.get("/api/aggregate/supply", params={"f": "csv"})
    assert csv.text.splitlines()[0].startswith("key,name,facilities,capacity,population")


def test_supply_rolls_up_to_any_level(client):
    city = client.get("/api/aggregate/supply", params={"level": "stadt"}).json()
    plr = client.get("/api/aggregate/supply").json()
    assert city["items"][0]["capacity"] == pytest.approx(sum(i["capacity"] for i in plr["items"]))


def test_the_supply_map_uses_vendored_leaflet_and_a_german_legend(client):
    response = client.get("/maps/supply")
    assert response.status_code == 200
    assert "/static/vendor/leaflet/leaflet.js" in response.text
    assert "unpkg.com" not in response.text and "cdn.jsdelivr.net/npm/leaflet@" not in response.text
    # the title names the layer and the population it serves, as the set-up declares them
    assert "Plätze (Kindertagesstätten) je 100 Einwohnerinnen und Einwohner unter 6 Jahren, 30.06.2022" in response.text


def test_supply_map_in_a_browser_shows_areas_and_legend(live_server, browser, artifacts):
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"{live_server}/maps/supply", wait_until="load")
    page.wait_for_selector("path.leaflet-interactive", timeout=15000)
    assert page.locator("#legend").inner_text().startswith("Plätze (Kindertagesstätten)")
    assert page.locator("path.leaflet-interactive").count() >= 542
    page.screenshot(path=str(artifacts / "map_kita_supply.png"))
    page.close()


def test_catchments_estimate_children_around_each_kita(client):
    result = client.get("/api/aggregate/catchments", params={"layer": "kitas", "radius": 500,
                                                             "indicator": "EW_U6", "capacity": "e_platz"}).json()
    assert result["count"] == 2880 or result["count"] > 2800
    rated = [i for i in result["items"] if i["population"] is not None]
    assert len(rated) > 2000
    assert all(i["coverage"] <= 1 for i in rated)
    assert all(i["supply"] == pytest.approx(100 * i["capacity"] / i["population"], rel=1e-3)
               for i in rated if i["capacity"])


@pytest.mark.parametrize("radius", [-5, 60_000])
def test_catchment_radius_out_of_range_names_the_field(client, radius):
    response = client.get("/api/aggregate/catchments", params={"layer": "kitas", "radius": radius})
    assert response.status_code == 400 and response.json()["field"] == "radius"


def test_unknown_layer_and_attribute_are_4xx(client):
    assert client.get("/api/aggregate/points", params={"layer": "nope"}).json()["field"] == "layer"
    response = client.get("/api/aggregate/points", params={"layer": "kitas", "sum": "no_such"})
    assert response.status_code == 400 and response.json()["field"] == "sum"


def test_a_file_without_crs_is_refused_naming_the_fix(writable, tmp_path):
    path = write_geojson(tmp_path / "nocrs.geojson", [point("1", 13.4, 52.5)], crs=None)
    # GeoJSON without crs member is CRS84 by definition (RFC 7946); a CSV-like source without CRS is refused
    with writable.connect() as conn:
        report = import_points(conn, path, PointImportOptions(layer="probe", key_field="nr", name_field="name"),
                               dry_run=True)
    assert report.ok  # RFC 7946: CRS84
    shp = tmp_path / "nocrs.gpkg"
    gpd.GeoDataFrame({"nr": ["1"]}, geometry=gpd.points_from_xy([390000], [5820000])).to_file(shp, driver="GPKG")
    with writable.connect() as conn:
        report = import_points(conn, shp, PointImportOptions(layer="probe", key_field="nr"))
    assert not report.ok and report.errors[0].column == "crs"
    assert "--crs" in report.errors[0].fix


def test_bad_features_are_reported_with_row_and_nothing_is_written(writable, tmp_path):
    features = [point("1"), point("1", 390100), point(""), {"type": "Feature", "properties": {"nr": "4"},
                                                             "geometry": {"type": "LineString",
                                                                          "coordinates": [[0, 0], [1, 1]]}}]
    path = write_geojson(tmp_path / "bad.geojson", features)
    with writable.connect() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM point_feature")).scalar_one()
        report = import_points(conn, path, PointImportOptions(layer="probe", key_field="nr", name_field="name"))
        after = conn.execute(sa.text("SELECT count(*) FROM point_feature")).scalar_one()
    messages = {(p.row, p.message.split(" (")[0]) for p in report.errors}
    assert (1, "key 1 occurs 2 times") in messages
    assert any(row == 3 and "without key" in m for row, m in messages)
    assert any(row == 4 and "LineString" in m for row, m in messages)
    assert before == after


def test_reimport_changes_only_what_changed_and_removes_what_is_gone(writable, tmp_path):
    options = PointImportOptions(layer="probe", key_field="nr", name_field="name")
    first = write_geojson(tmp_path / "a.geojson", [point("1", places="10"), point("2", 390500, places="20")])
    with writable.connect() as conn:
        assert import_points(conn, first, options).rows_written == 2
        again = import_points(conn, first, options)
        assert again.rows_written == 0 and again.batch_id is None
        second = write_geojson(tmp_path / "b.geojson", [point("1", places="15")])
        report = import_points(conn, second, options)
        assert report.rows_written == 1 and "removed" in report.notes[-1]
        rows = conn.execute(sa.text("SELECT key, attributes ->> 'places' FROM point_feature "
                                    "WHERE layer_code = 'probe'")).all()
    assert rows == [("1", "15")]


def test_http_import_needs_a_data_steward_and_reports_like_the_cli(writable, tmp_path):
    path = write_geojson(tmp_path / "c.geojson", [point("9", 391000, 5819000)])
    with writable.begin() as conn:
        _id, token = create_token(conn, "steward", "data_steward", created_by="test")
    with TestClient(create_app(make_settings(), engine=writable)) as client:
        files = {"file": ("c.geojson", path.read_bytes(), "application/geo+json")}
        assert client.post("/api/layers/points/spielplaetze", files=files, data={"key_field": "nr"}).status_code == 401
        dry = client.post("/api/layers/points/spielplaetze", files=files, data={"key_field": "nr", "dry_run": "true"},
                          headers={"Authorization": f"Bearer {token}"}).json()
        assert dry["ok"] and dry["batch_id"] is None
        done = client.post("/api/layers/points/spielplaetze", files=files, data={"key_field": "nr"},
                           headers={"Authorization": f"Bearer {token}"})
        assert done.status_code == 200 and done.json()["rows_written"] == 1
        bad = client.post("/api/layers/points/spielplaetze", files=files, data={"key_field": "missing"},
                          headers={"Authorization": f"Bearer {token}"})
        assert bad.status_code == 422 and bad.json()["problems"][0]["column"] == "missing"


def test_a_layer_declares_what_it_supplies_and_the_supply_takes_it_as_its_default(writable, tmp_path):
    """The Kitas declare e_platz places for EW_U6 (the set-up's capacity_field and serves), which the supply
    ratio takes when the request names none; a layer that declares nothing must be told its capacity; an unknown
    capacity attribute or a served population that is no count is refused at the import, with the fix."""
    path = write_geojson(tmp_path / "praxen.geojson", [point("1", plaetze=3), point("2", x=391000.0, plaetze=5)])
    with writable.connect() as conn:
        missing = import_points(conn, path, PointImportOptions(layer="praxen", key_field="nr", capacity_field="betten"))
        not_a_count = import_points(conn, path, PointImportOptions(layer="praxen", key_field="nr",
                                                                   capacity_field="plaetze", serves="S1"))
        plain = import_points(conn, path, PointImportOptions(layer="praxen", key_field="nr"))
    assert (missing.errors[0].column, missing.errors[0].value) == ("capacity_field", "betten")
    assert not_a_count.errors[0].column == "serves" and "not a count" in not_a_count.errors[0].message
    assert plain.ok and plain.batch_id is not None
    with TestClient(create_app(make_settings(), engine=writable)) as client:
        default = client.get("/api/aggregate/supply").json()
        assert (default["layer"], default["capacity_field"], default["population_indicator"]) == (
            "kitas", "e_platz", "EW_U6")
        undeclared = client.get("/api/aggregate/supply", params={"layer": "praxen"})
        assert undeclared.status_code == 400 and undeclared.json()["field"] == "capacity"
        named = client.get("/api/aggregate/supply", params={"layer": "praxen", "capacity": "plaetze"}).json()
        assert named["population_indicator"] == "EW"  # no `serves`: the level's population
        assert named["total"]["capacity"] == 8
