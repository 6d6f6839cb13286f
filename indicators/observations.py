"""Observation import: long or wide tables -> validated long rows -> one atomic, COPY-based write.

Validation happens before anything is written and names file, row, column, value and the fix; it is
vectorised (pandas), and what repeats (keys, codes, periods) is parsed once per distinct value. The
write stages rows with one binary COPY into a temporary table and applies them set-based: rows equal
to what is stored are skipped (re-importing a file changes nothing), differing rows supersede the
stored ones (kept as history), new rows are inserted. A dry run does everything but commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.import_report import (ImportFailed, ImportReport, file_sha256, finish_batch,
                               record_batch, run_in_import_transaction)
from geo.levels import get_level
from indicators.refresh import refresh_after_write
from indicators.tabular import looks_like_formula, parse_numbers, read_table

Progress = Callable[[str, int, int], None]
BeforeCommit = Callable[[Connection, ImportReport], None]
MAX_ROWS_LISTED_PER_PROBLEM = 20


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
    sheet: str | None = None


class OptionError(ValueError):
    """An import option that cannot be used; `field` names it (CLI flag or HTTP form field)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


OBSERVATION_OPTION_FIELDS = {
    "level", "layout", "key_column", "indicator_column", "period_column", "period", "value_column",
    "numerator_column", "denominator_column", "column", "missing", "flag_reason_column", "boundaries_at",
    "encoding", "separator", "decimal", "sheet",
}
SEPARATOR_NAMES = {";": ";", ",": ",", "|": "|", "\t": "\t", "tab": "\t", "\\t": "\t"}


def observation_options(fields: dict[str, list[str]]) -> ObservationImportOptions:
    """Options from text fields (HTTP form/query; the CLI passes the same names): one value per field,
    except `column` (SOURCE=CODE) and `missing` (TOKEN=FLAG), which repeat. Raises OptionError."""
    import codecs

    from indicators.schema import OBSERVATION_FLAGS

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
        sheet=one.get("sheet") or None)


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
) -> ImportReport:
    """Validate and (unless dry_run or on error) store one observation table atomically.

    `before_commit(conn, report)` runs inside the transaction when something is about to be stored
    (the HTTP API writes its audit record there, so import and audit commit or fail together)."""
    report = ImportReport(kind="observations", file=display_name or path.name, dry_run=dry_run)
    step = progress or (lambda _what, _done, _total: None)
    table = read_table(path, report, encoding=options.encoding, separator=options.separator,
                       decimal=options.decimal, sheet=options.sheet)
    if table is None:
        return report
    report.sha256 = file_sha256(path)
    report.notes.append(f"read as {table.encoding}, separator {table.separator!r}, decimal {table.decimal!r}")
    step("read", 1, 5)
    def work() -> None:
        if get_level(conn, options.level) is None:
            known = [r[0] for r in conn.execute(sa.text("SELECT code FROM area_level ORDER BY rank"))]
            report.error(f"unknown area level {options.level!r}", f"use one of {known}", column="level")
            raise ImportFailed(report)
        indicators = {r.code: IndicatorRule(r.code, r.kind)
                      for r in conn.execute(sa.text("SELECT code, kind FROM indicator"))}
        rows = _to_long(table.frame, table.first_row, options, indicators, report)
        if not report.ok:
            raise ImportFailed(report)
        report.rows_read = len(rows)
        step("parsed", 2, 5)
        rows = _parse_values(rows, table.decimal, options, report)
        _check_values(rows, indicators, report)
        rows = _drop_duplicates(rows, report)
        rows = _resolve_areas(conn, rows, options, report)
        if not report.ok:
            raise ImportFailed(report)
        step("validated", 3, 5)
        report.batch_id = record_batch(conn, report, created_by, _options_json(options))
        _stage(conn, rows)
        step("staged", 4, 5)
        _apply(conn, report)
        if not dry_run:  # derived data (roll-ups, disclosure) would be rolled back with the dry run anyway
            refresh_after_write(conn)
        finish_batch(conn, report)
        step("stored", 5, 5)

    return run_in_import_transaction(conn, report, work, dry_run=dry_run,
                                     unchanged_note="nothing changed: every value is already stored",
                                     before_commit=before_commit)


# -- shaping ------------------------------------------------------------------------------------
def _to_long(frame: pd.DataFrame, first_row: int, options: ObservationImportOptions,
             indicators: dict[str, IndicatorRule], report: ImportReport) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    line = pd.Series(np.arange(first_row, first_row + len(frame)), index=frame.index)
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
        return frame
    period = frame[options.period_column] if options.period is None else pd.Series(options.period, index=frame.index)
    reason = frame[options.flag_reason_column] if options.flag_reason_column else pd.Series("", index=frame.index)
    base = pd.DataFrame({"line": line, "key": _stripped(frame[options.key_column]), "period_text": period,
                         "reason": _stripped(reason)})
    if options.layout == "long":
        long = base.assign(
            indicator=_stripped(frame[options.indicator_column]),
            value_text=frame[options.value_column],
            value_column=options.value_column,
            numerator_text=_optional(frame, options.numerator_column),
            denominator_text=_optional(frame, options.denominator_column),
        )
    else:
        mapping = options.columns or {c: c for c in frame.columns if c in indicators}
        if not mapping:
            report.error("no column is named like a known indicator code",
                         "map columns to indicator codes (--column S1=Arbeitslose) or load the catalogue first",
                         row=1)
            return base
        for source in mapping:
            if source not in frame.columns:
                report.error(f"mapped column {source!r} is missing", f"found {list(frame.columns)}", row=1,
                             column=source)
        if not report.ok:
            return base
        parts = [base.assign(indicator=code, value_text=frame[source], value_column=source,
                             numerator_text="", denominator_text="") for source, code in mapping.items()]
        long = pd.concat(parts, ignore_index=True)
    unknown = long.loc[~long["indicator"].isin(indicators.keys()), ["indicator", "line"]]
    for code, group in unknown.groupby("indicator"):
        report.error(f"unknown indicator {code!r}", "add it to the indicator catalogue first, or correct the code",
                     row=int(group["line"].iloc[0]), column=options.indicator_column if options.layout == "long" else code,
                     value=str(code))
    return long


def _optional(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if column and column in frame.columns:
        return frame[column]
    return pd.Series("", index=frame.index)


def parse_period(text: pd.Series) -> pd.Series:
    """Reference dates from '2020-12-31', '31.12.2020', '202012' (month end) or '2020' (31 Dec).

    A file has a handful of distinct periods: each is parsed once and the result spread over the rows."""
    codes, uniques = pd.factorize(text.astype(str), use_na_sentinel=False)
    distinct = pd.Series(uniques).str.strip()
    parsed = pd.Series(pd.NaT, index=distinct.index, dtype="datetime64[ns]")
    iso = distinct.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    german = distinct.str.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}")
    month = distinct.str.fullmatch(r"\d{6}")
    year = distinct.str.fullmatch(r"\d{4}")
    parsed[iso] = pd.to_datetime(distinct[iso], format="%Y-%m-%d", errors="coerce")
    parsed[german] = pd.to_datetime(distinct[german], format="%d.%m.%Y", errors="coerce")
    parsed[month] = pd.to_datetime(distinct[month], format="%Y%m", errors="coerce") + pd.offsets.MonthEnd(0)
    parsed[year] = pd.to_datetime(distinct[year] + "-12-31", format="%Y-%m-%d", errors="coerce")
    return pd.Series(parsed.to_numpy()[codes], index=text.index)


def _stripped(cells: pd.Series) -> pd.Series:
    """cells.str.strip(), computed once per distinct value (keys and codes repeat thousands of times)."""
    codes, uniques = pd.factorize(cells.astype(str), use_na_sentinel=False)
    return pd.Series(pd.Series(uniques).str.strip().to_numpy(dtype=object)[codes], index=cells.index)


def _parse_values(rows: pd.DataFrame, decimal: str, options: ObservationImportOptions,
                  report: ImportReport) -> pd.DataFrame:
    periods = parse_period(rows["period_text"])
    for row in rows.loc[periods.isna()].drop_duplicates("line").head(MAX_ROWS_LISTED_PER_PROBLEM).itertuples():
        report.error("cannot read the period", "write periods as 2020-12-31, 31.12.2020, 202012 or 2020",
                     row=int(row.line), column=options.period_column, value=str(row.period_text)[:40])
    value = parse_numbers(rows["value_text"], decimal, options.missing_values)
    numerator = parse_numbers(rows["numerator_text"], decimal)
    denominator = parse_numbers(rows["denominator_text"], decimal)
    for parsed, column_of in ((value, rows["value_column"]),
                              (numerator, pd.Series(options.numerator_column, index=rows.index)),
                              (denominator, pd.Series(options.denominator_column, index=rows.index))):
        bad = rows.loc[parsed.bad]
        for row in bad.head(MAX_ROWS_LISTED_PER_PROBLEM).itertuples():
            cell = rows.at[row.Index, "value_text"] if parsed is value else (
                rows.at[row.Index, "numerator_text"] if parsed is numerator else rows.at[row.Index, "denominator_text"])
            formula = looks_like_formula(pd.Series([cell])).iloc[0]
            report.error("a spreadsheet formula in a number column" if formula else "text in a number column",
                         "write numbers only (decimal comma or point); use '.', '-', 'x', '/' or leave empty for "
                         "missing values", row=int(row.line), column=str(column_of[row.Index]), value=str(cell)[:80])
        if len(bad) > MAX_ROWS_LISTED_PER_PROBLEM:
            report.error(f"{len(bad) - MAX_ROWS_LISTED_PER_PROBLEM} more cells with text in number columns",
                         "correct the cells listed above and check the rest of the column")
    flag = value.flags.where(value.flags.notna(), None)
    has_reason = rows["reason"].ne("") & flag.notna()
    return rows.assign(
        period=periods,
        value=value.values.where(flag.isna() | (flag == "nil"), np.nan).mask(flag == "nil", 0.0),
        numerator=numerator.values,
        denominator=denominator.values,
        flag=flag,
        flag_reason=rows["reason"].where(has_reason, None),
    )


def _check_values(rows: pd.DataFrame, indicators: dict[str, IndicatorRule], report: ImportReport) -> None:
    kind = rows["indicator"].map({code: rule.kind for code, rule in indicators.items()})
    checks = [
        ((kind == "share") & ((rows["value"] < 0) | (rows["value"] > 100)),
         "a share outside 0-100 %", "shares are percentages between 0 and 100; check the unit and decimal separator"),
        ((kind == "count") & (rows["value"] < 0), "a negative count", "counts cannot be negative"),
        ((rows["numerator"] < 0) | (rows["denominator"] < 0), "a negative numerator or denominator",
         "numerators and denominators are counts"),
        ((kind == "share") & (rows["numerator"] > rows["denominator"]), "the numerator exceeds the denominator",
         "swap the columns or correct the counts"),
    ]
    for mask, message, fix in checks:
        for row in rows.loc[mask.fillna(False)].head(MAX_ROWS_LISTED_PER_PROBLEM).itertuples():
            report.error(message, fix, row=int(row.line), column=str(row.value_column),
                         value=str(row.value_text).strip()[:40], keys=(str(row.key), str(row.indicator)))


def _drop_duplicates(rows: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    keys = ["key", "indicator", "period"]
    dup = rows[rows.duplicated(keys, keep=False)]
    if dup.empty:
        return rows
    variants = dup.groupby(keys, dropna=False).agg(
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
    return rows.drop_duplicates(keys, keep="first")


def _resolve_areas(conn: Connection, rows: pd.DataFrame, options: ObservationImportOptions,
                   report: ImportReport) -> pd.DataFrame:
    """Attach the id of the boundary version each key refers to; report unknown keys and lost leading zeros."""
    versions = pd.DataFrame(conn.execute(sa.text(
        "SELECT id AS area_id, key, valid_from, valid_to FROM area WHERE level_code = :level"),
        {"level": options.level}).all(), columns=["area_id", "key", "valid_from", "valid_to"])
    at = rows["period"] if options.boundaries_at is None else pd.Series(options.boundaries_at, index=rows.index)
    wanted = pd.DataFrame({"row": np.arange(len(rows)), "key": rows["key"].to_numpy(),
                           "at": pd.to_datetime(at.to_numpy())})
    merged = wanted.merge(versions.assign(valid_from=pd.to_datetime(versions["valid_from"]),
                                          valid_to=pd.to_datetime(versions["valid_to"])), on="key", how="inner")
    valid = (merged["valid_from"] <= merged["at"]) & (merged["valid_to"].isna() | (merged["valid_to"] > merged["at"]))
    matched = merged.loc[valid.fillna(False).astype(bool)].drop_duplicates("row")
    area_id = np.full(len(rows), np.nan)
    area_id[matched["row"].to_numpy()] = matched["area_id"].to_numpy()
    resolved = rows.assign(area_id=area_id)
    unresolved = resolved[resolved["area_id"].isna()]
    known_keys = set(versions["key"])
    for key, group in unresolved.groupby("key"):
        line = int(group["line"].iloc[0])
        if key in known_keys:
            spans = versions.loc[versions["key"] == key, ["valid_from", "valid_to"]].astype(str).values.tolist()
            report.error(f"area {key} has no boundary version valid at {pd.Timestamp(group['period'].iloc[0]).date()} (versions: {spans})",
                         "give the boundary version the data refers to (--boundaries-at YYYY-MM-DD)",
                         row=line, column=options.key_column, value=str(key), keys=(str(key),))
        elif looks_like_formula(pd.Series([str(key)])).iloc[0]:
            report.error("the area key looks like a spreadsheet formula", "remove formulas; keys are plain text",
                         row=line, column=options.key_column, value=str(key)[:80])
        elif str(key) == "":
            report.error("the area key is empty", f"fill the column {options.key_column!r} in every row",
                         row=line, column=options.key_column, value="")
        elif re.fullmatch(r"\d+", str(key)) and any(k.lstrip("0") == key and k != key for k in known_keys):
            report.error(f"area key {key} lost its leading zero(s)",
                         "format the key column as text in the spreadsheet (e.g. '01100101')",
                         row=line, column=options.key_column, value=str(key), keys=(str(key),))
        else:
            report.error(f"unknown area key {str(key)[:40]!r} on level {options.level!r}",
                         "correct the key or import the boundaries first", row=line, column=options.key_column,
                         value=str(key)[:80], keys=(str(key)[:40],))
        if len(report.problems) > 200:
            break
    return resolved.dropna(subset=["area_id"]).astype({"area_id": "int64"})


# -- writing --------------------------------------------------------------------------------------
PG_EPOCH = np.datetime64("2000-01-01", "D")
PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
STAGING_ROW = np.dtype([  # one row of PostgreSQL's binary COPY format: field count, then (length, value) pairs
    ("fields", ">i2"),
    ("l_indicator", ">i4"), ("indicator", ">i2"), ("l_area", ">i4"), ("area_id", ">i8"),
    ("l_period", ">i4"), ("period", ">i4"), ("l_value", ">i4"), ("value", ">f8"),
    ("l_numerator", ">i4"), ("numerator", ">f8"), ("l_denominator", ">i4"), ("denominator", ">f8"),
    ("l_flag", ">i4"), ("flag", ">i2"), ("l_reason", ">i4"), ("reason", ">i4"),
])


def _stage(conn: Connection, rows: pd.DataFrame) -> None:
    """Load the validated rows into the temporary table `staging_observation` with one binary COPY.

    Hand-written because no library turns a million-row DataFrame into COPY input fast: pandas' to_csv
    formats every cell in Python (seconds), psycopg's write_row loops in Python. Here every row has the
    same width (text columns are sent as small integer codes, missing numbers as NaN), so numpy builds
    the whole binary COPY stream at once; the codes are turned back into text in SQL."""
    codes = pd.Index(rows["indicator"].unique())
    flags = pd.Index(rows["flag"].dropna().unique())
    reasons = pd.Index(rows["flag_reason"].dropna().unique())
    data = np.zeros(len(rows), dtype=STAGING_ROW)
    data["fields"] = 8
    for length, name in ((2, "indicator"), (8, "area"), (4, "period"), (8, "value"), (8, "numerator"),
                         (8, "denominator"), (2, "flag"), (4, "reason")):
        data[f"l_{name}"] = length
    data["indicator"] = codes.get_indexer(rows["indicator"])
    data["area_id"] = rows["area_id"].to_numpy()
    data["period"] = (rows["period"].to_numpy().astype("datetime64[D]") - PG_EPOCH).astype(int)
    for name in ("value", "numerator", "denominator"):
        data[name] = rows[name].to_numpy(dtype=float, na_value=np.nan)
    data["flag"] = flags.get_indexer(rows["flag"]) + 1  # 0 = no flag
    data["reason"] = reasons.get_indexer(rows["flag_reason"]) + 1
    conn.execute(sa.text("""
        CREATE TEMP TABLE staging_binary (
            indicator smallint, area_id bigint, period date, value double precision, numerator double precision,
            denominator double precision, flag smallint, reason integer
        ) ON COMMIT DROP"""))
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy("COPY staging_binary FROM STDIN (FORMAT binary)") as copy:
        copy.write(PGCOPY_HEADER)
        payload = data.tobytes()
        for start in range(0, len(payload), 8 << 20):
            copy.write(payload[start:start + (8 << 20)])
        copy.write(b"\xff\xff")  # end of the binary COPY stream
    conn.execute(sa.text("""
        CREATE TEMP TABLE staging_observation ON COMMIT DROP AS
        SELECT c.code AS indicator_code, b.area_id, b.period, NULLIF(b.value, 'NaN') AS value,
               NULLIF(b.numerator, 'NaN') AS numerator, NULLIF(b.denominator, 'NaN') AS denominator,
               f.flag, r.reason AS flag_reason
        FROM staging_binary b
        JOIN unnest(CAST(:codes AS text[])) WITH ORDINALITY c(code, i) ON c.i = b.indicator + 1
        LEFT JOIN unnest(CAST(:flags AS text[])) WITH ORDINALITY f(flag, i) ON f.i = b.flag
        LEFT JOIN unnest(CAST(:reasons AS text[])) WITH ORDINALITY r(reason, i) ON r.i = b.reason"""),
        {"codes": list(codes), "flags": list(flags), "reasons": list(reasons)})
    conn.execute(sa.text("DROP TABLE staging_binary"))
    conn.execute(sa.text("ANALYZE staging_observation"))  # the joins below are planned on real numbers


def _apply(conn: Connection, report: ImportReport) -> None:
    """Set-based write: drop rows equal to the stored ones, supersede the differing ones, insert the rest.

    The first two steps only run when current values of the same indicators and periods exist on these
    areas at all (a first import of new data needs neither)."""
    overlaps = conn.execute(sa.text("""
        SELECT EXISTS (
            SELECT 1 FROM (SELECT DISTINCT indicator_code, period FROM staging_observation) p
            JOIN observation o ON o.indicator_code = p.indicator_code AND o.period = p.period
                              AND o.superseded_at IS NULL
            WHERE o.area_id IN (SELECT DISTINCT area_id FROM staging_observation))""")).scalar_one()
    if overlaps:
        report.rows_unchanged = conn.execute(sa.text("""
            DELETE FROM staging_observation s USING observation o
            WHERE o.superseded_at IS NULL AND o.indicator_code = s.indicator_code AND o.area_id = s.area_id
              AND o.period = s.period AND o.value IS NOT DISTINCT FROM s.value
              AND o.numerator IS NOT DISTINCT FROM s.numerator AND o.denominator IS NOT DISTINCT FROM s.denominator
              AND o.flag IS NOT DISTINCT FROM s.flag
              AND o.flag_reason IS NOT DISTINCT FROM s.flag_reason""")).rowcount
        report.rows_superseded = conn.execute(sa.text("""
            UPDATE observation o SET superseded_at = now(), superseded_by_batch = :batch
            FROM staging_observation s
            WHERE o.superseded_at IS NULL AND o.indicator_code = s.indicator_code AND o.area_id = s.area_id
              AND o.period = s.period"""), {"batch": report.batch_id}).rowcount
    report.rows_written = conn.execute(sa.text("""
        INSERT INTO observation (indicator_code, area_id, period, value, numerator, denominator, flag, flag_reason,
                                 import_batch_id)
        SELECT indicator_code, area_id, period, value, numerator, denominator, flag, flag_reason, :batch
        FROM staging_observation"""), {"batch": report.batch_id}).rowcount


def _options_json(options: ObservationImportOptions) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(options).items()}


def observation_history(conn: Connection, level: str, key: str, indicator: str | None = None,
                        period: date | None = None, unsuppressed: bool = False) -> list[dict]:
    """Current and superseded values of every boundary version of one area, newest batch first.

    The one reader of `observation` itself, because the views hold current rows only. For readers
    (`unsuppressed` False) it keeps to published indicators and hides the numbers of every cell that
    statistical confidentiality currently suppresses, in all its versions, and the importer's name."""
    rows = conn.execute(sa.text("""
        SELECT o.indicator_code AS indicator, o.period,
               CASE WHEN s.id IS NULL THEN o.value END AS value,
               CASE WHEN s.id IS NULL THEN o.numerator END AS numerator,
               CASE WHEN s.id IS NULL THEN o.denominator END AS denominator,
               CASE WHEN s.id IS NULL THEN o.flag ELSE 'suppressed' END AS flag,
               CASE WHEN s.id IS NULL THEN o.flag_reason END AS flag_reason,
               CASE WHEN o.superseded_at IS NULL THEN 'current' ELSE 'superseded' END AS status,
               a.valid_from AS boundary_valid_from, o.import_batch_id, b.file_name, b.created_at AS imported_at,
               CASE WHEN :unsuppressed THEN b.created_by END AS imported_by,
               o.superseded_at, o.superseded_by_batch, sb.file_name AS superseded_by_file
        FROM observation o
        JOIN area a ON a.id = o.area_id AND a.level_code = :level AND a.key = :key
        JOIN indicator i ON i.code = o.indicator_code AND (i.published OR :unsuppressed)
        JOIN import_batch b ON b.id = o.import_batch_id
        LEFT JOIN import_batch sb ON sb.id = o.superseded_by_batch
        LEFT JOIN observation_public s ON NOT :unsuppressed AND s.flag = 'suppressed'
             AND s.indicator_code = o.indicator_code AND s.area_id = o.area_id AND s.period = o.period
        WHERE (CAST(:indicator AS text) IS NULL OR o.indicator_code = :indicator)
          AND (CAST(:period AS date) IS NULL OR o.period = :period)
        ORDER BY i.sort, o.indicator_code, o.period DESC, o.superseded_at DESC NULLS FIRST, o.id DESC"""),
        {"level": level, "key": key, "indicator": indicator, "period": period, "unsuppressed": unsuppressed})
    return [dict(r._mapping) for r in rows]
