"""Shaping an observation table into long rows: one row per (area, indicator, period), long or wide layout,
numbers parsed, unknown indicators and text in number columns reported. Knows the catalogue's indicator codes
(`IndicatorRule`), not the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.import_report import ImportReport
from indicators.copy_binary import positions_by_code
from indicators.ingest.options import ObservationImportOptions
from indicators.ingest.tables import ParsedNumbers, Table, looks_like_formula, parse_numbers

MAX_ROWS_LISTED_PER_PROBLEM = 20


@dataclass(frozen=True)
class IndicatorRule:
    """What the checks need of a catalogue indicator: its code, kind (share, count, rate, change) and value type
    (register, or survey: a share estimated from a sample, delivered with its sample size)."""

    code: str
    kind: str
    value_type: str = "register"


SAMPLE_SIZE_COLUMN = "sample_size"


def text_columns(options: ObservationImportOptions) -> set[str]:
    """Columns read as text; all others become numbers while the CSV is parsed, where they are plain numbers."""
    return {c for c in (options.key_column, options.indicator_column if options.layout == "long" else None,
                        options.period_column, options.flag_reason_column) if c}


def long_parts(table: Table, options: ObservationImportOptions, indicators: dict[str, IndicatorRule],
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
                         row=1, column=column, message_de=f"die Spalte {column!r} fehlt",
                         fix_de=f"sie in der Kopfzeile benennen; vorhanden sind {list(frame.columns)}")
    if options.flag_reason_column and options.flag_reason_column not in frame.columns:
        report.error(f"column {options.flag_reason_column!r} is missing", "correct --flag-reason-column", row=1,
                     message_de=f"die Spalte {options.flag_reason_column!r} fehlt",
                     fix_de="--flag-reason-column korrigieren")
    if not report.ok:
        return None
    if options.layout == "long":
        indicator = _categorical(frame[options.indicator_column])
        if _report_unknown_indicators(indicator, table.line_numbers(frame.index.to_numpy()), options, indicators,
                                      report):
            return None
        groups = [(str(indicator.categories[indicator.codes[rows[0]]]), rows, options.value_column)
                  for rows in positions_by_code(indicator.codes)]
        numerator_column = _present(frame, options.numerator_column)
        # a survey's sample size is its denominator (the respondents); a file may call it so or sample_size
        denominator_column = _present(frame, options.denominator_column) or _present(frame, SAMPLE_SIZE_COLUMN)
    else:
        mapping = options.columns or {c: c for c in frame.columns if c in indicators}
        if not mapping:
            report.error("no column is named like a known indicator code",
                         "map columns to indicator codes (--column S1=Arbeitslose) or load the catalogue first",
                         row=1, message_de="keine Spalte heißt wie ein bekannter Indikator-Code",
                         fix_de="Spalten Indikator-Codes zuordnen (--column S1=Arbeitslose) oder zuerst den Katalog "
                                "laden")
            return None
        for source in mapping:
            if source not in frame.columns:
                report.error(f"mapped column {source!r} is missing", f"found {list(frame.columns)}", row=1,
                             column=source, message_de=f"die zugeordnete Spalte {source!r} fehlt",
                             fix_de=f"vorhanden sind {list(frame.columns)}")
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
                "line": table.line_numbers(labels), "source_row": labels,
                "key": key[take], "period_text": period[take], "reason": reason[take],
                "indicator": _constant(code, len(labels)), "value_column": _constant(source, len(labels)),
                "value": np.where(nil, 0.0, np.where(flagged, np.nan, value.values.to_numpy())),
                "numerator": numerator.values.to_numpy(), "denominator": denominator.values.to_numpy(),
                "flag": _flag_categorical(value.flags, flagged),
            })

    return [code for code, _, _ in groups], parts()


def to_long(table: Table, options: ObservationImportOptions, indicators: dict[str, IndicatorRule],
            report: ImportReport) -> pd.DataFrame | None:
    """All parts of `long_parts` in one DataFrame, with every text-in-number cell reported."""
    bad: list[tuple[np.ndarray, str]] = []
    shaped = long_parts(table, options, indicators, report, bad)
    if shaped is None:
        return None
    pieces = list(shaped[1])
    _report_text_in_numbers(table, bad, report)
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


def _report_text_in_numbers(table: Table, bad: list[tuple[np.ndarray, str]], report: ImportReport) -> None:
    frame = table.frame
    cells = sorted((int(row), column) for rows, column in bad for row in rows[:MAX_ROWS_LISTED_PER_PROBLEM])
    for row, column in cells[:MAX_ROWS_LISTED_PER_PROBLEM]:
        cell = str(frame.at[row, column])
        formula = looks_like_formula(pd.Series([cell])).iloc[0]
        report.error("a spreadsheet formula in a number column" if formula else "text in a number column",
                     "write numbers only (decimal comma or point); use '.', '-', 'x', '/' or leave empty for "
                     "missing values", row=int(table.line_numbers([row])[0]), column=column, value=cell[:80],
                     message_de="eine Tabellenkalkulationsformel in einer Zahlenspalte" if formula
                     else "Text in einer Zahlenspalte",
                     fix_de="nur Zahlen schreiben (Dezimalkomma oder -punkt); für fehlende Werte '.', '-', 'x', '/' "
                            "verwenden oder leer lassen")
    more = sum(len(rows) for rows, _ in bad) - MAX_ROWS_LISTED_PER_PROBLEM
    if more > 0:
        report.error(f"{more} more cells with text in number columns",
                     "correct the cells listed above and check the rest of the column",
                     message_de=f"{more} weitere Zellen mit Text in Zahlenspalten",
                     fix_de="die oben genannten Zellen korrigieren und den Rest der Spalte prüfen")


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
                     row=int(lines[first_of[i]]), column=options.indicator_column, value=code,
                     message_de=f"unbekannter Indikator {code!r}",
                     fix_de="ihn zuerst in den Indikatorenkatalog aufnehmen oder den Code korrigieren")
    return True
