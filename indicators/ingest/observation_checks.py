"""Checking long observation rows before anything is stored: periods readable and not in the future, values
fitting their indicator's kind, no repeated (area, indicator, period), every key resolved to the boundary
version valid at its period (`BoundaryVersions`, one binary search per row instead of a join). Problems are
reported with row, column, value and the fix, in English and where written German.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.import_report import ImportReport
from geo.territorial import CHANGE_LABELS
from indicators.ingest.observation_rows import MAX_ROWS_LISTED_PER_PROBLEM, SAMPLE_SIZE_COLUMN, IndicatorRule
from indicators.ingest.options import ObservationImportOptions
from indicators.ingest.tables import Table, looks_like_formula, parse_period


@dataclass(frozen=True)
class RowChecks:
    """What the rows are checked against: the options, the catalogue and the boundary versions of the level."""

    options: ObservationImportOptions
    indicators: dict[str, IndicatorRule]
    versions: BoundaryVersions

    @classmethod
    def load(cls, conn: Connection, options: ObservationImportOptions) -> RowChecks:
        indicators = {r.code: IndicatorRule(r.code, r.kind, r.value_type)
                      for r in conn.execute(sa.text("SELECT code, kind, value_type FROM indicator"))}
        return cls(options, indicators, area_versions(conn, options.level))


def validated(rows: pd.DataFrame, table: Table, checks: RowChecks, report: ImportReport) -> pd.DataFrame:
    """Long rows with periods parsed, values checked, repeats dropped and keys resolved; problems reported."""
    rows = parse_periods(rows, checks.options, report)
    check_values(rows, table, checks.indicators, report)
    rows = with_survey_counts(rows, checks.indicators)
    rows = drop_duplicates(rows, report)
    return resolve_areas(rows, checks.versions, checks.options, report)


def parse_periods(rows: pd.DataFrame, options: ObservationImportOptions, report: ImportReport) -> pd.DataFrame:
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
                     row=int(line), column=options.period_column, value=text[:40],
                     message_de="der Zeitpunkt ist nicht lesbar",
                     fix_de="Zeitpunkte als 2020-12-31, 31.12.2020, 202012 oder 2020 schreiben")
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


def check_values(rows: pd.DataFrame, table: Table, indicators: dict[str, IndicatorRule],
                  report: ImportReport) -> None:
    kind = _per_row(rows, indicators, "kind")
    share, count = kind == "share", kind == "count"
    survey = _surveys(rows, indicators)
    value, numerator, denominator = (rows[c].to_numpy() for c in ("value", "numerator", "denominator"))
    with np.errstate(invalid="ignore"):
        checks = [  # mask, message and fix in English and German
            (survey & ~np.isnan(value) & np.isnan(denominator), "a survey value without its sample size",
             f"add the number of respondents who answered the question as column '{SAMPLE_SIZE_COLUMN}' (or "
             "denominator); a share of a sample cannot be judged without it",
             "ein Befragungswert ohne Stichprobengröße",
             f"die Zahl der Befragten, die die Frage beantwortet haben, als Spalte '{SAMPLE_SIZE_COLUMN}' (oder "
             "denominator) angeben; ein Anteil aus einer Stichprobe lässt sich ohne sie nicht beurteilen"),
            (survey & (np.mod(denominator, 1) > 0), "a sample size with a fractional part",
             "the sample size is the number of respondents, a whole number (weights belong in the value and the "
             "indicator's design_effect)",
             "eine Stichprobengröße mit Nachkommastellen",
             "die Stichprobengröße ist die Zahl der Befragten, eine ganze Zahl (Gewichte gehören in den Wert und den "
             "Designeffekt des Indikators)"),
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


def _per_row(rows: pd.DataFrame, indicators: dict[str, IndicatorRule], field: str) -> np.ndarray:
    """Per row, one field of its indicator's rule ("" for an unknown indicator), looked up once per category."""
    per_code = np.array([getattr(indicators[c], field) if c in indicators else ""
                         for c in rows["indicator"].cat.categories], dtype=object)
    return per_code[rows["indicator"].cat.codes.to_numpy()] if len(per_code) else np.array([], dtype=object)


def _surveys(rows: pd.DataFrame, indicators: dict[str, IndicatorRule]) -> np.ndarray:
    """Per row: is its indicator a survey value (a share estimated from a sample)?"""
    return _per_row(rows, indicators, "value_type") == "survey"


def with_survey_counts(rows: pd.DataFrame, indicators: dict[str, IndicatorRule]) -> pd.DataFrame:
    """A survey share delivered with its sample size n and without a numerator gets the estimated number of
    respondents with the attribute, value / 100 * n, as its numerator, so that its interval (indicators.uncertainty)
    is computed from the sample like any share's from its counts."""
    survey = _surveys(rows, indicators)
    missing = survey & np.isnan(rows["numerator"].to_numpy()) & ~np.isnan(rows["denominator"].to_numpy())
    if not missing.any():
        return rows
    rows = rows.copy()
    rows.loc[missing, "numerator"] = rows.loc[missing, "value"] / 100 * rows.loc[missing, "denominator"]
    return rows


def drop_duplicates(rows: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
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
                         row=int(item.lines[1]), keys=(str(key), str(code)),
                         message_de=f"Gebiet {key}, Indikator {code}, Zeitpunkt {period} kommt in den Zeilen "
                                    f"{item.lines} mit verschiedenen Werten vor",
                         fix_de="je Gebiet, Indikator und Zeitpunkt eine Zeile behalten")
        else:
            report.warning(f"area {key}, indicator {code}, period {period} repeats in rows {item.lines}",
                           "remove the repeated rows", row=int(item.lines[1]), keys=(str(key), str(code)),
                           message_de=f"Gebiet {key}, Indikator {code}, Zeitpunkt {period} wiederholt sich in den "
                                      f"Zeilen {item.lines}",
                           fix_de="die wiederholten Zeilen entfernen")
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


def resolve_areas(rows: pd.DataFrame, versions: BoundaryVersions, options: ObservationImportOptions,
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
    _report_key_system(rows, key_ids, unresolved, versions, options, report)
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


def _report_key_system(rows: pd.DataFrame, key_ids: np.ndarray, unresolved: np.ndarray,
                       versions: BoundaryVersions, options: ObservationImportOptions, report: ImportReport) -> None:
    """Keys that belong to another boundary version (key system) than the one declared: name the version(s)
    in which every key of the file resolves, so the fix is one option, not a key-by-key search. Keys of two
    systems can coincide (Berlin's 09041402 names different areas before and after 2019), so the one key that
    does not resolve is the whole evidence; the rows that did resolve must not be joined silently."""
    present = np.unique(key_ids)
    if len(present) == 0 or (present < 0).any():
        return  # keys no version has: reported one by one
    starts = sorted(set(versions.frame["valid_from"].dropna()))
    fitting = [start for start in starts
               if (versions.valid_at(present, np.full(len(present), np.datetime64(start, "ns"))) >= 0).all()]
    if not fitting:
        return
    first = rows[unresolved].iloc[0]
    declared = (f"boundaries_at {options.boundaries_at}" if options.boundaries_at is not None
                else "the periods of the rows")
    dates = ", ".join(str(pd.Timestamp(start).date()) for start in fitting)
    choice = dates if len(fitting) == 1 else f"one of {dates}"
    report.error(f"the file's keys belong to another key system than {declared}: all {len(present)} keys are "
                 f"those of the boundary version valid from {dates}",
                 f"give boundaries_at: {choice} (--boundaries-at), or deliver the data on the boundaries valid at "
                 f"their period",
                 row=int(first["line"]), column=options.key_column, value=str(first["key"]),
                 message_de=f"die Schlüssel der Datei gehören zu einem anderen Schlüsselsystem als {declared}: alle "
                            f"{len(present)} Schlüssel sind die der Gebietsstand-Version ab {dates}",
                 fix_de=f"boundaries_at: {choice} angeben (--boundaries-at) oder die "
                        f"Daten auf dem zum Stichtag gültigen Gebietsstand liefern")


def _report_unresolved(unresolved: pd.DataFrame, versions: pd.DataFrame, options: ObservationImportOptions,
                       report: ImportReport) -> None:
    known_keys = set(versions["key"])
    without_zeros = {k.lstrip("0"): k for k in known_keys if k != k.lstrip("0")}
    firsts = unresolved.drop_duplicates("key")
    for key, line, period in zip(firsts["key"].astype(str), firsts["line"], firsts["period"]):
        line = int(line)
        successor = _successor_text(versions, key, period)
        if successor is not None:
            text, text_de, ended = successor
            report.error(f"area {key} no longer exists at {pd.Timestamp(period).date()}: {text}",
                         f"deliver the values on its successor's key, or give the boundary version the data refer to "
                         f"(--boundaries-at a day before {ended})",
                         row=line, column=options.key_column, value=key, keys=(key,),
                         message_de=f"Gebiet {key} besteht am {pd.Timestamp(period):%d.%m.%Y} nicht mehr: {text_de}",
                         fix_de=f"die Werte unter dem Schlüssel des Nachfolgers liefern oder den Gebietsstand "
                                f"der Daten angeben (--boundaries-at vor dem {ended:%d.%m.%Y})")
        elif key in known_keys:
            spans = [[str(pd.Timestamp(start).date()), None if pd.isna(end) else str(pd.Timestamp(end).date())]
                     for start, end in versions.loc[versions["key"] == key, ["valid_from", "valid_to"]].itertuples(
                         index=False)]
            report.error(f"area {key} has no boundary version valid at {pd.Timestamp(period).date()} (versions: {spans})",
                         "give the boundary version the data refers to (--boundaries-at YYYY-MM-DD)",
                         row=line, column=options.key_column, value=key, keys=(key,),
                         message_de=f"Gebiet {key} hat keinen zum {pd.Timestamp(period).date()} gültigen "
                                    f"Gebietsstand (Gebietsstände: {spans})",
                         fix_de="den Gebietsstand angeben, auf den sich die Daten beziehen "
                                "(--boundaries-at JJJJ-MM-TT)")
        elif looks_like_formula(pd.Series([key])).iloc[0]:
            report.error("the area key looks like a spreadsheet formula", "remove formulas; keys are plain text",
                         row=line, column=options.key_column, value=key[:80],
                         message_de="der Gebietsschlüssel sieht wie eine Tabellenkalkulationsformel aus",
                         fix_de="Formeln entfernen; Schlüssel sind reiner Text")
        elif key == "":
            report.error("the area key is empty", f"fill the column {options.key_column!r} in every row",
                         row=line, column=options.key_column, value="",
                         message_de="der Gebietsschlüssel ist leer",
                         fix_de=f"die Spalte {options.key_column!r} in jeder Zeile füllen")
        elif re.fullmatch(r"\d+", key) and key in without_zeros:
            report.error(f"area key {key} lost its leading zero(s)",
                         "format the key column as text in the spreadsheet (e.g. '01100101')",
                         row=line, column=options.key_column, value=key, keys=(key,),
                         message_de=f"der Gebietsschlüssel {key} hat seine führende(n) Null(en) verloren",
                         fix_de="die Schlüsselspalte in der Tabellenkalkulation als Text formatieren "
                                "(z. B. '01100101')")
        else:
            report.error(f"unknown area key {key[:40]!r} on level {options.level!r}",
                         "correct the key or import the boundaries first", row=line, column=options.key_column,
                         value=key[:80], keys=(key[:40],),
                         message_de=f"unbekannter Gebietsschlüssel {key[:40]!r} auf Ebene {options.level!r}",
                         fix_de="den Schlüssel korrigieren oder zuerst die Gebietsgrenzen importieren")
        if len(report.problems) > 200:
            break


def _successor_text(versions: pd.DataFrame, key: str, period) -> tuple[str, str, date] | None:
    """What became of a key whose last version ended on or before `period` (territorial changes, English and
    German) and the day it ended; None when no recorded change ended it."""
    ended = versions[(versions["key"] == key) & versions["valid_to"].notna()
                     & (versions["valid_to"] <= pd.Timestamp(period))]
    ended = ended[ended["successors"].map(bool)]
    if ended.empty:
        return None
    last = ended.sort_values("valid_to").iloc[-1]
    changes = last["successors"]
    day = pd.Timestamp(last["valid_to"]).date()
    text = "; ".join(f"{CHANGE_LABELS[c][1]} into {k} {n} on {day}" for c, k, n in changes)
    text_de = "; ".join(f"{CHANGE_LABELS[c][0]} zu {k} {n} am {day:%d.%m.%Y}" for c, k, n in changes)
    return text, text_de, day


def area_versions(conn: Connection, level: str) -> BoundaryVersions:
    rows = conn.execute(sa.text("""
        SELECT a.id AS area_id, a.key, a.valid_from, a.valid_to,
               (SELECT coalesce(array_agg(ARRAY[s.change, n.key, n.name] ORDER BY n.key), '{}')
                FROM area_succession s JOIN area n ON n.id = s.successor_id
                WHERE s.predecessor_id = a.id) AS successors
        FROM area a WHERE a.level_code = :level"""), {"level": level}).all()
    return BoundaryVersions(pd.DataFrame({
        "area_id": np.array([r.area_id for r in rows], dtype=np.int64),
        "key": pd.Series([r.key for r in rows], dtype=object),
        "valid_from": pd.to_datetime(pd.Series([r.valid_from for r in rows], dtype=object)),
        "valid_to": pd.to_datetime(pd.Series([r.valid_to for r in rows], dtype=object)),
        "successors": pd.Series([[tuple(s) for s in r.successors] for r in rows], dtype=object),
    }))
