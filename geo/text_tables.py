"""Reading a delimited text table (CSV as offices and spreadsheets write it) for the imports in `geo` (grid cells,
lists of territorial changes): UTF-8 (with or without BOM), else cp1252, noted in the report; the separator the
header line uses most unless one is given; every cell as text, nothing read as missing. Problems go into the
report with the fix the caller names. The observation import has its own, richer reader
(indicators.ingest.tables: decimal notation, special symbols, XLSX), which `geo` must not import.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from geo.import_report import ImportReport, reader_message

SEPARATORS = (";", ",", "\t")


def read_text_table(path: Path, report: ImportReport, *, fix: str, fix_de: str, separator: str | None = None,
                    encoding: str | None = None) -> tuple[pd.DataFrame, str] | None:
    """(table, separator used), or None with the problem in the report; `fix` / `fix_de`: what to do with a file
    that cannot be read as a table (the caller names its columns)."""
    if not path.exists():
        report.error("file not found", "check the path", message_de="Datei nicht gefunden", fix_de="den Pfad prüfen")
        return None
    if path.stat().st_size == 0:
        report.error("the file is empty", "export the table again", message_de="die Datei ist leer",
                     fix_de="die Tabelle erneut exportieren")
        return None
    raw = path.read_bytes()
    try:
        text = raw.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
        report.notes.append("read as cp1252 (not UTF-8)")
    header = text.split("\n", 1)[0]
    used = separator or max(SEPARATORS, key=header.count)
    try:
        table = pd.read_csv(io.StringIO(text), sep=used, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        message = reader_message(exc, path, report.file)
        report.error(f"cannot read the file as a table ({message})", fix,
                     message_de=f"die Datei ist als Tabelle nicht lesbar ({message})", fix_de=fix_de)
        return None
    return table, used
