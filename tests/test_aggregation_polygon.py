"""Any polygon and any radius: areal interpolation of all indicators, coverage, contributing areas, bad input."""

import uuid

import orjson
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.app import create_app
from tests.conftest import make_settings


def geometry_of(engine, level, key, srid=4326):
    with engine.connect() as conn:
        text = conn.execute(sa.text("""
            SELECT ST_AsGeoJSON(CASE WHEN :srid = 4326 THEN geom_4326 ELSE geom END, 9) FROM area
            WHERE level_code = :level AND key = :key AND valid_to IS NULL"""),
            {"level": level, "key": key, "srid": srid}).scalar_one()
    return orjson.loads(text)


def derived_value(engine, level, key, code, period):
    with engine.connect() as conn:
        return conn.execute(sa.text("""
            SELECT o.value FROM observation_current o JOIN area a ON a.id = o.area_id
            WHERE a.level_code = :level AND a.key = :key AND o.indicator_code = :code AND o.period = :period"""),
            {"level": level, "key": key, "code": code, "period": period}).scalar_one()


def estimate(result, code, period):
    return next(e for e in result["estimates"] if e["indicator"] == code and e["period"] == period)


@pytest.fixture(scope="module")
def mitte(client, demo_engine):
    response = client.post("/api/aggregate/polygon", json=geometry_of(demo_engine, "bez", "01"))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_borough_outline_reproduces_the_borough_population(mitte, demo_engine):
    ew = estimate(mitte, "EW", "2020-12-31")
    assert ew["method"] == "areal_weighting"
    assert ew["value"] == pytest.approx(derived_value(demo_engine, "bez", "01", "EW", "2020-12-31"), rel=0.005)
    assert mitte["coverage"] == pytest.approx(1.0, abs=0.005)
    with demo_engine.connect() as conn:
        latest = conn.execute(sa.text("SELECT max(period) FROM observation WHERE indicator_code = 'EW'")).scalar()
    assert mitte["population"]["period"] == latest.isoformat()
    assert mitte["population"]["value"] == pytest.approx(
        derived_value(demo_engine, "bez", "01", "EW", latest.isoformat()), rel=0.005)


def test_shares_are_population_weighted_and_say_which_weight(mitte, demo_engine):
    s1 = estimate(mitte, "S1", "2020-12-31")
    assert s1["method"] == "population_weighted_mean"
    assert (s1["weight_indicator"], s1["weight_period"]) == ("EW", "2020-12-31")
    assert s1["value"] == pytest.approx(derived_value(demo_engine, "bez", "01", "S1", "2020-12-31"), rel=0.01)


def test_contributing_areas_are_listed_with_their_weights(mitte):
    areas = {a["key"]: a for a in mitte["contributing_areas"]}
    inside = [a for a in areas.values() if a["key"].startswith("01") and a["weight"] > 0.99]
    assert len(inside) >= 30  # Mitte has 38 Planungsräume
    assert all(a["overlap_m2"] >= 1 and 0 < a["weight"] <= 1 + 1e-6 for a in areas.values())
    assert sum(a["share_of_target"] for a in areas.values()) == pytest.approx(mitte["coverage"], abs=1e-4)


def test_the_same_polygon_in_utm_gives_the_same_estimates(client, demo_engine, mitte):
    body = geometry_of(demo_engine, "bez", "01", srid=25833)
    utm = client.post("/api/aggregate/polygon", params={"crs": "EPSG:25833"}, json=body).json()
    assert estimate(utm, "EW", "2020-12-31")["value"] == pytest.approx(estimate(mitte, "EW", "2020-12-31")["value"],
                                                                       rel=1e-4)
    member = dict(body, crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}})
    assert client.post("/api/aggregate/polygon", json=member).json()["target"]["crs"] == "EPSG:25833"


def test_half_an_area_gets_half_its_count(client, demo_engine):
    with demo_engine.connect() as conn:
        row = conn.execute(sa.text("""
            SELECT ST_AsGeoJSON(ST_Transform(ST_Intersection(a.geom, ST_MakeEnvelope(
                       ST_XMin(a.geom), ST_YMin(a.geom), (ST_XMin(a.geom) + ST_XMax(a.geom)) / 2, ST_YMax(a.geom),
                       25833)), 4326), 9) AS geojson,
                   ST_Area(ST_Intersection(a.geom, ST_MakeEnvelope(ST_XMin(a.geom), ST_YMin(a.geom),
                       (ST_XMin(a.geom) + ST_XMax(a.geom)) / 2, ST_YMax(a.geom), 25833))) / a.area_m2 AS share
            FROM area a WHERE a.level_code = 'bez' AND a.key = '07'""")).one()
    result = client.post("/api/aggregate/polygon", json=orjson.loads(row.geojson)).json()
    ew = estimate(result, "EW", "2020-12-31")["value"]
    with demo_engine.connect() as conn:
        counts = dict(conn.execute(sa.text("""
            SELECT a.key, o.value FROM observation_current o JOIN area a ON a.id = o.area_id AND a.level_code = 'plr'
            WHERE o.indicator_code = 'EW' AND o.period = '2020-12-31'""")).all())
    expected = sum(a["weight"] * counts[a["key"]] for a in result["contributing_areas"])
    assert ew == pytest.approx(expected, rel=1e-6)
    assert 0 < row.share < 1


def test_a_self_intersecting_polygon_is_repaired_and_says_so(client):
    bowtie = {"type": "Polygon", "coordinates": [[[13.36, 52.50], [13.42, 52.54], [13.42, 52.50], [13.36, 52.54],
                                                  [13.36, 52.50]]]}
    response = client.post("/api/aggregate/polygon", json=bowtie)
    assert response.status_code == 200, response.text
    assert "repaired" in response.json()["target"]["notes"][0]


@pytest.mark.parametrize("body, params, status, field", [
    ({"type": "Polygon", "coordinates": []}, {}, 422, "geometry"),
    ({"type": "Point", "coordinates": [13.4, 52.5]}, {}, 400, "geometry"),
    ({"type": "Polygon", "coordinates": [[[1, 2], [3]]]}, {}, 400, "geometry"),
    ({"type": "Polygon", "coordinates": [[[13.36, 52.50], [13.36, 52.54], [13.36, 52.50], [13.36, 52.50]]]}, {},
     422, "geometry"),
    ({"type": "Polygon", "coordinates": [[[2.30, 48.85], [2.31, 48.85], [2.31, 48.86], [2.30, 48.85]]]}, {},
     422, "geometry"),
    ({"type": "Polygon", "coordinates": [[[13.4, 52.5], [13.41, 52.5], [13.41, 52.51], [13.4, 52.5]]]},
     {"crs": "EPSG:9999"}, 400, "crs"),
    ({"type": "Polygon", "coordinates": [[[390000, 5820000], [391000, 5820000], [391000, 5821000],
                                          [390000, 5820000]]]}, {}, 400, "crs"),
    ({"type": "Polygon", "coordinates": [[[13.40, 52.50], [13.4001, 52.50], [13.4001, 52.5001], [13.40, 52.50]]]},
     {}, 422, "geometry"),
])
def test_bad_polygons_get_a_4xx_naming_the_field(client, body, params, status, field):
    response = client.post("/api/aggregate/polygon", params=params, json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field


def test_a_polygon_outside_the_territory_reports_coverage_zero(client):
    paris = {"type": "Polygon", "coordinates": [[[2.30, 48.85], [2.31, 48.85], [2.31, 48.86], [2.30, 48.85]]]}
    problem = client.post("/api/aggregate/polygon", json=paris).json()
    assert problem["coverage"] == 0.0 and "outside the covered territory" in problem["detail"]


def test_a_tiny_polygon_is_refused_for_too_few_inhabitants(client):
    tiny = {"type": "Polygon", "coordinates": [[[13.40, 52.50], [13.4001, 52.50], [13.4001, 52.5001], [13.40, 52.50]]]}
    problem = client.post("/api/aggregate/polygon", json=tiny).json()
    assert problem["estimated_population"] < 100 and problem["minimum"] == 100


def test_the_population_within_a_radius_grows_with_the_radius(client):
    small = client.get("/api/aggregate/radius", params={"x": 13.4050, "y": 52.5200, "radius": 500}).json()
    large = client.get("/api/aggregate/radius", params={"x": 13.4050, "y": 52.5200, "radius": 2000}).json()
    assert 0 < small["population"]["value"] < large["population"]["value"]
    assert small["target"]["area_m2"] == pytest.approx(3.14159 * 500 ** 2, rel=0.005)
    utm = client.get("/api/aggregate/radius", params={"x": 392000, "y": 5820000, "radius": 1000,
                                                      "crs": "EPSG:25833"})
    assert utm.status_code == 200


@pytest.mark.parametrize("radius", [-1, 0, 50_001])
def test_a_radius_out_of_range_is_a_400_naming_radius(client, radius):
    response = client.get("/api/aggregate/radius", params={"x": 13.4, "y": 52.5, "radius": radius})
    assert response.status_code == 400
    assert response.json()["field"] == "radius"


def test_results_are_cached_until_the_data_changes(pg_server, demo_template, tmp_path):
    name = f"dm_test_cache_{uuid.uuid4().hex[:8]}"
    from service.db import create_engine

    engine = create_engine(pg_server.create(name, template=demo_template), make_settings())
    try:
        with TestClient(create_app(make_settings(), engine=engine)) as client:
            params = {"x": 13.4050, "y": 52.5200, "radius": 800}
            first = client.get("/api/aggregate/radius", params=params)
            second = client.get("/api/aggregate/radius", params=params)
            assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
            assert first.json() == second.json()
            with engine.begin() as conn:
                conn.execute(sa.text("""
                    UPDATE observation SET value = value * 2 WHERE indicator_code = 'EW' AND superseded_at IS NULL
                      AND period = :period"""), {"period": first.json()["population"]["period"]})
            third = client.get("/api/aggregate/radius", params=params)
            assert third.headers["x-cache"] == "miss"
            assert third.json()["population"]["value"] == pytest.approx(2 * first.json()["population"]["value"])
    finally:
        engine.dispose()
        pg_server.drop(name)
