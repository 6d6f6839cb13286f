"""Zensus-style grids: INSPIRE ids parsed to cell centres, counts aggregated to areas by cell centre."""

import uuid

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from geo.grid import GridImportOptions, import_grid, parse_cell_id, parse_cell_ids
from service.app import create_app
from service.db import create_engine
from tests.conftest import make_settings


def test_an_inspire_100m_id_gives_the_cell_centre_in_laea():
    cell = parse_cell_id("CRS3035RES100mN3268400E4553900")
    assert (cell.resolution_m, cell.x, cell.y) == (100, 4553950.0, 3268450.0)


def test_1km_ids_and_the_zensus_short_form_parse_alike():
    assert parse_cell_id("CRS3035RES1000mN3268000E4553000").x == 4553500.0
    assert parse_cell_id("1kmN3268E4553") == parse_cell_id("1kmN3268E4553")
    assert parse_cell_id("1kmN3268E4553").y == 3268500.0
    assert parse_cell_id("100mN32684E45539").x == parse_cell_id("CRS3035RES100mN3268400E4553900").x


@pytest.mark.parametrize("bad", ["CRS3035RES100mN3268400", "CRS4326RES100mN3268400E4553900",
                                 "CRS3035RES100mN3268450E4553900", "hello", ""])
def test_ids_that_do_not_parse_say_why(bad):
    with pytest.raises(ValueError):
        parse_cell_id(bad)
    assert parse_cell_ids(pd.Series([bad]))["error"].notna().all()


def berlin_grid(engine, resolution: int) -> pd.DataFrame:
    """A generated grid over Berlin's bounding box in EPSG:3035, with a known count per cell."""
    with engine.connect() as conn:
        box = conn.execute(sa.text("""
            SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
                SELECT ST_Extent(ST_Transform(geom, 3035)) AS e FROM area WHERE level_code = 'stadt') s""")).one()
    xs = np.arange(np.floor(box[0] / resolution) * resolution, box[2], resolution)
    ys = np.arange(np.floor(box[1] / resolution) * resolution, box[3], resolution)
    east, north = np.meshgrid(xs.astype(int), ys.astype(int))
    unit = f"{resolution}m"
    ids = [f"CRS3035RES{unit}N{n}E{e}" for n, e in zip(north.ravel(), east.ravel())]
    rng = np.random.default_rng(7)
    return pd.DataFrame({"GITTER_ID": ids, "Einwohner": rng.integers(0, 50, len(ids)),
                         "x": east.ravel() + resolution / 2, "y": north.ravel() + resolution / 2})


@pytest.fixture(scope="module")
def grid_db(pg_server, demo_template, tmp_path_factory):
    name = f"dm_test_grid_{uuid.uuid4().hex[:8]}"
    engine = create_engine(pg_server.create(name, template=demo_template), make_settings())
    table = berlin_grid(engine, 1000)
    path = tmp_path_factory.mktemp("grid") / "zensus_1km.csv"
    table[["GITTER_ID", "Einwohner"]].to_csv(path, sep=";", index=False)
    with engine.connect() as conn:
        report = import_grid(conn, path, GridImportOptions(layer="zensus_1km"))
    assert report.ok, report.problems
    yield engine, table
    engine.dispose()
    pg_server.drop(name)


def test_grid_counts_per_borough_equal_an_independent_centre_in_polygon_sum(grid_db):
    engine, table = grid_db
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        result = client.get("/api/aggregate/grid", params={"layer": "zensus_1km", "variable": "Einwohner",
                                                           "level": "bez"}).json()
    with engine.connect() as conn:
        boroughs = gpd.read_postgis("SELECT key, ST_Transform(geom, 3035) AS geom FROM area WHERE level_code = 'bez'",
                                    conn, geom_col="geom")
    centres = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table.x, table.y), crs=3035)
    expected = gpd.sjoin(centres, boroughs, predicate="within").groupby("key")["Einwohner"].sum()
    got = {item["key"]: item["value"] for item in result["items"]}
    # the transformation 3035 -> 25833 moves centres by far less than a millimetre; allow one border cell
    for key, value in expected.items():
        assert abs(got[key] - value) <= 50, key
    assert result["cells_total"] == len(table)
    assert result["cells_assigned"] + result["cells_outside"] == len(table)


def test_grid_sums_on_planungsraeume_add_up_to_the_city(grid_db):
    engine, _table = grid_db
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        plr = client.get("/api/aggregate/grid", params={"layer": "zensus_1km", "variable": "Einwohner"}).json()
        city = client.get("/api/aggregate/grid", params={"layer": "zensus_1km", "variable": "Einwohner",
                                                         "level": "stadt"}).json()
        csv = client.get("/api/aggregate/grid", params={"layer": "zensus_1km", "variable": "Einwohner", "f": "csv"})
    assert len(plr["items"]) == 542
    assert sum(i["value"] for i in plr["items"]) == pytest.approx(city["items"][0]["value"], abs=60)
    assert csv.text.startswith("key,name,cells,value")


def test_a_grid_id_that_does_not_parse_is_refused_naming_the_row(grid_db, tmp_path):
    engine, _table = grid_db
    path = tmp_path / "bad.csv"
    path.write_text("GITTER_ID_100m;Einwohner\nCRS3035RES100mN3268400E4553900;5\nCRS3035RES100mN32684E;3\n",
                    encoding="utf-8")
    with engine.connect() as conn:
        report = import_grid(conn, path, GridImportOptions(layer="probe"))
    assert not report.ok
    problem = report.errors[0]
    assert (problem.row, problem.column) == (2, "GITTER_ID_100m") and "does not parse" in problem.message


def test_text_in_a_count_column_and_mixed_resolutions_are_refused(grid_db, tmp_path):
    engine, _table = grid_db
    path = tmp_path / "mixed.csv"
    path.write_text("GITTER_ID;Einwohner\nCRS3035RES100mN3268400E4553900;5\nCRS3035RES1000mN3268000E4553000;viele\n"
                    "CRS3035RES100mN3268500E4553900;–\n", encoding="utf-8")
    with engine.connect() as conn:
        report = import_grid(conn, path, GridImportOptions(layer="probe"))
    messages = [p.message for p in report.errors]
    assert any("mixes resolutions" in m for m in messages)
    assert any(p.row == 2 and p.column == "Einwohner" for p in report.errors)


def test_100m_cells_import_and_a_dry_run_writes_nothing(grid_db, tmp_path):
    engine, _table = grid_db
    path = tmp_path / "small.csv"
    rows = [f"CRS3035RES100mN{3268000 + 100 * i}E{4553000 + 100 * j};{i + j}" for i in range(20) for j in range(20)]
    path.write_text("GITTER_ID_100m;Einwohner\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with engine.connect() as conn:
        dry = import_grid(conn, path, GridImportOptions(layer="zensus_100m"), dry_run=True)
    with engine.connect() as conn:
        assert dry.ok and conn.execute(sa.text("SELECT count(*) FROM grid_cell WHERE layer_code = 'zensus_100m'"
                                               )).scalar_one() == 0
    with engine.connect() as conn:
        done = import_grid(conn, path, GridImportOptions(layer="zensus_100m"))
        assert done.ok and done.rows_written == 400
        resolution = conn.execute(sa.text("SELECT resolution_m FROM grid_layer WHERE code = 'zensus_100m'"))
        assert resolution.scalar_one() == 100


def test_unknown_grid_layer_or_variable_is_404_naming_the_field(client):
    response = client.get("/api/aggregate/grid", params={"layer": "nope", "variable": "x"})
    assert response.status_code == 404 and response.json()["field"] == "layer"
