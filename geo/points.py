"""Point layers (facilities such as Kitas and schools): validated, atomic import, and points per area.

The import works like the boundary import: read (pyogrio) -> validate per feature (file, row, fix; finite
coordinates inside the configured extent, `geo.plausibility`) -> reproject to the storage CRS -> apply as a
diff in one transaction (a dry run or any error writes nothing). A file must declare its CRS (or the caller
names it): coordinates are never guessed, but a CRS they do not fit is refused with the one they look like.
Must not know about indicators.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.aggregation import AggregationInputError
from geo.features import geometry_json_sql
from geo.import_report import (BeforeCommit, ImportFailed, ImportLimits, ImportReport, file_sha256, finish_batch,
                               record_batch, run_in_import_transaction)
from geo.plausibility import check_finite, check_region, configured_extent
from geo.storage_crs import storage_srid
from geo.vector_files import SUPPORTED_SUFFIXES as VECTOR_SUFFIXES
from geo.vector_files import read_vector_file
from geo.versions import level_valid_at, valid_at

if TYPE_CHECKING:
    import geopandas as gpd

SUPPORTED_SUFFIXES = VECTOR_SUFFIXES + (".csv",)
LAYER_CODE_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
MAX_ROWS_LISTED = 20
NUMBER_PATTERN = r"^\s*-?[0-9]+([.,][0-9]+)?\s*$"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PointImportOptions:
    layer: str  # code of the point layer, e.g. "kitas"
    key_field: str
    name_field: str | None = None
    name_de: str | None = None
    name_en: str | None = None
    crs: str | None = None  # the coordinates' CRS, for files that declare none or declare a wrong one
    file_layer: str | None = None  # layer inside a multi-layer file
    capacity_field: str | None = None  # attribute holding each facility's capacity (places), for supply ratios
    serves: str | None = None  # the count of the population the facilities serve (an indicator code)


def import_points(conn: Connection, path: Path, options: PointImportOptions, *, dry_run: bool = False,
                  created_by: str = "cli", display_name: str | None = None, progress: Progress | None = None,
                  before_commit: BeforeCommit | None = None, limits: ImportLimits = ImportLimits()) -> ImportReport:
    """Validate and (unless dry_run or on error) store a point layer; features missing from the file are removed.
    `before_commit(conn, report)` runs last inside the transaction (an audit record)."""
    report = ImportReport(kind="points", file=display_name or path.name, dry_run=dry_run)
    step = progress or (lambda _what, _done, _total: None)
    if not pd.Series([options.layer]).str.fullmatch(LAYER_CODE_PATTERN).iloc[0]:
        report.error(f"layer code {options.layer!r} is not allowed",
                     "use lower-case letters, digits and _ (e.g. kitas)", column="layer",
                     message_de=f"der Ebenen-Code {options.layer!r} ist nicht zulässig",
                     fix_de="Kleinbuchstaben, Ziffern und _ verwenden (z. B. kitas)")
        return report
    frame = read_layer_file(path, options, report)
    if frame is None:
        return report
    report.sha256 = file_sha256(path)
    report.rows_read = len(frame)
    step("read", 1, 4)
    frame = _validate(frame, options, limits, report)
    if not report.ok:
        return report
    def work() -> None:
        nonlocal frame
        srid = storage_srid(conn)
        frame = frame.to_crs(epsg=srid)
        step("validated", 2, 4)
        _check_serves(conn, options, report)
        if not report.ok:
            raise ImportFailed(report)
        report.batch_id = record_batch(conn, report, created_by, asdict(options))
        _stage(conn, frame, srid)
        _check_outside(conn, report)
        step("checked", 3, 4)
        _apply(conn, options, report)
        finish_batch(conn, report)
        step("stored", 4, 4)

    return run_in_import_transaction(conn, report, work, dry_run=dry_run,
                                     unchanged_note="nothing changed: every point is already stored",
                                     before_commit=before_commit)


def read_layer_file(path: Path, options, report: ImportReport) -> gpd.GeoDataFrame | None:
    """The features of a point or polygon layer file (`geo.vector_files`), or None with the problems reported."""
    return read_vector_file(path, report, fields=((options.key_field, "key"), (options.name_field, "name")),
                            key_field=options.key_field, layer=options.file_layer, crs=options.crs,
                            suffixes=SUPPORTED_SUFFIXES)


def _validate(frame: gpd.GeoDataFrame, options: PointImportOptions, limits: ImportLimits,
              report: ImportReport) -> gpd.GeoDataFrame:
    import geopandas as gpd

    frame = frame.reset_index(drop=True)
    rows = pd.Series(range(1, len(frame) + 1), index=frame.index)
    keys = frame[options.key_field].astype("string").str.strip()
    for i in frame.index[keys.isna() | (keys == "")][:MAX_ROWS_LISTED]:
        report.error("feature without key", f"fill {options.key_field!r}", row=int(rows[i]), column=options.key_field,
                     message_de="Objekt ohne Schlüssel", fix_de=f"{options.key_field!r} füllen")
    duplicated = keys[keys.duplicated(keep=False) & keys.notna()]
    for key, group in list(duplicated.groupby(duplicated))[:MAX_ROWS_LISTED]:
        report.error(f"key {key} occurs {len(group)} times (rows {', '.join(str(rows[i]) for i in group.index)})",
                     "each facility must occur once; renumber or merge the features", row=int(rows[group.index[0]]),
                     column=options.key_field, value=str(key),
                     message_de=f"Schlüssel {key} kommt {len(group)}-mal vor (Zeilen "
                                f"{', '.join(str(rows[i]) for i in group.index)})",
                     fix_de="jede Einrichtung darf nur einmal vorkommen; Objekte neu nummerieren oder "
                            "zusammenführen")
    geometry = frame.geometry
    for i in frame.index[geometry.isna() | geometry.is_empty][:MAX_ROWS_LISTED]:
        report.error("feature without coordinates", "geocode the facility or remove the row", row=int(rows[i]),
                     keys=(str(keys[i]),), message_de="Objekt ohne Koordinaten",
                     fix_de="die Einrichtung geokodieren oder die Zeile entfernen")
    present = geometry.notna() & ~geometry.is_empty
    single = geometry.copy()
    multi = present & (geometry.geom_type == "MultiPoint")
    single[multi] = [g.geoms[0] if len(g.geoms) == 1 else g for g in geometry[multi]]
    for i in frame.index[present & (single.geom_type != "Point")][:MAX_ROWS_LISTED]:
        report.error(f"geometry is a {single[i].geom_type}, not a point", "deliver facilities as points",
                     row=int(rows[i]), keys=(str(keys[i]),),
                     message_de=f"die Geometrie ist ein {single[i].geom_type}, kein Punkt",
                     fix_de="Einrichtungen als Punkte liefern")
    if not report.ok:
        return frame
    points = gpd.GeoDataFrame(geometry=single, crs=frame.crs)
    if not check_finite(single, rows, keys, report) or not check_region(points, configured_extent(limits), rows,
                                                                       keys, report):
        return frame
    if options.capacity_field and options.capacity_field not in frame.columns:
        attributes = [c for c in frame.columns if c != frame.geometry.name]
        report.error(f"no attribute {options.capacity_field!r} for the capacity", f"use one of {attributes}",
                     column="capacity_field", value=options.capacity_field,
                     message_de=f"kein Merkmal {options.capacity_field!r} für die Kapazität",
                     fix_de=f"eines von {attributes} angeben")
        return frame
    names = (frame[options.name_field].astype("string").str.strip() if options.name_field
             else pd.Series([None] * len(frame), index=frame.index))
    skip = {options.key_field, options.name_field, frame.geometry.name}
    extra = frame[[c for c in frame.columns if c not in skip]]
    attributes = extra.astype(object).where(extra.notna(), None).to_dict("records")
    return gpd.GeoDataFrame({"key": keys.astype(str), "name": names.astype(object), "row": rows,
                             "attributes": attributes}, geometry=single, crs=frame.crs)


def _check_serves(conn: Connection, options: PointImportOptions, report: ImportReport) -> None:
    """The population a layer serves is a count of the catalogue (children under 6, inhabitants 65 and over)."""
    if options.serves is None:
        return
    kind = conn.execute(sa.text("SELECT kind FROM indicator WHERE code = :code"), {"code": options.serves}).scalar()
    if kind != "count":
        what = "unknown indicator" if kind is None else f"{options.serves} is a {kind}, not a count of people"
        report.error(f"serves: {what}", "name the count of the people the facilities serve, e.g. the children "
                     "under 6", column="serves", value=options.serves,
                     message_de=f"serves: {'unbekannter Indikator' if kind is None else 'keine Anzahl von Personen'}",
                     fix_de="die Anzahl der versorgten Personen angeben, z. B. die Kinder unter 6 Jahren")


def _stage(conn: Connection, frame: gpd.GeoDataFrame, srid: int) -> None:
    conn.execute(sa.text(f"""
        CREATE TEMP TABLE staging_point (row integer, key text, name text, attributes jsonb,
                                         geom geometry(Point, {int(srid)})) ON COMMIT DROP"""))
    records = [{"row": int(r.row), "key": r.key, "name": None if pd.isna(r.name) else str(r.name),
                "attributes": orjson.dumps(r.attributes, default=str).decode(), "wkb": shapely.to_wkb(r.geometry)}
               for r in frame.itertuples()]
    conn.execute(sa.text(f"""
        INSERT INTO staging_point (row, key, name, attributes, geom)
        VALUES (:row, :key, :name, CAST(:attributes AS jsonb), ST_SetSRID(ST_GeomFromWKB(:wkb), {int(srid)}))"""),
        records)


def _check_outside(conn: Connection, report: ImportReport) -> None:
    """Points outside every current area are kept but reported: usually wrong coordinates or CRS."""
    outside = conn.execute(sa.text("""
        SELECT s.row, s.key FROM staging_point s
        WHERE EXISTS (SELECT 1 FROM area) AND NOT EXISTS (
            SELECT 1 FROM area a WHERE a.valid_to IS NULL AND ST_Intersects(a.geom, s.geom))
        ORDER BY s.row""")).all()
    for row, key in outside[:MAX_ROWS_LISTED]:
        report.warning(f"point {key} lies outside every area", "check its coordinates and the file's CRS",
                       row=row, keys=(key,), message_de=f"der Punkt {key} liegt außerhalb aller Gebiete",
                       fix_de="seine Koordinaten und das Koordinatenreferenzsystem der Datei prüfen")
    if len(outside) > MAX_ROWS_LISTED:
        report.warning(f"{len(outside) - MAX_ROWS_LISTED} more points lie outside every area",
                       "check the coordinates and the file's CRS",
                       message_de=f"{len(outside) - MAX_ROWS_LISTED} weitere Punkte liegen außerhalb aller Gebiete",
                       fix_de="die Koordinaten und das Koordinatenreferenzsystem der Datei prüfen")


def _apply(conn: Connection, options: PointImportOptions, report: ImportReport) -> None:
    params = {"layer": options.layer, "batch": report.batch_id,
              "name_de": options.name_de or options.layer, "name_en": options.name_en or options.layer}
    before = conn.execute(sa.text("SELECT capacity_field, serves FROM point_layer WHERE code = :layer"),
                          params).one_or_none()
    conn.execute(sa.text("""
        INSERT INTO point_layer (code, name_de, name_en, import_batch_id, capacity_field, serves)
        VALUES (:layer, :name_de, :name_en, :batch, :capacity, :serves)
        ON CONFLICT (code) DO UPDATE SET import_batch_id = EXCLUDED.import_batch_id,
            name_de = coalesce(CAST(:name_de_given AS text), point_layer.name_de),
            name_en = coalesce(CAST(:name_en_given AS text), point_layer.name_en),
            capacity_field = coalesce(EXCLUDED.capacity_field, point_layer.capacity_field),
            serves = coalesce(EXCLUDED.serves, point_layer.serves)"""),
        params | {"name_de_given": options.name_de, "name_en_given": options.name_en,
                  "capacity": options.capacity_field, "serves": options.serves})
    declared = (options.capacity_field, options.serves)
    if before is not None and any(new is not None and new != old for new, old in zip(declared, tuple(before))):
        report.rows_superseded += 1  # the layer's declaration changed: not an unchanged import
        report.notes.append(f"layer {options.layer!r} now supplies {options.capacity_field or before[0]} to "
                            f"{options.serves or before[1]}")
    removed = conn.execute(sa.text("""
        DELETE FROM point_feature p WHERE p.layer_code = :layer
          AND NOT EXISTS (SELECT 1 FROM staging_point s WHERE s.key = p.key)"""), params).rowcount
    report.rows_unchanged = conn.execute(sa.text("""
        DELETE FROM staging_point s USING point_feature p
        WHERE p.layer_code = :layer AND p.key = s.key AND p.name IS NOT DISTINCT FROM s.name
          AND p.attributes = s.attributes AND ST_Equals(p.geom, s.geom)"""), params).rowcount
    updated = conn.execute(sa.text("""
        UPDATE point_feature p SET name = s.name, attributes = s.attributes, geom = s.geom
        FROM staging_point s WHERE p.layer_code = :layer AND p.key = s.key"""), params).rowcount
    inserted = conn.execute(sa.text("""
        INSERT INTO point_feature (layer_code, key, name, geom, attributes)
        SELECT :layer, s.key, s.name, s.geom, s.attributes FROM staging_point s
        WHERE NOT EXISTS (SELECT 1 FROM point_feature p WHERE p.layer_code = :layer AND p.key = s.key)"""),
        params).rowcount
    report.rows_written = inserted + updated
    report.rows_superseded = updated + removed
    if removed:
        report.notes.append(f"{removed} point(s) of layer {options.layer!r} are not in the file and were removed")


def list_point_layers(conn: Connection) -> list[dict]:
    rows = conn.execute(sa.text("""
        SELECT l.code, l.name_de, l.name_en, l.description, l.capacity_field, l.serves, count(p.id) AS features,
               b.file_name, b.created_at AS imported_at
        FROM point_layer l LEFT JOIN point_feature p ON p.layer_code = l.code
        LEFT JOIN import_batch b ON b.id = l.import_batch_id
        GROUP BY l.code, b.file_name, b.created_at ORDER BY l.code"""))
    return [dict(r._mapping) for r in rows]


def check_point_layer(conn: Connection, layer: str, fields: list[str] = ()) -> None:
    """Raise AggregationInputError unless the layer exists and every field occurs in its attributes."""
    if not conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM point_layer WHERE code = :l)"), {"l": layer}).scalar():
        known = [r[0] for r in conn.execute(sa.text("SELECT code FROM point_layer ORDER BY code"))]
        raise AggregationInputError(f"unknown point layer {layer!r}; known: {known}", "layer", status=404)
    for name in fields:
        if not conn.execute(sa.text("""SELECT EXISTS (SELECT 1 FROM point_feature
                                       WHERE layer_code = :l AND attributes ? :f)"""),
                              {"l": layer, "f": name}).scalar():
            raise AggregationInputError(f"layer {layer!r} has no attribute {name!r}", "sum")


def points_per_area(conn: Connection, layer: str, level: str, at, sum_fields: list[str] = ()) -> list[dict]:
    """Per area of a level (boundary version valid at `at`): number of points inside and the sums of numeric
    attributes (text such as "69" is read as a number; other text is counted as `<field>_not_numeric`).
    A point belongs to the area whose interior contains it."""
    check_point_layer(conn, layer, list(sum_fields))
    params: dict = {"layer": layer, "level": level, "at": at, "number": NUMBER_PATTERN}
    parts = []
    for i, name in enumerate(sum_fields):
        params[f"f{i}"] = name
        value = f"(p.attributes ->> :f{i})"
        parts.append(f"""sum(CASE WHEN {value} ~ :number THEN replace(trim({value}), ',', '.')::float8 END)
                             AS sum_{i},
                         count(p.id) FILTER (WHERE {value} IS NOT NULL AND NOT {value} ~ :number) AS bad_{i}""")
    extra = "".join(", " + p for p in parts)
    rows = conn.execute(sa.text(f"""
        SELECT a.key, a.name, count(p.id) AS count {extra}
        FROM area a
        LEFT JOIN point_feature p ON p.layer_code = :layer AND ST_Contains(a.geom, p.geom)
        WHERE a.level_code = :level AND {valid_at("a", ":at")}
        GROUP BY a.id, a.key, a.name ORDER BY a.key"""), params).mappings().all()
    result = []
    for r in rows:
        item = {"key": r["key"], "name": r["name"], "count": r["count"]}
        for i, name in enumerate(sum_fields):
            item[f"{name}_sum"] = r[f"sum_{i}"] if r[f"sum_{i}"] is not None else 0.0
            item[f"{name}_not_numeric"] = r[f"bad_{i}"]
        result.append(item)
    return result


def points_outside(conn: Connection, layer: str, level: str, at) -> int:
    """Points of the layer that lie in no area of the level (outside the territory or exactly on a border)."""
    return conn.execute(sa.text(f"""
        SELECT count(*) FROM point_feature p WHERE p.layer_code = :layer AND NOT EXISTS (
            SELECT 1 FROM area a WHERE {level_valid_at("a")} AND ST_Contains(a.geom, p.geom))"""),
        {"layer": layer, "level": level, "at": at}).scalar_one()


def catchment_overlaps(conn: Connection, layer: str, radius_m: float, level: str, at) -> pd.DataFrame:
    """For each point of the layer: the areas its circle of radius_m metres intersects, with their share."""
    rows = conn.execute(sa.text(f"""
        WITH f AS (
            SELECT p.key, p.name, ST_Buffer(p.geom, :r, 16) AS circle FROM point_feature p WHERE p.layer_code = :layer)
        SELECT f.key, f.name, ST_Area(f.circle) AS circle_m2, a.id AS area_id, x.m2 / a.area_m2 AS share,
               x.m2 AS overlap_m2
        FROM f JOIN area a ON {level_valid_at("a")} AND ST_Intersects(a.geom, f.circle)
        CROSS JOIN LATERAL (
            SELECT CASE WHEN ST_Within(f.circle, a.geom) THEN ST_Area(f.circle)
                        ELSE ST_Area(ST_Intersection(a.geom, f.circle)) END AS m2) x"""),
        {"layer": layer, "r": radius_m, "level": level, "at": at}).all()
    return pd.DataFrame(rows, columns=["key", "name", "circle_m2", "area_id", "share", "overlap_m2"])


def points_feature_collection(conn: Connection, layer: str, attribute: str | None = None) -> dict:
    """The layer's points as a GeoJSON FeatureCollection in CRS84, built in PostGIS, with name and one attribute."""
    geometry = geometry_json_sql("ST_Transform(geom, 4326)", "6")  # the one GeoJSON geometry writer
    text = conn.execute(sa.text(f"""
        SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
            'type', 'Feature', 'id', key, 'geometry', {geometry}::json,
            'properties', json_build_object('name', name, 'kapazitaet', attributes ->> :attribute))), '[]'::json))::text
        FROM point_feature WHERE layer_code = :layer"""), {"layer": layer, "attribute": attribute}).scalar_one()
    return orjson.loads(text)
