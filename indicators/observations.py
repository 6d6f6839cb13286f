"""Observation import: long or wide tables -> validated long rows -> one atomic, COPY-based write.

Validation happens before anything is written and names file, row, column, value and the fix. It is
vectorised: keys, codes, periods and reasons are Categoricals, so what repeats is parsed once per distinct
value, and number columns arrive as floats from the CSV parser when every cell is a plain number. Storing
is `indicators.observation_store` (bulk load of new indicators, set-based supersede of the others). A dry
run does everything but commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.import_report import (
    BeforeCommit,
    ImportFailed,
    ImportLimits,
    ImportReport,
    OptionError,
    file_sha256,
    finish_batch,
    option_flag,
    record_batch,
    run_in_import_transaction,
)
from geo.levels import get_level
from indicators.copy_binary import positions_by_code
from indicators.observation_store import ROW_COLUMNS, ObservationWriter, store_rows
from indicators.refresh import refresh_after_write
from indicators.tabular import (
    ParsedNumbers,
    Table,
    looks_like_formula,
    parse_numbers,
    read_table,
)

Progress = Callable[[str, int, int], None]
MAX_ROWS_LISTED_PER_PROBLEM = 20
HISTORY_REASON = ("frühere Werte sieht nur die Statistikstelle (statistische Geheimhaltung)"
                  " / earlier values are for the statistics office only (statistical confidentiality)")


@dataclass(frozen=True)
class ObservationImportOptions:
    """How to read one observation table.

    layout "long": one row per (area, indicator, period) with value[, numerator, denominator].
    layout "wide": one row per area, one column per indicator (like the MSS tables); `columns` maps
    source columns to indicator codes (default: every column named like a known indicator code).
    """

    level: str
    layout: Literal["long", "wide"] = "long"
    key_column: str = "area"
    indicator_column: str = "indicator"
    period_column: str | None = "period"
    period: str | None = None  # one period for the whole file, e.g. "2020-12-31"
    value_column: str = "value"
    numerator_column: str | None = "numerator"
    denominator_column: str | None = "denominator"
    columns: dict[str, str] | None = None
    missing_values: dict[str, str] = field(default_factory=dict)  # e.g. {"-9999": "not_assessed"}
    flag_reason_column: str | None = None  # text explaining flagged values (MSS: "KOM")
    boundaries_at: date | None = None  # boundary version the keys refer to; default: valid at the period
    encoding: str | None = None
    separator: str | None = None
    decimal: str | None = None
    thousands: str | None = None  # ".", "," or "none": the thousands separator (implies the decimal separator)
    sheet: str | None = None
    allow_future_periods: bool = False  # periods after today are refused unless allowed (forecasts)


OBSERVATION_OPTION_FIELDS = {
    "level", "layout", "key_column", "indicator_column", "period_column", "period", "value_column",
    "numerator_column", "denominator_column", "column", "missing", "flag_reason_column", "boundaries_at",
    "encoding", "separator", "decimal", "thousands", "sheet", "allow_future_periods",
}
SEPARATOR_NAMES = {";": ";", ",": ",", "|": "|", "\t": "\t", "tab": "\t", "\\t": "\t"}


def observation_options(fields: dict[str, list[str]]) -> ObservationImportOptions:
    """Options from text fields (HTTP form/query; the CLI passes the same names): one value per field,
    except `column` (SOURCE=CODE) and `missing` (TOKEN=FLAG), which repeat. Raises OptionError."""
    import codecs

    from indicators.observation_flags import OBSERVATION_FLAGS

    unknown = sorted(set(fields) - OBSERVATION_OPTION_FIELDS)
    if unknown:
        raise OptionError(unknown[0], f"unknown option; use {', '.join(sorted(OBSERVATION_OPTION_FIELDS))}")
    one = {}
    for name, values in fields.items():
        if name not in ("column", "missing"):
            if len(values) > 1:
                raise OptionError(name, "given more than once")
            one[name] = values[0].strip() if values else ""
    if not one.get("level"):
        raise OptionError("level", "required: the area level the keys belong to, e.g. plr")
    layout = one.get("layout") or "long"
    if layout not in ("long", "wide"):
        raise OptionError("layout", "must be 'long' or 'wide'")
    columns = _pairs(fields.get("column", []), "column", "SOURCE=CODE, e.g. Arbeitslose=S1")
    missing = _pairs(fields.get("missing", []), "missing", "TOKEN=FLAG, e.g. -9999=not_assessed")
    for token, flag in missing.items():
        if flag not in OBSERVATION_FLAGS:
            raise OptionError("missing", f"unknown flag {flag!r} for {token!r}; use one of {sorted(OBSERVATION_FLAGS)}")
    if one.get("boundaries_at"):
        try:
            date.fromisoformat(one["boundaries_at"])
        except ValueError:
            raise OptionError("boundaries_at", f"{one['boundaries_at']!r} is not a date; write YYYY-MM-DD") from None
    if one.get("period") and parse_period(pd.Series([one["period"]])).isna().iloc[0]:
        raise OptionError("period", f"{one['period']!r} is not a period; write 2020-12-31, 31.12.2020, 202012 or 2020")
    if one.get("encoding"):
        try:
            codecs.lookup(one["encoding"])
        except LookupError:
            raise OptionError("encoding", f"unknown encoding {one['encoding']!r}; e.g. utf-8, cp1252, latin-1") from None
    separator = one.get("separator")
    if separator:
        if separator not in SEPARATOR_NAMES:
            raise OptionError("separator", "use ';', ',', '|' or 'tab'")
        separator = SEPARATOR_NAMES[separator]
    if one.get("decimal") and one["decimal"] not in (",", "."):
        raise OptionError("decimal", "use ',' (German) or '.'")
    if one.get("thousands") and one["thousands"] not in (",", ".", "none"):
        raise OptionError("thousands", "use '.' (German), ',' or 'none'")
    if one.get("thousands") and one["thousands"] == one.get("decimal"):
        raise OptionError("thousands", "the thousands separator must differ from the decimal separator")
    defaults = ObservationImportOptions(level=one["level"])
    return ObservationImportOptions(
        level=one["level"], layout=layout,  # type: ignore[arg-type]
        key_column=one.get("key_column") or defaults.key_column,
        indicator_column=one.get("indicator_column") or defaults.indicator_column,
        period_column=one.get("period_column") or defaults.period_column,
        period=one.get("period") or None,
        value_column=one.get("value_column") or defaults.value_column,
        numerator_column=one.get("numerator_column") or defaults.numerator_column,
        denominator_column=one.get("denominator_column") or defaults.denominator_column,
        columns=columns or None, missing_values=missing,
        flag_reason_column=one.get("flag_reason_column") or None,
        boundaries_at=date.fromisoformat(one["boundaries_at"]) if one.get("boundaries_at") else None,
        encoding=one.get("encoding") or None, separator=separator or None, decimal=one.get("decimal") or None,
        thousands=one.get("thousands") or None, sheet=one.get("sheet") or None,
        allow_future_periods=option_flag(one, "allow_future_periods", False))


def _pairs(items: list[str], field: str, shape: str) -> dict[str, str]:
    pairs = {}
    for text in items:
        if "=" not in text:
            raise OptionError(field, f"{text!r} must look like {shape}")
        left, right = (part.strip() for part in text.split("=", 1))
        if not left or not right:
            raise OptionError(field, f"{text!r} must look like {shape}")
        pairs[left] = right
    return pairs


@dataclass(frozen=True)
class IndicatorRule:
    code: str
    kind: str


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
    step = progress or (lambda _what, _done, _total: None)
    with ThreadPoolExecutor(max_workers=1) as pool:  # hashing releases the GIL: it runs while the file is read
        digest = pool.submit(file_sha256, path) if path.is_file() else None
        table = read_table(path, report, encoding=options.encoding, separator=options.separator,
                           decimal=options.decimal, thousands=options.thousands, sheet=options.sheet,
                           text_columns=_text_columns(options), limits=limits)
        if table is None:
            return report
        report.sha256 = digest.result()
    report.notes.append(f"read as {table.encoding}, separator {table.separator!r}, decimal {table.decimal!r}")
    step("read", 1, 4)

    def work() -> None:
        if get_level(conn, options.level) is None:
            known = [r[0] for r in conn.execute(sa.text("SELECT code FROM area_level ORDER BY rank"))]
            report.error(f"unknown area level {options.level!r}", f"use one of {known}", column="level")
            raise ImportFailed(report)
        checks = _Checks(options, {r.code: IndicatorRule(r.code, r.kind)
                                   for r in conn.execute(sa.text("SELECT code, kind FROM indicator"))},
                         _area_versions(conn, options.level))
        report.batch_id = record_batch(conn, report, created_by, _options_json(options))
        if not _store_by_indicator(conn, table, checks, report, step):
            # something to report: check all rows at once, on the cells as written (the report quotes them)
            _store_whole(conn, _as_written(path, table, options), checks, report)
        step("stored", 3, 4)
        if not dry_run:  # derived data (roll-ups, disclosure) would be rolled back with the dry run anyway
            refresh_after_write(conn)
        finish_batch(conn, report)
        step("refreshed", 4, 4)

    return run_in_import_transaction(conn, report, work, dry_run=dry_run,
                                     unchanged_note="nothing changed: every value is already stored",
                                     before_commit=before_commit)


@dataclass(frozen=True)
class _Checks:
    """What the rows are checked against: the options, the catalogue and the boundary versions of the level."""

    options: ObservationImportOptions
    indicators: dict[str, IndicatorRule]
    versions: BoundaryVersions


class _NotClean(Exception):
    """An indicator's rows had something to report: validate the whole table instead."""


def _store_by_indicator(conn: Connection, table: Table, checks: _Checks, report: ImportReport,
                        step: Progress) -> bool:
    """Validate and store one indicator after the other, PostgreSQL storing one while the next is checked;
    False, with nothing stored, as soon as anything is to report (the whole table is validated then)."""
    scratch = ImportReport(kind=report.kind, file=report.file)
    bad: list[tuple[np.ndarray, str]] = []
    shaped = _long_parts(table, checks.options, checks.indicators, scratch, bad)
    if shaped is None:
        return False
    codes, parts = shaped
    savepoint = conn.begin_nested()
    writer = ObservationWriter(conn, report)
    writer.expect(codes)
    rows_read = 0
    try:
        for part in parts:
            rows = _validated(part, table, checks, scratch)
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


def _store_whole(conn: Connection, table: Table, checks: _Checks, report: ImportReport) -> None:
    """Validate all rows at once (every problem reported once), then store them if there is no error."""
    rows = _to_long(table, checks.options, checks.indicators, report)
    if rows is None:
        raise ImportFailed(report)
    report.rows_read = len(rows)  # text in number cells is reported with the problems the checks below find
    rows = _validated(rows, table, checks, report)
    if not report.ok:
        raise ImportFailed(report)
    store_rows(conn, _storable(rows), report)


def _validated(rows: pd.DataFrame, table: Table, checks: _Checks, report: ImportReport) -> pd.DataFrame:
    """Long rows with periods parsed, values checked, repeats dropped and keys resolved; problems reported."""
    rows = _parse_periods(rows, checks.options, report)
    _check_values(rows, table, checks.indicators, report)
    rows = _drop_duplicates(rows, report)
    return _resolve_areas(rows, checks.versions, checks.options, report)


def _storable(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[list(ROW_COLUMNS)]


def _area_versions(conn: Connection, level: str) -> BoundaryVersions:
    rows = conn.execute(sa.text(
        "SELECT id AS area_id, key, valid_from, valid_to FROM area WHERE level_code = :level"), {"level": level}).all()
    return BoundaryVersions(pd.DataFrame({
        "area_id": np.array([r.area_id for r in rows], dtype=np.int64),
        "key": pd.Series([r.key for r in rows], dtype=object),
        "valid_from": pd.to_datetime(pd.Series([r.valid_from for r in rows], dtype=object)),
        "valid_to": pd.to_datetime(pd.Series([r.valid_to for r in rows], dtype=object)),
    }))


def _text_columns(options: ObservationImportOptions) -> set[str]:
    """Columns read as text; all others become numbers while the CSV is parsed, where they are plain numbers."""
    return {c for c in (options.key_column, options.indicator_column if options.layout == "long" else None,
                        options.period_column, options.flag_reason_column) if c}


# -- shaping ------------------------------------------------------------------------------------
def _long_parts(table: Table, options: ObservationImportOptions, indicators: dict[str, IndicatorRule],
                report: ImportReport, bad: list[tuple[np.ndarray, str]]
                ) -> tuple[list[str], Iterator[pd.DataFrame]] | None:
    """The indicator codes of the table, and the table as one row per (area, indicator, period), one
    DataFrame per indicator (made when asked for), numbers parsed; None
    (with the problems reported) when the layout does not fit or an indicator is unknown. The rows of
    number cells that are neither numbers nor symbols are appended to `bad` as each part is made.

    Columns: line (spreadsheet row), source_row (row of the table), key, period_text, reason, indicator,
    value_column (Categoricals), value, numerator, denominator (float, NaN = none) and flag (Categorical)."""
    frame = table.frame
    required = [options.key_column]
    if options.layout == "long":
        required += [options.indicator_column, options.value_column]
    if options.period is None:
        required.append(options.period_column or "period")
    for column in required:
        if column not in frame.columns:
            report.error(f"column {column!r} is missing", f"name it in the header; found {list(frame.columns)}",
                         row=1, column=column)
    if options.flag_reason_column and options.flag_reason_column not in frame.columns:
        report.error(f"column {options.flag_reason_column!r} is missing", "correct --flag-reason-column", row=1)
    if not report.ok:
        return None
    if options.layout == "long":
        indicator = _categorical(frame[options.indicator_column])
        if _report_unknown_indicators(indicator, table.first_row + frame.index.to_numpy(), options, indicators,
                                      report):
            return None
        groups = [(str(indicator.categories[indicator.codes[rows[0]]]), rows, options.value_column)
                  for rows in positions_by_code(indicator.codes)]
        numerator_column = _present(frame, options.numerator_column)
        denominator_column = _present(frame, options.denominator_column)
    else:
        mapping = options.columns or {c: c for c in frame.columns if c in indicators}
        if not mapping:
            report.error("no column is named like a known indicator code",
                         "map columns to indicator codes (--column S1=Arbeitslose) or load the catalogue first",
                         row=1)
            return None
        for source in mapping:
            if source not in frame.columns:
                report.error(f"mapped column {source!r} is missing", f"found {list(frame.columns)}", row=1,
                             column=source)
        if not report.ok:
            return None
        groups = [(code, None, source) for source, code in mapping.items()]
        numerator_column = denominator_column = None

    n = len(frame)
    key = _categorical(frame[options.key_column])
    period = (_categorical(frame[options.period_column or "period"]) if options.period is None
              else _constant(options.period, n))
    reason = _categorical(frame[options.flag_reason_column]) if options.flag_reason_column else _constant("", n)

    def parts() -> Iterator[pd.DataFrame]:
        for code, rows, source in groups:
            take = slice(None) if rows is None else rows
            labels = frame.index.to_numpy()[take]
            value = _parse_column(table, source, take, options.missing_values, bad)
            numerator = _parse_column(table, numerator_column, take, {}, bad)
            denominator = _parse_column(table, denominator_column, take, {}, bad)
            flagged = value.flags.notna().to_numpy() if value.any_flag else np.zeros(len(labels), dtype=bool)
            nil = (value.flags == "nil").to_numpy() if value.any_flag else flagged
            yield pd.DataFrame({
                "line": table.first_row + labels, "source_row": labels,
                "key": key[take], "period_text": period[take], "reason": reason[take],
                "indicator": _constant(code, len(labels)), "value_column": _constant(source, len(labels)),
                "value": np.where(nil, 0.0, np.where(flagged, np.nan, value.values.to_numpy())),
                "numerator": numerator.values.to_numpy(), "denominator": denominator.values.to_numpy(),
                "flag": _flag_categorical(value.flags, flagged),
            })

    return [code for code, _, _ in groups], parts()


def _to_long(table: Table, options: ObservationImportOptions, indicators: dict[str, IndicatorRule],
             report: ImportReport) -> pd.DataFrame | None:
    """All parts of `_long_parts` in one DataFrame, with every text-in-number cell reported."""
    bad: list[tuple[np.ndarray, str]] = []
    shaped = _long_parts(table, options, indicators, report, bad)
    if shaped is None:
        return None
    pieces = list(shaped[1])
    _report_text_in_numbers(table.frame, table.first_row, bad, report)
    long = pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)
    for column in ("key", "period_text", "reason", "indicator", "value_column", "flag"):
        if not isinstance(long[column].dtype, pd.CategoricalDtype):  # concat of differing categories
            long[column] = long[column].astype(object).astype("category")
    return long


def _categorical(cells: pd.Series) -> pd.Categorical:
    """The cells' stripped text as a Categorical; each distinct cell is converted and stripped once."""
    if isinstance(cells.dtype, pd.CategoricalDtype):  # the fast reader's text columns
        codes, uniques = cells.cat.codes.to_numpy(), cells.cat.categories.to_numpy(dtype=object)
        if (codes < 0).any():
            codes, uniques = np.where(codes < 0, len(uniques), codes), np.append(uniques, "")
    else:
        codes, uniques = pd.factorize(cells.to_numpy(dtype=object), use_na_sentinel=False)
    stripped = [("" if cell is None else str(cell)).strip() for cell in uniques]
    merged, categories = pd.factorize(np.array(stripped, dtype=object))  # "01 " and "01" are one key
    return pd.Categorical.from_codes(merged[codes], categories=pd.Index(categories, dtype=object))


def _constant(text: str, n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=pd.Index([text], dtype=object))


def _flag_categorical(flags: pd.Series, flagged: np.ndarray) -> pd.Categorical:
    if not flagged.any():
        return pd.Categorical.from_codes(np.full(len(flags), -1, dtype=np.int8), categories=pd.Index([], dtype=object))
    return pd.Categorical(flags.where(flagged, None).to_numpy(dtype=object))


def _present(frame: pd.DataFrame, column: str | None) -> str | None:
    return column if column and column in frame.columns else None


def _parse_column(table: Table, column: str | None, take, missing_values: dict[str, str],
                  bad: list[tuple[np.ndarray, str]]) -> ParsedNumbers:
    """Numbers of the rows `take` of one source column (all missing when there is no such column); the table
    rows of cells that are neither numbers nor symbols are added to `bad`, to be reported once for all."""
    frame = table.frame
    if column is None:
        n = len(frame.index[take])
        return ParsedNumbers(values=pd.Series(np.full(n, np.nan)), flags=pd.Series(np.full(n, None, dtype=object)),
                             bad=pd.Series(np.zeros(n, dtype=bool)), any_flag=False)
    cells = frame[column]
    parsed = parse_numbers(cells if isinstance(take, slice) else cells.iloc[take], table.decimal, missing_values,
                           grouped=table.grouped)
    rows = np.flatnonzero(parsed.bad.to_numpy())
    if len(rows):
        bad.append((frame.index.to_numpy()[take][rows], column))
    return parsed


def _report_text_in_numbers(frame: pd.DataFrame, first_row: int, bad: list[tuple[np.ndarray, str]],
                            report: ImportReport) -> None:
    cells = sorted((int(row), column) for rows, column in bad for row in rows[:MAX_ROWS_LISTED_PER_PROBLEM])
    for row, column in cells[:MAX_ROWS_LISTED_PER_PROBLEM]:
        cell = str(frame.at[row, column])
        formula = looks_like_formula(pd.Series([cell])).iloc[0]
        report.error("a spreadsheet formula in a number column" if formula else "text in a number column",
                     "write numbers only (decimal comma or point); use '.', '-', 'x', '/' or leave empty for "
                     "missing values", row=first_row + row, column=column, value=cell[:80])
    more = sum(len(rows) for rows, _ in bad) - MAX_ROWS_LISTED_PER_PROBLEM
    if more > 0:
        report.error(f"{more} more cells with text in number columns",
                     "correct the cells listed above and check the rest of the column")


def _report_unknown_indicators(indicator: pd.Categorical, lines: np.ndarray, options: ObservationImportOptions,
                               indicators: dict[str, IndicatorRule], report: ImportReport) -> bool:
    """Report every unknown indicator code once, at its first row; True if there was one."""
    unknown = [i for i, code in enumerate(indicator.categories) if code not in indicators]
    if not unknown:
        return False
    present, first = np.unique(indicator.codes, return_index=True)
    first_of = dict(zip(present.tolist(), first.tolist()))
    for i in sorted((i for i in unknown if i in first_of), key=lambda i: str(indicator.categories[i])):
        code = str(indicator.categories[i])
        report.error(f"unknown indicator {code!r}", "add it to the indicator catalogue first, or correct the code",
                     row=int(lines[first_of[i]]), column=options.indicator_column, value=code)
    return True


def parse_period(text: pd.Series) -> pd.Series:
    """Reference dates from '2020-12-31', '31.12.2020', '202012' (month end) or '2020' (31 Dec).

    A file has a handful of distinct periods: each is parsed once and the result spread over the rows."""
    codes, uniques = pd.factorize(text.astype(str), use_na_sentinel=False)
    distinct = pd.Series(uniques, dtype=object).str.strip()
    parsed = pd.Series(pd.NaT, index=distinct.index, dtype="datetime64[ns]")
    iso = distinct.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    german = distinct.str.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}").fillna(False).astype(bool)
    month = distinct.str.fullmatch(r"\d{6}").fillna(False).astype(bool)
    year = distinct.str.fullmatch(r"\d{4}").fillna(False).astype(bool)
    parsed[iso] = pd.to_datetime(distinct[iso], format="%Y-%m-%d", errors="coerce")
    parsed[german] = pd.to_datetime(distinct[german], format="%d.%m.%Y", errors="coerce")
    parsed[month] = pd.to_datetime(distinct[month], format="%Y%m", errors="coerce") + pd.offsets.MonthEnd(0)
    parsed[year] = pd.to_datetime(distinct[year] + "-12-31", format="%Y-%m-%d", errors="coerce")
    return pd.Series(parsed.to_numpy()[codes], index=text.index)


def _parse_periods(rows: pd.DataFrame, options: ObservationImportOptions, report: ImportReport) -> pd.DataFrame:
    """Adds `period` (datetime64) and `flag_reason` (the reason of flagged rows); reports unreadable periods."""
    categories = rows["period_text"].cat.categories
    parsed = parse_period(pd.Series(categories, dtype=object)).to_numpy()
    codes = rows["period_text"].cat.codes.to_numpy()
    periods = parsed[codes]
    period_codes = pd.factorize(parsed)[0][codes]  # '2020' and '2020-12-31' are one period
    unreadable = np.flatnonzero(np.isnat(periods))
    listed = rows.iloc[unreadable].drop_duplicates("line").head(MAX_ROWS_LISTED_PER_PROBLEM)
    for line, text in zip(listed["line"].tolist(), listed["period_text"].astype(str).tolist()):
        report.error("cannot read the period", "write periods as 2020-12-31, 31.12.2020, 202012 or 2020",
                     row=int(line), column=options.period_column, value=text[:40])
    if len(unreadable):
        keep = ~np.isnat(periods)
        rows, periods, period_codes = rows[keep], periods[keep], period_codes[keep]
    if not options.allow_future_periods:
        _report_future_periods(rows, parsed, options, report)
    reason = rows["reason"].array
    reason_codes = np.where(rows["flag"].cat.codes.to_numpy() >= 0, reason.codes, -1)
    if "" in reason.categories:
        reason_codes = np.where(reason_codes == reason.categories.get_loc(""), -1, reason_codes)
    return rows.assign(period=periods, period_code=period_codes,
                       flag_reason=pd.Categorical.from_codes(reason_codes, categories=reason.categories))


def _report_future_periods(rows: pd.DataFrame, parsed: np.ndarray, options: ObservationImportOptions,
                           report: ImportReport) -> None:
    """Periods after today, each at its first row: a typo there would become every map's latest period."""
    today = np.datetime64(date.today(), "ns")
    future = np.flatnonzero(parsed > today)  # per distinct period text; NaT compares False
    if not len(future):
        return
    codes = rows["period_text"].cat.codes.to_numpy()
    for code in future:
        hits = np.flatnonzero(codes == code)
        if not len(hits):
            continue
        period = pd.Timestamp(parsed[code]).date()
        report.error(f"the period {period} lies in the future", "correct the date, or, for forecasts, allow future "
                     "periods explicitly (--allow-future-periods; HTTP: allow_future_periods=true)",
                     row=int(rows["line"].iloc[hits[0]]), column=options.period_column if options.period is None
                     else "period", value=str(rows["period_text"].iloc[hits[0]])[:40],
                     message_de=f"der Zeitpunkt {period} liegt in der Zukunft",
                     fix_de="das Datum korrigieren oder, für Prognosen, zukünftige Zeitpunkte ausdrücklich erlauben "
                            "(--allow-future-periods)")


def _check_values(rows: pd.DataFrame, table: Table, indicators: dict[str, IndicatorRule],
                  report: ImportReport) -> None:
    kinds = np.array([indicators[c].kind if c in indicators else "" for c in rows["indicator"].cat.categories],
                     dtype=object)
    kind = kinds[rows["indicator"].cat.codes.to_numpy()] if len(kinds) else np.array([], dtype=object)
    share, count = kind == "share", kind == "count"
    value, numerator, denominator = (rows[c].to_numpy() for c in ("value", "numerator", "denominator"))
    with np.errstate(invalid="ignore"):
        checks = [  # mask, message and fix in English and German
            (share & ((value < 0) | (value > 100)),
             "a share outside 0-100 %", "shares are percentages between 0 and 100; check the unit and decimal separator",
             "ein Anteil außerhalb von 0-100 %", "Anteile sind Prozentwerte zwischen 0 und 100; Einheit und "
             "Dezimaltrennzeichen prüfen"),
            (count & (value < 0), "a negative count", "counts cannot be negative",
             "eine negative Anzahl", "Anzahlen können nicht negativ sein"),
            (count & (np.mod(value, 1) > 0), "a count with a fractional part",
             "counts are whole numbers; if the file writes 1.709 for 1709, say so (--decimal ',')",
             "eine Anzahl mit Nachkommastellen", "Anzahlen sind ganze Zahlen; steht 1.709 für 1709, das angeben "
             "(--decimal ',')"),
            ((numerator < 0) | (denominator < 0), "a negative numerator or denominator",
             "numerators and denominators are counts", "ein negativer Zähler oder Nenner",
             "Zähler und Nenner sind Anzahlen"),
            (share & (numerator > denominator), "the numerator exceeds the denominator",
             "swap the columns or correct the counts", "der Zähler ist größer als der Nenner",
             "die Spalten tauschen oder die Anzahlen korrigieren"),
        ]
    for mask, message, fix, message_de, fix_de in checks:
        for i in np.flatnonzero(mask)[:MAX_ROWS_LISTED_PER_PROBLEM]:
            row = rows.iloc[i]
            column = str(row["value_column"])
            cell = table.frame.at[int(row["source_row"]), column]
            report.error(message, fix, row=int(row["line"]), column=column, value=str(cell).strip()[:40],
                         keys=(str(row["key"]), str(row["indicator"])), message_de=message_de, fix_de=fix_de)


def _drop_duplicates(rows: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    combined = _combined_codes([rows["key"].cat.codes.to_numpy(), rows["indicator"].cat.codes.to_numpy(),
                                rows["period_code"].to_numpy()])
    repeated = pd.Series(combined).duplicated(keep=False).to_numpy()
    if not repeated.any():
        return rows
    dup = rows.loc[repeated, ["key", "indicator", "period", "line", "value"]].astype({"key": object, "indicator": object})
    variants = dup.groupby(["key", "indicator", "period"], dropna=False, sort=True).agg(
        lines=("line", lambda s: sorted(s.tolist())),
        distinct=("value", lambda s: s.round(12).nunique(dropna=False)),
    )
    for (key, code, period), item in variants.iterrows():
        period = pd.Timestamp(period).date()
        if item.distinct > 1:
            report.error(f"area {key}, indicator {code}, period {period} occurs in rows {item.lines} with "
                         "different values", "keep one row per area, indicator and period",
                         row=int(item.lines[1]), keys=(str(key), str(code)))
        else:
            report.warning(f"area {key}, indicator {code}, period {period} repeats in rows {item.lines}",
                           "remove the repeated rows", row=int(item.lines[1]), keys=(str(key), str(code)))
    return rows[~pd.Series(combined).duplicated(keep="first").to_numpy()]


def _combined_codes(columns: list[np.ndarray]) -> np.ndarray:
    """One int64 per row, equal exactly when all columns (non-negative codes) are: a mixed-radix number, or,
    should that not fit 63 bits, pairwise factorised."""
    sizes = [int(c.max()) + 2 if len(c) else 1 for c in columns]
    if np.prod([float(size) for size in sizes]) < 2.0 ** 62:
        combined = np.zeros(len(columns[0]), dtype=np.int64)
        for column, size in zip(columns, sizes):
            combined = combined * size + (column.astype(np.int64) + 1)
        return combined
    combined = pd.factorize(columns[0])[0].astype(np.int64)
    for column in columns[1:]:
        codes, uniques = pd.factorize(column)
        combined = pd.factorize(combined * len(uniques) + codes)[0].astype(np.int64)
    return combined


def _resolve_areas(rows: pd.DataFrame, versions: BoundaryVersions, options: ObservationImportOptions,
                   report: ImportReport) -> pd.DataFrame:
    """Attach the id of the boundary version each key refers to; report unknown keys and lost leading zeros."""
    key_ids = versions.key_ids(rows["key"].cat.categories)[rows["key"].cat.codes.to_numpy()]
    if options.boundaries_at is None:
        at = rows["period"].to_numpy()
    else:
        at = np.full(len(rows), np.datetime64(options.boundaries_at, "ns"))
    area_id = versions.valid_at(key_ids, at)
    unresolved = area_id < 0
    if not unresolved.any():
        return rows.assign(area_id=area_id)
    _report_unresolved(rows[unresolved], versions.frame, options, report)
    return rows[~unresolved].assign(area_id=area_id[~unresolved])


class BoundaryVersions:
    """The boundary versions of one level, for resolving keys and dates to area ids without joins: versions
    sorted by (key, valid_from), so that the version of a key valid at a date is found by one binary search.
    Versions of one key never overlap (the database excludes it), so the latest one starting on or before
    the date is the only candidate; it must not have ended by then."""

    DAY_SPAN = 1 << 23  # more than the days between the years 1 and 9999

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        ordered = frame.sort_values(["key", "valid_from"], kind="stable")
        key_codes, keys = pd.factorize(ordered["key"].to_numpy(dtype=object))
        self._keys = pd.Index(keys, dtype=object)
        self._sorted = key_codes.astype(np.int64) * self.DAY_SPAN + self._days(ordered["valid_from"].to_numpy())
        self._until = np.where(ordered["valid_to"].isna().to_numpy(), np.iinfo(np.int64).max,
                               self._days(ordered["valid_to"].to_numpy()))
        self._area_ids = ordered["area_id"].to_numpy()

    def key_ids(self, keys: pd.Index) -> np.ndarray:
        """Position of each key among the level's keys, -1 for keys the level does not have."""
        return self._keys.get_indexer(pd.Index(keys.to_numpy(dtype=object), dtype=object))

    def valid_at(self, key_ids: np.ndarray, at: np.ndarray) -> np.ndarray:
        """The area id of each (key, date), -1 where the key is unknown or no version is valid at the date."""
        days = self._days(at)
        wanted = key_ids.astype(np.int64) * self.DAY_SPAN + days
        candidate = np.searchsorted(self._sorted, wanted, side="right") - 1
        safe = np.clip(candidate, 0, None)
        found = ((key_ids >= 0) & (candidate >= 0) & (self._sorted[safe] // self.DAY_SPAN == key_ids)
                 & (self._until[safe] > days))
        return np.where(found, self._area_ids[safe] if len(self._area_ids) else -1, -1)

    def _days(self, dates: np.ndarray) -> np.ndarray:
        return dates.astype("datetime64[D]").astype(np.int64) + self.DAY_SPAN // 2  # non-negative


def _report_unresolved(unresolved: pd.DataFrame, versions: pd.DataFrame, options: ObservationImportOptions,
                       report: ImportReport) -> None:
    known_keys = set(versions["key"])
    without_zeros = {k.lstrip("0"): k for k in known_keys if k != k.lstrip("0")}
    firsts = unresolved.drop_duplicates("key")
    for key, line, period in zip(firsts["key"].astype(str), firsts["line"], firsts["period"]):
        line = int(line)
        if key in known_keys:
            spans = [[str(pd.Timestamp(start).date()), None if pd.isna(end) else str(pd.Timestamp(end).date())]
                     for start, end in versions.loc[versions["key"] == key, ["valid_from", "valid_to"]].itertuples(
                         index=False)]
            report.error(f"area {key} has no boundary version valid at {pd.Timestamp(period).date()} (versions: {spans})",
                         "give the boundary version the data refers to (--boundaries-at YYYY-MM-DD)",
                         row=line, column=options.key_column, value=key, keys=(key,))
        elif looks_like_formula(pd.Series([key])).iloc[0]:
            report.error("the area key looks like a spreadsheet formula", "remove formulas; keys are plain text",
                         row=line, column=options.key_column, value=key[:80])
        elif key == "":
            report.error("the area key is empty", f"fill the column {options.key_column!r} in every row",
                         row=line, column=options.key_column, value="")
        elif re.fullmatch(r"\d+", key) and key in without_zeros:
            report.error(f"area key {key} lost its leading zero(s)",
                         "format the key column as text in the spreadsheet (e.g. '01100101')",
                         row=line, column=options.key_column, value=key, keys=(key,))
        else:
            report.error(f"unknown area key {key[:40]!r} on level {options.level!r}",
                         "correct the key or import the boundaries first", row=line, column=options.key_column,
                         value=key[:80], keys=(key[:40],))
        if len(report.problems) > 200:
            break


def _options_json(options: ObservationImportOptions) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(options).items()}


def observation_history(conn: Connection, level: str, key: str, indicator: str | None = None,
                        period: date | None = None, unsuppressed: bool = False) -> list[dict]:
    """Current and superseded values of every boundary version of one area, newest batch first.

    The one reader of `observation` itself, because the views hold current rows only. For readers
    (`unsuppressed` False) it keeps to published indicators, shows current values as `observation_public` does
    (confidential cells hidden, derived values rounded) and withholds the numbers of every superseded row
    (`HISTORY_REASON`): an earlier value is a cell of an earlier table whose confidentiality nobody checks any
    more (a small count corrected upwards would be readable, and the earlier table's sums would give the
    current hidden cells back), so only the statistics office sees it. The importer's name is withheld too."""
    rows = conn.execute(sa.text("""
        SELECT o.indicator_code AS indicator, o.period,
               CASE WHEN :unsuppressed THEN o.value ELSE p.value END AS value,
               CASE WHEN :unsuppressed THEN o.numerator ELSE p.numerator END AS numerator,
               CASE WHEN :unsuppressed THEN o.denominator ELSE p.denominator END AS denominator,
               CASE WHEN :unsuppressed THEN o.flag WHEN p.id IS NULL THEN 'withheld' ELSE p.flag END AS flag,
               CASE WHEN :unsuppressed THEN o.flag_reason WHEN p.id IS NULL THEN :withheld ELSE p.flag_reason END
                   AS flag_reason,
               CASE WHEN o.superseded_at IS NULL THEN 'current' ELSE 'superseded' END AS status,
               a.valid_from AS boundary_valid_from, o.import_batch_id, b.file_name, b.created_at AS imported_at,
               CASE WHEN :unsuppressed THEN b.created_by END AS imported_by,
               o.superseded_at, o.superseded_by_batch, sb.file_name AS superseded_by_file
        FROM (SELECT * FROM observation WHERE superseded_at IS NULL  -- current rows by the area's index
              UNION ALL SELECT * FROM observation WHERE superseded_at IS NOT NULL) o
        JOIN area a ON a.id = o.area_id AND a.level_code = :level AND a.key = :key
        JOIN indicator i ON i.code = o.indicator_code AND (i.published OR :unsuppressed)
        JOIN import_batch b ON b.id = o.import_batch_id
        LEFT JOIN import_batch sb ON sb.id = o.superseded_by_batch
        LEFT JOIN observation_public p ON NOT :unsuppressed AND p.id = o.id AND p.indicator_code = o.indicator_code
        WHERE (CAST(:indicator AS text) IS NULL OR o.indicator_code = :indicator)
          AND (CAST(:period AS date) IS NULL OR o.period = :period)
        ORDER BY i.sort, o.indicator_code, o.period DESC, o.superseded_at DESC NULLS FIRST, o.id DESC"""),
        {"level": level, "key": key, "indicator": indicator, "period": period, "unsuppressed": unsuppressed,
         "withheld": HISTORY_REASON})
    return [dict(r._mapping) for r in rows]
