"""The bad-input corpus: every malformed or implausible file is refused with a message that names the row (and
column) and the fix, and leaves the database exactly as before, through the import functions (CLI path) and through
HTTP (never a 500, never a traceback). Implausible: coordinates in another CRS than the file says or with swapped
axes, infinite coordinates, a bow-tie outline, overlapping siblings, "1.709" in a file that does not say whether
'.' is its thousands or its decimal separator, a fractional count, a period in the future, and a small workbook
that inflates to a million rows."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo.boundaries import BoundaryImportOptions, import_boundaries
from geo.import_report import ImportLimits
from indicators.ingest.observations import ObservationImportOptions, import_observations
from service.app import create_app
from service.auth import create_token
from tests.conftest import bearer, make_settings, private_engine, table_fingerprint

BAD = Path(__file__).resolve().parent / "data" / "bad"
LONG = {"level": "plr"}
WIDE = {"level": "plr", "layout": "wide", "key_column": "PLR_ID", "period": "2022-12-31"}
BEZ = {"level": "bez", "key_field": "id", "name_field": "name", "parent_key": "11", "valid_from": "2025-01-01"}
PLR = {"level": "plr", "key_field": "id", "name_field": "name", "parent_key_length": "6", "valid_from": "2025-01-01"}

# file, options, words the first matching error must contain, its row (None: the whole file), its column
OBSERVATION_CASES = [
    ("wrong_separator.csv", LONG, "column separator", 1, None),
    ("mixed_encodings.csv", LONG, "mixes encodings", 5, None),
    ("unknown_area_key.csv", LONG, "unknown area key", 3, "area"),
    ("keys_read_as_numbers.csv", LONG, "lost its leading zero", 2, "area"),
    ("unknown_indicator.csv", LONG, "unknown indicator", 3, "indicator"),
    ("text_in_numeric_column.csv", LONG, "text in a number column", 3, "value"),
    ("share_above_100.csv", LONG, "share outside 0-100", 3, "value"),
    ("negative_count.csv", LONG, "negative count", 3, "value"),
    ("numerator_above_denominator.csv", LONG, "numerator exceeds the denominator", 3, "value"),
    ("duplicate_rows_different_values.csv", LONG, "different values", 4, None),
    ("empty.csv", LONG, "empty", None, None),
    ("header_only.csv", LONG, "no data rows", None, None),
    ("only_blank_lines.csv", LONG, "no rows", None, None),
    ("formula_in_key.csv", LONG, "formula", 3, "area"),
    ("formula_in_value.csv", LONG, "formula", 3, "value"),
    ("sql_fragment_in_key.csv", LONG, "unknown area key", 3, "area"),
    ("sql_fragment_in_indicator.csv", LONG, "unknown indicator", 3, "indicator"),
    ("ragged_rows.csv", LONG, "ragged", 3, None),
    ("unbalanced_quote.csv", LONG, "ragged", 3, None),
    ("unreadable_period.csv", LONG, "cannot read the period", 3, "period"),
    ("impossible_date.csv", LONG, "cannot read the period", 3, "period"),
    ("missing_value_column.csv", LONG, "column 'value' is missing", 1, "value"),
    ("duplicate_header.csv", LONG, "repeats the columns", 1, None),
    ("not_a_number_inf.csv", LONG, "text in a number column", 2, "value"),
    ("empty_area_key.csv", LONG, "area key is empty", 3, "area"),
    ("binary_file.csv", LONG, "binary", None, None),
    ("not_really.xlsx", LONG, "cannot read the workbook", None, None),
    ("wide_without_indicator_columns.csv", WIDE, "no column is named like a known indicator", 1, None),
    ("ambiguous_thousands_separator.csv", LONG, "'1.709' may be 1709", 3, "value"),
    ("fractional_count.csv", LONG, "count with a fractional part", 3, "value"),
    ("future_period.csv", LONG, "the period 2099-12-31 lies in the future", 3, "period"),
]
BOUNDARY_CASES = [
    ("boundaries_collapsed_self_intersection.geojson", BEZ, "intersects itself", 2, None),
    ("boundaries_points.geojson", BEZ, "not a polygon", 1, None),
    ("boundaries_duplicate_keys.geojson", BEZ, "occurs 2 times", 1, "id"),
    ("boundaries_numeric_keys.geojson", BEZ, "stored as a number", None, "id"),
    ("boundaries_missing_key_field.geojson", BEZ, "key field 'id' is missing", None, "id"),
    ("boundaries_missing_parent.geojson", PLR, "does not exist on level 'bzr'", 1, None),
    ("boundaries_truncated.geojson", BEZ, "cannot read the file as geodata", None, None),
    ("boundaries_sql_in_key.geojson", BEZ, "characters that official area keys never have", 1, "id"),
    ("shapefile_without_crs.zip", BEZ, "declares no coordinate reference system", None, None),
    ("zip_without_shp.zip", BEZ, "contains no .shp", None, None),
    ("zip_shp_without_dbf.zip", BEZ, "but not .dbf", None, None),
    ("not_a_zip.zip", BEZ, "not a valid ZIP", None, None),
    ("boundaries_utm33_without_crs.geojson", BEZ, "coordinates look like EPSG:25833, but the file's CRS is EPSG:4326",
     None, "crs"),
    ("boundaries_wrong_declared_crs.geojson", BEZ, "coordinates look like EPSG:25833, but the file's CRS is EPSG:32642",
     None, "crs"),
    ("boundaries_lat_lon_swapped.geojson", BEZ, "latitude/longitude look swapped", None, "crs"),
    ("boundaries_infinite_coordinate.fgb", BEZ, "not finite numbers", 1, None),
    ("boundaries_bow_tie.geojson", BEZ, "repairing it would change its area", 1, None),
    ("boundaries_overlapping_siblings.geojson", BEZ, "areas 13 and 14 overlap by 500,000 m²", None, None),
]
GENERATED = ["single_line_10mb.csv", "zip_bomb.zip", "million_rows.xlsx"]


@pytest.fixture(scope="module")
def engine(pg_server, demo_template):
    with private_engine(pg_server, demo_template, "dm_test_bad") as engine:
        yield engine


@pytest.fixture(scope="module")
def api(engine):
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        yield client


@pytest.fixture(scope="module")
def steward(engine) -> dict[str, str]:
    return bearer(engine, "statistics_office", "test-steward")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    """The two corpus files too big to commit: a 10 MB single line and a ZIP bomb (tiny archive, huge content)."""
    folder = tmp_path_factory.mktemp("bad")
    line = folder / "single_line_10mb.csv"
    line.write_bytes(b"area;indicator;period;value" + b";0" * (5 * 1024 * 1024))
    bomb = folder / "zip_bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bezirke.shp", b"\0" * (20 * 1024 * 1024))
        archive.writestr("bezirke.shx", b"\0" * 100)
        archive.writestr("bezirke.dbf", b"\0" * 100)
    return {"single_line_10mb.csv": line, "zip_bomb.zip": bomb,
            "million_rows.xlsx": workbook_with_rows(folder / "million_rows.xlsx", 1_000_000)}


def workbook_with_rows(path: Path, rows: int, declare: bool = True) -> Path:
    """A minimal .xlsx (written by hand, as an attacker would) whose sheet holds `rows` identical rows of
    area/indicator/period/value: a million of them deflate to about 600 KB. `declare` writes the sheet's
    dimension; without it only reading can find out how many rows there are."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    text = "".join
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", text([
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">',
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>',
            '<Default Extension="xml" ContentType="application/xml"/>',
            '<Override PartName="/xl/workbook.xml" ',
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>',
            '<Override PartName="/xl/worksheets/sheet1.xml" ',
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>']))
        archive.writestr("_rels/.rels", f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
                         f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                         '<sheet name="Werte" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
                         f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')

        def row(*cells: str) -> bytes:
            return text(["<row>"] + [f'<c t="inlineStr"><is><t>{c}</t></is></c>' for c in cells] + ["</row>"]).encode()

        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            dimension = f'<dimension ref="A1:D{rows + 1}"/>' if declare else ""
            sheet.write(f'<worksheet xmlns="{main}">{dimension}<sheetData>'.encode())
            sheet.write(row("area", "indicator", "period", "value"))
            for start in range(0, rows, 100_000):
                sheet.write(row("01100101", "EW", "2022-12-31", "1") * min(100_000, rows - start))
            sheet.write(b"</sheetData></worksheet>")
    return path


def observation_options(options: dict) -> ObservationImportOptions:
    return ObservationImportOptions(**options)


def boundary_options(options: dict) -> BoundaryImportOptions:
    values = dict(options)
    values["valid_from"] = date.fromisoformat(values["valid_from"])
    if "parent_key_length" in values:
        values["parent_key_length"] = int(values["parent_key_length"])
    return BoundaryImportOptions(**values)


def run_direct(engine, path: Path, options: dict, kind: str):
    with engine.connect() as conn:
        if kind == "observations":
            return import_observations(conn, path, observation_options(options))
        return import_boundaries(conn, path, boundary_options(options))


def matching_error(errors, words: str):
    found = [p for p in errors if words in p.message]
    assert found, f"no error says {words!r}: {[p.as_text() for p in errors]}"
    return found[0]


def test_the_corpus_has_at_least_thirty_malformed_files():
    committed = {p.name for p in BAD.iterdir() if p.is_file()}
    assert len(committed) + len(GENERATED) >= 30
    assert committed == {c[0] for c in OBSERVATION_CASES + BOUNDARY_CASES}, "every file has a test case"


CASES = [(*c, "observations") for c in OBSERVATION_CASES] + [(*c, "boundaries") for c in BOUNDARY_CASES]


@pytest.mark.parametrize("name, options, words, row, column, kind", CASES, ids=[c[0] for c in CASES])
def test_bad_file_is_refused_naming_row_and_fix_and_the_database_is_unchanged(engine, name, options, words, row,
                                                                             column, kind):
    before = table_fingerprint(engine)
    report = run_direct(engine, BAD / name, options, kind)
    assert not report.ok and report.batch_id is None
    problem = matching_error(report.errors, words)
    assert problem.row == row and problem.file == name
    if column is not None:
        assert problem.column == column
    assert problem.fix and len(problem.fix) > 10
    assert table_fingerprint(engine) == before


@pytest.mark.parametrize("name, options, words, row, column, kind", CASES, ids=[c[0] for c in CASES])
def test_bad_file_over_http_is_a_problem_report_never_a_500(api, steward, engine, name, options, words, row, column,
                                                             kind):
    before = table_fingerprint(engine)
    with open(BAD / name, "rb") as handle:
        response = api.post(f"/api/imports/{kind}", files={"file": (name, handle)}, data=options, headers=steward)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text
    report = response.json()["report"]
    problem = next(p for p in report["problems"] if words in p["message"])
    assert problem["row"] == row and problem["fix"] and problem["file"] == name
    assert table_fingerprint(engine) == before


def test_a_10_mb_single_line_is_refused_without_reading_it_as_a_table(engine, api, steward, generated):
    before = table_fingerprint(engine)
    report = run_direct(engine, generated["single_line_10mb.csv"], LONG, "observations")
    problem = matching_error(report.errors, "bytes long")
    assert problem.row == 1 and "line breaks" in problem.fix
    with open(generated["single_line_10mb.csv"], "rb") as handle:
        response = api.post("/api/imports/observations", files={"file": ("line.csv", handle)}, data=LONG,
                            headers=steward)
    assert response.status_code == 422 and "bytes long" in response.text
    assert table_fingerprint(engine) == before


def test_a_zip_bomb_is_refused_before_unpacking(engine, api, steward, generated):
    before = table_fingerprint(engine)
    report = run_direct(engine, generated["zip_bomb.zip"], BEZ, "boundaries")
    matching_error(report.errors, "would unpack to")
    with open(generated["zip_bomb.zip"], "rb") as handle:
        response = api.post("/api/imports/boundaries", files={"file": ("bomb.zip", handle)}, data=BEZ, headers=steward)
    assert response.status_code == 422 and "would unpack to" in response.text
    assert table_fingerprint(engine) == before


def test_a_small_workbook_that_inflates_to_a_million_rows_is_refused_before_it_is_parsed(engine, api, steward,
                                                                                       generated):
    path = generated["million_rows.xlsx"]
    assert path.stat().st_size < 1 << 20  # what arrives is small
    before = table_fingerprint(engine)
    report = run_direct(engine, path, LONG, "observations")
    problem = matching_error(report.errors, "the workbook unpacks to 180,001,535 bytes")  # its ZIP directory says so
    assert "CSV" in problem.fix and "DM_MAX_XLSX_BYTES" in problem.fix and problem.message_de
    with engine.connect() as conn:  # allowed to unpack that far, the sheet's declared dimension refuses it
        report = import_observations(conn, path, observation_options(LONG), limits=ImportLimits(max_xlsx_bytes=1 << 30))
    matching_error(report.errors, "more than the 100,000 rows accepted (it declares 1,000,001)")
    with open(path, "rb") as handle:
        response = api.post("/api/imports/observations", files={"file": ("werte.xlsx", handle)}, data=LONG,
                            headers=steward)
    assert response.status_code == 422 and "unpacks to" in response.json()["detail"]
    assert table_fingerprint(engine) == before


def test_a_workbook_that_hides_its_size_is_read_only_up_to_the_row_limit(engine, tmp_path, steward):
    """No declared dimension (or a wrong one): the rows are streamed, and reading stops at the limit."""
    path = workbook_with_rows(tmp_path / "verschwiegen.xlsx", 5_000, declare=False)
    before = table_fingerprint(engine)
    with engine.connect() as conn:
        report = import_observations(conn, path, observation_options(LONG), limits=ImportLimits(max_xlsx_rows=1_000))
    problem = matching_error(report.errors, "more than the 1,000 rows accepted")
    assert "declares" not in problem.message
    with TestClient(create_app(make_settings(max_xlsx_rows=1_000), engine=engine)) as small, \
            open(path, "rb") as handle:
        response = small.post("/api/imports/observations", files={"file": ("werte.xlsx", handle)}, data=LONG,
                              headers=steward)
    assert response.status_code == 422 and "1,000 rows accepted" in response.json()["detail"]
    with engine.connect() as conn:
        unpacked = import_observations(conn, path, observation_options(LONG),
                                       limits=ImportLimits(max_xlsx_bytes=10_000))
    matching_error(unpacked.errors, "the workbook unpacks to")
    assert table_fingerprint(engine) == before


def test_an_upload_above_the_limit_is_refused_with_413(engine, steward):
    settings = make_settings(max_upload_bytes=64 * 1024)
    with TestClient(create_app(settings, engine=engine)) as small:
        response = small.post("/api/imports/observations", files={"file": ("big.csv", b"a;b\n" * 40_000)},
                              data=LONG, headers=steward)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("fields, field", [
    ({**LONG, "sheet_name": "x"}, "sheet_name"),
    ({"layout": "long"}, "level"),
    ({**LONG, "layout": "diagonal"}, "layout"),
    ({**LONG, "missing": "-9999"}, "missing"),
    ({**LONG, "missing": "-9999=vielleicht"}, "missing"),
    ({**LONG, "boundaries_at": "gestern"}, "boundaries_at"),
    ({**LONG, "separator": "::"}, "separator"),
    ({**LONG, "encoding": "klingonisch"}, "encoding"),
    ({**LONG, "dry_run": "vielleicht"}, "dry_run"),
    ({**LONG, "thousands": "'"}, "thousands"),
    ({**LONG, "decimal": ".", "thousands": "."}, "thousands"),
    ({**LONG, "allow_future_periods": "vielleicht"}, "allow_future_periods"),
])
def test_unknown_or_malformed_options_are_a_400_naming_the_field(api, steward, engine, fields, field):
    before = table_fingerprint(engine)
    response = api.post("/api/imports/observations", files={"file": ("x.csv", b"area;indicator;period;value\n")},
                        data=fields, headers=steward)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field and field in response.json()["detail"]
    assert table_fingerprint(engine) == before


@pytest.mark.parametrize("fields, field", [
    ({**BEZ, "valid_from": "2025-13-01"}, "valid_from"),
    ({**BEZ, "crs": "EPSG:999999"}, "crs"),
    ({**BEZ, "parent_key_length": "drei"}, "parent_key_length"),
    ({**BEZ, "parent_field": "p"}, "parent_key"),
    ({"level": "bez"}, "key_field"),
    ({**BEZ, "allow_overlaps": "gern"}, "allow_overlaps"),
    ({**BEZ, "allow_gaps": "2"}, "allow_gaps"),
])
def test_bad_boundary_options_are_a_400_naming_the_field(api, steward, fields, field):
    response = api.post("/api/imports/boundaries", files={"file": ("x.geojson", b"{}")}, data=fields, headers=steward)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field


def test_imports_need_the_statistics_office(api, engine):
    files = {"file": ("x.csv", b"area;indicator;period;value\n01100101;S1;2022-12-31;5\n")}
    assert api.post("/api/imports/observations", files=files, data=LONG).status_code == 401
    for role in ("editor", "data_steward"):
        with engine.begin() as conn:
            _id, token = create_token(conn, f"test-{role}", role, created_by="test")
        response = api.post("/api/imports/observations", files=files, data=LONG,
                            headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403, role


def test_requests_without_a_file_are_a_400(api, steward):
    assert api.post("/api/imports/observations", data=LONG, headers=steward).status_code == 400
    assert api.post("/api/imports/observations?level=plr", content=b"x", headers=steward).status_code == 400
    response = api.post("/api/imports/observations", files={"datei": ("x.csv", b"a;b\n1;2\n")}, data=LONG,
                        headers=steward)
    assert response.status_code == 400 and response.json()["field"] == "datei"


GOOD_LONG = ("area;indicator;period;value;numerator;denominator\n" + "".join(
    f"0110010{i};S1;2022-12-31;{i},5;{i};200\n" for i in range(1, 5)) + "01100205;EW;31.12.2022;1.234\n").encode()


@pytest.mark.parametrize("seed", range(25))
def test_mutated_files_over_http_are_answered_without_a_500(api, steward, seed):
    """Random damage to a valid file (flipped bytes, cut rows, stray quotes and separators, other encodings)."""
    import random

    rng = random.Random(seed)
    data = bytearray(GOOD_LONG)
    for _ in range(rng.randint(1, 6)):
        choice = rng.random()
        position = rng.randrange(len(data))
        if choice < 0.3:
            data[position] = rng.randrange(256)
        elif choice < 0.5:
            data[position:position] = rng.choice([b'"', b";", b"\n", b"\r", b"\x00", b"=", b"\xe4", b"\xc3"])
        elif choice < 0.7:
            del data[position:position + rng.randint(1, 30)]
        else:
            data[position:position] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
    response = api.post("/api/imports/observations?dry_run=true", files={"file": ("kaputt.csv", bytes(data))},
                        data={"level": "plr"}, headers=steward)
    assert response.status_code in (200, 422), response.text
    assert "Traceback" not in response.text
    if response.status_code == 422:
        assert all(p["fix"] for p in response.json()["report"]["problems"])
