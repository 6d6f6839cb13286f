"""Tabular exports: rows of cells turned into the text of a CSV file, with spreadsheet formulas neutralised.

Every CSV the service writes (downloads, the data twins of pages and APIs, the CLI's `--csv`) goes through
`csv_text`, so that a name such as `=HYPERLINK(...)` delivered in an import can never run as a formula in
the spreadsheet of whoever opens the file. A writer of another spreadsheet format (XLSX: openpyxl stores a
text that starts with "=" as a formula) takes its cells from `spreadsheet_cell` as well.

Knows nothing of HTTP, files or the database: it formats cells, the caller decides where they go.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# What Excel and LibreOffice read as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CsvStyle:
    separator: str
    decimal: str
    byte_order_mark: bool


STANDARD = CsvStyle(separator=",", decimal=".", byte_order_mark=False)
# German Excel: ';' between columns and a decimal comma; the BOM makes it read UTF-8 (umlauts intact).
GERMAN = CsvStyle(separator=";", decimal=",", byte_order_mark=True)


def spreadsheet_cell(value: Any) -> Any:
    """A cell as a spreadsheet may safely read it: text that would start a formula (=, +, -, @, tab or carriage
    return first) gets a leading apostrophe, as OWASP recommends; numbers stay numbers (a negative number is
    data, not a formula); a missing value (None, NaN) is an empty cell."""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


def _formatted(value: Any, style: CsvStyle) -> Any:
    cell = spreadsheet_cell(value)
    if style.decimal != "." and isinstance(cell, float):
        return str(cell).replace(".", style.decimal)
    return cell


def csv_text(rows: Iterable[Mapping[str, Any]], fields: Sequence[str], style: CsvStyle = STANDARD) -> str:
    """A header row of `fields`, then one line per row (keys not in `fields` left out, missing ones empty)."""
    buffer = io.StringIO()
    if style.byte_order_mark:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=style.separator)
    writer.writerow([spreadsheet_cell(name) for name in fields])
    for row in rows:
        writer.writerow([_formatted(row.get(name), style) for name in fields])
    return buffer.getvalue()
