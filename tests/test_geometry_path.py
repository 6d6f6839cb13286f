"""One geometry path: one CRS vocabulary on every endpoint, one simplification that keeps neighbours
seamless, one home for "boundary valid at date"."""

import re
from datetime import date
from pathlib import Path

import geopandas as gpd
import orjson
import pytest
import sqlalchemy as sa
from shapely import Polygon, make_valid, union_all
from shapely.geometry import shape

from geo.crs import ACCEPTED_FORMS, UnknownCrs, crs_name, parse_crs
from geo.features import area_features
from geo.import_report import ImportReport
from geo.plausibility import assign_crs
from indicators.clusters import feature_texts as cluster_feature_texts

REPO = Path(__file__).resolve().parent.parent
UTM33 = ["http://www.opengis.net/def/crs/EPSG/0/25833", "https://www.opengis.net/def/crs/EPSG/0/25833",
         "urn:ogc:def:crs:EPSG::25833", "EPSG:25833", "[EPSG:25833]", "epsg:25833", "25833"]
LONLAT = ["http://www.opengis.net/def/crs/OGC/1.3/CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84", "OGC:CRS84",
          "[OGC:CRS84]", "CRS84"]


def current_version(engine, level: str) -> date:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT max(valid_from) FROM area WHERE level_code = :level AND valid_to IS NULL"),
                            {"level": level}).scalar_one()


# -- one CRS vocabulary ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", UTM33)
def test_every_form_of_a_crs_names_the_same_crs(text):
    assert crs_name(text) == "EPSG:25833" and parse_crs(text).srid == 25833


@pytest.mark.parametrize("text", LONLAT)
def test_every_form_of_crs84_names_crs84(text):
    crs = parse_crs(text)
    assert crs.srid == 4326 and not crs.lat_first


def test_the_documented_forms_are_accepted():
    for text in ACCEPTED_FORMS:
        parse_crs(text)
    with pytest.raises(UnknownCrs, match=r"\[EPSG:25833\]"):
        parse_crs("EPSG:99999")


@pytest.mark.parametrize("text", UTM33)
def test_ogc_items_downloads_and_aggregation_accept_the_same_crs_strings(client, text):
    items = client.get("/collections/bez/items", params={"limit": 1, "crs": text})
    assert items.status_code == 200, items.text
    assert items.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/25833>"
    x, y = items.json()["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 370_000 < x < 420_000 and 5_800_000 < y < 5_840_000
    boxed = client.get("/collections/plr/items", params={"limit": 1, "bbox": "390000,5818000,392000,5820000",
                                                          "bbox-crs": text})
    assert boxed.status_code == 200 and 0 < boxed.json()["numberMatched"] < 542, boxed.text
    download = client.get("/collections/bez/download", params={"format": "geojson", "crs": text})
    assert download.status_code == 200 and download.headers["content-crs"].endswith("/EPSG/0/25833>")
    square = {"type": "Polygon", "coordinates": [[[389000, 5818000], [392000, 5818000], [392000, 5821000],
                                                  [389000, 5821000], [389000, 5818000]]]}
    polygon = client.post("/api/aggregate/polygon", params={"crs": text}, json=square)
    assert polygon.status_code == 200, polygon.text
    assert polygon.json()["target"]["crs"] == "EPSG:25833"
    radius = client.get("/api/aggregate/radius", params={"x": 390500, "y": 5819500, "radius": 1000, "crs": text})
    assert radius.status_code == 200, radius.text


def test_a_bracketed_crs_is_accepted_by_the_polygon_aggregation_as_on_ogc_items(client):
    """Main refused `[EPSG:25833]` (the Content-Crs spelling) on /api/aggregate/polygon, accepted it on items."""
    square = {"type": "Polygon", "coordinates": [[[389000, 5818000], [392000, 5818000], [392000, 5821000],
                                                  [389000, 5821000], [389000, 5818000]]]}
    response = client.post("/api/aggregate/polygon", params={"crs": "[EPSG:25833]"}, json=square)
    assert response.status_code == 200, response.text
    member = dict(square, crs={"type": "name", "properties": {"name": "[EPSG:25833]"}})
    assert client.post("/api/aggregate/polygon", json=member).status_code == 200


@pytest.mark.parametrize("url, parameter", [
    ("/collections/plr/items?crs=EPSG:31468", "crs"),
    ("/collections/plr/items?bbox=1,2,3,4&bbox-crs=[EPSG:2]", "bbox-crs"),
    ("/collections/plr/download?format=geojson&crs=Soldner", "crs"),
])
def test_an_unknown_crs_is_a_400_problem_naming_the_accepted_forms(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400 and response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["parameter"] == parameter and "[EPSG:25833]" in body["detail"]
    assert "[EPSG:25833]" in body["accepted_forms"] and body["supported"]


def test_an_unknown_crs_on_the_aggregation_is_a_400_naming_the_accepted_forms(client):
    square = {"type": "Polygon", "coordinates": [[[13.3, 52.5], [13.4, 52.5], [13.4, 52.6], [13.3, 52.5]]]}
    response = client.post("/api/aggregate/polygon", params={"crs": "EPSG:31468"}, json=square)
    assert response.status_code == 400 and response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["field"] == "crs" and "[EPSG:25833]" in body["detail"] and "[EPSG:25833]" in body["accepted_forms"]


@pytest.mark.parametrize("text", [*UTM33, "[EPSG:31468]"])
def test_imports_read_the_same_crs_strings(text):
    """Imports take any EPSG code (files come in old systems too) in the same vocabulary."""
    frame = gpd.GeoDataFrame(geometry=[Polygon([(0, 0), (1, 0), (1, 1)])])
    report = ImportReport(kind="boundaries", file="test.geojson")
    assigned = assign_crs(frame, text, report)
    assert report.ok and assigned.crs.to_epsg() == int(re.search(r"\d{4,6}", text).group())


# -- one simplification: neighbours stay seamless -----------------------------------------------------------
def assert_seamless(simplified: list[dict], full: list[dict]) -> None:
    """The simplified areas tile what the full ones tile: no gaps (holes in the union or a smaller union)
    and no overlaps (union area = sum of the areas), and they are lighter."""
    shapes = [shape(f["geometry"]) for f in simplified]
    union = union_all(shapes)
    full_union = union_all([make_valid(shape(f["geometry"])) for f in full])  # rounding can make one invalid
    holes = lambda g: sum(len(p.interiors) for p in getattr(g, "geoms", [g]))
    total = sum(s.area for s in shapes)
    assert abs(union.area - total) / total < 1e-5, "simplified neighbours overlap"
    assert holes(union) == holes(full_union), "simplification opened gaps between neighbours"
    assert abs(union.area - full_union.area) / full_union.area < 1e-3
    vertices = lambda fs: sum(len(orjson.dumps(f["geometry"])) for f in fs)
    assert vertices(simplified) < vertices(full) / 2


def test_simplified_areas_share_their_edges(demo_engine):
    at = current_version(demo_engine, "plr")
    with demo_engine.connect() as conn:
        full = area_features(conn, "plr", at, 25833, None, 6)
        simplified = area_features(conn, "plr", at, 25833, 50.0, 6)
    assert [f["id"] for f in simplified] == [f["id"] for f in full]
    assert_seamless(simplified, full)


def test_simplified_hotspot_map_areas_share_their_edges(demo_engine):
    """Main simplified the hotspot map per polygon (ST_SimplifyPreserveTopology), which opened gaps."""
    at = current_version(demo_engine, "plr")
    with demo_engine.connect() as conn:
        keys = [r[0] for r in conn.execute(sa.text(
            "SELECT key FROM area WHERE level_code = 'plr' AND valid_to IS NULL ORDER BY key"))]
        areas = [{"key": key, "quadrant": None} for key in keys]
        full = [orjson.loads(t) for t in cluster_feature_texts(conn, "plr", at, areas, precision=6)]
        simplified = [orjson.loads(t) for t in cluster_feature_texts(conn, "plr", at, areas, precision=6,
                                                                      simplify_m=50.0)]
    assert len(simplified) == len(full) == len(keys)
    assert simplified[0]["properties"]["level"] == "plr" and "quadrant" in simplified[0]["properties"]
    assert_seamless(simplified, full)


def test_siblings_simplified_together_cover_their_parent(demo_engine):
    at = current_version(demo_engine, "plr")
    with demo_engine.connect() as conn:
        simplified = area_features(conn, "plr", at, 25833, 50.0, 7)
        parents = {f["id"]: shape(f["geometry"]) for f in area_features(conn, "bzr", current_version(
            demo_engine, "bzr"), 25833, None, 7)}
    children: dict[str, list] = {}
    for feature in simplified:
        children.setdefault(feature["properties"]["parent_key"], []).append(shape(feature["geometry"]))
    assert set(children) <= set(parents) and len(children) > 50
    for parent_key, shapes in children.items():
        union = union_all(shapes)
        assert sum(len(p.interiors) for p in getattr(union, "geoms", [union])) == 0, parent_key
        assert abs(union.area - parents[parent_key].area) / parents[parent_key].area < 0.01, parent_key


def test_no_geometry_is_simplified_per_polygon_or_written_outside_geo():
    """One simplification (geo.simplify) and one GeoJSON geometry writer (geo.features.geometry_json_sql)."""
    offenders = []
    for package in ("geo", "indicators", "web", "service"):
        for path in (REPO / package).rglob("*.py"):
            name = path.relative_to(REPO).as_posix()
            code = "\n".join(line for line in path.read_text().splitlines()
                             if not line.lstrip().startswith(("#", "ST_AsMVT turns")))
            if re.search(r"ST_Simplify\w*\(|ST_SnapToGrid\(|coverage_simplify\(", code) and name != "geo/simplify.py":
                offenders.append(name)
            if "ST_AsGeoJSON(" in code and name != "geo/features.py":
                offenders.append(name)
    assert not offenders


# -- one home for "valid at date" -------------------------------------------------------------------------
VALID_AT = re.compile(r"valid_to IS NULL OR [\w.]*valid_to\s*>(?!\s*valid_from\b)")  # not the CHECK of a row
HOME = "geo/versions.py"


def test_the_valid_at_predicate_is_written_only_in_its_home():
    found = {}
    for package in ("geo", "indicators", "web", "service"):
        for path in (REPO / package).rglob("*.py"):
            name = path.relative_to(REPO).as_posix()
            if name == HOME or "/migrations/" in name:
                continue
            count = len(VALID_AT.findall(path.read_text()))
            if count:
                found[name] = count
    print(f"valid-at predicate outside {HOME}: {sum(found.values())} ({found or 'none'})")
    assert not found, f"write the valid-at predicate through geo.versions: {found}"


def test_kept_drawn_shapes_are_the_read_shapes_and_out_of_the_cycle_collectors_sight(demo_engine):
    """A worker keeps a level's drawn shapes (web.maps.drawn_features) with their coordinates as tuples: the same
    shapes as read, and once collections have looked at them (a level of nesting per collection), no full
    collection visits them again."""
    import gc

    from tests.conftest import make_settings
    from web.maps import GEOMETRY_DETAILS, drawn_features

    srid = make_settings().storage_srid
    at = current_version(demo_engine, "plr")
    with demo_engine.connect() as conn:
        read = area_features(conn, "plr", at, srid, **GEOMETRY_DETAILS["map"])
        kept = drawn_features(conn, "plr", at, srid, **GEOMETRY_DETAILS["map"], version=-4711)  # kept ones
        again = drawn_features(conn, "plr", at, srid, **GEOMETRY_DETAILS["map"], version=-4711)
    assert len(kept) == len(read) > 500
    assert [orjson.loads(orjson.dumps(f)) for f in kept] == read
    for _nesting in range(4):  # MultiPolygon: coordinates, polygons, rings, points
        gc.collect()
    rings = [ring for f in again for polygon in _polygons(f["geometry"]) for ring in polygon]
    assert rings and not any(gc.is_tracked(ring) for ring in rings)
    assert not any(gc.is_tracked(f["geometry"]["coordinates"]) for f in again)


def _polygons(geometry: dict) -> list:
    coordinates = geometry["coordinates"]
    return [coordinates] if geometry["type"] == "Polygon" else list(coordinates)
