"""Writing validated observation rows: the set-based, COPY-based second half of an import.

Rows of indicators that have no partition yet are bulk-loaded: COPY into new tables with no index, then
attached as the indicators' partitions (indexes built once, references checked; see `indicators.partitions`).
The other rows are staged with COPY into temporary tables (one per indicator) and applied set-based: rows
equal to what is stored are skipped (re-importing a file changes nothing), differing rows supersede the
stored ones (kept as history), new rows are inserted. `ObservationWriter` takes the rows chunk by chunk and
COPYs them on a thread of its own, so that PostgreSQL stores one chunk while the importer checks the next.
Runs inside the import's transaction and never commits.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.import_report import ImportReport
from indicators.copy_binary import (
    Column,
    CopyData,
    copy_into,
    encode,
    positions_by_code,
)
from indicators.partitions import (
    attach,
    build_indexes,
    codes_without_partition,
    create_detached,
    lock_partitions,
)

# Validated rows arrive as a DataFrame with these columns: indicator, flag and flag_reason as Categoricals
# (missing = NULL), area_id int64, period datetime64, value/numerator/denominator float64 (NaN = NULL).
ROW_COLUMNS = ("indicator", "area_id", "period", "value", "numerator", "denominator", "flag", "flag_reason")
_TYPES = {"indicator": ("indicator_code", "text"), "area_id": ("area_id", "int8"), "period": ("period", "date"),
          "value": ("value", "float8"), "numerator": ("numerator", "float8"),
          "denominator": ("denominator", "float8"), "flag": ("flag", "text"), "flag_reason": ("flag_reason", "text")}


@dataclass(frozen=True)
class _Part:
    """The rows of one indicator, encoded for COPY in the caller's thread, with the areas they refer to."""

    code: str
    data: CopyData
    areas: np.ndarray


class ObservationWriter:
    """Stores the validated rows of one import under `report.batch_id`, chunk after chunk.

    `write` encodes a chunk per indicator (in the caller's thread: the writer's thread then needs the GIL
    for little more than waiting on the socket) and queues it, returning at once; the writer's thread COPYs
    the rows of each new indicator into its detached partition and builds its indexes, and the other rows
    into a staging table per indicator, so that PostgreSQL works on one chunk while the caller checks the
    next. `finish` waits for the last COPY, attaches the new partitions and applies the staged rows, filling
    the report's rows_written, rows_unchanged and rows_superseded; `abort` stops without finishing (the
    caller rolls back). Until `finish` or `abort` returns, only the writer's thread may use the connection."""

    def __init__(self, conn: Connection, report: ImportReport):
        self._conn, self._report = conn, report
        self._targets: dict[str, str] = {}  # indicator code -> the table its rows are copied into
        self._staged: set[str] = set()  # codes whose rows go through a staging table (they have a partition)
        self._indexed: set[str] = set()  # new partitions whose indexes exist (later rows maintain them)
        self._areas: list[np.ndarray] = []  # areas referenced by the rows of new partitions
        self._locked = False
        self._failure: BaseException | None = None
        self._chunks: queue.Queue[list[_Part] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="observation-writer", daemon=True)
        self._thread.start()

    def expect(self, codes: list[str]) -> None:
        """Say which indicators are coming (the writer prepares their tables while the first rows are checked)."""
        self._chunks.put(list(codes))

    def write(self, rows: pd.DataFrame) -> None:
        self._raise_failure()
        parts = []
        for code, part in _by_indicator(rows):
            part = _in_key_order(part)
            # rows of one indicator and batch: a new partition has both as defaults; NULL columns are left out
            columns = [c for c in _columns(part) if c.name != "indicator_code" and not _all_null(c)]
            parts.append(_Part(code, encode(columns), np.unique(part["area_id"].to_numpy())))
        self._chunks.put(parts)

    def finish(self) -> None:
        self._stop()
        self._raise_failure()
        fresh = [code for code in self._targets if code not in self._staged]
        if fresh:
            attach(self._conn, fresh, np.unique(np.concatenate(self._areas)).tolist(), [self._report.batch_id])
        for code in self._staged:
            _apply(self._conn, code, self._targets[code], self._report)

    def abort(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _run(self) -> None:
        while (item := self._chunks.get()) is not None:
            if self._failure is None:
                try:
                    if item and isinstance(item[0], str):  # expected codes
                        self._classify([code for code in item if code not in self._targets])
                        continue
                    self._classify([part.code for part in item if part.code not in self._targets])
                    for part in item:
                        self._write_part(part)
                except BaseException as exc:  # noqa: BLE001 -- handed to the caller's thread by write/finish
                    self._failure = exc

    def _write_part(self, part: _Part) -> None:
        table = self._targets[part.code]
        copy_into(self._conn, table, part.data)
        if part.code in self._staged:
            return
        self._report.rows_written += part.data.rows
        self._areas.append(part.areas)
        if part.code not in self._indexed:  # a new indicator's rows come in one piece: index them right away
            build_indexes(self._conn, part.code)
            self._indexed.add(part.code)

    def _classify(self, codes: list[str]) -> None:
        """Where the rows of codes seen for the first time go: new detached partitions for those without one."""
        if not codes:
            return
        new = codes_without_partition(self._conn, codes)
        if new and not self._locked:
            lock_partitions(self._conn)  # held to the end: no other import makes these partitions meanwhile
            self._locked = True
            new = codes_without_partition(self._conn, new)
        for code, table in zip(new, create_detached(self._conn, new, self._report.batch_id)):
            self._targets[code] = table
        for code in codes:
            if code not in self._targets:  # one staging table per indicator: its joins touch one partition
                self._targets[code] = _create_staging(self._conn, len(self._staged))
                self._staged.add(code)


def store_rows(conn: Connection, rows: pd.DataFrame, report: ImportReport) -> None:
    """Write `rows` (all of them at once) under `report.batch_id`."""
    writer = ObservationWriter(conn, report)
    try:
        writer.write(rows)
        writer.finish()
    finally:
        writer.abort()


def _by_indicator(rows: pd.DataFrame):
    codes = rows["indicator"].cat.codes.to_numpy()
    for chunk in positions_by_code(codes):
        yield str(rows["indicator"].cat.categories[codes[chunk[0]]]), rows.iloc[chunk]


def _in_key_order(part: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by (area_id, period), the order of the partition's main index; files usually are already."""
    area = part["area_id"].to_numpy()
    days = part["period"].to_numpy().astype("datetime64[D]").astype(np.int64)
    later = (area[1:] > area[:-1]) | ((area[1:] == area[:-1]) & (days[1:] > days[:-1]))
    return part if later.all() else part.iloc[np.lexsort((days, area))]


def _all_null(column: Column) -> bool:
    if column.kind == "text":
        return bool((column.values.codes < 0).all())
    return column.kind == "float8" and bool(np.isnan(column.values).all())


def _columns(rows: pd.DataFrame) -> list[Column]:
    return [Column(_TYPES[name][0], _TYPES[name][1], _values(rows[name], _TYPES[name][1])) for name in ROW_COLUMNS]


def _values(series: pd.Series, kind: str):
    if kind == "text":
        return series.array if isinstance(series.dtype, pd.CategoricalDtype) else pd.Categorical(series)
    if kind == "date":
        return series.to_numpy().astype("datetime64[D]")
    return series.to_numpy(dtype=np.float64 if kind == "float8" else np.int64)


def _create_staging(conn: Connection, number: int) -> str:
    """A temporary table for the rows of one indicator (the code is known: it is not a column)."""
    name = f"staging_observation_{number}"
    conn.execute(sa.text(f"""
        CREATE TEMP TABLE {name} (
            area_id bigint, period date, value double precision, numerator double precision,
            denominator double precision, flag text, flag_reason text
        ) ON COMMIT DROP"""))
    return name


def _apply(conn: Connection, code: str, staging: str, report: ImportReport) -> None:
    """Set-based write of one indicator's staged rows: drop rows equal to the stored ones, supersede the
    differing ones, insert the rest. The code is a constant, so that each statement is planned on the
    indicator's partition alone. The first two steps only run when current values of the indicator exist on
    these areas and periods at all (new periods of an indicator need neither)."""
    params = {"code": code, "batch": report.batch_id}
    conn.execute(sa.text(f"ANALYZE {staging}"))  # the joins below are planned on real numbers
    overlaps = conn.execute(sa.text(f"""
        SELECT EXISTS (
            SELECT 1 FROM {staging} s JOIN observation o
              ON o.indicator_code = :code AND o.area_id = s.area_id AND o.period = s.period
             AND o.superseded_at IS NULL)"""), params).scalar_one()
    if overlaps:
        report.rows_unchanged += conn.execute(sa.text(f"""
            DELETE FROM {staging} s USING observation o
            WHERE o.indicator_code = :code AND o.superseded_at IS NULL AND o.area_id = s.area_id
              AND o.period = s.period AND o.value IS NOT DISTINCT FROM s.value
              AND o.numerator IS NOT DISTINCT FROM s.numerator AND o.denominator IS NOT DISTINCT FROM s.denominator
              AND o.flag IS NOT DISTINCT FROM s.flag
              AND o.flag_reason IS NOT DISTINCT FROM s.flag_reason"""), params).rowcount
        report.rows_superseded += conn.execute(sa.text(f"""
            UPDATE observation o SET superseded_at = now(), superseded_by_batch = :batch
            FROM {staging} s
            WHERE o.indicator_code = :code AND o.superseded_at IS NULL AND o.area_id = s.area_id
              AND o.period = s.period"""), params).rowcount
    report.rows_written += conn.execute(sa.text(f"""
        INSERT INTO observation (indicator_code, area_id, period, value, numerator, denominator, flag, flag_reason,
                                 import_batch_id)
        SELECT :code, area_id, period, value, numerator, denominator, flag, flag_reason, :batch
        FROM {staging}"""), params).rowcount
