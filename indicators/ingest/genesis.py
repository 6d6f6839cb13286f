"""Reading a table as the statistical offices export it from GENESIS (Regionalstatistik, Destatis, the Länder
offices: "Werteabruf" as flat CSV): a title block, header rows, one row per region and a footer with notes and
the licence. The table becomes an ordinary long table (key, period, indicator, value) for the observation import,
which then checks and stores it like any other file.

The shape of such a table, as in data/demo/germany/regionalstatistik/:

    GENESIS-Tabelle: 12411-01-01-5                     <- title block: text in the first column only
    Bevölkerungsstand: Bevölkerung nach Geschlecht;;;;
    ;;31.12.2015;31.12.2015;31.12.2015;31.12.2014;...    <- header rows: empty before the value columns
    ;;Insgesamt;männlich;weiblich;Insgesamt;...
    DG;Deutschland;82175684;40514123;41661561;...        <- data: region key, name, values
    01051001;        Albersdorf;3482;1675;1807;...
    __________                                           <- footer
    "Erläuterung: ..."

or with the period in a leading column ("2016;01001;Flensburg;4495;...") and the measure, its breakdown and its
unit in three header rows. A value column is named by its header cells without the period, joined by " | "
("Insgesamt", "Arbeitslose | Ausländer | Anzahl"); the import's `columns` map these names to indicator codes.

Region keys: the table lists every region of its depth with its parents (Land 2 digits, Regierungsbezirk 3, Kreis
5, Gemeinde 8, Gemeinden in a Verband as Kreis + Verband + Gemeinde number with 10 or 11 digits, the Verband
itself with 7 or 8; flat files of the Zensus 2022 write the 12-digit Regionalschlüssel). A row is matched to an
area of the import's level by the official key structure, in this order: the key itself; Kreis + Gemeinde number
(the first five and the last three digits of a 10-, 11- or 12-digit key); the key filled with zeros to the
level's length, for a region that is its own Kreis or Gemeinde (Berlin, Hamburg, the kreisfreie Städte). Only keys
the level has count; every other row (Länder, Verbände, Berlin's Bezirke, Gemeinden merged since) is skipped and
counted in the report, never joined by guess.

By hand: no library reads GENESIS flat files (pystatis and genesis-online-clients fetch tables from the
online service, which the service cannot reach), and the structure is fixed by the offices' export.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo.import_report import ImportLimits, ImportReport, refuse_oversized
from indicators.ingest.tables import SPECIAL_SYMBOLS, Table, decode_text

REGION_KEY = re.compile(r"^(DG|\d{2,12})$")
PERIOD_CELL = re.compile(r"^(\d\d\.\d\d\.\d{4}|\d{4})$")
LABEL_SEPARATOR = " | "
COLUMNS = ("key", "period", "indicator", "value")  # of the long table made here


@dataclass(frozen=True)
class GenesisTable:
    """What `read_genesis` found: the long table, and how its region keys were matched."""

    table: Table
    labels: list[str]  # the names of the value columns, in the file's order
    skipped: Counter  # rows without an area of the level, by how their key looks ("7 digits", "DG")


def read_genesis(path: Path, report: ImportReport, *, key_length: int, level_keys: Collection[str],
                 columns: dict[str, str] | None, period: str | None = None, encoding: str | None = None,
                 limits: ImportLimits = ImportLimits()) -> GenesisTable | None:
    """The table as long rows (key, period, indicator code, value as written) for the keys of one level;
    None (with the problems in the report) when the file is not a GENESIS table or names no value column
    that `columns` maps. `level_keys` are the level's keys (every boundary version); `key_length` its length;
    `period` the period of value columns whose header names none."""
    if not path.exists():
        report.error("file not found", "check the path", message_de="Datei nicht gefunden", fix_de="den Pfad prüfen")
        return None
    if refuse_oversized(path.stat().st_size, limits, report, "split the table by period before exporting it",
                        "die Tabelle vor dem Export nach Zeitpunkten aufteilen"):
        return None
    text, used = decode_text(path.read_bytes(), encoding, report)
    if text is None:
        return None
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    start = _first_data_row(rows)
    if start is None:
        report.error("no region rows found: this is not a GENESIS table as exported (title, header rows, one row "
                     "per region)", "export the table from GENESIS as 'CSV (flat)' without changing it, or import "
                     "it with layout long or wide",
                     message_de="keine Regionszeilen gefunden: keine GENESIS-Tabelle im Exportformat (Titel, "
                                "Kopfzeilen, eine Zeile je Region)",
                     fix_de="die Tabelle aus GENESIS als „CSV (flach)“ exportieren und unverändert importieren, "
                            "oder als Layout long oder wide importieren")
        return None
    line, key_at = start
    year_column = key_at == 1
    header = [row for row in rows[:line] if row and not any(cell.strip() for cell in row[:key_at + 2])
              and any(cell.strip() for cell in row[key_at + 2:])]
    width = max(len(row) for row in rows[line:line + 50])
    periods, labels = _value_columns(header, key_at + 2, width)
    if not mapped_columns(report, columns, labels):
        return None
    if not year_column and period is None and any(p is None for p, label in zip(periods, labels) if label in columns):
        report.error("a mapped value column has no period (no date or year in its header, no year column)",
                     "give the period of the whole table with period=...", column="period",
                     message_de="eine zugeordnete Wertspalte hat keinen Zeitpunkt (kein Datum oder Jahr im Kopf, "
                                "keine Jahresspalte)",
                     fix_de="den Zeitpunkt der ganzen Tabelle mit period=... angeben")
        return None
    body = _region_rows(rows, line, key_at)
    matched, skipped = match_keys([row[key_at].strip() for _, row in body], key_length, set(level_keys))
    if not any(key is not None for key in matched):
        depth = next((row[0].strip() for row in rows[:line] if row and row[0].startswith("regionale Tiefe")), "")
        refuse_foreign_regions(report, f"{len(body):,} region rows", f"{len(body):,} Regionszeilen", depth)
        return None
    wanted = [j for j, label in enumerate(labels) if label in columns]
    out: dict[str, list] = {name: [] for name in COLUMNS}
    lines: list[int] = []
    for (number, row), key in zip(body, matched):
        if key is None:
            continue
        for j in wanted:
            column = key_at + 2 + j
            out["key"].append(key)
            out["period"].append(row[0].strip() if year_column else periods[j] or period)
            out["indicator"].append(columns[labels[j]])
            out["value"].append(row[column].strip() if column < len(row) else "")
            lines.append(number)
    frame, merged = merge_moved_regions(pd.DataFrame(out, dtype=object), np.asarray(lines, dtype=np.int64))
    lines = frame.pop("line").to_numpy()
    frame = frame.reset_index(drop=True)
    report.notes.append(
        f"GENESIS table: {sum(k is not None for k in matched):,} of {len(body):,} region rows matched to areas; "
        "value columns "
        f"{', '.join(f'{label!r} -> {columns[label]}' for label in dict.fromkeys(labels) if label in columns)}"
        + (f"; skipped: {', '.join(f'{n:,} with {what}' for what, n in sorted(skipped.items()))}" if skipped else "")
        + (f"; {merged:,} values of Gemeinden listed under two Verbände taken from the row that has them"
           if merged else ""))
    table = Table(frame=frame, encoding=used, separator=";", decimal=",", grouped=False,
                  lines=lines)
    return GenesisTable(table=table, labels=labels, skipped=skipped)


NIL = tuple(symbol for symbol, flag in SPECIAL_SYMBOLS.items() if flag == "nil")  # "-", "–"


def mapped_columns(report: ImportReport, columns: dict[str, str] | None, names: Collection[str],
                   shown: list[str] | None = None) -> bool:
    """True when `columns` maps only value columns the table has (`names`); else the problem is reported, with
    the table's names (or `shown`, what to list of them) as the fix. Shared with the flat-file reader
    (indicators.ingest.ffcsv)."""
    listed = shown if shown is not None else sorted(set(names))
    if columns is None:
        report.error("the value columns are not mapped to indicator codes",
                     f"give column=NAME=CODE for the columns wanted; the table has {listed}",
                     column="column", message_de="die Wertspalten sind keinen Indikatorcodes zugeordnet",
                     fix_de=f"column=NAME=CODE für die gewünschten Spalten angeben; die Tabelle hat {listed}")
        return False
    unknown = sorted(set(columns) - set(names))
    if unknown:
        report.error(f"the table has no value column named {unknown[0]!r}",
                     f"use the names of its columns: {listed}", column="column", value=unknown[0],
                     message_de=f"die Tabelle hat keine Wertspalte namens {unknown[0]!r}",
                     fix_de=f"die Namen ihrer Spalten verwenden: {listed}")
        return False
    return True


def refuse_foreign_regions(report: ImportReport, counted: str, counted_de: str, depth: str = "") -> None:
    """Report a table none of whose regions is an area of the import's level: `counted` says how many regions
    it has (in English and German), `depth` what the table says of its regional depth, if anything."""
    report.error(f"no region of the table is an area of this level ({counted}"
                 + (f"; the table's {depth}" if depth else "") + ")",
                 "import it for the level its regions belong to, or load that level's boundaries first",
                 column="level", message_de=f"keine Region der Tabelle ist ein Gebiet dieser Ebene ({counted_de}"
                                            + (f"; {depth}" if depth else "") + ")",
                 fix_de="sie für die Ebene ihrer Regionen importieren oder zuerst deren Grenzen laden")


def merge_moved_regions(frame: pd.DataFrame, lines: np.ndarray) -> tuple[pd.DataFrame, int]:
    """A Gemeinde that moved to another Verband is listed under both, with "-" in the years it belonged to the
    other (e.g. Dahlum, 03158007, Schöppenstedt until 2014, Elm-Asse since). Where one area, period and indicator
    has a value in one row and "-" in the others, the "-" rows are dropped; two different values stay, and the
    import reports them. Returns the rows (with their `line`) and how many were dropped."""
    frame = frame.assign(line=lines)
    nil = frame["value"].isin(NIL)
    cell = ["key", "period", "indicator"]
    repeated = frame.duplicated(cell, keep=False)
    if not repeated.any():
        return frame, 0
    has_value = (~nil).groupby([frame[c] for c in cell]).transform("any")
    drop = repeated & nil & has_value
    # all "-": one row is enough
    drop |= repeated & nil & ~has_value & frame.duplicated(cell, keep="first")
    return frame[~drop], int(drop.sum())


def _first_data_row(rows: list[list[str]]) -> tuple[int, int] | None:
    """(index of the first region row, column of its key): a region key followed by a name, the key in the
    first column or, after a year, in the second."""
    for i, row in enumerate(rows):
        cells = [cell.strip() for cell in row]
        for at in (0, 1):
            if len(cells) > at + 2 and REGION_KEY.match(cells[at]) and cells[at + 1] \
                    and not REGION_KEY.match(cells[at + 1]) and (at == 0 or re.fullmatch(r"\d{4}", cells[0])):
                return i, at
    return None


def _value_columns(header: list[list[str]], first: int, width: int) -> tuple[list[str | None], list[str]]:
    """Per value column its period (a date or year cell of the header, as written) and its name (the other
    header cells, joined)."""
    periods: list[str | None] = []
    labels: list[str] = []
    for column in range(first, width):
        cells = [row[column].strip() for row in header if column < len(row) and row[column].strip()]
        period = next((cell for cell in cells if PERIOD_CELL.match(cell)), None)
        labels.append(LABEL_SEPARATOR.join(cell for cell in cells if cell != period) or f"Spalte {column + 1}")
        periods.append(period)
    return periods, labels


def _region_rows(rows: list[list[str]], start: int, key_at: int) -> list[tuple[int, list[str]]]:
    """(line number, row) of the region rows: from `start` to the footer."""
    body = []
    for i in range(start, len(rows)):
        row = rows[i]
        if len(row) <= key_at + 1 or not REGION_KEY.match(row[key_at].strip()):
            break
        body.append((i + 1, row))
    return body


def match_keys(keys: list[str], key_length: int, level_keys: set[str]) -> tuple[list[str | None], Counter]:
    """Each file key's area key of the level (None: no area of the level), and the skipped ones counted by their
    form. See the module's docstring for the order of the rules; a key already matched directly is not
    matched a second time by filling another key with zeros."""
    def composed(key: str) -> str | None:
        return key[:5] + key[-3:] if key_length == 8 and len(key) in (10, 11, 12) else None

    direct = {key for key in keys if key in level_keys and len(key) == key_length}
    direct |= {c for key in keys if (c := composed(key)) in level_keys}
    matched: list[str | None] = []
    skipped: Counter = Counter()
    for key in keys:
        if len(key) == key_length and key in level_keys:
            matched.append(key)
        elif (c := composed(key)) is not None and c in level_keys:
            matched.append(c)
        elif key != "DG" and len(key) < key_length and (padded := key.ljust(key_length, "0")) in level_keys \
                and padded not in direct:
            matched.append(padded)
            direct.add(padded)
        else:
            matched.append(None)
            skipped["DG" if key == "DG" else f"{len(key)} digits"] += 1
    return matched, skipped
