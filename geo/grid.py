"""Zensus-style grid tables (INSPIRE grid cell ids such as `CRS3035RES100mN3268400E4553900`): parse the ids,
import the counts, aggregate them to the areas of any level (a cell belongs to the area containing its centre).

An INSPIRE id names the CRS (EPSG:3035, LAEA Europe), the resolution and the lower-left corner (N = northing,
E = easting, in metres); the centre is corner + resolution / 2. The Zensus 2022 tables also use the short form
`100mN32684E45539` (corner in units of the resolution). Must not know about indicators.

Cells as published (docs/imports.md, "Grid tables"): the Zensus 2022 tables (`GITTER_ID_100m;x_mp_100m;y_mp_100m;
<Merkmal>[;werterlaeuternde_Zeichen]`, decimal comma) withhold some cells and put others in parentheses. A withheld
cell (`–`, `.`, `/`) is stored without a number (flag 'suppressed'), a value in parentheses (`KLAMMERN` in
`werterlaeuternde_Zeichen`, or written as `(12,5)`) keeps its number with flag 'uncertain'. Sums over areas count
both and mark a sum that misses withheld cells as a lower bound; a withheld cell never contributes a number.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.aggregation import AggregationInputError
from geo.import_report import (BeforeCommit, ImportFailed, ImportReport, file_sha256, finish_batch, record_batch,
                               run_in_import_transaction)
from geo.points import LAYER_CODE_PATTERN
from geo.storage_crs import storage_srid
from geo.text_tables import read_text_table
from geo.versions import valid_at

INSPIRE_ID = re.compile(r"^CRS(?P<crs>\d{4,5})RES(?P<res>\d+)(?P<unit>m|km)N(?P<n>\d+)E(?P<e>\d+)$")
SHORT_ID = re.compile(r"^(?P<res>\d+)(?P<unit>m|km)N(?P<n>\d+)E(?P<e>\d+)$")
GRID_CRS = 3035
# Zeichenerklärung of official statistics, as far as a grid cell is concerned:
# - no value, no row (as before): "" (the cell is not in the table), "-" (nichts vorhanden), "x"/"X" (Aussage
#   nicht sinnvoll), "…"/"..." (Angabe fällt später an);
# - withheld, a row without a number (flag 'suppressed'): "–" (the Zensus 2022 grid tables: kept secret,
#   Geheimhaltung), "." (Zahlenwert unbekannt oder geheim zu halten), "/" (nicht sicher genug). A sum that misses
#   one of them is a lower bound.
NO_VALUE_TOKENS = frozenset({"", "-", "x", "X", "…", "..."})
SUPPRESSED_TOKENS = frozenset({"–", ".", "/"})
FLAG_COLUMN = "werterlaeuternde_zeichen"  # matched case-insensitively; holds codes for the whole row
FLAG_CODES = {"KLAMMERN": "uncertain"}  # value shown in parentheses: statistically relatively uncertain
# a value written in parentheses ("(12,5)") means the same as KLAMMERN: Aussagewert eingeschränkt
MAX_ROWS_LISTED = 20

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class GridCell:
    cell_id: str
    resolution_m: int
    x: float  # centre, EPSG:3035 easting
    y: float  # centre, EPSG:3035 northing


def parse_cell_id(text: str) -> GridCell:
    """The cell of an INSPIRE grid id (long or Zensus short form); ValueError says what is wrong."""
    cell_id = str(text).strip()
    long = INSPIRE_ID.match(cell_id)
    short = None if long else SHORT_ID.match(cell_id)
    if not long and not short:
        raise ValueError(f"{cell_id[:60]!r} is not an INSPIRE grid id like CRS3035RES100mN3268400E4553900")
    match = long or short
    resolution = int(match["res"]) * (1000 if match["unit"] == "km" else 1)
    if resolution <= 0:
        raise ValueError(f"{cell_id!r} has resolution 0")
    if long and int(long["crs"]) != GRID_CRS:
        raise ValueError(f"{cell_id!r} names CRS {long['crs']}; INSPIRE grids use EPSG:3035")
    factor = 1 if long else resolution
    north, east = int(match["n"]) * factor, int(match["e"]) * factor
    if north % resolution or east % resolution:
        raise ValueError(f"{cell_id!r}: the corner is not a multiple of the {resolution} m resolution")
    return GridCell(cell_id, resolution, east + resolution / 2, north + resolution / 2)


_CELL_ID_ERRORS_DE = {  # the errors parse_cell_ids gives, for German reports
    "not an INSPIRE grid id like CRS3035RES100mN3268400E4553900":
        "keine INSPIRE-Gitterzellen-ID wie CRS3035RES100mN3268400E4553900",
    "names a CRS other than EPSG:3035": "nennt ein anderes Koordinatenreferenzsystem als EPSG:3035",
    "the corner is not a multiple of the resolution": "die Ecke ist kein Vielfaches der Auflösung",
}


def parse_cell_ids(ids: pd.Series) -> pd.DataFrame:
    """Vectorised parse: columns resolution_m, x, y (NaN where the id does not parse) and error (text or None)."""
    text = ids.fillna("").astype(str).str.strip()
    long = text.str.extract(INSPIRE_ID.pattern)
    short = text.str.extract(SHORT_ID.pattern)
    is_long = long["res"].notna().to_numpy()
    parts = long.where(pd.Series(is_long, index=long.index), short)
    unit = parts["unit"]
    resolution = pd.to_numeric(parts["res"], errors="coerce") * np.where(unit == "km", 1000, 1)
    factor = np.where(is_long, 1, resolution)
    north = pd.to_numeric(parts["n"], errors="coerce") * factor
    east = pd.to_numeric(parts["e"], errors="coerce") * factor
    error = pd.Series(None, index=ids.index, dtype=object)
    error[parts["res"].isna()] = "not an INSPIRE grid id like CRS3035RES100mN3268400E4553900"
    wrong_crs = pd.Series(is_long, index=ids.index) & (long["crs"].fillna(str(GRID_CRS)) != str(GRID_CRS))
    error[wrong_crs & error.isna()] = "names a CRS other than EPSG:3035"
    off = ((north % resolution) != 0) | ((east % resolution) != 0) | (resolution <= 0)
    error[off.fillna(False) & error.isna()] = "the corner is not a multiple of the resolution"
    ok = error.isna()
    return pd.DataFrame({"resolution_m": resolution.where(ok), "x": (east + resolution / 2).where(ok),
                         "y": (north + resolution / 2).where(ok), "error": error})


@dataclass(frozen=True)
class GridImportOptions:
    layer: str
    id_column: str | None = None  # default: the first column whose name contains "gitter" or "id"
    variables: tuple[str, ...] | None = None  # default: every other column
    name_de: str | None = None
    name_en: str | None = None
    separator: str | None = None
    decimal: str | None = None


def import_grid(conn: Connection, path: Path, options: GridImportOptions, *, dry_run: bool = False,
                created_by: str = "cli", display_name: str | None = None, progress: Progress | None = None,
                before_commit: BeforeCommit | None = None) -> ImportReport:
    """Validate and (unless dry_run or on error) store a grid table; replaces the layer's cells and values.
    `before_commit(conn, report)` runs last inside the transaction (an audit record)."""
    report = ImportReport(kind="grid", file=display_name or path.name, dry_run=dry_run)
    step = progress or (lambda _what, _done, _total: None)
    if not re.fullmatch(LAYER_CODE_PATTERN, options.layer):
        report.error(f"layer code {options.layer!r} is not allowed", "use lower-case letters, digits and _",
                     column="layer", message_de=f"der Ebenen-Code {options.layer!r} ist nicht zulässig",
                     fix_de="Kleinbuchstaben, Ziffern und _ verwenden")
        return report
    table = _read(path, options, report)
    if table is None:
        return report
    report.sha256 = file_sha256(path)
    report.rows_read = len(table)
    step("read", 1, 4)
    cells, values = _validate(table, options, report)
    if not report.ok:
        return report
    step("validated", 2, 4)
    def work() -> None:
        report.batch_id = record_batch(conn, report, created_by, asdict(options))
        _store(conn, options, cells, values, report)
        finish_batch(conn, report)
        step("stored", 4, 4)

    return run_in_import_transaction(conn, report, work, dry_run=dry_run, before_commit=before_commit)


def _read(path: Path, options: GridImportOptions, report: ImportReport) -> pd.DataFrame | None:
    found = read_text_table(path, report, separator=options.separator, fix="save it as CSV with one header row",
                            fix_de="als CSV mit einer Kopfzeile speichern")
    if found is None:
        return None
    table, separator = found
    table.attrs["decimal"] = options.decimal or ("," if separator == ";" else ".")
    return table


def _validate(table: pd.DataFrame, options: GridImportOptions,
              report: ImportReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    id_column = options.id_column or next(
        (c for c in table.columns if "gitter" in c.lower() or c.lower().endswith("id")), None)
    if id_column is None or id_column not in table.columns:
        report.error(f"no grid id column {options.id_column or ''!r}".replace(" ''", ""),
                     f"name it with --id-column; found {list(table.columns)}", row=1, column=options.id_column,
                     message_de=f"keine Spalte mit der Gitterzellen-ID {options.id_column or ''!r}".replace(" ''", ""),
                     fix_de=f"mit --id-column angeben; vorhanden sind {list(table.columns)}")
        return pd.DataFrame(), pd.DataFrame()
    flag_columns = [c for c in table.columns if c.strip().lower() == FLAG_COLUMN]
    if len(flag_columns) > 1:
        report.error(f"the table has {len(flag_columns)} columns {flag_columns}", "keep one werterlaeuternde_Zeichen "
                     "column", row=1, column=flag_columns[1],
                     message_de=f"die Tabelle hat {len(flag_columns)} Spalten {flag_columns}",
                     fix_de="eine Spalte werterlaeuternde_Zeichen behalten")
    flag_column = flag_columns[0] if flag_columns else None
    variables = list(options.variables or [c for c in table.columns if c != id_column and c not in flag_columns
                                           and not re.fullmatch(r"[xy]_mp_\d+k?m", c)])
    for name in variables:
        if name in flag_columns:
            report.error(f"{name!r} holds codes that explain the values, not a variable",
                         "leave it out of --variable; KLAMMERN there flags the row's values as uncertain", row=1,
                         column=name, message_de=f"{name!r} enthält werterläuternde Zeichen, kein Merkmal",
                         fix_de="nicht als --variable angeben; KLAMMERN dort kennzeichnet die Werte der Zeile als "
                                "statistisch unsicher")
        if name not in table.columns:
            report.error(f"variable column {name!r} is missing", f"found {list(table.columns)}", row=1, column=name,
                         message_de=f"die Merkmalsspalte {name!r} fehlt",
                         fix_de=f"vorhanden sind {list(table.columns)}")
    if not variables:
        report.error("the table has no value column", "add a column of counts (e.g. Einwohner)", row=1,
                     message_de="die Tabelle hat keine Wertespalte",
                     fix_de="eine Spalte mit Anzahlen ergänzen (z. B. Einwohner)")
    if not report.ok:
        return pd.DataFrame(), pd.DataFrame()
    lines = pd.Series(np.arange(1, len(table) + 1), index=table.index)
    parsed = parse_cell_ids(table[id_column])
    bad = parsed["error"].notna()
    for i in table.index[bad][:MAX_ROWS_LISTED]:
        report.error(f"grid id does not parse: {parsed.at[i, 'error']}",
                     "write ids as CRS3035RES100mN3268400E4553900 (or the Zensus short form 100mN32684E45539)",
                     row=int(lines[i]), column=id_column, value=str(table.at[i, id_column])[:60],
                     message_de=f"Gitterzellen-ID nicht lesbar: "
                                f"{_CELL_ID_ERRORS_DE.get(parsed.at[i, 'error'], parsed.at[i, 'error'])}",
                     fix_de="IDs als CRS3035RES100mN3268400E4553900 schreiben (oder in der Zensus-Kurzform "
                            "100mN32684E45539)")
    if bad.sum() > MAX_ROWS_LISTED:
        report.error(f"{int(bad.sum()) - MAX_ROWS_LISTED} more grid ids do not parse", "correct the id column",
                     message_de=f"{int(bad.sum()) - MAX_ROWS_LISTED} weitere Gitterzellen-IDs sind nicht lesbar",
                     fix_de="die ID-Spalte korrigieren")
    resolutions = parsed.loc[~bad, "resolution_m"].unique()
    if len(resolutions) > 1:
        first = {r: int(lines[parsed.index[parsed["resolution_m"] == r][0]]) for r in resolutions}
        report.error(f"the table mixes resolutions {sorted(int(r) for r in resolutions)} m (first rows {first})",
                     "import each resolution as its own layer", column=id_column,
                     message_de=f"die Tabelle mischt die Auflösungen {sorted(int(r) for r in resolutions)} m "
                                f"(erste Zeilen {first})",
                     fix_de="jede Auflösung als eigene Ebene importieren")
    duplicated = table[id_column].duplicated(keep=False) & ~bad
    for cell_id, group in list(table[duplicated].groupby(id_column))[:MAX_ROWS_LISTED]:
        report.error(f"grid id {cell_id} occurs in rows {', '.join(str(lines[i]) for i in group.index)}",
                     "keep one row per cell", row=int(lines[group.index[1]]), column=id_column, value=cell_id,
                     message_de=f"die Gitterzellen-ID {cell_id} kommt in den Zeilen "
                                f"{', '.join(str(lines[i]) for i in group.index)} vor",
                     fix_de="je Gitterzelle eine Zeile behalten")
    row_flag = _row_flags(table, flag_column, lines, report)
    decimal = table.attrs.get("decimal", ".")
    frames = []
    for name in variables:
        text = table[name].str.strip()
        in_parentheses = text.str.startswith("(") & text.str.endswith(")")
        if in_parentheses.any():
            text = text.copy()
            text[in_parentheses] = text[in_parentheses].str[1:-1].str.strip()
        no_value = text.isin(NO_VALUE_TOKENS)
        suppressed = text.isin(SUPPRESSED_TOKENS)
        normal = text.str.replace(" ", "", regex=False)
        if decimal == ",":
            normal = normal.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        numbers = pd.to_numeric(normal.where(~no_value & ~suppressed), errors="coerce")
        wrong = numbers.isna() & ~no_value & ~suppressed
        for i in table.index[wrong][:MAX_ROWS_LISTED]:
            report.error("text in a number column", "write counts as numbers; '-' or empty for no value, '–' or "
                         "'.' for a value kept secret", row=int(lines[i]), column=name,
                         value=str(table.at[i, name])[:40], message_de="Text in einer Zahlenspalte",
                         fix_de="Anzahlen als Zahlen schreiben; '-' oder leer für keinen Wert, '–' oder '.' für "
                                "einen geheim gehaltenen Wert")
        # a withheld cell is a row without a number, whatever its row's code says; one in parentheses is uncertain
        flag = pd.Series(np.where(suppressed, "suppressed",
                                  np.where(in_parentheses | (row_flag == "uncertain"), "uncertain", None)),
                         index=table.index, dtype=object)
        kept = numbers.notna() | suppressed
        frames.append(pd.DataFrame({"cell_id": table[id_column].str.strip(), "variable": name,
                                    "value": numbers.where(~suppressed), "flag": flag}).loc[kept])
    cells = pd.DataFrame({"cell_id": table[id_column].str.strip(), "x": parsed["x"], "y": parsed["y"],
                          "resolution_m": parsed["resolution_m"]})
    values = (pd.concat(frames, ignore_index=True) if frames
              else pd.DataFrame(columns=["cell_id", "variable", "value", "flag"]))
    if report.ok:
        report.notes.append(f"{len(cells):,} cells of {int(resolutions[0])} m, variables {variables}")
        suppressed_count = int((values["flag"] == "suppressed").sum())
        uncertain_count = int((values["flag"] == "uncertain").sum())
        report.notes.append(
            f"{suppressed_count:,} cell values kept secret (–, . or /): stored without a number, flag 'suppressed'; "
            f"{uncertain_count:,} cell values statistically uncertain (KLAMMERN or in parentheses): flag "
            f"'uncertain'")
    return cells, values


def _row_flags(table: pd.DataFrame, flag_column: str | None, lines: pd.Series,
               report: ImportReport) -> pd.Series:
    """The flag the codes of werterlaeuternde_Zeichen give each row's values (None: none); unknown codes are
    errors, so that a code nobody has read is never dropped."""
    if flag_column is None:
        return pd.Series(None, index=table.index, dtype=object)
    codes = table[flag_column].fillna("").astype(str).str.strip()
    flags = codes.str.upper().map(FLAG_CODES)
    unknown = codes.ne("") & flags.isna()
    known = ", ".join(FLAG_CODES)
    for i in table.index[unknown][:MAX_ROWS_LISTED]:
        report.error(f"unknown code in {flag_column}", f"the Zensus 2022 tables write {known} (value statistically "
                     "uncertain) or nothing there; correct the cell or ask the publisher what the code means",
                     row=int(lines[i]), column=flag_column, value=codes[i][:40],
                     message_de=f"unbekanntes Zeichen in {flag_column}",
                     fix_de=f"die Tabellen des Zensus 2022 schreiben dort {known} (Wert statistisch unsicher) oder "
                            "nichts; die Zelle korrigieren oder beim Herausgeber nachfragen, was das Zeichen bedeutet")
    if unknown.sum() > MAX_ROWS_LISTED:
        report.error(f"{int(unknown.sum()) - MAX_ROWS_LISTED} more unknown codes in {flag_column}",
                     f"correct the column; known codes: {known}", column=flag_column,
                     message_de=f"{int(unknown.sum()) - MAX_ROWS_LISTED} weitere unbekannte Zeichen in {flag_column}",
                     fix_de=f"die Spalte korrigieren; bekannte Zeichen: {known}")
    return flags.astype(object).where(flags.notna(), None)


def _copy(conn: Connection, sql: str, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, float_format="%.17g")
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(sql) as copy:
            data = buffer.getvalue().encode()
            for start in range(0, len(data), 1 << 20):
                copy.write(data[start:start + (1 << 20)])


def _store(conn: Connection, options: GridImportOptions, cells: pd.DataFrame, values: pd.DataFrame,
           report: ImportReport) -> None:
    srid = storage_srid(conn)
    resolution = int(cells["resolution_m"].iloc[0]) if len(cells) else 100
    params = {"layer": options.layer, "batch": report.batch_id, "res": resolution,
              "name_de": options.name_de or options.layer, "name_en": options.name_en or options.layer}
    existing = conn.execute(sa.text("SELECT resolution_m FROM grid_layer WHERE code = :layer"), params).scalar()
    if existing is not None and existing != resolution:
        report.error(f"layer {options.layer!r} holds {existing} m cells, the file {resolution} m cells",
                     "import each resolution as its own layer (--layer ...)", column="layer",
                     message_de=f"die Ebene {options.layer!r} enthält Gitterzellen zu {existing} m, die Datei zu "
                                f"{resolution} m",
                     fix_de="jede Auflösung als eigene Ebene importieren (--layer ...)")
        raise ImportFailed(report)
    conn.execute(sa.text("""
        INSERT INTO grid_layer (code, name_de, name_en, resolution_m, import_batch_id)
        VALUES (:layer, :name_de, :name_en, :res, :batch)
        ON CONFLICT (code) DO UPDATE SET import_batch_id = EXCLUDED.import_batch_id"""), params)
    replaced = conn.execute(sa.text("DELETE FROM grid_cell WHERE layer_code = :layer"), params).rowcount
    conn.execute(sa.text("CREATE TEMP TABLE staging_cell (cell_id text, x float8, y float8) ON COMMIT DROP"))
    _copy(conn, "COPY staging_cell FROM STDIN (FORMAT csv)", cells[["cell_id", "x", "y"]])
    conn.execute(sa.text(f"""
        INSERT INTO grid_cell (layer_code, cell_id, centre)
        SELECT :layer, cell_id, ST_Transform(ST_SetSRID(ST_MakePoint(x, y), {GRID_CRS}), {int(srid)})
        FROM staging_cell"""), params)
    values = values.assign(layer=options.layer)[["layer", "cell_id", "variable", "value", "flag"]]
    # NaN and None are written as empty fields, which COPY reads as NULL
    _copy(conn, "COPY grid_value (layer_code, cell_id, variable, value, flag) FROM STDIN (FORMAT csv)", values)
    conn.execute(sa.text("ANALYZE grid_cell"))
    report.rows_written = len(cells)
    report.rows_superseded = replaced
    if replaced:
        report.notes.append(f"replaced the {replaced:,} cells stored before in layer {options.layer!r}")


def list_grid_layers(conn: Connection) -> list[dict]:
    rows = conn.execute(sa.text("""
        SELECT l.code, l.name_de, l.name_en, l.resolution_m,
               (SELECT count(*) FROM grid_cell c WHERE c.layer_code = l.code) AS cells,
               (SELECT array_agg(DISTINCT v.variable) FROM grid_value v WHERE v.layer_code = l.code) AS variables
        FROM grid_layer l ORDER BY l.code"""))
    return [dict(r._mapping) for r in rows]


def grid_to_areas(conn: Connection, layer: str, variable: str, level: str, at: date) -> dict:
    """Sum of one grid variable per area (a cell belongs to the area whose interior contains its centre).

    A cell kept secret by the publisher (flag 'suppressed') has no number: it is counted (`suppressed_cells`),
    never summed, and a sum that misses one is marked `value_is_lower_bound`; cells published in parentheses are
    summed and counted (`uncertain_cells`). The same holds for the totals at the top.

    The areas are cut into pieces of at most 256 vertices (ST_Subdivide) first: the point-in-polygon tests
    then touch small polygons with tight bounding boxes, which is what makes a million cells fast."""
    if conn.execute(sa.text("SELECT NOT EXISTS (SELECT 1 FROM grid_layer WHERE code = :l)"), {"l": layer}).scalar():
        raise AggregationInputError(f"unknown grid layer {layer!r}", "layer", status=404)
    if conn.execute(sa.text("""SELECT NOT EXISTS (SELECT 1 FROM grid_value WHERE layer_code = :l
                               AND variable = :v)"""), {"l": layer, "v": variable}).scalar():
        raise AggregationInputError(f"grid layer {layer!r} has no variable {variable!r}", "variable", status=404)
    rows = conn.execute(sa.text(GRID_TO_AREAS_SQL), {"layer": layer, "variable": variable, "level": level,
                                                     "at": at}).mappings().all()
    total = conn.execute(sa.text("""
        SELECT count(*) AS cells, coalesce(sum(value), 0) AS value,
               count(*) FILTER (WHERE flag = 'suppressed') AS suppressed,
               count(*) FILTER (WHERE flag = 'uncertain') AS uncertain
        FROM grid_value WHERE layer_code = :l AND variable = :v"""), {"l": layer, "v": variable}).one()
    assigned = sum(r["cells"] for r in rows)
    suppressed_assigned = sum(r["suppressed_cells"] for r in rows)
    return {"layer": layer, "variable": variable, "level": level, "boundary_version": at.isoformat(),
            "cells_total": total.cells, "cells_assigned": assigned, "cells_outside": total.cells - assigned,
            "suppressed_cells_total": total.suppressed, "suppressed_cells_assigned": suppressed_assigned,
            "uncertain_cells_total": total.uncertain,
            "uncertain_cells_assigned": sum(r["uncertain_cells"] for r in rows),
            "value_total": total.value, "value_total_is_lower_bound": total.suppressed > 0,
            "value_assigned": sum(r["value"] or 0 for r in rows),
            "value_assigned_is_lower_bound": suppressed_assigned > 0,
            "items": [dict(r) for r in rows]}


GRID_TO_AREAS_SQL = f"""
    WITH pieces AS MATERIALIZED (
        SELECT a.id, ST_Subdivide(a.geom, 256) AS geom FROM area a
        WHERE a.level_code = :level AND {valid_at("a", ":at")}
    ),
    per_area AS (
        SELECT p.id, count(*) AS cells, sum(v.value) AS value,
               count(*) FILTER (WHERE v.flag = 'suppressed') AS suppressed_cells,
               count(*) FILTER (WHERE v.flag = 'uncertain') AS uncertain_cells
        FROM pieces p
        JOIN grid_cell c ON c.layer_code = :layer AND ST_Contains(p.geom, c.centre)
        JOIN grid_value v ON v.layer_code = c.layer_code AND v.cell_id = c.cell_id AND v.variable = :variable
        GROUP BY p.id
    )
    SELECT a.key, a.name, coalesce(x.cells, 0) AS cells, coalesce(x.value, 0) AS value,
           coalesce(x.suppressed_cells, 0) AS suppressed_cells, coalesce(x.uncertain_cells, 0) AS uncertain_cells,
           coalesce(x.suppressed_cells, 0) > 0 AS value_is_lower_bound
    FROM area a LEFT JOIN per_area x ON x.id = a.id
    WHERE a.level_code = :level AND {valid_at("a", ":at")}
    ORDER BY a.key"""
