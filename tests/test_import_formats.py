"""Tables as statistics offices deliver them are read correctly: separators, decimal commas and thousands dots,
UTF-8 with and without BOM, Windows-1252/Latin-1, UTF-16, GENESIS special symbols as flags, .xlsx and wide tables
with a column mapping. Reading is checked on its own (no database), then end to end on a private database."""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from geo.import_report import ImportReport
from indicators.ingest.observations import ObservationImportOptions, import_observations
from indicators.ingest.tables import parse_numbers, read_table
from tests.conftest import private_engine, table_fingerprint


def read(path: Path, **kwargs):
    report = ImportReport(kind="observations", file=path.name)
    table = read_table(path, report, **kwargs)
    assert report.ok, [p.as_text() for p in report.problems]
    return table


def write(tmp_path: Path, name: str, data: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def test_semicolon_decimal_comma_and_thousands_dots(tmp_path):
    table = read(write(tmp_path, "de.csv", "area;indicator;period;value\n01100101;EW;2022;1.234.567,5\n"
                                          "01100102;EW;2022;3503\n01100103;S1;2022;0,25\n"))
    assert table.separator == ";" and table.decimal == ","
    parsed = parse_numbers(table.frame["value"], table.decimal)
    assert parsed.values.tolist() == [1234567.5, 3503.0, 0.25]
    assert table.frame["area"].tolist()[0] == "01100101"  # read as text: leading zero kept


def test_comma_separated_with_decimal_points_and_thousands_commas(tmp_path):
    table = read(write(tmp_path, "en.csv", 'area,indicator,period,value\n01100101,EW,2022,"1,234.5"\n'
                                          "01100102,EW,2022,12.75\n"))
    assert (table.separator, table.decimal) == (",", ".")
    assert parse_numbers(table.frame["value"], table.decimal).values.tolist() == [1234.5, 12.75]


@pytest.mark.parametrize("encoding, expected", [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"),
                                                ("cp1252", "cp1252"), ("utf-16", "utf-16")])
def test_encodings_are_detected_and_umlauts_survive(tmp_path, encoding, expected):
    text = "Gebiet;Name;Wert\n01100101;Stülerstraße;5,1\n01100102;Großer Tiergarten – Süd;4,0\n"
    table = read(write(tmp_path, "enc.csv", text, encoding))
    assert table.encoding == expected
    assert list(table.frame.columns) == ["Gebiet", "Name", "Wert"]  # no BOM glued to the first header
    assert table.frame["Name"].tolist() == ["Stülerstraße", "Großer Tiergarten – Süd"]


def test_latin1_without_euro_sign_reads_like_cp1252(tmp_path):
    table = read(write(tmp_path, "latin1.csv", "Gebiet;Name;Wert\n01100101;Moabit Ä;1\n", "latin-1"))
    assert table.frame["Name"].iloc[0] == "Moabit Ä"


def test_tab_separated_text(tmp_path):
    table = read(write(tmp_path, "tab.txt", "area\tindicator\tperiod\tvalue\n01100101\tS1\t2022\t5,1\n"))
    assert table.separator == "\t"


def test_genesis_special_symbols_become_flags_never_numbers():
    cells = pd.Series(["-", ".", "x", "/", "…", "...", "", "12,5", "–"])
    parsed = parse_numbers(cells, ",")
    assert parsed.flags.tolist() == ["nil", "unknown_or_secret", "not_applicable", "unreliable", "later", "later",
                                     "missing", None, "nil"]
    assert parsed.values.iloc[7] == 12.5
    assert all(math.isnan(v) for i, v in enumerate(parsed.values) if i != 7)
    assert not parsed.bad.any()


def test_publisher_missing_codes_become_the_flag_given():
    parsed = parse_numbers(pd.Series(["-9999", "-9999,0", "3"]), ",", {"-9999": "not_assessed"})
    assert parsed.flags.tolist() == ["not_assessed", "not_assessed", None]


# -- end to end, on a private copy of the demo database ---------------------------------------------------
@pytest.fixture(scope="module")
def engine(pg_server, demo_template):
    with private_engine(pg_server, demo_template, "dm_test_fmt") as engine:
        yield engine


def stored(engine, indicator: str, period: str) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("""
            SELECT a.key, o.value, o.flag, o.numerator, o.denominator FROM observation_current o
            JOIN area a ON a.id = o.area_id WHERE o.indicator_code = :code AND o.period = :period
              AND a.level_code = 'plr'"""), {"code": indicator, "period": period}).all()
    return {key: tuple(rest) for key, *rest in rows}


def test_a_german_statistics_office_table_is_stored_exactly(engine, tmp_path):
    path = write(tmp_path, "Einwohner 2023.csv",
                 "Planungsraum;Merkmal;Stichtag;Wert\n01100101;EW;31.12.2023;3.503\n01100102;EW;31.12.2023;-\n"
                 "01100103;EW;31.12.2023;.\n01100104;EW;31.12.2023;x\n01100205;EW;31.12.2023;/\n"
                 "01100206;EW;31.12.2023;…\n01100207;EW;31.12.2023;12.345\n", "cp1252")
    options = ObservationImportOptions(level="plr", key_column="Planungsraum", indicator_column="Merkmal",
                                       period_column="Stichtag", value_column="Wert", thousands=".")
    with engine.connect() as conn:  # "3.503" alone could be 3.503: the office says its thousands separator
        report = import_observations(conn, path, options, created_by="test")
    assert report.ok and report.rows_written == 7, [p.as_text() for p in report.problems]
    values = stored(engine, "EW", "2023-12-31")
    assert values["01100101"][:2] == (3503.0, None)
    assert values["01100207"][0] == 12345.0
    assert values["01100102"][:2] == (0.0, "nil")
    assert {values[k][1] for k in ("01100103", "01100104", "01100205", "01100206")} == {
        "unknown_or_secret", "not_applicable", "unreliable", "later"}
    assert all(values[k][0] is None for k in ("01100103", "01100104", "01100205", "01100206"))


def test_an_xlsx_workbook_with_a_wide_table_and_a_column_mapping(engine, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "PLR"
    sheet.append(["PLR_ID", "Arbeitslose", "Transfer", "Bemerkung"])
    sheet.append(["01100101", 5.25, 12, ""])
    sheet.append(["01100102", 4, "-", "klein"])
    workbook.create_sheet("Leer")
    path = tmp_path / "mss.xlsx"
    workbook.save(path)
    options = ObservationImportOptions(level="plr", layout="wide", key_column="PLR_ID", period="2023-12-31",
                                       columns={"Arbeitslose": "S1", "Transfer": "S3"}, sheet="PLR")
    with engine.connect() as conn:
        report = import_observations(conn, path, options, created_by="test")
    assert report.ok and report.rows_written == 4, [p.as_text() for p in report.problems]
    assert stored(engine, "S1", "2023-12-31") == {"01100101": (5.25, None, None, None),
                                                  "01100102": (4.0, None, None, None)}
    assert stored(engine, "S3", "2023-12-31")["01100102"][:2] == (0.0, "nil")


def test_a_dry_run_reports_what_would_change_and_writes_nothing(engine, tmp_path):
    path = write(tmp_path, "dry.csv", "area;indicator;period;value;numerator;denominator\n"
                                      "01100101;S1;2024-12-31;5,0;10;200\n01100102;S1;2024-12-31;2,5;5;200\n")
    before = table_fingerprint(engine)
    with engine.connect() as conn:
        report = import_observations(conn, path, ObservationImportOptions(level="plr"), dry_run=True)
    assert report.ok and report.dry_run and report.rows_written == 2 and report.batch_id is None
    assert table_fingerprint(engine) == before
