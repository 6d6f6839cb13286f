"""Boundary import: read (pyogrio) -> validate -> repair -> reproject -> store as a new boundary version.

Accepts GeoJSON, GeoPackage and (zipped) Shapefiles in any CRS the file declares. Checks run in two
steps: per feature in Python (fields, keys, finite coordinates inside the parents' region or the configured
extent, outlines that repair would not change materially; `geo.plausibility`), then set-based in PostGIS
against what is stored (parents, children outside their parent, gaps and overlaps between siblings: refused
above the tolerances unless allowed). Everything happens in one transaction that a dry run, or any error,
rolls back; what the import did to areas (created, closed, corrected) is kept in `area_change`, so that it
can be undone.
Must not know about indicators.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.import_report import (BeforeCommit, ImportFailed, ImportLimits, ImportReport, file_sha256, finish_batch,
                               record_batch, run_in_import_transaction)
from geo.import_report import de_number
from geo.levels import Level, get_level
from geo.plausibility import Region, check_finite, check_region, configured_extent, repair_outlines
from geo.storage_crs import storage_srid
from geo.vector_files import read_vector_file
from geo.versions import valid_at

if TYPE_CHECKING:
    import geopandas as gpd

OUTSIDE_PARENT_TOLERANCE = 0.005  # share of a child's area allowed outside its parent (different publications)
SIBLING_OVERLAP_TOLERANCE_M2 = 100.0
GAP_TOLERANCE_SHARE = 0.001
PARENT_REGION_MARGIN_DEG = 0.02  # about 2 km around the parents' bounding box
KEY_PATTERN = r"[\w.\-/]+"  # official keys (AGS, LOR, ARS) are digits; some cities add letters or separators

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BoundaryImportOptions:
    """How to read one boundary file. Exactly one of parent_field / parent_key_length / parent_key may be set."""

    level: str
    key_field: str
    name_field: str
    valid_from: date
    parent_field: str | None = None
    parent_key_length: int | None = None  # hierarchical keys: the parent key is this prefix of the key
    parent_key: str | None = None  # one parent for all (e.g. the city)
    crs: str | None = None  # the coordinates' CRS, for files that declare none or declare a wrong one
    layer: str | None = None
    complete: bool = True  # the file holds every area of the level: areas missing from it end at valid_from
    encoding: str | None = None  # attribute encoding of a shapefile without .cpg (GDAL assumes ISO-8859-1)
    allow_overlaps: bool = False  # accept siblings overlapping and children beyond their parent (then warnings)
    allow_gaps: bool = False  # accept parents their children do not cover (then warnings)


def import_boundaries(
    conn: Connection,
    path: Path,
    options: BoundaryImportOptions,
    *,
    dry_run: bool = False,
    created_by: str = "cli",
    display_name: str | None = None,
    progress: Progress | None = None,
    before_commit: BeforeCommit | None = None,
    limits: ImportLimits = ImportLimits(),
) -> ImportReport:
    """Validate and (unless dry_run or on error) store one boundary file as a boundary version.

    `before_commit(conn, report)` runs inside the transaction just before it commits (e.g. an audit record);
    `limits.extent` is where the areas of a level without stored parents must lie."""
    report = ImportReport(kind="boundaries", file=display_name or path.name, dry_run=dry_run)
    step = progress or (lambda _what, _done, _total: None)
    frame = _read(path, options, report)
    if frame is None:
        return report
    report.sha256 = file_sha256(path)
    report.rows_read = len(frame)
    step("read", 1, 4)
    def work() -> None:
        nonlocal frame
        target_srid = storage_srid(conn)
        level = get_level(conn, options.level)
        if level is None:
            known = [r[0] for r in conn.execute(sa.text("SELECT code FROM area_level ORDER BY rank"))]
            report.error(f"unknown area level {options.level!r}", f"use one of {known}", column="level",
                         message_de=f"unbekannte Gebietsebene {options.level!r}", fix_de=f"eine von {known} angeben")
            raise ImportFailed(report)
        frame = _validate_features(frame, options, _expected_region(conn, level, options, limits), report)
        if not report.ok:
            raise ImportFailed(report)
        frame = frame.to_crs(epsg=target_srid)
        if not check_finite(frame.geometry, frame["row"], frame["key"], report, reprojected=True):
            raise ImportFailed(report)
        step("validated", 2, 4)
        report.batch_id = record_batch(conn, report, created_by, _options_json(options))
        _stage(conn, frame, options, target_srid)
        _check_against_stored(conn, options, report)
        if not report.ok:
            raise ImportFailed(report)
        step("checked", 3, 4)
        _apply(conn, options, report)
        finish_batch(conn, report)
        step("stored", 4, 4)

    return run_in_import_transaction(conn, report, work, dry_run=dry_run,
                                     unchanged_note="nothing changed: every area is already stored with this geometry and name",
                                     before_commit=before_commit)


# -- reading --------------------------------------------------------------------------------------
def _read(path: Path, options: BoundaryImportOptions, report: ImportReport) -> gpd.GeoDataFrame | None:
    frame = read_vector_file(path, report, fields=((options.key_field, "key"), (options.name_field, "name"),
                                                   (options.parent_field, "parent")),
                             key_field=options.key_field, layer=options.layer, encoding=options.encoding,
                             crs=options.crs, what="boundaries")
    if frame is not None:
        _warn_on_mojibake(frame, options, report)
    return frame


MOJIBAKE = re.compile("[\u00c3\u00c2][\u0080-\u00bf]")  # UTF-8 bytes decoded as Latin-1: "SÃ¼d"


def _warn_on_mojibake(frame: gpd.GeoDataFrame, options: BoundaryImportOptions, report: ImportReport) -> None:
    """Shapefiles without .cpg are read as ISO-8859-1; UTF-8 names then look like 'SÃ¼d'. Say so."""
    if options.name_field not in frame.columns:
        return
    names = frame[options.name_field].astype("string")
    garbled = names[names.str.contains(MOJIBAKE, regex=True, na=False)]
    if not garbled.empty:
        report.warning(f"{len(garbled)} names look like UTF-8 read as {options.encoding or 'ISO-8859-1'} "
                       f"(e.g. {garbled.iloc[0]!r})", "give the file's encoding (--encoding UTF-8) or add a .cpg file",
                       row=int(garbled.index[0]) + 1, column=options.name_field, value=str(garbled.iloc[0]),
                       message_de=f"{len(garbled)} Namen sehen nach UTF-8 aus, das als "
                                  f"{options.encoding or 'ISO-8859-1'} gelesen wurde (z. B. {garbled.iloc[0]!r})",
                       fix_de="die Zeichenkodierung der Datei angeben (--encoding UTF-8) oder eine .cpg-Datei beilegen")


# -- per-feature validation -----------------------------------------------------------------------
def _expected_region(conn: Connection, level: Level, options: BoundaryImportOptions, limits: ImportLimits) -> Region:
    """Where the areas must lie: around their parents where the level has parents stored at valid_from, else
    in the configured extent."""
    if level.parent_code is not None:
        box = conn.execute(sa.text(f"""
            SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
                SELECT ST_Extent(geom_4326) AS e FROM area WHERE level_code = :parent
                  AND {valid_at(None, ":at")}) parents"""),
            {"parent": level.parent_code, "at": options.valid_from}).one()
        if box[0] is not None:
            margin = PARENT_REGION_MARGIN_DEG
            return Region((box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin),
                          f"the parent areas (level {level.parent_code})",
                          f"der Elterngebiete (Ebene {level.parent_code})")
    return configured_extent(limits)


def _validate_features(frame: gpd.GeoDataFrame, options: BoundaryImportOptions, region: Region,
                       report: ImportReport) -> gpd.GeoDataFrame:
    import geopandas as gpd

    frame = frame.reset_index(drop=True)
    rows = pd.Series(range(1, len(frame) + 1), index=frame.index)
    keys = frame[options.key_field].astype("string").str.strip()
    names = frame[options.name_field].astype("string").str.strip()
    for i in frame.index[keys.isna() | (keys == "")]:
        report.error("feature without key", f"fill {options.key_field!r}", row=int(rows[i]), column=options.key_field,
                     message_de="Objekt ohne Schlüssel", fix_de=f"{options.key_field!r} füllen")
    for i in frame.index[names.isna() | (names == "")]:
        report.error("feature without name", f"fill {options.name_field!r}", row=int(rows[i]),
                     column=options.name_field, keys=(str(keys[i]),), message_de="Objekt ohne Namen",
                     fix_de=f"{options.name_field!r} füllen")
    odd = keys.notna() & (keys != "") & ~keys.str.fullmatch(KEY_PATTERN).fillna(False).astype(bool)
    for i in frame.index[odd]:
        report.error("the key contains characters that official area keys never have (spaces, quotes, ';' ...)",
                     "keys are letters, digits and - _ . / only; check that the right field was chosen",
                     row=int(rows[i]), column=options.key_field, value=str(keys[i])[:80],
                     message_de="der Schlüssel enthält Zeichen, die amtliche Gebietsschlüssel nie haben (Leerzeichen, "
                                "Anführungszeichen, ';' ...)",
                     fix_de="Schlüssel bestehen nur aus Buchstaben, Ziffern und - _ . /; prüfen, ob das richtige Feld "
                            "gewählt wurde")
    duplicated = keys[keys.duplicated(keep=False) & keys.notna()]
    for key, group in duplicated.groupby(duplicated):
        listed = ", ".join(str(rows[i]) for i in group.index)
        report.error(f"key {key} occurs {len(group)} times (rows {listed})",
                     "each area must occur once per file; merge or renumber the features",
                     row=int(rows[group.index[0]]), column=options.key_field, value=str(key), keys=(str(key),),
                     message_de=f"Schlüssel {key} kommt {len(group)}-mal vor (Zeilen {listed})",
                     fix_de="jedes Gebiet darf je Datei nur einmal vorkommen; Objekte zusammenführen oder umnummerieren")
    geometry = frame.geometry
    for i in frame.index[geometry.isna() | geometry.is_empty]:
        report.error("feature without geometry", "draw the area or remove the feature", row=int(rows[i]),
                     keys=(str(keys[i]),), message_de="Objekt ohne Geometrie",
                     fix_de="das Gebiet zeichnen oder das Objekt entfernen")
    polygonal = geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    for i in frame.index[~polygonal & geometry.notna() & ~geometry.is_empty]:
        report.error(f"geometry is a {geometry[i].geom_type}, not a polygon", "deliver area boundaries as polygons",
                     row=int(rows[i]), keys=(str(keys[i]),),
                     message_de=f"die Geometrie ist ein {geometry[i].geom_type}, kein Polygon",
                     fix_de="Gebietsgrenzen als Polygone liefern")
    if not report.ok:
        return frame
    if not check_finite(geometry, rows, keys, report) or not check_region(frame, region, rows, keys, report):
        return frame
    repaired = repair_outlines(geometry, rows, keys, report)
    if not report.ok:
        return frame
    parents = _parent_keys(frame, keys, options)
    return gpd.GeoDataFrame(
        {"key": keys.astype(str), "name": names.astype(str), "parent_key": parents, "row": rows,
         "attributes": _attributes(frame, options)},
        geometry=repaired.apply(lambda g: shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g)
        .pipe(lambda s: gpd.GeoSeries(shapely.force_2d(s.values), index=s.index)),  # heights are not boundaries
        crs=frame.crs,
    )


def _parent_keys(frame: gpd.GeoDataFrame, keys: pd.Series, options: BoundaryImportOptions) -> pd.Series:
    if options.parent_field:
        return frame[options.parent_field].astype("string").str.strip().astype(object)
    if options.parent_key_length:
        return keys.str.slice(0, options.parent_key_length).astype(object)
    return pd.Series([options.parent_key] * len(frame), index=frame.index, dtype=object)


def _attributes(frame: gpd.GeoDataFrame, options: BoundaryImportOptions) -> pd.Series:
    skip = {options.key_field, options.name_field, options.parent_field, frame.geometry.name}
    extra = frame[[c for c in frame.columns if c not in skip]]
    return pd.Series(extra.astype(object).where(extra.notna(), None).to_dict("records"), index=frame.index)


# -- staging and set-based checks -----------------------------------------------------------------
def _stage(conn: Connection, frame: gpd.GeoDataFrame, options: BoundaryImportOptions, srid: int) -> None:
    import orjson

    conn.execute(sa.text(f"""
        CREATE TEMP TABLE staging_area (
            row integer, key text, name text, parent_key text, attributes jsonb,
            geom geometry(MultiPolygon, {int(srid)})
        ) ON COMMIT DROP"""))
    records = [
        {"row": int(r.row), "key": r.key, "name": r.name, "parent_key": r.parent_key,
         "attributes": orjson.dumps(r.attributes, default=str).decode(), "wkb": shapely.to_wkb(r.geometry)}
        for r in frame.itertuples()
    ]
    conn.execute(sa.text(f"""
        INSERT INTO staging_area (row, key, name, parent_key, attributes, geom)
        VALUES (:row, :key, :name, :parent_key, CAST(:attributes AS jsonb),
                ST_SetSRID(ST_GeomFromWKB(:wkb), {int(srid)}))"""), records)
    conn.execute(sa.text("CREATE INDEX ON staging_area USING gist (geom)"))
    conn.execute(sa.text("ANALYZE staging_area"))


def _check_against_stored(conn: Connection, options: BoundaryImportOptions, report: ImportReport) -> None:
    level = get_level(conn, options.level)
    params = {"level": options.level, "valid_from": options.valid_from, "parent_level": level.parent_code}
    # a key with a later version may only be delivered again for a version it already has (a re-import or a
    # correction in place); a new row there would overlap the later one. Keys recur across key systems (the
    # forecast area 1210 of Berlin's LOR until 2020 and of the LOR from 2021), so loading a manifest twice
    # re-imports older versions whose keys have newer ones.
    newer = conn.execute(sa.text("""
        SELECT s.key, a.valid_from FROM staging_area s
        JOIN area a ON a.level_code = :level AND a.key = s.key AND a.valid_from > :valid_from
        WHERE NOT EXISTS (SELECT 1 FROM area same WHERE same.level_code = :level AND same.key = s.key
                            AND same.valid_from = :valid_from)
        ORDER BY s.row LIMIT 20"""), params).all()
    for key, valid_from in newer:
        report.error(f"area {key} already has a newer boundary version from {valid_from}",
                     "import boundary versions in chronological order, or give a later --valid-from", keys=(key,),
                     message_de=f"Gebiet {key} hat schon einen neueren Gebietsstand vom {valid_from}",
                     fix_de="Gebietsstände in zeitlicher Reihenfolge importieren oder ein späteres --valid-from "
                            "angeben")
    if level.parent_code is None:
        return
    missing = conn.execute(sa.text(f"""
        SELECT s.row, s.key, s.parent_key FROM staging_area s
        WHERE NOT EXISTS (
            SELECT 1 FROM area p WHERE p.level_code = :parent_level AND p.key = s.parent_key
              AND {valid_at("p", ":valid_from")})
        ORDER BY s.row"""), params).all()
    for row, key, parent_key in missing:
        report.error(f"parent {parent_key!r} of area {key} does not exist on level {level.parent_code!r} "
                     f"at {options.valid_from}", "import the parent level first, or correct the parent key",
                     row=row, value=parent_key, keys=(key, str(parent_key)),
                     message_de=f"das Elterngebiet {parent_key!r} von Gebiet {key} gibt es auf Ebene "
                                f"{level.parent_code!r} zum Stichtag {options.valid_from} nicht",
                     fix_de="erst die Elternebene importieren oder den Elternschlüssel korrigieren")
    if missing:
        return
    # one pass over the children: the part of each inside its parent (ST_Within is cheap for the usual case)
    conn.execute(sa.text(f"""
        CREATE TEMP TABLE staging_inside ON COMMIT DROP AS
        SELECT s.row, s.key, s.parent_key, ST_Area(s.geom) AS area, ST_Area(p.geom) AS parent_area,
               CASE WHEN ST_Within(s.geom, p.geom) THEN ST_Area(s.geom)
                    ELSE ST_Area(ST_Intersection(s.geom, p.geom)) END AS inside
        FROM staging_area s
        JOIN area p ON p.level_code = :parent_level AND p.key = s.parent_key
             AND {valid_at("p", ":valid_from")}"""), params)
    outside = conn.execute(sa.text("""
        SELECT row, key, parent_key, 1 - inside / area AS share_outside FROM staging_inside
        WHERE area > 0 AND 1 - inside / area > :tolerance ORDER BY row"""),
        {"tolerance": OUTSIDE_PARENT_TOLERANCE}).all()
    allow = "allowed (--allow-overlaps)" if options.allow_overlaps else "refused unless allowed (--allow-overlaps)"
    allow_de = ("zugelassen (--allow-overlaps)" if options.allow_overlaps
                else "abgelehnt, sofern nicht zugelassen (--allow-overlaps)")
    for row, key, parent_key, share in outside:
        if share >= 1:  # not even touching its parent: a wrong parent key or coordinates
            report.error(f"area {key} lies entirely outside its parent {parent_key}",
                         "check the parent key and the coordinates (CRS) of both", row=row, keys=(key, parent_key),
                         message_de=f"Gebiet {key} liegt ganz außerhalb seines Elterngebiets {parent_key}",
                         fix_de="Elternschlüssel und Koordinaten (Koordinatenreferenzsystem) beider prüfen")
            continue
        _topology_problem(report, options.allow_overlaps,
                          f"area {key} lies {share:.1%} outside its parent {parent_key} ({allow})",
                          "check that the parent key and both outlines are right",
                          f"Gebiet {key} liegt zu {de_number(share, '.1%')} außerhalb seines Elterngebiets "
                          f"{parent_key} ({allow_de})",
                          "Elternschlüssel und beide Umrisse prüfen", row=row, keys=(key, parent_key))
    overlaps = conn.execute(sa.text("""
        SELECT a.key, b.key, ST_Area(ST_Intersection(a.geom, b.geom)) AS overlap
        FROM staging_area a JOIN staging_area b
          ON a.key < b.key AND a.parent_key IS NOT DISTINCT FROM b.parent_key AND ST_Intersects(a.geom, b.geom)
        WHERE ST_Area(ST_Intersection(a.geom, b.geom)) > :tolerance
        ORDER BY 3 DESC LIMIT 200"""), {"tolerance": SIBLING_OVERLAP_TOLERANCE_M2}).all()
    for key_a, key_b, overlap in overlaps:
        _topology_problem(report, options.allow_overlaps,
                          f"areas {key_a} and {key_b} overlap by {overlap:,.0f} m² ({allow})",
                          "neighbouring areas should share their border; correct the outlines",
                          f"die Gebiete {key_a} und {key_b} überlappen sich um {de_number(overlap, ',.0f')} m² "
                          f"({allow_de})",
                          "benachbarte Gebiete sollen eine gemeinsame Grenze haben; Umrisse korrigieren",
                          keys=(key_a, key_b))
    # uncovered part of each parent = its area minus the parts of its children inside it (overlaps are
    # reported above; counting them twice here would only hide a gap of the same size). A partial delivery
    # (complete=false) keeps the stored areas it does not name, so those still cover their parents.
    gaps = conn.execute(sa.text(f"""
        SELECT parent_key, max(parent_area) - sum(inside) AS gap, max(parent_area) AS parent_area
        FROM (SELECT parent_key, parent_area, inside FROM staging_inside
              UNION ALL
              SELECT kept.parent_key, NULL, ST_Area(ST_Intersection(kept.geom, p.geom))
              FROM area kept
              JOIN area p ON p.level_code = :parent_level AND p.key = kept.parent_key
                   AND {valid_at("p", ":valid_from")}
              WHERE NOT :complete AND kept.level_code = :level
                AND {valid_at("kept", ":valid_from")}
                AND kept.key NOT IN (SELECT key FROM staging_area)
                AND kept.parent_key IN (SELECT parent_key FROM staging_inside)) children
        GROUP BY parent_key
        HAVING max(parent_area) - sum(inside) > :share * max(parent_area)
        ORDER BY parent_key"""), {**params, "complete": options.complete, "share": GAP_TOLERANCE_SHARE}).all()
    allowed = "allowed (--allow-gaps)" if options.allow_gaps else "refused unless allowed (--allow-gaps)"
    allowed_de = ("zugelassen (--allow-gaps)" if options.allow_gaps
                  else "abgelehnt, sofern nicht zugelassen (--allow-gaps)")
    for parent_key, gap, parent_area in gaps:
        _topology_problem(report, options.allow_gaps,
                          f"the areas in {parent_key} leave {gap:,.0f} m² ({gap / parent_area:.1%}) of it uncovered "
                          f"({allowed})", "check for missing areas or outlines that do not reach the parent border",
                          f"die Gebiete in {parent_key} lassen {de_number(gap, ',.0f')} m² "
                          f"({de_number(gap / parent_area, '.1%')}) davon unbedeckt ({allowed_de})",
                          "fehlende Gebiete oder Umrisse suchen, die die Grenze des Elterngebiets nicht erreichen",
                          keys=(parent_key,))


def _topology_problem(report: ImportReport, allowed: bool, message: str, fix: str, message_de: str, fix_de: str,
                      **where) -> None:
    """An overlap or gap above its tolerance: an error, or a warning where the caller allowed it."""
    add = report.warning if allowed else report.error
    add(message, fix, message_de=message_de, fix_de=fix_de, **where)


def _apply(conn: Connection, options: BoundaryImportOptions, report: ImportReport) -> None:
    params = {"level": options.level, "valid_from": options.valid_from, "batch": report.batch_id}
    unchanged = conn.execute(sa.text("""
        DELETE FROM staging_area s USING area a
        WHERE a.level_code = :level AND a.key = s.key AND a.valid_from = :valid_from
          AND a.name = s.name AND a.parent_key IS NOT DISTINCT FROM s.parent_key
          AND ST_AsBinary(a.geom) = ST_AsBinary(s.geom)"""), params).rowcount
    conn.execute(sa.text("""
        INSERT INTO area_change (batch_id, area_id, change, name, parent_key, geom, area_m2, attributes,
                                 import_batch_id)
        SELECT :batch, a.id, 'corrected', a.name, a.parent_key, a.geom, a.area_m2, a.attributes, a.import_batch_id
        FROM area a JOIN staging_area s ON a.level_code = :level AND a.key = s.key
             AND a.valid_from = :valid_from"""), params)  # the state an undo restores
    corrected = conn.execute(sa.text("""
        UPDATE area a SET name = s.name, parent_key = s.parent_key, geom = s.geom, area_m2 = ST_Area(s.geom),
               attributes = s.attributes, import_batch_id = :batch
        FROM staging_area s
        WHERE a.level_code = :level AND a.key = s.key AND a.valid_from = :valid_from
        RETURNING a.key"""), params).all()
    closed_condition = "TRUE" if options.complete else "a.key IN (SELECT key FROM staging_area)"
    closed = conn.execute(sa.text(f"""
        WITH closed AS (
            UPDATE area a SET valid_to = :valid_from
            WHERE a.level_code = :level AND a.valid_from < :valid_from AND a.valid_to IS NULL
              AND ({closed_condition})
            RETURNING a.id)
        INSERT INTO area_change (batch_id, area_id, change) SELECT :batch, id, 'closed' FROM closed"""),
        params).rowcount
    inserted = conn.execute(sa.text("""
        WITH created AS (
            INSERT INTO area (level_code, key, name, parent_key, valid_from, geom, area_m2, attributes,
                              import_batch_id)
            SELECT :level, s.key, s.name, s.parent_key, :valid_from, s.geom, ST_Area(s.geom), s.attributes, :batch
            FROM staging_area s
            WHERE NOT EXISTS (SELECT 1 FROM area a WHERE a.level_code = :level AND a.key = s.key
                              AND a.valid_from = :valid_from)
            RETURNING id)
        INSERT INTO area_change (batch_id, area_id, change) SELECT :batch, id, 'created' FROM created"""),
        params).rowcount
    report.rows_unchanged = unchanged
    report.rows_superseded = len(corrected)
    report.rows_written = inserted + len(corrected)
    if closed:
        report.notes.append(f"{closed} earlier boundary version(s) of level {options.level!r} end at {options.valid_from}")


def _options_json(options: BoundaryImportOptions) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(options).items()}
