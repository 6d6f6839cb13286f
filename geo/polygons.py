"""Polygon layers (programme areas, school catchments): validated, atomic import like the boundary import,
but without a hierarchy or versions. Coordinates must be finite and inside the configured extent; invalid
outlines are repaired (and reported) unless the repair would change them materially (`geo.plausibility`).
Must not know about indicators.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.import_report import (BeforeCommit, ImportFailed, ImportLimits, ImportReport, file_sha256, finish_batch,
                               record_batch, run_in_import_transaction)
from geo.plausibility import check_finite, check_region, configured_extent, repair_outlines
from geo.points import LAYER_CODE_PATTERN, MAX_ROWS_LISTED, read_layer_file
from geo.storage_crs import storage_srid

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PolygonImportOptions:
    layer: str
    key_field: str
    name_field: str | None = None
    name_de: str | None = None
    name_en: str | None = None
    crs: str | None = None
    file_layer: str | None = None


def import_polygons(conn: Connection, path: Path, options: PolygonImportOptions, *, dry_run: bool = False,
                    created_by: str = "cli", display_name: str | None = None, progress: Progress | None = None,
                    before_commit: BeforeCommit | None = None, limits: ImportLimits = ImportLimits()) -> ImportReport:
    """Validate and (unless dry_run or on error) replace the features of a polygon layer in one transaction;
    `before_commit(conn, report)` runs last inside it (an audit record)."""
    report = ImportReport(kind="polygons", file=display_name or path.name, dry_run=dry_run)
    step = progress or (lambda _what, _done, _total: None)
    if not pd.Series([options.layer]).str.fullmatch(LAYER_CODE_PATTERN).iloc[0]:
        report.error(f"layer code {options.layer!r} is not allowed", "use lower-case letters, digits and _",
                     column="layer", message_de=f"der Ebenen-Code {options.layer!r} ist nicht zulässig",
                     fix_de="Kleinbuchstaben, Ziffern und _ verwenden")
        return report
    frame = read_layer_file(path, options, report)
    if frame is None:
        return report
    report.sha256 = file_sha256(path)
    report.rows_read = len(frame)
    keys = frame[options.key_field].astype("string").str.strip()
    rows = range(1, len(frame) + 1)
    for row, key, geom in zip(rows, keys, frame.geometry):
        if pd.isna(key) or key == "":
            report.error("feature without key", f"fill {options.key_field!r}", row=row, column=options.key_field,
                         message_de="Objekt ohne Schlüssel", fix_de=f"{options.key_field!r} füllen")
        if geom is None or geom.is_empty:
            report.error("feature without geometry", "draw the polygon or remove the feature", row=row,
                         message_de="Objekt ohne Geometrie", fix_de="das Polygon zeichnen oder das Objekt entfernen")
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            report.error(f"geometry is a {geom.geom_type}, not a polygon", "deliver areas as polygons", row=row,
                         message_de=f"die Geometrie ist ein {geom.geom_type}, kein Polygon",
                         fix_de="Flächen als Polygone liefern")
    for key in keys[keys.duplicated() & keys.notna()].unique()[:MAX_ROWS_LISTED]:
        report.error(f"key {key} occurs more than once", "each feature needs its own key", value=str(key),
                     message_de=f"Schlüssel {key} kommt mehrfach vor",
                     fix_de="jedes Objekt braucht einen eigenen Schlüssel")
    if not report.ok:
        return report
    frame = frame.reset_index(drop=True)
    rows, keys = pd.Series(rows), keys.reset_index(drop=True)
    if not check_finite(frame.geometry, rows, keys, report) or not check_region(frame, configured_extent(limits),
                                                                               rows, keys, report):
        return report
    repaired = repair_outlines(frame.geometry, rows, keys, report)
    if not report.ok:
        return report
    names = frame[options.name_field].astype("string") if options.name_field else pd.Series([None] * len(frame))
    def work() -> None:
        srid = storage_srid(conn)
        source_srid = frame.crs.to_epsg()
        if source_srid is None:
            report.error("the file's CRS has no EPSG code", "reproject the file to an EPSG CRS", column="crs",
                         message_de="das Koordinatenreferenzsystem der Datei hat keinen EPSG-Code",
                         fix_de="die Datei in ein Koordinatenreferenzsystem mit EPSG-Code umprojizieren")
            raise ImportFailed(report)
        report.batch_id = record_batch(conn, report, created_by, asdict(options))
        conn.execute(sa.text("""
            INSERT INTO polygon_layer (code, name_de, name_en, import_batch_id) VALUES (:l, :de, :en, :b)
            ON CONFLICT (code) DO UPDATE SET import_batch_id = EXCLUDED.import_batch_id"""),
            {"l": options.layer, "de": options.name_de or options.layer, "en": options.name_en or options.layer,
             "b": report.batch_id})
        report.rows_superseded = conn.execute(sa.text("DELETE FROM polygon_feature WHERE layer_code = :l"),
                                              {"l": options.layer}).rowcount
        conn.execute(sa.text(f"""
            INSERT INTO polygon_feature (layer_code, key, name, geom, attributes)
            VALUES (:l, :key, :name, ST_Multi(ST_Transform(ST_SetSRID(ST_GeomFromWKB(:wkb), :src), {int(srid)})),
                    CAST(:attributes AS jsonb))"""),
            [{"l": options.layer, "key": str(k), "name": None if pd.isna(n) else str(n), "wkb": shapely.to_wkb(g),
              "src": source_srid, "attributes": orjson.dumps({}).decode()}
             for k, n, g in zip(keys, names, repaired)])
        report.rows_written = len(repaired)
        finish_batch(conn, report)
        step("stored", 1, 1)

    return run_in_import_transaction(conn, report, work, dry_run=dry_run, before_commit=before_commit)
