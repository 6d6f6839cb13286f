"""Tables as the statistical offices export them from GENESIS (indicators.ingest.genesis): title block, header
rows, region rows with their parents, footnotes. Region keys are matched to a level's keys by the official key
structure; rows without an area of the level are skipped and counted, a Gemeinde listed under two Verbände is
read from the row that has its value, and problems name the file's own line."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.import_report import ImportReport
from indicators.ingest.genesis import match_keys, read_genesis
from indicators.ingest.observation_rows import IndicatorRule, to_long
from indicators.ingest.options import ObservationImportOptions, genesis_as_long

# The shape of 12411-01-01-5 (Gemeinden): Dahlum (03158007) moved from Samtgemeinde Schöppenstedt (405) to
# Elm-Asse (407) in 2015 and is listed under both, with "-" where it belonged to the other.
GEMEINDEN = """GENESIS-Tabelle: 12411-01-01-5
Bevölkerungsstand: Bevölkerung nach Geschlecht;;;;;;
- Stichtag 31.12. -;;;;;;
regionale Tiefe: Gemeinden, Samt-/Verbandsgemeinden;;;;;;
;;31.12.2015;31.12.2015;31.12.2014;31.12.2014
;;Insgesamt;weiblich;Insgesamt;weiblich
DG;Deutschland;82175684;41661561;81197537;41362080
01;  Schleswig-Holstein;2858714;1459256;2830864;1449413
01051;      Dithmarschen, Landkreis;132917;67405;132685;67535
01051001;        Albersdorf;3482;1807;3470;1791
02;  Hamburg;1787408;914346;1762791;905345
03;  Niedersachsen;7926599;4016883;7826739;3969640
03158;      Wolfenbüttel, Landkreis;120845;61642;120589;61521
03158405;        Samtgemeinde Schöppenstedt;-;-;9283;4691
03158405007;        Dahlum;-;-;670;338
03158407;        Samtgemeinde Elm-Asse;18809;9485;-;-
03158407007;        Dahlum;656;333;-;-
11;  Berlin;3520031;1793498;3469849;1773631
11001;        Berlin-Mitte;.;.;.;.
__________
"Erläuterung: Gebietsstand 31.12.2015"
"© Statistische Ämter des Bundes und der Länder, Deutschland, 2017."
"""
GEMEINDE_KEYS = {"01051001", "02000000", "03158007", "11000000"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "12411-01-01-5_00.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_region_rows_are_matched_to_the_gemeinden_by_the_official_key_structure():
    keys = ["DG", "01", "01051", "01051001", "02", "03", "03158", "03158405", "03158405007", "0713101001", "11",
            "11001"]
    matched, skipped = match_keys(keys, 8, GEMEINDE_KEYS | {"07131001"})
    assert dict(zip(keys, matched)) == {
        "DG": None, "01": None, "01051": None, "01051001": "01051001",
        "02": "02000000",  # Hamburg: Land, Kreis and Gemeinde at once
        "03": None, "03158": None, "03158405": None,  # a Samtgemeinde is no Gemeinde
        "03158405007": "03158007", "0713101001": "07131001",  # Kreis + Gemeinde number, past the Verband
        "11": "11000000", "11001": None}  # Berlin's Bezirke are no Gemeinden
    assert skipped == {"DG": 1, "2 digits": 2, "5 digits": 3, "8 digits": 1}


def test_a_kreisfreie_stadt_is_its_own_gemeinde_unless_the_table_lists_the_gemeinde():
    assert match_keys(["01001"], 8, {"01001000"})[0] == ["01001000"]
    assert match_keys(["01001", "01001000"], 8, {"01001000"})[0] == [None, "01001000"]


def test_a_gemeinde_table_becomes_long_rows_with_the_files_own_lines(tmp_path):
    report = ImportReport(kind="observations", file="12411-01-01-5_00.csv")
    found = read_genesis(write(tmp_path, GEMEINDEN), report, key_length=8, level_keys=GEMEINDE_KEYS,
                         columns={"Insgesamt": "BEV", "weiblich": "BEV_W"})
    assert found is not None and report.ok, [p.as_text() for p in report.problems]
    frame = found.table.frame
    rows = {(k, p, i): (v, int(found.table.lines[n])) for n, (k, p, i, v) in enumerate(frame.itertuples(index=False))}
    assert rows[("01051001", "31.12.2015", "BEV")] == ("3482", 10)
    assert rows[("02000000", "31.12.2014", "BEV_W")] == ("905345", 11)
    assert rows[("11000000", "31.12.2015", "BEV")] == ("3520031", 18)
    # Dahlum: 2015 from its row under Elm-Asse, 2014 from its row under Schöppenstedt, no "-" left
    assert rows[("03158007", "31.12.2015", "BEV")] == ("656", 17)
    assert rows[("03158007", "31.12.2014", "BEV_W")] == ("338", 15)
    assert len(frame) == 4 * 4 and not frame["value"].isin(["-"]).any()
    assert found.labels == ["Insgesamt", "weiblich", "Insgesamt", "weiblich"]
    note = report.notes[0]
    assert "5 of 13 region rows matched" in note and "4 values of Gemeinden listed under two Verbände" in note


def test_text_in_a_value_cell_is_reported_at_its_line_in_the_file(tmp_path):
    broken = GEMEINDEN.replace("01051001;        Albersdorf;3482;", "01051001;        Albersdorf;drei;")
    report = ImportReport(kind="observations", file="12411-01-01-5_00.csv")
    found = read_genesis(write(tmp_path, broken), report, key_length=8, level_keys=GEMEINDE_KEYS,
                         columns={"Insgesamt": "BEV"})
    options = genesis_as_long(ObservationImportOptions(level="gemeinde", layout="genesis",
                                                       columns={"Insgesamt": "BEV"}))
    rows = to_long(found.table, options, {"BEV": IndicatorRule(code="BEV", kind="count")}, report)
    assert rows is None or not report.ok
    problem = next(p for p in report.problems if p.value == "drei")
    assert problem.row == 10 and problem.column == "value"


@pytest.mark.parametrize("text, wanted, message", [
    ("area;period;value\n01001;2020;5\n", {"Insgesamt": "BEV"}, "not a GENESIS table"),
    (GEMEINDEN, None, "not mapped to indicator codes"),
    (GEMEINDEN, {"Einwohner": "BEV"}, "no value column named 'Einwohner'"),
])
def test_what_cannot_be_read_is_said_in_german_and_english_with_the_fix(tmp_path, text, wanted, message):
    report = ImportReport(kind="observations", file="x.csv")
    assert read_genesis(write(tmp_path, text), report, key_length=8, level_keys=GEMEINDE_KEYS, columns=wanted) is None
    problem = report.problems[0]
    assert message in problem.message and problem.fix and problem.message_de and problem.fix_de
    if wanted:
        assert "Insgesamt" in problem.fix or "GENESIS" in problem.fix


def test_a_table_whose_regions_are_no_areas_of_the_level_is_refused_naming_its_depth(tmp_path):
    report = ImportReport(kind="observations", file="12411-01-01-5_00.csv")
    assert read_genesis(write(tmp_path, GEMEINDEN), report, key_length=12, level_keys={"999999999999"},
                        columns={"Insgesamt": "BEV"}) is None
    problem = report.problems[0]
    assert "no region of the table is an area of this level" in problem.message
    assert "Gemeinden, Samt-/Verbandsgemeinden" in problem.message and problem.fix_de


@pytest.mark.parametrize("source", ["written", "shipped"])
def test_a_genesis_export_imported_as_a_plain_table_is_refused_with_the_layout_that_reads_it(tmp_path, source):
    """Under layout long or wide the title block reads as a one-column header: the user is told what the file
    is and which layout reads it, not that its separator cannot be told."""
    from indicators.ingest.tables import read_table

    path = (write(tmp_path, GEMEINDEN) if source == "written" else
            Path(__file__).resolve().parent.parent / "data/demo/germany/regionalstatistik/12411-01-01-4_00.csv")
    report = ImportReport(kind="observations", file=path.name)
    assert read_table(path, report, text_columns={"area"}) is None
    [problem] = report.errors
    assert problem.row == 1 and problem.value.startswith("GENESIS-Tabelle")
    assert "GENESIS table export (12411-01-01-" in problem.message and "layout genesis" in problem.fix
    assert "GENESIS-Tabellenexport" in problem.message_de and "Layout genesis" in problem.fix_de
    assert "separator" not in problem.message
