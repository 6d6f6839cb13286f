"""GENESIS flat files (ffcsv, indicators.ingest.ffcsv) as the offices deliver them: the current layout (one row
per value, English column names, `value_q`) and the previous one (German names, one column per value, each
followed by its `__q` quality column), as CSV or in the ZIP GENESIS-Online sends. Region keys are matched to the
level's keys by the official key structure (the genesis matching), symbols and quality codes become flags,
never numbers, and every problem names file, row, column and value with its fix in English and German."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo.import_report import ImportReport
from indicators.ingest.ffcsv import read_ffcsv
from indicators.ingest.observation_rows import IndicatorRule, to_long
from indicators.ingest.observations import import_observations
from indicators.ingest.options import ObservationImportOptions, OptionError, genesis_as_long, observation_options
from tests.conftest import private_engine, table_fingerprint

HEADER = ("statistics_code;statistics_label;time_code;time_label;time;1_variable_code;1_variable_label;"
          "1_variable_attribute_code;1_variable_attribute_label;2_variable_code;2_variable_label;"
          "2_variable_attribute_code;2_variable_attribute_label;value;value_unit;value_variable_code;"
          "value_variable_label;value_q")


def current(*rows: str) -> str:
    """A file of the current layout: population by sex (the total has no attribute code) per region."""
    start = "12411;Bevölkerungsstand;STAG;Stichtag;"
    return "\n".join([HEADER, *(start + row for row in rows)]) + "\n"


def cell(time: str, variable: str, key: str, name: str, sex: str, value: str, quality: str = "e") -> str:
    sexes = {"W": "GESW;weiblich", "": ";Insgesamt"}
    return (f"{time};{variable};{variable.title()};{key};{name};GES;Geschlecht;{sexes[sex]};{value};Anzahl;BEVSTD;"
            f"Bevölkerungsstand;{quality}")


# Kreise 31.12.2022 with Germany and a Land among them (skipped), Hamburg as Kreis, Berlin listed as Land only
KREISE = current(
    cell("2022-12-31", "DINSG", "DG", "Deutschland", "", "84358845"),
    cell("2022-12-31", "DLAND", "01", "Schleswig-Holstein", "", "2953270"),
    cell("2022-12-31", "KREISE", "01001", "Flensburg, kreisfreie Stadt", "", "92550"),
    cell("2022-12-31", "KREISE", "01001", "Flensburg, kreisfreie Stadt", "W", "46312", "p"),
    cell("2022-12-31", "KREISE", "01002", "Kiel, kreisfreie Stadt", "", "248873"),
    cell("2022-12-31", "KREISE", "01002", "Kiel, kreisfreie Stadt", "W", ".", ""),
    cell("2022-12-31", "KREISE", "02000", "Hamburg", "", "1892122"),
    cell("2022-12-31", "KREISE", "02000", "Hamburg", "W", "967000", "/"),
    cell("2022-12-31", "DLAND", "11", "Berlin", "", "3755251"),
    cell("2022-12-31", "DLAND", "11", "Berlin", "W", "-"),
)
KREIS_KEYS = {"01001", "01002", "02000", "11000"}
COLUMNS = {"Bevölkerungsstand | Insgesamt": "FF_BEV", "BEVSTD | GESW": "FF_BEV_W"}

# The previous layout, German names: value columns CODE__Label__Unit, each followed by CODE__Label__q
PREVIOUS = """Statistik_Code;Statistik_Label;Zeit_Code;Zeit_Label;Zeit;1_Merkmal_Code;1_Merkmal_Label;\
1_Auspraegung_Code;1_Auspraegung_Label;BEVSTD__Bevoelkerungsstand__Anzahl;BEVSTD__Bevoelkerungsstand__q;\
ALQ001__Arbeitslosenquote__Prozent;ALQ001__Arbeitslosenquote__q
13211;Arbeitsmarktstatistik;JAHR;Jahr;2021;KREISE;Kreise;01001;Flensburg, kreisfreie Stadt;90164;e;8,9;e
13211;Arbeitsmarktstatistik;JAHR;Jahr;2021;KREISE;Kreise;01002;Kiel, kreisfreie Stadt;246601;e;7,8;p
13211;Arbeitsmarktstatistik;JAHR;Jahr;2021;KREISE;Kreise;02000;Hamburg;1853935;r;.;
13211;Arbeitsmarktstatistik;JAHR;Jahr;2021;KREISE;Kreise;11000;Berlin;3677472;e;9,2;s
"""


def write(tmp_path: Path, text: str, name: str = "12411-0015_de_flat.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read(path: Path, columns=COLUMNS, keys=KREIS_KEYS, key_length: int = 5, **kwargs):
    report = ImportReport(kind="observations", file=path.name)
    return read_ffcsv(path, report, key_length=key_length, level_keys=keys, columns=columns, **kwargs), report


def rows_of(found) -> dict[tuple[str, str, str], tuple[str, int]]:
    frame = found.table.frame
    return {(k, p, i): (v, int(found.table.lines[n])) for n, (k, p, i, v) in enumerate(frame.itertuples(index=False))}


# -- reading, no database ---------------------------------------------------------------------------------
def test_a_kreis_flat_file_becomes_long_rows_of_the_levels_keys_with_the_files_own_lines(tmp_path):
    found, report = read(write(tmp_path, KREISE))
    assert found is not None and report.ok, [p.as_text() for p in report.problems]
    rows = rows_of(found)
    assert rows[("01001", "2022-12-31", "FF_BEV")] == ("92550", 4)
    assert rows[("01001", "2022-12-31", "FF_BEV_W")] == ("46312", 5)
    assert rows[("01002", "2022-12-31", "FF_BEV_W")] == (".", 7)
    assert rows[("02000", "2022-12-31", "FF_BEV_W")] == ("/", 9)  # the quality cell's symbol, not 967000
    assert rows[("11000", "2022-12-31", "FF_BEV")] == ("3755251", 10)  # Berlin: its own Kreis
    assert len(rows) == 8 and found.table.decimal == "."  # whole numbers only: the separator does not matter
    note = report.notes[0]
    assert "current layout" in note and "4 of 6 regions of KREISE (Kreise) matched" in note
    assert "skipped: 1 with 2 digits, 1 with DG" in note
    [provisional] = report.problems  # a warning: the value is stored, the mark kept in the batch's report
    assert provisional.severity == "warning" and provisional.row == 5 and provisional.column == "value_q"
    assert provisional.value == "p" and "provisional" in provisional.message and "Vorläufige" in provisional.message_de


def test_the_previous_layout_with_german_names_and_a_quality_column_after_each_value(tmp_path):
    found, report = read(write(tmp_path, PREVIOUS), columns={"Bevoelkerungsstand": "FF_BEV", "ALQ001": "FF_ALQ"})
    assert found is not None and report.ok, [p.as_text() for p in report.problems]
    rows = rows_of(found)
    assert rows[("01001", "2021", "FF_BEV")] == ("90164", 2) and rows[("01001", "2021", "FF_ALQ")] == ("8,9", 2)
    assert rows[("02000", "2021", "FF_ALQ")] == (".", 4) and rows[("11000", "2021", "FF_BEV")] == ("3677472", 5)
    assert found.table.decimal == "," and "previous layout" in report.notes[0]
    assert "1 values corrected by the office" in report.notes[0]  # 'r': a final figure, stored as such
    warned = {(p.value, p.row, p.column) for p in report.problems}
    assert warned == {("p", 3, "ALQ001__Arbeitslosenquote__q"), ("s", 5, "ALQ001__Arbeitslosenquote__q")}


@pytest.mark.parametrize("value, quality, flag, number", [
    ("46312", "e", None, 46312.0),
    ("46312", "r", None, 46312.0),
    ("46312", "p", None, 46312.0),
    ("46312", "s", None, 46312.0),
    ("46312", "", None, 46312.0),
    (".", "", "unknown_or_secret", None),
    ("-", "e", "nil", 0.0),
    ("x", "", "not_applicable", None),
    ("...", "", "later", None),
    ("46312", "/", "unreliable", None),  # the quality cell's symbol wins: never a number
    ("", ".", "unknown_or_secret", None),
    ("", "", "missing", None),
])
def test_symbols_and_quality_codes_become_flags_never_numbers(tmp_path, value, quality, flag, number):
    text = current(cell("2022-12-31", "KREISE", "01001", "Flensburg", "W", value, quality))
    found, report = read(write(tmp_path, text), columns={"Bevölkerungsstand | weiblich": "FF_BEV_W"})
    options = genesis_as_long(ObservationImportOptions(level="kreis", layout="ffcsv"), found.table.decimal)
    rows = to_long(found.table, options, {"FF_BEV_W": IndicatorRule("FF_BEV_W", "count")}, report)
    assert report.ok, [p.as_text() for p in report.problems]
    stored = rows.iloc[0]
    assert (None if stored["flag"] != stored["flag"] else stored["flag"]) == flag
    assert (None if stored["value"] != stored["value"] else float(stored["value"])) == number


def test_gemeinden_of_the_zensus_with_their_12_digit_regional_keys(tmp_path):
    """Kreis + Verband + Gemeinde number (ARS): the Gemeinde is the first five and the last three digits."""
    header = ("statistics_code;statistics_label;time_code;time_label;time;1_variable_code;1_variable_label;"
              "1_variable_attribute_code;1_variable_attribute_label;value;value_unit;value_variable_code;"
              "value_variable_label;value_q")
    zensus = "1000A;Bevölkerung kompakt;STAG;Stichtag;2022-05-15;GEOGM4;Gemeinden;{};{};{};Anzahl;PRS018;Personen;e"
    text = "\n".join([header, zensus.format("010010000000", "Flensburg", "89934"),
                      zensus.format("010515163", "Amt Mitteldithmarschen", "21000"),
                      zensus.format("010515163003", "Bunsoh", "380")]) + "\n"
    found, report = read(write(tmp_path, text), keys={"01001000", "01051003"}, key_length=8,
                         columns={"Personen": "FF_BEV"})
    assert found is not None and report.ok, [p.as_text() for p in report.problems]
    assert rows_of(found) == {("01001000", "2022-05-15", "FF_BEV"): ("89934", 2),
                              ("01051003", "2022-05-15", "FF_BEV"): ("380", 4)}
    assert found.skipped == {"9 digits": 1}  # the Amt is no Gemeinde


def test_the_zip_archive_genesis_online_delivers_is_read_as_its_one_flat_file(tmp_path):
    archive = tmp_path / "12411-0015_de_flat.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("12411-0015_de_flat.csv", KREISE)
    found, report = read(archive)
    assert found is not None and report.ok and len(found.table.frame) == 8
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a_flat.csv", KREISE)
        zipped.writestr("b_flat.csv", KREISE)
    found, report = read(archive)
    assert found is None and "holds 2 files" in report.errors[0].message and report.errors[0].message_de


def test_an_english_download_is_read_with_decimal_points_and_an_unclear_one_is_asked_about(tmp_path):
    rate = "13211;Arbeitsmarkt;JAHR;Year;2021;KREISE;Districts;01001;Flensburg;GES;Sex;;Total;{};%;ALQ001;Rate;e"
    text = "\n".join([HEADER, rate.format("8.9"), rate.format("1.709").replace("01001", "01002")]) + "\n"
    found, report = read(write(tmp_path, text), columns={"Rate | Total": "FF_ALQ"})
    assert found is not None and found.table.decimal == "."
    found, report = read(write(tmp_path, text.replace("8.9", "9")), columns={"Rate | Total": "FF_ALQ"})
    assert found is None and "1.709" in report.errors[0].message and report.errors[0].row == 3
    found, report = read(write(tmp_path, text.replace("8.9", "9")), columns={"Rate | Total": "FF_ALQ"}, decimal=".")
    assert found is not None and report.ok


# -- what cannot be read: file, row, column, value and the fix, in English and German ---------------------------
GENESIS_EXPORT = "GENESIS-Tabelle: 12411-01-01-4\nBevölkerungsstand;;\n;;31.12.2022\n01001;Flensburg;92550\n"
AMBIGUOUS = """Statistik_Code;Statistik_Label;Zeit_Code;Zeit_Label;Zeit;1_Merkmal_Code;1_Merkmal_Label;\
1_Auspraegung_Code;1_Auspraegung_Label;FILM11__Kinos__Anzahl;FILM11__Kinos__q;FILM02__Kinos__Anzahl;FILM02__Kinos__q
21611;Kulturstatistik;JAHR;Jahr;2022;KREISE;Kreise;01001;Flensburg;3;e;9;e
"""


@pytest.mark.parametrize("text, columns, message, where", [
    ("area;indicator;period;value\n01001;FF_BEV;2022;5\n", COLUMNS, "not a GENESIS flat file (ffcsv)",
     (1, None, "area;indicator;period;value")),
    (GENESIS_EXPORT, COLUMNS, "GENESIS table export (12411-01-01-4)", (1, None, None)),
    (KREISE, None, "not mapped to indicator codes", (None, "column", None)),
    (KREISE, {"Einwohner": "FF_BEV"}, "no value column named 'Einwohner'", (None, "column", "Einwohner")),
    (AMBIGUOUS, {"Kinos": "FF_BEV"}, "the name 'Kinos' fits 2 value series", (None, "column", "Kinos")),
    (KREISE.replace("92550;Anzahl;BEVSTD;Bevölkerungsstand;e", "92550;Anzahl;BEVSTD;Bevölkerungsstand;q"), COLUMNS,
     "unknown quality code 'q'", (4, "value_q", "q")),
    (KREISE.replace("Anzahl;BEVSTD", "Anzahl;;BEVSTD", 1), COLUMNS, "row 2 has 19 fields", (2, None, None)),
    (KREISE.replace(";01001;", ";1001;"), COLUMNS, "region key 1001 lost its leading zero",
     (4, "1_variable_attribute_code", "1001")),
])
def test_what_cannot_be_read_is_said_with_its_place_and_the_fix(tmp_path, text, columns, message, where):
    found, report = read(write(tmp_path, text), columns=columns)
    assert found is None
    problem = report.errors[0]
    assert message in problem.message, problem.as_text()
    assert problem.fix and problem.message_de and problem.fix_de and problem.file == "12411-0015_de_flat.csv"
    row, column, value = where
    assert problem.row == row and problem.column == column
    assert value is None or problem.value.startswith(value)
    if columns is not None and message.startswith("no value column"):
        assert "Bevölkerungsstand | weiblich (BEVSTD | GESW, Anzahl)" in problem.fix  # the table's own names


def test_an_unknown_quality_code_in_a_series_not_imported_is_no_error(tmp_path):
    text = KREISE.replace("46312;Anzahl;BEVSTD;Bevölkerungsstand;p", "46312;Anzahl;BEVSTD;Bevölkerungsstand;q")
    found, report = read(write(tmp_path, text), columns={"Bevölkerungsstand | Insgesamt": "FF_BEV"})
    assert found is not None and report.ok
    [unmapped] = report.problems  # the series left out are named, so that none is lost unnoticed
    assert unmapped.severity == "warning" and "1 value series of the table are not imported" in unmapped.message
    assert "Bevölkerungsstand | weiblich" in unmapped.message and unmapped.message_de


def test_a_table_whose_regions_are_no_areas_of_the_level_is_refused_naming_its_regional_variable(tmp_path):
    found, report = read(write(tmp_path, KREISE), keys={"01001001", "01002002"}, key_length=8,
                         columns={"Bevölkerungsstand | Insgesamt": "FF_BEV"})
    assert found is None
    problem = report.errors[0]
    assert "no region of the table is an area of this level (6 regions" in problem.message
    assert "KREISE (Kreise)" in problem.message and problem.column == "level" and problem.fix_de


def test_the_layout_is_an_option_of_every_entry_point():
    options = observation_options({"level": ["kreis"], "layout": ["ffcsv"], "column": ["Personen=FF_BEV"]})
    assert options.layout == "ffcsv" and options.columns == {"Personen": "FF_BEV"}
    with pytest.raises(OptionError, match="'genesis' or 'ffcsv'"):
        observation_options({"level": ["kreis"], "layout": ["flat"]})


# -- end to end, on a private copy of the demo database ---------------------------------------------------
@pytest.fixture(scope="module")
def engine(pg_server, demo_template):
    """The demo database with a Kreis level (four Kreise; any outline will do) and three indicators."""
    with private_engine(pg_server, demo_template, "dm_test_ffcsv") as engine:
        with engine.begin() as conn:
            conn.execute(sa.text("""
                INSERT INTO area_level (code, name_de, name_en, plural_de, plural_en, rank)
                VALUES ('kreis', 'Kreis', 'District', 'Kreise', 'Districts',
                        (SELECT max(rank) + 10 FROM area_level))"""))
            conn.execute(sa.text("""
                INSERT INTO area (level_code, key, name, valid_from, geom, area_m2, import_batch_id)
                SELECT 'kreis', k.key, k.name, DATE '2000-01-01', a.geom, a.area_m2, a.import_batch_id
                FROM (VALUES ('01001', 'Flensburg'), ('01002', 'Kiel'), ('02000', 'Hamburg'), ('11000', 'Berlin'))
                     AS k (key, name)
                CROSS JOIN (SELECT geom, area_m2, import_batch_id FROM area WHERE level_code = 'plr'
                            AND valid_to IS NULL ORDER BY key LIMIT 1) a"""))
            for code, kind, unit in (("FF_BEV", "count", "Personen"), ("FF_BEV_W", "count", "Personen"),
                                     ("FF_ALQ", "share", "%")):
                conn.execute(sa.text("""
                    INSERT INTO indicator (code, name_de, name_en, role, kind, unit, direction, aggregation)
                    VALUES (:code, :code, :code, 'context', :kind, :unit, 'neutral', 'none')"""),
                             {"code": code, "kind": kind, "unit": unit})
        yield engine


def stored(engine, indicator: str) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("""
            SELECT a.key, o.period, o.value, o.flag FROM observation_current o JOIN area a ON a.id = o.area_id
            WHERE o.indicator_code = :code AND a.level_code = 'kreis'"""), {"code": indicator}).all()
    return {key: (str(period), value, flag) for key, period, value, flag in rows}


def test_a_kreis_flat_file_is_stored_with_its_values_and_flags(engine, tmp_path):
    options = ObservationImportOptions(level="kreis", layout="ffcsv", columns=COLUMNS)
    with engine.connect() as conn:
        report = import_observations(conn, write(tmp_path, KREISE), options, created_by="test")
    assert report.ok and report.rows_written == 8, [p.as_text() for p in report.problems]
    assert stored(engine, "FF_BEV") == {"01001": ("2022-12-31", 92550.0, None), "01002": ("2022-12-31", 248873.0, None),
                                        "02000": ("2022-12-31", 1892122.0, None),
                                        "11000": ("2022-12-31", 3755251.0, None)}
    assert stored(engine, "FF_BEV_W") == {"01001": ("2022-12-31", 46312.0, None),  # provisional: the batch says so
                                          "01002": ("2022-12-31", None, "unknown_or_secret"),
                                          "02000": ("2022-12-31", None, "unreliable"),
                                          "11000": ("2022-12-31", 0.0, "nil")}
    with engine.connect() as conn:
        batch = conn.execute(sa.text("SELECT options, report FROM import_batch WHERE id = :id"),
                             {"id": report.batch_id}).one()
    assert batch.options["layout"] == "ffcsv"  # as given, not the long table it was read as
    assert any(w["value"] == "p" and "provisional" in w["message"] for w in batch.report["warnings"])


def test_the_previous_layout_is_stored_with_its_decimal_commas(engine, tmp_path):
    options = ObservationImportOptions(level="kreis", layout="ffcsv",
                                       columns={"Bevoelkerungsstand": "FF_BEV", "ALQ001": "FF_ALQ"})
    with engine.connect() as conn:
        report = import_observations(conn, write(tmp_path, PREVIOUS, "13211-0001_de_flat.csv"), options,
                                     created_by="test")
    assert report.ok and report.rows_written == 8, [p.as_text() for p in report.problems]
    assert stored(engine, "FF_ALQ") == {"01001": ("2021-12-31", 8.9, None), "01002": ("2021-12-31", 7.8, None),
                                        "02000": ("2021-12-31", None, "unknown_or_secret"),
                                        "11000": ("2021-12-31", 9.2, None)}


def test_a_dry_run_reports_what_would_change_and_writes_nothing(engine, tmp_path):
    text = KREISE.replace("2022-12-31", "2023-12-31")
    before = table_fingerprint(engine)
    with engine.connect() as conn:
        report = import_observations(conn, write(tmp_path, text), ObservationImportOptions(
            level="kreis", layout="ffcsv", columns=COLUMNS), dry_run=True)
    assert report.ok and report.dry_run and report.rows_written == 8 and report.batch_id is None
    assert table_fingerprint(engine) == before


def test_an_import_with_an_error_stores_nothing_and_names_the_line(engine, tmp_path):
    text = KREISE.replace("248873", "zwei")
    before = table_fingerprint(engine)
    with engine.connect() as conn:
        report = import_observations(conn, write(tmp_path, text), ObservationImportOptions(
            level="kreis", layout="ffcsv", columns=COLUMNS), created_by="test")
    assert not report.ok and table_fingerprint(engine) == before
    problem = next(p for p in report.errors if p.value == "zwei")
    assert problem.row == 6 and problem.column == "value" and problem.message_de
