"""The address register: a municipality's addresses with the area each lies in (for the search box), as a
validated, atomic import.

A register delivery is a table (CSV, optionally gzip-compressed) of street, house number, suffix, postcode,
locality and the key of the area the address lies in, on one level. Everything is read as text (house numbers
and postcodes have leading zeros and letters). The import checks the columns, empty streets and numbers and
that every key is an area of the level valid today, then replaces the level's register in one transaction
(a dry run or any error writes nothing; the same file again changes nothing). Exact duplicate addresses are
kept once and reported; the same address with two areas is an error (one of them is wrong).
Must not know about indicators.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.import_report import (BeforeCommit, ImportFailed, ImportLimits, ImportReport, file_sha256, finish_batch,
                               reader_message, record_batch, refuse_oversized, run_in_import_transaction)
from geo.versions import valid_at

MAX_ROWS_LISTED = 20
COLUMNS = ("street", "house_number", "suffix", "postcode", "locality", "area_key")  # the register's own names
COLUMNS_DE = {"street": "Straße", "house_number": "Hausnummer", "suffix": "Hausnummernzusatz",
              "postcode": "Postleitzahl", "locality": "Ort", "area_key": "Gebietsschlüssel"}  # for German reports
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class AddressImportOptions:
    """Which column of the file holds what; `level` is the level of the area keys."""

    level: str
    street_field: str = "street"
    number_field: str = "house_number"
    area_field: str = "area_key"
    suffix_field: str | None = None
    postcode_field: str | None = None
    locality_field: str | None = None
    separator: str = ","

    def fields(self) -> dict[str, str | None]:
        return {"street": self.street_field, "house_number": self.number_field, "suffix": self.suffix_field,
                "postcode": self.postcode_field, "locality": self.locality_field, "area_key": self.area_field}


def import_addresses(conn: Connection, path: Path, options: AddressImportOptions, *, dry_run: bool = False,
                     created_by: str = "cli", display_name: str | None = None, progress: Progress | None = None,
                     before_commit: BeforeCommit | None = None,
                     limits: ImportLimits = ImportLimits()) -> ImportReport:
    """Validate and (unless dry_run or on error) replace the address register of `options.level`."""
    report = ImportReport(kind="addresses", file=display_name or path.name, dry_run=dry_run)
    step = progress or (lambda _what, _done, _total: None)
    if refuse_oversized(path.stat().st_size, limits, report, "split the register or compress it (.csv.gz)",
                        "das Verzeichnis aufteilen oder komprimieren (.csv.gz)"):
        return report
    frame = _read(path, options, report)
    if frame is None:
        return report
    report.sha256 = file_sha256(path)
    report.rows_read = len(frame)
    step("read", 1, 4)
    frame = _validate(frame, report)

    def work() -> None:  # staged and checked against the areas even after errors: one report with every problem
        _stage(conn, frame[frame["street"] != ""])
        step("staged", 2, 4)
        _check_areas(conn, options.level, report)
        if not report.ok:
            raise ImportFailed(report)
        step("checked", 3, 4)
        report.batch_id = record_batch(conn, report, created_by, asdict(options))
        _apply(conn, options.level, report)
        finish_batch(conn, report)
        step("stored", 4, 4)

    return run_in_import_transaction(conn, report, work, dry_run=dry_run,
                                     unchanged_note="nothing changed: the register is stored as delivered",
                                     before_commit=before_commit)


def _read(path: Path, options: AddressImportOptions, report: ImportReport) -> pd.DataFrame | None:
    """The file's columns under the register's own names, all text, or None with the problem reported."""
    if not path.name.lower().endswith((".csv", ".csv.gz", ".txt")):
        report.error(f"{path.name} is not a CSV file", "deliver the register as .csv or .csv.gz",
                     message_de=f"{path.name} ist keine CSV-Datei",
                     fix_de="das Adressverzeichnis als .csv oder .csv.gz liefern")
        return None
    try:
        raw = pd.read_csv(path, sep=options.separator, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                          compression="infer")
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        report.error(f"the file cannot be read as CSV: {reader_message(exc, path, report.file)}",
                     "save it as UTF-8 CSV with a header row (separator: --separator)",
                     message_de=f"die Datei ist als CSV nicht lesbar: {reader_message(exc, path, report.file)}",
                     fix_de="als UTF-8-CSV mit Kopfzeile speichern (Trennzeichen: --separator)")
        return None
    wanted = {column: source for column, source in options.fields().items() if source}
    missing = [source for source in wanted.values() if source not in raw.columns]
    for source in missing:
        name = next(column for column, given in wanted.items() if given == source)
        report.error(f"column {source!r} ({name}) is not in the file; it has {', '.join(map(repr, raw.columns))}",
                     f"name the column that holds the {name.replace('_', ' ')} (option {name}_field)",
                     column=source,
                     message_de=f"die Spalte {source!r} ({COLUMNS_DE.get(name, name)}) fehlt in der Datei; sie hat "
                                f"{', '.join(map(repr, raw.columns))}",
                     fix_de=f"die Spalte mit {COLUMNS_DE.get(name, name)} angeben (Option {name}_field)")
    if missing:
        return None
    frame = pd.DataFrame({column: raw[source].str.strip() if source else "" for column, source in
                          ((c, wanted.get(c)) for c in COLUMNS)})
    frame.insert(0, "row", range(1, len(frame) + 1))
    return frame


def _validate(frame: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    for column, fix, fix_de in (
            ("street", "fill in the street or remove the row",  # a number may be empty: squares
             "die Straße eintragen oder die Zeile entfernen"),
            ("area_key", "fill in the key of the area the address lies in",
             "den Schlüssel des Gebiets eintragen, in dem die Adresse liegt")):
        empty = frame[frame[column] == ""]
        for row in empty["row"][:MAX_ROWS_LISTED]:
            report.error(f"no {column.replace('_', ' ')}", fix, row=int(row), column=column,
                         message_de=f"{COLUMNS_DE[column]} fehlt", fix_de=fix_de)
        if len(empty) > MAX_ROWS_LISTED:
            report.error(f"{len(empty) - MAX_ROWS_LISTED} more rows without {column.replace('_', ' ')}", fix,
                         column=column, message_de=f"{len(empty) - MAX_ROWS_LISTED} weitere Zeilen ohne "
                                                   f"{COLUMNS_DE[column]}", fix_de=fix_de)
    address = ["street", "house_number", "suffix", "postcode"]
    twice = frame[frame.duplicated(address, keep=False)]
    if not twice.empty:
        areas = twice.groupby(address)["area_key"].nunique()
        for key, group in list(twice.groupby(address))[:MAX_ROWS_LISTED]:
            text = " ".join(part for part in (key[0], key[1] + key[2], key[3]) if part)
            rows = ", ".join(str(r) for r in group["row"][:5])
            if areas[key] > 1:
                report.error(f"address {text} lies in {areas[key]} areas ({', '.join(sorted(set(group['area_key'])))}"
                             f"; rows {rows})", "keep the row with the right area", row=int(group["row"].iloc[0]),
                             value=text, message_de=f"die Adresse {text} liegt in {areas[key]} Gebieten "
                                                    f"({', '.join(sorted(set(group['area_key'])))}; Zeilen {rows})",
                             fix_de="die Zeile mit dem richtigen Gebiet behalten")
            else:
                report.warning(f"address {text} occurs {len(group)} times (rows {rows})", "kept once",
                               row=int(group["row"].iloc[0]), value=text,
                               message_de=f"die Adresse {text} kommt {len(group)}-mal vor (Zeilen {rows})",
                               fix_de="einmal übernommen")
    return frame.drop_duplicates(address)


def _stage(conn: Connection, frame: pd.DataFrame) -> None:
    conn.execute(sa.text("""
        CREATE TEMP TABLE staging_address (row integer, street text, house_number text, suffix text, postcode text,
                                           locality text, area_key text) ON COMMIT DROP"""))
    raw = conn.connection.driver_connection
    columns = ", ".join(("row", *COLUMNS))
    with raw.cursor() as cursor, cursor.copy(f"COPY staging_address ({columns}) FROM STDIN") as copy:
        for record in frame[["row", *COLUMNS]].itertuples(index=False, name=None):
            copy.write_row(record)


def _check_areas(conn: Connection, level: str, report: ImportReport) -> None:
    if not conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM area_level WHERE code = :level)"),
                        {"level": level}).scalar_one():
        report.error(f"there is no area level {level!r}", "name a level that exists (district-monitor level list)",
                     message_de=f"es gibt keine Gebietsebene {level!r}",
                     fix_de="eine vorhandene Ebene angeben (district-monitor level list)")
        return
    unknown = conn.execute(sa.text(f"""
        SELECT s.area_key, min(s.row) AS first_row, count(*) AS rows FROM staging_address s
        WHERE NOT EXISTS (SELECT 1 FROM area a WHERE a.level_code = :level AND a.key = s.area_key
                          AND {valid_at("a", "CURRENT_DATE")})
        GROUP BY s.area_key ORDER BY min(s.row)"""), {"level": level}).all()
    for key, first_row, rows in unknown[:MAX_ROWS_LISTED]:
        report.error(f"area {key!r} is not an area of level {level!r} valid today ({rows} address(es))",
                     "correct the key, or import the boundaries of the level first", row=first_row,
                     column="area_key", value=key,
                     message_de=f"{key!r} ist kein heute gültiges Gebiet der Ebene {level!r} ({rows} Adresse(n))",
                     fix_de="den Schlüssel korrigieren oder zuerst die Gebietsgrenzen der Ebene importieren")
    if len(unknown) > MAX_ROWS_LISTED:
        report.error(f"{len(unknown) - MAX_ROWS_LISTED} more unknown area keys",
                     "correct the keys, or import the boundaries of the level first", column="area_key",
                     message_de=f"{len(unknown) - MAX_ROWS_LISTED} weitere unbekannte Gebietsschlüssel",
                     fix_de="die Schlüssel korrigieren oder zuerst die Gebietsgrenzen der Ebene importieren")


def _apply(conn: Connection, level: str, report: ImportReport) -> None:
    """Replace the level's register by the staged one; nothing is written when both are the same."""
    params = {"level": level, "batch": report.batch_id}
    staged = "SELECT street, house_number, suffix, postcode, locality, area_key FROM staging_address"
    stored = ("SELECT street, house_number, suffix, postcode, locality, area_key FROM address "
              "WHERE level_code = :level")
    added = conn.execute(sa.text(f"SELECT count(*) FROM ({staged} EXCEPT {stored}) d"), params).scalar_one()
    gone = conn.execute(sa.text(f"SELECT count(*) FROM ({stored} EXCEPT {staged}) d"), params).scalar_one()
    report.rows_unchanged = conn.execute(sa.text("SELECT count(*) FROM staging_address")).scalar_one() - added
    if added == 0 and gone == 0:
        return
    conn.execute(sa.text("""
        DELETE FROM address a WHERE a.level_code = :level AND NOT EXISTS (
            SELECT 1 FROM staging_address s
            WHERE (s.street, s.house_number, s.suffix, s.postcode, s.locality, s.area_key)
                = (a.street, a.house_number, a.suffix, a.postcode, a.locality, a.area_key))"""), params)
    report.rows_written = conn.execute(sa.text("""
        INSERT INTO address (level_code, area_key, street, house_number, suffix, postcode, locality, import_batch_id)
        SELECT :level, s.area_key, s.street, s.house_number, s.suffix, s.postcode, s.locality, :batch
        FROM staging_address s
        WHERE NOT EXISTS (SELECT 1 FROM address a WHERE a.level_code = :level
            AND (a.street, a.house_number, a.suffix, a.postcode, a.locality, a.area_key)
                = (s.street, s.house_number, s.suffix, s.postcode, s.locality, s.area_key))"""), params).rowcount
    report.rows_superseded = gone


def register_size(conn: Connection) -> dict[str, int]:
    """Addresses per level."""
    return {level: count for level, count in conn.execute(sa.text(
        "SELECT level_code, count(*) FROM address GROUP BY level_code ORDER BY level_code"))}
