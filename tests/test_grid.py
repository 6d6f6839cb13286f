"""Zensus-style grids: INSPIRE ids parsed to cell centres, counts aggregated to areas by cell centre."""

import uuid

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from geo.grid import GridImportOptions, grid_to_areas, import_grid, parse_cell_id, parse_cell_ids
from indicators.values import boundary_date_for
from service.app import create_app
from service.db import create_engine
from tests.conftest import bearer, make_settings


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


# -- the Zensus 2022 tables as published: `–` kept secret, KLAMMERN uncertain, decimal comma ---------------------
ZENSUS_HEADER = "GITTER_ID_100m;x_mp_100m;y_mp_100m;{variable};werterlaeuternde_Zeichen\n"


def cells_well_inside(engine, level: str) -> tuple[str, list[tuple[int, int]]]:
    """The key of the largest current area of `level` and the lower-left corners (EPSG:3035) of a 3 x 3 block of
    100 m cells whose centres lie at least 450 m inside it."""
    with engine.connect() as conn:
        key, x, y = conn.execute(sa.text("""
            SELECT key, ST_X(p), ST_Y(p) FROM (
                SELECT key, ST_Transform(ST_PointOnSurface(ST_Buffer(geom, -600)), 3035) AS p FROM area
                WHERE level_code = :level AND valid_to IS NULL ORDER BY ST_Area(geom) DESC LIMIT 1) s"""),
            {"level": level}).one()
    east, north = int(x // 100) * 100, int(y // 100) * 100
    return key, [(east + 100 * i, north + 100 * j) for i in (-1, 0, 1) for j in (-1, 0, 1)]


def zensus_line(corner: tuple[int, int], value: str, code: str = "") -> str:
    east, north = corner
    return f"CRS3035RES100mN{north}E{east};{east + 50};{north + 50};{value};{code}"


def write_zensus(path, variable: str, corners, rows: list[tuple[str, str]]):
    """A table in the published layout: one line per cell corner with its value and werterlaeuternde_Zeichen."""
    path.write_text(ZENSUS_HEADER.format(variable=variable)
                    + "\n".join(zensus_line(c, v, f) for c, (v, f) in zip(corners, rows)) + "\n", encoding="utf-8")
    return path


def test_a_zensus_feature_table_imports_with_its_flags(grid_db, tmp_path):
    engine, _table = grid_db
    _key, corners = cells_well_inside(engine, "bez")
    rows = [("42,5", ""), ("–", ""), ("37,25", "KLAMMERN"), ("", ""), ("-", ""), (".", ""), ("1.234,5", ""),
            ("–", "KLAMMERN"), ("(12,5)", "")]
    path = write_zensus(tmp_path / "Zensus2022_Durchschnittsalter_100m-Gitter.csv", "Durchschnittsalter", corners,
                        rows)
    with engine.connect() as conn:
        report = import_grid(conn, path, GridImportOptions(layer="zensus_alter"))
    assert report.ok, report.problems
    assert report.rows_written == 9
    assert any("3 cell values kept secret" in n and "2 cell values statistically uncertain" in n
               for n in report.notes), report.notes
    assert any("variables ['Durchschnittsalter']" in n for n in report.notes), report.notes  # the code column is none
    with engine.connect() as conn:
        stored = {r.cell_id: (r.value, r.flag) for r in conn.execute(sa.text(
            "SELECT cell_id, value, flag FROM grid_value WHERE layer_code = 'zensus_alter'"))}
    cell = [f"CRS3035RES100mN{n}E{e}" for e, n in corners]
    assert stored == {cell[0]: (42.5, None), cell[1]: (None, "suppressed"), cell[2]: (37.25, "uncertain"),
                      cell[5]: (None, "suppressed"), cell[6]: (1234.5, None), cell[7]: (None, "suppressed"),
                      cell[8]: (12.5, "uncertain")}  # empty and "-": no value, no row (as before)


def test_an_unknown_code_in_werterlaeuternde_zeichen_is_refused_naming_row_and_column(grid_db, tmp_path):
    engine, _table = grid_db
    _key, corners = cells_well_inside(engine, "bez")
    path = tmp_path / "codes.csv"
    path.write_text(ZENSUS_HEADER.format(variable="Einwohner").replace("werterlaeuternde_Zeichen",
                                                                        "WERTERLAEUTERNDE_ZEICHEN")
                    + zensus_line(corners[0], "12", "KLAMMERN") + "\n" + zensus_line(corners[1], "7", "SPITZ") + "\n",
                    encoding="utf-8")
    with engine.connect() as conn:
        report = import_grid(conn, path, GridImportOptions(layer="probe_codes"))
        assert conn.execute(sa.text("SELECT count(*) FROM grid_layer WHERE code = 'probe_codes'")).scalar_one() == 0
    assert not report.ok
    problem = report.errors[0]
    assert (problem.row, problem.column, problem.value) == (2, "WERTERLAEUTERNDE_ZEICHEN", "SPITZ")
    assert "unknown code" in problem.message and "KLAMMERN" in problem.fix
    assert problem.message_de and "KLAMMERN" in problem.fix_de


def zensus_counts(engine, tmp_path):
    """A published-layout count table over 9 cells inside one borough: 3 kept secret, 2 uncertain."""
    key, corners = cells_well_inside(engine, "bez")
    rows = [("12", ""), ("–", ""), ("7", "KLAMMERN"), ("1.250", ""), (".", ""), ("3", "KLAMMERN"), ("–", "KLAMMERN"),
            ("20", ""), ("", "")]
    path = write_zensus(tmp_path / "Zensus2022_Wohnungen_100m-Gitter.csv", "Wohnungen", corners, rows)
    return key, path, 12 + 7 + 1250 + 3 + 20


def test_sums_over_areas_count_secret_and_uncertain_cells_and_are_lower_bounds(grid_db, tmp_path):
    engine, _table = grid_db
    key, path, published = zensus_counts(engine, tmp_path)
    with engine.connect() as conn:
        assert import_grid(conn, path, GridImportOptions(layer="zensus_wohnungen")).ok
    with engine.connect() as conn:
        result = grid_to_areas(conn, "zensus_wohnungen", "Wohnungen", "bez", boundary_date_for(conn, "bez", None))
        assert conn.execute(sa.text("SELECT count(*) FROM grid_value WHERE flag = 'suppressed' AND value IS NOT NULL"
                                    )).scalar_one() == 0
    items = {item["key"]: item for item in result["items"]}
    assert items[key] == {**items[key], "cells": 8, "value": published, "suppressed_cells": 3, "uncertain_cells": 2,
                          "value_is_lower_bound": True}
    others = [item for k, item in items.items() if k != key]
    assert all(i["cells"] == 0 and i["value"] == 0 and not i["value_is_lower_bound"] for i in others)
    assert (result["cells_total"], result["suppressed_cells_total"], result["uncertain_cells_total"]) == (8, 3, 2)
    assert result["value_total"] == published and result["value_total_is_lower_bound"]
    assert result["value_assigned"] == published and result["value_assigned_is_lower_bound"]
    assert (result["suppressed_cells_assigned"], result["uncertain_cells_assigned"]) == (3, 2)


def test_a_zensus_table_uploaded_over_http_aggregates_with_its_flags(grid_db, tmp_path):
    engine, _table = grid_db
    key, path, published = zensus_counts(engine, tmp_path)
    files = {"file": (path.name, path.read_bytes(), "text/csv")}
    with TestClient(create_app(make_settings(rate_limit_per_minute=0), engine=engine)) as client:
        uploaded = client.post("/api/layers/grid/zensus_http", files=files, headers=bearer(engine, "data_steward"))
        assert uploaded.status_code == 200, uploaded.text
        assert any("3 cell values kept secret" in n for n in uploaded.json()["notes"])
        params = {"layer": "zensus_http", "variable": "Wohnungen", "level": "bez"}
        result = client.get("/api/aggregate/grid", params=params).json()
        csv = client.get("/api/aggregate/grid", params={**params, "f": "csv"}).text
        bad = client.get("/api/aggregate/grid", params={**params, "variable": "werterlaeuternde_Zeichen"})
    item = next(i for i in result["items"] if i["key"] == key)
    assert (item["value"], item["suppressed_cells"], item["uncertain_cells"], item["value_is_lower_bound"]) == (
        published, 3, 2, True)
    assert result["value_total_is_lower_bound"] is True and result["suppressed_cells_total"] == 3
    assert csv.startswith("key,name,cells,value,suppressed_cells,uncertain_cells,value_is_lower_bound")
    assert bad.status_code == 404  # the code column is no variable


def test_the_flags_migration_goes_down_without_a_suppressed_row_and_up_again(pg_server, demo_template, tmp_path):
    """0025 down: suppressed cells (no number) are deleted, uncertain ones keep their value, value is NOT NULL
    again; up again: the column and its checks are back."""
    from service.db import downgrade, upgrade
    from tests.conftest import private_engine

    with private_engine(pg_server, demo_template, prefix="dm_test_grid_flags") as engine:
        _key, path, _published = zensus_counts(engine, tmp_path)
        with engine.connect() as conn:
            assert import_grid(conn, path, GridImportOptions(layer="zensus_wohnungen")).ok
        downgrade(engine, "0024")
        with engine.connect() as conn:
            values = conn.execute(sa.text("SELECT value FROM grid_value WHERE layer_code = 'zensus_wohnungen'"
                                          )).scalars().all()
            nullable = conn.execute(sa.text("SELECT is_nullable FROM information_schema.columns WHERE "
                                            "table_name = 'grid_value' AND column_name = 'value'")).scalar_one()
        assert sorted(values) == [3, 7, 12, 20, 1250] and nullable == "NO"
        upgrade(engine, 25833)
        with engine.connect() as conn, pytest.raises(sa.exc.IntegrityError):
            conn.execute(sa.text("UPDATE grid_value SET flag = 'uncertain', value = NULL "
                                 "WHERE layer_code = 'zensus_wohnungen'"))
