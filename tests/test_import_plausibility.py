"""Deliveries are checked for plausibility before anything is stored, and refused with the likely fix: geometries
must be finite and lie where their CRS and their parents (or, for a first import, the configured extent) say;
"1.709" in a file that does not say how it writes numbers is a question, not a number; counts are whole; a period
in the future needs to be allowed. Each finding of the outside attack of issue 20 as a specification: refused,
the database unchanged, and accepted once the question is answered."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from pyproj import Transformer

from geo.boundaries import BoundaryImportOptions, import_boundaries
from geo.import_report import ImportLimits
from geo.levels import Level, upsert_levels
from geo.points import PointImportOptions, import_points
from geo.polygons import PolygonImportOptions, import_polygons
from indicators.ingest.observations import ObservationImportOptions, import_observations
from indicators.values import resolve_period
from tests.conftest import client_as, private_engine, table_fingerprint

X0, Y0 = 389_000.0, 5_818_000.0  # Berlin-Mitte in EPSG:25833
BEZ = {"level": "bez", "key_field": "id", "name_field": "name", "parent_key": "11"}


@pytest.fixture(scope="module")
def engine(pg_server, demo_template):
    with private_engine(pg_server, demo_template, "dm_test_plaus") as engine:
        with engine.begin() as conn:
            upsert_levels(conn, [Level("tfirst", "Test erste", "Test first", "Test", "Test", 40, None)])
        yield engine


@pytest.fixture(scope="module")
def steward_api(engine):
    with client_as(engine, "statistics_office") as client:
        yield client


def geojson(path: Path, rings: list[list[list[float]]], crs: str | None = None, geometry: str = "Polygon") -> Path:
    features = [{"type": "Feature", "properties": {"id": f"{13 + i}", "name": f"Gebiet {i}"},
                 "geometry": {"type": geometry, "coordinates": [ring] if geometry == "Polygon" else ring}}
                for i, ring in enumerate(rings)]
    body = {"type": "FeatureCollection", "features": features}
    if crs:
        body["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def square(x: float, y: float, size: float) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def boundaries(engine, path: Path, dry_run: bool = True, limits: ImportLimits = ImportLimits(), **options):
    values = {**BEZ, "valid_from": date(2025, 1, 1), **options}
    with engine.connect() as conn:
        return import_boundaries(conn, path, BoundaryImportOptions(**values), dry_run=dry_run, created_by="test",
                                 limits=limits)


def observations(engine, text: str, tmp_path: Path, name: str = "werte.csv", **options):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with engine.connect() as conn:
        return import_observations(conn, path, ObservationImportOptions(level="plr", **options), created_by="test")


def current(engine, key: str, indicator: str, period: str) -> float | None:
    with engine.connect() as conn:
        return conn.execute(sa.text("""
            SELECT o.value FROM observation_current o JOIN area a ON a.id = o.area_id
            WHERE a.key = :key AND o.indicator_code = :code AND o.period = :period"""),
            {"key": key, "code": indicator, "period": period}).scalar()


# -- geometries -------------------------------------------------------------------------------------------
def test_utm_metres_in_a_geojson_without_crs_are_refused_with_the_crs_to_give_and_then_accepted(engine, tmp_path):
    """GeoJSON without a "crs" member means WGS 84; read so, 389,000 / 5,818,000 were projected to infinity and
    stored. Now: refused naming the CRS whose coordinates they are (the parents of level bez lie in Berlin, so
    only EPSG:25833 fits), and accepted once it is given."""
    path = geojson(tmp_path / "bezirk.geojson", [square(X0, Y0, 1000)])
    before = table_fingerprint(engine)
    refused = boundaries(engine, path, dry_run=False)
    [error] = refused.errors
    assert "coordinates look like EPSG:25833" in error.message and "EPSG:4326" in error.message
    assert "--crs EPSG:25833" in error.fix and error.column == "crs" and error.value == "389,000 / 5.818e+06"
    assert error.message_de and "--crs EPSG:25833" in error.fix_de
    assert table_fingerprint(engine) == before
    accepted = boundaries(engine, path, crs="EPSG:25833", allow_gaps=True, complete=False)
    assert accepted.ok, [p.as_text() for p in accepted.errors]
    assert any("read as EPSG:25833 as requested" in note for note in accepted.notes)


def test_coordinates_of_the_neighbouring_utm_zone_are_refused_naming_that_zone(engine, tmp_path):
    to_32 = Transformer.from_crs(25833, 25832, always_xy=True)
    ring = [list(to_32.transform(x, y)) for x, y in square(X0, Y0, 1000)]
    path = geojson(tmp_path / "zone32.geojson", [ring], crs="urn:ogc:def:crs:EPSG::25833")
    [error] = boundaries(engine, path).errors
    assert "coordinates look like EPSG:25832, but the file's CRS is EPSG:25833" in error.message
    assert "--crs EPSG:25832" in error.fix


def test_a_first_import_must_lie_in_the_configured_extent_and_nothing_assumes_berlin(engine, tmp_path):
    """Without parents, the extent decides (default: Germany). Munich in UTM 32 is as welcome as Berlin;
    Tashkent is refused unless the extent is set there."""
    to_32 = Transformer.from_crs(4326, 25832, always_xy=True)
    munich = to_32.transform(11.57, 48.14)
    path = geojson(tmp_path / "muenchen.geojson", [square(*munich, 1000)], crs="urn:ogc:def:crs:EPSG::25832")
    assert boundaries(engine, path, level="tfirst", parent_key=None).ok
    tashkent = geojson(tmp_path / "taschkent.geojson", [square(69.24, 41.30, 0.01)])
    [error] = boundaries(engine, tashkent, level="tfirst", parent_key=None).errors
    assert "every feature lies outside the configured extent (DM_IMPORT_EXTENT) (5.30-15.60 E" in error.message
    assert boundaries(engine, tashkent, level="tfirst", parent_key=None,
                      limits=ImportLimits(extent=(55.0, 37.0, 74.0, 46.0))).ok


def test_a_stored_import_keeps_finite_coordinates_inside_its_region(engine, tmp_path):
    path = geojson(tmp_path / "erste.geojson", [square(X0, Y0, 1000)], crs="urn:ogc:def:crs:EPSG::25833")
    report = boundaries(engine, path, dry_run=False, level="tfirst", parent_key=None, valid_from=date(2024, 1, 1))
    assert report.ok and report.rows_written == 1
    with engine.connect() as conn:
        box = conn.execute(sa.text("SELECT ST_XMin(geom_4326), ST_YMin(geom_4326), ST_XMax(geom_4326), "
                                   "ST_YMax(geom_4326) FROM area WHERE level_code = 'tfirst'")).one()
    assert 13.3 < box[0] < box[2] < 13.5 and 52.4 < box[1] < box[3] < 52.6
    with pytest.raises(sa.exc.IntegrityError, match="area_geom_finite"):  # nor may any other writer
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE area SET geom = ST_Multi(ST_MakeEnvelope(0, 0, 'Infinity', 1, 25833)) "
                                     "WHERE level_code = 'tfirst'"))


def test_points_in_metres_declared_as_wgs84_are_refused(engine, tmp_path):
    path = geojson(tmp_path / "kitas.geojson", [[390_000.0, 5_820_000.0]], geometry="Point")
    before = table_fingerprint(engine)
    with engine.connect() as conn:
        report = import_points(conn, path, PointImportOptions(layer="kitas_neu", key_field="id"), created_by="test")
    [error] = report.errors
    assert "coordinates look like EPSG:25832/EPSG:25833" in error.message  # Germany's extent fits both zones
    assert "--crs EPSG:25832 or --crs EPSG:25833" in error.fix
    assert table_fingerprint(engine) == before


def test_a_bow_tie_in_a_polygon_layer_is_refused_not_repaired(engine, tmp_path):
    bow = [[X0, Y0], [X0 + 1000, Y0 + 1000], [X0 + 1000, Y0], [X0, Y0 + 1000], [X0, Y0]]
    path = geojson(tmp_path / "gebiete.geojson", [square(X0, Y0, 1000), bow], crs="urn:ogc:def:crs:EPSG::25833")
    with engine.connect() as conn:
        report = import_polygons(conn, path, PolygonImportOptions(layer="programm", key_field="id"), created_by="test")
    [error] = report.errors
    assert error.row == 2 and "repairing it would change its area by 100%" in error.message
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM polygon_layer WHERE code = 'programm'")).scalar() == 0


def test_a_dry_run_over_http_reports_the_geometry_problem_in_german_and_english(steward_api, tmp_path):
    path = geojson(tmp_path / "bezirk.geojson", [square(X0, Y0, 1000)])
    with open(path, "rb") as handle:
        response = steward_api.post("/api/imports/boundaries", files={"file": ("bezirk.geojson", handle)},
                                    data={**BEZ, "valid_from": "2025-01-01", "dry_run": "true"})
    assert response.status_code == 422
    [problem] = response.json()["report"]["problems"]
    assert problem["file"] == "bezirk.geojson" and problem["column"] == "crs" and problem["value"]
    assert "--crs EPSG:25833" in problem["fix"] and "Koordinaten" in problem["message_de"]
    with open(path, "rb") as handle:
        allowed = steward_api.post("/api/imports/boundaries", files={"file": ("bezirk.geojson", handle)},
                                   data={**BEZ, "valid_from": "2025-01-01", "dry_run": "true", "crs": "EPSG:25833",
                                         "allow_gaps": "true", "complete": "false"})
    assert allowed.status_code == 200, allowed.text


# -- numbers ----------------------------------------------------------------------------------------------
COMMA_FILE = "area,indicator,period,value\n01100101,EW,2021-09-30,3503\n01100102,EW,2021-09-30,1.709\n"


def test_a_thousands_dot_is_stored_as_the_whole_number_once_the_file_says_so(engine, tmp_path):
    """"1.709" persons were stored as 1.709 and summed into 3,168.209; the file did not say which it meant."""
    before = table_fingerprint(engine)
    [question] = observations(engine, COMMA_FILE, tmp_path).errors
    assert question.row == 3 and question.value == "1.709" and "--decimal ','" in question.fix
    assert table_fingerprint(engine) == before
    as_decimal_point = observations(engine, COMMA_FILE, tmp_path, decimal=".")
    [fraction] = as_decimal_point.errors  # read as 1.709, it cannot be a count
    assert "a count with a fractional part" in fraction.message and fraction.row == 3
    assert table_fingerprint(engine) == before
    stored = observations(engine, COMMA_FILE, tmp_path, thousands=".")
    assert stored.ok and stored.rows_written == 2, [p.as_text() for p in stored.errors]
    assert current(engine, "01100102", "EW", "2021-09-30") == 1709.0
    with engine.connect() as conn:  # the roll-up is a whole number again
        total = conn.execute(sa.text("""
            SELECT o.value FROM observation_current o JOIN area a ON a.id = o.area_id AND a.level_code = 'bzr'
            WHERE o.indicator_code = 'EW' AND o.period = '2021-09-30' AND a.key = '011001'""")).scalar()
    assert total == 3503 + 1709


def test_cells_further_down_the_file_can_settle_the_notation(engine, tmp_path):
    """The first 200 rows show no decimal separator; row 253 does ("2,5"): so "1.709" is 1709."""
    with engine.connect() as conn:
        keys = conn.execute(sa.text("SELECT key FROM area WHERE level_code = 'plr' AND valid_to IS NULL "
                                    "ORDER BY key LIMIT 252")).scalars().all()
    rows = "".join(f"{key},S1,2021-06-30,3\n" for key in keys[:-1])
    text = f"area,indicator,period,value\n{keys[0]},EW,2021-06-30,1.709\n{rows}{keys[-1]},S1,2021-06-30,\"2,5\"\n"
    report = observations(engine, text, tmp_path, name="spaeter.csv")
    assert report.ok, [p.as_text() for p in report.errors]
    assert current(engine, keys[0], "EW", "2021-06-30") == 1709.0
    assert current(engine, keys[-1], "S1", "2021-06-30") == 2.5


def test_an_ambiguous_number_typed_as_text_in_a_workbook_is_a_question_too(engine, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["area", "indicator", "period", "value"])
    sheet.append(["01100101", "EW", "2021-03-31", 3503])  # typed as a number: unambiguous
    sheet.append(["01100102", "EW", "2021-03-31", "1.709"])  # typed as text
    path = tmp_path / "werte.xlsx"
    workbook.save(path)
    with engine.connect() as conn:
        report = import_observations(conn, path, ObservationImportOptions(level="plr"), created_by="test")
    [question] = report.errors
    assert question.row == 3 and question.column == "value" and "may be 1709" in question.message
    with engine.connect() as conn:
        answered = import_observations(conn, path, ObservationImportOptions(level="plr", decimal=","),
                                       created_by="test")
    assert answered.ok and current(engine, "01100102", "EW", "2021-03-31") == 1709.0


def test_no_thousands_separator_makes_grouped_digits_text(engine, tmp_path):
    text = "area;indicator;period;value\n01100101;EW;2021-09-30;1.234.567\n"
    [error] = observations(engine, text, tmp_path, decimal=",", thousands="none").errors
    assert "text in a number column" in error.message and error.value == "1.234.567"


def test_a_period_in_the_future_is_refused_unless_allowed_and_does_not_become_the_default(engine, tmp_path):
    """One row dated 2031 became the default period of every map."""
    future = f"{date.today().year + 5}-12-31"
    text = f"area;indicator;period;value\n01100101;S1;2021-12-31;4,2\n01100102;S1;{future};4,2\n"
    with engine.connect() as conn:
        latest = resolve_period(conn, "plr", None)
    [error] = observations(engine, text, tmp_path).errors
    assert error.row == 3 and error.column == "period" and future in error.message
    assert "--allow-future-periods" in error.fix and error.message_de
    with engine.connect() as conn:
        assert resolve_period(conn, "plr", None) == latest
    assert observations(engine, text, tmp_path, allow_future_periods=True).ok  # a forecast, said so


def test_the_new_options_work_over_http(steward_api, engine):
    before = table_fingerprint(engine)
    refused = steward_api.post("/api/imports/observations?dry_run=true",
                               files={"file": ("werte.csv", COMMA_FILE.encode())}, data={"level": "plr"})
    assert refused.status_code == 422 and "may be 1709" in refused.json()["detail"]
    problem = refused.json()["report"]["problems"][0]
    assert "Tausendertrennzeichen" in problem["message_de"] and problem["fix_de"]
    answered = steward_api.post("/api/imports/observations?dry_run=true",
                                files={"file": ("werte.csv", COMMA_FILE.encode())},
                                data={"level": "plr", "decimal": ",", "allow_future_periods": "false"})
    assert answered.status_code == 200, answered.text
    assert table_fingerprint(engine) == before
