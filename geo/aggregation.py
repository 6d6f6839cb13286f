"""Spatial side of aggregation: target polygons (parsed, repaired, reprojected), their overlap with the areas
of a level, circles around points, and the cache of expensive results.

Everything is measured in the storage CRS (metres). Must not know about indicators: it answers "which areas,
with which share of their area" and leaves the statistics to `indicators.interpolation`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
import shapely
import sqlalchemy as sa
from shapely.geometry import shape
from sqlalchemy.engine import Connection

from geo.crs import ACCEPTED_FORMS, UnknownCrs, parse_crs, short_name
from geo.storage_crs import storage_srid
from geo.versions import current_version_from, level_valid_at

MAX_VERTICES = 100_000
MAX_RADIUS_M = 50_000.0
# Slivers below 1 m² come from outlines of different publications that touch, not from real overlap.
MIN_OVERLAP_M2 = 1.0
SUBDIVIDE_VERTICES = 128  # pieces of the target polygon intersected with the areas (see `overlap`)
CIRCLE_SEGMENTS = 16  # per quarter circle: area error below 0.2 %


@dataclass(frozen=True)
class CostLimits:
    """What one posted polygon or circle may cost: its vertices, its area, and the intersections of its pieces
    with the source areas (its complexity: a 5,000-vertex star over a city needs 12,000 of them, about 3 s,
    while an ordinary district outline needs a few hundred). None = no limit."""

    max_vertices: int = MAX_VERTICES
    max_area_km2: float | None = None
    max_intersections: int | None = None


class AggregationInputError(ValueError):
    """Input that cannot be aggregated; `field` names the offending request member, `status` is 400 or 422."""

    def __init__(self, message: str, field: str, status: int = 400, **extra: Any):
        super().__init__(message)
        self.field = field
        self.status = status
        self.extra = extra


@dataclass(frozen=True)
class Target:
    """A target polygon in the storage CRS, as WKB, with what was done to it on the way."""

    wkb: bytes
    srid: int
    area_m2: float
    source: str  # 'geojson', 'layer kitas/0101', 'circle ...'
    crs_in: str
    notes: tuple[str, ...] = ()


@dataclass
class Overlap:
    """Source areas that intersect a target, with the overlap in m² (share = overlap / area of the source)."""

    level: str
    at: date
    target_area_m2: float
    areas: list[dict] = field(default_factory=list)

    @property
    def covered_m2(self) -> float:
        return sum(a["overlap_m2"] for a in self.areas)

    @property
    def coverage(self) -> float:
        return min(1.0, self.covered_m2 / self.target_area_m2) if self.target_area_m2 > 0 else 0.0


def crs_srid(text: str | None, field_name: str = "crs") -> tuple[str, int]:
    """('EPSG:25833', 25833) for an offered CRS named in any form `geo.crs` accepts; CRS84 when None.

    Only the SRID matters here: GeoJSON is always x = longitude, y = latitude (RFC 7946), also when EPSG:4326
    is named, so the axis order of the CRS is not applied."""
    try:
        crs = parse_crs(text)
    except UnknownCrs as exc:
        raise AggregationInputError(str(exc), field_name, supported=exc.offered,
                                    accepted_forms=list(ACCEPTED_FORMS)) from None
    return short_name(crs), crs.srid


def parse_target(conn: Connection, geojson: Any, crs: str | None = None, limits: CostLimits = CostLimits()) -> Target:
    """A (Multi)Polygon from a GeoJSON geometry or Feature, in `crs` (or its own `crs` member; CRS84 by default),
    repaired if self-intersecting, reprojected to the storage CRS. Raises AggregationInputError naming the field."""
    if not isinstance(geojson, dict):
        raise AggregationInputError("the body must be a GeoJSON geometry or Feature object", "geometry")
    member_crs = _crs_member(geojson)
    if crs and member_crs and crs_srid(crs)[1] != crs_srid(member_crs, "crs")[1]:
        raise AggregationInputError(f"the crs parameter {crs!r} contradicts the body's crs member {member_crs!r}",
                                    "crs")
    crs_name, srid_in = crs_srid(crs or member_crs)
    geometry = geojson.get("geometry") if geojson.get("type") == "Feature" else geojson
    if geojson.get("type") == "FeatureCollection":
        features = geojson.get("features") or []
        if len(features) != 1:
            raise AggregationInputError("send one polygon: a FeatureCollection must hold exactly one Feature",
                                        "geometry")
        geometry = features[0].get("geometry") if isinstance(features[0], dict) else None
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        found = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise AggregationInputError(f"geometry must be a Polygon or MultiPolygon, not {found}", "geometry")
    try:
        geom = shape(geometry)
        vertices = shapely.get_num_coordinates(geom)
    except Exception as exc:  # shapely raises ValueError, TypeError, GEOSException on malformed coordinates
        raise AggregationInputError(f"the coordinates cannot be read as a polygon ({exc})", "geometry") from None
    if vertices > limits.max_vertices:
        raise AggregationInputError(f"the polygon has {vertices:,} vertices; at most {limits.max_vertices:,} are "
                                    "accepted (simplify the outline, or send a token)", "geometry", status=413,
                                    limit="vertices", maximum=limits.max_vertices)
    if geom.is_empty:
        raise AggregationInputError("the polygon is empty", "geometry", status=422)
    if not all(map(_finite, shapely.get_coordinates(geom).ravel())):
        raise AggregationInputError("the coordinates contain NaN or infinity", "geometry")
    if srid_in == 4326:
        minx, miny, maxx, maxy = geom.bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise AggregationInputError(
                f"coordinates {geom.bounds} are not longitude/latitude; name the CRS (e.g. crs=EPSG:25833)", "crs")
    notes = []
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        repaired = shapely.make_valid(geom, method="structure", keep_collapsed=False)
        polygons = [g for g in getattr(repaired, "geoms", [repaired]) if g.geom_type in ("Polygon", "MultiPolygon")]
        geom = shapely.union_all(polygons) if polygons else shapely.Polygon()
        if geom.is_empty or geom.area == 0:
            raise AggregationInputError(f"the polygon is invalid ({reason}) and encloses no area after repair",
                                        "geometry", status=422)
        notes.append(f"invalid polygon repaired ({reason}); check the outline")
    return _to_storage(conn, shapely.to_wkb(geom), srid_in, crs_name, "geojson", notes)


def _finite(value: float) -> bool:
    return value == value and value not in (float("inf"), float("-inf"))


def _crs_member(geojson: dict) -> str | None:
    crs = geojson.get("crs")
    if crs is None:
        return None
    if isinstance(crs, str):
        return crs
    if isinstance(crs, dict) and isinstance(crs.get("properties"), dict):
        return crs["properties"].get("name")
    raise AggregationInputError("the crs member must look like {\"type\": \"name\", \"properties\": "
                                "{\"name\": \"EPSG:25833\"}}", "crs")


def _to_storage(conn: Connection, wkb: bytes, srid_in: int, crs_name: str, source: str,
                notes: list[str]) -> Target:
    srid = storage_srid(conn)
    row = conn.execute(sa.text("""
        SELECT ST_AsBinary(g) AS wkb, ST_Area(g) AS area FROM (
            SELECT ST_Multi(ST_Transform(ST_SetSRID(ST_GeomFromWKB(:wkb), :srid_in), :srid)) AS g) t"""),
        {"wkb": wkb, "srid_in": srid_in, "srid": srid}).one()
    if not row.area or row.area <= 0:
        raise AggregationInputError("the polygon encloses no area", "geometry", status=422)
    return Target(bytes(row.wkb), srid, float(row.area), source, crs_name, tuple(notes))


def stored_target(conn: Connection, layer: str, key: str) -> Target:
    """A feature of a stored polygon layer (e.g. programme areas) as target."""
    row = conn.execute(sa.text("""
        SELECT ST_AsBinary(geom) AS wkb, ST_Area(geom) AS area, ST_SRID(geom) AS srid FROM polygon_feature
        WHERE layer_code = :layer AND key = :key"""), {"layer": layer, "key": key}).one_or_none()
    if row is None:
        known = conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM polygon_layer WHERE code = :layer)"),
                             {"layer": layer}).scalar_one()
        raise AggregationInputError(
            f"no feature {key!r} in polygon layer {layer!r}" if known else f"unknown polygon layer {layer!r}",
            "key" if known else "layer", status=404)
    return Target(bytes(row.wkb), row.srid, float(row.area), f"layer {layer}/{key}", f"EPSG:{row.srid}")


def circle_target(conn: Connection, x: float, y: float, radius_m: float, crs: str | None = None) -> Target:
    """A circle of `radius_m` metres (in the storage CRS) around a point given in `crs` (CRS84 by default)."""
    check_radius(radius_m)
    crs_name, srid_in = crs_srid(crs)
    if not (_finite(x) and _finite(y)):
        raise AggregationInputError("x and y must be finite numbers", "x")
    if srid_in == 4326 and not (-180 <= x <= 180 and -90 <= y <= 90):
        raise AggregationInputError(f"({x}, {y}) is not longitude/latitude; name the CRS (e.g. crs=EPSG:25833)",
                                    "crs")
    srid = storage_srid(conn)
    row = conn.execute(sa.text("""
        SELECT ST_AsBinary(g) AS wkb, ST_Area(g) AS area FROM (
            SELECT ST_Multi(ST_Buffer(ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), :srid_in), :srid), :r, :seg)) AS g
        ) t"""), {"x": x, "y": y, "srid_in": srid_in, "srid": srid, "r": radius_m, "seg": CIRCLE_SEGMENTS}).one()
    return Target(bytes(row.wkb), srid, float(row.area), f"circle r={radius_m:g} m around ({x}, {y})", crs_name)


def check_radius(radius_m: float, field_name: str = "radius") -> None:
    if not _finite(radius_m) or radius_m <= 0 or radius_m > MAX_RADIUS_M:
        raise AggregationInputError(
            f"radius {radius_m} m is out of range: give metres above 0 and at most {MAX_RADIUS_M:,.0f}", field_name)


PIECES_SQL = "SELECT ST_Subdivide(ST_SetSRID(ST_GeomFromWKB(:wkb), :srid), :vertices) AS geom"
VERSION_FILTER = level_valid_at("a")


def check_cost(conn: Connection, target: Target, level: str, at: date, limits: CostLimits) -> None:
    """Refuse (413, naming the limit) a target whose area or complexity exceeds `limits`; the complexity is
    counted on the bounding boxes (index only), before any intersection is computed."""
    if limits.max_area_km2 is not None and target.area_m2 > limits.max_area_km2 * 1e6:
        raise AggregationInputError(
            f"the target covers {target.area_m2 / 1e6:,.1f} km²; at most {limits.max_area_km2:,.0f} km² are accepted "
            "(split it, or send a token)", "geometry", status=413, limit="area_km2", maximum=limits.max_area_km2)
    if limits.max_intersections is None:
        return
    needed = _bounded_piece_count(conn, target, level, at)
    if needed is None or needed > limits.max_intersections:
        counted = (f"its pieces cannot even be counted within {COUNT_BUDGET_MS} ms" if needed is None
                   else f"{needed:,} intersections of its pieces with the areas of level {level!r}")
        raise AggregationInputError(
            f"the target is too complex: {counted}, "
            f"at most {limits.max_intersections:,} are computed (simplify the outline, make it smaller, or send a "
            "token)", "geometry", status=413, limit="intersections", maximum=limits.max_intersections)


# Counting the pieces is itself work: ST_Subdivide cuts a spiky outline into one piece per spike (a 5,000-vertex
# star: 4,723 pieces, 0.8 s), so a refusal cost as much as a small answer and a client sending such outlines
# over and over used half the machine. The count gets this long; an outline that cannot be cut in that time is
# too complex by definition (an ordinary district outline needs a few milliseconds).
COUNT_BUDGET_MS = 150


def _bounded_piece_count(conn: Connection, target: Target, level: str, at: date) -> int | None:
    """Intersections of the target's pieces with the areas' bounding boxes, or None if counting them takes
    longer than COUNT_BUDGET_MS. Runs in a savepoint with its own statement timeout, so a cancelled count
    leaves the caller's transaction and timeout as they were."""
    import psycopg.errors

    try:
        with conn.begin_nested():
            conn.execute(sa.text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": str(COUNT_BUDGET_MS)})
            needed = conn.execute(sa.text(f"""
                WITH piece AS ({PIECES_SQL})
                SELECT count(*) FROM area a JOIN piece p ON a.geom && p.geom WHERE {VERSION_FILTER}"""),
                {"wkb": target.wkb, "srid": target.srid, "vertices": SUBDIVIDE_VERTICES, "level": level, "at": at}
            ).scalar_one()
            raise _CountDone(needed)  # roll the savepoint back: the caller's statement timeout comes back
    except _CountDone as done:
        return done.count
    except sa.exc.OperationalError as exc:
        if isinstance(exc.orig, psycopg.errors.QueryCanceled) and "statement timeout" in str(exc.orig):
            return None
        raise


class _CountDone(Exception):
    def __init__(self, count: int):
        self.count = count


def overlap(conn: Connection, target: Target, level: str, at: date) -> Overlap:
    """Areas of `level` (boundary version valid at `at`) intersecting the target, with their overlap in m².

    The target is cut into pieces of at most SUBDIVIDE_VERTICES vertices first (ST_Subdivide: the pieces
    tile it without overlap, so an area's overlap is the sum over the pieces it meets). Each intersection
    then involves a small piece instead of the whole outline (a 5,000-vertex star over 368 areas: 9.7 s whole,
    2.9 s in pieces)."""
    rows = conn.execute(sa.text(f"""
        WITH piece AS ({PIECES_SQL})
        SELECT a.id AS area_id, a.key, a.name, a.area_m2,
               sum(CASE WHEN ST_CoveredBy(a.geom, p.geom) THEN a.area_m2
                        ELSE ST_Area(ST_Intersection(a.geom, p.geom)) END) AS overlap_m2
        FROM area a JOIN piece p ON ST_Intersects(a.geom, p.geom)
        WHERE {VERSION_FILTER}
        GROUP BY a.id, a.key, a.name, a.area_m2
        ORDER BY a.key"""), {"wkb": target.wkb, "srid": target.srid, "level": level, "at": at,
                             "vertices": SUBDIVIDE_VERTICES}).mappings().all()
    areas = [dict(r) | {"share": r["overlap_m2"] / r["area_m2"] if r["area_m2"] else 0.0}
             for r in rows if r["overlap_m2"] >= MIN_OVERLAP_M2]
    return Overlap(level, at, target.area_m2, areas)


def finest_level(conn: Connection) -> str:
    """The finest level of the loaded data (`geo.levels.finest_level`, the one definition)."""
    from geo.levels import finest_level as loaded_finest

    found = loaded_finest(conn)
    if found is None:
        raise AggregationInputError("no area level is defined yet", "level", status=404)
    return found


def current_version(conn: Connection, level: str) -> date:
    """valid_from of the current boundary version of a level."""
    found = current_version_from(conn, level)
    if found is None:
        raise AggregationInputError(f"level {level!r} has no current areas", "level", status=404)
    return found


# -- cache ------------------------------------------------------------------------------------------
def data_version(conn: Connection) -> int:
    return int(conn.execute(sa.text("SELECT value FROM dm_setting WHERE key = 'data_version'")).scalar_one())


def cache_key(kind: str, **request: Any) -> str:
    """A stable key for one request: its kind and every parameter that shapes the result."""
    text = orjson.dumps({"kind": kind, **request}, option=orjson.OPT_SORT_KEYS, default=_jsonable)
    return kind + ":" + hashlib.sha256(text).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def stored_result(conn: Connection, key: str, version: int | None = None) -> Any:
    """The result stored under `key` at the current data_version (or `version`), None if there is none; reads
    only (a caller on a read replica may look but not store)."""
    return conn.execute(sa.text("SELECT result FROM aggregation_cache WHERE cache_key = :key AND data_version = :v"),
                        {"key": key, "v": data_version(conn) if version is None else version}).scalar()


def cached(conn: Connection, key: str, compute) -> tuple[Any, bool]:
    """(result, hit): the stored result if it was computed at the current data_version, else compute and store.

    Results are keyed by request and data_version, so any data change (which bumps data_version) invalidates
    them. The caller commits (the store is part of its transaction)."""
    version = data_version(conn)
    row = stored_result(conn, key, version)
    if row is not None:
        return row, True
    result = compute()
    conn.execute(sa.text("""
        INSERT INTO aggregation_cache (cache_key, data_version, result) VALUES (:key, :v, CAST(:result AS jsonb))
        ON CONFLICT (cache_key) DO UPDATE SET data_version = EXCLUDED.data_version, result = EXCLUDED.result,
            created_at = now()"""),
        {"key": key, "v": version, "result": orjson.dumps(result, default=str).decode()})
    return orjson.loads(orjson.dumps(result, default=str)), False
