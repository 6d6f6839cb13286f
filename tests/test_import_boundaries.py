"""Boundary imports: GeoJSON, zipped Shapefile and GeoPackage in any declared CRS end up in the storage CRS;
a file without CRS needs one given; invalid outlines are repaired and reported when the repair keeps their area,
refused when it does not; duplicates, missing parents, children outside their parent, overlaps and gaps are
refused with the keys unless allowed; a new boundary version leaves old observations on the old boundaries."""

from __future__ import annotations

import uuid
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import sqlalchemy as sa
from shapely.geometry import Polygon, box

from geo.boundaries import BoundaryImportOptions, import_boundaries
from geo.levels import Level, upsert_levels
from indicators.ingest.observations import ObservationImportOptions, import_observations
from service.db import create_engine
from tests.conftest import make_settings, table_fingerprint

BAD = Path(__file__).resolve().parent / "data" / "bad"
X0, Y0 = 389_000.0, 5_818_000.0  # Berlin-Mitte in EPSG:25833


def squares(n: int = 3, size: float = 1000.0) -> list:
    return [box(X0 + i * size, Y0, X0 + (i + 1) * size, Y0 + size) for i in range(n)]


@pytest.fixture(scope="module")
def engine(pg_server, demo_template):
    name = f"dm_test_bnd_{uuid.uuid4().hex[:8]}"
    engine = create_engine(pg_server.create(name, template=demo_template), make_settings())
    with engine.begin() as conn:
        upsert_levels(conn, [
            Level("tgeo", "Test GeoJSON", "Test GeoJSON", "Test", "Test", 20, None),
            Level("tshp", "Test Shapefile", "Test Shapefile", "Test", "Test", 21, None),
            Level("tgpkg", "Test GeoPackage", "Test GeoPackage", "Test", "Test", 22, None),
            Level("tnocrs", "Test ohne CRS", "Test no CRS", "Test", "Test", 23, None),
            Level("trep", "Test Reparatur", "Test repair", "Test", "Test", 24, None),
            Level("tpar", "Test Eltern", "Test parent", "Test", "Test", 26, None),  # parents rank above children
            Level("tkid", "Test Kinder", "Test children", "Test", "Test", 25, "tpar"),
            Level("tver", "Test Versionen", "Test versions", "Test", "Test", 27, None),
        ])
    yield engine
    engine.dispose()
    pg_server.drop(name)


def frame(geoms: list, keys: list[str] | None = None, **columns) -> gpd.GeoDataFrame:
    keys = keys or [f"{i + 1:03d}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"key": keys, "name": [f"Gebiet {k}" for k in keys], **columns}, geometry=geoms,
                            crs="EPSG:25833")


def run(engine, path: Path, level: str, **options):
    values = {"key_field": "key", "name_field": "name", "valid_from": date(2024, 1, 1), **options}
    with engine.connect() as conn:
        return import_boundaries(conn, path, BoundaryImportOptions(level=level, **values), created_by="test")


def max_offset_m(engine, level: str, originals: list) -> float:
    """Largest distance between a stored outline and the original square (both in EPSG:25833)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT key, ST_AsBinary(geom) FROM area WHERE level_code = :level ORDER BY key"),
                            {"level": level}).all()
    assert len(rows) == len(originals)
    return max(shapely.hausdorff_distance(shapely.from_wkb(bytes(wkb)), original)
               for (_key, wkb), original in zip(rows, originals))


def test_geojson_in_wgs84_is_reprojected_to_the_storage_crs(engine, tmp_path):
    path = tmp_path / "gebiete.geojson"
    frame(squares()).to_crs("EPSG:4326").to_file(path, driver="GeoJSON", engine="pyogrio")
    report = run(engine, path, "tgeo")
    assert report.ok and report.rows_written == 3
    assert max_offset_m(engine, "tgeo", squares()) < 0.05


def test_a_zipped_shapefile_in_etrs89_laea_is_reprojected(engine, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    frame(squares()).to_crs("EPSG:3035").to_file(folder / "gebiete.shp", engine="pyogrio")
    archive = tmp_path / "gebiete.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for part in folder.iterdir():
            zipped.write(part, f"daten/{part.name}")
    report = run(engine, archive, "tshp")
    assert report.ok, [p.as_text() for p in report.problems]
    assert max_offset_m(engine, "tshp", squares()) < 0.05


def test_a_geopackage_in_utm_32_is_reprojected(engine, tmp_path):
    path = tmp_path / "gebiete.gpkg"
    frame(squares()).to_crs("EPSG:25832").to_file(path, layer="planungsraeume", driver="GPKG", engine="pyogrio")
    report = run(engine, path, "tgpkg", layer="planungsraeume")
    assert report.ok, [p.as_text() for p in report.problems]
    assert max_offset_m(engine, "tgpkg", squares()) < 0.05


def test_a_file_without_crs_is_refused_unless_one_is_given(engine):
    before = table_fingerprint(engine)
    refused = run(engine, BAD / "shapefile_without_crs.zip", "tnocrs", key_field="id")
    assert not refused.ok and "--crs" in refused.errors[0].fix
    assert table_fingerprint(engine) == before
    accepted = run(engine, BAD / "shapefile_without_crs.zip", "tnocrs", key_field="id", crs="EPSG:25833")
    assert accepted.ok and accepted.rows_written == 1
    assert any("assumed EPSG:25833" in note for note in accepted.notes)


def test_an_outline_whose_repair_keeps_its_area_is_repaired_and_reported(engine, tmp_path):
    spike = Polygon([(X0, Y0), (X0 + 1000, Y0), (X0 + 1000, Y0 + 500), (X0 + 1500, Y0 + 500), (X0 + 1000, Y0 + 500),
                     (X0 + 1000, Y0 + 1000), (X0, Y0 + 1000)])  # a square with a spike of no width
    path = tmp_path / "stachel.geojson"
    frame([spike, squares()[2]]).to_file(path, driver="GeoJSON", engine="pyogrio")
    report = run(engine, path, "trep")
    assert report.ok, [p.as_text() for p in report.errors]
    [warning] = [p for p in report.problems if "repaired" in p.message]
    assert warning.row == 1 and warning.keys == ("001",) and "Self-intersection" in warning.message
    assert warning.message_de.startswith("ungültige Geometrie repariert")
    with engine.connect() as conn:
        valid, area = conn.execute(sa.text("SELECT bool_and(ST_IsValid(geom)), min(area_m2) FROM area "
                                           "WHERE level_code = 'trep'")).one()
    assert valid and area == pytest.approx(1_000_000, rel=1e-9)


def test_a_bow_tie_is_refused_because_repair_would_change_its_area(engine, tmp_path):
    """A ring crossing itself: its two loops cancel in the outline's area (0 m²) and add up after repair
    (500,000 m²), so the "repaired" outline would be a guess, not the delivery."""
    bow_tie = Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0, Y0 + 1000)])
    path = tmp_path / "schleife.geojson"
    frame([squares()[2], bow_tie]).to_file(path, driver="GeoJSON", engine="pyogrio")
    before = table_fingerprint(engine)
    report = run(engine, path, "trep", valid_from=date(2024, 6, 1))
    [error] = report.errors
    assert error.row == 2 and error.keys == ("002",) and "Self-intersection" in error.message
    assert "would change its area" in error.message and "redraw" in error.fix and error.fix_de
    assert table_fingerprint(engine) == before


def test_hierarchy_problems_are_reported_with_the_keys(engine, tmp_path):
    parent = tmp_path / "eltern.geojson"
    frame([box(X0, Y0, X0 + 3000, Y0 + 1000)], keys=["P1"]).to_file(parent, driver="GeoJSON", engine="pyogrio")
    assert run(engine, parent, "tpar").ok
    children = [box(X0, Y0, X0 + 1000, Y0 + 1000),  # fine
                box(X0 + 900, Y0, X0 + 1900, Y0 + 1000),  # overlaps the first by 100 m x 1000 m
                box(X0 + 2500, Y0, X0 + 3500, Y0 + 1000)]  # half outside; 600 m strip of the parent uncovered
    path = tmp_path / "kinder.geojson"
    frame(children, keys=["P1-1", "P1-2", "P1-3"], parent=["P1", "P1", "P1"]).to_file(path, driver="GeoJSON",
                                                                                      engine="pyogrio")
    before = table_fingerprint(engine)
    refused = run(engine, path, "tkid", parent_field="parent")
    assert not refused.ok and table_fingerprint(engine) == before
    errors = {p.message: p.keys for p in refused.errors}
    assert any("overlap" in m and "--allow-overlaps" in m and keys == ("P1-1", "P1-2") for m, keys in errors.items())
    assert any("outside its parent" in m and keys == ("P1-3", "P1") for m, keys in errors.items())
    assert any("uncovered" in m and "--allow-gaps" in m and keys == ("P1",) for m, keys in errors.items())
    only_gaps = run(engine, path, "tkid", parent_field="parent", allow_gaps=True)
    assert {p.keys for p in only_gaps.errors} == {("P1-1", "P1-2"), ("P1-3", "P1")}
    report = run(engine, path, "tkid", parent_field="parent", allow_overlaps=True, allow_gaps=True)
    assert report.ok  # allowed: the outlines may be right and the parent wrong; each finding stays a warning
    messages = {p.message: p.keys for p in report.problems}
    assert any("overlap" in m and keys == ("P1-1", "P1-2") for m, keys in messages.items())
    assert any("outside its parent" in m and keys == ("P1-3", "P1") for m, keys in messages.items())
    assert any("uncovered" in m and keys == ("P1",) for m, keys in messages.items())
    missing = tmp_path / "waisen.geojson"
    frame(children[:1], keys=["Q1-1"], parent=["Q1"]).to_file(missing, driver="GeoJSON", engine="pyogrio")
    orphan = run(engine, missing, "tkid", parent_field="parent", valid_from=date(2024, 6, 1))
    assert not orphan.ok and orphan.errors[0].keys == ("Q1-1", "Q1")


def test_a_new_boundary_version_leaves_old_observations_on_the_old_boundaries(engine, tmp_path):
    first = tmp_path / "v2020.geojson"
    frame(squares(2)).to_file(first, driver="GeoJSON", engine="pyogrio")
    assert run(engine, first, "tver", valid_from=date(2020, 1, 1)).ok
    values = tmp_path / "ew.csv"
    values.write_text("area;indicator;period;value\n001;EW;2020-12-31;100\n002;EW;2020-12-31;200\n")
    with engine.connect() as conn:
        assert import_observations(conn, values, ObservationImportOptions(level="tver"), created_by="test").ok
    second = tmp_path / "v2024.geojson"
    frame([box(X0, Y0, X0 + 1500, Y0 + 1000), box(X0 + 1500, Y0, X0 + 2000, Y0 + 1000)]).to_file(
        second, driver="GeoJSON", engine="pyogrio")
    report = run(engine, second, "tver", valid_from=date(2024, 1, 1))
    assert report.ok and any("end at 2024-01-01" in n for n in report.notes)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("""
            SELECT a.key, a.valid_from, a.valid_to, o.value FROM area a
            LEFT JOIN observation_current o ON o.area_id = a.id
            WHERE a.level_code = 'tver' ORDER BY a.valid_from, a.key""")).all()
    assert [tuple(r) for r in rows] == [
        ("001", date(2020, 1, 1), date(2024, 1, 1), 100.0), ("002", date(2020, 1, 1), date(2024, 1, 1), 200.0),
        ("001", date(2024, 1, 1), None, None), ("002", date(2024, 1, 1), None, None)]
