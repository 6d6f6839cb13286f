"""Reading statistics-office tables: encodings, separators, decimal commas, the GENESIS special symbols and
the notations of a period.

Turns a CSV or XLSX file into a DataFrame of strings plus a parsed-number view, and reports what it
cannot read with the file, row and column. Knows nothing of areas, indicators or the database.
Written by hand where pandas has no switch for it: encoding detection with a "mixed encodings"
diagnosis, and the GENESIS/Regionalstatistik symbols, which must become flags rather than numbers.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from geo.import_report import ImportLimits, ImportReport, de_number, reader_message, refuse_oversized

# The first line of a table exported from GENESIS (Regionalstatistik, Destatis, a Land's database) as it comes:
# a title block, header rows and footnotes around the data, which layout genesis reads (indicators/ingest/genesis)
GENESIS_TITLE = re.compile(r'^\ufeff?"?GENESIS-Tabelle:\s*([^";]+)')
MAX_LINE_BYTES = 1 << 20  # a table row of a statistics office is a few hundred bytes
SEPARATORS = (";", ",", "\t", "|")

# Zeichenerklärung of the statistical offices (GENESIS / Regionalstatistik): symbol -> flag
SPECIAL_SYMBOLS = {
    "-": "nil",  # nichts vorhanden (genau null)
    "–": "nil",
    ".": "unknown_or_secret",  # Zahlenwert unbekannt oder geheim zu halten
    "x": "not_applicable",  # Tabellenfach gesperrt, weil Aussage nicht sinnvoll
    "X": "not_applicable",
    "/": "unreliable",  # keine Angaben, da Zahlenwert nicht sicher genug
    "…": "later",  # Angabe fällt später an
    "...": "later",
}
FORMULA_START = re.compile(r"^[=+@]|^-[^\d.,]")
GERMAN_NUMBER = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
POINT_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][+-]?\d+)?$")
# "1.709" / "1,709": one thousands group, or three decimals? Only the file's notation can tell.
AMBIGUOUS_NUMBER = r"[+-]?[1-9]\d{0,2}[.,]\d{3}"
DECIMAL_COMMA = r"[+-]?(\d+(\.\d{3})*,\d+|\d{1,3}(\.\d{3}){2,})"  # 12,5  1.234,5  1.234.567
DECIMAL_POINT = r"[+-]?(\d+(,\d{3})*\.\d+([eE][+-]?\d+)?|\d{1,3}(,\d{3}){2,})"  # 12.5  1,234.5  1,234,567
THOUSANDS = {".": ",", ",": "."}  # thousands separator -> the decimal separator it implies


@dataclass
class Table:
    """A table as read. Columns are text (str/object) unless read_table was told which are text: then the
    others are float/int where every cell is a plain number. `first_row` is the spreadsheet row number of the
    first data row."""

    frame: pd.DataFrame
    encoding: str
    separator: str | None
    decimal: str
    first_row: int = 2
    grouped: bool = True  # digit groups ("1.234.567") are read; False when told there is no thousands separator
    lines: np.ndarray | None = None  # the file's line of each row, where rows are not the file's lines in order

    def line_numbers(self, labels: np.ndarray) -> np.ndarray:
        """The file's line (spreadsheet row) of the rows with these index labels, for reports."""
        labels = np.asarray(labels)
        return self.lines[labels] if self.lines is not None else self.first_row + labels


def read_table(path: Path, report: ImportReport, *, encoding: str | None = None, separator: str | None = None,
               decimal: str | None = None, thousands: str | None = None, sheet: str | None = None,
               text_columns: Collection[str] | None = None, limits: ImportLimits = ImportLimits()) -> Table | None:
    """Read CSV/XLSX; None (with errors in the report) when the file cannot be read at all.

    `text_columns` None reads every column as text. Given, those columns (keys, codes, periods: leading zeros
    matter) are read as text and every other column of a CSV is converted to numbers while it is parsed,
    when all its cells are plain numbers in the file's decimal notation; a column with anything else in it
    (thousands separators, special symbols, empty cells, text) stays text for `parse_numbers`.

    The decimal separator is `decimal`, or the one `thousands` ('.', ',' or 'none') implies, or the one the
    cells show ("12,5", "1.234,5"). A file that shows none and has a cell like "1.709" (1709, or 1.709?) is
    refused with that question: nothing is guessed. `limits` bounds a workbook before it is parsed."""
    if not path.exists():
        report.error("file not found", "check the path", message_de="Datei nicht gefunden", fix_de="den Pfad prüfen")
        return None
    size = path.stat().st_size
    if size == 0:
        report.error("the file is empty", "export the table again, with a header row and data rows",
                     message_de="die Datei ist leer",
                     fix_de="die Tabelle erneut exportieren, mit Kopfzeile und Datenzeilen")
        return None
    if refuse_oversized(size, limits, report, "split the file by period or indicator",
                        "die Datei nach Zeitpunkt oder Indikator aufteilen"):
        return None
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, report, sheet, decimal, thousands, text_columns, limits)
    raw = path.read_bytes()
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") and encoding is None:
        encoding = "utf-16"  # Excel's "Unicode text" export
    elif b"\x00" in raw[:65536] and not (encoding or "").lower().startswith("utf-16"):
        report.error("the file is binary, not a text table (it contains NUL bytes)",
                     "export the table as CSV (UTF-8 or Windows-1252) or as .xlsx",
                     message_de="die Datei ist binär, keine Texttabelle (sie enthält NUL-Bytes)",
                     fix_de="die Tabelle als CSV (UTF-8 oder Windows-1252) oder als .xlsx exportieren")
        return None
    too_long = _first_overlong_line(raw)
    if too_long is not None:
        line_no, length = too_long
        report.error(f"row {line_no} is {length:,} bytes long", "check that the file is a table with line breaks",
                     row=line_no, message_de=f"Zeile {line_no} ist {de_number(length)} Bytes lang",
                     fix_de="prüfen, ob die Datei eine Tabelle mit Zeilenumbrüchen ist")
        return None
    text, used_encoding = decode_text(raw, encoding, report)
    if text is None:
        return None
    lines = _first_nonblank_lines(text, 50)
    if len(lines) < 2:
        report.error("the file has a header but no data rows" if lines else "the file has no rows",
                     "export the table with its data rows",
                     message_de="die Datei hat eine Kopfzeile, aber keine Datenzeilen" if lines
                     else "die Datei hat keine Zeilen",
                     fix_de="die Tabelle mit ihren Datenzeilen exportieren")
        return None
    genesis = GENESIS_TITLE.match(lines[0])
    if genesis:
        table_name = genesis.group(1).strip()
        report.error(f"this is a GENESIS table export ({table_name}) with its title block, header rows and "
                     "footnotes, not a plain table with one header row",
                     "import the file unchanged with layout genesis (command line: --layout genesis; manifest and "
                     "HTTP options: layout: genesis) and map its value columns by their header names, "
                     "e.g. Insgesamt: EW",
                     row=1, value=lines[0][:80],
                     message_de=f"das ist ein GENESIS-Tabellenexport ({table_name}) mit Titelblock, Kopfzeilen und "
                                "Fußnoten, keine einfache Tabelle mit einer Kopfzeile",
                     fix_de="die Datei unverändert mit dem Layout genesis importieren (Kommandozeile: --layout "
                            "genesis; Manifest und HTTP-Optionen: layout: genesis) und ihre Wertspalten über die "
                            "Namen in den Kopfzeilen zuordnen, z. B. Insgesamt: EW")
        return None
    sep = separator or _sniff_separator(lines)
    if sep is None:
        report.error("cannot tell the column separator: the header has only one column",
                     "separate columns with ';' (German Excel) or ',' and give --separator if unusual", row=1,
                     value=lines[0][:80],
                     message_de="das Spaltentrennzeichen ist nicht erkennbar: die Kopfzeile hat nur eine Spalte",
                     fix_de="Spalten mit ';' (deutsches Excel) oder ',' trennen und bei anderen Zeichen --separator "
                            "angeben")
        return None
    try:
        sample = _read_csv(_head(text, 201), sep, dtype=object, nrows=200)
        header = list(sample.columns)
        if not _checked_columns(sample, sep, report):
            return None
        decimal = decimal or THOUSANDS.get(thousands or "") or _decimal_shown(_notation(sample, text_columns), sep)
        # undecided: every cell as written, to look at all of them
        as_text = text_columns if decimal is not None or text_columns is None else [str(c).strip() for c in header]
        frame = None
        if as_text is not None:
            frame = _read_arrow(raw if used_encoding == "utf-8" else text.encode("utf-8"), sep, decimal or ".",
                                header, set(as_text))
        if frame is None:  # every column as text, or a file the fast reader refused: read (and explain) it here
            wanted = set(as_text or ())
            frame = _read_csv(text, sep, decimal=decimal or ".", dtype=object if as_text is None else
                              {c: object for c in header if str(c).strip() in wanted})
    except (pd.errors.ParserError, ValueError) as exc:
        _report_ragged(exc, report)
        return None
    if not isinstance(frame.index, pd.RangeIndex):  # pandas made an index of the extra leading fields
        line = _first_longer_row(text, sep, len(header))
        report.error(f"the table is ragged (row {line} has more fields than the header's {len(header)})",
                     "every row must have as many columns as the header; check quotes and separators", row=line,
                     message_de=f"die Tabelle ist ungleichmäßig (Zeile {line} hat mehr Felder als die "
                                f"{len(header)} der Kopfzeile)", fix_de=_RAGGED_FIX_DE)
        return None
    frame.columns = [str(c).strip() for c in frame.columns]  # the header itself was checked on the sample
    if decimal is None:
        decimal = _decimal_of_whole(frame, text_columns, sep, thousands, 2, report)
        if decimal is None:
            return None
    return Table(frame=frame, encoding=used_encoding, separator=sep, decimal=decimal, grouped=thousands != "none")


def _first_longer_row(text: str, sep: str, width: int) -> int | None:
    """Line number of the first row with more fields than the header (only asked about ragged files)."""
    for number, fields in enumerate(csv.reader(io.StringIO(text), delimiter=sep), 1):
        if len(fields) > width:
            return number
    return None


def _read_arrow(data: bytes, sep: str, decimal: str, header: list[str], text_columns: set[str]) -> pd.DataFrame | None:
    """The fast reader: Apache Arrow's multithreaded CSV parser on UTF-8 bytes. Text columns arrive dictionary
    encoded (as Categoricals: each distinct key or code is one Python string, not one per row); other columns
    as float/int where every cell is a number in the file's notation, else as text. None when Arrow refuses
    the file (ragged rows, line breaks inside quotes ...): the pandas reader then reads it and says why.

    Nothing is inferred that the pandas reader would not infer: no nulls, booleans, dates or timestamps."""
    import pyarrow as pa
    import pyarrow.csv as arrow_csv

    text_type = pa.dictionary(pa.int32(), pa.string())
    options = {
        "read_options": arrow_csv.ReadOptions(use_threads=True, block_size=1 << 22),
        "parse_options": arrow_csv.ParseOptions(delimiter=sep, quote_char='"', double_quote=True, escape_char=False,
                                                newlines_in_values=False, ignore_empty_lines=True),
        "convert_options": arrow_csv.ConvertOptions(
            column_types={name: text_type for name in header if str(name).strip() in text_columns},
            null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False, true_values=[],
            false_values=[], decimal_point=decimal, timestamp_parsers=[]),
    }
    try:
        table = arrow_csv.read_csv(pa.py_buffer(data), **options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.column_names != [str(name) for name in header]:
        return None
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        array = column.combine_chunks()
        if pa.types.is_dictionary(array.type):
            columns[name] = pd.Categorical.from_codes(array.indices.to_numpy(zero_copy_only=False),
                                                      categories=pd.Index(array.dictionary.to_pylist(), dtype=object))
        elif pa.types.is_floating(array.type) or pa.types.is_integer(array.type):
            columns[name] = array.to_numpy(zero_copy_only=False)
        else:  # text, or what Arrow read as a date: the cells as written
            columns[name] = array.cast(pa.string()).to_numpy(zero_copy_only=False).astype(object)
    return pd.DataFrame(columns)


def _report_ragged(exc: Exception, report: ImportReport) -> None:
    line = re.search(r"line (\d+)", str(exc))
    quote = re.search(r"EOF inside string starting at row (\d+)", str(exc))  # counted from 0, header included
    report.error(f"the table is ragged ({str(exc).strip()})",
                 "every row must have as many columns as the header; check quotes and separators",
                 row=int(line.group(1)) if line else (int(quote.group(1)) + 1 if quote else None),
                 message_de=f"die Tabelle ist ungleichmäßig ({str(exc).strip()})", fix_de=_RAGGED_FIX_DE)


_RAGGED_FIX_DE = "jede Zeile muss so viele Spalten haben wie die Kopfzeile; Anführungszeichen und Trennzeichen prüfen"


def _checked_columns(frame: pd.DataFrame, separator: str | None, report: ImportReport) -> bool:
    """Strip the header names; False (with the problem reported) for one column or a repeated header."""
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame.columns) < 2:
        report.error(f"only one column found with separator {separator!r}", "give the right --separator", row=1,
                     message_de=f"mit dem Trennzeichen {separator!r} nur eine Spalte gefunden",
                     fix_de="das richtige --separator angeben")
        return False
    duplicates = [c for c in frame.columns if re.search(r"\.\d+$", c) and c.rsplit(".", 1)[0] in frame.columns]
    if duplicates:
        report.error(f"the header repeats the columns {duplicates}", "give every column a distinct name", row=1,
                     message_de=f"die Kopfzeile wiederholt die Spalten {duplicates}",
                     fix_de="jeder Spalte einen eigenen Namen geben")
        return False
    return True


def _read_csv(text: str, sep: str, **options) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), sep=sep, keep_default_na=False, na_filter=False, skip_blank_lines=True,
                       engine="c", quoting=csv.QUOTE_MINIMAL, **options)


def _head(text: str, lines: int) -> str:
    """The first `lines` lines of text (a sample to sniff from, without copying the whole file)."""
    end = -1
    for _ in range(lines):
        end = text.find("\n", end + 1)
        if end < 0:
            return text
    return text[:end + 1]


def _first_overlong_line(raw: bytes) -> tuple[int, int] | None:
    """(line number, length) of the first line longer than MAX_LINE_BYTES; jumps from line break to line break
    at most MAX_LINE_BYTES apart, so a normal file is checked in a few dozen steps."""
    start = 0
    while len(raw) - start > MAX_LINE_BYTES:
        found = raw.rfind(b"\n", start, start + MAX_LINE_BYTES + 1)
        if found < 0:
            end = raw.find(b"\n", start)
            return raw.count(b"\n", 0, start) + 1, (len(raw) if end < 0 else end) - start
        start = found + 1
    return None


def _first_nonblank_lines(text: str, count: int) -> list[str]:
    lines: list[str] = []
    start = 0
    while len(lines) < count and start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end].rstrip("\r")
        if line.strip():
            lines.append(line)
        start = end + 1
    return lines


def decode_text(raw: bytes, encoding: str | None, report: ImportReport) -> tuple[str | None, str]:
    """The file's text and its encoding: the one given, else UTF-8 (with or without BOM), else Windows-1252;
    (None, ...) with the problem in the report when it cannot be decoded."""
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            report.error(f"the file is not valid {encoding} ({exc})", "give the right --encoding",
                         message_de=f"die Datei ist kein gültiges {encoding} ({exc})",
                         fix_de="die richtige Zeichenkodierung angeben (--encoding)")
            return None, encoding
    if raw.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    try:
        return raw.decode(encoding or "utf-8"), encoding or "utf-8"
    except UnicodeDecodeError as exc:
        if encoding == "utf-8-sig" or _has_utf8_multibyte(raw):
            line_no = raw[: exc.start].count(b"\n") + 1
            report.error("the file mixes encodings: parts are UTF-8, others not", "save the whole file as UTF-8",
                         row=line_no, value=raw[max(0, exc.start - 10): exc.start + 10].decode("latin-1"),
                         message_de="die Datei mischt Zeichenkodierungen: Teile sind UTF-8, andere nicht",
                         fix_de="die ganze Datei als UTF-8 speichern")
            return None, "utf-8"
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _has_utf8_multibyte(raw: bytes) -> bool:
    return re.search(rb"[\xc2-\xf4][\x80-\xbf]", raw) is not None


def _sniff_separator(lines: list[str]) -> str | None:
    header = lines[0]
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda sep: (counts[sep], -SEPARATORS.index(sep)))
    return best if counts[best] > 0 else None


@dataclass(frozen=True)
class _Notation:
    """What number cells show: how many have a decimal comma or point, and the cells that could be either."""

    comma: int
    point: int
    ambiguous: int
    first_ambiguous: tuple[int, str, str] | None  # position, column, text


def _notation(frame: pd.DataFrame, text_columns: Collection[str] | None,
              only: dict[str, np.ndarray] | None = None) -> _Notation:
    """Count the notations of the cells of every column but the text columns (each distinct cell is matched
    once); `only` limits a column to the cells at the given positions (a workbook's cells typed as text)."""
    skip = {str(c).strip() for c in text_columns or ()}
    comma = point = ambiguous = 0
    firsts = []
    for column in frame.columns:
        if str(column).strip() in skip or pd.api.types.is_numeric_dtype(frame[column]):
            continue
        cells = frame[column] if only is None else frame[column].iloc[only[column]]
        if isinstance(cells.dtype, pd.CategoricalDtype):  # the fast reader's text: each distinct cell once
            codes, uniques = cells.cat.codes.to_numpy(), cells.cat.categories.to_numpy(dtype=object)
        else:
            codes, uniques = pd.factorize(cells.astype(str).to_numpy(dtype=object))
        distinct = pd.Series(uniques, dtype=object).astype(str).str.strip()
        unclear = distinct.str.fullmatch(AMBIGUOUS_NUMBER).to_numpy(dtype=bool)
        counts = np.bincount(codes, minlength=len(uniques))
        comma += int(counts[distinct.str.fullmatch(DECIMAL_COMMA).to_numpy(dtype=bool) & ~unclear].sum())
        point += int(counts[distinct.str.fullmatch(DECIMAL_POINT).to_numpy(dtype=bool) & ~unclear].sum())
        if unclear.any():
            hits = np.flatnonzero(unclear[codes])
            ambiguous += len(hits)
            position = hits[0] if only is None else only[column][hits[0]]
            firsts.append((int(position), str(column).strip(), str(distinct[codes[hits[0]]])))
    return _Notation(comma, point, ambiguous, min(firsts) if firsts else None)


def _decimal_shown(notation: _Notation, separator: str | None) -> str | None:
    """',' or '.' as the cells show it (a tie, i.e. mixed notations, goes to ',' in ';'-separated files);
    None when no cell shows a decimal separator."""
    if notation.comma == notation.point == 0:
        return None
    if notation.comma != notation.point:
        return "," if notation.comma > notation.point else "."
    return "," if separator == ";" else "."


def _decimal_of_whole(frame: pd.DataFrame, text_columns: Collection[str] | None, separator: str | None,
                      thousands: str | None, first_row: int, report: ImportReport,
                      only: dict[str, np.ndarray] | None = None) -> str | None:
    """The decimal separator from every cell of a table whose sample showed none; None, with the question
    reported, when cells like "1.709" could mean either and nothing in the file says which."""
    notation = _notation(frame, text_columns, only)
    shown = _decimal_shown(notation, separator)
    if shown is not None or notation.first_ambiguous is None:
        return shown or "."  # whole numbers only: the decimal separator does not matter
    position, column, text = notation.first_ambiguous
    mark = "." if "." in text else ","
    if thousands == "none":
        return mark
    other = THOUSANDS[mark]
    whole, fraction = text.replace(mark, ""), text.replace(mark, ".")
    more = f"; {notation.ambiguous - 1:,} more cells like it" if notation.ambiguous > 1 else ""
    more_de = f"; {de_number(notation.ambiguous - 1)} weitere solche Zellen" if notation.ambiguous > 1 else ""
    report.error(f"{text!r} may be {int(whole)} ({mark!r} as thousands separator) or {fraction} ({mark!r} as "
                 f"decimal separator), and nothing in the file says which{more}",
                 f"say how the file writes numbers: --decimal {other!r} if {text} means {int(whole)}, --decimal "
                 f"{mark!r} if it means {fraction} (HTTP: decimal={other} or decimal={mark}); or name the thousands "
                 "separator (--thousands . / , / none)",
                 row=first_row + position, column=column, value=text,
                 message_de=f"{text!r} kann {whole} ({mark!r} als Tausendertrennzeichen) oder {fraction} ({mark!r} "
                            f"als Dezimaltrennzeichen) bedeuten, und nichts in der Datei sagt, was gilt{more_de}",
                 fix_de=f"angeben, wie die Datei Zahlen schreibt: --decimal {other!r}, wenn {text} {whole} bedeutet, "
                        f"--decimal {mark!r}, wenn es {fraction} bedeutet (HTTP: decimal=...); oder das "
                        "Tausendertrennzeichen nennen (--thousands)")
    return None


def _read_xlsx(path: Path, report: ImportReport, sheet: str | None, decimal: str | None, thousands: str | None,
               text_columns: Collection[str] | None, limits: ImportLimits) -> Table | None:
    """A workbook's sheet as text. Numbers typed as numbers are written in the table's decimal notation; the
    notation of numbers typed as text is decided like a CSV file's."""
    rows = _xlsx_rows(path, report, sheet, limits)
    if rows is None:
        return None
    while rows and all(cell is None or cell == "" for cell in rows[-1]):
        rows.pop()
    if len(rows) < 2:
        report.error("the sheet has a header but no data rows", "fill the sheet or choose another with --sheet",
                     message_de="das Tabellenblatt hat eine Kopfzeile, aber keine Datenzeilen",
                     fix_de="das Tabellenblatt füllen oder mit --sheet ein anderes wählen")
        return None
    width = max(len(row) for row in rows)
    header = [f"Unnamed: {i}" if cell is None or str(cell).strip() == "" else _cell_text(cell, ".").strip()
              for i, cell in enumerate(list(rows[0]) + [None] * (width - len(rows[0])))]
    body = [list(row) + [None] * (width - len(row)) for row in rows[1:]]
    raw = pd.DataFrame(body, columns=header, dtype=object)
    typed_as_text = {column: np.flatnonzero(raw[column].map(lambda v: isinstance(v, str)).to_numpy(dtype=bool))
                     for column in header}
    decimal = decimal or THOUSANDS.get(thousands or "")
    if decimal is None:
        decimal = _decimal_of_whole(raw, text_columns, None, thousands, 2, report, only=typed_as_text)
        if decimal is None:
            return None
    frame = raw.map(lambda v: _cell_text(v, decimal))
    return Table(frame=frame, encoding="xlsx", separator=None, decimal=decimal, grouped=thousands != "none")


def _xlsx_rows(path: Path, report: ImportReport, sheet: str | None, limits: ImportLimits) -> list[tuple] | None:
    """The rows of a sheet as typed values, read only after the workbook's size (from its ZIP directory) and
    the sheet's declared dimension are within the limits, and streamed (openpyxl read-only) up to the row limit:
    a small file that unpacks to a million rows is refused before it costs anything."""
    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        report.error("cannot read the workbook (it is not an .xlsx file)", "save it as .xlsx from Excel or LibreOffice",
                     message_de="die Arbeitsmappe ist nicht lesbar (sie ist keine .xlsx-Datei)",
                     fix_de="sie aus Excel oder LibreOffice als .xlsx speichern")
        return None
    too_big = "deliver big tables as CSV, or ask an administrator to raise DM_MAX_XLSX_BYTES / DM_MAX_XLSX_ROWS"
    too_big_de = ("große Tabellen als CSV liefern oder die Administration bitten, DM_MAX_XLSX_BYTES / "
                  "DM_MAX_XLSX_ROWS zu erhöhen")
    if unpacked > limits.max_xlsx_bytes:
        report.error(f"the workbook unpacks to {unpacked:,} bytes, more than the {limits.max_xlsx_bytes:,} accepted",
                     too_big, message_de=f"die Arbeitsmappe entpackt sich auf {de_number(unpacked)} Bytes, mehr als "
                     f"die zulässigen {de_number(limits.max_xlsx_bytes)}", fix_de=too_big_de)
        return None
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises InvalidFileException, KeyError, BadZipFile ...
        report.error(f"cannot read the workbook ({reader_message(exc, path, report.file)})",
                     "save it as .xlsx from Excel or LibreOffice",
                     message_de=f"die Arbeitsmappe ist nicht lesbar ({reader_message(exc, path, report.file)})",
                     fix_de="sie aus Excel oder LibreOffice als .xlsx speichern")
        return None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            report.error(f"the workbook has no sheet {sheet!r}", f"choose one of {workbook.sheetnames} (--sheet)",
                         column="sheet", message_de=f"die Arbeitsmappe hat kein Tabellenblatt {sheet!r}",
                         fix_de=f"eines von {workbook.sheetnames} wählen (--sheet)")
            return None
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        over = (f"the sheet has more than the {limits.max_xlsx_rows:,} rows accepted", too_big)
        german = {"message_de": f"das Tabellenblatt hat mehr als die zulässigen {de_number(limits.max_xlsx_rows)} "
                                "Zeilen", "fix_de": too_big_de}
        if (worksheet.max_row or 0) - 1 > limits.max_xlsx_rows:  # the dimension the sheet declares
            report.error(f"{over[0]} (it declares {worksheet.max_row:,})", over[1],
                         message_de=f"{german['message_de']} (es gibt {de_number(worksheet.max_row)} an)",
                         fix_de=german["fix_de"])
            return None
        worksheet.reset_dimensions()  # a declared dimension may also be too small: read what is there
        rows = []
        for row in worksheet.iter_rows(values_only=True):
            if len(rows) > limits.max_xlsx_rows:
                report.error(over[0], over[1], **german)
                return None
            rows.append(row)
        return rows
    finally:
        workbook.close()


def _cell_text(value, decimal: str) -> str:
    """A typed spreadsheet cell as text: numbers in the table's decimal notation, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        return text.replace(".", decimal)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass
class ParsedNumbers:
    values: pd.Series  # float, NaN where no number
    flags: pd.Series  # object: None or a flag name
    bad: pd.Series  # bool: text that is neither a number, a symbol nor empty
    any_flag: bool = True  # False: no cell has a flag (flags is all None; lets callers skip looking)


def parse_numbers(cells: pd.Series, decimal: str, missing_values: dict[str, str] | None = None,
                  grouped: bool = True) -> ParsedNumbers:
    """Vectorised parsing of one column of number cells in German or international notation (digit groups
    such as "1.234.567" only where `grouped`).

    Plain numbers ("12,5" / "12.5") take one C-level conversion; only the cells that fail it (thousands
    separators, special symbols, empty cells, text) go through the slower pattern matching."""
    index = cells.index
    if pd.api.types.is_numeric_dtype(cells) and not pd.api.types.is_bool_dtype(cells):
        return _from_numbers(cells.astype(np.float64), missing_values)
    fast = _all_plain_numbers(cells, decimal)
    if fast is not None:
        values = pd.Series(fast, index=index)
        finite = np.isfinite(values)
        if finite.all() and not missing_values:
            return ParsedNumbers(values=values, flags=pd.Series(None, index=index, dtype=object),
                                 bad=pd.Series(False, index=index))
    text = cells.astype(str).str.strip()
    if text.empty or (text == "").all():
        flags = pd.Series("missing", index=index, dtype=object)
        return ParsedNumbers(values=pd.Series(np.nan, index=index), flags=flags, bad=pd.Series(False, index=index))
    other = "." if decimal == "," else ","
    plain = ~text.str.contains(other, regex=False)
    quick = text[plain].str.replace(",", ".", regex=False) if decimal == "," else text[plain]
    values = pd.Series(np.nan, index=index)
    values[plain] = pd.to_numeric(quick, errors="coerce").astype(float)
    failed = values.isna()
    flags = pd.Series(None, index=index, dtype=object)
    if failed.any():
        rest = text[failed].str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
        flags[failed] = rest.map(SPECIAL_SYMBOLS).where(rest != "", "missing")
        if grouped:
            in_groups = rest.str.fullmatch(GERMAN_NUMBER if decimal == "," else POINT_NUMBER).fillna(False).astype(bool)
            rest = rest.where(~in_groups, rest.str.replace(other, "", regex=False))
        else:  # no thousands separator: the other mark makes a cell text
            rest = rest.where(~rest.str.contains(other, regex=False), None)
        if decimal == ",":
            rest = rest.str.replace(",", ".", regex=False)
        unflagged = flags[failed].isna()
        values[failed] = pd.to_numeric(rest.where(unflagged), errors="coerce").astype(float)
    for token, flag in (missing_values or {}).items():  # "-9999" also matches "-9999.0"
        number = pd.to_numeric(pd.Series([token]), errors="coerce").iloc[0]
        hit = (text == token) | ((values == number) if pd.notna(number) else False)
        flags = flags.mask(hit, flag)
    values = values.where(np.isfinite(values) & flags.isna())
    bad = values.isna() & flags.isna()
    return ParsedNumbers(values=values, flags=flags.astype(object).where(flags.notna(), None), bad=bad)


def _from_numbers(values: pd.Series, missing_values: dict[str, str] | None) -> ParsedNumbers:
    """A column the CSV parser already read as numbers: publisher codes become flags, non-finite is bad."""
    flags = pd.Series(np.full(len(values), None, dtype=object), index=values.index)
    flagged = np.zeros(len(values), dtype=bool)
    for token, flag in (missing_values or {}).items():
        number = pd.to_numeric(pd.Series([token]), errors="coerce").iloc[0]
        if pd.notna(number):
            hit = (values == number).to_numpy() & ~flagged
            flags[hit] = flag
            flagged |= hit
    finite = np.isfinite(values.to_numpy())
    return ParsedNumbers(values=values.where(finite & ~flagged), flags=flags,
                         bad=pd.Series(~finite & ~flagged, index=values.index), any_flag=bool(flagged.any()))


def _all_plain_numbers(cells: pd.Series, decimal: str) -> np.ndarray | None:
    """The whole column as floats when every cell is a plain number (the common case of big files), else None.

    One C-level conversion of the column; Python's float() would also accept '1_000', 'nan' and 'inf',
    which the caller treats as it treats them on the slow path (underscores as digit groups; non-finite = bad)."""
    if cells.empty:
        return None
    text = cells.astype(str)
    if decimal == ",":
        if text.str.contains(".", regex=False).any():
            return None  # German thousands dots: "1.234" is 1234, not 1.234
        text = text.str.replace(",", ".", regex=False)
    try:
        return np.array(text.to_numpy(dtype=object), dtype=float)
    except (ValueError, TypeError):
        return None


def looks_like_formula(cells: pd.Series) -> pd.Series:
    """Cells a spreadsheet would execute (CSV injection): '=...', '+...', '@...', '-' followed by text."""
    return cells.astype(str).str.strip().str.contains(FORMULA_START, regex=True)


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
