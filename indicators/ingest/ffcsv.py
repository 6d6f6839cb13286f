"""Reading a GENESIS flat file ("ffcsv", Flatfile-CSV) as GENESIS-Online, the Regionaldatenbank and the Zensus 2022
database deliver it: one header row, then one row per value (current layout) or per combination of time, region
and breakdown with one column per value (previous layout). The file becomes the same long table (key, period,
indicator, value) that indicators.ingest.genesis makes of a table export, checked and stored by the observation
import like any other file.

What this relies on (read in 2025; described here in our words):

- StatistischesBundesamt/GENESIS-Online on GitHub, `python_tablefile.ipynb` (Destatis' own examples of the
  `data/tablefile` web service with `format=ffcsv`): the files come zipped, one CSV per archive; German files
  are `;`-separated with a decimal comma and the symbols `...` `.` `-` `/` `x` in value cells; columns such as
  `statistics_label`, `time`, `1_variable_attribute_label`, `value`; a month is a breakdown variable, the
  year the time.
- wahlatlas/genesis on GitHub (README: Destatis' announcement of the new layout,
  https://www-genesis.destatis.de/datenbank/beta/announcement; `ffcsv2024erklaert.ipynb` with unchanged
  downloads such as `61111-0001_de_flat.csv` and `21611-0002_de_flat.csv`): UTF-8, `;` in both languages,
  decimal comma (German) or point (English); quality columns with the suffix `_q`, chosen at download.
  Current layout: English column names in both languages, `statistics_code; statistics_label; time_code;
  time_label; time; N_variable_code; N_variable_label; N_variable_attribute_code; N_variable_attribute_label`
  for each variable N, then `value; value_unit; value_variable_code; value_variable_label[; value_q]`, rows
  unsorted. Previous layout: German names (`Statistik_Code`, `Zeit`, `1_Merkmal_Code`, `1_Auspraegung_Code`,
  ...), one column per value named `CODE__Label__Unit` (label with `_` for spaces, no umlauts), each followed by
  its quality column `CODE__Label__q` (the unit left out); `e` in the quality cells of final values, an empty
  quality cell beside a `.` value.
- Zensus 2022 flat files, seen only in unattributed excerpts (no page to cite): the current layout with
  12-digit Regionalschlüssel of the Gemeinden (variable `GEOGM4`) and the time as `2022-05-15`; matched like the
  10- and 11-digit keys of the Regionalstatistik (Kreis + Gemeinde number).

Not found in those sources, taken from the offices' Zeichenerklärung as the issue names it: the quality codes
`p` (vorläufig), `r` (berichtigt) and `s` (geschätzt) beside `e` (endgültig); an English previous layout is read
by the same names in any case (`Time`, `1_Variable_Attribute_Code`).

Regions: the regional variable is the first variable whose attribute codes are all region keys (`DG` or
digits: DG, DLAND, KREISE, GEMEIN, GEOGM4, ...). Its keys are matched to the level's areas by
`indicators.ingest.genesis.match_keys` (the official key structure); regions of no area of the level (Länder in
a Kreis table, Verbände, regions merged since) are skipped and counted in the report, never joined by guess. A
key that matches an area only with a leading zero put back (01001 saved as 1001 by a spreadsheet) is an error.

Value names (the import's `columns`, as for layout genesis): a value series is named by its label and the
attribute labels of the table's other variables (not region, not time), joined by " | " ("Personen",
"Bevölkerungsstand | weiblich"), or the same with codes ("BEVSTD | GESW"; a total without attribute code by its
label). A name that fits two series (labels repeat in the previous layout, e.g. two columns "Kinos") is refused
with the series it fits. Series the mapping leaves out are not imported and named in a warning.

Symbols and quality codes never become numbers:

| cell | stored |
|---|---|
| `-` `.` `x` `/` `...` in the value cell | the flag of `indicators.ingest.tables.SPECIAL_SYMBOLS` (`-`: nil, 0) |
| one of those symbols in the quality cell | that flag, whatever the value cell holds |
| `e` (final), `r` (corrected), empty | the value |
| `p` (provisional), `s` (estimated) | the value, and a warning with their count in the import's report |
| any other quality code | an error (file, row, column, value) |

The observation store holds a flag only instead of a value (`flag`, explained by `flag_reason`, which is kept
only beside a flag), and its flags (indicators.observation_flags) have none for "provisional": a provisional
or estimated value is a published number, so it is stored as such and the mark is kept with the import batch
(its report lists the warnings), not per value. The final figures, imported later, supersede it.

By hand: pystatis and restatis fetch tables from the online service (which the service cannot reach); the
file layout is fixed by the offices.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from geo.import_report import ImportLimits, ImportReport, de_number, refuse_oversized
from indicators.ingest.genesis import (
    COLUMNS,
    LABEL_SEPARATOR,
    GenesisTable,
    mapped_columns,
    match_keys,
    merge_moved_regions,
    refuse_foreign_regions,
)
from indicators.ingest.tables import (
    GENESIS_TITLE,
    SPECIAL_SYMBOLS,
    Table,
    _decimal_of_whole,  # the table readers' decision on the decimal separator, with its question when unsure
    decode_text,
)

TIME_NAMES = ("time", "zeit")
VARIABLE = re.compile(r"^(\d+)_(variable_attribute|auspraegung|variable|merkmal)_(code|label)$", re.IGNORECASE)
CURRENT = {"value": "value", "value_unit": "unit", "value_variable_code": "code", "value_variable_label": "label",
           "value_q": "quality"}
QUALITY_SUFFIX = "__q"
REGION_CODE = re.compile(r"^(DG|\d{1,12})$")
KEPT = ("", "e", "r")  # quality codes of values stored as they are (final, corrected, none given)
MARKED = {"p": ("provisional", "vorläufig"), "s": ("estimated", "geschätzt")}  # stored, and warned about
MAX_LISTED = 20


def read_ffcsv(path: Path, report: ImportReport, *, key_length: int, level_keys: Collection[str],
               columns: dict[str, str] | None, period: str | None = None, encoding: str | None = None,
               decimal: str | None = None, limits: ImportLimits = ImportLimits()) -> GenesisTable | None:
    """The flat file (CSV, or the ZIP it is delivered in) as long rows (key, period, indicator code, value as
    written) for the keys of one level; None, with the problems in the report, when it is not a flat file,
    `columns` does not fit it, or none of its regions is an area of the level. `period` serves rows whose time
    cell is empty; `decimal` answers the question of the decimal separator (else read from the cells)."""
    text, used = _text(path, report, encoding, limits)
    if text is None:
        return None
    layout = _layout(text, report)
    if layout is None:
        return None
    body: _Body = layout["body"]
    region = _regional_variable(body, layout["variables"], layout["header"], report)
    if region is None:
        return None
    series, sources = _series(body, layout, region[0])
    names = set(series["label_name"]) | set(series["code_name"])
    if not mapped_columns(report, columns or None, names, _shown(series)):
        return None
    picked = _mapping(series, columns, report)
    if picked is None:
        return None
    region_codes, distinct = body.factor(region[0])
    matched, skipped = match_keys(list(distinct), key_length, set(level_keys))
    if _lost_zeros(list(distinct), matched, region_codes, key_length, set(level_keys), layout["header"][region[0]],
                   report):
        return None
    if not any(key is not None for key in matched):
        refuse_foreign_regions(report, f"{len(distinct):,} regions", f"{de_number(len(distinct))} Regionen",
                               f"regionale Tiefe: {region[1]}")
        return None
    keys = np.asarray(matched, dtype=object)[region_codes]
    wanted = _wanted(body, layout, sources, picked, keys)
    if not _quality(wanted, report):
        return None
    unmapped = series.drop(index=sorted({number for number, _ in picked}))
    if len(unmapped):
        _warn_unmapped(unmapped, report)
    if decimal is None:
        decimal = _decimal_of_whole(body.frame([source["value_at"] for source in sources], layout["header"]), None,
                                    ";", None, 2, report)
        if decimal is None:
            return None
    frame = pd.DataFrame({"key": wanted["key"], "period": wanted["period"].where(wanted["period"] != "", period),
                          "indicator": wanted["indicator"], "value": wanted["cell"]}, dtype=object)[list(COLUMNS)]
    frame, merged = merge_moved_regions(frame, wanted["line"].to_numpy(dtype=np.int64))
    lines = frame.pop("line").to_numpy()
    frame = frame.reset_index(drop=True)
    used_names = {series.at[number, "label_name"]: code for number, code in picked}
    report.notes.append(
        f"GENESIS flat file ({'current' if layout['current'] else 'previous'} layout): "
        f"{sum(k is not None for k in matched):,} of {len(distinct):,} regions of {region[1]} matched to areas; "
        f"value series {', '.join(f'{name!r} -> {code}' for name, code in used_names.items())}"
        + (f"; skipped: {', '.join(f'{n:,} with {what}' for what, n in sorted(skipped.items()))}" if skipped else "")
        + (f"; {merged:,} values of Gemeinden listed under two Verbände taken from the row that has them"
           if merged else "")
        + (f"; {corrected:,} values corrected by the office (quality code 'r'), stored as published"
           if (corrected := int((wanted["quality"] == "r").sum())) else ""))
    table = Table(frame=frame, encoding=used, separator=";", decimal=decimal, grouped=False, lines=lines)
    return GenesisTable(table=table, labels=list(series["label_name"]), skipped=skipped)


class _Body:
    """The rows below the header, column by column as (code of each row's cell, the distinct texts stripped): a
    flat file repeats its labels and codes in every row, so each distinct cell is handled once."""

    def __init__(self, columns: list[tuple[np.ndarray, list]]):
        self.size = len(columns[0][0]) if columns else 0
        self.lines = np.arange(self.size, dtype=np.int64) + 2  # the file's line of each row
        self._factors = []
        blank = np.ones(self.size, dtype=bool)
        for codes, uniques in columns:
            merged, texts = pd.factorize(np.array([str(text).strip() for text in uniques] or [""], dtype=object))
            codes = merged[codes]
            blank &= texts[codes] == "" if len(codes) else blank
            self._factors.append((codes, np.asarray(texts, dtype=object)))
        if blank.any():  # an empty line (the file's lines of the others stay as they are)
            kept = [(np.unique(codes[~blank], return_inverse=True), texts) for codes, texts in self._factors]
            self._factors = [(inverse.reshape(-1), texts[present]) for (present, inverse), texts in kept]
            self.lines, self.size = self.lines[~blank], int((~blank).sum())

    @classmethod
    def read(cls, text: str, width: int) -> _Body | None:
        """The rows below the header, read by Apache Arrow's CSV parser (columns dictionary-encoded); None when
        it refuses them (ragged rows, line breaks in cells): `rows` then reads them and says why."""
        import pyarrow as pa
        import pyarrow.csv as arrow_csv

        names = [f"c{at}" for at in range(width)]
        try:
            table = arrow_csv.read_csv(
                pa.py_buffer(text.encode("utf-8")),
                read_options=arrow_csv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 22),
                parse_options=arrow_csv.ParseOptions(delimiter=";", newlines_in_values=False,
                                                     ignore_empty_lines=False),
                convert_options=arrow_csv.ConvertOptions(
                    column_types={name: pa.dictionary(pa.int32(), pa.string()) for name in names}, null_values=[],
                    strings_can_be_null=False, quoted_strings_can_be_null=False))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        columns = []
        for column in table.columns:
            array = column.combine_chunks() if column.num_chunks else pa.array([], pa.dictionary(pa.int32(),
                                                                                                  pa.string()))
            columns.append((array.indices.to_numpy(zero_copy_only=False), array.dictionary.to_pylist()))
        return cls(columns)

    @classmethod
    def rows(cls, rows: list[list[str]], width: int) -> _Body:
        columns = []
        for cells in (list(zip(*rows)) if rows else [()] * width):
            codes, uniques = pd.factorize(np.asarray(cells, dtype=object))
            columns.append((codes, list(uniques)))
        return cls(columns)

    def factor(self, at: int) -> tuple[np.ndarray, np.ndarray]:
        """(code of each row's cell, the distinct stripped texts) of the column at `at`."""
        return self._factors[at]

    def text(self, at: int | None) -> np.ndarray:
        """The stripped cells of a column; empty cells where there is no such column."""
        if at is None:
            return np.full(self.size, "", dtype=object)
        codes, texts = self.factor(at)
        return texts[codes]

    def frame(self, columns: list[int], header: list[str]) -> pd.DataFrame:
        """Some columns as a frame of Categoricals, named as in the header."""
        return pd.DataFrame({header[at]: pd.Categorical.from_codes(self.factor(at)[0], categories=self.factor(at)[1])
                             for at in columns})


def _text(path: Path, report: ImportReport, encoding: str | None, limits: ImportLimits) -> tuple[str | None, str]:
    """The file's text: the CSV itself, or the one CSV of the ZIP archive GENESIS-Online delivers."""
    if not path.exists():
        report.error("file not found", "check the path", message_de="Datei nicht gefunden", fix_de="den Pfad prüfen")
        return None, ""
    if refuse_oversized(path.stat().st_size, limits, report, "split the table by period before downloading it",
                        "die Tabelle vor dem Herunterladen nach Zeitpunkten aufteilen"):
        return None, ""
    raw = path.read_bytes()
    if raw[:4] == b"PK\x03\x04":
        raw = _unzipped(raw, report, limits)
        if raw is None:
            return None, ""
    return decode_text(raw, encoding, report)


def _unzipped(raw: bytes, report: ImportReport, limits: ImportLimits) -> bytes | None:
    """The one CSV of a delivered archive, its unpacked size checked (from the ZIP directory) before reading."""
    fix = "import the archive as GENESIS-Online delivers it (one flat file), or the CSV in it"
    fix_de = "das Archiv so importieren, wie GENESIS-Online es liefert (eine Flatfile-CSV), oder die CSV darin"
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        report.error("cannot read the ZIP archive", fix, message_de="das ZIP-Archiv ist nicht lesbar", fix_de=fix_de)
        return None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) != 1:
            report.error(f"the archive holds {len(members)} files, not the one flat file", fix,
                         value=", ".join(info.filename for info in members)[:80],
                         message_de=f"das Archiv enthält {len(members)} Dateien, nicht die eine Flatfile-CSV",
                         fix_de=fix_de)
            return None
        member = members[0]
        if member.file_size > limits.max_xlsx_bytes:  # the service's bound on anything it unpacks
            report.error(f"the archive unpacks to {member.file_size:,} bytes, more than the "
                         f"{limits.max_xlsx_bytes:,} accepted", "split the table by period before downloading it",
                         value=member.filename, message_de=f"das Archiv entpackt sich auf "
                         f"{de_number(member.file_size)} Bytes, mehr als die zulässigen "
                         f"{de_number(limits.max_xlsx_bytes)}",
                         fix_de="die Tabelle vor dem Herunterladen nach Zeitpunkten aufteilen")
            return None
        return archive.read(member)


def _layout(text: str, report: ImportReport) -> dict | None:
    """The header's columns by their role, and the body; None (reported) when the file is not a flat file as
    published or its rows are ragged."""
    first = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=";"), [])
    header = [cell.strip().lstrip("\ufeff").strip('"') for cell in first]
    lower = [name.lower() for name in header]
    time = next((j for j, name in enumerate(lower) if name in TIME_NAMES), None)
    variables: dict[int, dict[str, int]] = {}
    for j, name in enumerate(lower):
        if (found := VARIABLE.match(name)) is not None:
            role = ("attribute_" if found.group(2) in ("variable_attribute", "auspraegung") else "") + found.group(3)
            variables.setdefault(int(found.group(1)), {})[role] = j
    current = {CURRENT[name]: j for j, name in enumerate(lower) if name in CURRENT}
    values = [j for j, name in enumerate(header) if "__" in name and not name.endswith(QUALITY_SUFFIX)]
    if time is None or not any("attribute_code" in v for v in variables.values()) \
            or ("value" not in current and not values):
        title = GENESIS_TITLE.match(first[0] if first else "")
        if title:
            message = (f"this is a GENESIS table export ({title.group(1).strip()}) with title block and header rows, "
                       "not a flat file")
            message_de = (f"das ist ein GENESIS-Tabellenexport ({title.group(1).strip()}) mit Titelblock und "
                          "Kopfzeilen, keine Flatfile-CSV")
            fix = "import it unchanged with layout genesis"
            fix_de = "sie unverändert mit dem Layout genesis importieren"
        else:
            message = ("this is not a GENESIS flat file (ffcsv): its first row names no time, no variables with "
                       "attribute codes or no value columns")
            message_de = ("das ist keine GENESIS-Flatfile-CSV (ffcsv): ihre erste Zeile nennt keine Zeit, keine "
                          "Merkmale mit Ausprägungscodes oder keine Wertspalten")
            fix = ("download the table from GENESIS as flat file CSV (ffcsv) and import it unchanged, or choose the "
                   "layout that fits the file (long, wide, genesis)")
            fix_de = ("die Tabelle aus GENESIS als Flatfile-CSV (ffcsv) herunterladen und unverändert importieren, "
                      "oder das passende Layout wählen (long, wide, genesis)")
        report.error(message, fix, row=1, value=";".join(header)[:80], message_de=message_de, fix_de=fix_de)
        return None
    quality = _quality_columns(header, values, report)
    if quality is None:
        return None
    body = _Body.read(text.rstrip("\r\n"), len(header))
    if body is None:  # read again row by row, to say which row is ragged
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
        while rows and not any(cell.strip() for cell in rows[-1]):
            rows.pop()
        for number, row in enumerate(rows, 2):
            if len(row) != len(header):
                report.error(f"row {number} has {len(row)} fields, the header {len(header)}",
                             "import the flat file as downloaded; every row has as many fields as the header",
                             row=number, value=";".join(row)[:80],
                             message_de=f"Zeile {number} hat {len(row)} Felder, die Kopfzeile {len(header)}",
                             fix_de="die Flatfile-CSV wie heruntergeladen importieren; jede Zeile hat so viele "
                                    "Felder wie die Kopfzeile")
                return None
        body = _Body.rows(rows, len(header))
    if body.size == 0:
        report.error("the flat file has a header but no data rows", "download the table again, with its values",
                     row=1, message_de="die Flatfile-CSV hat eine Kopfzeile, aber keine Datenzeilen",
                     fix_de="die Tabelle erneut herunterladen, mit ihren Werten")
        return None
    return {"header": header, "body": body, "time": time, "variables": variables, "current": "value" in current,
            "columns": current, "values": values, "quality": quality}


def _quality_columns(header: list[str], values: list[int], report: ImportReport) -> dict[int, int] | None:
    """Previous layout: each value column's quality column (`CODE__Label__q` right after `CODE__Label__Unit`)."""
    pairs: dict[int, int] = {}
    for j, name in enumerate(header):
        if not name.endswith(QUALITY_SUFFIX):
            continue
        stem = name[: -len(QUALITY_SUFFIX)]
        owner = next((i for i in reversed(values) if i < j and header[i].startswith(stem)), None)
        if owner is None or owner in pairs:
            report.error(f"the quality column {name!r} follows no value column it belongs to",
                         "import the flat file as downloaded, each value column followed by its quality column",
                         row=1, column=name, message_de=f"die Qualitätsspalte {name!r} folgt keiner Wertspalte, "
                                                        "zu der sie gehört",
                         fix_de="die Flatfile-CSV wie heruntergeladen importieren, jede Wertspalte gefolgt von "
                                "ihrer Qualitätsspalte")
            return None
        pairs[owner] = j
    return pairs


def _regional_variable(body: _Body, variables: dict[int, dict[str, int]], header: list[str],
                       report: ImportReport) -> tuple[int, str] | None:
    """(attribute code column, the variable's code and label) of the regional variable."""
    for number in sorted(variables):
        at = variables[number].get("attribute_code")
        if at is None:
            continue
        given = [text for text in body.factor(at)[1] if text]
        if given and all(REGION_CODE.match(text) for text in given):
            code_at, label_at = variables[number].get("code"), variables[number].get("label")
            if code_at is None:
                return at, header[at]
            codes, texts = body.factor(code_at)
            most = int(np.bincount(codes).argmax())  # the deepest level has the most rows (DG, DLAND, KREISE)
            label = body.text(label_at)[int(np.flatnonzero(codes == most)[0])]
            return at, str(texts[most]) + (f" ({label})" if label else "")
    report.error("the flat file has no regional variable (no variable whose attribute codes are region keys such "
                 "as DG, 01, 01001)", "download the table with its regions (e.g. Kreise or Gemeinden) as a variable",
                 row=1, message_de="die Flatfile-CSV hat kein regionales Merkmal (keines, dessen Ausprägungscodes "
                                   "Regionalschlüssel wie DG, 01, 01001 sind)",
                 fix_de="die Tabelle mit ihren Regionen (z. B. Kreise oder Gemeinden) als Merkmal herunterladen")
    return None


def _series(body: _Body, layout: dict, region_at: int) -> tuple[pd.DataFrame, list[dict]]:
    """The table's value series (label_name, code_name, unit), named on the distinct combinations only, and the
    value columns ("sources") with the series of each row."""
    breakdown = [roles for _, roles in sorted(layout["variables"].items())
                 if roles.get("attribute_code") != region_at]
    described = [(roles.get("attribute_code"), roles.get("attribute_label")) for roles in breakdown]
    if layout["current"]:
        found = layout["columns"]
        described = [(found.get("code"), found.get("label")), (found.get("unit"), None), *described]
    stacked = [body.factor(at)[0] if at is not None else np.zeros(body.size, dtype=np.int64)
               for pair in described for at in pair]
    texts = [body.factor(at)[1] if at is not None else np.array([""], dtype=object)
             for pair in described for at in pair]
    if stacked:
        combos, inverse = np.unique(np.column_stack(stacked), axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
    else:
        combos, inverse = np.zeros((1, 0), dtype=np.int64), np.zeros(body.size, dtype=np.int64)
    parts = [[(texts[2 * i][combo[2 * i]], texts[2 * i + 1][combo[2 * i + 1]]) for i in range(len(described))]
             for combo in combos]  # per combination: (code, label) of each described variable
    rows, sources = [], []
    if layout["current"]:
        for pieces in parts:
            (code, label), (unit, _), rest = pieces[0], pieces[1], pieces[2:]
            rows.append(_named(code, label, unit, rest))
        quality_at = layout["columns"].get("quality")
        sources.append({"value_at": layout["columns"]["value"], "quality_at": quality_at, "order": 0,
                        "quality_column": "value_q" if quality_at is not None else "", "series": inverse})
    else:
        for order, at in enumerate(layout["values"]):
            code, label, *unit = layout["header"][at].split("__")
            for pieces in parts:
                rows.append(_named(code, label.replace("_", " ") if label else code, "__".join(unit), pieces))
            quality_at = layout["quality"].get(at)
            sources.append({"value_at": at, "quality_at": quality_at, "order": order,
                            "quality_column": layout["header"][quality_at] if quality_at is not None else "",
                            "series": order * len(parts) + inverse})
    return pd.DataFrame(rows, columns=["label_name", "code_name", "unit"]), sources


def _named(code: str, label: str, unit: str, breakdown: list[tuple[str, str]]) -> tuple[str, str, str]:
    """A series' names: its label and those of its attributes, or the same with codes (a label where the code is
    empty, as for totals), joined by " | "; and its unit."""
    label_name = LABEL_SEPARATOR.join([label, *(attribute_label for _, attribute_label in breakdown)])
    code_name = LABEL_SEPARATOR.join([code or label, *(attribute_code or attribute_label
                                                       for attribute_code, attribute_label in breakdown)])
    return label_name, code_name, unit


def _wanted(body: _Body, layout: dict, sources: list[dict], picked: list[tuple[int, str]],
            keys: np.ndarray) -> pd.DataFrame:
    """The cells to import (mapped series, regions of the level), in the file's order: line, key, period,
    indicator, cell, quality cell and the quality column's name."""
    known = np.array([key is not None for key in keys], dtype=bool)
    period = body.text(layout["time"])
    pieces = []
    for source in sources:
        cells, quality = body.text(source["value_at"]), body.text(source["quality_at"])
        for rank, (number, indicator) in enumerate(picked):
            rows = np.flatnonzero((source["series"] == number) & known)
            if len(rows):
                pieces.append(pd.DataFrame({
                    "line": body.lines[rows], "order": source["order"], "rank": rank, "key": keys[rows],
                    "period": period[rows], "indicator": indicator, "cell": cells[rows], "quality": quality[rows],
                    "quality_column": source["quality_column"]}))
    if not pieces:
        return pd.DataFrame(columns=["line", "order", "rank", "key", "period", "indicator", "cell", "quality",
                                     "quality_column"])
    wanted = pd.concat(pieces, ignore_index=True)
    return wanted.sort_values(["line", "order", "rank"], kind="stable").reset_index(drop=True)


def _shown(series: pd.DataFrame) -> list[str]:
    """The series as listed in a fix: label name, with code name and unit; the first 40."""
    listed = [f"{row.label_name} ({row.code_name}" + (f", {row.unit})" if row.unit else ")")
              for row in series.itertuples(index=False)]
    return listed[:40] + ([f"... {len(listed) - 40} more"] if len(listed) > 40 else [])


def _mapping(series: pd.DataFrame, columns: dict[str, str], report: ImportReport) -> list[tuple[int, str]] | None:
    """(series number, indicator code) of the series `columns` names; None (reported) when a name fits more than
    one series."""
    picked = []
    for name, code in columns.items():
        fits = series[(series["label_name"] == name) | (series["code_name"] == name)]
        if len(fits) > 1:
            listed = _shown(fits)
            codes = sorted(set(fits["code_name"]))
            if len(codes) == len(fits):
                fix = f"name one of them by its code: {codes}"
                fix_de = f"eine davon über ihren Code benennen: {codes}"
            else:
                fix = "they differ in their unit only: download them as separate tables"
                fix_de = "sie unterscheiden sich nur in der Einheit: sie als getrennte Tabellen herunterladen"
            report.error(f"the name {name!r} fits {len(fits)} value series of the table: {listed}", fix,
                         column="column", value=name,
                         message_de=f"der Name {name!r} passt auf {len(fits)} Wertreihen der Tabelle: {listed}",
                         fix_de=fix_de)
            continue
        picked.extend((int(number), code) for number in fits.index)
    return picked if report.ok else None


def _lost_zeros(distinct: list[str], matched: list[str | None], codes: np.ndarray, key_length: int,
                level_keys: set[str], column: str, report: ImportReport) -> bool:
    """Report the region keys (`distinct`, `codes` the row's) that match an area only with their leading zero
    put back (a spreadsheet saved 01001 as 1001); True if there was one."""
    unmatched = [i for i, (key, area) in enumerate(zip(distinct, matched)) if area is None and key.isdigit()]
    repaired, _ = match_keys(["0" + distinct[i] for i in unmatched], key_length, level_keys)
    lost = [(distinct[i], area) for i, area in zip(unmatched, repaired) if area is not None]
    first_row = pd.Series(np.arange(len(codes))).groupby(codes).min()  # per distinct key, its first row
    first_line = {distinct[i]: int(first_row[i]) + 2 for i in unmatched}
    for key, area in sorted(lost, key=lambda pair: first_line[pair[0]])[:MAX_LISTED]:
        report.error(f"region key {key} lost its leading zero (area {area} of the level)",
                     "import the flat file as downloaded, not saved again by a spreadsheet (which reads keys as "
                     "numbers); or format the key column as text", row=first_line[key], column=column, value=key,
                     keys=(key,), message_de=f"der Regionalschlüssel {key} hat seine führende Null verloren "
                                             f"(Gebiet {area} der Ebene)",
                     fix_de="die Flatfile-CSV wie heruntergeladen importieren, nicht von einer Tabellenkalkulation "
                            "neu gespeichert (die Schlüssel als Zahlen liest); oder die Schlüsselspalte als Text "
                            "formatieren")
    if len(lost) > MAX_LISTED:
        report.error(f"{len(lost) - MAX_LISTED} more region keys lost their leading zero",
                     "correct the keys listed above and the rest of the column",
                     message_de=f"{len(lost) - MAX_LISTED} weitere Regionalschlüssel haben ihre führende Null "
                                "verloren",
                     fix_de="die oben genannten Schlüssel und den Rest der Spalte korrigieren")
    return bool(lost)


def _quality(cells: pd.DataFrame, report: ImportReport) -> bool:
    """Apply the quality cells of the imported values (in place): a symbol there replaces the value, `p` and `s`
    are warned about, an unknown code is an error (False)."""
    quality = cells["quality"]
    symbol = quality.isin(list(SPECIAL_SYMBOLS))
    cells.loc[symbol, "cell"] = quality[symbol]
    known = symbol | quality.isin([*KEPT, *MARKED])
    firsts = cells[~known].drop_duplicates("quality")
    for code, first in zip(firsts["quality"], firsts.index):
        count = int((quality == code).sum())
        report.error(f"unknown quality code {code!r}" + (f" ({count:,} values)" if count > 1 else ""),
                     "the quality codes of GENESIS are e, p, r and s (and the symbols - . x / ...); import the flat "
                     "file as downloaded", row=int(cells.at[first, "line"]), column=cells.at[first, "quality_column"],
                     value=str(code)[:40],
                     message_de=f"unbekanntes Qualitätskennzeichen {code!r}"
                                + (f" ({de_number(count)} Werte)" if count > 1 else ""),
                     fix_de="die Qualitätskennzeichen von GENESIS sind e, p, r und s (und die Zeichen - . x / ...); "
                            "die Flatfile-CSV wie heruntergeladen importieren")
    if not known.all():
        return False
    for code, (what, what_de) in MARKED.items():
        hits = cells[(quality == code) & ~symbol]
        if len(hits):
            first = hits.index[0]
            report.warning(f"{what} values (quality code {code!r}): {len(hits):,}; they are stored as published, "
                           "and this import's report keeps the mark", "import the table again when the office "
                           "publishes the final values: they supersede these", row=int(cells.at[first, "line"]),
                           column=cells.at[first, "quality_column"], value=code,
                           message_de=f"{what_de.capitalize()}e Werte (Qualitätskennzeichen {code!r}): "
                                      f"{de_number(len(hits))}; sie werden wie veröffentlicht gespeichert, der Bericht "
                                      "dieses Imports behält die Kennzeichnung",
                           fix_de="die Tabelle erneut importieren, sobald das Amt die endgültigen Werte "
                                  "veröffentlicht: sie ersetzen diese")
    return True


def _warn_unmapped(unmapped: pd.DataFrame, report: ImportReport) -> None:
    listed = _shown(unmapped)[:5] + (["..."] if len(unmapped) > 5 else [])
    report.warning(f"{len(unmapped):,} value series of the table are not imported: {listed}",
                   "map them with column=NAME=CODE if they are wanted", column="column",
                   message_de=f"{de_number(len(unmapped))} Wertreihen der Tabelle werden nicht importiert: {listed}",
                   fix_de="sie mit column=NAME=CODE zuordnen, wenn sie gebraucht werden")

