"""Observation import: long, wide or GENESIS tables (export or flat file) -> validated long rows -> one atomic,
COPY-based write.

Validation happens before anything is written and names file, row, column, value and the fix. It is
vectorised: keys, codes, periods and reasons are Categoricals, so what repeats is parsed once per distinct
value, and number columns arrive as floats from the CSV parser when every cell is a plain number. The steps
live next to this module: reading (`tables`), shaping into long rows (`observation_rows`), checking them
(`observation_checks`) and storing (`observation_store`: bulk load of new indicators, set-based supersede of
the others). A dry run does everything but commit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.import_report import (
    BeforeCommit,
    ImportFailed,
    ImportLimits,
    ImportReport,
    file_sha256,
    finish_batch,
    record_batch,
    run_in_import_transaction,
)
from geo.levels import get_level
from indicators.ingest.ffcsv import read_ffcsv
from indicators.ingest.genesis import read_genesis
from indicators.ingest.observation_checks import RowChecks, validated
from indicators.ingest.observation_rows import long_parts, text_columns, to_long
from indicators.ingest.observation_store import ROW_COLUMNS, ObservationWriter, store_rows
from indicators.ingest.options import ObservationImportOptions, genesis_as_long
from indicators.ingest.tables import Table, read_table
from indicators.refresh import batch_indicators, refresh_after_write

Progress = Callable[[str, int, int], None]


def import_observations(
    conn: Connection,
    path: Path,
    options: ObservationImportOptions,
    *,
    dry_run: bool = False,
    created_by: str = "cli",
    display_name: str | None = None,
    progress: Progress | None = None,
    before_commit: BeforeCommit | None = None,
    limits: ImportLimits = ImportLimits(),
) -> ImportReport:
    """Validate and (unless dry_run or on error) store one observation table atomically.

    The rows are validated and stored one indicator after the other (PostgreSQL stores one while the next
    is checked); at the first problem of any kind, the whole table is validated again at once, so that the
    report lists every problem once, and nothing is stored. `before_commit(conn, report)` runs inside the
    transaction when something is about to be stored (the HTTP API writes its audit record there, so import
    and audit commit or fail together)."""
    report = ImportReport(kind="observations", file=display_name or path.name, dry_run=dry_run)
    given = options  # as the caller gave them (recorded with the batch); a GENESIS table is then read as long rows
    step = progress or (lambda _what, _done, _total: None)
    with ThreadPoolExecutor(max_workers=1) as pool:  # hashing releases the GIL: it runs while the file is read
        digest = pool.submit(file_sha256, path) if path.is_file() else None
        if options.layout in ("genesis", "ffcsv"):  # an office's export or flat file: long rows of the level's keys
            ours = not conn.in_transaction()
            keys = set(conn.execute(sa.text("SELECT DISTINCT key FROM area WHERE level_code = :level"),
                                    {"level": options.level}).scalars())
            if ours:
                conn.rollback()  # ends the read's implicit transaction: the import opens its own below
            lengths = Counter(len(key) for key in keys)
            common = {"key_length": lengths.most_common(1)[0][0] if lengths else 0, "level_keys": keys,
                      "columns": options.columns, "period": options.period, "encoding": options.encoding,
                      "limits": limits}
            found = (read_genesis(path, report, **common) if options.layout == "genesis"
                     else read_ffcsv(path, report, decimal=options.decimal, **common))
            table = found.table if found is not None else None
            options = genesis_as_long(options, table.decimal if table is not None else ",")
        else:
            table = read_table(path, report, encoding=options.encoding, separator=options.separator,
                               decimal=options.decimal, thousands=options.thousands, sheet=options.sheet,
                               text_columns=text_columns(options), limits=limits)
        if table is None:
            return report
        report.sha256 = digest.result()
    report.notes.append(f"read as {table.encoding}, separator {table.separator!r}, decimal {table.decimal!r}")
    step("read", 1, 4)

    def work() -> None:
        if get_level(conn, options.level) is None:
            known = [r[0] for r in conn.execute(sa.text("SELECT code FROM area_level ORDER BY rank"))]
            report.error(f"unknown area level {options.level!r}", f"use one of {known}", column="level",
                         message_de=f"unbekannte Gebietsebene {options.level!r}", fix_de=f"eine von {known} angeben")
            raise ImportFailed(report)
        checks = RowChecks.load(conn, options)
        report.batch_id = record_batch(conn, report, created_by, _options_json(given))
        if not _store_by_indicator(conn, table, checks, report, step):
            # something to report: check all rows at once, on the cells as written (the report quotes them)
            _store_whole(conn, _as_written(path, table, options), checks, report)
        step("stored", 3, 4)
        # derived data (roll-ups, disclosure): not in a dry run, nor when nothing was written or superseded (both
        # are rolled back, run_in_import_transaction); a demo loaded again spent 9 s refreshing for nothing
        if not dry_run and (report.rows_written or report.rows_superseded):
            refresh_after_write(conn, batch_indicators(conn, report.batch_id))
        finish_batch(conn, report)
        step("refreshed", 4, 4)

    return run_in_import_transaction(conn, report, work, dry_run=dry_run,
                                     unchanged_note="nothing changed: every value is already stored",
                                     before_commit=before_commit)


class _NotClean(Exception):
    """An indicator's rows had something to report: validate the whole table instead."""


def _store_by_indicator(conn: Connection, table: Table, checks: RowChecks, report: ImportReport,
                        step: Progress) -> bool:
    """Validate and store one indicator after the other, PostgreSQL storing one while the next is checked;
    False, with nothing stored, as soon as anything is to report (the whole table is validated then)."""
    scratch = ImportReport(kind=report.kind, file=report.file)
    bad: list[tuple[np.ndarray, str]] = []
    shaped = long_parts(table, checks.options, checks.indicators, scratch, bad)
    if shaped is None:
        return False
    codes, parts = shaped
    savepoint = conn.begin_nested()
    writer = ObservationWriter(conn, report)
    writer.expect(codes)
    rows_read = 0
    try:
        for part in parts:
            rows = validated(part, table, checks, scratch)
            if bad or scratch.problems:
                raise _NotClean
            rows_read += len(part)
            writer.write(_storable(rows))
            step(f"checked {rows_read:,} rows", 2, 4)
        writer.finish()
    except _NotClean:
        writer.abort()
        savepoint.rollback()
        report.rows_written = 0
        return False
    finally:
        writer.abort()
    savepoint.commit()
    report.rows_read = rows_read
    return True


def _as_written(path: Path, table: Table, options: ObservationImportOptions) -> Table:
    """The table with every cell as text: read again if the reader turned columns into numbers."""
    if not any(pd.api.types.is_numeric_dtype(dtype) for dtype in table.frame.dtypes):
        return table
    again = read_table(path, ImportReport(kind="observations", file=path.name), encoding=options.encoding,
                       separator=options.separator, decimal=table.decimal, thousands=options.thousands,
                       sheet=options.sheet)
    return again or table


def _store_whole(conn: Connection, table: Table, checks: RowChecks, report: ImportReport) -> None:
    """Validate all rows at once (every problem reported once), then store them if there is no error."""
    rows = to_long(table, checks.options, checks.indicators, report)
    if rows is None:
        raise ImportFailed(report)
    report.rows_read = len(rows)  # text in number cells is reported with the problems the checks below find
    rows = validated(rows, table, checks, report)
    if not report.ok:
        raise ImportFailed(report)
    store_rows(conn, _storable(rows), report)


def _storable(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[list(ROW_COLUMNS)]


def _options_json(options: ObservationImportOptions) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(options).items()}
